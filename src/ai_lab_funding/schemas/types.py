"""One table from a Table Schema type to its spelling in every engine the project uses.

A column's type is declared once, in `schemas/<table>.json`. Each engine needs that type
in its own spelling: the text a curated CSV cell must match, polars for the build, pandas
for `load()` and Pandera, Arrow for the Parquet release, Spark SQL for `spark_checks`.
They all read this table, so adding a type means adding one row here.

The engine types are names, not objects, so the user half can read this module without
importing polars; `arrow_type` and `polars_type` turn a name into the engine's object.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import tables

if TYPE_CHECKING:
    import pyarrow as pa


@dataclass(frozen=True)
class ColumnType:
    r"""How one Table Schema type is written and held.

    `pattern` is the text a curated CSV cell of this type must match (None: any text, or
    a fixed set of spellings such as booleans'). ASCII digits are spelled out: `\d` also
    matches other scripts' digits in Python's and polars' regex engines.
    """

    pattern: str | None
    polars: str  # attribute of the polars module
    pandas: str  # pandas dtype, as `load()` returns it and Pandera checks it
    arrow: str  # pyarrow type factory
    spark: str  # Spark SQL type


TYPES: dict[str, ColumnType] = {
    "string": ColumnType(None, "String", "str", "string", "STRING"),
    "integer": ColumnType(r"^-?[0-9]+$", "Int64", "Int64", "int64", "BIGINT"),
    "number": ColumnType(
        r"^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$", "Float64", "float64", "float64", "DOUBLE"
    ),
    "date": ColumnType(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "Date", "datetime64[s]", "date32", "DATE"),
    "boolean": ColumnType(None, "Boolean", "boolean", "bool_", "BOOLEAN"),
}

# How a boolean is spelled in a CSV cell, in the curated input and in the release.
BOOLEAN_TEXT = ("true", "false")

# Characters no curated cell or header may hold (as a polars regex class): C0 and C1 control
# characters other than the line break (refused on its own), format characters such as
# bidirectional overrides and zero-width spaces, and line and paragraph separators. They hide
# text from a reviewer, reorder what a terminal shows, or break the files' consumers.
HIDDEN_CHARACTERS = r"[\p{Cc}\p{Cf}\p{Zl}\p{Zp}&&[^\n]]"
HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})

# A cell starting with one of these is run as a formula when a spreadsheet opens the CSV:
# the reader refuses such curated text and the writer refuses to release it.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def first_hidden(text: str) -> str | None:
    """The first character of `text` that HIDDEN_CHARACTERS forbids, named as U+XXXX NAME."""
    import unicodedata

    for ch in text:
        if ch != "\n" and unicodedata.category(ch) in HIDDEN_CATEGORIES:
            return f"U+{ord(ch):04X} {unicodedata.name(ch, 'CONTROL CHARACTER')}"
    return None


def pattern(kind: str) -> str | None:
    """The regular expression a CSV cell of Table Schema type `kind` must match."""
    return TYPES[kind].pattern


def arrow_type(kind: str) -> pa.DataType:
    """The Arrow type of Table Schema type `kind`, as the Parquet release stores it."""
    import pyarrow as pa

    return getattr(pa, TYPES[kind].arrow)()


def polars_type(kind: str) -> Any:
    """The polars dtype of Table Schema type `kind` (polars is imported only when asked)."""
    import polars as pl

    return getattr(pl, TYPES[kind].polars)


def _field_metadata(f: dict[str, Any]) -> dict[bytes, bytes]:
    """What a column is, in the Parquet file itself: title, description and unit."""
    meta = {"title": f.get("title", ""), "description": f.get("description", "")}
    if f.get("x-unit"):
        meta["unit"] = f["x-unit"]
    return {k.encode(): v.encode("utf-8") for k, v in meta.items() if v}


def arrow_schema(table: str) -> pa.Schema:
    """The Arrow schema a released Parquet file must have: names, types, nullability.

    Each field also carries its title, description and unit from the Table Schema, so a
    Parquet file read on its own (Spark, DuckDB, pyarrow) still says what its columns mean.
    """
    import pyarrow as pa

    return pa.schema(
        [
            pa.field(
                f["name"],
                arrow_type(f["type"]),
                nullable=not tables.constraints(f).get("required", False),
                metadata=_field_metadata(f),
            )
            for f in tables.fields(table)
        ]
    )
