"""Load released tables with real types, from the bundled release or a downloaded one.

This is the path users hit first, so it imports only pandas and pyarrow (and the engine a
caller asks for): validation libraries load only when something is validated.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from . import paths
from .schemas import tables as ts
from .schemas import types

ENGINES = ("pandas", "polars", "pyarrow", "duckdb")
_EXTRAS = {"polars": "polars", "duckdb": "duckdb"}


def tables() -> list[str]:
    """Names of the released tables."""
    return ts.table_names()


def release_root(version: str | None = None, base_url: str | None = None) -> Path:
    """The folder holding a release: the bundled one, or release `version` fetched and verified."""
    if version is None:
        return paths.release_dir()
    from .remote import fetch

    return fetch(version=version, base_url=base_url)


def package(version: str | None = None, base_url: str | None = None) -> dict[str, Any]:
    """The release's datapackage.json as a dict (bundled, or release `version`)."""
    descriptor = release_root(version, base_url) / "datapackage.json"
    return json.loads(descriptor.read_text(encoding="utf-8"))


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


def to_pandas(t: pa.Table, table: str) -> pd.DataFrame:
    """A released table read by Arrow, as pandas with the schema's dtypes.

    Dates become datetime64[s], integers nullable Int64, and text columns with a closed
    list of values categoricals whose categories are that list in schema order.
    """
    df = t.to_pandas(date_as_object=False)
    for f in ts.fields(table):
        dtype = types.TYPES[f["type"]].pandas
        if str(df[f["name"]].dtype) != dtype:
            df[f["name"]] = df[f["name"]].astype(dtype)
    for name, values in ts.enum_fields(table).items():
        df[name] = pd.Categorical(df[name], categories=values)
    return df


def load(
    table: str, engine: str = "pandas", version: str | None = None, base_url: str | None = None
) -> Any:
    """A released table with real types: dates, nullable integers, categoricals for enums.

    engine: "pandas" (default), "polars", "pyarrow" or "duckdb" (a DuckDB relation).
    version: a published release to download and verify; default the bundled one.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    path = parquet_path(table, release_root(version, base_url))
    if engine == "pandas":
        return to_pandas(pq.read_table(path), table)
    if engine == "pyarrow":
        t = pq.read_table(path)
        for name in ts.enum_fields(table):
            index = t.schema.get_field_index(name)
            t = t.set_column(index, name, t[name].dictionary_encode())
        return t
    module = import_engine(engine)
    if engine == "polars":
        enums = ts.enum_fields(table)
        df = module.read_parquet(path)
        return df.with_columns([module.col(n).cast(module.Enum(v)) for n, v in enums.items()])
    return module.read_parquet(str(path))


def import_engine(engine: str) -> ModuleType:
    """The engine's module, or an ImportError that says which extra installs it."""
    try:
        return __import__(engine)
    except ImportError:
        extra = _EXTRAS[engine]
        raise ImportError(
            f"engine={engine!r} needs the {engine} package: pip install 'ai-lab-funding[{extra}]'"
        ) from None
