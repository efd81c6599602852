"""`metrics.period_months` and `metrics.annualised`, from the metric kind and its period.

A figure is only safe to add up or compare when its period is known: six months of
revenue is not a yearly run-rate, and a user count has no period at all.
"""

import json
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import polars as pl
from conftest import FIXTURE, add_row

from ai_lab_funding.build.derive.facts import time_basis, with_periods
from ai_lab_funding.build.validation import validate_curated
from ai_lab_funding.release import docs
from ai_lab_funding.schemas import tables as ts

# metric_id in tests/fixtures/valid/metrics.csv → (period_months, annualised)
FIXTURE_EXPECTED = {
    "moonshot-ai-cash-reserves-2025-12-31": (None, None),
    "moonshot-ai-paying-users-growth-mom-2025-11": (3, False),  # Sep-Nov, month precision
    "moonshot-ai-api-revenue-growth-2025-11": (3, False),
    "moonshot-ai-training-cost-estimate-2026-02-17": (None, None),
    "moonshot-ai-electricity-cost-estimate-2026-02-17": (None, True),  # a yearly cost
    "moonshot-ai-cash-runway-years-2026-02-17": (None, None),
    "moonshot-ai-annualized-revenue-2026-04": (None, True),
}

# (metric_id, metric, period_start, period_end, period_precision) → (months, annualised)
PLANTED = {
    ("h1", "revenue", "2025-01-01", "2025-06-30", "day"): (6, False),
    ("nine-months", "revenue", "2025-01-01", "2025-09-30", "day"): (9, False),
    ("year-by-day", "revenue", "2024-01-01", "2024-12-31", "day"): (12, False),
    ("year-by-month", "revenue", "2024-01-01", "2024-12-01", "month"): (12, False),
    ("year-by-year", "revenue", "2024-01-01", "2024-01-01", "year"): (12, False),
    ("two-quarters", "revenue", "2025-01-01", "2025-04-01", "quarter"): (6, False),
    ("mid-month", "revenue", "2025-01-15", "2025-02-14", "day"): (2, False),
    ("no-start", "revenue", "", "2024-12-31", "day"): (None, False),
    ("run-rate", "annualized_revenue", "2025-01-01", "2025-06-01", "month"): (None, True),
    ("mau-q2", "monthly_active_users", "2025-04-01", "2025-06-01", "month"): (None, None),
    ("valuation", "valuation_secondary", "", "2025-03-01", "month"): (None, None),
}


def _expected(df: pl.DataFrame) -> dict[str, tuple[int | None, bool | None]]:
    return {k: (m, a) for k, m, a in df.select("metric_id", "period_months", "annualised").rows()}


def test_every_metric_kind_has_a_time_basis():
    kinds = ts.enum_fields("metrics")["metric"]
    assert sorted(time_basis()) == sorted(kinds)
    assert set(time_basis().values()) == {"flow", "annual_rate", "point"}


def test_fixture_metrics():
    tables, _ = validate_curated(FIXTURE)
    assert _expected(tables["metrics"]) == FIXTURE_EXPECTED


def test_planted_periods_through_the_build(curated):
    for (metric_id, metric, start, end, precision), _ in PLANTED.items():
        add_row(
            curated,
            "metrics",
            metric_id=metric_id,
            company_id="moonshot-ai",
            metric=metric,
            value="100",
            unit="count",
            qualifier="exact",
            period_start=start,
            period_end=end,
            period_precision=precision,
            confidence="low",
        )
    tables, _ = validate_curated(curated)  # unbacked rows fail the rules, not the derivation
    got = _expected(tables["metrics"])
    assert {k[0]: got[k[0]] for k in PLANTED} == {k[0]: v for k, v in PLANTED.items()}


def test_a_period_ending_before_it_starts_has_no_length():
    df = pl.DataFrame(
        {
            "metric": ["revenue", "revenue", "unknown_kind"],
            "period_start": [date(2025, 3, 1), date(2025, 3, 20), date(2025, 1, 1)],
            "period_end": [date(2025, 1, 31), date(2025, 3, 10), date(2025, 12, 31)],
            "period_precision": ["day", "day", "day"],
        }
    )
    out = with_periods(df)
    assert out["period_months"].to_list() == [None, None, None]
    assert out["annualised"].to_list() == [False, False, None]  # an unknown kind: no answer


def test_the_data_dictionary_shows_each_kinds_time_basis():
    text = docs._constraints(ts.field("metrics", "metric"))
    assert (
        "`annualized_revenue` (annualised revenue run-rate or ARR; time basis `annual_rate`)"
        in (text)
    )
    assert "`revenue` (revenue over the period; time basis `flow`)" in text


def test_release_types_and_frictionless(fixture_release: Path):
    package = json.loads((fixture_release / "datapackage.json").read_text(encoding="utf-8"))
    schemas = {r["name"]: r["schema"] for r in package["resources"]}
    types = {
        (t, f["name"]): f["type"] for t in ("investors", "metrics") for f in schemas[t]["fields"]
    }
    assert types[("metrics", "period_months")] == "integer"
    assert types[("metrics", "annualised")] == "boolean"
    assert types[("investors", "ultimate_parent_id")] == "string"
    metrics = pl.read_parquet(fixture_release / "data" / "metrics.parquet")
    assert metrics.schema["period_months"] == pl.Int64
    assert metrics.schema["annualised"] == pl.Boolean
    csv = pl.read_csv(fixture_release / "data" / "metrics.csv", infer_schema=False)
    assert sorted(csv["annualised"].drop_nulls().unique()) == ["false", "true"]
    exe = Path(sys.executable).parent / "frictionless"
    cli = str(exe if exe.exists() else shutil.which("frictionless"))
    res = subprocess.run(
        [cli, "validate", "datapackage.json"],
        cwd=fixture_release,
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stdout[-2000:]
