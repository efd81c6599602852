"""Rules on metrics, claims, companies and sources: units, ranges, precisions, dates.

Three kinds are declared in the Table Schemas and generated here, field by field:
`x-maxDaysAfterBuild` (how many days after the build date a date may lie),
`x-notBefore` (the field that a period's end must not precede) and `x-boundsByUnit`
(bounds of a value by the unit in the row's `unit` column).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import polars as pl

from ...schemas import tables as ts
from .base import Check, Rule, Tables, at_least, equals, missing, paired, present, verdict

# The column whose value picks a field's bounds in `x-boundsByUnit`.
UNIT_COLUMN = "unit"


def _metric_currency(df: pl.DataFrame, t: Tables) -> pl.Series:
    return verdict(df, equals("unit", "currency") == present("currency"))


def _metric_range(df: pl.DataFrame, t: Tables) -> pl.Series:
    has = present("value_high")
    above = ~has | at_least(pl.col("value_high"), pl.col("value"))
    return verdict(df, (has == equals("qualifier", "range")) & above)


def _precision_with(day: str, precision: str) -> Check:
    def check(df: pl.DataFrame, t: Tables) -> pl.Series:
        return verdict(df, paired(day, precision))

    return check


def _source_location(df: pl.DataFrame, t: Tables) -> pl.Series:
    return verdict(df, present("address") | present("local_copy"))


def _not_future(column: str, days: int) -> Check:
    def check(df: pl.DataFrame, t: Tables) -> pl.Series:
        latest = date.today() + timedelta(days=days)
        return verdict(df, missing(column) | (pl.col(column) <= pl.lit(latest)))

    return check


def _future_rules() -> list[Rule]:
    """Dates that cannot lie further after the build than their `x-maxDaysAfterBuild`.

    Most say 0 (nothing announced, founded or published tomorrow); a claim window may
    end later in the year the claim speaks of.
    """
    out = []
    for table in ts.TABLE_ORDER:
        for f in ts.fields_with(table, "x-maxDaysAfterBuild"):
            days = int(f["x-maxDaysAfterBuild"])
            message = "date is after the build date"
            if days:
                message = f"date is more than {days} days after the build date"
            out.append(Rule("future_date", table, f["name"], message, _not_future(f["name"], days)))
    return out


def _not_before(column: str, start: str) -> Check:
    def check(df: pl.DataFrame, t: Tables) -> pl.Series:
        ordered = at_least(pl.col(column), pl.col(start))
        return verdict(df, missing(start) | missing(column) | ordered)

    return check


def _order_rules() -> list[Rule]:
    """A period's end (`x-notBefore` names its start) may not come before its start."""
    return [
        Rule(
            "window_order",
            table,
            f["name"],
            f"{f['name']} is before {f['x-notBefore']}",
            _not_before(f["name"], f["x-notBefore"]),
        )
        for table in ts.TABLE_ORDER
        for f in ts.fields_with(table, "x-notBefore")
    ]


def _within(column: str, unit: str, bounds: dict[str, Any]) -> Check:
    def check(df: pl.DataFrame, t: Tables) -> pl.Series:
        value, inside = pl.col(column), pl.lit(True)
        if "minimum" in bounds:
            inside &= value >= bounds["minimum"]
        if "maximum" in bounds:
            inside &= value <= bounds["maximum"]
        return verdict(df, ~equals(UNIT_COLUMN, unit) | missing(column) | inside)

    return check


def _range_message(column: str, unit: str, bounds: dict[str, Any]) -> str:
    parts = [
        f"{op} {bounds[key]}" for key, op in (("minimum", ">="), ("maximum", "<=")) if key in bounds
    ]
    return f"with unit {unit}, {column} must be {' and '.join(parts)}"


def _unit_rules() -> list[Rule]:
    """A value's bounds by its unit (`x-boundsByUnit`): no negative money, no 10^9 % growth."""
    return [
        Rule(
            f"{unit}_range",
            table,
            f["name"],
            _range_message(f["name"], unit, bounds),
            _within(f["name"], unit, bounds),
        )
        for table in ts.TABLE_ORDER
        for f in ts.fields_with(table, "x-boundsByUnit")
        for unit, bounds in f["x-boundsByUnit"].items()
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
        *_unit_rules(),
        Rule(
            "range",
            "metrics",
            "value_high",
            "value_high needs qualifier range and must not be below value",
            _metric_range,
            followup=True,
        ),
        *_order_rules(),
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
        *_future_rules(),
    ]
