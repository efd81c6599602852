"""Derive Pandera schemas from the Table Schemas, so every column rule is written once.

Not `pandera.io.from_frictionless_schema`: it turns dates into plain strings, makes
nullable integers non-nullable and drops foreign keys. Cross-table rules live in
`rules.py`; this module covers what one table can say about itself.
"""

from __future__ import annotations

import warnings
from functools import cache
from typing import Any

from . import table_schemas as ts
from .codelists import codes

_PYSPARK_PANDAS_3 = "PySpark does not yet fully support pandas"
with warnings.catch_warnings():  # see quiet_pyspark_warning
    warnings.filterwarnings("ignore", message=_PYSPARK_PANDAS_3, category=FutureWarning)
    import pandera.pandas as pa


def quiet_pyspark_warning() -> None:
    """For the command-line entry points: with pyspark installed, pandera imports pyspark.pandas
    (on import and again on its first validation), which warns that it does not support
    pandas 3. Nothing here uses pyspark.pandas (Spark runs through `spark_checks`)."""
    warnings.filterwarnings("ignore", message=_PYSPARK_PANDAS_3, category=FutureWarning)

# In-memory dtypes: the ones `load()` returns (pandas) and the build validates (polars).
DTYPES = {
    "string": "str",
    "integer": "Int64",
    "number": "float64",
    "date": "datetime64[s]",
    "boolean": "boolean",
}
POLARS_DTYPES = {"string": "String", "integer": "Int64", "number": "Float64", "date": "Date", "boolean": "Boolean"}


def constraint_message(f: dict[str, Any], rule: str) -> str:
    """What a broken constraint means, in words a contributor can act on."""
    c = ts.constraints(f)
    return {
        "enum": f"must be one of: {', '.join(map(str, c.get('enum', [])))}",
        "pattern": f"must match {c.get('pattern')}",
        "minimum": f"must be {'>' if 'exclusiveMinimum' in c else '>='} {c.get('exclusiveMinimum', c.get('minimum'))}",
        "maximum": f"must be <= {c.get('maximum')}",
        "codelist": f"not an {f.get('x-codelist')} code",
    }.get(rule, rule)


def _checks(f: dict[str, Any], pa: Any = pa) -> list[Any]:
    # Checks carry a rule name only; Pandera would otherwise report the message as the rule.
    c = ts.constraints(f)
    checks: list[Any] = []
    if "enum" in c:
        checks.append(pa.Check.isin(c["enum"], name="enum"))
    if "pattern" in c:
        checks.append(pa.Check.str_matches(c["pattern"], name="pattern"))
    if "minimum" in c:
        checks.append(pa.Check.ge(c["minimum"], name="minimum"))
    if "exclusiveMinimum" in c:
        checks.append(pa.Check.gt(c["exclusiveMinimum"], name="minimum"))
    if "maximum" in c:
        checks.append(pa.Check.le(c["maximum"], name="maximum"))
    if "x-codelist" in f:
        checks.append(pa.Check.isin(sorted(codes(f["x-codelist"])), name="codelist"))
    return checks


def column(f: dict[str, Any], pa: Any = pa) -> Any:
    """The Pandera column for one Table Schema field, for `pa` = pandera.pandas or pandera.polars."""
    c = ts.constraints(f)
    if pa.__name__.endswith("polars"):
        import polars as pl
        dtype = getattr(pl, POLARS_DTYPES[f["type"]])
    else:
        dtype = DTYPES[f["type"]]
    return pa.Column(
        dtype,
        checks=_checks(f, pa),
        nullable=not c.get("required", False),
        unique=bool(c.get("unique", False)),
        # Dates and integers arrive in several equivalent dtypes (ns/us/s, int64/Int64).
        coerce=f["type"] in ("date", "integer"),
        required=True,
        description=f.get("description"),
        title=f.get("title"),
    )


@cache
def table_schema(table: str, curated: bool = False) -> pa.DataFrameSchema:
    """Pandera (pandas) schema of a released table, or of its curated input when `curated`."""
    return _schema(table, curated, pa)


@cache
def polars_table_schema(table: str, curated: bool = False) -> Any:
    """The same schema on Pandera's polars backend, which the build validates with.

    Built from the same fields and checks as `table_schema`; only the dtypes' spelling differs.
    """
    import pandera.polars as pap
    return _schema(table, curated, pap)


def _schema(table: str, curated: bool, pa: Any) -> Any:
    flds = ts.curated_fields(table) if curated else ts.fields(table)
    pk = ts.primary_key(table)
    return pa.DataFrameSchema(
        {f["name"]: column(f, pa) for f in flds},
        strict=True,
        ordered=False,
        unique=pk if len(pk) > 1 else None,
        name=table,
    )
