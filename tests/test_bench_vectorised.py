"""The benchmark's lower bound checks what it claims: a clean set passes, each kind of defect is counted by every engine."""

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


def _enum(folder: Path) -> None:
    edit(folder, "rounds", ROUND, "status", "done")


def _impossible_day(folder: Path) -> None:
    edit(folder, "rounds", ROUND, "announced_on", "2025-02-30")


def _not_a_number(folder: Path) -> None:
    edit(folder, "rounds", ROUND, "amount", "1,000")


def _foreign_key(folder: Path) -> None:
    edit(folder, "rounds", ROUND, "company_id", "no-such-company")


def _codelist(folder: Path) -> None:
    edit(folder, "rounds", ROUND, "currency", "ABC")


def _duplicate_key(folder: Path) -> None:
    add_row(folder, "rounds", **rows(folder, "rounds")[0])


def _composite_key(folder: Path) -> None:
    add_row(folder, "round_investors", **rows(folder, "round_investors")[0])


def _minimum(folder: Path) -> None:
    edit(folder, "rounds", ROUND, "amount", "-5")


@pytest.mark.parametrize("plant", [_enum, _impossible_day, _not_a_number, _foreign_key, _codelist, _duplicate_key, _composite_key, _minimum],
                         ids=lambda f: f.__name__.strip("_"))
@pytest.mark.parametrize("engine", ENGINES, ids=lambda f: f.__name__)
def test_each_planted_defect_is_counted(curated: Path, engine, plant) -> None:
    plant(curated)
    assert engine(curated) > 0
