"""The Table Schemas' rules run on Spark: clean synthetic tables pass, planted defects are named."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from ai_lab_funding.build import spark_checks

# Enough rows for several partitions per table; scale itself is measured by bench/, not here.
ROUNDS = 20_000

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def synthetic_rounds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sys.path.insert(0, str(ROOT / "bench"))
    from generate import generate

    folder = tmp_path_factory.mktemp("synthetic") / "curated"
    counts = generate(ROUNDS, folder)
    assert counts["rounds"] == ROUNDS
    return folder


def _failures(spark, frames, curated=True) -> list[tuple]:
    """The errors: (table, key, column, rule, value); warnings (orphans) do not fail a build."""
    found = spark_checks.validate(spark, frames, curated).where("severity = 'error'")
    return [tuple(r)[:5] for r in found.collect()]


def test_synthetic_rounds_passes_and_planted_defects_are_named(spark, synthetic_rounds):
    frames = spark_checks.read_curated(spark, synthetic_rounds)
    assert frames["rounds"].count() == ROUNDS
    assert _failures(spark, frames) == []

    # Only the tables the defects touch, to keep the second pass short.
    rounds = frames["rounds"]
    good = rounds.where("round_id = 'r-0'").first().asDict()
    bad_rows = [
        good,  # the same round again
        {
            **good,
            "round_id": "r-bad",
            "status": "done",
            "company_id": "co-missing",
            "amount": "1,000",
            "announced_on": "2024-02-30",
            "currency": "ABC",
            "extension_of": "r-nowhere",
            "confidence": None,
        },
        {**good, "round_id": "Bad Id", "amount": "-5", "valuation_currency": "usd"},
    ]
    frames = {
        "rounds": rounds.unionByName(spark.createDataFrame(bad_rows, rounds.schema)),
        "companies": frames["companies"],
    }
    failures = _failures(spark, frames)
    found = {(key, column, rule) for table, key, column, rule, _ in failures}
    assert found == {
        ("r-0", "round_id", "unique"),  # both copies
        ("r-bad", "status", "enum"),
        ("r-bad", "company_id", "foreign_key"),
        ("r-bad", "amount", "type"),
        ("r-bad", "announced_on", "type"),
        ("r-bad", "currency", "codelist"),
        ("r-bad", "extension_of", "foreign_key"),
        ("r-bad", "confidence", "required"),
        ("Bad Id", "round_id", "pattern"),
        ("Bad Id", "amount", "minimum"),
        ("Bad Id", "valuation_currency", "pattern"),
        ("Bad Id", "valuation_currency", "codelist"),
    }
    assert [f[:4] for f in failures if f[3] == "unique"] == [
        ("rounds", "r-0", "round_id", "unique")
    ] * 2


def test_missing_column_and_composite_key(spark, synthetic_rounds):
    frames = spark_checks.read_curated(spark, synthetic_rounds)
    ri = frames["round_investors"]
    frames = {
        "round_investors": ri.unionByName(ri.limit(1)),
        "sources": frames["sources"].drop("kind"),
    }
    found = {(table, column, rule) for table, _, column, rule, _ in _failures(spark, frames)}
    assert found == {
        ("round_investors", "round_id+investor_id", "duplicate_key"),
        ("sources", "kind", "missing_column"),
    }


def test_release_parquet_passes_with_derived_columns(spark):
    frames = spark_checks.read_release(spark, ROOT)
    assert set(frames) == set(spark_checks.ts.table_names())
    assert _failures(spark, frames, curated=False) == []
