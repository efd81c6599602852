"""Every Table Schema rule of every curated table, written directly in polars, DuckDB and pyarrow.compute.

The benchmark's lower bound for the project's validation at the same scope: the project also
derives, checks reports against believed figures and runs cross-field rules, which these do not.
Generated from schemas/ so the three engines check exactly the same things: cell types,
required, enum, pattern, minimum, exclusiveMinimum, unique, primary keys, every foreign key
and the ISO code lists. Each function returns the number of failures (0 on a clean set); the
engines read the CSVs as text themselves, as the project's reader does.
"""

from __future__ import annotations

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


def _keys(table: str) -> list[list[str]]:
    """Column sets whose values must be unique: the primary key and each `unique` field."""
    keys = [ts.primary_key(table)]
    keys += [[name] for name, _, k, _ in _rules(table) if k.get("unique") and [name] != keys[0]]
    return keys


def polars_failures(folder: Path) -> int:
    import polars as pl

    frames = {
        t: pl.read_csv(folder / f"{t}.csv", infer_schema=False).lazy() for t in ts.curated_tables()
    }
    counts = []  # one single-number query per check group, run together so polars spreads them over the cores
    for table, df in frames.items():
        exprs = []
        for name, kind, k, allowed in _rules(table):
            col, cell = pl.col(name), pl.col(name)
            fail = pl.lit(False)
            if kind in ("number", "integer", "date"):
                fail = fail | (cell.is_not_null() & ~cell.str.contains(TEXT[kind]))
            if kind == "number":
                col = col.cast(pl.Float64, strict=False)
            if kind == "date":
                col = col.str.to_date("%Y-%m-%d", strict=False)
                fail = fail | (cell.is_not_null() & col.is_null())  # no such calendar day
            if k.get("required"):
                fail = fail | cell.is_null()
            if allowed:
                fail = fail | (cell.is_not_null() & ~cell.is_in(allowed))
            if "pattern" in k:
                fail = fail | (cell.is_not_null() & ~cell.str.contains(k["pattern"]))
            if "minimum" in k:
                fail = fail | (col < k["minimum"])
            if "exclusiveMinimum" in k:
                fail = fail | (col <= k["exclusiveMinimum"])
            exprs.append(fail.fill_null(False).sum())
        counts.append(df.select(pl.sum_horizontal(exprs).alias("n")))
        for key in _keys(table):  # rows beyond the first of each key
            counts.append(
                df.select(
                    (
                        pl.len() - pl.struct(key).n_unique()
                        if len(key) > 1
                        else pl.len() - pl.col(key[0]).n_unique()
                    ).alias("n")
                )
            )
        for fk in ts.foreign_keys(table):
            child, parent = fk["fields"], fk["reference"]
            ref = frames[parent["resource"]].select(pl.col(parent["fields"][0]).alias(child[0]))
            counts.append(
                df.select(child)
                .drop_nulls()
                .join(ref, on=child, how="anti")
                .select(pl.len().alias("n"))
            )
    return sum(int(c["n"][0]) for c in pl.collect_all(counts))


def duckdb_failures(folder: Path) -> int:
    import duckdb

    con = duckdb.connect()
    for t in ts.curated_tables():
        path = str(folder / f"{t}.csv").replace("'", "''")
        con.execute(
            f"CREATE TABLE {t} AS SELECT * FROM read_csv('{path}', all_varchar=true, header=true, delim=',', quote='\"', escape='\"')"
        )
    bad = 0

    def q(name: str) -> str:
        return '"' + name + '"'

    def lst(values: list[str]) -> str:
        return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"

    for table in ts.curated_tables():
        conds = []
        for name, kind, k, allowed in _rules(table):
            n = q(name)
            v = {
                "number": f"TRY_CAST({n} AS DOUBLE)",
                "date": f"TRY_STRPTIME({n}, '%Y-%m-%d')",
            }.get(kind, n)
            if kind in ("number", "integer", "date"):
                conds.append(f"({n} IS NOT NULL AND NOT regexp_full_match({n}, '{TEXT[kind]}'))")
            if kind == "date":
                conds.append(f"({n} IS NOT NULL AND {v} IS NULL)")
            if k.get("required"):
                conds.append(f"{n} IS NULL")
            if allowed:
                conds.append(f"({n} IS NOT NULL AND NOT list_contains({lst(allowed)}, {n}))")
            if "pattern" in k:
                conds.append(f"({n} IS NOT NULL AND NOT regexp_full_match({n}, '{k['pattern']}'))")
            if "minimum" in k:
                conds.append(f"coalesce({v} < {k['minimum']}, false)")
            if "exclusiveMinimum" in k:
                conds.append(f"coalesce({v} <= {k['exclusiveMinimum']}, false)")
        bad += con.execute(
            "SELECT " + " + ".join(f"count_if({c})" for c in conds) + f" FROM {table}"
        ).fetchone()[0]
        for key in _keys(table):
            cols = ", ".join(q(c) for c in key)
            bad += con.execute(
                f"SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM {table} GROUP BY {cols} HAVING n > 1)"
            ).fetchone()[0]
        for fk in ts.foreign_keys(table):
            child, parent = q(fk["fields"][0]), q(fk["reference"]["fields"][0])
            bad += con.execute(
                f"SELECT count(*) FROM {table} c WHERE c.{child} IS NOT NULL AND NOT EXISTS "
                f"(SELECT 1 FROM {fk['reference']['resource']} p WHERE p.{parent} = c.{child})"
            ).fetchone()[0]
    return bad


def pyarrow_failures(folder: Path) -> int:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pv

    def read(t: str) -> pa.Table:
        names = [f["name"] for f in ts.curated_fields(t)]
        return pv.read_csv(
            folder / f"{t}.csv",
            convert_options=pv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=True
            ),
        )

    tables = {t: read(t) for t in ts.curated_tables()}

    def count(mask: pa.ChunkedArray) -> int:
        return pc.sum(pc.fill_null(mask, False)).as_py() or 0

    bad = 0
    for table, tab in tables.items():
        for name, kind, k, allowed in _rules(table):
            cell = tab[name]
            col = cell
            present = pc.is_valid(cell)
            if kind in ("number", "integer", "date"):
                well_formed = pc.match_substring_regex(
                    cell, TEXT[kind]
                )  # matched once, used to check and to convert
                bad += count(pc.and_(present, pc.invert(well_formed)))
                shaped = pc.if_else(well_formed, cell, None)
            if kind == "number":
                col = pc.cast(shaped, pa.float64())
            if kind == "date":
                col = pc.strptime(shaped, format="%Y-%m-%d", unit="s", error_is_null=True)
                # Arrow's strptime rolls 2023-02-30 over into March: a real day prints back as written.
                bad += count(
                    pc.and_(
                        pc.is_valid(shaped),
                        pc.invert(
                            pc.equal(pc.fill_null(pc.strftime(col, format="%Y-%m-%d"), ""), shaped)
                        ),
                    )
                )
            if k.get("required"):
                bad += cell.null_count
            if allowed:
                bad += count(
                    pc.and_(present, pc.invert(pc.is_in(cell, value_set=pa.array(allowed))))
                )
            if "pattern" in k:
                bad += count(
                    pc.and_(present, pc.invert(pc.match_substring_regex(cell, k["pattern"])))
                )
            if "minimum" in k:
                bad += count(pc.less(col, k["minimum"]))
            if "exclusiveMinimum" in k:
                bad += count(pc.less_equal(col, k["exclusiveMinimum"]))
        for key in _keys(table):
            groups = tab.select(key).group_by(key).aggregate([([], "count_all")])
            n = groups["count_all"]
            bad += pc.sum(pc.filter(n, pc.greater(n, 1))).as_py() or 0
        for fk in ts.foreign_keys(table):
            child = tab[fk["fields"][0]]
            parent = tables[fk["reference"]["resource"]][fk["reference"]["fields"][0]]
            bad += count(pc.and_(pc.is_valid(child), pc.invert(pc.is_in(child, value_set=parent))))
    return bad
