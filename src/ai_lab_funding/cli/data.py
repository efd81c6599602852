"""The read-only commands: info, fetch, export, diff. They import only the user half."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
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


def _replace(dest: Path, write: Callable[[Path], None]) -> None:
    """Write `dest` through a temporary file beside it: a failed export leaves no half file."""
    tmp = dest.with_name(f".{dest.name}.tmp-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    try:
        write(tmp)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def _write_files(frames: dict[str, pd.DataFrame], dest: Path, fmt: str) -> None:
    from ..release.files import csv_bytes, parquet_bytes

    dest.mkdir(parents=True, exist_ok=True)
    for t, df in frames.items():
        data = csv_bytes(df, t) if fmt == "csv" else parquet_bytes(df, t)
        _replace(dest / f"{t}.{fmt}", lambda path, data=data: path.write_bytes(data))


def _write_sqlite(frames: dict[str, pd.DataFrame], dest: Path) -> None:
    _replace(dest, lambda path: _sqlite_file(frames, path))


def _sqlite_file(frames: dict[str, pd.DataFrame], dest: Path) -> None:
    import sqlite3

    with sqlite3.connect(dest) as con:
        for t, df in frames.items():
            out = df.copy()
            for c in out.columns:
                if str(out[c].dtype).startswith("datetime64"):
                    out[c] = out[c].dt.strftime("%Y-%m-%d")
            out.to_sql(t, con, index=False)


def _write_duckdb(files: dict[str, Path], dest: Path) -> None:
    _replace(dest, lambda path: _duckdb_file(files, path))


def _duckdb_file(files: dict[str, Path], dest: Path) -> None:
    duckdb = loader.import_engine("duckdb")
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
    unusable = _unusable_destination(args.dest, args.format)
    if unusable:
        print(f"export: {unusable}", file=sys.stderr)
        return 2
    try:
        _write(_release_files(args), args.dest, args.format)
    except ReleaseError as e:
        print(f"export failed: {e}", file=sys.stderr)
        return 1
    except OSError as e:  # a full disk, a folder we may not write
        print(f"export failed: cannot write {args.dest}: {e.strerror or e}", file=sys.stderr)
        return 1
    print(args.dest)
    return 0


def _unusable_destination(dest: Path, fmt: str) -> str | None:
    """Why `dest` cannot receive an export, before anything is downloaded or written."""
    if fmt in ("csv", "parquet"):
        existing = next((p for p in (dest, *dest.parents) if p.exists()), None)
        if existing is not None and not existing.is_dir():
            return f"{existing} is a file, so {dest} cannot be a folder of {fmt} files"
        return None
    if dest.is_dir():
        example = dest / f"ai-lab-funding.{fmt}"
        return f"{dest} is a folder: name the {fmt} file to write, e.g. {example}"
    if not dest.parent.is_dir():
        return f"the folder {dest.parent} does not exist: create it first"
    return None


def _write(files: dict[str, Path], dest: Path, fmt: str) -> None:
    """Every table of the release whose Parquet files are `files`, as `fmt` at `dest`."""
    if fmt == "duckdb":
        _write_duckdb(files, dest)
        return
    frames = {t: loader.to_pandas(pq.read_table(path), t) for t, path in files.items()}
    if fmt == "sqlite":
        _write_sqlite(frames, dest)
    else:
        _write_files(frames, dest, fmt)


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
