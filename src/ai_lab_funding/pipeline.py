"""The build: curated CSVs → derived tables → Pandera → files → Frictionless → atomic release.

Nothing reaches the release folder unless every stage passed; on failure the previous
release is left byte-for-byte as it was and every problem is printed, not just the first.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import polars as pl

from . import atomic_release, paths
from . import table_schemas as ts
from .curated_reader import CuratedTable, display_path, read_table
from .derive import derive
from .frames import to_pandas
from .pandera_schema import quiet_pyspark_warning
from .problems import InvalidData, Problem, errors
from .release_writer import release_files, write_files
from .rules import validate_tables
from .standards import frictionless_problems, parquet_problems


@dataclass
class BuildResult:
    tables: dict[str, pd.DataFrame]
    files: dict[str, bytes]
    warnings: list[Problem] = field(default_factory=list)


def read_all(curated: Path) -> tuple[dict[str, CuratedTable], list[Problem]]:
    """Every curated table, and every structural and type problem in them."""
    tables, problems = {}, []
    for table in ts.curated_tables():
        read, found = read_table(curated / f"{table}.csv", table)
        problems += found
        if read is not None:
            tables[table] = read
    return tables, problems


def file_namer(curated: Path):
    """Name problems by the curated file, as the user's path shows it; built tables by data/."""
    def file_of(table: str) -> str:
        return f"data/{table}.csv" if ts.is_derived_table(table) else display_path(curated / f"{table}.csv")
    return file_of


def line_namer(read: dict[str, CuratedTable]) -> Callable[[str, int], int]:
    """(table, row position) → editor line: the curated file's line, or a built table's (header is line 1)."""
    # Only the line arrays are kept: holding `read` would keep every curated frame alive after derive replaced it.
    lines = {name: t.lines for name, t in read.items()}

    def line_of(table: str, pos: int) -> int:
        return int(lines[table][pos]) if table in lines else int(pos) + 2
    return line_of


def validate_curated(curated: Path, phases: dict[str, float] | None = None) -> tuple[dict[str, pl.DataFrame] | None, list[Problem]]:
    """Read, derive and check every table: the released tables (None when the curated files cannot be
    derived from) and every problem of the three stages, errors and warnings alike.

    One entry point for the build, the CLI and the benchmark, so all three hold and free the same
    frames. `phases`, if given, receives the seconds each stage took.
    """
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        if phases is not None:
            phases[stage], clock = time.perf_counter() - clock, time.perf_counter()

    read, problems = read_all(curated)
    tables = {name: t.frame for name, t in read.items()}
    file_of, line_of = file_namer(curated), line_namer(read)
    del read
    lap("read")
    if len(tables) < len(ts.curated_tables()) or errors(problems):
        problems += validate_tables(tables, file_of, line_of, curated=True)
        lap("rules")
        return None, problems
    derived = derive(tables, file_of, line_of)
    del tables  # the curated frames derive replaced are freed before the rules run
    problems += derived.problems
    lap("derive")
    problems += validate_tables(derived.tables, file_of, line_of)
    lap("rules")
    return derived.tables, problems


def compile_release(curated: Path) -> BuildResult:
    """Read, derive and validate; raise InvalidData listing every error, or return the release."""
    tables, problems = validate_curated(curated)
    if tables is None or errors(problems):
        raise InvalidData(problems)
    # Released and documented from pandas, whose dtypes the writers were made for; the release is small.
    released = {name: to_pandas(df) for name, df in tables.items()}
    return BuildResult(released, release_files(released), [p for p in problems if p.severity != "error"])


def stage_and_check(root: Path, files: dict[str, bytes]) -> Path:
    """Write `files` into a staging folder under `root` and run the standards checks there."""
    staging = atomic_release.new_staging(root)
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
    """Generated documentation: data dictionary, figures, and README's table block (if `root` has a README)."""
    from .docs_writer import data_dictionary, patched_readme
    from .figures import figure_files

    files = {"docs/data-dictionary.md": data_dictionary(tables).encode("utf-8"), **figure_files(tables)}
    readme = root / "README.md"
    if readme.is_file():
        files["README.md"] = patched_readme(readme.read_text(encoding="utf-8"), tables).encode("utf-8")
    return files


def _replace_file(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def build(curated: Path, out: Path, docs: bool = True) -> BuildResult:
    """Build and release into `out` atomically, then regenerate the documentation."""
    atomic_release.recover(out)
    result = compile_release(curated)
    staging = stage_and_check(out, result.files)
    atomic_release.swap_in(out, staging)
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
    differ = [rel for rel, data in sorted(expected.items())
              if not (committed / rel).is_file() or (committed / rel).read_bytes() != data]
    extra = {p.relative_to(committed).as_posix() for p in (committed / "data").glob("*")} - set(result.files)
    return differ + sorted(extra)


def _summary(result: BuildResult, seconds: float) -> str:
    t = result.tables
    rows = ", ".join(f"{name} {len(t[name])}" for name in ts.TABLE_ORDER)
    rep = t["reports"]
    verdicts = rep["verdict"].value_counts()
    claims = t["cumulative_claims"]
    lines = [f"rows: {rows}",
             "reports: " + ", ".join(f"{v} {int(verdicts.get(v, 0))}" for v in ("accepted", "rejected", "superseded", "unresolved")),
             f"unit flags (probable ×10 errors not yet rejected): {len(t['unit_flags'])}"]
    shown = claims[claims["difference_usd"].notna()]
    for _, c in shown.head(20).iterrows():
        lines.append(f"claim {c['claim_id']}: claimed ${c['claimed_amount_usd'] / 1e9:.2f}B vs rounds ${c['rounds_sum_usd'] / 1e9:.2f}B "
                     f"({int(c['rounds_counted'])} rounds), difference ${c['difference_usd'] / 1e9:+.2f}B")
    if len(shown) > 20:
        lines.append(f"… and {len(shown) - 20} more claims (table cumulative_claims)")
    lines.append(f"warnings: {len(result.warnings)}; time {seconds:.2f}s")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="build.py", description="Build, validate and release the ai-lab-funding data package.")
    parser.add_argument("--check", action="store_true", help="build in a temporary folder and compare with the committed release")
    parser.add_argument("--out", type=Path, default=None, help="release folder (default: the repository root)")
    parser.add_argument("--curated", type=Path, default=None, help="folder of curated CSVs (default: curated/)")
    parser.add_argument("--no-docs", action="store_true", help="skip the generated documentation (dictionary, figures, README tables)")
    args = parser.parse_args(argv)
    quiet_pyspark_warning()
    curated = args.curated or paths.curated_dir()
    out = args.out or paths.REPO_ROOT
    start = time.perf_counter()
    try:
        if args.check:
            differ = check(curated, out, docs=not args.no_docs)
            if differ:
                print("release is out of date with curated/; rebuild with `python build.py`. Differing files:", file=sys.stderr)
                for rel in differ:
                    print(f"  {rel}", file=sys.stderr)
                return 1
            print(f"release is up to date ({time.perf_counter() - start:.2f}s)")
            return 0
        result = build(curated, out, docs=not args.no_docs)
    except InvalidData as e:
        for p in e.problems:
            print(p, file=sys.stderr)
        n = len(errors(e.problems))
        print(f"build failed: {n} error(s); nothing was written", file=sys.stderr)
        return 1
    for w in result.warnings:
        print(w, file=sys.stderr)
    print(_summary(result, time.perf_counter() - start))
    return 0
