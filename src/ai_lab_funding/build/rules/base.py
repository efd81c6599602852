"""What a rule is, and the polars expressions the rules are written in.

A rule is data: its name, the table and column it speaks about, its severity, whether it
is a follow-up of an unreadable cell, and its check. A check takes the table's frame and
all tables and returns a boolean Series, True where the row is fine. Every check is a
handful of vectorised column operations, so a million rounds cost what the data costs.

Null semantics are pandas' on purpose: a comparison with a missing value is False, and
`!=` a missing value is True, so every comparison spells out what a gap means.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import polars as pl

from ...problems import Severity

T = TypeVar("T")
Tables = dict[str, pl.DataFrame]
Check = Callable[[pl.DataFrame, Tables], pl.Series]
# Per-row text that says which other row or value a failing row conflicts with.
Detail = Callable[[pl.DataFrame, Tables], pl.Series]

_ROW = "__row"


@dataclass(frozen=True)
class Rule:
    """One cross-field or cross-table rule of the catalogue.

    `followup` is True for a rule that fails whenever a cell it reads could not be read
    (the reader turned it into a gap): its problem then only restates the reader's and
    is dropped next to it. `detail`, if given, returns a text per row (the other row a
    duplicate or a look-alike name matches, the cycle a row is on); the problem shows it
    as its hint. It runs only when the rule failed somewhere. `portable`, if given, is the
    same rule written once on Narwhals (see `portable`): `check` is then made from it, and
    Spark runs it too.
    """

    name: str
    table: str
    column: str
    message: str
    check: Check
    severity: Severity = "error"
    followup: bool = False
    detail: Detail | None = None
    portable: Callable[..., object] | None = None


# One result per name, with the frames it was computed from (see `remembered`).
_LAST: dict[str, tuple[tuple[pl.DataFrame, ...], object]] = {}


def remembered(name: str, frames: tuple[pl.DataFrame, ...], compute: Callable[[], T]) -> T:
    """`compute()`, or its last result under `name` if it was computed from these very frames.

    A rule's check and its detail (or two rules) that need the same costly result ask
    for it by name; frames are compared by identity and held, so an id is never reused.
    """
    last = _LAST.get(name)
    if last is not None and len(last[0]) == len(frames):
        if all(a is b for a, b in zip(last[0], frames, strict=True)):
            return last[1]  # type: ignore[return-value]
    value = compute()
    _LAST[name] = (frames, value)
    return value


def forget() -> None:
    """Drop every remembered result, and with it the frames it was computed from.

    The runner calls it when a validation ends, so no table outlives the validation here.
    """
    _LAST.clear()


def verdict(df: pl.DataFrame, expr: pl.Expr | bool) -> pl.Series:
    """Evaluate `expr` on `df` as a rule's verdict; a missing verdict counts as a failure."""
    if isinstance(expr, bool):
        return pl.Series("ok", np.full(df.height, expr))
    return df.select(expr.fill_null(False).alias("ok"))["ok"]


def isin(df: pl.DataFrame, cols: str | list[str], allowed: pl.Series | pl.DataFrame) -> pl.Expr:
    """True where the row's value (or tuple of values) is in `allowed`; a missing value never is.

    A semi-join on row numbers: at three million reports it is several times faster than
    `is_in`, which hashes the lookup set and the values one expression at a time.
    """
    cols = [cols] if isinstance(cols, str) else cols
    if isinstance(allowed, pl.Series):
        keys = allowed.to_frame(cols[0])
    else:
        keys = allowed.select(cols)
    keys = keys.with_columns(pl.col(c).cast(df.schema[c]) for c in cols)
    hit = (
        df.lazy()
        .select(cols)
        .with_row_index(_ROW)
        .join(keys.lazy(), on=cols, how="semi")
        .select(_ROW)
        .collect()[_ROW]
    )
    mask = np.zeros(df.height, dtype=bool)
    mask[hit.to_numpy()] = True
    return pl.lit(pl.Series(mask))


def failing_rows(height: int, rows: pl.Series) -> pl.Series:
    """A verdict that is False at the row positions `rows` and True elsewhere."""
    ok = np.ones(height, dtype=bool)
    ok[rows.to_numpy()] = False
    return pl.Series("ok", ok)


def texts_at(height: int, rows: pl.Series, texts: pl.Series) -> pl.Series:
    """A rule's detail: `texts` at the row positions `rows`, empty elsewhere."""
    empty = pl.Series("detail", [None] * height, dtype=pl.String)
    return empty.scatter(rows, texts.cast(pl.String)) if len(rows) else empty


def present(col: str) -> pl.Expr:
    """The cell holds a value."""
    return pl.col(col).is_not_null()


def missing(col: str) -> pl.Expr:
    """The cell is empty."""
    return pl.col(col).is_null()


def equals(col: str, value: str) -> pl.Expr:
    """The cell holds `value` (never true for a gap)."""
    return pl.col(col).eq_missing(value)


def paired(value: str, other: str) -> pl.Expr:
    """Both cells are filled or both are empty."""
    return missing(value) == missing(other)


def at_least(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    """A >= b, False where either is missing."""
    return (a >= b).fill_null(False)


def accepted(t: Tables, fact_table: str, field: str | None = None) -> pl.DataFrame:
    """The accepted reports on `fact_table` (and on one of its fields, if given)."""
    m = (pl.col("verdict") == "accepted") & (pl.col("fact_table") == fact_table)
    if field:
        m &= pl.col("field") == field
    return t["reports"].filter(m)
