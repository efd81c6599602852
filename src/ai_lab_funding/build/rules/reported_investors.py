"""Rules that hold the round investors to every accepted report naming them.

A report on a round's investors is free text; `reported_investors` reads it into ids,
one row per printed name. The rules check that reading (the name is printed in that
report, the report is about a round's investors) and then the round itself: an investor
an accepted report names must be in the round, one it says led must lead there, one it
says only took part must not lead.
"""

from __future__ import annotations

import narwhals as nw
import polars as pl

from .base import _ROW, Rule, Tables
from .portable import NwTables, contains_column, failing, lazy_tables, one_per, portable_rule

LEADING = ("lead", "co_lead")


def _named_reports(own: nw.LazyFrame, t: NwTables, *columns: str | nw.Expr) -> nw.LazyFrame:
    """`columns` of the reports that rows of `own` name, one row per report_id.

    Only those: most reports are on other fields, and making every report id unique
    before the join held a second copy of the reports' columns it reads.
    """
    named = t["reports"].select("report_id", *columns)
    named = named.join(own.select("report_id"), on="report_id", how="semi")
    return one_per(named, "report_id")


def _not_printed(own: nw.LazyFrame, t: NwTables) -> nw.LazyFrame:
    """Rows whose printed name is not in their report's text (a gap in either passes)."""
    text = _named_reports(own, t, "value_as_reported")
    joined = own.join(text, on="report_id", how="left")
    found = contains_column(joined, "value_as_reported", "name_as_printed", "__found")
    printed = nw.col("value_as_reported").is_null() | nw.col("name_as_printed").is_null()
    return failing(found, printed | nw.col("__found"))


def _reports_of(own: nw.LazyFrame, t: NwTables) -> nw.LazyFrame:
    """Each row with its report's fact, field and verdict (missing where there is none)."""
    reports = _named_reports(
        own,
        t,
        nw.col("fact_table").alias("__table"),
        nw.col("fact_id").alias("__fact"),
        nw.col("field").alias("__field"),
        nw.col("verdict").alias("__verdict"),
    )
    return own.join(reports, on="report_id", how="left")


def _about_investors(own: nw.LazyFrame, t: NwTables) -> nw.LazyFrame:
    ok = (nw.col("__table") == "rounds") & (nw.col("__field") == "investors")
    return failing(_reports_of(own, t), nw.col("__table").is_null() | ok)


def _with_round_role(own: nw.LazyFrame, t: NwTables) -> nw.LazyFrame:
    """Rows of accepted reports on a round's investors, with the investor's role there."""
    rows = _reports_of(own, t).filter(
        (nw.col("__verdict") == "accepted")
        & (nw.col("__table") == "rounds")
        & (nw.col("__field") == "investors")
    )
    roles = t["round_investors"].select(
        nw.col("round_id").alias("__fact"), "investor_id", nw.col("role").alias("__role")
    )
    return rows.join(
        one_per(roles, ["__fact", "investor_id"]), on=["__fact", "investor_id"], how="left"
    )


def _in_round(own: nw.LazyFrame, t: NwTables) -> nw.LazyFrame:
    return _with_round_role(own, t).filter(nw.col("__role").is_null())


def _role_agrees(own: nw.LazyFrame, t: NwTables) -> nw.LazyFrame:
    rows = _with_round_role(own, t).filter(~nw.col("__role").is_null())
    said_lead = nw.col("role_as_reported").is_in(LEADING).fill_null(False)
    is_lead = nw.col("__role").is_in(LEADING)
    participant = (nw.col("role_as_reported") == "participant").fill_null(False)
    return rows.filter((said_lead & ~is_lead) | (participant & is_lead))


def _round_role(df: pl.DataFrame, t: Tables) -> pl.Series:
    tables = lazy_tables(t)
    own = nw.from_native(df.lazy().with_row_index(_ROW))
    rows = _with_round_role(own, tables).select(_ROW, "__fact", "__role").collect().to_native()
    texts: list[str | None] = [None] * df.height
    for pos, round_id, role in rows.iter_rows():
        texts[pos] = f"{round_id} has it as {role}" if role else f"{round_id} does not list it"
    return pl.Series("detail", texts, dtype=pl.String)


def rules() -> list[Rule]:
    """The rules on investors named in reports, and on rounds against accepted reports."""
    return [
        portable_rule(
            "name_not_printed",
            "reported_investors",
            "name_as_printed",
            "the report's value_as_reported does not contain this name",
            _not_printed,
        ),
        portable_rule(
            "not_an_investors_report",
            "reported_investors",
            "report_id",
            "the report is not about a round's investors (fact_table rounds, field investors)",
            _about_investors,
        ),
        portable_rule(
            "named_not_in_round",
            "reported_investors",
            "investor_id",
            "an accepted report names this investor but round_investors does not list it"
            " in that round: add it there, or judge the report",
            _in_round,
            detail=_round_role,
        ),
        portable_rule(
            "named_role_differs",
            "reported_investors",
            "role_as_reported",
            "an accepted report gives this investor another role than round_investors does"
            " (a lead there is not one here, or a participant leads here)",
            _role_agrees,
            detail=_round_role,
        ),
    ]
