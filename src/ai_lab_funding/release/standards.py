"""Check a written release against the standards: Frictionless on the CSV, our own check on Parquet.

Frictionless reads Parquet row by row and never compares its column types with the
schema, so it gates the CSV release (types, constraints, keys, bytes, hashes) and the
Parquet files are checked here: Arrow schema equal to the Table Schema's, same rows as the CSV.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..paths import leaves_package
from ..problems import Problem
from ..schemas import tables as ts
from ..schemas.types import arrow_schema, arrow_type
from .files import write_files


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


def _descriptor(root: Path) -> dict | Problem:
    """The release's datapackage.json as a JSON object, or the problem that it is not one."""
    try:
        desc = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        return Problem("datapackage.json", 0, "", "descriptor_unreadable", f"not JSON: {e}")
    resources = desc.get("resources", []) if isinstance(desc, dict) else None
    if not isinstance(resources, list) or not all(isinstance(r, dict) for r in resources):
        message = "not a Data Package descriptor (a JSON object with a list of resources)"
        return Problem("datapackage.json", 0, "", "descriptor_unreadable", message)
    return desc


class FrictionlessCheck:
    """Frictionless's verdict on the CSV resources of a release, from a process of its own.

    Frictionless reads every row in Python: on the real release that is a quarter of a
    cold build. Started as soon as the tables are derived, the process (`frictionless_child`)
    imports Frictionless while the build makes the files, and checks them while the rules
    run, on another core. Use it as a context manager: leaving it stops the process and
    deletes the files it was given to check (`submit_files`).
    """

    def __init__(self) -> None:
        """Start the process; it imports Frictionless, then waits for `submit`."""
        self._stderr = tempfile.TemporaryFile()
        self._proc = subprocess.Popen(
            [sys.executable, "-I", str(Path(__file__).with_name("frictionless_child.py"))],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
        )
        self._root: Path | None = None
        self._own: Path | None = None
        self._early: list[Problem] = []

    def submit(self, root: Path) -> None:
        """Check the release written in `root`: its CSV resources, without their foreign keys.

        Frictionless would read each Parquet twin row by row again and check nothing about its
        types (`parquet_problems` does that), and it looks each foreign key up by reading the
        referenced CSV again, row by row, once per key (18 reads, 40% of its time on the real
        release): `foreign_key_problems` checks the same keys on the same files.
        """
        self._root = root
        desc = _descriptor(root)
        self._early = safe_paths(desc) if isinstance(desc, dict) else [desc]
        if self._early:
            self._proc.stdin.close()  # nothing of it is read while a path leaves the package
            return
        csv_only = {
            **desc,
            "resources": [
                _without_foreign_keys(r) for r in desc["resources"] if r.get("format") == "csv"
            ],
        }
        job = json.dumps({"descriptor": csv_only, "basepath": str(root)}).encode("utf-8")
        # Written whole before the child answers: it reads all of stdin first, then checks
        # while this process goes on. A child that died early is reported by problems().
        try:
            self._proc.stdin.write(job)
            self._proc.stdin.close()
        except BrokenPipeError:
            pass

    def submit_files(self, files: dict[str, bytes]) -> None:
        """Write `files` (path in the release → bytes) into a private folder and check them."""
        self._own = Path(tempfile.mkdtemp(prefix="ai-lab-funding-check-"))
        write_files(self._own, files)
        self.submit(self._own)

    @property
    def root(self) -> Path:
        """The folder of the release being checked."""
        if self._root is None:
            raise RuntimeError("FrictionlessCheck has been given nothing to check")
        return self._root

    def problems(self) -> list[Problem]:
        """Wait for the verdict: Frictionless's errors, then the foreign keys' (empty: valid)."""
        root = self.root
        if self._early:
            return self._early
        found = self._proc.stdout.read()
        if self._proc.wait() != 0:
            self._stderr.seek(0)
            tail = self._stderr.read().decode("utf-8", "replace").strip().splitlines()[-5:]
            raise RuntimeError("the Frictionless check stopped: " + " | ".join(tail))
        problems = [
            Problem(place, row, field, f"frictionless:{kind}", message)
            for place, row, field, kind, message in json.loads(found)
        ]
        return problems + foreign_key_problems(root)

    def close(self) -> None:
        """Stop the process if it still runs; delete the folder `submit_files` wrote."""
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()
        for pipe in (self._proc.stdin, self._proc.stdout, self._stderr):
            with contextlib.suppress(OSError):  # a pipe to a dead child may fail to flush
                pipe.close()
        if self._own is not None:
            shutil.rmtree(self._own, ignore_errors=True)

    def __enter__(self) -> FrictionlessCheck:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def frictionless_problems(root: Path) -> list[Problem]:
    """Frictionless's verdict on the CSV resources of the release in `root`: types, keys, hashes."""
    with FrictionlessCheck() as check:
        check.submit(root)
        return check.problems()


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
        try:
            from_csv = pacsv.read_csv(
                csv_path,
                convert_options=pacsv.ConvertOptions(
                    column_types={f["name"]: arrow_type(f["type"]) for f in flds},
                    strings_can_be_null=True,
                    null_values=[""],
                ),
            ).cast(want)
        except (OSError, pa.ArrowException):  # Frictionless says what is wrong with the CSV
            message = f"cannot be compared with data/{table}.csv, which does not read as its schema"
            problems.append(Problem(name, 0, "", "parquet_rows", message))
            continue
        if not from_csv.equals(got.cast(want)):
            problems.append(
                Problem(name, 0, "", "parquet_rows", f"rows differ from data/{table}.csv")
            )
    return problems
