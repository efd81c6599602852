"""Run the rules: the Table Schemas' column constraints and the catalogue, on Pandera.

What a rule says lives in `catalogue` and `columns`; how it runs lives here. The build
validates polars frames on Pandera's polars backend; `validate_frame` checks a user's own
pandas frame with the same column schema.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import pandas as pd
import polars as pl

from ...problems import InvalidData, Problem, Severity
from ...schemas import tables as ts
from . import wording
from .base import Detail, Rule, Tables, forget
from .catalogue import rules_of
from .columns import backend, table_schema


def _verdict(rule: Rule, table: str, tables: Tables) -> pl.Series:
    ok = rule.check(tables[table], tables)
    if len(ok) != tables[table].height:  # a join that multiplied rows would shift every verdict
        raise RuntimeError(
            f"rule {rule.name}:{rule.column} on {table} returned {len(ok)} verdicts "
            f"for {tables[table].height} rows"
        )
    return ok


def _catalogue_schema(table: str, rules: list[Rule], verdicts: dict[int, pl.Series]) -> Any:
    """A Pandera schema whose checks are the catalogue rules on `table`, with their verdicts."""
    pandera = backend("polars")

    def check(rule: Rule) -> Any:
        return pandera.Check(
            lambda data: data.lazyframe.select(pl.lit(verdicts[id(rule)]).alias(rule.name)),
            name=wording.check_name(rule),
        )

    return pandera.DataFrameSchema(checks=[check(r) for r in rules], name=table)


def _polars_cell(df: pl.DataFrame) -> Callable[[object, str], object]:
    def value_at(pos: object, column: str) -> object:
        if column not in df.columns or not 0 <= int(pos) < df.height:
            raise KeyError(column)
        return df[column][int(pos)]

    return value_at


def _detail_of(detail: Detail, table: str, tables: Tables) -> Callable[[object], str]:
    """A rule's text for the row at a position, computed once and only if asked for."""

    @cache
    def texts() -> list[Any]:
        return detail(tables[table], tables).to_list()

    def at(pos: object) -> str:
        return str(texts()[int(pos)] or "")

    return at


def _run(
    schema: Any,
    df: Any,
    place: wording.Place,
    rules: list[Rule] | None = None,
    tables: Tables | None = None,
) -> list[Problem]:
    """Validate `df` with `schema`; every failure as a Problem."""
    try:
        schema.validate(df, lazy=True)
    except backend("polars").errors.SchemaErrors as e:
        fc = e.failure_cases
        fc = fc if isinstance(fc, pd.DataFrame) else fc.to_pandas()
        rules = rules or []
        details = {
            wording.check_name(r): _detail_of(r.detail, place.table, tables or {})
            for r in rules
            if r.detail is not None
        }
        return wording.problems(fc, place, {wording.check_name(r): r for r in rules}, details)
    return []


def validate_tables(
    tables: Tables,
    file_of: Callable[[str], str],
    line_of: Callable[[str, int], int],
    curated: bool = False,
) -> list[Problem]:
    """Every column, table and cross-table rule over `tables`; all problems, not the first.

    `file_of(table)` names a table's file; `line_of(table, pos)` gives the editor line
    of the row at position `pos`. The catalogue runs only when every curated table is
    there, since its rules read across tables.
    """

    def place(table: str, severity: Severity) -> wording.Place:
        return wording.Place(
            table,
            file_of(table),
            _polars_cell(tables[table]),
            lambda pos: line_of(table, int(pos)),
            severity,
        )

    found: list[Problem] = []
    for table in tables:
        schema = table_schema(table, curated=curated, engine="polars")
        found += _run(schema, tables[table], place(table, "error"))
    if not all(t in tables for t in ts.curated_tables()):
        return found
    try:
        for table in tables:
            for severity in ("error", "warning"):
                rules = [r for r in rules_of(table) if r.severity == severity]
                verdicts = {id(r): _verdict(r, table, tables) for r in rules}
                # Pandera turns failures into failure cases; a rule every row passes has
                # none, so only the others go through it (most builds: none at all). A gap
                # in a verdict is Pandera's to judge, so it sends the rule there too.
                failed = [r for r in rules if not verdicts[id(r)].fill_null(False).all()]
                if failed:
                    schema = _catalogue_schema(table, failed, verdicts)
                    found += _run(schema, tables[table], place(table, severity), rules, tables)
    finally:
        forget()
    return found


def validate_frame(df: pd.DataFrame, table: str) -> pd.DataFrame:
    """Check a user's own pandas frame against the column schema the build uses.

    Columns the build derives may be left out (then the curated schema applies).
    Returns the validated frame; raises InvalidData listing every problem.
    """
    curated = not any(f["name"] in df.columns for f in ts.fields(table) if f.get("x-derived"))
    frame = df.copy()
    for name in ts.enum_fields(table):
        if name in frame and isinstance(frame[name].dtype, pd.CategoricalDtype):
            frame[name] = frame[name].astype("str").where(frame[name].notna(), None)

    def value_at(i: object, column: str) -> object:
        if i not in frame.index or column not in frame.columns:
            raise KeyError(column)
        return frame.at[i, column]

    def line_of(i: object) -> int:
        return int(i) + 2 if isinstance(i, int) else 0

    schema = table_schema(table, curated=curated)
    try:
        return schema.validate(frame, lazy=True)
    except backend("pandas").errors.SchemaErrors as e:
        place = wording.Place(table, f"<{table}>", value_at, line_of)
        raise InvalidData(wording.problems(e.failure_cases, place)) from None
