"""Rules that hold the round investors to every accepted report naming them.

A report on a round's investors is free text; `reported_investors` reads it into ids,
one row per printed name. The rules check that reading (the name is printed in that
report, the report is about a round's investors) and then the round itself: an investor
an accepted report names must be in the round, one it says led must lead there, one it
says only took part must not lead.
"""

from __future__ import annotations

import polars as pl

from .base import _ROW, Rule, Tables, failing_rows, verdict

LEADING = ("lead", "co_lead")


def _reports(df: pl.DataFrame, t: Tables) -> pl.DataFrame:
    """Each row's report: its fact, field, verdict and printed text (empty where none)."""
    reports = t["reports"].unique("report_id", keep="first", maintain_order=True)
    return df.select("report_id").join(
        reports.select(
            "report_id", "fact_table", "fact_id", "field", "verdict", "value_as_reported"
        ),
        on="report_id",
        how="left",
        maintain_order="left",
    )


def _printed(df: pl.DataFrame, t: Tables) -> pl.Series:
    text = pl.lit(_reports(df, t)["value_as_reported"])
    found = text.str.contains(pl.col("name_as_printed"), literal=True)
    return verdict(df, text.is_null() | pl.col("name_as_printed").is_null() | found)


def _about_investors(df: pl.DataFrame, t: Tables) -> pl.Series:
    r = _reports(df, t)
    ok = (r["fact_table"] == "rounds") & (r["field"] == "investors")
    return verdict(df, pl.lit(r["fact_table"]).is_null() | pl.lit(ok))


def _against_round(df: pl.DataFrame, t: Tables) -> pl.DataFrame:
    """Rows of accepted reports with the investor's role in the report's round (or none)."""
    r = _reports(df, t)
    rows = (
        df.select("investor_id", "role_as_reported")
        .with_row_index(_ROW)
        .hstack(r.select(pl.col("fact_id").alias("round_id"), "verdict", "fact_table", "field"))
    )
    rows = rows.filter(
        (pl.col("verdict") == "accepted")
        & (pl.col("fact_table") == "rounds")
        & (pl.col("field") == "investors")
    )
    roles = (
        t["round_investors"]
        .select("round_id", "investor_id", pl.col("role").alias("__role"))
        .unique(["round_id", "investor_id"], keep="first")
    )
    return rows.join(roles, on=["round_id", "investor_id"], how="left", maintain_order="left")


def _in_round(df: pl.DataFrame, t: Tables) -> pl.Series:
    rows = _against_round(df, t)
    return failing_rows(df.height, rows.filter(pl.col("__role").is_null())[_ROW])


def _role_agrees(df: pl.DataFrame, t: Tables) -> pl.Series:
    rows = _against_round(df, t).filter(pl.col("__role").is_not_null())
    said_lead = pl.col("role_as_reported").is_in(LEADING)
    is_lead = pl.col("__role").is_in(LEADING)
    wrong = (said_lead & ~is_lead) | ((pl.col("role_as_reported") == "participant") & is_lead)
    return failing_rows(df.height, rows.filter(wrong)[_ROW])


def _round_role(df: pl.DataFrame, t: Tables) -> pl.Series:
    rows = _against_round(df, t).select(_ROW, "round_id", "__role")
    texts: list[str | None] = [None] * df.height
    for pos, round_id, role in rows.iter_rows():
        texts[pos] = f"{round_id} has it as {role}" if role else f"{round_id} does not list it"
    return pl.Series("detail", texts, dtype=pl.String)


def rules() -> list[Rule]:
    """The rules on investors named in reports, and on rounds against accepted reports."""
    return [
        Rule(
            "name_not_printed",
            "reported_investors",
            "name_as_printed",
            "the report's value_as_reported does not contain this name",
            _printed,
        ),
        Rule(
            "not_an_investors_report",
            "reported_investors",
            "report_id",
            "the report is not about a round's investors (fact_table rounds, field investors)",
            _about_investors,
        ),
        Rule(
            "named_not_in_round",
            "reported_investors",
            "investor_id",
            "an accepted report names this investor but round_investors does not list it"
            " in that round: add it there, or judge the report",
            _in_round,
            detail=_round_role,
        ),
        Rule(
            "named_role_differs",
            "reported_investors",
            "role_as_reported",
            "an accepted report gives this investor another role than round_investors does"
            " (a lead there is not one here, or a participant leads here)",
            _role_agrees,
            detail=_round_role,
        ),
    ]
