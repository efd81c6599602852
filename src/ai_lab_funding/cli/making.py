"""The commands that need the build half: build and validate.

Both import it when they run, so `ai-lab-funding info` stays as light as `load()`.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from .. import paths
from ..problems import InvalidData, Problem, errors, shown, without_followups
from ..schemas import tables as ts

if TYPE_CHECKING:
    from ..release.publish import BuildResult


def _summary(result: BuildResult, seconds: float) -> str:
    """Rows per table, report verdicts, unit flags and the claims compared, in a few lines."""
    t = result.tables
    rows = ", ".join(f"{name} {len(t[name])}" for name in ts.TABLE_ORDER)
    verdicts = t["reports"]["verdict"].value_counts()
    counts = ", ".join(
        f"{v} {int(verdicts.get(v, 0))}"
        for v in ("accepted", "rejected", "superseded", "unresolved")
    )
    lines = [
        f"rows: {rows}",
        f"reports: {counts}",
        f"unit flags (probable ×10 errors not yet rejected): {len(t['unit_flags'])}",
    ]
    claims = t["cumulative_claims"]
    shown = claims[claims["difference_usd"].notna()]
    for _, c in shown.head(20).iterrows():
        lines.append(
            f"claim {c['claim_id']}: claimed ${c['claimed_amount_usd'] / 1e9:.2f}B vs rounds "
            f"${c['rounds_sum_usd'] / 1e9:.2f}B ({int(c['rounds_counted'])} rounds), "
            f"difference ${c['difference_usd'] / 1e9:+.2f}B"
        )
    if len(shown) > 20:
        lines.append(f"… and {len(shown) - 20} more claims (table cumulative_claims)")
    lines.append(f"warnings: {len(result.warnings)}; time {seconds:.2f}s")
    return "\n".join(lines)


def _check(curated: Path, out: Path, docs: bool, start: float) -> int:
    from ..release.publish import check

    differ = check(curated, out, docs=docs)
    if differ:
        print(
            "release is out of date with curated/; rebuild with `ai-lab-funding build`. "
            "Differing files:",
            file=sys.stderr,
        )
        for rel in differ:
            print(f"  {rel}", file=sys.stderr)
        return 1
    print(f"release is up to date ({time.perf_counter() - start:.2f}s)")
    return 0


# The build extra's libraries, by import name (`pip install 'ai-lab-funding[build]'`).
BUILD_EXTRA = (
    "polars",
    "pandera",
    "frictionless",
    "currency_converter",
    "pycountry",
    "confusable_homoglyphs",
    "matplotlib",
)


def missing_build_extra(command: str) -> int:
    """0 when the build extra is installed; else say how to get it, in one line, and 2.

    The default install only loads and fetches releases, so `build` and `validate` on a
    light install would otherwise end in an ImportError traceback.
    """
    from importlib.util import find_spec

    missing = [name for name in BUILD_EXTRA if find_spec(name) is None]
    if not missing:
        return 0
    print(
        f"ai-lab-funding {command} needs the build extra: pip install 'ai-lab-funding[build]' "
        f"(missing: {', '.join(missing)})",
        file=sys.stderr,
    )
    return 2


def build(args: argparse.Namespace) -> int:
    """Build and release (or, with --check, compare with the committed release)."""
    if missing_build_extra("build"):
        return 2
    from ..build.rules.columns import quiet_pyspark_warning
    from ..release.publish import ReleaseBusyError
    from ..release.publish import build as build_release

    quiet_pyspark_warning()
    root = paths.checkout_root() or Path.cwd()
    curated, out = args.curated or root / "curated", args.out or root
    start = time.perf_counter()
    try:
        if args.check:
            return _check(curated, out, not args.no_docs, start)
        result = build_release(curated, out, docs=not args.no_docs)
    except ReleaseBusyError as e:  # another build or check holds the release folder
        print(e, file=sys.stderr)
        return 1
    except InvalidData as e:
        for line in shown(e.problems):
            print(line, file=sys.stderr)
        print(
            f"build failed: {len(errors(e.problems))} error(s); nothing was written",
            file=sys.stderr,
        )
        return 1
    for line in shown(sorted(result.warnings)):
        print(line, file=sys.stderr)
    print(_summary(result, time.perf_counter() - start))
    return 0


def _print_problems(problems: list[Problem]) -> int:
    problems = sorted(without_followups(problems))
    for line in shown(problems):
        print(line)
    n = len(errors(problems))
    print(f"{n} error(s), {len(problems) - n} warning(s)", file=sys.stderr)
    return 1 if n else 0


def _validate_parquet(path: Path, table: str) -> list[Problem]:
    import pyarrow.parquet as pq

    from ..build.rules.runner import validate_frame
    from ..loader import to_pandas

    try:
        frame = to_pandas(pq.read_table(path), table)
    except Exception as e:  # not Parquet at all, or not this table's columns
        return [Problem(path.name, 0, "", "unreadable", str(e))]
    try:
        validate_frame(frame, table)
    except InvalidData as e:
        return [dataclasses.replace(p, file=path.name) for p in e.problems]
    return []


def _validate_file(path: Path) -> list[Problem]:
    """One CSV (curated or released) or Parquet file, named after its table."""
    from ..build.validation import validate_csv

    table = path.stem
    if table not in ts.table_names():
        tables = ", ".join(ts.table_names())
        return [
            Problem(path.name, 0, "", "unknown_table", f"file name must be a table name: {tables}")
        ]
    if path.suffix == ".parquet":
        return _validate_parquet(path, table)
    released = [f["name"] for f in ts.fields(table)]
    header = path.read_text(encoding="utf-8", errors="replace").split("\n", 1)[0].strip().split(",")
    if header == released and ts.curated_fields(table) != ts.fields(table):
        message = "this is a released table; validate its release folder instead"
        return [Problem(path.name, 0, "", "released_file", message)]
    return validate_csv(path, table)


def _released_folder(path: Path) -> list[Problem]:
    """One problem for a release's data/ folder given where curated/ was meant.

    Its tables carry the derived columns and derived tables, so reading it as curated input
    would print dozens of misleading "extra column" errors instead of this one line.
    """
    if not any((path / f"{t}.parquet").is_file() for t in ts.table_names()):
        return []
    parent = path.resolve().parent
    where = f" ({parent})" if (parent / "datapackage.json").is_file() else ""
    message = (
        "this is the data folder of a release, not a folder of curated CSVs: "
        f"validate the release folder that holds datapackage.json{where}"
    )
    return [Problem(path.name or str(path), 0, "", "released_folder", message)]


def _validate_path(path: Path) -> list[Problem]:
    if path.is_dir() and (path / "datapackage.json").is_file():
        from ..release.standards import frictionless_problems, parquet_problems

        return frictionless_problems(path) + parquet_problems(path)
    if path.is_dir():
        from ..build.validation import validate_curated

        return _released_folder(path) or validate_curated(path)[1]
    return _validate_file(path)


def validate(args: argparse.Namespace) -> int:
    """Print every problem of a curated folder, a release folder or one file; 1 if any error."""
    if missing_build_extra("validate"):
        return 2
    from ..build.rules.columns import quiet_pyspark_warning

    quiet_pyspark_warning()
    path: Path = args.path
    if not path.exists():
        print(f"no such file or folder: {path}", file=sys.stderr)
        return 2
    try:
        problems = _validate_path(path)
    except InvalidData as e:
        problems = e.problems
    return _print_problems(problems)


def release(args: argparse.Namespace) -> int:
    """Write the built release's assets into `--out/<version>/`; 2 if the version is wrong."""
    from .._version import RELEASE_DATE, __version__
    from ..release.assets import (
        ReleaseStepError,
        asset_files,
        check_version,
        descriptor_sha256,
        required_bump,
        write_assets,
    )
    from .data import diff_releases

    root = paths.checkout_root() or Path.cwd()
    diff = None
    try:
        if args.previous is not None:
            old = args.previous / "datapackage.json"
            if not old.is_file():
                raise ReleaseStepError(
                    f"not a release folder (no datapackage.json): {args.previous}"
                )
            previous = json.loads(old.read_bytes()).get("version", "")
            diff = diff_releases(args.previous, root)
            check_version(__version__, previous, required_bump(diff, args.previous, root))
        files = asset_files(root, __version__, RELEASE_DATE, diff)
        folder = args.out / __version__
        write_assets(files, folder)
    except (ReleaseStepError, OSError, ValueError) as e:
        print(f"release: {e}", file=sys.stderr)
        return 2
    print(f"{len(files)} files in {folder}")
    print(f"descriptor sha256 {descriptor_sha256(files)} (add it to release_hashes.json)")
    return 0
