"""Each cross-field and cross-table rule, shown failing on a fixture with exactly that defect."""

import pytest
from conftest import add_row, edit, find, problems_of

from ai_lab_funding.build.validation import validate_curated

ROUNDS = "curated/rounds.csv"
R1 = ("round_id", "moonshot-ai-2025-12-series-c")
R2 = ("round_id", "moonshot-ai-2026-02-expansion")
REPORT = ("report_id", "seed-000-kimi-700m-02")
X10 = ("report_id", "seed-001-itiger-kimi-7b-02")
GROWTH = ("metric_id", "moonshot-ai-paying-users-growth-mom-2025-11")


# One edited cell breaks one rule, reported on that row:
# (table, key, column, new value, rule, column reported).
SINGLE_CELL = [
    pytest.param(
        "rounds",
        R1,
        "company_id",
        "moonshot",
        "foreign_key",
        "company_id",
        id="round_with_unknown_company",
    ),
    pytest.param(
        "rounds",
        R2,
        "extension_of",
        "moonshot-ai-2099-01-nothing",
        "foreign_key",
        "extension_of",
        id="extension_of_unknown_round",
    ),
    pytest.param(
        "reports",
        REPORT,
        "field",
        "amount_in_words",
        "unknown_field",
        "field",
        id="report_on_unknown_field",
    ),
    pytest.param(
        "rounds",
        R1,
        "announced_on",
        "2023-02-15",
        "before_founding",
        "announced_on",
        id="round_before_company_founded",
    ),
    pytest.param(
        "rounds",
        R1,
        "post_money_valuation",
        "400000000",
        "post_below_amount",
        "post_money_valuation",
        id="post_money_below_amount",
    ),
    pytest.param(
        "rounds",
        R1,
        "pre_money_valuation",
        "3000000000",
        "pre_plus_amount",
        "post_money_valuation",
        id="post_is_not_pre_plus_amount",
    ),
    pytest.param(
        "rounds",
        R1,
        "currency",
        "",
        "currency_with_amount",
        "currency",
        id="amount_without_currency",
    ),
    pytest.param(
        "rounds",
        R1,
        "amount_qualifier",
        "undisclosed",
        "qualifier_with_amount",
        "amount_qualifier",
        id="an_amount_is_not_undisclosed",
    ),
    pytest.param(
        "reports", X10, "reason", "", "reason_required", "reason", id="rejection_needs_a_reason"
    ),
    pytest.param(
        "metrics",
        GROWTH,
        "currency",
        "USD",
        "currency_with_unit",
        "currency",
        id="metric_currency_follows_unit",
    ),
    pytest.param(
        "metrics", GROWTH, "value", "-170", "percent_range", "value", id="percentage_out_of_range"
    ),
    pytest.param(
        "rounds", R1, "announced_on", "2099-01-01", "future_date", "announced_on", id="future_date"
    ),
]


@pytest.mark.parametrize(("table", "key", "column", "value", "rule", "reported"), SINGLE_CELL)
def test_one_bad_cell_is_named(curated, table, key, column, value, rule, reported):
    line = edit(curated, table, key, column, value)
    find(problems_of(curated), rule, file=f"curated/{table}.csv", line=line, column=reported)


def test_a_closed_round_without_amount_says_undisclosed(curated):
    edit(curated, "rounds", R1, "amount", "")
    line = edit(curated, "rounds", R1, "amount_qualifier", "")
    find(problems_of(curated), "closed_without_amount", file=ROUNDS, line=line)
    edit(curated, "rounds", R1, "amount_qualifier", "undisclosed")
    rules = {(p.rule, p.line) for p in validate_curated(curated)[1]}
    assert ("closed_without_amount", line) not in rules
    assert ("qualifier_with_amount", line) not in rules


def test_round_investor_dangling_both_ways(curated):
    line = add_row(
        curated,
        "round_investors",
        round_id="no-such-round",
        investor_id="no-such-investor",
        role="participant",
    )
    ps = problems_of(curated)
    find(ps, "foreign_key", file="curated/round_investors.csv", line=line, column="round_id")
    find(ps, "foreign_key", file="curated/round_investors.csv", line=line, column="investor_id")


def test_investor_parent_unknown_and_self(curated):
    ps_line = edit(
        curated,
        "investors",
        ("investor_id", "meituan-longzhu"),
        "parent_investor_id",
        "meituan-group",
    )
    self_line = edit(
        curated, "investors", ("investor_id", "tencent"), "parent_investor_id", "tencent"
    )
    ps = problems_of(curated)
    find(ps, "foreign_key", file="curated/investors.csv", line=ps_line, column="parent_investor_id")
    find(ps, "self_parent", file="curated/investors.csv", line=self_line)


def test_report_to_unknown_source_and_fact(curated):
    line = add_row(
        curated,
        "reports",
        report_id="x-01",
        source_id="nowhere",
        fact_table="rounds",
        fact_id="moonshot-ai-1999-01-x",
        field="amount",
        value_as_reported="$1 million",
        verdict="rejected",
        reason="unverified",
    )
    ps = problems_of(curated)
    find(ps, "foreign_key", file="curated/reports.csv", line=line, column="source_id")
    find(ps, "foreign_key", file="curated/reports.csv", line=line, column="fact_id")


def test_a_second_leader_written_as_lead_is_named(curated):
    # That round has three co-leads; a fourth leader written as the sole lead is a mix-up.
    line = add_row(
        curated,
        "round_investors",
        round_id="moonshot-ai-2026-02-expansion",
        investor_id="idg-capital",
        role="lead",
    )
    find(
        problems_of(curated),
        "lead_role",
        file="curated/round_investors.csv",
        line=line,
        column="role",
    )


def test_round_in_founding_month_is_fine(curated):
    # Founded 2023-03 at month precision: a round on 2023-03-01 is not "before founding".
    edit(curated, "rounds", R1, "announced_on", "2023-03-01")
    assert not [p for p in problems_of_or_none(curated) if p.rule == "before_founding"]


def problems_of_or_none(folder):
    from ai_lab_funding.problems import InvalidData
    from ai_lab_funding.release.publish import compile_release

    try:
        compile_release(folder)
    except InvalidData as e:
        return e.problems
    return []


def test_usd_amount_must_follow_rate():
    # A user's own frame with a hand-typed amount_usd that disagrees with amount × fx_rate.
    import polars as pl

    from ai_lab_funding.build.rules.catalogue import find as find_rule

    df = pl.DataFrame({"amount": [5e8, 5e8], "fx_rate": [1.0, 0.14], "amount_usd": [5e8, 5e8]})
    assert find_rule("usd_inconsistent", "rounds").check(df, {}).to_list() == [True, False]


def test_round_amount_without_accepted_report(curated):
    line = edit(curated, "reports", ("report_id", "seed-000-kimi-700m-02"), "verdict", "superseded")
    for rid in (
        "seed-002-sohu-100yi-04",
        "seed-004-bworldtools-500m-01",
        "socialmediaasia-20260217-moonshot-10b-01",
    ):
        edit(curated, "reports", ("report_id", rid), "verdict", "superseded")
    for rid in (
        "seed-000-kimi-700m-02",
        "seed-002-sohu-100yi-04",
        "seed-004-bworldtools-500m-01",
        "socialmediaasia-20260217-moonshot-10b-01",
    ):
        edit(curated, "reports", ("report_id", rid), "reason", "outdated")
    del line
    find(problems_of(curated), "no_accepted_report", file=ROUNDS, column="amount")


def test_metric_without_any_accepted_report(curated):
    edit(curated, "reports", ("report_id", "seed-001-itiger-kimi-7b-09"), "verdict", "unresolved")
    edit(curated, "reports", ("report_id", "seed-001-itiger-kimi-7b-09"), "reason", "unverified")
    find(problems_of(curated), "no_accepted_report", file="curated/metrics.csv", column="value")


def test_accepted_report_disagreeing_with_believed_figure(curated):
    line = edit(
        curated,
        "reports",
        ("report_id", "seed-002-sohu-100yi-04"),
        "value_as_reported",
        "$600 million",
    )
    p = find(
        problems_of(curated),
        "accepted_mismatch",
        file="curated/reports.csv",
        line=line,
        column="value_as_reported",
    )
    assert p.value == "$600 million"


def test_two_accepted_reports_ten_times_apart(curated):
    # Accepting the mistranslated "$5 billion" next to the accepted "$500 million".
    line = edit(
        curated, "reports", ("report_id", "seed-001-itiger-kimi-7b-02"), "verdict", "accepted"
    )
    ps = problems_of(curated)
    find(ps, "accepted_mismatch", line=line)
    find(ps, "accepted_unit_conflict", line=line)


def test_orphan_source_is_only_a_warning(curated):
    from ai_lab_funding.release.publish import compile_release

    add_row(
        curated,
        "sources",
        source_id="unused-source",
        title="Unused",
        publisher="Nobody",
        address="https://example.org/x",
        language="en",
        kind="news",
        reliability="low",
    )
    result = compile_release(curated)
    assert any(w.rule == "orphan" and w.value == "unused-source" for w in result.warnings)


def test_cumulative_claim_needs_a_report(curated):
    line = add_row(
        curated,
        "cumulative_claims",
        claim_id="moonshot-ai-cum-x",
        company_id="moonshot-ai",
        window_end="2026-01-01",
        claimed_amount="1000000000",
        claimed_qualifier="about",
        currency="USD",
    )
    find(problems_of(curated), "no_report", file="curated/cumulative_claims.csv", line=line)


def test_membership_never_matches_missing_and_compares_whole_tuples():
    import polars as pl

    from ai_lab_funding.build.rules.base import isin

    df = pl.DataFrame({"a": ["x", None, "y", "x"], "b": ["1", "1", "2", "2"]})
    assert df.select(isin(df, "a", pl.Series(["x", None])))[:, 0].to_list() == [
        True,
        False,
        False,
        True,
    ]
    assert df.select(isin(df, "a", pl.Series([], dtype=pl.String)))[:, 0].to_list() == [False] * 4
    pairs = pl.DataFrame({"a": ["x", "y"], "b": ["1", "1"]})
    assert df.select(isin(df, ["a", "b"], pairs))[:, 0].to_list() == [True, False, False, False]
