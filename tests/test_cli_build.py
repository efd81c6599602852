"""`ai-lab-funding build` and `validate`, and the command-line defects fixed with them."""

import dataclasses
import functools
import http.server
import json
import shutil
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import FIXTURE, edit, rows

import ai_lab_funding as alf
from ai_lab_funding.cli import main
from ai_lab_funding.cli.data import diff_releases
from ai_lab_funding.problems import InvalidData, Problem

ROOT = Path(__file__).resolve().parent.parent


def test_build_check_through_the_command_line(curated, fixture_release, tmp_path, capsys):
    out = Path(shutil.copytree(fixture_release, tmp_path / "release"))
    args = ["build", "--check", "--no-docs", "--curated", str(curated), "--out", str(out)]
    assert main(args) == 0
    assert "release is up to date" in capsys.readouterr().out
    edit(curated, "companies", ("company_id", "moonshot-ai"), "headquarters", "Beijing, China")
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "out of date" in err and "data/companies.csv" in err


def test_build_writes_and_summarises(curated, tmp_path, capsys):
    out = tmp_path / "release"
    assert main(["build", "--no-docs", "--curated", str(curated), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("rows: companies ") and "reports: accepted " in printed
    assert (out / "datapackage.json").is_file() and (out / "data" / "rounds.parquet").is_file()


def test_build_py_is_the_same_command():
    command = [sys.executable, "build.py", "--check", "--no-docs"]
    res = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-2000:]
    assert "release is up to date" in res.stdout


@pytest.fixture
def served(fixture_release, tmp_path, monkeypatch):
    """The fixture's release served on 127.0.0.1 as version 99.0.0 (newer than the package).

    The package does not know that release, so it is fetched with its descriptor's sha256
    pinned; yields (version, pin).
    """
    import hashlib

    site = tmp_path / "site"
    shutil.copytree(fixture_release, site / "99.0.0")
    descriptor = site / "99.0.0" / "datapackage.json"
    desc = json.loads(descriptor.read_text(encoding="utf-8"))
    descriptor.write_text(json.dumps({**desc, "version": "99.0.0"}), encoding="utf-8")
    pin = hashlib.sha256(descriptor.read_bytes()).hexdigest()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *a, **k: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    monkeypatch.setenv("AI_LAB_FUNDING_BASE_URL", f"http://127.0.0.1:{httpd.server_address[1]}")
    monkeypatch.setenv("AI_LAB_FUNDING_CACHE", str(tmp_path / "cache"))
    yield "99.0.0", pin
    httpd.shutdown()


@pytest.mark.parametrize("fmt", ["duckdb", "sqlite"])
def test_export_of_a_version_writes_that_release(served, tmp_path, fmt, capsys):
    # duckdb used to copy the bundled release's Parquet files whatever --version said.
    version, pin = served
    dest = tmp_path / f"db.{fmt}"
    argv = ["export", "--format", fmt, "--version", version, str(dest)]
    assert main(argv) == 1, "an unknown release is refused unless its descriptor is pinned"
    assert "--descriptor-sha256" in capsys.readouterr().err and not dest.exists()
    assert main([*argv[:-1], "--descriptor-sha256", pin, str(dest)]) == 0
    if fmt == "duckdb":
        import duckdb

        n = duckdb.connect(str(dest)).execute("select count(*) from rounds").fetchone()[0]
    else:
        with sqlite3.connect(dest) as con:
            n = con.execute("select count(*) from rounds").fetchone()[0]
    assert n == len(rows(FIXTURE, "rounds")) != len(alf.load("rounds"))


def test_diff_names_every_row_of_a_table_missing_from_one_release(fixture_release, tmp_path):
    old = Path(shutil.copytree(fixture_release, tmp_path / "old"))
    (old / "data" / "round_investors.csv").unlink()  # a table the old release did not have
    d = diff_releases(old, fixture_release)
    added = d["round_investors"]["added"]
    assert len(added) == len(rows(FIXTURE, "round_investors"))
    assert not d["round_investors"]["changed"]
    assert all(key.startswith("('") for key in added), "composite keys are shown whole"
    assert diff_releases(fixture_release, old)["round_investors"]["removed"] == added


def test_single_parquet_validation_keeps_each_problem_whole(monkeypatch, capsys):
    # The Parquet branch rebuilt every problem and so turned warnings into errors.
    warning = Problem("<rounds>", 2, "note", "some_rule", "worth a look", severity="warning")

    def only_a_warning(df, table):
        raise InvalidData([warning])

    monkeypatch.setattr("ai_lab_funding.build.rules.runner.validate_frame", only_a_warning)
    assert main(["validate", "data/rounds.parquet"]) == 0
    out = capsys.readouterr().out
    assert str(dataclasses.replace(warning, file="rounds.parquet")) in out
    assert out.startswith("warning: rounds.parquet:2:note: some_rule:")


def test_an_unreadable_cell_is_one_problem_not_its_follow_ups(curated):
    # The amount cannot be read, so rules that need it (currency, qualifier, backing report)
    # would all fail on that row too; only the cell's own problem is shown.
    from conftest import problems_of

    line = edit(curated, "rounds", ("round_id", "moonshot-ai-2025-12-series-c"), "amount", "lots")
    problems = problems_of(curated)
    on_line = {p.rule for p in problems if p.file.endswith("rounds.csv") and p.line == line}
    assert on_line == {"type"}


@pytest.mark.parametrize(
    "fmt,where,said",
    [
        ("sqlite", "missing/x.sqlite", "does not exist: create it first"),
        ("duckdb", ".", "is a folder: name the duckdb file to write"),
        ("csv", "a-file/x", "is a file, so"),
    ],
)
def test_export_to_a_place_it_cannot_write_says_so_in_one_line(tmp_path, capsys, fmt, where, said):
    (tmp_path / "a-file").write_text("not a folder")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    assert main(["export", "--format", fmt, str(tmp_path / where)]) == 2
    err = capsys.readouterr().err
    assert said in err and err.count("\n") == 1 and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_an_export_that_fails_leaves_no_half_file(tmp_path, monkeypatch, capsys):
    dest = tmp_path / "db.sqlite"
    dest.write_bytes(b"the previous export")

    def full_disk(frames, path):
        path.write_bytes(b"half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("ai_lab_funding.cli.data._sqlite_file", full_disk)
    assert main(["export", "--format", "sqlite", str(dest)]) == 1
    assert "No space left on device" in capsys.readouterr().err
    assert dest.read_bytes() == b"the previous export"
    assert [p.name for p in tmp_path.iterdir()] == ["db.sqlite"]


def test_validate_on_a_release_data_folder_says_what_it_is(capsys):
    assert main(["validate", str(ROOT / "data")]) == 1
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "released_folder: this is the data folder of a release" in out


def test_diff_shows_old_and_new_values_and_added_columns(fixture_release, tmp_path, capsys):
    import pandas as pd

    old = Path(shutil.copytree(fixture_release, tmp_path / "old"))
    companies = pd.read_csv(old / "data" / "companies.csv", dtype=str, keep_default_na=False)
    companies.drop(columns=["website"]).to_csv(old / "data" / "companies.csv", index=False)
    rounds = pd.read_csv(old / "data" / "rounds.csv", dtype=str, keep_default_na=False)
    rounds.loc[0, "amount"] = "1.00"
    rounds.to_csv(old / "data" / "rounds.csv", index=False)
    d = diff_releases(old, fixture_release)
    assert d["companies"]["columns_added"] == ["website"] and not d["companies"]["changed"]
    key = rounds.loc[0, "round_id"]
    new_amount = d["rounds"]["changes"][key]["amount"]
    assert new_amount[0] == "1.00" and new_amount[1] != "1.00"
    assert main(["diff", str(old), str(fixture_release)]) == 0
    out = capsys.readouterr().out
    assert "companies: column added: website" in out
    assert f"rounds {key}: amount: '1.00' → '{new_amount[1]}'" in out
    assert list(d["rounds"]["changes"][key]) == ["amount"], "unchanged cells are not listed"
    assert main(["diff", "--markdown", str(old), str(fixture_release)]) == 0
    md = capsys.readouterr().out
    assert md.startswith("## ") and "| rounds | 0 | 1 | 0 |" in md
    assert "- `companies`: column added `website`" in md
    assert f"- `{key}` amount: '1.00' → '{new_amount[1]}'" in md
