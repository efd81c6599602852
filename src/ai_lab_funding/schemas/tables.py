"""Read the Frictionless Table Schemas and answer questions about their tables and fields.

`schemas/<table>.json` is the single source of truth for every column; everything else
(Pandera, Arrow, Spark SQL, the docs) asks this module instead of repeating it.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from .. import paths

# Order of tables in the release: referenced tables before those that reference them. The
# fact tables come before `facts`, the registry of their keys, and that before `reports` and
# `valuations`, which reference it.
TABLE_ORDER = (
    "companies",
    "investors",
    "rounds",
    "round_investors",
    "metrics",
    "sources",
    "cumulative_claims",
    "facts",
    "reports",
    "reported_investors",
    "fx_rates",
    "unit_flags",
    "valuations",
    "funding_totals",
)

Field = dict[str, Any]

# rounds.valuation_basis of a valuation the build computed from the round's other two figures.
IMPLIED_BASIS = {"pre_money_valuation": "implied_pre", "post_money_valuation": "implied_post"}


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


def fact_tables() -> tuple[str, ...]:
    """Tables whose rows are facts that reports back: the values `reports.fact_table` allows."""
    return tuple(constraints(field("reports", "fact_table"))["enum"])


def fact_key(table: str) -> str:
    """The column holding a fact table's key as `reports.fact_id` names it.

    A one-column primary key, or for a table keyed on several columns the column its
    schema's `x-factKey` derives from them (round_investors: `ticket_id`).
    """
    made = load_schema(table).get("x-factKey")
    return made["column"] if made else primary_key(table)[0]


def fact_key_parts(table: str) -> tuple[list[str], str] | None:
    """The columns and separator a derived fact key is made of; None for a plain key."""
    made = load_schema(table).get("x-factKey")
    return (list(made["fields"]), made["separator"]) if made else None


def fields(table: str) -> list[Field]:
    """Field descriptors of the released table."""
    return load_schema(table)["fields"]


def field(table: str, name: str) -> Field:
    """One field descriptor; KeyError names the table when it has no such field."""
    for f in fields(table):
        if f["name"] == name:
            return f
    raise KeyError(f"{table} has no field {name!r}")


def curated_fields(table: str) -> list[Field]:
    """Fields a curator writes: all but those the build derives."""
    return [f for f in fields(table) if not f.get("x-derived")]


def primary_key(table: str) -> list[str]:
    """The primary key's columns, as a list even when the schema gives one name."""
    pk = load_schema(table).get("primaryKey", [])
    return [pk] if isinstance(pk, str) else list(pk)


def foreign_keys(table: str) -> list[dict[str, Any]]:
    """The schema's foreignKeys; a reference to resource "" points into the same table."""
    return load_schema(table).get("foreignKeys", [])


def references(table: str) -> list[tuple[list[str], str, list[str]]]:
    """Each foreign key of `table` as (its columns, the table it references, that table's columns).

    A key may span several columns, as reports' (fact_table, fact_id) → facts does; every
    reader of keys takes them whole from here, so none checks only the first column.
    """
    return [
        (list(fk["fields"]), fk["reference"]["resource"] or table, list(fk["reference"]["fields"]))
        for fk in foreign_keys(table)
    ]


def constraints(f: Field) -> dict[str, Any]:
    """A field's constraints, empty when it declares none."""
    return f.get("constraints", {})


def enum_fields(table: str) -> dict[str, list[str]]:
    """Text columns with a closed list of values, and those values as text, in schema order."""
    return enums_of(fields(table))


def enums_of(columns: list[Field]) -> dict[str, list[str]]:
    """`enum_fields` of any list of fields (an earlier release's own, for instance)."""
    return {
        f["name"]: [str(v) for v in constraints(f)["enum"]]
        for f in columns
        if f.get("type", "string") == "string" and "enum" in constraints(f)
    }


def fields_with(table: str, keyword: str) -> list[Field]:
    """The fields of `table` that declare `keyword`, an `x-` extension of the Table Schema."""
    return [f for f in fields(table) if keyword in f]
