"""Read one curated CSV into a typed polars DataFrame, keeping the editor line of every row.

Every structural and type defect becomes a `Problem` naming file, line and column, so a
contributor sees all of them at once. `rows` reads the file's bytes, header and rows
(pyarrow); `cells` checks and types every cell (polars). Both are vectorised because the
same reader validates contributions of any size.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl

from ...problems import Problem
from ...schemas import tables as ts
from ..frames import to_pandas
from .cells import convert
from .rows import (
    bytes_problems,
    display_path,
    header_problems,
    read_plain_file,
    read_pool,
    read_rows,
)

__all__ = ["CuratedTable", "display_path", "read_curated", "read_table"]


@dataclass(frozen=True)
class CuratedTable:
    """A curated table's typed columns, in schema order, and the editor line of each row."""

    frame: pl.DataFrame
    lines: np.ndarray


def read_table(path: Path, table: str) -> tuple[CuratedTable | None, list[Problem]]:
    """The curated table as polars with its rows' editor lines, and every problem found.

    The table is None when the file cannot be read as a table at all.
    """
    name = display_path(path)
    if not os.path.lexists(path):
        return None, [Problem(name, 0, "", "missing_file", f"curated table {table!r} not found")]
    data, refused = read_plain_file(path, name)
    if data is None:
        return None, refused
    flds = ts.curated_fields(table)
    expected = [f["name"] for f in flds]
    problems, raw = bytes_problems(name, data)
    del data
    if raw is None:
        return None, problems
    head, header = header_problems(name, raw, expected)
    problems += head
    if header is None:
        return None, problems
    rows = read_rows(name, raw, header)
    del raw  # the file's bytes are freed before the cells are typed
    problems += rows.problems
    if rows.table is None:
        return None, problems
    lines = rows.lines
    typed, cell_problems = convert(name, rows.table.select(expected), lines, flds)
    del rows  # the text cells are freed once typed
    read_pool().release_unused()
    return CuratedTable(typed, lines), problems + cell_problems


def read_curated(path: Path, table: str) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Typed pandas DataFrame of a curated table (index = editor line) and every problem found.

    For callers that want pandas (tests, benchmarks, notebooks); the build stays on polars.
    Returns None for the frame when the file cannot be read as a table at all.
    """
    read, problems = read_table(path, table)
    if read is None:
        return None, problems
    return to_pandas(read.frame, pd.Index(read.lines, name="line")), problems
