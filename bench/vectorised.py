"""Every Table Schema rule of every curated table, in plain polars, DuckDB and pyarrow.compute.

The benchmark's lower bound for the project's validation at the same scope: the project also
derives, checks reports against believed figures and runs cross-field rules, which these do not.
Generated from schemas/ so the three engines check exactly the same things: cell types,
required, enum, pattern, minimum and maximum bounds, unique, primary keys, every foreign key
and the ISO code lists. Each function returns the number of failures (0 on a clean set); the
engines read the CSVs as text themselves, as the project's reader does.
"""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path
from typing import Any

from ai_lab_funding.schemas import tables as ts
from ai_lab_funding.schemas.codelists import codes
from ai_lab_funding.schemas.types import TYPES

# How a number, an integer and a date are written in a cell.
TEXT = {kind: t.pattern for kind, t in TYPES.items() if t.pattern}


def _rules(table: str) -> list[tuple[str, str, dict[str, Any], list[str] | None]]:
    """(field, type, constraints, allowed values) of the fields a curator writes."""
    out = []
    for f in ts.curated_fields(table):
        k = ts.constraints(f)
        allowed = k.get("enum") or (sorted(codes(f["x-codelist"])) if f.get("x-codelist") else None)
        out.append((f["name"], f["type"], k, [str(v) for v in allowed] if allowed else None))
    return out


def _foreign_keys(table: str) -> list[dict[str, Any]]:
    """The foreign keys the curated CSVs hold, those between curated columns.

    A key from a derived column or into a derived table is the build's to keep.
    """
    written = {f["name"] for f in ts.curated_fields(table)}
    return [
        fk
        for fk in ts.foreign_keys(table)
        if fk["fields"][0] in written
        and (fk["reference"]["resource"] or table) in ts.curated_tables()
    ]


def _keys(table: str) -> list[list[str]]:
    """Column sets whose values must be unique: the primary key and each `unique` field."""
    keys = [ts.primary_key(table)]
    keys += [[name] for name, _, k, _ in _rules(table) if k.get("unique") and [name] != keys[0]]
    return keys


# Kinds whose cells must match a TEXT pattern before they are converted.
TYPED = ("number", "integer", "date")


# --- polars ---------------------------------------------------------------------------------


def _polars_type_failures(name: str, kind: str) -> tuple[Any, Any]:
    """The column as its type (null where it does not convert) and the cells of the wrong shape."""
    import polars as pl

    col, cell = pl.col(name), pl.col(name)
    fail = pl.lit(False)
    if kind in TYPED:
        fail = fail | (cell.is_not_null() & ~cell.str.contains(TEXT[kind]))
    if kind == "number":
        col = col.cast(pl.Float64, strict=False)
    if kind == "date":
        col = col.str.to_date("%Y-%m-%d", strict=False)
        fail = fail | (cell.is_not_null() & col.is_null())  # no such calendar day
    return col, fail


# Bound constraints and the comparison that breaks each.
BOUNDS = (
    ("minimum", "<"),
    ("exclusiveMinimum", "<="),
    ("maximum", ">"),
    ("exclusiveMaximum", ">="),
)


def _bounds(kind: str, k: dict[str, Any]) -> list[tuple[str, Any]]:
    """(breaking comparison, bound) per bound constraint; a date's bound as a date."""
    from datetime import date

    out = []
    for key, op in BOUNDS:
        if key in k:
            out.append((op, date.fromisoformat(k[key]) if kind == "date" else k[key]))
    return out


def _polars_field_failures(
    name: str, kind: str, k: dict[str, Any], allowed: list[str] | None
) -> Any:
    """True on each row whose cell of `name` breaks its type or one of its constraints."""
    import polars as pl

    cell = pl.col(name)
    col, fail = _polars_type_failures(name, kind)
    if k.get("required"):
        fail = fail | cell.is_null()
    if allowed:
        fail = fail | (cell.is_not_null() & ~cell.is_in(allowed))
    if "pattern" in k:
        fail = fail | (cell.is_not_null() & ~cell.str.contains(k["pattern"]))
    compare = {"<": col.__lt__, "<=": col.__le__, ">": col.__gt__, ">=": col.__ge__}
    for op, bound in _bounds(kind, k):
        fail = fail | compare[op](bound)
    return fail


def _polars_key_failures(df: Any, key: list[str]) -> Any:
    """Query of the number of rows beyond the first of each value of `key`."""
    import polars as pl

    return df.select(
        (
            pl.len() - pl.struct(key).n_unique()
            if len(key) > 1
            else pl.len() - pl.col(key[0]).n_unique()
        ).alias("n")
    )


def _polars_foreign_key_failures(df: Any, fk: dict[str, Any], frames: dict[str, Any]) -> Any:
    """Query of the number of rows whose foreign key has no row in the referenced table."""
    import polars as pl

    child, parent = fk["fields"], fk["reference"]
    ref = frames[parent["resource"]].select(pl.col(parent["fields"][0]).alias(child[0]))
    return df.select(child).drop_nulls().join(ref, on=child, how="anti").select(pl.len().alias("n"))


def _polars_table_failures(table: str, frames: dict[str, Any]) -> list[Any]:
    """Single-number queries counting the failures of one table, one per check group."""
    import polars as pl

    df = frames[table]
    exprs = [_polars_field_failures(*rule).fill_null(False).sum() for rule in _rules(table)]
    counts = [df.select(pl.sum_horizontal(exprs).alias("n"))]
    counts += [_polars_key_failures(df, key) for key in _keys(table)]
    counts += [_polars_foreign_key_failures(df, fk, frames) for fk in _foreign_keys(table)]
    return counts


def polars_failures(folder: Path) -> int:
    import polars as pl

    frames = {
        t: pl.read_csv(folder / f"{t}.csv", infer_schema=False).lazy() for t in ts.curated_tables()
    }
    # One single-number query per check group, run together so polars spreads them over the cores.
    counts = [c for table in frames for c in _polars_table_failures(table, frames)]
    return sum(int(c["n"][0]) for c in pl.collect_all(counts))


# --- DuckDB ---------------------------------------------------------------------------------


def _sql_name(name: str) -> str:
    return '"' + name + '"'


def _sql_list(values: list[str]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def _duckdb_field_conditions(
    name: str, kind: str, k: dict[str, Any], allowed: list[str] | None
) -> list[str]:
    """SQL conditions, each true on a row whose cell of `name` breaks one rule."""
    n = _sql_name(name)
    v = {
        "number": f"TRY_CAST({n} AS DOUBLE)",
        "date": f"TRY_STRPTIME({n}, '%Y-%m-%d')",
    }.get(kind, n)
    conds = []
    if kind in TYPED:
        conds.append(f"({n} IS NOT NULL AND NOT regexp_full_match({n}, '{TEXT[kind]}'))")
    if kind == "date":
        conds.append(f"({n} IS NOT NULL AND {v} IS NULL)")
    if k.get("required"):
        conds.append(f"{n} IS NULL")
    if allowed:
        conds.append(f"({n} IS NOT NULL AND NOT list_contains({_sql_list(allowed)}, {n}))")
    if "pattern" in k:
        conds.append(f"({n} IS NOT NULL AND NOT regexp_full_match({n}, '{k['pattern']}'))")
    for op, bound in _bounds(kind, k):
        literal = f"DATE '{bound.isoformat()}'" if kind == "date" else bound
        conds.append(f"coalesce({v} {op} {literal}, false)")
    return conds


def _duckdb_cell_failures(con: Any, table: str) -> int:
    """Cells of `table` that break their type or a constraint."""
    conds = [c for rule in _rules(table) for c in _duckdb_field_conditions(*rule)]
    return con.execute(
        "SELECT " + " + ".join(f"count_if({c})" for c in conds) + f" FROM {table}"
    ).fetchone()[0]


def _duckdb_key_failures(con: Any, table: str) -> int:
    """Rows of `table` beyond the first of each value of each of its keys."""
    bad = 0
    for key in _keys(table):
        cols = ", ".join(_sql_name(c) for c in key)
        bad += con.execute(
            "SELECT coalesce(sum(n), 0) FROM "
            f"(SELECT count(*) AS n FROM {table} GROUP BY {cols} HAVING n > 1)"
        ).fetchone()[0]
    return bad


def _duckdb_foreign_key_failures(con: Any, table: str) -> int:
    """Rows of `table` whose foreign key has no row in the referenced table."""
    bad = 0
    for fk in _foreign_keys(table):
        child, parent = _sql_name(fk["fields"][0]), _sql_name(fk["reference"]["fields"][0])
        bad += con.execute(
            f"SELECT count(*) FROM {table} c WHERE c.{child} IS NOT NULL AND NOT EXISTS "
            f"(SELECT 1 FROM {fk['reference']['resource']} p WHERE p.{parent} = c.{child})"
        ).fetchone()[0]
    return bad


def duckdb_failures(folder: Path) -> int:
    import duckdb

    con = duckdb.connect()
    for t in ts.curated_tables():
        path = str(folder / f"{t}.csv").replace("'", "''")
        con.execute(
            f"CREATE TABLE {t} AS SELECT * FROM read_csv('{path}', all_varchar=true, "
            "header=true, delim=',', quote='\"', escape='\"')"
        )
    bad = 0
    for table in ts.curated_tables():
        bad += _duckdb_cell_failures(con, table)
        bad += _duckdb_key_failures(con, table)
        bad += _duckdb_foreign_key_failures(con, table)
    return bad


# --- pyarrow.compute ------------------------------------------------------------------------


def _arrow_read(folder: Path, table: str) -> Any:
    """The curated CSV of `table`, every column as text and empty cells as nulls."""
    import pyarrow as pa
    import pyarrow.csv as pv

    names = [f["name"] for f in ts.curated_fields(table)]
    return pv.read_csv(
        folder / f"{table}.csv",
        convert_options=pv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=True
        ),
    )


def _arrow_count(mask: Any) -> int:
    import pyarrow.compute as pc

    return pc.sum(pc.fill_null(mask, False)).as_py() or 0


def _arrow_type_failures(cell: Any, kind: str) -> tuple[Any, int]:
    """The column as its type (null where it does not convert) and its cells of the wrong shape."""
    import pyarrow as pa
    import pyarrow.compute as pc

    col, bad = cell, 0
    if kind in TYPED:
        # Matched once, used to check and to convert.
        well_formed = pc.match_substring_regex(cell, TEXT[kind])
        bad += _arrow_count(pc.and_(pc.is_valid(cell), pc.invert(well_formed)))
        shaped = pc.if_else(well_formed, cell, None)
    if kind == "number":
        col = pc.cast(shaped, pa.float64())
    if kind == "date":
        col = pc.strptime(shaped, format="%Y-%m-%d", unit="s", error_is_null=True)
        # Arrow's strptime rolls 2023-02-30 over into March: a real day prints back as written.
        printed = pc.fill_null(pc.strftime(col, format="%Y-%m-%d"), "")
        bad += _arrow_count(pc.and_(pc.is_valid(shaped), pc.invert(pc.equal(printed, shaped))))
    return col, bad


def _arrow_field_failures(
    tab: Any, name: str, kind: str, k: dict[str, Any], allowed: list[str] | None
) -> int:
    """Cells of column `name` that break its type or one of its constraints."""
    import pyarrow as pa
    import pyarrow.compute as pc

    cell = tab[name]
    present = pc.is_valid(cell)
    col, bad = _arrow_type_failures(cell, kind)
    if k.get("required"):
        bad += cell.null_count
    if allowed:
        bad += _arrow_count(
            pc.and_(present, pc.invert(pc.is_in(cell, value_set=pa.array(allowed))))
        )
    if "pattern" in k:
        bad += _arrow_count(
            pc.and_(present, pc.invert(pc.match_substring_regex(cell, k["pattern"])))
        )
    compare = {">": pc.greater, ">=": pc.greater_equal, "<": pc.less, "<=": pc.less_equal}
    for op, bound in _bounds(kind, k):
        if kind == "date":  # the column is a timestamp here
            bound = pa.scalar(datetime.combine(bound, time()), pa.timestamp("s"))
        bad += _arrow_count(compare[op](col, bound))
    return bad


def _arrow_key_failures(tab: Any, key: list[str]) -> int:
    """Rows beyond the first of each value of `key`."""
    import pyarrow.compute as pc

    groups = tab.select(key).group_by(key).aggregate([([], "count_all")])
    n = groups["count_all"]
    return pc.sum(pc.filter(n, pc.greater(n, 1))).as_py() or 0


def _arrow_foreign_key_failures(tab: Any, fk: dict[str, Any], tables: dict[str, Any]) -> int:
    """Rows whose foreign key has no row in the referenced table."""
    import pyarrow.compute as pc

    child = tab[fk["fields"][0]]
    parent = tables[fk["reference"]["resource"]][fk["reference"]["fields"][0]]
    return _arrow_count(pc.and_(pc.is_valid(child), pc.invert(pc.is_in(child, value_set=parent))))


def pyarrow_failures(folder: Path) -> int:
    tables = {t: _arrow_read(folder, t) for t in ts.curated_tables()}
    bad = 0
    for table, tab in tables.items():
        bad += sum(_arrow_field_failures(tab, *rule) for rule in _rules(table))
        bad += sum(_arrow_key_failures(tab, key) for key in _keys(table))
        bad += sum(_arrow_foreign_key_failures(tab, fk, tables) for fk in _foreign_keys(table))
    return bad
