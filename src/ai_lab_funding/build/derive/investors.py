"""Derive each investor's ultimate parent: the top of its chain of `parent_investor_id`.

Exposure through funds and arms (Meituan behind its Long-Z fund) is then one group-by
on `ultimate_parent_id` instead of a walk up the parents in every query.

This runs before the rules, so it sees the links the rules will refuse: an unknown
parent, an investor that is its own parent, a cycle, a duplicated id. None of them may
loop or crash here, and none is reported here either (the rules name them, as
`foreign_key`, `self_parent`, `parent_cycle`, `unique`). The walk is pointer doubling
over row positions (`build.chains`), as in the rules' cycle check, so a cycle cannot keep
it going longer than log2(n) lookups.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from ..chains import jump, link_targets


def ultimate_parent_positions(investors: pl.DataFrame) -> np.ndarray:
    """Position of each row's top investor, or -1 when its chain runs into a cycle.

    A top is a row that points to itself because it has no (known) parent. After k
    doublings a row points 2**k links up its chain, or to its top if that is nearer, so
    after log2(n) of them every chain that ends has reached its top. A row that names
    itself as parent also points to itself, but it is not a top: it is a cycle of one.
    """
    own = np.arange(investors.height, dtype=np.int64)
    parent = link_targets(investors, "investor_id", "parent_investor_id")
    # A parent that names no investor is no parent: the chain stops at the last that exists.
    up = np.where(parent < 0, own, parent)
    top_row = up == own
    top_row &= (
        ~investors.select(pl.col("parent_investor_id").eq(pl.col("investor_id")).fill_null(False))
        .to_series()
        .to_numpy()
    )
    up = jump(up)
    return np.where(top_row[up], up, -1)


def derive_investors(investors: pl.DataFrame) -> pl.DataFrame:
    """Investors with `ultimate_parent_id`: itself for a top, empty on or behind a cycle."""
    at = ultimate_parent_positions(investors)
    top = investors["investor_id"].gather(np.maximum(at, 0))
    return investors.with_columns(pl.when(pl.Series(at >= 0)).then(top).alias("ultimate_parent_id"))
