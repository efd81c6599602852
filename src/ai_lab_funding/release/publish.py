"""Turn validated tables into a release: write, check against the standards, swap in, document.

`build` replaces the release in a folder atomically and regenerates the documentation;
`check` builds in memory and names the committed files a fresh build would change.
"""

from __future__ import annotations

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
from .standards import frictionless_problems, parquet_problems


@dataclass
class BuildResult:
    """The released tables (pandas), their files (path → bytes) and the build's warnings."""

    tables: dict[str, pd.DataFrame]
    files: dict[str, bytes]
    warnings: list[Problem] = field(default_factory=list)


def compile_release(curated: Path) -> BuildResult:
    """Read, derive and validate; raise InvalidData listing every error, or return the release."""
    tables, warnings = checked_tables(curated)
    # Released and documented from pandas, whose dtypes the writers were made for; the
    # release is small.
    released = {name: to_pandas(df) for name, df in tables.items()}
    return BuildResult(released, release_files(released), warnings)


def stage_and_check(root: Path, files: dict[str, bytes]) -> Path:
    """Write `files` into a staging folder under `root` and run the standards checks there."""
    staging = swap.new_staging(root)
    try:
        write_files(staging, files)
        problems = frictionless_problems(staging) + parquet_problems(staging)
        if problems:
            raise InvalidData(problems)
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
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def build(curated: Path, out: Path, docs: bool = True) -> BuildResult:
    """Build and release into `out` atomically, then regenerate the documentation."""
    swap.recover(out)
    result = compile_release(curated)
    staging = stage_and_check(out, result.files)
    swap.swap_in(out, staging)
    if docs:
        for rel, data in doc_files(result.tables, out).items():
            _replace_file(out / rel, data)
    return result


def check(curated: Path, committed: Path, docs: bool = True) -> list[str]:
    """Files of the committed release that differ from a fresh build (empty list: up to date)."""
    result = compile_release(curated)
    staging = stage_and_check(committed, result.files)
    shutil.rmtree(staging, ignore_errors=True)
    expected = {**result.files, **(doc_files(result.tables, committed) if docs else {})}
    differ = [
        rel
        for rel, data in sorted(expected.items())
        if not (committed / rel).is_file() or (committed / rel).read_bytes() != data
    ]
    written = {p.relative_to(committed).as_posix() for p in (committed / "data").glob("*")}
    return differ + sorted(written - set(result.files))
