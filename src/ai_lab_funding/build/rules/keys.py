"""Rules on keys and links: foreign keys from the Table Schemas, key variants, orphans, parents."""

from __future__ import annotations

from collections.abc import Callable

import narwhals as nw
import numpy as np
import polars as pl

from ...schemas import tables as ts
from ..derive.base import fact_id
from .base import _ROW, Detail, Rule, Tables, isin, missing, verdict
from .portable import (
    Failing,
    NwTables,
    eq_missing,
    failing,
    lazy_tables,
    materialised,
    portable_rule,
    row_count,
    rows_on_polars,
)


def _fact_keys(t: Tables) -> pl.DataFrame:
    """The keys `facts` lists, taken from the fact tables themselves.

    When a curated file cannot be read nothing is derived and `facts` does not exist, but
    the rules still run on the curated tables: a report's fact is then looked up where the
    registry would have found it, so a dangling fact is reported either way.
    """
    return pl.concat(
        t[table].select(pl.lit(table).alias("fact_table"), fact_id(table).alias("fact_id"))
        for table in ts.fact_tables()
    )


# Derived tables a curated one references, made from the curated tables when not derived.
_STAND_INS: dict[str, Callable[[Tables], pl.DataFrame]] = {"facts": _fact_keys}


def _others(cols: list[str]) -> Detail:
    """The hint of a composite key's failure: the key's other cells, where it looked."""

    def detail(df: pl.DataFrame, t: Tables) -> pl.Series:
        parts = [pl.format(f"{c} is '{{}}'", pl.col(c)) for c in cols[:-1]]
        return df.select(pl.concat_str(parts, separator=", ").alias("detail"))["detail"]

    return detail


def _foreign_key(table: str, cols: list[str], target: str, target_cols: list[str]) -> Rule:
    """The key in `cols` must name a row of `target`; a key with a gap is left to `required`.

    A composite key is reported once, on its last column, the one naming the row (the
    others say where to look, as reports' fact_table does), and its hint gives the others.
    """

    def check(df: pl.DataFrame, t: Tables) -> pl.Series:
        if not set(cols) <= set(df.columns):  # derived columns, on frames the build stopped at
            return verdict(df, True)
        found = t[target] if target in t else _STAND_INS[target](t)
        keys = found.select(pl.col(p).alias(c) for c, p in zip(cols, target_cols, strict=True))
        gap = pl.any_horizontal(missing(c) for c in cols)
        return verdict(df, gap | isin(df, cols, keys))

    message = f"no {target} row has this {' and '.join(target_cols)}"
    detail = _others(cols) if len(cols) > 1 else None
    return Rule("foreign_key", table, cols[-1], message, check, detail=detail)


def _list_reference(table: str, col: str, target: str, target_col: str) -> Rule:
    """Every id of a semicolon-separated list (`x-listOf`) must name a row of `target`.

    No Table Schema can declare a foreign key inside one cell, so the schema names the
    list's target and this rule checks each item; the hint names the unknown ones.
    """

    def unknown(own: nw.LazyFrame, t: NwTables) -> nw.LazyFrame:
        """One row per unknown id: the row of `own` it is in (all its columns) and the id."""
        known = t[target].select(nw.col(target_col).alias("__id")).unique()
        return (
            own.with_columns(nw.col(col).str.split(";").alias("__id"))
            .explode("__id")
            .filter(~nw.col("__id").is_null())
            .join(known, on="__id", how="anti")
        )

    def fails(own: nw.LazyFrame, t: NwTables) -> nw.LazyFrame:
        return unknown(own, t).drop("__id").unique(keep="any")

    def detail(df: pl.DataFrame, t: Tables) -> pl.Series:
        tables = lazy_tables(t)
        own = nw.from_native(df.lazy().with_row_index(_ROW))
        ids = unknown(own, tables).select(_ROW, "__id").collect().to_native()
        found = ids.group_by(_ROW).agg(pl.col("__id").str.join(", "))
        texts: list[str | None] = [None] * df.height
        for pos, ids_text in found.iter_rows():
            texts[pos] = f"unknown: {ids_text}"
        return pl.Series("detail", texts, dtype=pl.String)

    message = f"an id in this list names no {target} row ({target_col})"
    return portable_rule("list_reference", table, col, message, fails, detail=detail)


def _key_variant(col: str) -> Callable[[nw.LazyFrame, NwTables], nw.LazyFrame]:
    """Rows whose key equals another row's once case and outer whitespace are ignored.

    Two rows with the very same key are the primary key's error, not this one: a row fails
    only when its normal form is shared by more rows than its exact key is. That needs a
    key out of normal form in the group, so only the groups of such keys are counted (most
    tables have none; counting every group took 2 s on four million reports).
    """

    def fails(own: nw.LazyFrame, t: NwTables) -> nw.LazyFrame:
        key = nw.col(col).cast(nw.String)
        rows = key.fill_null("").count()  # every row of the window, a gap included
        normed = own.with_columns(key.str.strip_chars().str.to_lowercase().alias("__norm"))
        odd = normed.filter(nw.col("__norm") != key).select("__norm").unique()
        counted = normed.join(odd, on="__norm", how="semi").with_columns(
            rows.over("__norm").alias("__n_norm"), rows.over(col).alias("__n_key")
        )
        return counted.filter(nw.col("__n_norm") > nw.col("__n_key"))

    return fails


def _schema_rules(table: str) -> list[Rule]:
    """The foreign keys the table's schema declares, and its one-column key's variants."""
    out = [_foreign_key(table, *fk) for fk in ts.references(table)]
    for f in ts.fields(table):
        if "x-listOf" in f:
            target, target_col = f["x-listOf"].split(".")
            out.append(_list_reference(table, f["name"], target, target_col))
    pk = ts.primary_key(table)
    if len(pk) == 1:
        message = "same key as another row except for case or whitespace"
        out.append(
            portable_rule("duplicate_key_variant", table, pk[0], message, _key_variant(pk[0]))
        )
    return out


# Fields a report may speak about that are not columns of its fact table.
_REPORTABLE_EXTRA = {"rounds": {"investors"}, "companies": {"funding_status", "name"}}


def _report_field(own: nw.LazyFrame, t: NwTables) -> nw.LazyFrame:
    ok = nw.lit(True)
    for table in ts.fact_tables():
        names = sorted({f["name"] for f in ts.fields(table)} | _REPORTABLE_EXTRA.get(table, set()))
        known = nw.col("field").is_in(names).fill_null(False)
        ok = nw.when((nw.col("fact_table") == table).fill_null(False)).then(known).otherwise(ok)
    return failing(own, ok)


def _orphan_investor(own: nw.LazyFrame, t: NwTables) -> nw.LazyFrame:
    used = nw.concat(
        [
            t["round_investors"].select("investor_id"),
            own.select(nw.col("parent_investor_id").alias("investor_id")),
        ]
    ).filter(~nw.col("investor_id").is_null())
    return own.join(used.unique(), on="investor_id", how="anti")


def _orphan_source(own: nw.LazyFrame, t: NwTables) -> nw.LazyFrame:
    cited = t["reports"].select("source_id").filter(~nw.col("source_id").is_null()).unique()
    return own.join(cited, on="source_id", how="anti")


def _self_parent(own: nw.LazyFrame, t: NwTables) -> nw.LazyFrame:
    same = (nw.col("parent_investor_id") == nw.col("investor_id")).fill_null(False)
    return own.filter(same)


def _cycle_rows(key: str, link: str, self_links: bool) -> Failing:
    """Rows whose chain of links comes back to them, however long the cycle, on any engine.

    Pointer doubling by joins: each key keeps one link (a duplicated key, its own error,
    follows its smallest), and every join replaces each key's pointer by its pointer's
    pointer, so after k joins it points 2^k links ahead and a walk that stops drops out.
    Once 2^k is at least the number of links, every walk left is going round a cycle and
    every key on a cycle is the end of one (its own, 2^k steps back round the cycle): the
    keys on cycles are the walks' ends. A row that names itself counts if `self_links`.
    """

    def rows(own: nw.LazyFrame, t: NwTables) -> nw.LazyFrame:
        linked = own.filter(~nw.col(link).is_null())
        links = linked.group_by(key).agg(nw.col(link).min().alias("__to")).rename({key: "__k"})
        step, reach, n = links, 1, None
        while True:
            ahead = step.rename({"__k": "__to", "__to": "__ahead"})
            joined = step.join(ahead, on="__to", how="inner")
            step = materialised(joined.select("__k", nw.col("__ahead").alias("__to")))
            reach *= 2
            if row_count(step) == 0:  # every walk stopped: no cycle (the usual case, soon)
                break
            n = row_count(links) if n is None else n  # counted only when walks go on
            if reach >= n:
                break
        ends = step.select(nw.col("__to").alias(key)).unique()
        on_cycle = linked.join(ends, on=key, how="semi")
        if self_links:
            return on_cycle
        return on_cycle.filter(~eq_missing(nw.col(link), nw.col(key)))

    return rows


def _cycle_path(key: str, link: str, longest: int = 6) -> Detail:
    """The cycle a row is on, spelled out: `a → b → c → a` (shortened when long)."""

    def detail(df: pl.DataFrame, t: Tables) -> pl.Series:
        rows = rows_on_polars(_cycle_rows(key, link, self_links=True), df, t)
        bad = np.zeros(df.height, dtype=bool)
        bad[rows[_ROW].to_numpy()] = True
        on = df.filter(pl.Series(bad)).select(key, link)
        nxt = dict(on.iter_rows())
        texts: list[str | None] = [None] * df.height
        for pos in np.flatnonzero(bad):
            start = df[key][int(pos)]
            path, node = [start], nxt.get(start)
            while node is not None and node != start and len(path) < longest:
                path.append(node)
                node = nxt.get(node)
            path.append(start if node == start else "…")
            texts[int(pos)] = "cycle: " + " → ".join(map(str, path))
        return pl.Series("detail", texts, dtype=pl.String)

    return detail


def rules() -> list[Rule]:
    """The key rules, schema-declared ones first, in release table order."""
    return [
        *(rule for table in ts.TABLE_ORDER for rule in _schema_rules(table)),
        portable_rule(
            "unknown_field", "reports", "field", "fact_table has no such column", _report_field
        ),
        portable_rule(
            "orphan",
            "investors",
            "investor_id",
            "no round names this investor and it is no one's parent",
            _orphan_investor,
            severity="warning",
        ),
        portable_rule(
            "orphan",
            "sources",
            "source_id",
            "no report cites this source",
            _orphan_source,
            severity="warning",
        ),
        portable_rule(
            "self_parent",
            "investors",
            "parent_investor_id",
            "an investor cannot be its own parent",
            _self_parent,
        ),
        portable_rule(
            "parent_cycle",
            "investors",
            "parent_investor_id",
            "investor is its own ancestor: its chain of parents comes back to it",
            _cycle_rows("investor_id", "parent_investor_id", self_links=False),
            detail=_cycle_path("investor_id", "parent_investor_id"),
        ),
        portable_rule(
            "extension_cycle",
            "rounds",
            "extension_of",
            "round extends itself, directly or through the rounds it extends",
            _cycle_rows("round_id", "extension_of", self_links=True),
            detail=_cycle_path("round_id", "extension_of"),
        ),
        portable_rule(
            "counted_in_cycle",
            "rounds",
            "counted_in",
            "round is counted in itself, directly or through the rounds it is counted in,"
            " so its money would be counted nowhere",
            _cycle_rows("round_id", "counted_in", self_links=True),
            detail=_cycle_path("round_id", "counted_in"),
        ),
    ]
