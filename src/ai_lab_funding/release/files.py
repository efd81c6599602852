"""Write a release deterministically: CSV and Parquet per table, then datapackage.json.

Byte-identical output is the point: one CSV writer with fixed number formats, fixed
Parquet options, rows sorted by primary key, and no clock (`created` is the release date).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .._version import RELEASE_DATE, __version__
from ..schemas import tables as ts
from ..schemas.types import FORMULA_START, arrow_schema

PARQUET_OPTIONS = {
    "compression": "zstd",
    "compression_level": 9,
    "use_dictionary": True,
    "write_statistics": True,
    "version": "2.6",
    "data_page_version": "1.0",
}
PARQUET_MEDIATYPE = "application/vnd.apache.parquet"


def canonical_frame(df: pd.DataFrame, table: str) -> pd.DataFrame:
    """Columns in schema order, numbers rounded to their declared decimals, rows sorted by key."""
    out = df[[f["name"] for f in ts.fields(table)]].copy()
    for f in ts.fields(table):
        if f["type"] == "number" and "x-decimals" in f:
            out[f["name"]] = out[f["name"]].round(f["x-decimals"])
    return out.sort_values(ts.primary_key(table), kind="stable").reset_index(drop=True)


def _text(value: Any) -> str:
    text = str(value)
    if text.startswith(FORMULA_START):
        raise ValueError(
            f"refusing to write a cell that a spreadsheet would run as a formula: {text[:30]!r}"
        )
    return text


def _number(decimals: int) -> Callable[[Any], str]:
    return lambda value: f"{value:.{decimals}f}"


def _formatter(f: dict[str, Any]) -> Callable[[Any], str]:
    """How a present cell of field `f` is written: fixed decimals, ISO dates, true/false."""
    kind = f["type"]
    if kind == "number":
        return _number(f.get("x-decimals", 6))
    if kind == "integer":
        return lambda value: str(int(value))
    if kind == "date":
        return lambda value: pd.Timestamp(value).date().isoformat()
    if kind == "boolean":
        return lambda value: "true" if value else "false"
    return _text


def _column_cells(s: pd.Series, f: dict[str, Any]) -> list[str]:
    """A column's cells as the release's CSV writes them; a missing value is an empty cell.

    Column by column, so a field's format is looked up once and not once per cell.
    """
    write = _formatter(f)
    return ["" if gap else write(v) for v, gap in zip(s.tolist(), s.isna().tolist())]


def csv_bytes(df: pd.DataFrame, table: str) -> bytes:
    """A table as the release's CSV: header from the schema, fixed number formats, LF endings."""
    flds = ts.fields(table)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    w.writerow([f["name"] for f in flds])
    w.writerows(zip(*(_column_cells(df[f["name"]], f) for f in flds)))
    return buf.getvalue().encode("utf-8")


def parquet_bytes(df: pd.DataFrame, table: str) -> bytes:
    """A table as the release's Parquet: the schema's Arrow types, fixed writer options."""
    schema = arrow_schema(table)
    arrays = []
    for f, field in zip(ts.fields(table), schema):
        column = pa.array(df[f["name"]], from_pandas=True)
        # A date column arrives as timestamps at midnight; the cast to date32 keeps the day.
        arrays.append(column.cast(field.type))
    t = pa.Table.from_arrays(arrays, schema=schema)
    sink = io.BytesIO()
    pq.write_table(t, sink, **PARQUET_OPTIONS)
    return sink.getvalue()


def sha256(data: bytes) -> str:
    """Hex sha256 of `data`, as the descriptor records it."""
    return hashlib.sha256(data).hexdigest()


def _public_schema(table: str) -> dict[str, Any]:
    s = ts.load_schema(table)
    return {k: v for k, v in s.items() if k not in ("$schema",)}


def descriptor(files: dict[str, bytes], rows: dict[str, int]) -> dict[str, Any]:
    """datapackage.json for the given release files (path → bytes)."""
    resources = []
    for table in ts.TABLE_ORDER:
        schema = _public_schema(table)
        csv_path, pq_path = f"data/{table}.csv", f"data/{table}.parquet"
        resources.append(
            {
                "name": table,
                "type": "table",
                "title": schema.get("title", table),
                "description": schema.get("description", ""),
                "path": csv_path,
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "bytes": len(files[csv_path]),
                "hash": f"sha256:{sha256(files[csv_path])}",
                "rows": rows[table],
                "schema": schema,
            }
        )
        resources.append(
            {
                "name": f"{table}-parquet",
                "type": "file",
                "title": f"{schema.get('title', table)} (Parquet)",
                "path": pq_path,
                "format": "parquet",
                "mediatype": PARQUET_MEDIATYPE,
                "bytes": len(files[pq_path]),
                "hash": f"sha256:{sha256(files[pq_path])}",
                "x-rows": rows[table],
                "schema": schema,
            }
        )
    return {
        "$schema": "https://datapackage.org/profiles/2.0/datapackage.json",
        "name": "ai-lab-funding",
        "title": (
            "AI lab funding: rounds, investors and metrics, every figure traced to its sources"
        ),
        "description": (
            "Funding rounds, investors and company metrics of AI labs, starting with Moonshot AI "
            "(Kimi) and its peers. Every figure is kept as each source reported it "
            "(table reports), with a verdict and a reason, and the build checks the believed "
            "figures against them."
        ),
        "version": __version__,
        "created": f"{RELEASE_DATE}T00:00:00Z",
        "licenses": [
            {
                "name": "CC-BY-4.0",
                "title": "Creative Commons Attribution 4.0 International",
                "path": "https://creativecommons.org/licenses/by/4.0/",
            }
        ],
        "sources": [
            {
                "title": (
                    "News reports, filings, company letters and analyses "
                    "listed in the sources table"
                ),
                "path": "data/sources.csv",
            }
        ],
        "contributors": [{"title": "ai-lab-funding contributors", "roles": ["creator"]}],
        "keywords": ["ai", "venture capital", "funding", "moonshot ai", "kimi", "provenance"],
        "resources": resources,
    }


def release_files(tables: dict[str, pd.DataFrame]) -> dict[str, bytes]:
    """Every file of a release, path relative to the release root → bytes."""
    files: dict[str, bytes] = {}
    rows: dict[str, int] = {}
    for table in ts.TABLE_ORDER:
        df = canonical_frame(tables[table], table)
        files[f"data/{table}.csv"] = csv_bytes(df, table)
        files[f"data/{table}.parquet"] = parquet_bytes(df, table)
        rows[table] = len(df)
    desc = descriptor(files, rows)
    files["datapackage.json"] = (json.dumps(desc, ensure_ascii=False, indent=2) + "\n").encode(
        "utf-8"
    )
    return files


def write_files(root: Path, files: dict[str, bytes]) -> None:
    """Write every file (path relative to `root` → bytes), creating folders as needed."""
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
