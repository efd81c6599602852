"""Compute what the curated tables imply.

That is: USD amounts, implied valuations, parsed reports, the check of every report
against the believed figure, funding totals that count each dollar once, the sums
cumulative claims are held to, and ×10 flags.

Nothing here judges a figure; it only makes disagreement visible so the rules can. It runs
on polars, the frames the reader produced and the rules check, so a million rounds are
held once, not once per library. `facts` derives the fact tables, `reports` the reports
and unit flags, `fx` the exchange rates, `parse` reads a figure as a source printed it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from ...problems import Problem
from ...schemas import tables as ts
from .base import LineOf, Log, Tables
from .claims import derive_claims
from .facts import derive_metrics, derive_rounds, derive_tickets, with_leads
from .fx import FxTable
from .investors import derive_investors
from .named import with_named_checks
from .registry import fact_registry
from .reports import NUMERIC_FIELDS, derive_reports, unit_flags
from .totals import funding_totals
from .valuations import valuations

__all__ = ["Derived", "currencies", "derive", "derive_companies", "released_columns"]


@dataclass
class Derived:
    """The released tables and the problems met while deriving them."""

    tables: Tables
    problems: list[Problem]


def _link_accepted_reports(tables: Tables) -> None:
    """Each fact row names the accepted reports its figures rest on."""
    acc = (
        tables["reports"]
        .filter(pl.col("verdict") == "accepted")
        .select("fact_table", "fact_id", "report_id")
        .sort("report_id", maintain_order=True)
    )
    for table in ts.fact_tables():
        pk = ts.fact_key(table)
        ids = (
            acc.filter(pl.col("fact_table") == table)
            .group_by("fact_id", maintain_order=True)
            .agg(pl.col("report_id").str.join(";").alias("accepted_report_ids"))
            .rename({"fact_id": pk})
        )
        # Joined on the key alone and added as a column: joining the whole table would copy it.
        linked = tables[table].select(pk).join(ids, on=pk, how="left", maintain_order="left")
        tables[table] = tables[table].with_columns(linked["accepted_report_ids"])


def _curated_file(table: str) -> str:
    return f"curated/{table}.csv"


def _position_line(table: str, pos: int) -> int:
    return pos + 2  # the header is line 1


def derive_companies(tables: Tables, fx: FxTable, log: Log) -> Tables:
    """Every derived table but the investors' and the rates', from the curated tables.

    Everything here is computed within a company: its rounds, tickets, metrics, claims,
    the reports on them and its totals. So the tables of any set of whole companies give
    those companies' rows exactly as the whole folder does, which is how Spark runs it, one
    bucket of companies at a time (`build.spark_derive`). The investors' parent chains cross
    companies and are derived on their own.
    """
    out = dict(tables)
    out["rounds"] = derive_rounds(tables["rounds"], fx, log)
    out["metrics"] = derive_metrics(tables["metrics"], fx, log)
    out["round_investors"] = derive_tickets(tables["round_investors"], out["rounds"], fx, log)
    out["rounds"] = with_leads(out["rounds"], out["round_investors"])
    out["cumulative_claims"] = derive_claims(tables["cumulative_claims"], out, fx, log)
    out["reports"] = derive_reports(out, fx, log)
    out["reports"] = with_named_checks(out, log)
    _link_accepted_reports(out)
    out["unit_flags"] = unit_flags(out["reports"])
    out["facts"] = fact_registry(out)
    out["valuations"] = valuations(out)
    out["funding_totals"] = funding_totals(out)
    return out


def currencies(tables: Tables) -> set[str]:
    """Every currency a curator wrote next to a figure: the rates that will surely be needed."""
    columns = {(t, ccy) for (t, _), ccy in NUMERIC_FIELDS.items()} | {
        ("reports", "implied_currency")
    }
    return {c for t, col in columns for c in tables[t][col].drop_nulls().unique().to_list()}


def released_columns(tables: Tables) -> Tables:
    """Each table with exactly its Table Schema's columns, in their order."""
    return {name: df.select(f["name"] for f in ts.fields(name)) for name, df in tables.items()}


def derive(
    tables: Tables, file_of: Callable[[str], str] = _curated_file, line_of: LineOf = _position_line
) -> Derived:
    """All released tables, computed from the curated ones.

    Problems name their place with `file_of(table)` and `line_of(table, position)`.
    """
    log = Log(file_of, line_of)
    fx = FxTable(currencies(tables))
    out = derive_companies(tables, fx, log)
    out["investors"] = derive_investors(tables["investors"])
    out["fx_rates"] = fx.frame()
    return Derived(released_columns(out), log.problems)
