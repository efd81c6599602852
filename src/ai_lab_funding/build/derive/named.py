"""Compare the reports that are not numbers with the believed fact: dates and round labels.

A numeric report is checked in `reports`; a date ("Dec. 31", "2026 年 1 月 26 日") is
checked on the parts it states at the believed date's precision (`dates`), and a round
label ("Series B+", "C轮", "super angel") on the round type it names. A report whose text
names neither is marked `unparsed` and, when accepted, warned about: it is not compared.
"""

from __future__ import annotations

import re
from datetime import date

import polars as pl

from ...schemas import tables as ts
from .base import POS, Log, Tables
from .dates import agrees, read_date

# (fact table, field) → (the fact's column, the column holding its precision; None: a day).
DATE_FIELDS: dict[tuple[str, str], tuple[str, str | None]] = {
    ("rounds", "announced_on"): ("announced_on", "date_precision"),
    ("rounds", "closed_on"): ("closed_on", None),
    ("companies", "founded_on"): ("founded_on", "founded_precision"),
}
LABEL_FIELD = ("rounds", "round_label_as_reported")

# Round labels as sources print them → the round type they name. Checked in this order.
_LABELS = (
    (r"\bpre[\s-]*[a-h]\b|pre-?[a-h]", None),  # a pre-round is not the round it precedes
    (r"\bseries[\s-]*([a-h])(?![a-z])", "series_{}"),
    (r"\b([a-h])[\s-]*(?:round|轮|輪)|(?<![a-z])([a-h])\+*\s*[轮輪]", "series_{}"),
    (r"^\s*([a-h])\+*\s*$", "series_{}"),  # "C+++"
    (r"angel|天使", "angel"),
    (r"\bseed\b|种子", "seed"),
    (r"strategic|战略", "strategic"),
    (r"\bipo\b|listing|上市", "ipo"),
    (r"\bloans?\b|\bnotes\b|\bdebt\b|credit facility|贷款", "debt"),
    (r"secondary|老股", "secondary"),
    (r"private placement|定增", "private_placement"),
)


def read_round_type(text: str | None) -> str | None:
    """The round type a printed label names ("Series B+" → series_b), or None."""
    low = (text or "").lower()
    for pattern, kind in _LABELS:
        m = re.search(pattern, low)
        if m:
            letter = next((g for g in m.groups() if g), None)
            return kind.format(letter) if kind and letter else kind
    return None


def _facts(tables: Tables, table: str, column: str, precision: str | None) -> dict:
    pk = ts.fact_key(table)
    cols = [pk, column] + ([precision] if precision else [])
    return {row[0]: row[1:] for row in tables[table].select(cols).iter_rows()}


def _verdict_on(text: str, table: str, field: str, tables: Tables, fact: tuple) -> str:
    """match, mismatch, unparsed or no_canonical for one report."""
    believed = fact[0] if fact else None
    if (table, field) == LABEL_FIELD:
        kind = read_round_type(text)
        if kind is None:
            return "unparsed"
        return "no_canonical" if believed is None else ("match" if kind == believed else "mismatch")
    stated = read_date(text)
    if stated is None:
        return "unparsed"
    if not isinstance(believed, date):
        return "no_canonical"
    return "match" if agrees(stated, believed, fact[1] if len(fact) > 1 else None) else "mismatch"


def _named_checks(tables: Tables, reports: pl.DataFrame, log: Log) -> pl.DataFrame:
    """(position, check) for every report on a date or a round label; warns on unread ones."""
    fields = {**DATE_FIELDS, LABEL_FIELD: ("round_type", None)}
    facts = {key: _facts(tables, key[0], *fields[key]) for key in fields}
    wanted = pl.any_horizontal(
        (pl.col("fact_table") == t) & (pl.col("field") == f) for t, f in fields
    ).fill_null(False)
    about = reports.with_row_index(POS).filter(wanted)
    columns = (POS, "fact_table", "fact_id", "field", "value_as_reported", "verdict")
    out = []
    for pos, table, fact_id, fld, text, verdict in about.select(columns).iter_rows():
        check = _verdict_on(text, table, fld, tables, facts[(table, fld)].get(fact_id))
        if check == "unparsed" and verdict == "accepted":
            what = "round type" if (table, fld) == LABEL_FIELD else "date"
            message = f"no {what} found in an accepted report on {table}.{fld}; it is not compared"
            log.add(
                "reports",
                pos,
                "value_as_reported",
                "not_compared",
                message,
                text or "",
                severity="warning",
            )
        out.append((pos, check))
    return pl.DataFrame(out, schema={POS: pl.UInt32, "check": pl.String}, orient="row")


def with_named_checks(tables: Tables, log: Log) -> pl.DataFrame:
    """The reports table with `check` set for the reports on dates and round labels."""
    reports = tables["reports"]
    named = _named_checks(tables, reports, log)
    positions = reports.select(pl.int_range(pl.len(), dtype=pl.UInt32).alias(POS))
    found = positions.join(named, on=POS, how="left", maintain_order="left")["check"]
    return reports.with_columns(pl.coalesce(pl.lit(found), pl.col("check")).alias("check"))
