"""`ai-lab-funding` command line: info, validate, fetch, export, diff.

Exit codes: 0 fine, 1 invalid data (or a failed download), 2 wrong usage.
`validate` is what a contributor's CI calls, so it prints every problem as
file:line:column: rule: message and never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import loader, paths
from . import table_schemas as ts
from ._version import __version__


def _info(args: argparse.Namespace) -> int:
    root = paths.release_dir()
    desc = loader.package()
    print(f"ai-lab-funding {__version__} — data release {desc['version']} ({desc['created'][:10]}), licence {desc['licenses'][0]['name']}")
    print(f"release folder: {root}")
    for res in desc["resources"]:
        if res["format"] == "csv":
            print(f"  {res['name']:<18} {res['rows']:>6} rows  {res['hash']}")
    print("sources: see the `sources` table; every figure is in `reports` with its verdict")
    return 0


def _print_problems(problems) -> int:
    from .problems import errors, without_followups

    problems = sorted(without_followups(problems))
    for p in problems:
        print(p)
    n = len(errors(problems))
    print(f"{n} error(s), {len(problems) - n} warning(s)", file=sys.stderr)
    return 1 if n else 0


def _validate(args: argparse.Namespace) -> int:
    from .pandera_schema import quiet_pyspark_warning
    from .problems import InvalidData

    quiet_pyspark_warning()

    path: Path = args.path
    if not path.exists():
        print(f"no such file or folder: {path}", file=sys.stderr)
        return 2
    try:
        if path.is_dir() and (path / "datapackage.json").is_file():
            from .standards import frictionless_problems, parquet_problems
            problems = frictionless_problems(path) + parquet_problems(path)
        elif path.is_dir():
            from .pipeline import compile_release
            problems = compile_release(path).warnings
        else:
            problems = _validate_file(path)
    except InvalidData as e:
        problems = e.problems
    return _print_problems(problems)


def _validate_file(path: Path):
    """One CSV (curated or released) or Parquet file, named after its table."""
    from .problems import Problem

    table = path.stem
    if table not in ts.table_names():
        return [Problem(path.name, 0, "", "unknown_table", f"file name must be a table name: {', '.join(ts.table_names())}")]
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        from .problems import InvalidData
        try:
            loader.validate(loader._to_pandas(pq.read_table(path), table), table)
        except InvalidData as e:
            return [Problem(path.name, p.line, p.column, p.rule, p.message, p.value, p.hint) for p in e.problems]
        except Exception as e:  # not Parquet at all
            return [Problem(path.name, 0, "", "unreadable", str(e))]
        return []
    from .curated_reader import read_table
    from .pipeline import line_namer
    from .rules import validate_tables

    released = [f["name"] for f in ts.fields(table)]
    header = path.read_text(encoding="utf-8", errors="replace").split("\n", 1)[0].strip().split(",")
    if header == released and ts.curated_fields(table) != ts.fields(table):
        return [Problem(path.name, 0, "", "released_file", "this is a released table; validate its release folder instead")]
    read, problems = read_table(path, table)
    if read is not None:
        problems += validate_tables({table: read.frame}, lambda t: path.name, line_namer({table: read}), curated=True)
    return problems


def _fetch(args: argparse.Namespace) -> int:
    from .remote import ReleaseError, fetch

    try:
        folder = fetch(args.version, base_url=args.base_url, dest=args.dest, progress=sys.stderr.isatty())
    except ReleaseError as e:
        print(f"fetch failed: {e}", file=sys.stderr)
        return 1
    print(folder)
    return 0


def _export(args: argparse.Namespace) -> int:
    dest: Path = args.dest
    frames = {t: loader.load(t, version=args.version) for t in ts.table_names()}
    if args.format in ("csv", "parquet"):
        dest.mkdir(parents=True, exist_ok=True)
        from .release_writer import csv_bytes, parquet_bytes
        for t, df in frames.items():
            data = csv_bytes(df, t) if args.format == "csv" else parquet_bytes(df, t)
            (dest / f"{t}.{args.format}").write_bytes(data)
    elif args.format == "sqlite":
        import sqlite3
        dest.unlink(missing_ok=True)
        with sqlite3.connect(dest) as con:
            for t, df in frames.items():
                out = df.copy()
                for c in out.columns:
                    if str(out[c].dtype).startswith("datetime64"):
                        out[c] = out[c].dt.strftime("%Y-%m-%d")
                out.to_sql(t, con, index=False)
    else:
        duckdb = loader._require("duckdb")
        dest.unlink(missing_ok=True)
        con = duckdb.connect(str(dest))
        for t in frames:
            path = paths.release_dir() / "data" / f"{t}.parquet"
            con.execute(f"CREATE TABLE {t} AS SELECT * FROM read_parquet(?)", [str(path)])
        con.close()
    print(dest)
    return 0


def diff_releases(old: Path, new: Path) -> dict[str, dict[str, list[str]]]:
    """Per table, the primary keys of rows added, removed and changed between two release folders."""
    import pandas as pd

    out = {}
    for t in ts.table_names():
        key = ts.primary_key(t)
        frames = []
        for root in (old, new):
            f = root / "data" / f"{t}.csv"
            frames.append(pd.read_csv(f, dtype=str, keep_default_na=False) if f.is_file() else pd.DataFrame(columns=key))
        a, b = (df.set_index(key) if len(df) else df.set_index(key) for df in frames)
        added = sorted(map(str, b.index.difference(a.index)))
        removed = sorted(map(str, a.index.difference(b.index)))
        common = a.index.intersection(b.index)
        cols = [c for c in b.columns if c in a.columns]
        changed = sorted(str(k) for k in common if not a.loc[k, cols].equals(b.loc[k, cols])) if len(common) else []
        out[t] = {"added": added, "removed": removed, "changed": changed}
    return out


def _diff(args: argparse.Namespace) -> int:
    for p in (args.old, args.new):
        if not (p / "datapackage.json").is_file():
            print(f"not a release folder (no datapackage.json): {p}", file=sys.stderr)
            return 2
    result = diff_releases(args.old, args.new)
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return 0
    print(f"{'table':<18} {'added':>6} {'removed':>8} {'changed':>8}")
    for t, d in result.items():
        print(f"{t:<18} {len(d['added']):>6} {len(d['removed']):>8} {len(d['changed']):>8}")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ai-lab-funding", description="AI-lab funding data: every figure traced to its sources.")
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("info", help="version, tables, rows, hashes and where the data comes from")
    s.set_defaults(func=_info)
    s = sub.add_parser("validate", help="validate a folder of curated CSVs, a release folder, or one CSV/Parquet file")
    s.add_argument("path", type=Path)
    s.set_defaults(func=_validate)
    s = sub.add_parser("fetch", help="download and verify a published release")
    s.add_argument("--version", required=True, dest="version")
    s.add_argument("--dest", type=Path, default=None, help="folder to put it in (default: the cache)")
    s.add_argument("--base-url", default=None, help="release address (default: AI_LAB_FUNDING_BASE_URL)")
    s.set_defaults(func=_fetch)
    s = sub.add_parser("export", help="write every table as csv, parquet, sqlite or duckdb")
    s.add_argument("--format", required=True, choices=["csv", "parquet", "sqlite", "duckdb"])
    s.add_argument("--version", default=None, dest="version", help="a published release (default: the bundled one)")
    s.add_argument("dest", type=Path)
    s.set_defaults(func=_export)
    s = sub.add_parser("diff", help="rows added, removed and changed per table between two release folders")
    s.add_argument("old", type=Path)
    s.add_argument("new", type=Path)
    s.add_argument("--json", action="store_true", help="list the keys as JSON")
    s.set_defaults(func=_diff)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)  # argparse exits 2 on wrong usage
    return args.func(args)
