"""The valuations table in the real curated set and in a release: files, engines, databases."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import polars as pl
import pyarrow.parquet as pq
import pytest
from conftest import edit, problems_of
from test_facts import _frictionless_errors

from ai_lab_funding import paths
from ai_lab_funding.build.derive.valuations import METRIC_KINDS, ROUND_FIELDS
from ai_lab_funding.build.validation import validate_curated
from ai_lab_funding.cli import main
from ai_lab_funding.loader import to_pandas
from ai_lab_funding.problems import errors
from ai_lab_funding.release.standards import frictionless_problems
from ai_lab_funding.schemas import tables as ts

CURATED = Path(__file__).resolve().parent.parent / "curated"
SERIES_C = "moonshot-ai-2025-12-series-c"


@pytest.fixture(scope="module")
def real() -> dict[str, pl.DataFrame]:
    tables, problems = validate_curated(CURATED)
    assert tables is not None and not errors(problems), errors(problems)[:5]
    return tables


def test_the_real_set_has_one_row_per_valuation_figure(real):
    rounds, metrics, v = real["rounds"], real["metrics"], real["valuations"]
    figures = sum(rounds[c].is_not_null().sum() for c in ROUND_FIELDS)
    figures += metrics["metric"].is_in(list(METRIC_KINDS)).sum()
    assert len(v) == figures and v["valuation_id"].n_unique() == len(v)
    ipos = rounds.filter(
        pl.col("round_type") == "ipo", pl.col("post_money_valuation").is_not_null()
    )
    assert (v["kind"] == "ipo_offer").sum() == len(ipos) > 0
    assert set(v["kind"]) == set(ts.enum_fields("valuations")["kind"])  # each kind is used
    assert v["company_id"].null_count() == v["value_usd"].null_count() == 0


def test_a_built_release_passes_frictionless_with_the_composite_key(released):
    assert _frictionless_errors(released) == []
    path = released / "data" / "valuations.csv"
    text = path.read_text(encoding="utf-8")
    # A round's valuation moved to a metric of the same id: every column is still valid.
    planted = text.replace(f",rounds,{SERIES_C},", f",metrics,{SERIES_C},", 1)
    assert planted != text
    path.write_text(planted, encoding="utf-8")
    # The edited file's size and hash no longer match either; only the key is of interest.
    keys = [(t, m) for t, kind, m in _frictionless_errors(released) if kind == "foreign-key"]
    assert len(keys) == 1 and keys[0][0] == "valuations"
    assert f'"metrics, {SERIES_C}"' in keys[0][1] and 'lookup table "facts"' in keys[0][1]


def test_the_builds_key_check_finds_what_frictionless_finds(released):
    # The build runs Frictionless without the foreign keys (it would read the referenced
    # files again for each key) and checks them itself: the same broken key, by file and line.
    assert frictionless_problems(released) == []
    path = released / "data" / "valuations.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    at = next(i for i, line in enumerate(lines) if f",rounds,{SERIES_C}," in line)
    lines[at] = lines[at].replace(f",rounds,{SERIES_C},", f",metrics,{SERIES_C},")
    path.write_text("\n".join(lines), encoding="utf-8")
    ri = released / "data" / "round_investors.csv"
    ri_lines = ri.read_text(encoding="utf-8").split("\n")
    cells = ri_lines[1].split(",")
    assert ri_lines[0].split(",")[1] == "round_id"
    ri_lines[1] = ",".join([cells[0], "no-such-round", *cells[2:]])
    ri.write_text("\n".join(ri_lines), encoding="utf-8")
    keys = [p for p in frictionless_problems(released) if p.rule == "release_foreign_key"]
    assert [(p.file, p.line, p.column) for p in keys] == [
        ("data/round_investors.csv", 2, "round_id"),
        ("data/valuations.csv", at + 1, "source_table"),
    ]
    assert f"'metrics, {SERIES_C}'" in keys[1].message and "of facts" in keys[1].message
    # Frictionless itself, with the keys, agrees on both.
    found = {t for t, kind, _ in _frictionless_errors(released) if kind == "foreign-key"}
    assert found == {"valuations", "round_investors"}


def test_the_parquet_loads_with_the_schemas_types(fixture_release):
    table = pq.read_table(fixture_release / "data" / "valuations.parquet")
    df = to_pandas(table, "valuations")
    assert list(df.columns) == [f["name"] for f in ts.fields("valuations")]
    assert str(df["valued_on"].dtype) == "datetime64[s]"
    assert list(df["kind"].cat.categories) == ts.enum_fields("valuations")["kind"]
    assert df["value_usd"].dtype == "float64" and df["value_usd"].notna().all()
    assert list(df["valuation_id"]) == sorted(df["valuation_id"])
    csv = pd.read_csv(fixture_release / "data" / "valuations.csv")
    assert list(csv["valuation_id"]) == list(df["valuation_id"])


def test_the_sqlite_export_holds_the_valuations(fixture_release, tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "release_dir", lambda: fixture_release)
    db = tmp_path / "db.sqlite"
    assert main(["export", "--format", "sqlite", str(db)]) == 0
    with sqlite3.connect(db) as con:
        rows = con.execute(
            "SELECT v.valuation_id, v.basis FROM valuations v JOIN facts f "
            "ON f.fact_table = v.source_table AND f.fact_id = v.source_id "
            "WHERE v.company_id = 'moonshot-ai' ORDER BY v.valued_on, v.valuation_id"
        ).fetchall()
    assert rows[:2] == [
        (f"{SERIES_C}:post_money", "reported"),
        (f"{SERIES_C}:pre_money", "implied_pre"),
    ]
    assert len(rows) == len(pd.read_csv(fixture_release / "data" / "valuations.csv")) == 6


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("company_id", "no-such-company"),
        ("announced_on", ""),
        ("round_id", "moonshot-ai-2026-05-round"),
    ],
)
def test_a_defect_in_a_round_is_reported_on_its_own_file_only(curated, column, value):
    # An unknown company, a missing date, a repeated key: each is the round's error alone.
    edit(curated, "rounds", ("round_id", SERIES_C), column, value)
    files = {Path(p.file).name for p in problems_of(curated)}
    assert "rounds.csv" in files and "valuations.csv" not in files
