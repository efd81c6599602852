"""The benchmark's lower bound checks what it claims.

A clean set passes, and every engine counts each kind of defect.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import add_row, edit, rows

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import vectorised  # noqa: E402

ENGINES = [vectorised.polars_failures, vectorised.duckdb_failures, vectorised.pyarrow_failures]
ROUND = ("round_id", "moonshot-ai-2025-12-series-c")


@pytest.mark.parametrize("engine", ENGINES, ids=lambda f: f.__name__)
def test_the_valid_fixture_has_no_failures(curated: Path, engine) -> None:
    assert engine(curated) == 0


# One edited cell of a round breaks one rule: (column, new value).
CELLS = [
    pytest.param("status", "done", id="enum"),
    pytest.param("announced_on", "2025-02-30", id="impossible_day"),
    pytest.param("amount", "1,000", id="not_a_number"),
    pytest.param("company_id", "no-such-company", id="foreign_key"),
    pytest.param("currency", "ABC", id="codelist"),
    pytest.param("amount", "-5", id="minimum"),
]


@pytest.mark.parametrize(("column", "value"), CELLS)
@pytest.mark.parametrize("engine", ENGINES, ids=lambda f: f.__name__)
def test_each_planted_cell_defect_is_counted(
    curated: Path, engine, column: str, value: str
) -> None:
    edit(curated, "rounds", ROUND, column, value)
    assert engine(curated) > 0


@pytest.mark.parametrize(
    "table", ["rounds", "round_investors"], ids=["duplicate_key", "composite_key"]
)
@pytest.mark.parametrize("engine", ENGINES, ids=lambda f: f.__name__)
def test_a_row_pasted_twice_is_counted(curated: Path, engine, table: str) -> None:
    add_row(curated, table, **rows(curated, table)[0])
    assert engine(curated) > 0
