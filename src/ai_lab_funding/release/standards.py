"""Check a written release against the standards: Frictionless on the CSV, our own check on Parquet.

Frictionless reads Parquet row by row and never compares its column types with the
schema, so it gates the CSV release (types, constraints, keys, bytes, hashes) and the
Parquet files are checked here: Arrow schema equal to the Table Schema's, same rows as the CSV.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..paths import leaves_package
from ..problems import Problem
from ..schemas import tables as ts
from ..schemas.types import arrow_schema, arrow_type


def safe_paths(desc: dict) -> list[Problem]:
    """Resource paths must stay inside the package: relative, no '..', no URL."""
    out = []
    for res in desc.get("resources", []):
        p = res.get("path", "")
        if leaves_package(p):
            out.append(
                Problem(
                    "datapackage.json",
                    0,
                    res.get("name", ""),
                    "unsafe_path",
                    "resource path points outside the package",
                    str(p),
                )
            )
    return out


def frictionless_problems(root: Path) -> list[Problem]:
    """Frictionless's verdict on the CSV resources of the release in `root`: types, keys, hashes."""
    from frictionless import Package

    desc_path = root / "datapackage.json"
    desc = json.loads(desc_path.read_text(encoding="utf-8"))
    problems = safe_paths(desc)
    if problems:
        return problems
    # The CSV resources only: Frictionless would read each Parquet twin row by row again
    # and check nothing about its types (parquet_problems does that). And without their
    # foreign keys: Frictionless looks each one up by reading the referenced CSV again, row by
    # row in Python, once per key (18 reads, 40% of its time on the real release);
    # `foreign_key_problems` checks the same keys on the same files.
    csv_only = {
        **desc,
        "resources": [
            _without_foreign_keys(r) for r in desc["resources"] if r.get("format") == "csv"
        ],
    }
    report = Package(csv_only, basepath=str(root)).validate()
    for task in report.tasks:
        for err in task.errors:
            line = getattr(err, "row_number", None) or 0
            col = getattr(err, "field_name", None) or ""
            problems.append(
                Problem(
                    task.place or task.name, int(line), col, f"frictionless:{err.type}", err.message
                )
            )
    for err in report.errors:
        problems.append(Problem("datapackage.json", 0, "", f"frictionless:{err.type}", err.message))
    return problems + foreign_key_problems(root)


def _without_foreign_keys(resource: dict) -> dict:
    schema = resource.get("schema")
    if not isinstance(schema, dict) or "foreignKeys" not in schema:
        return resource
    return {**resource, "schema": {k: v for k, v in schema.items() if k != "foreignKeys"}}


def foreign_key_problems(root: Path) -> list[Problem]:
    """Every foreign key of the Table Schemas on the release's CSV files, as Frictionless does.

    A row whose key cells are all empty references nothing; any other row's key must be a
    key of the referenced table. Keys are compared as text, as written. One read of each
    file; a file that cannot be read is named (the other checks say why).
    """
    columns: dict[str, pa.Table | None] = {}

    def read(table: str) -> pa.Table | None:
        if table not in columns:
            try:
                columns[table] = pacsv.read_csv(
                    root / "data" / f"{table}.csv",
                    convert_options=pacsv.ConvertOptions(
                        column_types={f["name"]: pa.string() for f in ts.fields(table)},
                        strings_can_be_null=True,
                        null_values=[""],
                    ),
                )
            except (OSError, pa.ArrowException):
                columns[table] = None
        return columns[table]

    problems = []
    for table in ts.TABLE_ORDER:
        for cols, target, target_cols in ts.references(table):
            child, parent = read(table), read(target)
            if child is None or parent is None:
                continue
            if not set(cols) <= set(child.column_names) or not set(target_cols) <= set(
                parent.column_names
            ):
                continue  # a missing column is Frictionless's and parquet_problems' to report
            known = set(zip(*(parent.column(c).to_pylist() for c in target_cols), strict=True))
            rows = zip(*(child.column(c).to_pylist() for c in cols), strict=True)
            for pos, key in enumerate(rows):
                if all(v is None for v in key) or key in known:
                    continue
                problems.append(
                    Problem(
                        f"data/{table}.csv",
                        pos + 2,
                        cols[0],
                        "release_foreign_key",
                        f"{', '.join(cols)} {', '.join(str(v) for v in key)!r} is not a "
                        f"{', '.join(target_cols)} of {target}",
                    )
                )
    return problems


def parquet_problems(root: Path) -> list[Problem]:
    """Each Parquet file's Arrow schema against the Table Schema, and its rows against the CSV's."""
    problems = []
    for table in ts.TABLE_ORDER:
        pq_path, csv_path = root / "data" / f"{table}.parquet", root / "data" / f"{table}.csv"
        name = f"data/{table}.parquet"
        try:
            got = pq.read_table(pq_path)
        except Exception as e:  # a truncated or foreign file: name it, don't crash
            problems.append(Problem(name, 0, "", "parquet_unreadable", str(e)))
            continue
        want = arrow_schema(table)
        if got.schema.names != want.names:
            problems.append(
                Problem(
                    name,
                    0,
                    "",
                    "parquet_columns",
                    f"columns {got.schema.names} differ from the schema's {want.names}",
                )
            )
            continue
        for f in want:
            g = got.schema.field(f.name)
            if g.type != f.type:
                problems.append(
                    Problem(
                        name,
                        0,
                        f.name,
                        "parquet_type",
                        f"Arrow type {g.type} where the schema needs {f.type}",
                    )
                )
        flds = ts.fields(table)
        from_csv = pacsv.read_csv(
            csv_path,
            convert_options=pacsv.ConvertOptions(
                column_types={f["name"]: arrow_type(f["type"]) for f in flds},
                strings_can_be_null=True,
                null_values=[""],
            ),
        ).cast(want)
        if not from_csv.equals(got.cast(want)):
            problems.append(
                Problem(name, 0, "", "parquet_rows", f"rows differ from data/{table}.csv")
            )
    return problems
