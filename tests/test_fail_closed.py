"""Bad input never crashes the validator or half-writes, and every defect is reported at once."""

import hashlib
import shutil

import pandas as pd
import pytest
from conftest import FIXTURE, add_row, edit, find, problems_of
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ai_lab_funding.problems import InvalidData
from ai_lab_funding.release.files import csv_bytes
from ai_lab_funding.release.publish import build
from ai_lab_funding.release.standards import safe_paths


def test_many_defects_in_one_run(curated):
    edit(curated, "rounds", ("round_id", "moonshot-ai-2025-12-series-c"), "status", "done")
    edit(curated, "companies", ("company_id", "moonshot-ai"), "country", "XX")
    edit(curated, "investors", ("investor_id", "tencent"), "investor_type", "corp")
    add_row(
        curated,
        "round_investors",
        round_id="moonshot-ai-2025-12-series-c",
        investor_id="ghost",
        role="participant",
    )
    ps = problems_of(curated)
    assert {"enum", "codelist", "foreign_key"} <= {p.rule for p in ps}
    assert len({p.file for p in ps}) >= 4


def test_primary_key_duplicates_and_case_variants(curated):
    add_row(
        curated, "companies", company_id="moonshot-ai", name="Again", country="CN", status="private"
    )
    ps = problems_of(curated)
    find(ps, "unique", column="company_id")
    import polars as pl

    from ai_lab_funding.build.rules.catalogue import find as find_rule

    rule = find_rule("duplicate_key_variant", "companies")
    df = pl.DataFrame({"company_id": ["moonshot-ai", "Moonshot-AI ", "openai"]})
    assert rule.check(df, {}).to_list() == [False, False, True]


def test_a_pasted_twice_round_is_named_not_a_crash(curated):
    # Reports on a duplicated fact used to stop the derivation with a pandas InvalidIndexError.
    from conftest import rows

    first = rows(curated, "rounds")[0]
    line = add_row(curated, "rounds", **first)
    ps = problems_of(curated)
    assert (
        find(ps, "unique", file="curated/rounds.csv", column="round_id", line=line).value
        == first["round_id"]
    )


def test_descriptor_paths_cannot_leave_the_package():
    bad = {
        "resources": [
            {"name": "a", "path": "../secrets.csv"},
            {"name": "b", "path": "/etc/passwd"},
            {"name": "c", "path": "https://example.org/x.csv"},
            {"name": "d", "path": "data/ok.csv"},
        ]
    }
    assert [p.column for p in safe_paths(bad)] == ["a", "b", "c"]


def test_released_csv_never_carries_a_formula():
    from ai_lab_funding.schemas import tables as ts

    df = pd.DataFrame({f["name"]: [None] for f in ts.fields("companies")})
    df["company_id"], df["name"] = "x", "=HYPERLINK(1)"
    with pytest.raises(ValueError, match="formula"):
        csv_bytes(df, "companies")


@pytest.fixture(scope="module")
def released_once(tmp_path_factory):
    root = tmp_path_factory.mktemp("rel")
    build(FIXTURE, root / "out", docs=False)
    return root / "out"


def _digest(folder):
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(table=st.sampled_from(["rounds", "reports", "companies", "sources"]), data=st.data())
def test_random_byte_corruption_never_crashes_nor_touches_the_release(
    tmp_path_factory, released_once, table, data
):
    work = tmp_path_factory.mktemp("corrupt") / "curated"
    shutil.copytree(FIXTURE, work)
    raw = bytearray((work / f"{table}.csv").read_bytes())
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, len(raw) - 1))
        raw[pos] = data.draw(st.integers(0, 255))
    (work / f"{table}.csv").write_bytes(bytes(raw))
    before = _digest(released_once)
    try:
        build(
            work, released_once, docs=False
        )  # a corrupted note may still be valid: then it is simply released
    except InvalidData as e:
        assert e.problems and all(p.file and p.rule for p in e.problems)
        assert _digest(released_once) == before, "a failed build changed the release"
    assert not list(released_once.glob(".release-*"))
