"""What the derivation steps share: where problems go, rounding, USD conversion.

Problems are named by the file and line a contributor edits; figures are rounded the
way numpy rounds, so every released figure keeps exactly the bits it has always had.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from ...problems import Problem, Severity
from ...schemas import tables as ts
from .fx import FxTable

Tables = dict[str, pl.DataFrame]
# (table, row position) → the line a contributor's editor shows for that row.
LineOf = Callable[[str, int], int]
POS = "__pos"  # a row's position, carried through joins so results land back on their row


@dataclass
class Log:
    """Where derivation problems go, named by the file and line a contributor edits."""

    file_of: Callable[[str], str]
    line_of: LineOf
    problems: list[Problem] = field(default_factory=list)

    def add(
        self,
        table: str,
        pos: int,
        column: str,
        rule: str,
        message: str,
        value: str = "",
        hint: str = "",
        severity: Severity = "error",
    ) -> None:
        """Record a problem on the row at `pos` of `table`."""
        self.problems.append(
            Problem(
                self.file_of(table),
                self.line_of(table, pos),
                column,
                rule,
                message,
                value,
                hint,
                severity,
            )
        )


def rounded(expr: pl.Expr, decimals: int) -> pl.Expr:
    """Numpy's rounding, so every released figure keeps exactly the bits it has always had."""
    return expr.map_batches(
        lambda s: pl.Series(s.name, np.round(s.to_numpy(), decimals)).fill_nan(None),
        return_dtype=pl.Float64,
    )


def usd(
    df: pl.DataFrame,
    fx: FxTable,
    amount: str | pl.Expr,
    currency: str,
    on: str,
    table: str,
    log: Log,
) -> pl.DataFrame:
    """Rate, rate date and USD value per row.

    A missing rate is a problem on that row's line, in the currency column.
    """
    amount = pl.col(amount) if isinstance(amount, str) else amount
    has = amount.is_not_null() & pl.col(currency).is_not_null() & pl.col(on).is_not_null()
    asked = df.select(
        pl.when(has).then(pl.col(currency)).alias("currency"),
        pl.when(has).then(pl.col(on)).alias("on"),
    )
    found = fx.usd_rates(asked["currency"], asked["on"])
    missing = asked.hstack(found).with_row_index(POS).filter(pl.col("error").is_not_null())
    for pos, cur, err in missing.select(POS, "currency", "error").iter_rows():
        log.add(table, pos, currency, "fx_rate", err, cur)
    dollars = df.select(rounded(amount * pl.lit(found["rate"]), 2).alias("usd"))["usd"]
    return found.select("rate", "rate_date").with_columns(usd=dollars)


def fact_id(table: str) -> pl.Expr:
    """A fact table's key as reports name it, on its curated or its derived frame.

    Most fact tables have a one-column key; a ticket is named by its round and investor
    joined (`ts.fact_key_parts`), computed here so the curated frame needs no key column.
    """
    parts = ts.fact_key_parts(table)
    if parts is None:
        return pl.col(ts.fact_key(table))
    cols, sep = parts
    return pl.concat_str([pl.col(c) for c in cols], separator=sep)
