"""Read the Frictionless Table Schemas and answer questions about their fields."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from . import paths

# How a value of each Table Schema type is written in a curated CSV cell (the curated reader
# and the Spark checks both test cells against these; Java and Python read them alike).
# ASCII digits spelled out: `\d` also matches other scripts' digits in Python and Rust (polars) regexes.
TEXT_PATTERNS = {"integer": r"^-?[0-9]+$", "number": r"^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$", "date": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}

# Order of tables in the release: referenced tables before those that reference them.
TABLE_ORDER = (
    "companies", "investors", "rounds", "round_investors", "metrics",
    "sources", "reports", "cumulative_claims", "fx_rates", "unit_flags",
)


@cache
def load_schema(table: str, schemas_dir: Path | None = None) -> dict[str, Any]:
    """The Table Schema of `table` as a dict."""
    folder = schemas_dir or paths.schemas_dir()
    path = folder / f"{table}.json"
    if not path.is_file():
        raise KeyError(f"unknown table {table!r}; tables are: {', '.join(table_names())}")
    return json.loads(path.read_text(encoding="utf-8"))


def table_names() -> list[str]:
    """Every released table, in release order."""
    return list(TABLE_ORDER)


def is_derived_table(table: str) -> bool:
    """True for tables the build computes entirely (no curated CSV)."""
    return bool(load_schema(table).get("x-derived"))


def curated_tables() -> list[str]:
    """Tables that have a hand-curated CSV in curated/."""
    return [t for t in TABLE_ORDER if not is_derived_table(t)]


def fields(table: str) -> list[dict[str, Any]]:
    """Field descriptors of the released table."""
    return load_schema(table)["fields"]


def field(table: str, name: str) -> dict[str, Any]:
    """One field descriptor."""
    for f in fields(table):
        if f["name"] == name:
            return f
    raise KeyError(f"{table} has no field {name!r}")


def curated_fields(table: str) -> list[dict[str, Any]]:
    """Fields a curator writes: all but those the build derives."""
    return [f for f in fields(table) if not f.get("x-derived")]


def primary_key(table: str) -> list[str]:
    pk = load_schema(table).get("primaryKey", [])
    return [pk] if isinstance(pk, str) else list(pk)


def foreign_keys(table: str) -> list[dict[str, Any]]:
    return load_schema(table).get("foreignKeys", [])


def constraints(f: dict[str, Any]) -> dict[str, Any]:
    return f.get("constraints", {})
