"""Replace a release (data/ + datapackage.json) so that a crash never leaves it half-written.

The new release is written and validated in a temporary folder beside the old one, then
swapped in by renames. The old release is parked in `.release-old/` until the swap is
complete; `recover()` finishes or undoes a swap that was interrupted.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

OLD = ".release-old"
TMP_PREFIX = ".release-tmp-"
DESCRIPTOR = "datapackage.json"


def new_staging(root: Path) -> Path:
    """An empty folder on the same file system as the release, so renames are atomic."""
    root.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=TMP_PREFIX, dir=root))


def recover(root: Path) -> str | None:
    """Bring `root` back to one complete release after an interrupted build; say what was done."""
    old, done = root / OLD, None
    if old.exists():
        if (old / "committed").exists():
            done = "finished an interrupted release swap"
        else:
            if (old / "data").exists():
                if (root / "data").exists():
                    shutil.rmtree(root / "data")
                os.rename(old / "data", root / "data")
            if (old / DESCRIPTOR).exists():
                os.replace(old / DESCRIPTOR, root / DESCRIPTOR)
            done = "restored the previous release after an interrupted build"
        shutil.rmtree(old)
    for stale in root.glob(TMP_PREFIX + "*"):
        shutil.rmtree(stale, ignore_errors=True)
        done = done or "removed temporary files of an interrupted build"
    return done


def swap_in(root: Path, staging: Path, fail_after: str | None = None) -> None:
    """Move the release in `staging` into `root`. `fail_after` lets tests crash between steps."""
    old = root / OLD
    old.mkdir()

    def step(name: str) -> None:
        if fail_after == name:
            raise RuntimeError(f"injected failure after {name}")

    if (root / DESCRIPTOR).exists():
        os.replace(root / DESCRIPTOR, old / DESCRIPTOR)
    step("park_descriptor")
    if (root / "data").exists():
        os.rename(root / "data", old / "data")
    step("park_data")
    os.rename(staging / "data", root / "data")
    step("move_data")
    os.replace(staging / DESCRIPTOR, root / DESCRIPTOR)
    (old / "committed").touch()
    step("move_descriptor")
    shutil.rmtree(old)
    shutil.rmtree(staging, ignore_errors=True)
