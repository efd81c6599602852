"""The command line as contributors' CI and users call it: messages, exit codes, exports, diffs."""

import sqlite3

import pytest
from conftest import edit

from ai_lab_funding.cli import main
from ai_lab_funding.cli.data import diff_releases
from ai_lab_funding.release.publish import build


def test_info(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert "rounds" in out and "sha256:" in out and "CC-BY-4.0" in out


def test_validate_good_folder_and_release(curated, capsys):
    assert main(["validate", str(curated)]) == 0
    assert main(["validate", "."]) == 0


def test_validate_reports_every_error_with_its_place(curated, capsys):
    l1 = edit(curated, "rounds", ("round_id", "moonshot-ai-2025-12-series-c"), "currency", "US$")
    l2 = edit(
        curated, "rounds", ("round_id", "moonshot-ai-2026-05-round"), "amount", "2,000,000,000"
    )
    assert main(["validate", str(curated)]) == 1
    out = capsys.readouterr().out
    assert f"rounds.csv:{l1}:currency: pattern:" in out
    assert (
        f"rounds.csv:{l2}:amount: type: not a number ('2,000,000,000'); "
        "remove the thousands separators" in out
    )


def test_validate_single_csv(curated, capsys):
    edit(curated, "investors", ("investor_id", "tencent"), "investor_type", "VC")
    assert main(["validate", str(curated / "investors.csv")]) == 1
    assert "investors.csv:3:investor_type: enum:" in capsys.readouterr().out


def test_validate_single_parquet(capsys):
    assert main(["validate", "data/rounds.parquet"]) == 0


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as e:
        main(["export", "--format", "xlsx", "x"])
    assert e.value.code == 2
    assert main(["validate", "/no/such/path"]) == 2


def test_export_sqlite_duckdb_csv(tmp_path):
    assert main(["export", "--format", "sqlite", str(tmp_path / "db.sqlite")]) == 0
    with sqlite3.connect(tmp_path / "db.sqlite") as con:
        n = con.execute("select count(*) from rounds where announced_on like '20%'").fetchone()[0]
    assert n > 0
    assert main(["export", "--format", "duckdb", str(tmp_path / "db.duckdb")]) == 0
    import duckdb

    assert (
        duckdb.connect(str(tmp_path / "db.duckdb"))
        .execute("select count(*) from reports")
        .fetchone()[0]
        > 0
    )
    assert main(["export", "--format", "csv", str(tmp_path / "csv")]) == 0
    assert (tmp_path / "csv" / "rounds.csv").read_bytes() == open("data/rounds.csv", "rb").read()


def test_diff_counts_added_removed_changed(curated, tmp_path, capsys):
    old, new = tmp_path / "old", tmp_path / "new"
    build(curated, old, docs=False)
    edit(curated, "companies", ("company_id", "moonshot-ai"), "headquarters", "Beijing, China")
    build(curated, new, docs=False)
    d = diff_releases(old, new)
    assert d["companies"] == {
        "added": [],
        "removed": [],
        "changed": ["moonshot-ai"],
        "changes": {"moonshot-ai": {"headquarters": ["Beijing", "Beijing, China"]}},
        "columns_added": [],
        "columns_removed": [],
    }
    assert main(["diff", str(old), str(new)]) == 0
    assert "companies" in capsys.readouterr().out
