"""Check a written release against the standards: Frictionless on the CSV, our own check on Parquet.

Frictionless reads Parquet row by row and never compares its column types with the
schema, so it gates the CSV release (types, constraints, keys, bytes, hashes) and the
Parquet files are checked here: Arrow schema equal to the Table Schema's, same rows as the CSV.
"""

from __future__ import annotations

import json
from pathlib import Path

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
    # and check nothing about its types (parquet_problems does that).
    csv_only = {**desc, "resources": [r for r in desc["resources"] if r.get("format") == "csv"]}
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
