"""Funding totals count each dollar once; claims are held to the money in their own scope."""

import pandas as pd
import pytest
from conftest import add_row, edit, find, problems_of

from ai_lab_funding import load

ROUNDS = "curated/rounds.csv"
CLAIMS = "curated/cumulative_claims.csv"
R1 = ("round_id", "moonshot-ai-2025-12-series-c")
CLAIM = ("claim_id", "moonshot-ai-cum-seed-000-kimi-700m")


@pytest.fixture(scope="module")
def release() -> dict[str, pd.DataFrame]:
    return {t: load(t) for t in ("rounds", "funding_totals", "cumulative_claims")}


def _committed(rounds: pd.DataFrame) -> pd.Series:
    conditional = rounds["conditional_amount"].fillna(0)
    return (rounds["amount"] - conditional) * rounds["fx_rate"]


def test_primary_totals_leave_out_folded_and_conditional_money(release):
    rounds, totals = release["rounds"], release["funding_totals"]
    counted = rounds[
        rounds["status"].isin(["closed", "announced"])
        & (rounds["money_kind"] == "primary_equity")
        & rounds["counted_in"].isna()
    ]
    expected = _committed(counted).groupby(counted["company_id"]).sum(min_count=1)
    got = totals[(totals["period"] == "all") & (totals["counted_as"] == "primary_equity")]
    got = got.set_index("company_id")["amount_usd"]
    pd.testing.assert_series_equal(
        got.sort_index(), expected.sort_index(), check_names=False, atol=1, check_dtype=False
    )
    # Anthropic's "up to" commitments are not added to the series that absorbed them.
    anthropic = totals[(totals["company_id"] == "anthropic") & (totals["period"] == "all")]
    primary = anthropic.set_index("counted_as").loc["primary_equity"]
    assert "anthropic-2026-04-strategic-amazon" in primary["left_out_round_ids"]
    assert "anthropic-2026-04-strategic-amazon" not in primary["round_ids"].split(";")
    assert "conditional_commitment" in set(anthropic["counted_as"])


def test_years_add_up_to_the_all_time_total(release):
    totals = release["funding_totals"]
    years = totals[totals["period"] != "all"].groupby(["company_id", "counted_as"])
    all_time = totals[totals["period"] == "all"].set_index(["company_id", "counted_as"])
    summed = years["amount_usd"].sum(min_count=1)
    both = all_time["amount_usd"].dropna()
    assert (summed.loc[both.index] - both).abs().max() < 1
    counts = years["rounds_counted"].sum()
    assert counts.sort_index().equals(all_time["rounds_counted"].sort_index())


def test_an_undisclosed_round_makes_a_lower_bound_never_a_zero(release):
    totals = release["funding_totals"]
    moonshot = totals[(totals["company_id"] == "moonshot-ai") & (totals["period"] == "2023")]
    row = moonshot.set_index("counted_as").loc["primary_equity"]
    assert pd.isna(row["amount_usd"]) and bool(row["is_lower_bound"])
    assert "moonshot-ai-2023-06-angel" in row["undisclosed_round_ids"]


def test_kinds_of_money_are_kept_apart(release):
    totals = release["funding_totals"]
    openai = totals[(totals["company_id"] == "openai") & (totals["period"] == "all")]
    kinds = set(openai["counted_as"])
    assert {"primary_equity", "secondary_sale", "debt", "conditional_commitment"} <= kinds


def test_a_pre_ipo_claim_is_not_compared_with_the_ipo(release):
    claims = release["cumulative_claims"].set_index("claim_id")
    pre = claims.loc["minimax-cum-reportify-20260109-latepost-minimax"]
    assert pre["scope"] == "pre_ipo_private"
    assert "minimax-2026-01-ipo" not in pre["round_ids"].split(";")


def test_an_investor_claim_counts_only_that_investors_money(release):
    claims = release["cumulative_claims"].set_index("claim_id")
    ms = claims.loc["openai-cum-ndtvprofit-20241002-openai-6-6b"]
    assert ms["scope_investor_ids"] == "microsoft"
    # The July 2019 ($1B) and January 2023 ($10B) deals were Microsoft's alone; in the
    # October 2024 round its ticket is unknown, so the sum is a floor, not the round's $6.6B.
    assert ms["rounds_sum_usd"] == pytest.approx(11e9)
    assert bool(ms["sum_is_lower_bound"])


@pytest.mark.parametrize(
    "column,value,rule",
    [
        ("money_kind", "secondary_sale", "money_kind"),
        ("conditional_amount", "600000000", "conditional_above_amount"),
        ("counted_in", "moonshot-ai-2025-12-series-c", "link_company"),
    ],
)
def test_counting_columns_that_contradict_the_round_are_named(curated, column, value, rule):
    line = edit(curated, "rounds", R1, column, value)
    find(problems_of(curated), rule, file=ROUNDS, line=line, column=column)


def test_money_counted_in_a_round_that_never_closed_is_named(curated):
    add_row(
        curated,
        "rounds",
        round_id="moonshot-ai-2026-06-talks",
        company_id="moonshot-ai",
        announced_on="2026-06-08",
        date_precision="day",
        status="in_talks",
        round_type="undisclosed",
        money_kind="primary_equity",
        confidence="low",
    )
    line = edit(curated, "rounds", R1, "counted_in", "moonshot-ai-2026-06-talks")
    find(problems_of(curated), "counted_in_uncounted", file=ROUNDS, line=line)


def test_an_investor_claim_must_name_its_investors(curated):
    line = edit(curated, "cumulative_claims", CLAIM, "scope", "investor_commitments")
    find(problems_of(curated), "scope_investors", file=CLAIMS, line=line)
    edit(curated, "cumulative_claims", CLAIM, "scope_investor_ids", "alibaba;nobody-capital")
    hit = find(problems_of(curated), "list_reference", file=CLAIMS, line=line)
    assert hit.hint == "unknown: nobody-capital"
