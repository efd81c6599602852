"""Rules on metrics, claims, companies and sources: units, ranges, precisions, dates."""

from __future__ import annotations

from datetime import date

import polars as pl

from .base import Check, Rule, Tables, at_least, equals, missing, paired, present, verdict


def _metric_currency(df: pl.DataFrame, t: Tables) -> pl.Series:
    return verdict(df, equals("unit", "currency") == present("currency"))


def _percent(df: pl.DataFrame, t: Tables) -> pl.Series:
    return verdict(df, ~equals("unit", "percent") | at_least(pl.col("value"), pl.lit(-100)))


def _metric_range(df: pl.DataFrame, t: Tables) -> pl.Series:
    has = present("value_high")
    above = ~has | at_least(pl.col("value_high"), pl.col("value"))
    return verdict(df, (has == equals("qualifier", "range")) & above)


def _window(df: pl.DataFrame, t: Tables) -> pl.Series:
    return verdict(
        df, missing("window_start") | at_least(pl.col("window_end"), pl.col("window_start"))
    )


def _precision_with(day: str, precision: str) -> Check:
    def check(df: pl.DataFrame, t: Tables) -> pl.Series:
        return verdict(df, paired(day, precision))

    return check


def _source_location(df: pl.DataFrame, t: Tables) -> pl.Series:
    return verdict(df, present("address") | present("local_copy"))


def _not_future(column: str) -> Check:
    def check(df: pl.DataFrame, t: Tables) -> pl.Series:
        return verdict(df, missing(column) | (pl.col(column) <= pl.lit(date.today())))

    return check


# Dates that cannot lie after the day of the build.
_DATED = [
    ("rounds", "announced_on"),
    ("rounds", "closed_on"),
    ("companies", "founded_on"),
    ("sources", "published_on"),
    ("metrics", "period_end"),
]


def rules() -> list[Rule]:
    """The rules on metrics, claims, companies, sources and dates."""
    return [
        Rule(
            "currency_with_unit",
            "metrics",
            "currency",
            "currency is required when unit is currency and only then",
            _metric_currency,
            followup=True,
        ),
        Rule(
            "percent_range",
            "metrics",
            "value",
            "a percentage below -100 is impossible",
            _percent,
        ),
        Rule(
            "range",
            "metrics",
            "value_high",
            "value_high needs qualifier range and must not be below value",
            _metric_range,
            followup=True,
        ),
        Rule(
            "window_order",
            "cumulative_claims",
            "window_end",
            "window_end is before window_start",
            _window,
            followup=True,
        ),
        Rule(
            "precision_with_date",
            "companies",
            "founded_precision",
            "founded_precision is required with founded_on and only then",
            _precision_with("founded_on", "founded_precision"),
            followup=True,
        ),
        Rule(
            "precision_with_date",
            "sources",
            "published_precision",
            "published_precision is required with published_on and only then",
            _precision_with("published_on", "published_precision"),
            followup=True,
        ),
        Rule(
            "no_location",
            "sources",
            "address",
            "a source needs an address or a local copy",
            _source_location,
        ),
        *(
            Rule("future_date", table, column, "date is after the build date", _not_future(column))
            for table, column in _DATED
        ),
    ]
