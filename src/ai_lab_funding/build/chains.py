"""Follow chains of one link per row (an investor's parent, the round a round extends).

Both the derivation (ultimate parents) and the rules (cycles) walk such chains over tens of
thousands of rows, so the walk is pointer doubling over row positions: each step replaces
every row's pointer by its pointer's pointer, and log2(n) vectorised lookups reach the end
of every chain, or go round its cycle, whatever the chains' lengths.
"""

from __future__ import annotations

import numpy as np
import polars as pl

_AT = "__at"


def link_targets(df: pl.DataFrame, key: str, link: str) -> np.ndarray:
    """Row position of the row each row's `link` names, or -1 when it names none.

    A duplicated key stands for its first row; a link to a key no row has counts as none.
    """
    first = df.select(pl.col(key).alias(link)).with_row_index(_AT).unique(link, keep="first")
    at = df.select(link).join(first, on=link, how="left", maintain_order="left")[_AT]
    return at.cast(pl.Int64).fill_null(-1).to_numpy()


def jump(step: np.ndarray) -> np.ndarray:
    """Where each row's chain of `step` pointers leads after at least len(step) links.

    A row that points to itself stays there, so a chain that ends at such a row has reached
    it; a chain that enters a cycle is somewhere on that cycle.
    """
    for _ in range(max(1, len(step).bit_length())):
        nxt = step[step]
        if np.array_equal(nxt, step):
            break
        step = nxt
    return step
