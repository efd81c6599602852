"""Rules written once on Narwhals, so one definition runs on polars and on Spark.

A portable rule's `failing` function takes the rule's own table and every table as
Narwhals lazy frames and returns the rows of its own table that break the rule: a
filter of that table, its columns kept (joined helper columns may ride along). It says
nothing about how it runs:

- on polars (the build), `on_polars` numbers the rows first (`__row`), runs the
  function lazily and turns the failing positions into the verdict Pandera reads, so the
  problems name file, line and column as every other rule's do;
- on Spark (`spark_checks.validate`), the same function runs on Spark DataFrames and its
  rows become failures keyed by the table's primary key, without collecting anything.

Why Narwhals and not SQL or Ibis: bench/engine_trial.md (the README says it in short).

Null semantics follow the polars rules: a condition that is missing counts as a failure
unless the rule says what a gap means, so every function writes `fill_null` where a
comparison may meet a missing value, and Spark and polars agree row by row.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import narwhals as nw
import polars as pl

from .base import _ROW, Check, Rule, Tables, failing_rows, remembered

NwTables = dict[str, nw.LazyFrame]
Failing = Callable[[nw.LazyFrame, NwTables], nw.LazyFrame]


def failing(own: nw.LazyFrame, ok: nw.Expr) -> nw.LazyFrame:
    """The rows of `own` where `ok` is not true (a missing verdict fails, as in `verdict`)."""
    return own.filter(~ok.fill_null(False))


def eq_missing(a: nw.Expr, b: nw.Expr) -> nw.Expr:
    """`a == b`, where two gaps are equal and a gap never equals a value (polars' eq_missing)."""
    return (a == b).fill_null(False) | (a.is_null() & b.is_null())


def has(frame: nw.LazyFrame, column: str) -> bool:
    """The frame has `column` (derived columns are there on a release, not on curated input)."""
    return column in frame.collect_schema().names()


def nothing(own: nw.LazyFrame) -> nw.LazyFrame:
    """No failing row: for a rule whose columns this input does not have."""
    return own.head(0)


def one_per(frame: nw.LazyFrame, key: str | list[str]) -> nw.LazyFrame:
    """`frame` with each key once, so a lookup join keeps one row per row of the left side.

    Which duplicate is kept does not matter to the rules (a duplicated key is its own
    error); `unique(keep="any")` is the form every engine runs without an order.
    """
    return frame.unique(key, keep="any")


def _native_polars(frame: nw.LazyFrame) -> pl.LazyFrame | None:
    """The polars frame under `frame`, or None on Spark; any other engine is refused."""
    native = frame.to_native()
    if isinstance(native, pl.LazyFrame):
        return native
    if type(native).__module__.startswith("pyspark"):
        return None
    raise NotImplementedError(f"portable rules run on polars and Spark, not {type(native)}")


def per_value(
    frame: nw.LazyFrame,
    column: str,
    fn: Callable[[str], str | None],
    out: str,
    only: str | None = None,
) -> nw.LazyFrame:
    """`frame` with a text column `out`: `fn` of each value of `column` (null where it is null).

    For the few rules Unicode tables or a browser's reading of a host decide, which no
    dataframe expression can say. One Python function is their definition on every engine:
    polars calls it once per distinct value and joins the answers back; Spark runs it as a
    UDF on the executors, so nothing is collected. `only`, a pattern both regex engines read
    alike, names the values `fn` can say anything about; the others get null without a call.
    """
    native = _native_polars(frame)
    if native is not None:
        values = native.select(pl.col(column)).unique().drop_nulls()
        if only is not None:
            values = values.filter(pl.col(column).str.contains(only))
        distinct = values.collect()[column]
        judged = pl.DataFrame(
            {column: distinct, out: [fn(v) for v in distinct]},
            schema={column: pl.String, out: pl.String},
        )
        joined = native.join(judged.lazy(), on=column, how="left", maintain_order="left")
        return nw.from_native(joined)
    from pyspark.sql import functions as sf

    udf = sf.udf(lambda v: None if v is None else fn(v), "string")
    value = sf.col(column)
    judged_col = udf(value) if only is None else sf.when(value.rlike(only), udf(value))
    return nw.from_native(frame.to_native().withColumn(out, judged_col))


def contains_column(frame: nw.LazyFrame, text: str, part: str, out: str) -> nw.LazyFrame:
    """`frame` with a boolean `out`: `text` holds `part` literally (null where either is null).

    Narwhals' `str.contains` takes a fixed pattern only; each engine has this as one call.
    """
    native = _native_polars(frame)
    if native is not None:
        found = pl.col(text).str.contains(pl.col(part), literal=True)
        return nw.from_native(native.with_columns(found.alias(out)))
    from pyspark.sql import functions as sf

    found_col = sf.instr(sf.col(text), sf.col(part)) > 0
    return nw.from_native(frame.to_native().withColumn(out, found_col))


def materialised(frame: nw.LazyFrame) -> nw.LazyFrame:
    """`frame` computed now and read back lazily, for a loop that joins a frame with itself.

    Left lazy, such a loop builds a plan that doubles in size at every step. On polars the
    frame is collected (the build holds its tables in memory anyway); on Spark it is
    checkpointed on the executors, not collected to the driver.
    """
    native = _native_polars(frame)
    if native is not None:
        return nw.from_native(native.collect().lazy())
    return nw.from_native(frame.to_native().localCheckpoint())


def row_count(frame: nw.LazyFrame) -> int:
    """The number of rows: one number comes back from the engine, not the rows."""
    return int(frame.select(nw.len()).collect().item())


def lazy_tables(t: Tables) -> NwTables:
    """The build's polars tables as Narwhals lazy frames, as the portable rules take them."""
    return {name: nw.from_native(frame.lazy()) for name, frame in t.items()}


def rows_on_polars(fn: Failing, df: pl.DataFrame, t: Tables, *columns: str) -> pl.DataFrame:
    """`fn`'s failing rows of `df` on polars: their positions (`__row`) and `columns`.

    A rule's check reads the positions; its detail may read a column `fn` adds (why).
    """
    # wrapped once per validation, not once per rule
    tables = remembered("lazy_tables", tuple(t.values()), lambda: lazy_tables(t))
    own = nw.from_native(df.lazy().with_row_index(_ROW))
    return fn(own, tables).select(_ROW, *columns).collect().to_native()


def on_polars(fn: Failing) -> Check:
    """The rule's polars check: the positions `fn` returns fail, every other row passes."""

    def check(df: pl.DataFrame, t: Tables) -> pl.Series:
        return failing_rows(df.height, rows_on_polars(fn, df, t)[_ROW])

    return check


def portable_rule(name: str, table: str, column: str, message: str, fn: Failing, **kw: Any) -> Rule:
    """A catalogue entry whose check is `fn` on polars, and which Spark runs as written."""
    return Rule(name, table, column, message, on_polars(fn), portable=fn, **kw)


def failures(t: Tables) -> pl.DataFrame:
    """Every portable rule's failing rows on polars, shaped as Spark returns them.

    (table, key, column, rule): the key is the primary key's values joined by " + ", as
    `spark_checks.validate` writes it, so the two engines' answers compare row for row.
    """
    from ...schemas import tables as ts
    from .catalogue import catalogue

    tables = lazy_tables(t)
    parts = []
    for rule in catalogue():
        if rule.portable is None or rule.table not in tables:
            continue
        pk = ts.primary_key(rule.table)
        key = nw.concat_str([nw.col(c).cast(nw.String).fill_null("") for c in pk], separator=" + ")
        rows = rule.portable(tables[rule.table], tables).select(key.alias("key")).collect()
        parts.append(
            rows.to_native().with_columns(
                table=pl.lit(rule.table), column=pl.lit(rule.column), rule=pl.lit(rule.name)
            )
        )
    columns = ["table", "key", "column", "rule"]
    if not parts:
        return pl.DataFrame(schema=dict.fromkeys(columns, pl.String))
    return pl.concat(parts).select(columns)
