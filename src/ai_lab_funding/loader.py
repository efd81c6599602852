"""Load released tables with real types, from the bundled release or a downloaded one.

This is the path users hit first, so it imports only pandas and pyarrow: validation
libraries load only when something is validated.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from . import paths
from . import table_schemas as ts

ENGINES = ("pandas", "polars", "pyarrow", "duckdb")
_EXTRAS = {"polars": "polars", "duckdb": "duckdb"}


def tables() -> list[str]:
    """Names of the released tables."""
    return ts.table_names()


def package(version: str | None = None, base_url: str | None = None) -> dict[str, Any]:
    """The release's datapackage.json as a dict (bundled, or release `version`)."""
    return json.loads((_release_root(version, base_url) / "datapackage.json").read_text(encoding="utf-8"))


def schema(table: str) -> dict[str, Any]:
    """The Frictionless Table Schema of `table`."""
    return ts.load_schema(table)


def describe(table: str) -> pd.DataFrame:
    """One row per column: type, unit, whether required, allowed values and description."""
    rows = []
    for f in ts.fields(table):
        c = ts.constraints(f)
        rows.append({"column": f["name"], "type": f["type"], "unit": f.get("x-unit", ""), "required": bool(c.get("required")),
                     "values": ", ".join(map(str, c.get("enum", []))), "derived": bool(f.get("x-derived")),
                     "description": f.get("description", "")})
    return pd.DataFrame(rows)


def _release_root(version: str | None, base_url: str | None) -> Path:
    if version is None:
        return paths.release_dir()
    from .remote import fetch

    return fetch(version=version, base_url=base_url)


def _parquet_path(table: str, root: Path) -> Path:
    if table not in ts.table_names():
        raise KeyError(f"unknown table {table!r}; tables are: {', '.join(ts.table_names())}")
    return root / "data" / f"{table}.parquet"


def _enum_fields(table: str) -> dict[str, list[str]]:
    return {f["name"]: [str(v) for v in ts.constraints(f)["enum"]] for f in ts.fields(table)
            if f["type"] == "string" and "enum" in ts.constraints(f)}


def _to_pandas(t: pa.Table, table: str) -> pd.DataFrame:
    df = t.to_pandas(date_as_object=False)
    for f in ts.fields(table):
        name = f["name"]
        if f["type"] == "integer":
            df[name] = df[name].astype("Int64")
        elif f["type"] == "date":
            df[name] = df[name].astype("datetime64[s]")
    for name, values in _enum_fields(table).items():
        df[name] = pd.Categorical(df[name], categories=values)
    return df


def load(table: str, engine: str = "pandas", version: str | None = None, base_url: str | None = None) -> Any:
    """A released table with real types: dates, nullable integers, categoricals for enums.

    engine: "pandas" (default), "polars", "pyarrow" or "duckdb" (a DuckDB relation).
    version: a published release to download and verify; default the bundled one.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    path = _parquet_path(table, _release_root(version, base_url))
    if engine == "pandas":
        return _to_pandas(pq.read_table(path), table)
    if engine == "pyarrow":
        t = pq.read_table(path)
        for name in _enum_fields(table):
            t = t.set_column(t.schema.get_field_index(name), name, t[name].dictionary_encode())
        return t
    module = _require(engine)
    if engine == "polars":
        df = module.read_parquet(path)
        return df.with_columns([module.col(n).cast(module.Enum(v)) for n, v in _enum_fields(table).items()])
    return module.read_parquet(str(path))


def _require(engine: str):
    try:
        return __import__(engine)
    except ImportError:
        raise ImportError(f"engine={engine!r} needs the {engine} package: pip install 'ai-lab-funding[{_EXTRAS[engine]}]'") from None


def validate(df: pd.DataFrame, table: str) -> pd.DataFrame:
    """Check a user's own frame against the same Pandera schema the build uses.

    Columns the build derives may be left out. Raises InvalidData listing every problem.
    """
    import pandera.pandas as pa_

    from .pandera_schema import table_schema
    from .problems import InvalidData
    from .rules import _from_failures

    curated = not any(f["name"] in df.columns for f in ts.fields(table) if f.get("x-derived"))
    frame = df.copy()
    for name in _enum_fields(table):
        if name in frame and isinstance(frame[name].dtype, pd.CategoricalDtype):
            frame[name] = frame[name].astype("str").where(frame[name].notna(), None)
    try:
        return table_schema(table, curated=curated).validate(frame, lazy=True)
    except pa_.errors.SchemaErrors as e:
        def value_at(i: object, column: str) -> object:
            if i not in frame.index or column not in frame.columns:
                raise KeyError(column)
            return frame.at[i, column]
        raise InvalidData(_from_failures(e.failure_cases, table, f"<{table}>", value_at, "error",
                                         lambda i: int(i) + 2 if isinstance(i, int) else 0)) from None
