"""Turn validated tables into a release: write, check against the standards, swap in, document.

`build` replaces the release in a folder atomically and regenerates the documentation;
`check` builds in memory and names the committed files a fresh build would change. Both hold
the folder's lock (`swap.release_lock`) while they touch it, so neither deletes the other's
staging folder nor reads a release half swapped; a second one waits, then raises
`ReleaseBusyError`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..build.frames import to_pandas
from ..build.validation import checked_tables
from ..problems import InvalidData, Problem
from . import swap
from .files import release_files, write_files
from .standards import FrictionlessCheck, parquet_problems
from .swap import ReleaseBusyError as ReleaseBusyError  # raised by build and check


@dataclass
class BuildResult:
    """The released tables (pandas), their files (path → bytes) and the build's warnings."""

    tables: dict[str, pd.DataFrame]
    files: dict[str, bytes]
    warnings: list[Problem] = field(default_factory=list)


def compile_release(curated: Path) -> BuildResult:
    """Read, derive and validate; raise InvalidData listing every error, or return the release.

    The release files are made from the derived tables before the rules run, so that
    Frictionless, in a process of its own, checks them while the rules do (on the real
    release a quarter of a cold build, hidden). Nothing is returned, so nothing can be
    released, unless the rules, Frictionless and the Parquet check all pass.
    """
    made: list[tuple[BuildResult, FrictionlessCheck]] = []
    with contextlib.ExitStack() as stack:

        def release(tables: dict) -> None:
            # Started first: it imports Frictionless while the files are made.
            frictionless = stack.enter_context(FrictionlessCheck())
            # Released and documented from pandas, whose dtypes the writers were made for;
            # the release is small.
            released = {name: to_pandas(df) for name, df in tables.items()}
            result = BuildResult(released, release_files(released))
            made.append((result, frictionless))
            frictionless.submit_files(result.files)

        _, warnings = checked_tables(curated, on_derived=release)
        result, frictionless = made[0]
        problems = frictionless.problems() + parquet_problems(frictionless.root)
    if problems:
        raise InvalidData(problems)
    result.warnings = warnings
    return result


def stage(root: Path, files: dict[str, bytes]) -> Path:
    """Write `files`, checked by `compile_release`, into a staging folder under `root`.

    Call it holding `swap.release_lock(root)`: the next build deletes staging folders it finds.
    """
    staging = swap.new_staging(root)
    try:
        write_files(staging, files)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return staging


def doc_files(tables: dict[str, pd.DataFrame], root: Path) -> dict[str, bytes]:
    """Generated documentation: data dictionary, figures, and the README's table block.

    The README block is written only when `root` has a README.
    """
    from .docs import data_dictionary, patched_readme
    from .figures import figure_files

    files = {
        "docs/data-dictionary.md": data_dictionary(tables).encode("utf-8"),
        **figure_files(tables),
    }
    readme = root / "README.md"
    if readme.is_file():
        text = patched_readme(readme.read_text(encoding="utf-8"), tables)
        files["README.md"] = text.encode("utf-8")
    return files


def _replace_file(path: Path, data: bytes) -> None:
    """Write `path` whole or not at all: a killed build leaves the old file, never half a new one.

    The fixed temporary name is safe because the caller holds the release lock, and the next
    build overwrites a temporary file a killed one left.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def build(curated: Path, out: Path, docs: bool = True) -> BuildResult:
    """Build and release into `out` atomically, then regenerate the documentation.

    The whole build holds `out`'s lock: recovery deletes staging folders, and only while no
    other build runs are they all leftovers of dead ones.
    """
    with swap.release_lock(out):
        swap.recover(out)
        result = compile_release(curated)
        staging = stage(out, result.files)
        swap.swap_in(out, staging)
        if docs:
            for rel, data in doc_files(result.tables, out).items():
                _replace_file(out / rel, data)
    return result


def check(curated: Path, committed: Path, docs: bool = True) -> list[str]:
    """Files of the committed release that differ from a fresh build (empty list: up to date).

    Builds in memory first, then holds the lock while it stages in `committed` and reads it, so
    it never compares against a release half swapped by a build running at the same time.
    """
    result = compile_release(curated)
    with swap.release_lock(committed):
        staging = stage(committed, result.files)
        shutil.rmtree(staging, ignore_errors=True)
        expected = {**result.files, **(doc_files(result.tables, committed) if docs else {})}
        differ = [
            rel
            for rel, data in sorted(expected.items())
            if not (committed / rel).is_file() or (committed / rel).read_bytes() != data
        ]
        written = {p.relative_to(committed).as_posix() for p in (committed / "data").glob("*")}
    return differ + sorted(written - set(result.files))
