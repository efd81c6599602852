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
from ..problems import printable
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
    """Keyed (release/sqlite.py) when the release has today's columns; else tables as they are.

    An earlier release's tables differ from today's Table Schemas, so no keys can be
    declared for them from here; they are written plain.
    """
    import sqlite3

    from ..release.sqlite import write_sqlite

    if all(list(df.columns) == [f["name"] for f in ts.fields(t)] for t, df in frames.items()):
        write_sqlite(frames, dest)
        return
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
    return {t: loader.verified_parquet(t, root) for t in loader.release_tables(root)}


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
    frames = {
        t: loader.to_pandas(pq.read_table(path), t, path.parent.parent) for t, path in files.items()
    }
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


def _changes(a: pd.DataFrame, b: pd.DataFrame) -> dict[str, dict[str, list[str]]]:
    """Per key present in both, the columns whose value changed, as [old, new].

    pandas' own `DataFrame.compare` finds them; rows and columns are first aligned on the
    keys and columns both releases have.
    """
    common = a.index.intersection(b.index).sort_values()
    shared = [c for c in b.columns if c in a.columns]
    if not len(common) or not shared:
        return {}
    diff = a.loc[common, shared].compare(b.loc[common, shared], result_names=("old", "new"))
    out: dict[str, dict[str, list[str]]] = {}
    for key, row in diff.iterrows():
        cells = {col: [row[(col, "old")], row[(col, "new")]] for col in diff.columns.levels[0]}
        # compare() leaves NaN in the cells of a changed row that did not change
        out[str(key)] = {
            col: pair
            for col, pair in cells.items()
            if not (pd.isna(pair[0]) and pd.isna(pair[1])) and pair[0] != pair[1]
        }
    return out


def diff_releases(old: Path, new: Path) -> dict[str, dict]:
    """Per table, what changed between two release folders.

    Keys of the rows added, removed and changed, each change's old and new values, and
    the columns one release has and the other has not.
    """
    out = {}
    for t in ts.table_names():
        key = ts.primary_key(t)
        a, b = _read_keyed(old, t, key), _read_keyed(new, t, key)
        changes = _changes(a, b)
        out[t] = {
            "added": sorted(map(str, b.index.difference(a.index))),
            "removed": sorted(map(str, a.index.difference(b.index))),
            "changed": sorted(changes),
            "changes": {k: changes[k] for k in sorted(changes)},
            "columns_added": [c for c in b.columns if c not in a.columns],
            "columns_removed": [c for c in a.columns if c not in b.columns],
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
    if args.markdown:
        print(_markdown(args.old, args.new, result))
        return 0
    print(f"{'table':<18} {'added':>6} {'removed':>8} {'changed':>8}")
    for t, d in result.items():
        print(f"{t:<18} {len(d['added']):>6} {len(d['removed']):>8} {len(d['changed']):>8}")
    for t, d in result.items():
        for line in _change_lines(t, d):
            print(line)
    return 0


def _markdown(old: Path, new: Path, result: dict[str, dict], shown: int = 20) -> str:
    """The changes as Markdown: the release's changelog table, then each changed value."""
    from ..release.assets import changes_markdown

    descriptor = json.loads((new / "datapackage.json").read_bytes())
    version, date = descriptor.get("version", "?"), descriptor.get("created", "")[:10]
    lines = [changes_markdown(version, date, result).rstrip()]
    for t, d in result.items():
        if not d["changes"]:
            continue
        lines += ["", f"### `{t}`: changed values", ""]
        for key, cells in list(d["changes"].items())[:shown]:
            lines += [f"- `{key}` {col}: {a!r} → {b!r}" for col, (a, b) in cells.items()]
        if len(d["changes"]) > shown:
            lines.append(f"- … and {len(d['changes']) - shown} more changed rows")
    return "\n".join(printable(line) for line in "\n".join(lines).split("\n"))


def _change_lines(table: str, d: dict, shown: int = 20) -> list[str]:
    """Columns added or removed, then each changed cell as old → new (the first `shown` rows)."""
    lines = [f"{table}: column added: {c}" for c in d["columns_added"]]
    lines += [f"{table}: column removed: {c}" for c in d["columns_removed"]]
    for key, cells in list(d["changes"].items())[:shown]:
        lines += [f"{table} {key}: {col}: {old!r} → {new!r}" for col, (old, new) in cells.items()]
    if len(d["changes"]) > shown:
        lines.append(f"{table}: … and {len(d['changes']) - shown} more changed rows (see --json)")
    return [printable(line) for line in lines]


def site_files(root: Path, folder: Path) -> tuple[Path, Path]:
    """The keyed SQLite file and Datasette metadata of the release in `root`, in `folder`."""
    from ..release.datasette import DATABASE, metadata_text

    folder.mkdir(parents=True, exist_ok=True)
    db, meta = folder / f"{DATABASE}.db", folder / "metadata.json"
    files = {t: loader.verified_parquet(t, root) for t in loader.release_tables(root)}
    _write_sqlite(
        {t: loader.to_pandas(pq.read_table(path), t, root) for t, path in files.items()}, db
    )
    text = metadata_text(json.loads((root / "datapackage.json").read_bytes()))
    _replace(meta, lambda path: path.write_text(text, encoding="utf-8"))
    return db, meta


def serve(args: argparse.Namespace) -> int:
    """Open the release in Datasette on 127.0.0.1 (the [serve] extra), until interrupted."""
    import subprocess
    from importlib.util import find_spec

    if find_spec("datasette") is None:
        print("serve needs Datasette: pip install 'ai-lab-funding[serve]'", file=sys.stderr)
        return 2
    try:
        root = loader.release_root(
            args.version, args.base_url, descriptor_sha256=args.descriptor_sha256
        )
        db, meta = site_files(root, args.folder or root_cache(root))
    except (ReleaseError, OSError, ValueError) as e:
        print(f"serve failed: {e}", file=sys.stderr)
        return 1
    command = [sys.executable, "-m", "datasette", "serve", str(db), "--metadata", str(meta)]
    command += ["-h", "127.0.0.1", "-p", str(args.port)]
    print(f"Datasette on http://127.0.0.1:{args.port}/ ({db}); Ctrl-C stops it", file=sys.stderr)
    try:
        return subprocess.call(command)
    except KeyboardInterrupt:
        return 0


def root_cache(root: Path) -> Path:
    """Where `serve` keeps the SQLite file of the release in `root`: the download cache."""
    from ..remote import cache_dir

    version = json.loads((root / "datapackage.json").read_bytes()).get("version", "bundled")
    return cache_dir() / "datasette" / str(version)
