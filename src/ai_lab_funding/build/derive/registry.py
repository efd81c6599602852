"""The registry of facts: one row per row of every fact table, so reports can reference it.

A report names its fact by two columns, the table and the key in it. No Table Schema can
declare a key that points into one of four tables, so the registry gathers those keys
into one table and `reports` declares a plain composite foreign key to it, which
Frictionless, the rules, Spark and any database can check.
"""

from __future__ import annotations

import polars as pl

from ...schemas import tables as ts
from .base import Tables


def _keys(tables: Tables, table: str) -> pl.LazyFrame:
    """A fact table's keys, the company each fact is about and its count of accepted reports.

    A duplicated or missing key is an error on the fact table's own file; here its first
    row stands for it and a missing one is left out, so the registry's own key and
    required rules never report the same defect again on a file nobody edits. The count
    is read from the links to accepted reports the derivation already made, rather than
    from another pass over millions of reports (report ids hold no semicolon).
    """
    pk = ts.fact_key(table)
    ids = pl.col("accepted_report_ids")
    return (
        tables[table]
        .lazy()
        .select(
            pl.lit(table).alias("fact_table"),
            pl.col(pk).alias("fact_id"),
            pl.col("company_id"),
            (ids.str.count_matches(";", literal=True) + 1)
            .fill_null(0)
            .cast(pl.Int64)
            .alias("accepted_report_count"),
        )
        .drop_nulls("fact_id")
        .unique("fact_id", keep="first", maintain_order=True)
    )


def fact_registry(tables: Tables) -> pl.DataFrame:
    """Every fact with its company and how many accepted reports it rests on.

    Run after the accepted reports are linked to their facts. A company_id no company has
    is already an error on the fact's row; the registry leaves it empty so that error is
    not reported a second time, on data/facts.csv.
    """
    facts = pl.concat([_keys(tables, t) for t in ts.fact_tables()])
    known = tables["companies"].lazy().select("company_id").unique()
    return (
        facts.join(
            known.with_columns(pl.lit(True).alias("known")),
            on="company_id",
            how="left",
            maintain_order="left",
        )
        .with_columns(pl.when(pl.col("known")).then(pl.col("company_id")).alias("company_id"))
        .drop("known")
        .collect()
    )
