"""The machinery of tests/test_crash_swap.py: every file-system step counted, killable.

Wrappers around the `os` functions that change the file system count each call as a step;
`killed` runs a build in a forked child that dies with `os._exit` at step N, so no cleanup of
the build runs, and `killed_here` stops one in this process at step N by an exception the
code under test must not catch. `Listing` reverses directory listings, since `rmtree`
deletes in listing order.
"""

import hashlib
import io
import json
import os
import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from ai_lab_funding.loader import to_pandas
from ai_lab_funding.problems import InvalidData
from ai_lab_funding.release import publish, swap
from ai_lab_funding.schemas import tables as ts

KILLED = 86  # exit code of a child killed at its step
FILES = 2 * len(ts.TABLE_ORDER) + 1  # CSV and Parquet per table, and datapackage.json
# Steps of a build over a release, but for making the folder and its lock file, which are
# no part of the release:
#   staging: mkdtemp, then one mkdir (of the parent folder) and one open per file: 1 + 2 * FILES
#   swap: mkdir old/, 6 renames (start, park 2, move in 2, commit), then deleting the old
#   release: one unlink per file and rmdir of data/, old/ and the trash folder: 10 + FILES
BUILD_STEPS = 11 + 3 * FILES
ORDERS = ("listed", "reversed")
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
RANDOM_NAME = re.compile(r"\.release-(tmp|trash)-[^/]+")


class Killed(BaseException):
    """A kill simulated in this process: no code under test may catch it, nor act after it."""


# ---------------------------------------------------------------- counting and killing steps


class Steps:
    """The file-system changes a process makes under `root`; the process dies at step `kill_at`."""

    def __init__(self, root: Path, kill_at: int | None = None, exit: bool = True) -> None:
        self.prefix, self.lock = f"{root}/", str(root / swap.LOCK)
        self.kill_at, self.exit = kill_at, exit
        self.done, self.dead = [], []  # steps taken; the step killed, and any tried after it

    def where(self, path, dir_fd=None) -> str | None:
        """`path` relative to the root with random names starred, or None outside the root."""
        path = os.fsdecode(path)
        if dir_fd is not None:
            path = os.path.join(os.readlink(f"/proc/self/fd/{dir_fd}"), path)
        elif not os.path.isabs(path):
            path = os.path.abspath(path)
        # Making the folder itself and its lock file are no part of the release.
        if not path.startswith(self.prefix) or path == self.lock:
            return None
        rel = path[len(self.prefix) :]
        return RANDOM_NAME.sub(r".release-\1-*", rel) if ".release-" in rel else rel

    def step(self, op: str, path, dir_fd=None, to=None) -> None:
        """Record one step, or die right before it if it is the chosen one."""
        rel = self.where(path, dir_fd)
        if rel is None:
            return
        if to is not None:
            rel += " -> " + (self.where(to) or "?")
        if len(self.done) + 1 == self.kill_at or self.dead:
            if self.exit:
                os._exit(KILLED)
            self.dead.append(f"{op} {rel}")
            raise Killed
        self.done.append(f"{op} {rel}")


class Listing:
    """An `os.scandir` result in reverse order: a context manager and an iterator."""

    def __init__(self, entries) -> None:
        with entries:
            self.entries = iter(list(entries)[::-1])

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass

    def __iter__(self):
        return self

    def __next__(self):
        return next(self.entries)

    def close(self) -> None:
        pass


def moving(steps: Steps, real):
    """`os.rename` or `os.replace`, one step each."""

    def move(src, dst, *, src_dir_fd=None, dst_dir_fd=None):
        steps.step(real.__name__, src, src_dir_fd, to=dst)
        return real(src, dst, src_dir_fd=src_dir_fd, dst_dir_fd=dst_dir_fd)

    return move


def removing(steps: Steps, real):
    """`os.unlink`, `os.remove`, `os.rmdir` or `os.mkdir`, one step each."""

    def remove(path, *args, dir_fd=None, **kw):
        steps.step(real.__name__, path, dir_fd)
        return real(path, *args, dir_fd=dir_fd, **kw)

    return remove


def writing(steps: Steps, os_open, io_open):
    """`os.open` and `open`, one step each when they open a file to write (or create it)."""

    def low(path, flags, *args, dir_fd=None, **kw):
        if flags & WRITE_FLAGS:
            steps.step("write", path, dir_fd)
        return os_open(path, flags, *args, dir_fd=dir_fd, **kw)

    def high(file, mode="r", *args, **kw):
        if not isinstance(file, int) and any(c in mode for c in "wxa+"):
            steps.step("write", file)
        return io_open(file, mode, *args, **kw)

    return low, high


def instrument(mp: pytest.MonkeyPatch, steps: Steps, order: str) -> None:
    """Route every file-system change through `steps`, and list folders in `order`."""
    for name in ("rename", "replace"):
        mp.setattr(os, name, moving(steps, getattr(os, name)))
    for name in ("unlink", "remove", "rmdir", "mkdir"):
        mp.setattr(os, name, removing(steps, getattr(os, name)))
    low, high = writing(steps, os.open, io.open)
    mp.setattr(os, "open", low)
    mp.setattr(io, "open", high)
    mp.setattr("builtins.open", high)
    if order == "reversed":
        reverse_listings(mp)


def reverse_listings(mp: pytest.MonkeyPatch) -> None:
    """List folders backwards, as `rmtree` (os.scandir) and `recover` (os.listdir) read them."""
    scandir, listdir = os.scandir, os.listdir
    mp.setattr(os, "scandir", lambda *a: Listing(scandir(*a)))
    mp.setattr(os, "listdir", lambda *a: listdir(*a)[::-1])


def recorded(order: str, root: Path, run) -> list[str]:
    """The steps `run()` takes under `root`, run in this process."""
    steps = Steps(root)
    with pytest.MonkeyPatch.context() as mp:
        instrument(mp, steps, order)
        run()
    return steps.done


def killed_here(order: str, root: Path, run, at: int) -> None:
    """Run `run()` in this process, killed by an exception at step `at`.

    Cheaper than a child (a fork costs about 10 ms here); valid where the code under test has
    no `except` that could catch the kill, which this checks: the exception must come out, and
    no step may follow it (`finally` blocks that close descriptors or release the lock may run,
    as the kernel does the same for a killed process).
    """
    steps = Steps(root, kill_at=at, exit=False)
    with pytest.MonkeyPatch.context() as mp:
        instrument(mp, steps, order)
        with pytest.raises(Killed):
            run()
    assert len(steps.dead) == 1, f"the code under test went on after its kill: {steps.dead}"


def killed(order: str, root: Path, run, at: int) -> None:
    """Run `run()` in a forked child that dies, with no cleanup at all, at step `at`."""
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 3
        try:
            with pytest.MonkeyPatch.context() as mp:
                instrument(mp, Steps(root, kill_at=at), order)
                run()
        except BaseException:
            code = 4
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    assert code == KILLED, f"the child was not killed at step {at} (exit code {code})"


# ---------------------------------------------------------------- the releases and the builds


def release_digest(root: Path) -> dict[str, str]:
    """sha256 of every file in `root`, except the lock file (not part of any release)."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != swap.LOCK
    }


def assert_readable(root: Path) -> None:
    """What a user does with a release: read every table, check every file against the hashes."""
    for table in ts.TABLE_ORDER:
        assert len(to_pandas(pq.read_table(root / "data" / f"{table}.parquet"), table).columns)
    resources = json.loads((root / "datapackage.json").read_text())["resources"]
    for r in resources:
        assert r["hash"] == "sha256:" + hashlib.sha256((root / r["path"]).read_bytes()).hexdigest()
    listed = {r["path"] for r in resources} | {"datapackage.json"}
    assert set(release_digest(root)) == listed


class Memo:
    """Memoised pure part of the build: compiling a curated folder, standards checks included."""

    def __init__(self) -> None:
        self.compiled = {}
        self.compile = publish.compile_release

    def compile_release(self, curated: Path):
        if curated not in self.compiled:  # curated folders here never change once made
            try:
                self.compiled[curated] = self.compile(curated)
            except InvalidData as e:
                self.compiled[curated] = e
        hit = self.compiled[curated]
        if isinstance(hit, InvalidData):
            raise InvalidData(hit.problems)
        return hit


def memoise(mp: pytest.MonkeyPatch, memo: Memo) -> None:
    """Memoise the pure parts of the build, and skip fsync: no test can tell it ran."""
    mp.setattr(os, "fsync", lambda fd: None)
    mp.setattr(publish, "compile_release", memo.compile_release)
