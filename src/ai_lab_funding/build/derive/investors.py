"""Derive each investor's ultimate parent: the top of its chain of `parent_investor_id`.

Exposure through funds and arms (Meituan behind its Long-Z fund) is then one group-by
on `ultimate_parent_id` instead of a walk up the parents in every query.

This runs before the rules, so it sees the links the rules will refuse: an unknown
parent, an investor that is its own parent, a cycle, a duplicated id. None of them may
loop or crash here, and none is reported here either (the rules name them, as
`foreign_key`, `self_parent`, `parent_cycle`, `unique`). The walk is pointer doubling
over row positions, as in the rules' cycle check: each step replaces every row's
pointer by its pointer's pointer, so a chain of n links needs log2(n) vectorised
lookups, whatever the number of investors, and a cycle cannot keep it going longer.
"""

from __future__ import annotations

import numpy as np
import polars as pl

_AT = "__at"


def _parent_positions(investors: pl.DataFrame) -> np.ndarray:
    """Position of each row's parent, or the row's own position when it has no known parent.

    A parent that names no investor is treated as no parent: the chain stops at the last
    investor that exists. A duplicated id stands for its first row.
    """
    ids = investors.select(pl.col("investor_id").alias("parent_investor_id")).with_row_index(_AT)
    first = ids.unique("parent_investor_id", keep="first")
    parent = (
        investors.select("parent_investor_id")
        .join(first, on="parent_investor_id", how="left", maintain_order="left")[_AT]
        .cast(pl.Int64)
    )
    own = np.arange(investors.height, dtype=np.int64)
    return np.where(parent.is_null().to_numpy(), own, parent.fill_null(0).to_numpy())


def ultimate_parent_positions(investors: pl.DataFrame) -> np.ndarray:
    """Position of each row's top investor, or -1 when its chain runs into a cycle.

    A top is a row that points to itself because it has no (known) parent. After k
    doublings a row points 2**k links up its chain, or to its top if that is nearer, so
    after log2(n) of them every chain that ends has reached its top. A row that names
    itself as parent also points to itself, but it is not a top: it is a cycle of one.
    """
    up = _parent_positions(investors)
    own = np.arange(len(up), dtype=np.int64)
    top_row = up == own
    top_row &= (
        ~investors.select(pl.col("parent_investor_id").eq(pl.col("investor_id")).fill_null(False))
        .to_series()
        .to_numpy()
    )
    for _ in range(max(1, len(up).bit_length())):
        nxt = up[up]
        if np.array_equal(nxt, up):
            break
        up = nxt
    return np.where(top_row[up], up, -1)


def derive_investors(investors: pl.DataFrame) -> pl.DataFrame:
    """Investors with `ultimate_parent_id`: itself for a top, empty on or behind a cycle."""
    at = ultimate_parent_positions(investors)
    top = investors["investor_id"].gather(np.maximum(at, 0))
    return investors.with_columns(pl.when(pl.Series(at >= 0)).then(top).alias("ultimate_parent_id"))
