"""The read-only commands: info, fetch, export, diff. They import only the user half."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from .. import loader
from .._version import __version__
from ..remote import ReleaseError
from ..schemas import tables as ts


def info(args: argparse.Namespace) -> int:
    """Print the package and data versions, every table's rows and hash, and the licence."""
    root = loader.release_root()
    desc = loader.package()
    created, licence = desc["created"][:10], desc["licenses"][0]["name"]
    print(
        f"ai-lab-funding {__version__} — data release {desc['version']} ({created}), "
        f"licence {licence}"
    )
    print(f"release folder: {root}")
    for res in desc["resources"]:
        if res["format"] == "csv":
            print(f"  {res['name']:<18} {res['rows']:>6} rows  {res['hash']}")
    print("sources: see the `sources` table; every figure is in `reports` with its verdict")
    return 0


def fetch(args: argparse.Namespace) -> int:
    """Download and verify a release; print its folder, or one line saying why not."""
    from ..remote import fetch as fetch_release

    try:
        folder = fetch_release(
            args.version,
            base_url=args.base_url,
            dest=args.dest,
            progress=sys.stderr.isatty(),
            descriptor_sha256=args.descriptor_sha256,
        )
    except ReleaseError as e:
        print(f"fetch failed: {e}", file=sys.stderr)
        return 1
    print(folder)
    return 0


def _write_files(frames: dict[str, pd.DataFrame], dest: Path, fmt: str) -> None:
    from ..release.files import csv_bytes, parquet_bytes

    dest.mkdir(parents=True, exist_ok=True)
    for t, df in frames.items():
        data = csv_bytes(df, t) if fmt == "csv" else parquet_bytes(df, t)
        (dest / f"{t}.{fmt}").write_bytes(data)


def _write_sqlite(frames: dict[str, pd.DataFrame], dest: Path) -> None:
    import sqlite3

    dest.unlink(missing_ok=True)
    with sqlite3.connect(dest) as con:
        for t, df in frames.items():
            out = df.copy()
            for c in out.columns:
                if str(out[c].dtype).startswith("datetime64"):
                    out[c] = out[c].dt.strftime("%Y-%m-%d")
            out.to_sql(t, con, index=False)


def _write_duckdb(files: dict[str, Path], dest: Path) -> None:
    duckdb = loader.import_engine("duckdb")
    dest.unlink(missing_ok=True)
    con = duckdb.connect(str(dest))
    for t, path in files.items():
        con.execute(f"CREATE TABLE {t} AS SELECT * FROM read_parquet(?)", [str(path)])
    con.close()


def _release_files(args: argparse.Namespace) -> dict[str, Path]:
    """Every table's Parquet file of the release to export, verified (see verified_parquet)."""
    root = loader.release_root(
        args.version, args.base_url, descriptor_sha256=args.descriptor_sha256
    )
    return {t: loader.verified_parquet(t, root) for t in ts.table_names()}


def export(args: argparse.Namespace) -> int:
    """Write every table of the bundled release, or of release --version, in one format."""
    if args.descriptor_sha256 is not None and args.version is None:
        print("export: --descriptor-sha256 needs --version", file=sys.stderr)
        return 2
    try:
        files = _release_files(args)
    except ReleaseError as e:
        print(f"export failed: {e}", file=sys.stderr)
        return 1
    if args.format == "duckdb":
        _write_duckdb(files, args.dest)
        print(args.dest)
        return 0
    frames = {t: loader.to_pandas(pq.read_table(path), t) for t, path in files.items()}
    if args.format == "sqlite":
        _write_sqlite(frames, args.dest)
    else:
        _write_files(frames, args.dest, args.format)
    print(args.dest)
    return 0


def _read_keyed(root: Path, table: str, key: list[str]) -> pd.DataFrame:
    """A released CSV as text indexed by its primary key; empty when the file is absent."""
    f = root / "data" / f"{table}.csv"
    if f.is_file():
        df = pd.read_csv(f, dtype=str, keep_default_na=False)
    else:
        df = pd.DataFrame(columns=key)
    return df.set_index(key)


def diff_releases(old: Path, new: Path) -> dict[str, dict[str, list[str]]]:
    """Per table, the primary keys of rows added, removed and changed between two releases."""
    out = {}
    for t in ts.table_names():
        key = ts.primary_key(t)
        a, b = _read_keyed(old, t, key), _read_keyed(new, t, key)
        common = a.index.intersection(b.index)
        cols = [c for c in b.columns if c in a.columns]
        changed = [k for k in common if not a.loc[k, cols].equals(b.loc[k, cols])]
        out[t] = {
            "added": sorted(map(str, b.index.difference(a.index))),
            "removed": sorted(map(str, a.index.difference(b.index))),
            "changed": sorted(map(str, changed)),
        }
    return out


def diff(args: argparse.Namespace) -> int:
    """Print the rows added, removed and changed per table (keys as JSON with --json)."""
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
