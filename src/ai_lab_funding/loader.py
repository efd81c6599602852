"""Load released tables with real types, from the bundled release or a downloaded one.

This is the path users hit first, so it imports only pandas and pyarrow (and the engine a
caller asks for): validation libraries load only when something is validated.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from . import paths
from .remote import ReleaseError, fetch
from .schemas import tables as ts
from .schemas import types

ENGINES = ("pandas", "polars", "pyarrow", "duckdb")
_EXTRAS = {"polars": "polars", "duckdb": "duckdb"}


def tables() -> list[str]:
    """Names of the released tables."""
    return ts.table_names()


def release_root(
    version: str | None = None,
    base_url: str | None = None,
    *,
    descriptor_sha256: str | None = None,
) -> Path:
    """The folder holding a release: the bundled one, or release `version` fetched and verified.

    descriptor_sha256 pins the descriptor of a release this package does not know (see fetch).
    """
    if version is None:
        if descriptor_sha256 is not None:
            raise ValueError("descriptor_sha256 pins a downloaded release: pass version= too")
        return paths.release_dir()
    return fetch(version=version, base_url=base_url, descriptor_sha256=descriptor_sha256)


def package(
    version: str | None = None,
    base_url: str | None = None,
    *,
    descriptor_sha256: str | None = None,
) -> dict[str, Any]:
    """The release's datapackage.json as a dict (bundled, or release `version`)."""
    root = release_root(version, base_url, descriptor_sha256=descriptor_sha256)
    return json.loads((root / "datapackage.json").read_text(encoding="utf-8"))


def schema(table: str) -> dict[str, Any]:
    """The Frictionless Table Schema of `table`."""
    return ts.load_schema(table)


def describe(table: str) -> pd.DataFrame:
    """One row per column: type, unit, whether required, allowed values and description."""
    rows = []
    for f in ts.fields(table):
        c = ts.constraints(f)
        rows.append(
            {
                "column": f["name"],
                "type": f["type"],
                "unit": f.get("x-unit", ""),
                "required": bool(c.get("required")),
                "values": ", ".join(map(str, c.get("enum", []))),
                "derived": bool(f.get("x-derived")),
                "description": f.get("description", ""),
            }
        )
    return pd.DataFrame(rows)


def parquet_path(table: str, root: Path) -> Path:
    """Where `table`'s Parquet file lies in the release folder `root`."""
    if table not in ts.table_names():
        raise KeyError(f"unknown table {table!r}; tables are: {', '.join(ts.table_names())}")
    return root / "data" / f"{table}.parquet"


# Tables of the bundled release whose file matched the bundled descriptor in this process,
# keyed by the file's and the descriptor's size and mtime so a rebuilt release is re-checked.
_VERIFIED: set[tuple[object, ...]] = set()


def verified_parquet(table: str, root: Path) -> Path:
    """`table`'s Parquet file in the release folder `root`, checked before anyone reads it.

    The bundled release is compared with the bundled descriptor the first time a process
    loads each table: an installed copy can be damaged (a disk error, an interrupted
    upgrade, a hand edit), and a wrong table read quietly is worse than an error. The verdict
    is remembered, so later loads cost two stat calls. A downloaded release was hashed file
    by file when fetched; here its descriptor must list the file, so a stray file in the
    cache folder that no verified descriptor vouches for is never read.
    """
    path = parquet_path(table, root)
    rel = f"data/{table}.parquet"
    if root != paths.release_dir():
        if rel not in _descriptor_hashes(root / "datapackage.json", _signature(root, None)):
            raise ReleaseError(f"{root / 'datapackage.json'} lists no {rel}: no table {table}")
        return path
    try:
        return _verified_bundled(root, rel, path)
    except ReleaseError:
        # A build in a checkout replaces `data/` and `datapackage.json` one after the other
        # while it holds the release lock: a load in between sees a file missing, or a file
        # and a descriptor of two releases. Rather than call that damage, wait for the lock
        # (a build holds it for seconds) and look again; only what outlives it is an error.
        if not _waited_for_build(root):
            raise
        return _verified_bundled(root, rel, path)


def _verified_bundled(root: Path, rel: str, path: Path) -> Path:
    key = _signature(root, path)
    if key not in _VERIFIED:
        _check_bundled(root, rel, path, key)
        _VERIFIED.add(key)
    return path


def _signature(root: Path, path: Path | None) -> tuple[object, ...]:
    """Size and mtime of the descriptor (and of one file): what a rebuild would change."""
    files = [root / "datapackage.json"] + ([path] if path is not None else [])
    try:
        stats = [f.stat() for f in files]
    except OSError as e:
        raise ReleaseError(
            f"{e.filename}: missing or unreadable ({e.strerror}); {_remedy(root)}"
        ) from None
    return tuple((str(f), st.st_size, st.st_mtime_ns) for f, st in zip(files, stats))


@lru_cache(maxsize=8)
def _descriptor_hashes(descriptor: Path, signature: tuple[object, ...]) -> dict[str, str]:
    """The sha256 (lowercase hex) of every file a release descriptor lists, by path."""
    try:
        resources = json.loads(descriptor.read_bytes())["resources"]
        return {
            r["path"]: r["hash"].removeprefix("sha256:").lower()
            for r in resources
            if r.get("hash", "").startswith("sha256:")
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise ReleaseError(
            f"{descriptor}: unreadable release descriptor ({type(e).__name__}); "
            f"{_remedy(descriptor.parent)}"
        ) from None


# How long a load waits for a build that is replacing the release it reads.
BUILD_WAIT = 60.0


def _waited_for_build(root: Path) -> bool:
    """Wait until no build holds `root`'s release lock; False where none ever ran or it stays."""
    lock_file = root / paths.RELEASE_LOCK
    if not lock_file.is_file():
        return False  # an installed package: no build ever runs here
    from filelock import FileLock, Timeout

    try:
        with FileLock(lock_file, timeout=BUILD_WAIT):
            return True
    except (Timeout, OSError):
        return False


def _check_bundled(root: Path, rel: str, path: Path, key: tuple[object, ...]) -> None:
    expected = _descriptor_hashes(root / "datapackage.json", key[:1]).get(rel)
    if expected is None:
        raise ReleaseError(
            f"{root / 'datapackage.json'} lists no sha256 for {rel}; {_remedy(root)}"
        )
    try:
        with open(path, "rb") as fh:
            got = hashlib.file_digest(fh, "sha256").hexdigest()
    except OSError as e:
        raise ReleaseError(f"{path}: unreadable ({e.strerror}); {_remedy(root)}") from None
    if got != expected:
        raise ReleaseError(
            f"{path} is damaged: its sha256 {got} is not the {expected} the bundled "
            f"datapackage.json gives; {_remedy(root)}"
        )


def _remedy(root: Path) -> str:
    """How to get a whole release back: rebuild it in a checkout, else reinstall or refetch."""
    if root != paths.release_dir():
        return "fetch the release again"
    if paths.checkout_root() is not None:
        return "rebuild it with `ai-lab-funding build` in the checkout"
    return "reinstall with `pip install --force-reinstall ai-lab-funding`"


def release_fields(table: str, root: Path | None = None) -> list[dict[str, Any]]:
    """The columns of `table` as the release in `root` describes them (default: the bundled).

    An earlier release has the columns it had then, not today's: its own descriptor says
    which, with their types and allowed values, so it loads with real types too.
    """
    if root is None or root == paths.release_dir():
        return ts.fields(table)
    descriptor = root / "datapackage.json"
    try:
        resources = json.loads(descriptor.read_bytes())["resources"]
        return next(
            list(r["schema"]["fields"])
            for r in resources
            if r.get("name") == table and isinstance(r.get("schema"), dict)
        )
    except (OSError, ValueError, KeyError, TypeError, StopIteration):
        raise ReleaseError(f"{descriptor} gives no columns for {table}") from None


def release_tables(root: Path) -> list[str]:
    """The tables the release in `root` holds: an earlier release may have fewer than today's."""
    if root == paths.release_dir():
        return ts.table_names()
    listed = _descriptor_hashes(root / "datapackage.json", _signature(root, None))
    return [t for t in ts.table_names() if f"data/{t}.parquet" in listed]


def to_pandas(t: pa.Table, table: str, root: Path | None = None) -> pd.DataFrame:
    """A released table read by Arrow, as pandas with the schema's dtypes.

    Dates become datetime64[s], integers nullable Int64, and text columns with a closed
    list of values categoricals whose categories are that list in schema order. The schema
    is the release's own (`release_fields`).
    """
    fields = release_fields(table, root)
    df = t.to_pandas(date_as_object=False)
    for f in fields:
        dtype = types.TYPES[f.get("type", "string")].pandas
        if f["name"] in df and str(df[f["name"]].dtype) != dtype:
            df[f["name"]] = df[f["name"]].astype(dtype)
    for name, values in ts.enums_of(fields).items():
        if name in df:
            df[name] = pd.Categorical(df[name], categories=values)
    return df


def load(
    table: str,
    engine: str = "pandas",
    version: str | None = None,
    base_url: str | None = None,
    *,
    descriptor_sha256: str | None = None,
) -> Any:
    """A released table with real types: dates, nullable integers, categoricals for enums.

    engine: "pandas" (default), "polars", "pyarrow" or "duckdb" (a DuckDB relation).
    version: a published release to download and verify; default the bundled one.
    descriptor_sha256: the pinned descriptor hash of a release this package does not know.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    parquet_path(table, Path())  # an unknown table fails before any download
    root = release_root(version, base_url, descriptor_sha256=descriptor_sha256)
    path = verified_parquet(table, root)
    if engine == "pandas":
        return to_pandas(pq.read_table(path), table, root)
    enums = ts.enums_of(release_fields(table, root))
    if engine == "pyarrow":
        t = pq.read_table(path)
        for name in enums:
            index = t.schema.get_field_index(name)
            t = t.set_column(index, name, t[name].dictionary_encode())
        return t
    module = import_engine(engine)
    if engine == "polars":
        df = module.read_parquet(path)
        return df.with_columns([module.col(n).cast(module.Enum(v)) for n, v in enums.items()])
    return _duckdb_with_enums(module.read_parquet(str(path)), enums)


def _duckdb_with_enums(rel: Any, enums: dict[str, list[str]]) -> Any:
    """A DuckDB relation whose enum columns are DuckDB ENUMs, as the others' categoricals."""
    if not enums:
        return rel

    def quoted(text: str) -> str:
        return "'" + str(text).replace("'", "''") + "'"

    columns = []
    for name in rel.columns:
        column = '"' + name.replace('"', '""') + '"'
        if name in enums:
            values = ", ".join(quoted(v) for v in enums[name])
            columns.append(f"CAST({column} AS ENUM({values})) AS {column}")
        else:
            columns.append(column)
    return rel.project(", ".join(columns))


def import_engine(engine: str) -> ModuleType:
    """The engine's module, or an ImportError that says which extra installs it."""
    try:
        return __import__(engine)
    except ImportError:
        extra = _EXTRAS[engine]
        raise ImportError(
            f"engine={engine!r} needs the {engine} package: pip install 'ai-lab-funding[{extra}]'"
        ) from None
