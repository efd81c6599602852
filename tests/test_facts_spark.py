"""On Spark too, a report must name a fact that exists: the whole key, table and id."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURE

from ai_lab_funding.build import spark_checks

ROUND = "moonshot-ai-2025-12-series-c"


def _with_misplaced_report(spark, frames: dict) -> dict:
    """`frames` with one more report: on a metric whose id is a round's."""
    reports = frames["reports"]
    row = reports.where(f"fact_id = '{ROUND}'").first().asDict()
    bad = {**row, "report_id": "x-01", "fact_table": "metrics"}
    return {**frames, "reports": reports.unionByName(spark.createDataFrame([bad], reports.schema))}


def _foreign_keys(spark, frames: dict, curated: bool) -> list[tuple]:
    failures = spark_checks.validate(spark, frames, curated).collect()
    return [
        (r["table"], r["key"], r["column"], r["value"])
        for r in failures
        if r["rule"] == "foreign_key"
    ]


@pytest.mark.parametrize("curated", [True, False], ids=["curated", "release"])
def test_spark_checks_the_report_to_fact_key_whole(spark, fixture_release: Path, curated):
    if curated:  # no `facts` yet: the fact tables stand in for it
        frames = spark_checks.read_curated(spark, FIXTURE)
    else:
        frames = spark_checks.read_release(spark, fixture_release)
        assert frames["facts"].count() > 0
    # One query: the misplaced report must be the only broken link, so every other one holds.
    planted = _with_misplaced_report(spark, frames)
    assert _foreign_keys(spark, planted, curated) == [("reports", "x-01", "fact_id", ROUND)]
