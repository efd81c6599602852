"""Replace a release (data/ + datapackage.json) so that a kill at any moment leaves a whole one.

A release is two names in its folder `root`, `data/` and `datapackage.json`, and no file
system can replace two names in one step. So the swap is a short sequence of renames whose
progress can always be read back from the disk, and `recover()` undoes an unfinished one.

Names beside the release, none of them part of it:

- `.release.lock`: a build or check holds it (`release_lock`) for its whole run, so one runs at
  a time; the kernel drops it when its process dies, so a killed build never blocks the next.
- `.release-tmp-<random>/`: a staging folder, where a build writes and validates a new release.
  Never a decision: only one build runs at a time, so whoever holds the lock knows every
  staging folder it finds is a dead build's, and deletes it.
- `.release-swap/`: the journal of the swap under way. It holds the new `data/` and
  `datapackage.json` until each is moved in, and `old/`, where the old ones are parked. It
  exists exactly while a swap is undecided.
- `.release-trash-<random>/`: a decided swap's leftovers. Never read; deleted in any order.

The swap (`swap_in`); steps 1 to 6 are one atomic rename each, flushed (fsync of the folders)
before the next, so that after a power cut too the disk shows a prefix of the steps:

  0. the validated staging folder's files are flushed, and it gets an empty `old/`;
  1. `.release-tmp-<random>` → `.release-swap`                (the swap starts)
  2. `datapackage.json` → `.release-swap/old/`               (if there is one)
  3. `data/` → `.release-swap/old/`                          (if there is one)
  4. `.release-swap/data` → `data/`
  5. `.release-swap/datapackage.json` → `datapackage.json`
  6. `.release-swap` → `.release-trash-<random>`             (COMMIT: the new release is whole)
  7. delete `.release-trash-<random>`.

Why the state is always decidable: while `.release-swap` exists the swap is not committed, and
where each part is shows how far it got: a new part is in the release iff it is missing from
`.release-swap/`, an old part is parked iff it is in `.release-swap/old/`. Once the journal is
renamed away (6) nothing is left that can be mistaken for a decision: the trash only holds the
old release, whose deletion (7) may stop anywhere. (The old design deleted its `committed`
marker in the same `rmtree` as the old release, in directory order; a kill there made the next
build restore half of the old release over the whole new one.)

Recovery (`recover`, holding the lock, at the start of every build): if `.release-swap` exists,
undo steps 5, 4, 3, 2 in that order, each only if the disk shows it was done, then set the
journal aside as trash (6). Every state recovery passes through is one the swap passes through
too, so a recovery killed at any step is finished by the next one. Last, delete every trash and
staging folder. A killed build thus leaves the release it found, unless it got past step 6.

A `.release-old/` folder is the journal of the previous design, which cannot tell its own
state (see above). `recover` settles it by the release's own hashes: if `datapackage.json` and
every file it lists agree, the release is whole and the folder is trash; otherwise the parts
parked in it are put back.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from ..paths import RELEASE_LOCK

DATA = "data"
DESCRIPTOR = "datapackage.json"
PARTS = (DESCRIPTOR, DATA)  # parked in this order, moved in and restored in the reverse
TMP_PREFIX = ".release-tmp-"
JOURNAL = ".release-swap"
OLD = "old"
TRASH_PREFIX = ".release-trash-"
LEGACY = ".release-old"
LOCK = RELEASE_LOCK
LOCK_TIMEOUT = 60.0  # seconds a build or check waits for another one before it gives up


class ReleaseBusyError(RuntimeError):
    """Another build or check kept the release folder locked for longer than we wait."""


@contextmanager
def release_lock(root: Path, timeout: float | None = None) -> Iterator[None]:
    """Hold `root`'s lock: one build or check at a time, so none deletes another's files.

    Waits `timeout` seconds (default `LOCK_TIMEOUT`), then raises ReleaseBusyError.
    """
    root.mkdir(parents=True, exist_ok=True)
    wait = LOCK_TIMEOUT if timeout is None else timeout
    lock = FileLock(root / LOCK)
    try:
        lock.acquire(timeout=wait)
    except Timeout:
        raise ReleaseBusyError(
            f"another build or check is using the release in {root} (it holds {root / LOCK}); "
            f"gave up after waiting {wait:g}s: run this again when it has finished"
        ) from None
    try:
        yield
    finally:
        lock.release()


def new_staging(root: Path) -> Path:
    """An empty folder on the same file system as the release, so renames are atomic."""
    root.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=TMP_PREFIX, dir=root))


def _sync(*folders: Path) -> None:
    """Flush folder entries, so that after a power cut the renames happened in order."""
    if os.name != "posix":  # other systems cannot open a folder; their renames are journalled
        return
    for folder in folders:
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _sync_tree(folder: Path) -> None:
    """Flush every file of `folder` before it is renamed in: the rename must not outlive them."""
    for dirpath, _, names in os.walk(folder):
        for name in names:
            with open(os.path.join(dirpath, name), "rb") as fh:
                os.fsync(fh.fileno())
        _sync(Path(dirpath))


def _move(src: Path, dst: Path) -> None:
    """One step of the state machine: an atomic rename, flushed before the next step."""
    os.replace(src, dst)
    _sync(*{src.parent, dst.parent})


def _set_aside(folder: Path) -> Path:
    """Rename `folder` to a fresh trash name: from then on nothing reads it."""
    trash = folder.parent / f"{TRASH_PREFIX}{secrets.token_hex(8)}"
    _move(folder, trash)
    return trash


def swap_in(root: Path, staging: Path) -> None:
    """Move the validated release in `staging` into `root` (steps 0-7 of the module docstring).

    Call it holding `release_lock(root)`, after `recover(root)`.
    """
    journal = root / JOURNAL
    if journal.exists():
        raise RuntimeError(f"{journal} exists: an interrupted swap must be recovered first")
    _sync_tree(staging)
    os.mkdir(staging / OLD)
    _move(staging, journal)
    for part in PARTS:
        if (root / part).exists():
            _move(root / part, journal / OLD / part)
    for part in reversed(PARTS):
        _move(journal / part, root / part)
    shutil.rmtree(_set_aside(journal), ignore_errors=True)


def _undo_swap(root: Path) -> None:
    """Undo the steps an uncommitted swap took, newest first, then set its journal aside."""
    journal = root / JOURNAL
    for part in PARTS:  # undo 5, then 4: a new part is in the release iff the journal lacks it
        if not (journal / part).exists() and (root / part).exists():
            _move(root / part, journal / part)
    for part in reversed(PARTS):  # undo 3, then 2: an old part is parked iff it is in old/
        if (journal / OLD / part).exists():
            _move(journal / OLD / part, root / part)
    _set_aside(journal)


def _is_whole(root: Path) -> bool:
    """Whether `root`'s descriptor reads and every file it lists has the sha256 it records."""
    try:
        resources = json.loads((root / DESCRIPTOR).read_bytes())["resources"]
        return all(
            hashlib.sha256((root / r["path"]).read_bytes()).hexdigest()
            == r["hash"].removeprefix("sha256:")
            for r in resources
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


def _settle_legacy(root: Path) -> None:
    """Settle a `.release-old/` left by the previous design, which cannot tell its state.

    Its old release is put back unless the release folder already holds a whole release
    (the new one, or the old one not yet parked). Each step leaves that test's answer intact
    or makes it true, so a kill here is finished by the next recovery.
    """
    legacy = root / LEGACY
    if not _is_whole(root):
        for part in reversed(PARTS):
            if not (legacy / part).exists():
                continue
            if (root / part).exists():
                _set_aside(root / part)
            _move(legacy / part, root / part)
    _set_aside(legacy)


def recover(root: Path) -> str | None:
    """Bring `root` back to one whole release after a killed build; say what was done.

    Call it holding `release_lock(root)`: it deletes every staging folder, which is only safe
    when no other build is running. Safe to kill and run again at any step.
    """
    if not root.is_dir():
        return None
    done = None
    if (root / JOURNAL).is_dir():
        _undo_swap(root)
        done = "restored the previous release after an interrupted build"
    if (root / LEGACY).is_dir():
        _settle_legacy(root)
        done = "settled the release swap of an interrupted build"
    leftovers = [n for n in os.listdir(root) if n.startswith((TMP_PREFIX, TRASH_PREFIX))]
    for name in leftovers:
        shutil.rmtree(root / name, ignore_errors=True)
    if leftovers and done is None:
        done = "removed the leftovers of an interrupted build"
    return done
