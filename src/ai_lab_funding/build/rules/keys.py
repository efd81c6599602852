"""Rules on keys and links: foreign keys from the Table Schemas, key variants, orphans, parents."""

from __future__ import annotations

from typing import Any

import polars as pl

from ...schemas import tables as ts
from .base import Check, Rule, Tables, equals, isin, missing, verdict


def _foreign_key(table: str, fk: dict[str, Any]) -> Rule:
    col = fk["fields"][0]
    target, target_col = fk["reference"]["resource"] or table, fk["reference"]["fields"][0]

    def check(df: pl.DataFrame, t: Tables) -> pl.Series:
        return verdict(df, missing(col) | isin(df, col, t[target][target_col]))

    return Rule("foreign_key", table, col, f"no {target} row has this {target_col}", check)


def _key_variant(col: str) -> Check:
    def check(df: pl.DataFrame, t: Tables) -> pl.Series:
        norm = pl.col(col).cast(pl.String).str.strip_chars().str.to_lowercase()
        if not df.select((norm != pl.col(col)).any()).item():
            # Every key is already in normal form: no two can differ by case only.
            return verdict(df, True)
        return verdict(df, ~(norm.is_duplicated() & ~pl.col(col).is_duplicated()))

    return check


def _schema_rules(table: str) -> list[Rule]:
    """The foreign keys the table's schema declares, and its one-column key's variants."""
    out = [_foreign_key(table, fk) for fk in ts.foreign_keys(table)]
    pk = ts.primary_key(table)
    if len(pk) == 1:
        message = "same key as another row except for case or whitespace"
        out.append(Rule("duplicate_key_variant", table, pk[0], message, _key_variant(pk[0])))
    return out


def _report_fact(df: pl.DataFrame, t: Tables) -> pl.Series:
    ids = pl.concat(
        [
            t[table].select(
                pl.lit(table).alias("fact_table"),
                pl.col(ts.primary_key(table)[0]).alias("fact_id"),
            )
            for table in ts.fact_tables()
        ]
    )
    return verdict(df, isin(df, ["fact_table", "fact_id"], ids))


# Fields a report may speak about that are not columns of its fact table.
_REPORTABLE_EXTRA = {"rounds": {"investors"}, "companies": {"funding_status", "name"}}


def _report_field(df: pl.DataFrame, t: Tables) -> pl.Series:
    ok = pl.lit(True)
    for table in ts.fact_tables():
        names = sorted({f["name"] for f in ts.fields(table)} | _REPORTABLE_EXTRA.get(table, set()))
        known = pl.col("field").is_in(names).fill_null(False)
        ok = pl.when(equals("fact_table", table)).then(known).otherwise(ok)
    return verdict(df, ok)


def _orphan_investor(df: pl.DataFrame, t: Tables) -> pl.Series:
    used = pl.concat([t["round_investors"]["investor_id"], df["parent_investor_id"].drop_nulls()])
    return verdict(df, isin(df, "investor_id", used))


def _orphan_source(df: pl.DataFrame, t: Tables) -> pl.Series:
    return verdict(df, isin(df, "source_id", t["reports"]["source_id"]))


def _self_parent(df: pl.DataFrame, t: Tables) -> pl.Series:
    parent = pl.col("parent_investor_id")
    return verdict(df, missing("parent_investor_id") | parent.ne_missing(pl.col("investor_id")))


def rules() -> list[Rule]:
    """The key rules, schema-declared ones first, in release table order."""
    return [
        *(rule for table in ts.TABLE_ORDER for rule in _schema_rules(table)),
        Rule(
            "foreign_key",
            "reports",
            "fact_id",
            "no row with this id in the table named by fact_table",
            _report_fact,
        ),
        Rule("unknown_field", "reports", "field", "fact_table has no such column", _report_field),
        Rule(
            "orphan",
            "investors",
            "investor_id",
            "no round names this investor and it is no one's parent",
            _orphan_investor,
            severity="warning",
        ),
        Rule(
            "orphan",
            "sources",
            "source_id",
            "no report cites this source",
            _orphan_source,
            severity="warning",
        ),
        Rule(
            "self_parent",
            "investors",
            "parent_investor_id",
            "an investor cannot be its own parent",
            _self_parent,
        ),
    ]
