"""The two halves stay apart: loading and reading never import the build half."""

import json
import subprocess
import sys

import pytest

from ai_lab_funding.build.rules.catalogue import catalogue
from ai_lab_funding.schemas import tables as ts
from ai_lab_funding.schemas.types import TYPES

# Libraries that only building and validating need.
BUILD_LIBRARIES = ("pandera", "frictionless", "currency_converter", "matplotlib", "pycountry")

LOAD_EVERYTHING = """
import json, sys
import ai_lab_funding as alf
for table in alf.tables():
    for engine in ("pandas", "polars", "pyarrow", "duckdb"):
        alf.load(table, engine=engine)
    alf.describe(table)
    alf.schema(table)
alf.package()
print(json.dumps(sorted(sys.modules)))
"""


def _modules_after(code: str) -> set[str]:
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-2000:]
    return set(json.loads(res.stdout.splitlines()[-1]))


def _build_half(modules: set[str]) -> list[str]:
    ours = [m for m in modules if m.startswith(("ai_lab_funding.build", "ai_lab_funding.release"))]
    theirs = [m for m in modules if m.split(".")[0] in BUILD_LIBRARIES]
    return sorted(ours + theirs)


def test_load_imports_nothing_of_the_build_half():
    modules = _modules_after(LOAD_EVERYTHING)
    assert "ai_lab_funding.loader" in modules and "duckdb" in modules  # it did load
    assert _build_half(modules) == []


def test_pandas_load_needs_no_other_engine_nor_the_downloader():
    modules = _modules_after(
        "import json, sys, ai_lab_funding as alf; alf.load('rounds'); "
        "print(json.dumps(sorted(sys.modules)))"
    )
    assert not {"polars", "duckdb", "pooch", "requests"} & modules
    assert _build_half(modules) == []


@pytest.mark.parametrize(
    "command",
    [["info"], ["diff", ".", "."], ["export", "--format", "duckdb", "{tmp}/x.duckdb"]],
    ids=["info", "diff", "export-duckdb"],
)
def test_read_only_commands_import_nothing_of_the_build_half(command, tmp_path):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in command]
    code = (
        "import contextlib, io, json, sys\n"
        "from ai_lab_funding.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    assert main({argv!r}) == 0\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    assert _build_half(_modules_after(code)) == []


def test_export_as_files_takes_only_the_release_format(tmp_path):
    # CSV and Parquet exports are written by the release's own writer, and by nothing else of
    # the build half.
    code = (
        "import contextlib, io, json, sys\n"
        "from ai_lab_funding.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    assert main(['export', '--format', 'csv', {str(tmp_path / 'csv')!r}]) == 0\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    modules = _modules_after(code)
    assert _build_half(modules) == ["ai_lab_funding.release", "ai_lab_funding.release.files"]


def test_every_column_type_has_every_engine_spelling():
    used = {f["type"] for t in ts.table_names() for f in ts.fields(t)}
    assert used <= set(TYPES)
    for kind, spelled in TYPES.items():
        assert spelled.polars and spelled.pandas and spelled.arrow and spelled.spark, kind


def test_the_catalogue_is_data_a_reader_can_list():
    rules = catalogue()
    assert {r.severity for r in rules} == {"error", "warning"}
    places = [(r.table, r.name, r.column) for r in rules]
    assert len(places) == len(set(places)), "two rules share a table, name and column"
    assert all(r.table in ts.table_names() for r in rules)
    # Every foreign key a Table Schema declares is checked, and nothing else calls itself one.
    # A composite key is checked once, on its last column (the one naming the row).
    declared = {(t, cols[-1]) for t in ts.table_names() for cols, _, _ in ts.references(t)}
    checked = [(r.table, r.column) for r in rules if r.name == "foreign_key"]
    assert sorted(checked) == sorted(declared)
    assert ("reports", "fact_id") in declared
