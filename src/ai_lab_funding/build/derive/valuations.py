"""Every valuation in one table: a company's valuation history is one filter, not four.

Valuations live in two places: a round's pre- and post-money columns and the valuation
metrics (secondary trades, market capitalisation). Read side by side they are easy to
mix up, so each observation becomes a row with its kind, basis, round status and date,
and the accepted reports behind that one figure. The rows only repeat figures of their
source rows (where they are corrected); nothing here judges one.
"""

from __future__ import annotations

import polars as pl

from ...schemas import tables as ts
from .base import Tables

ROUND_FIELDS = {"pre_money_valuation": "pre_money", "post_money_valuation": "post_money"}
# A listing's post-money is the market value at the offer price: not a private round's price.
IPO_KIND = "ipo_offer"
METRIC_KINDS = {
    "valuation_secondary": "secondary",
    "market_capitalization": "market_capitalization",
}


def _field_reports(reports: pl.DataFrame, field: str) -> pl.LazyFrame:
    """The accepted reports on one valuation column of each round, joined in report_id order.

    A round's own `accepted_report_ids` mixes the reports on its amount, date and label;
    a valuation rests only on those about that valuation.
    """
    return (
        reports.lazy()
        .filter(
            (pl.col("verdict") == "accepted")
            & (pl.col("fact_table") == "rounds")
            & (pl.col("field") == field)
        )
        .sort("report_id")
        .group_by("fact_id", maintain_order=True)
        .agg(pl.col("report_id").str.join(";").alias("field_report_ids"))
    )


def _round_rows(rounds: pl.DataFrame, reports: pl.DataFrame, field: str) -> pl.LazyFrame:
    """One row per round with a figure in `field`.

    The basis is per figure, not per round: in a round whose post-money was implied the
    pre-money is still the reported one. An implied figure gets no reports, since it
    rests on the round's other two figures, not on a report of its own.
    """
    kind = pl.lit(ROUND_FIELDS[field])
    if field == "post_money_valuation":
        kind = pl.when(pl.col("round_type") == "ipo").then(pl.lit(IPO_KIND)).otherwise(kind)
    implied = pl.col("valuation_basis") == ts.IMPLIED_BASIS[field]
    return (
        rounds.lazy()
        .filter(pl.col(field).is_not_null())
        .join(_field_reports(reports, field), left_on="round_id", right_on="fact_id", how="left")
        .select(
            kind.alias("kind"),
            pl.when(implied)
            .then(pl.lit(ts.IMPLIED_BASIS[field]))
            .otherwise(pl.lit("reported"))
            .alias("basis"),
            pl.lit("rounds").alias("source_table"),
            pl.col("round_id").alias("source_id"),
            pl.col("announced_on").alias("valued_on"),
            pl.col("date_precision"),
            pl.col("status"),
            pl.col(field).cast(pl.Float64).alias("value"),
            pl.lit(None, pl.Float64).alias("value_high"),
            pl.lit(None, pl.String).alias("qualifier"),
            pl.col("valuation_currency").alias("currency"),
            pl.col(f"{field}_usd").cast(pl.Float64).alias("value_usd"),
            pl.col("confidence"),
            pl.when(~implied.fill_null(False))
            .then(pl.col("field_report_ids"))
            .alias("accepted_report_ids"),
        )
    )


def _metric_rows(metrics: pl.DataFrame) -> pl.LazyFrame:
    """One row per valuation metric: a value observed, never derived, and never a deal stage."""
    return (
        metrics.lazy()
        .filter(pl.col("metric").is_in(list(METRIC_KINDS)))
        .select(
            pl.col("metric").replace_strict(METRIC_KINDS, return_dtype=pl.String).alias("kind"),
            pl.lit("reported").alias("basis"),
            pl.lit("metrics").alias("source_table"),
            pl.col("metric_id").alias("source_id"),
            pl.col("period_end").alias("valued_on"),
            pl.col("period_precision").alias("date_precision"),
            pl.lit(None, pl.String).alias("status"),
            pl.col("value").cast(pl.Float64),
            pl.col("value_high").cast(pl.Float64),
            pl.col("qualifier"),
            pl.col("currency"),
            pl.col("value_usd").cast(pl.Float64),
            pl.col("confidence"),
            pl.col("accepted_report_ids"),
        )
    )


def valuations(tables: Tables) -> pl.DataFrame:
    """Every round valuation and valuation metric, one row each, keyed `<source_id>:<kind>`.

    Run after `facts`: the company is taken from the registry, which leaves it empty where
    the source row names an unknown company. A source row missing its key or a required
    cell, or repeating another's key, is already an error on its own file; it is left out
    here (a repeated key keeps its first row, as in `facts`) so that error is not reported
    a second time on data/valuations.csv, a file nobody edits.
    """
    parts = [_round_rows(tables["rounds"], tables["reports"], f) for f in ROUND_FIELDS]
    # Only the facts a valuation can come from: the hash table of the join is built on a
    # third of the registry (its tickets and companies are most of it).
    companies = (
        tables["facts"]
        .lazy()
        .filter(pl.col("fact_table").is_in(["rounds", "metrics"]))
        .select(
            pl.col("fact_table").alias("source_table"),
            pl.col("fact_id").alias("source_id"),
            "company_id",
        )
    )
    required = [f["name"] for f in ts.fields("valuations") if ts.constraints(f).get("required")]
    return (
        pl.concat([*parts, _metric_rows(tables["metrics"])])
        .with_columns(pl.format("{}:{}", "source_id", "kind").alias("valuation_id"))
        .drop_nulls([c for c in required if c != "valuation_id"])
        .unique("valuation_id", keep="first", maintain_order=True)
        .join(companies, on=["source_table", "source_id"], how="left", maintain_order="left")
        .select(f["name"] for f in ts.fields("valuations"))
        .sort("valuation_id")
        .collect()
    )
