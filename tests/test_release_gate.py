"""The build releases nothing unless the rules, Frictionless and the Parquet check all pass.

Frictionless checks the release files in a process of its own while the rules run; these
tests hold that overlap to the same verdicts as a check run after the rules, and to leave
no process or file behind whichever way the build ends.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from conftest import digest, edit, find

from ai_lab_funding.problems import InvalidData
from ai_lab_funding.release import publish, standards


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[standards.FrictionlessCheck]:
    """Every Frictionless check the build starts; their private folders go under tmp_path."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "scratch"))
    (tmp_path / "scratch").mkdir()
    started: list[standards.FrictionlessCheck] = []
    real = standards.FrictionlessCheck.__init__

    def init(self: standards.FrictionlessCheck) -> None:
        real(self)
        started.append(self)

    monkeypatch.setattr(standards.FrictionlessCheck, "__init__", init)
    return started


def assert_nothing_left(checks: list[standards.FrictionlessCheck], tmp_path: Path) -> None:
    assert checks, "the build started no Frictionless check"
    assert all(c._proc.poll() is not None for c in checks), "a check process outlived the build"
    assert list((tmp_path / "scratch").iterdir()) == [], "a checked copy was left behind"


def corrupt(path: str, damage: bytes):
    """release_files, with one file's bytes replaced after its hash was recorded."""
    real = publish.release_files

    def release_files(tables):
        files = real(tables)
        return {**files, path: damage + files[path]}

    return release_files


@pytest.mark.parametrize(
    ("path", "rule"),
    [("data/rounds.csv", "frictionless:hash-count"), ("data/rounds.parquet", "parquet_unreadable")],
)
def test_a_file_the_standards_reject_releases_nothing(
    curated, released, checks, tmp_path, monkeypatch, path, rule
):
    before = digest(released)
    monkeypatch.setattr(publish, "release_files", corrupt(path, b"garbage\n"))
    with pytest.raises(InvalidData) as err:
        publish.build(curated, released, docs=False)
    find(err.value.problems, rule)
    assert digest(released) == before
    assert_nothing_left(checks, tmp_path)


def test_a_release_the_rules_reject_stops_its_check(curated, checks, tmp_path):
    edit(curated, "companies", ("company_id", "moonshot-ai"), "country", "XX")
    with pytest.raises(InvalidData) as err:
        publish.compile_release(curated)
    find(err.value.problems, "codelist", column="country")
    assert_nothing_left(checks, tmp_path)


def test_a_valid_build_leaves_nothing_behind(curated, checks, tmp_path):
    assert publish.compile_release(curated).files
    assert_nothing_left(checks, tmp_path)


def test_a_writer_failure_gives_way_to_the_rules_errors(curated, checks, tmp_path, monkeypatch):
    def broken(tables):
        raise ValueError("the writer broke")

    monkeypatch.setattr(publish, "release_files", broken)
    with pytest.raises(ValueError, match="the writer broke"):
        publish.compile_release(curated)  # valid input: the writer's failure is the news
    edit(curated, "companies", ("company_id", "moonshot-ai"), "country", "XX")
    with pytest.raises(InvalidData) as err:
        publish.compile_release(curated)  # invalid input: the rules say why, no traceback
    find(err.value.problems, "codelist", column="country")
    assert_nothing_left(checks, tmp_path)


def test_validating_a_release_whose_csv_is_not_a_table_names_it(released, capsys):
    from ai_lab_funding.cli import main

    path = released / "data" / "rounds.csv"
    path.write_bytes(b"garbage\n" + path.read_bytes())
    assert main(["validate", str(released)]) == 1
    out = capsys.readouterr().out
    assert "data/rounds.csv" in out and "data/rounds.parquet" in out
    assert "Traceback" not in out


@pytest.mark.parametrize(
    "text", ["{not json", "[1, 2]", '{"resources": 3}', '{"resources": [1]}', "\udcff"]
)
def test_validating_a_release_whose_descriptor_is_not_one_names_it(released, capsys, text):
    from ai_lab_funding.cli import main

    (released / "datapackage.json").write_bytes(text.encode("utf-8", "surrogateescape"))
    assert main(["validate", str(released)]) == 1
    out = capsys.readouterr().out
    assert "datapackage.json" in out and "descriptor_unreadable" in out
    assert "Traceback" not in out
