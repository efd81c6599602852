"""The registry of facts, and the foreign key from every report to the fact it is about."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import FIXTURE, add_row, edit, problems_of

from ai_lab_funding import paths
from ai_lab_funding.cli import main
from ai_lab_funding.release.publish import compile_release
from ai_lab_funding.schemas import tables as ts

KEY = ["fact_table", "fact_id"]
GHOST = "moonshot-ai-1999-01-nothing"


@pytest.fixture(scope="module")
def built() -> dict[str, pd.DataFrame]:
    return compile_release(FIXTURE).tables


def test_the_registry_lists_every_fact_exactly_once(built):
    facts = built["facts"]
    assert not facts.duplicated(KEY).any()
    expected = pd.concat(
        pd.DataFrame(
            {
                "fact_table": table,
                "fact_id": built[table][ts.fact_key(table)],
                "company_id": built[table]["company_id"],
            }
        )
        for table in ts.fact_tables()
    )
    assert set(facts["fact_table"]) == set(ts.fact_tables())
    got = facts[[*KEY, "company_id"]].sort_values(KEY).reset_index(drop=True)
    assert got.equals(expected.sort_values(KEY).reset_index(drop=True))


def test_the_registry_counts_each_facts_accepted_reports(built):
    reports = built["reports"]
    accepted = reports[reports["verdict"] == "accepted"].groupby(KEY).size()
    facts = built["facts"].set_index(KEY)
    counts = facts["accepted_report_count"]
    assert (counts == accepted.reindex(facts.index, fill_value=0)).all()
    assert counts.sum() == accepted.sum()  # every accepted report is counted on its fact
    assert counts.loc[("rounds", "moonshot-ai-2025-12-series-c")] > 1


def test_a_fact_no_accepted_report_backs_counts_none(curated):
    report, claim = ("report_id", "seed-000-kimi-700m-03"), "moonshot-ai-cum-seed-000-kimi-700m"
    edit(curated, "reports", report, "verdict", "unresolved")
    edit(curated, "reports", report, "reason", "unverified")
    facts = compile_release(curated).tables["facts"].set_index(KEY)
    assert facts.loc[("cumulative_claims", claim), "accepted_report_count"] == 0


def test_facts_lists_the_tables_reports_may_name_and_reports_reference_it():
    assert ts.enum_fields("facts")["fact_table"] == list(ts.fact_tables())
    assert (KEY, "facts", KEY) in ts.references("reports")
    order = ts.TABLE_ORDER
    assert all(
        order.index(t) < order.index("facts") < order.index("reports") for t in ts.fact_tables()
    )


def _report_on(curated: Path, fact_table: str, fact_id: str) -> int:
    return add_row(
        curated,
        "reports",
        report_id="x-01",
        source_id="seed-000-kimi-700m",
        fact_table=fact_table,
        fact_id=fact_id,
        field="amount",
        value_as_reported="$1 million",
        verdict="rejected",
        reason="unverified",
    )


def _fact_problems(curated: Path, line: int) -> list:
    return [
        p
        for p in problems_of(curated)
        if p.rule == "foreign_key" and p.file.endswith("reports.csv") and p.line == line
    ]


@pytest.mark.parametrize(
    "fact_table,fact_id",
    [
        ("rounds", GHOST),
        # The id exists, as a round: only the whole key (table and id) finds it missing.
        ("metrics", "moonshot-ai-2025-12-series-c"),
    ],
)
def test_a_report_on_a_fact_that_does_not_exist_fails_once(curated, fact_table, fact_id):
    line = _report_on(curated, fact_table, fact_id)
    [p] = _fact_problems(curated, line)
    assert (p.column, p.value, p.severity) == ("fact_id", fact_id, "error")
    assert p.message == "no facts row has this fact_table and fact_id"
    assert p.hint == f"fact_table is '{fact_table}'"
    assert f"reports.csv:{line}:fact_id: foreign_key:" in str(p)


def test_a_dangling_fact_is_found_even_when_nothing_could_be_derived(curated):
    # An unreadable cell stops the build before it derives `facts`; the key is still checked.
    line = _report_on(curated, "rounds", GHOST)
    edit(curated, "rounds", ("round_id", "moonshot-ai-2025-12-series-c"), "amount", "1,000")
    assert [p.column for p in _fact_problems(curated, line)] == ["fact_id"]


def test_a_fact_of_an_unknown_company_is_reported_on_its_own_file_only(curated):
    line = edit(curated, "rounds", ("round_id", "moonshot-ai-2025-12-series-c"), "company_id", "x")
    found = [p for p in problems_of(curated) if p.rule == "foreign_key"]
    assert [(Path(p.file).name, p.line, p.column) for p in found] == [
        ("rounds.csv", line, "company_id")
    ]


def _frictionless_errors(folder: Path) -> list[tuple[str, str, str]]:
    """(table, error type, message) of every error the Frictionless command line reports."""
    exe = Path(sys.executable).parent / "frictionless"
    cli = str(exe if exe.exists() else shutil.which("frictionless"))
    res = subprocess.run(
        [cli, "validate", "--json", "datapackage.json"],
        cwd=folder,
        capture_output=True,
        text=True,
    )
    report = json.loads(res.stdout)
    assert (res.returncode == 0) == report["valid"]
    return [(t["name"], e["type"], e["message"]) for t in report["tasks"] for e in t["errors"]]


def test_frictionless_checks_the_composite_foreign_key(released):
    assert _frictionless_errors(released) == []
    path = released / "data" / "reports.csv"
    text = path.read_text(encoding="utf-8")
    # A report on a round, moved to a metric of the same id: every column is still valid.
    moved = ",metrics,moonshot-ai-2025-12-series-c,"
    planted = text.replace(",rounds,moonshot-ai-2025-12-series-c,", moved, 1)
    assert planted != text
    path.write_text(planted, encoding="utf-8")
    keys = [m for t, kind, m in _frictionless_errors(released) if kind == "foreign-key"]
    assert len(keys) == 1 and '"metrics, moonshot-ai-2025-12-series-c"' in keys[0]
    assert 'lookup table "facts"' in keys[0]


def test_sqlite_and_duckdb_exports_hold_the_registry(fixture_release, tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "release_dir", lambda: fixture_release)
    db = tmp_path / "db.sqlite"
    assert main(["export", "--format", "sqlite", str(db)]) == 0
    with sqlite3.connect(db) as con:
        facts = con.execute("SELECT count(*) FROM facts").fetchone()[0]
        # Every report finds its fact by the two columns.
        dangling = con.execute(
            "SELECT count(*) FROM reports r LEFT JOIN facts f "
            "ON f.fact_table = r.fact_table AND f.fact_id = r.fact_id WHERE f.fact_id IS NULL"
        ).fetchone()[0]
    assert facts == len(pd.read_csv(fixture_release / "data" / "facts.csv"))
    assert facts > 0 and dangling == 0
    duck = tmp_path / "db.duckdb"
    assert main(["export", "--format", "duckdb", str(duck)]) == 0
    import duckdb

    with duckdb.connect(str(duck)) as con:
        assert con.execute("SELECT count(*) FROM facts").fetchone()[0] == facts
