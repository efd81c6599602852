"""`investors.ultimate_parent_id`: the top of each investor's chain of parents.

The derivation runs before the rules, so it meets the links the rules refuse: cycles,
self-parents, unknown parents, duplicated ids. It must end on each of them with the
result the schema documents, and the rules must still report them as before.
"""

import polars as pl
from conftest import FIXTURE, edit, find

from ai_lab_funding.build.derive.investors import derive_investors
from ai_lab_funding.build.validation import validate_curated
from ai_lab_funding.schemas import tables as ts

INVESTORS = "curated/investors.csv"


def _tops(rows: list[tuple[str | None, str | None]]) -> list[str | None]:
    df = pl.DataFrame(rows, schema=["investor_id", "parent_investor_id"], orient="row")
    return derive_investors(df)["ultimate_parent_id"].to_list()


def test_fixture_funds_roll_up_to_their_parent():
    tables, _ = validate_curated(FIXTURE)
    inv = tables["investors"]
    top = dict(zip(inv["investor_id"], inv["ultimate_parent_id"], strict=True))
    assert top["meituan-longzhu"] == "meituan"
    assert top["meituan"] == "meituan"
    no_parent = inv.filter(pl.col("parent_investor_id").is_null())
    assert no_parent.height == inv.height - 1
    assert no_parent["ultimate_parent_id"].to_list() == no_parent["investor_id"].to_list()
    # Exposure through funds and arms is one group-by.
    group = inv.filter(pl.col("ultimate_parent_id") == "meituan")["investor_id"].sort()
    assert group.to_list() == ["meituan", "meituan-longzhu"]


def test_chains_self_parents_cycles_and_unknown_parents():
    rows = [
        ("group", None),
        ("arm", "group"),
        ("fund", "arm"),  # two levels up
        ("selfie", "selfie"),  # its own parent: a cycle of one
        ("a", "b"),
        ("b", "c"),
        ("c", "a"),  # a cycle of three
        ("tail", "a"),  # leads into the cycle without being on it
        ("pair-1", "pair-2"),
        ("pair-2", "pair-1"),  # a cycle of two
        ("lost-fund", "nowhere"),  # unknown parent: the chain stops at the last investor
        ("lost-child", "lost-fund"),
    ]
    assert _tops(rows) == [
        "group",
        "group",
        "group",
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        "lost-fund",
        "lost-fund",
    ]


def test_duplicated_and_missing_ids_do_not_multiply_rows():
    rows = [("dup", None), ("dup", "group"), ("group", None), ("child", "dup"), (None, "group")]
    assert _tops(rows) == ["dup", "group", "group", "dup", "group"]
    assert _tops([]) == []


def test_long_chains_and_long_cycles_end():
    # Python recursion per row would fail here; the doubling needs about 17 lookups.
    n = 60_000
    chain = [(f"c{i}", f"c{i - 1}" if i else None) for i in range(n)]
    ring = [(f"r{i}", f"r{(i + 1) % 30_001}") for i in range(30_001)]
    tops = _tops(chain + ring)
    assert tops[:n] == ["c0"] * n
    assert tops[n:] == [None] * 30_001


def test_rules_still_report_what_the_derivation_tolerates(curated):
    cycle = [
        edit(curated, "investors", ("investor_id", "alibaba"), "parent_investor_id", "tencent"),
        edit(curated, "investors", ("investor_id", "tencent"), "parent_investor_id", "alibaba"),
    ]
    own = edit(
        curated, "investors", ("investor_id", "5y-capital"), "parent_investor_id", "5y-capital"
    )
    unknown = edit(
        curated, "investors", ("investor_id", "jiuan-medical"), "parent_investor_id", "no-such-fund"
    )
    tables, ps = validate_curated(curated)
    for line in cycle:
        find(ps, "parent_cycle", file=INVESTORS, line=line, column="parent_investor_id")
    find(ps, "self_parent", file=INVESTORS, line=own, column="parent_investor_id")
    find(ps, "foreign_key", file=INVESTORS, line=unknown, column="parent_investor_id")
    assert not [p for p in ps if p.column == "ultimate_parent_id"]
    top = dict(tables["investors"].select("investor_id", "ultimate_parent_id").iter_rows())
    assert top["alibaba"] is None and top["tencent"] is None and top["5y-capital"] is None
    assert top["jiuan-medical"] == "jiuan-medical"
    assert top["meituan-longzhu"] == "meituan"


def test_a_problem_elsewhere_does_not_trip_on_the_derived_column(curated):
    # An unreadable cell stops the build before deriving; the rules then run on the
    # curated frames, which have no ultimate_parent_id.
    edit(curated, "rounds", ("round_id", "moonshot-ai-2025-12-series-c"), "amount", "lots")
    tables, ps = validate_curated(curated)
    assert tables is None
    assert ps and not [p for p in ps if p.column == "ultimate_parent_id"]


def test_schema_declares_the_column_as_a_derived_key_into_investors():
    f = ts.field("investors", "ultimate_parent_id")
    assert f.get("x-derived") is True
    assert {
        "fields": ["ultimate_parent_id"],
        "reference": {"resource": "investors", "fields": ["investor_id"]},
    } in ts.foreign_keys("investors")
