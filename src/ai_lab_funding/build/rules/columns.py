"""Pandera schemas derived from the Table Schemas, so every column rule is written once.

Not `pandera.io.from_frictionless_schema`: it turns dates into plain strings, makes
nullable integers non-nullable and drops foreign keys. The same fields and checks are
built for Pandera's pandas backend (a user's frame) and its polars backend (the build);
only the dtypes' spelling differs, and both come from `schemas.types`.
"""

from __future__ import annotations

import warnings
from datetime import date
from functools import cache
from types import ModuleType
from typing import Any

from ...schemas import tables as ts
from ...schemas import types
from ...schemas.codelists import codes

_PYSPARK_PANDAS_3 = "PySpark does not yet fully support pandas"


def quiet_pyspark_warning() -> None:
    """Silence a warning about a library this project does not use.

    With pyspark installed, pandera imports pyspark.pandas (on import and again on its
    first validation), which warns that it does not support pandas 3. Nothing here uses
    pyspark.pandas (Spark runs through `spark_checks`), so the warning only confuses.
    """
    warnings.filterwarnings("ignore", message=_PYSPARK_PANDAS_3, category=FutureWarning)


def backend(name: str) -> ModuleType:
    """pandera.pandas or pandera.polars, imported without the pyspark.pandas warning."""
    with warnings.catch_warnings():
        quiet_pyspark_warning()
        if name == "polars":
            import pandera.polars as backend
        else:
            import pandera.pandas as backend
    return backend


def constraint_message(f: ts.Field, rule: str) -> str:
    """What a broken constraint means, in words a contributor can act on."""
    c = ts.constraints(f)
    low = c.get("exclusiveMinimum", c.get("minimum"))
    high = c.get("exclusiveMaximum", c.get("maximum"))
    return {
        "enum": f"must be one of: {', '.join(map(str, c.get('enum', [])))}",
        "pattern": f"must match {c.get('pattern')}",
        "minimum": f"must be {'>' if 'exclusiveMinimum' in c else '>='} {low}",
        "maximum": f"must be {'<' if 'exclusiveMaximum' in c else '<='} {high}",
        "codelist": f"not an {f.get('x-codelist')} code",
    }.get(rule, rule)


# Bound constraints: (Table Schema keyword, Pandera check, the rule it is reported as).
_BOUNDS = (
    ("minimum", "ge", "minimum"),
    ("exclusiveMinimum", "gt", "minimum"),
    ("maximum", "le", "maximum"),
    ("exclusiveMaximum", "lt", "maximum"),
)


def _bound(f: ts.Field, value: Any, engine: str) -> Any:
    """A bound as the column holds its values: a date bound is ISO text in the schema.

    polars compares a Date column with a `date` only (text raises), pandas' datetime64
    column with a Timestamp; comparing either with the text would fail on every row.
    """
    if f["type"] != "date":
        return value
    day = date.fromisoformat(str(value))
    if engine == "polars":
        return day
    import pandas as pd

    return pd.Timestamp(day)


def _checks(f: ts.Field, pandera: ModuleType, engine: str) -> list[Any]:
    # Checks carry a rule name only; Pandera would otherwise report the message as the rule.
    c = ts.constraints(f)
    checks: list[Any] = []
    if "enum" in c:
        checks.append(pandera.Check.isin(c["enum"], name="enum"))
    if "pattern" in c:
        checks.append(pandera.Check.str_matches(c["pattern"], name="pattern"))
    checks += [
        getattr(pandera.Check, method)(_bound(f, c[key], engine), name=rule)
        for key, method, rule in _BOUNDS
        if key in c
    ]
    if "x-codelist" in f:
        checks.append(pandera.Check.isin(sorted(codes(f["x-codelist"])), name="codelist"))
    return checks


def column(f: ts.Field, engine: str = "pandas") -> Any:
    """The Pandera column for one Table Schema field, on the "pandas" or "polars" backend."""
    pandera = backend(engine)
    c = ts.constraints(f)
    dtype = types.polars_type(f["type"]) if engine == "polars" else types.TYPES[f["type"]].pandas
    return pandera.Column(
        dtype,
        checks=_checks(f, pandera, engine),
        nullable=not c.get("required", False),
        unique=bool(c.get("unique", False)),
        # Dates and integers arrive in several equivalent dtypes (ns/us/s, int64/Int64).
        coerce=f["type"] in ("date", "integer"),
        required=True,
        description=f.get("description"),
        title=f.get("title"),
    )


@cache
def table_schema(table: str, curated: bool = False, engine: str = "pandas") -> Any:
    """Pandera schema of a released table, or of its curated input when `curated`.

    `engine` "pandas" checks a user's frame; "polars" is what the build validates with.
    """
    pandera = backend(engine)
    flds = ts.curated_fields(table) if curated else ts.fields(table)
    pk = ts.primary_key(table)
    return pandera.DataFrameSchema(
        {f["name"]: column(f, engine) for f in flds},
        strict=True,
        ordered=False,
        unique=pk if len(pk) > 1 else None,
        name=table,
    )
