"""The build as a user runs it: atomic, deterministic, fail-closed, and honest about staleness."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import digest, edit

from ai_lab_funding.cli import main
from ai_lab_funding.release import publish, swap
from ai_lab_funding.release.publish import build, check

ROOT = Path(__file__).resolve().parent.parent


def test_build_writes_parquet_csv_and_descriptor(released):
    files = digest(released)
    for table in ("companies", "rounds", "reports", "fx_rates", "unit_flags"):
        assert f"data/{table}.csv" in files and f"data/{table}.parquet" in files
    assert "datapackage.json" in files
    assert not [f for f in files if ".release-" in f]


def test_second_build_is_byte_identical(curated, released, tmp_path):
    again = tmp_path / "again"
    build(curated, again, docs=False)
    assert digest(again) == digest(released)


def test_invalid_row_fails_names_the_cell_and_keeps_release(curated, released, capsys):
    before = digest(released)
    line = edit(
        curated, "rounds", ("round_id", "moonshot-ai-2025-12-series-c"), "round_type", "series_cc"
    )
    assert main(["build", "--curated", str(curated), "--out", str(released)]) == 1
    err = capsys.readouterr().err
    assert f"rounds.csv:{line}:round_type: enum:" in err
    assert "did you mean series_c?" in err
    assert digest(released) == before


def test_check_names_stale_files(curated, released):
    assert check(curated, released, docs=False) == []
    edit(curated, "companies", ("company_id", "moonshot-ai"), "headquarters", "Beijing, China")
    assert check(curated, released, docs=False) == [
        "data/companies.csv",
        "data/companies.parquet",
        "datapackage.json",
    ]


def test_docs_are_generated_and_checked(curated, tmp_path):
    out = tmp_path / "site"
    out.mkdir()
    (out / "README.md").write_text(
        "# x\n<!-- tables:start -->\n<!-- tables:end -->\n"
        "<!-- coverage:start -->\n<!-- coverage:end -->\n"
    )
    build(curated, out)
    readme = (out / "README.md").read_text()
    assert "| [`rounds`](docs/data-dictionary.md" in readme and "| 3 |" in readme
    assert "| Moonshot AI (`moonshot-ai`) | 3 |" in readme  # the coverage block
    dictionary = (out / "docs" / "data-dictionary.md").read_text()
    from ai_lab_funding.schemas import tables as ts

    for table in ts.table_names():
        for f in ts.fields(table):
            assert f"| `{f['name']}` |" in dictionary, (table, f["name"])
    for name in ("valuations", "moonshot-unit-errors", "funding"):
        assert (out / "docs" / "figures" / f"{name}.png").read_bytes()[:4] == b"\x89PNG"
        assert b"<svg" in (out / "docs" / "figures" / f"{name}.svg").read_bytes()
    assert check(curated, out) == []
    (out / "README.md").write_text(readme.replace("| 3 |", "| 4 |"))
    assert check(curated, out) == ["README.md"]


class Killed(BaseException):
    """A kill: nothing in the build catches it (tests/test_crash_swap.py kills every step)."""


@pytest.mark.parametrize("deleted", [0, 1, 5, 20])
def test_crash_during_swap_leaves_a_complete_release(
    curated, released, tmp_path, monkeypatch, capsys, deleted
):
    # The attack: a build killed while it deletes the previous release, then a build that fails
    # on a typo. It used to leave data/ with files missing, and say nothing was written.
    edit(curated, "companies", ("company_id", "moonshot-ai"), "headquarters", "Beijing, China")
    new = tmp_path / "new"
    build(curated, new, docs=False)
    # Compiled beforehand: its checked copy's clean-up unlinks files too; only the swap's count.
    compiled = publish.compile_release(curated)
    monkeypatch.setattr(publish, "compile_release", lambda folder: compiled)
    unlink, calls = os.unlink, []

    def dying_unlink(*args, **kwargs):
        if len(calls) == deleted:
            raise Killed
        calls.append(args)
        return unlink(*args, **kwargs)

    monkeypatch.setattr(os, "unlink", dying_unlink)
    with pytest.raises(Killed):
        build(curated, released, docs=False)
    monkeypatch.undo()
    assert len(calls) == deleted
    edit(curated, "rounds", ("round_id", "moonshot-ai-2025-12-series-c"), "round_type", "series_cc")
    assert main(["build", "--no-docs", "--curated", str(curated), "--out", str(released)]) == 1
    assert "nothing was written" in capsys.readouterr().err
    assert digest(released) == digest(new)
    assert sorted(p.name for p in released.iterdir()) == [swap.LOCK, "data", "datapackage.json"]


def test_committed_release_is_up_to_date():
    assert check(ROOT / "curated", ROOT) == [], "run `python build.py`"


def test_frictionless_cli_validates_the_committed_release():
    exe = Path(sys.executable).parent / "frictionless"
    res = subprocess.run(
        [
            str(exe if exe.exists() else shutil.which("frictionless")),
            "validate",
            "datapackage.json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stdout[-2000:]
