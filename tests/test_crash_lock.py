"""Builds and checks of one release folder, started together in real processes, take turns.

Two builds started a second apart used to delete each other's staging folder and fail with
bogus Parquet errors. Now each holds the folder's lock for its whole run: the second waits,
and gives up with `ReleaseBusyError` after `swap.LOCK_TIMEOUT` seconds. The children log when
they hold and let go of the lock, so the tests see the turns, not just the end result.
"""

import hashlib
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import FIXTURE, edit

from ai_lab_funding.release import swap
from ai_lab_funding.release.publish import build

CHANGED = ["data/companies.csv", "data/companies.parquet", "datapackage.json"]
CHILD = r"""
import os, sys, time
from contextlib import contextmanager
from pathlib import Path

from ai_lab_funding.release import publish, swap

command, curated, out, log, go, wait = sys.argv[1:]
swap.LOCK_TIMEOUT = float(wait)
locked = swap.release_lock


def note(event):
    with open(log, "a") as fh:  # appends of one short line do not interleave
        fh.write(f"{os.getpid()} {event}\n")


@contextmanager
def noted(root, timeout=None):
    with locked(root, timeout):
        note("holds")
        try:
            yield
        finally:
            note("lets go")


swap.release_lock = noted
Path(f"{go}.ready-{os.getpid()}").touch()
while not Path(go).exists():  # start together: the test creates `go` once all are ready
    time.sleep(0.005)
try:
    if command == "build":
        publish.build(Path(curated), Path(out), docs=False)
    else:
        print(publish.check(Path(curated), Path(out), docs=False))
except swap.ReleaseBusyError as e:
    print(e, file=sys.stderr)
    sys.exit(3)
"""


def digest(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != swap.LOCK
    }


@pytest.fixture(scope="module")
def releases(tmp_path_factory):
    """The fixture's release ("old"), and a curated folder with one change and its release."""
    base = tmp_path_factory.mktemp("lock")
    new = Path(shutil.copytree(FIXTURE, base / "new"))
    edit(new, "companies", ("company_id", "moonshot-ai"), "headquarters", "Beijing, China")
    build(FIXTURE, base / "old-release", docs=False)
    build(new, base / "new-release", docs=False)
    return {
        "base": base,
        "curated": {"old": FIXTURE, "new": new},
        "old": base / "old-release",
        "digests": {name: digest(base / f"{name}-release") for name in ("old", "new")},
    }


def run_together(tmp_path: Path, out: Path, jobs: list[tuple[str, Path]], wait: float = 60):
    """Start one child per (command, curated) on `out`, release them at once, wait for all.

    Returns each child's (exit code, stdout, stderr) by pid, and the lock log in order.
    """
    log, go = tmp_path / "lock.log", tmp_path / "go"
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, command, str(curated), str(out), str(log), str(go)]
            + [str(wait)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for command, curated in jobs
    ]
    deadline = time.monotonic() + 120
    while len(list(tmp_path.glob("go.ready-*"))) < len(children):
        assert time.monotonic() < deadline, "the children did not start"
        assert all(c.poll() is None for c in children), [c.communicate() for c in children]
        time.sleep(0.01)
    go.touch()
    results = {}
    for c in children:
        stdout, stderr = c.communicate(timeout=120)
        results[c.pid] = (c.returncode, stdout, stderr)
    lines = log.read_text().splitlines() if log.exists() else []
    return results, [(int(pid), event) for pid, event in (line.split(" ", 1) for line in lines)]


def turns(log: list[tuple[int, str]]) -> list[int]:
    """The pids in the order they held the lock; fails if two ever held it at once."""
    holders = [pid for pid, event in log if event == "holds"]
    assert log == [(pid, e) for pid in holders for e in ("holds", "lets go")], log
    return holders


def test_two_builds_started_together_take_turns(releases, tmp_path):
    out = Path(shutil.copytree(releases["old"], tmp_path / "release"))
    jobs = [("build", releases["curated"]["new"]), ("build", releases["curated"]["old"])]
    results, log = run_together(tmp_path, out, jobs)
    for code, _, stderr in results.values():
        assert code == 0, stderr[-3000:]
    order = turns(log)
    assert sorted(order) == sorted(results)
    last = dict(zip(results, ("new", "old")))[order[-1]]
    assert digest(out) == releases["digests"][last]
    assert sorted(p.name for p in out.iterdir()) == [swap.LOCK, "data", "datapackage.json"]


def test_a_check_started_with_a_build_sees_a_whole_release(releases, tmp_path):
    out = Path(shutil.copytree(releases["old"], tmp_path / "release"))
    jobs = [("build", releases["curated"]["new"]), ("check", releases["curated"]["old"])]
    results, log = run_together(tmp_path, out, jobs)
    (builder, (code, _, stderr)), (checker, (checked, printed, err)) = results.items()
    assert code == 0 and checked == 0, stderr[-3000:] + err[-3000:]
    # The check compares the old curated folder with the release the build left, or found.
    assert printed.strip() == str(CHANGED if turns(log)[0] == builder else [])
    assert digest(out) == releases["digests"]["new"]


def test_a_build_waits_then_refuses_and_leaves_a_live_build_alone(releases, tmp_path):
    out = Path(shutil.copytree(releases["old"], tmp_path / "release"))
    live = out / f"{swap.TMP_PREFIX}live"
    with swap.release_lock(out):  # this test is the live build, staging its release
        live.mkdir()
        (live / "datapackage.json").write_text("{}")
        jobs = [("build", releases["curated"]["new"])]
        [(code, _, stderr)] = run_together(tmp_path, out, jobs, wait=0.5)[0].values()
        assert code == 3
        assert stderr.count("\n") == 1 and "another build or check is using the release" in stderr
        assert str(out / swap.LOCK) in stderr
        assert (live / "datapackage.json").is_file(), "a waiting build deleted a live staging"
        assert digest(out) == releases["digests"]["old"] | {
            f"{live.name}/datapackage.json": digest(live)["datapackage.json"]
        }
    # Its owner gone, the staging folder is a dead build's: the next build removes it.
    build(releases["curated"]["new"], out, docs=False)
    assert not live.exists() and digest(out) == releases["digests"]["new"]
