"""What the build derives.

USD at dated ECB rates, and parsed reports checked against the believed figure.
"""

import pandas as pd
import polars as pl
import pytest
from conftest import edit, find, problems_of

from ai_lab_funding.build.derive.reports import matches, unit_flags
from ai_lab_funding.release.publish import compile_release

REPORTS = "curated/reports.csv"
SERIES_C = ("round_id", "moonshot-ai-2025-12-series-c")


def test_currency_without_an_ecb_rate_is_named_on_its_row(curated):
    # NGN is a valid ISO 4217 code, but the ECB publishes no rate for it.
    line = edit(curated, "rounds", SERIES_C, "currency", "NGN")
    p = find(
        problems_of(curated), "fx_rate", file="curated/rounds.csv", line=line, column="currency"
    )
    assert "NGN" in p.message


def test_report_without_a_number_fails_only_when_accepted(curated):
    accepted = edit(
        curated,
        "reports",
        ("report_id", "seed-000-kimi-700m-02"),
        "value_as_reported",
        "undisclosed sum",
    )
    rejected = edit(
        curated,
        "reports",
        ("report_id", "seed-001-itiger-kimi-7b-02"),
        "value_as_reported",
        "declined to say",
    )
    ps = problems_of(curated)
    assert find(ps, "unparseable", file=REPORTS, line=accepted).severity == "error"
    assert find(ps, "unparseable", file=REPORTS, line=rejected).severity == "warning"


def test_report_in_another_currency_is_compared_at_the_days_rate(curated):
    # $500 million on 2025-12-31 is about 3.5 billion yuan at that day's ECB cross rate.
    edit(curated, "reports", ("report_id", "seed-000-kimi-700m-02"), "value_as_reported", "35亿元")
    built = compile_release(curated).tables
    reports = built["reports"].set_index("report_id")
    row = reports.loc["seed-000-kimi-700m-02"]
    assert (row["currency"], row["canonical_currency"], row["check"]) == ("CNY", "USD", "match")
    assert 0.97 < row["ratio_to_canonical"] < 1.03
    fx = built["fx_rates"]
    assert ((fx["currency"] == "CNY") & (fx["requested_on"] == "2025-12-31")).any()


@pytest.mark.parametrize(
    "qualifier,value,high,believed,agrees",
    [
        ("exact", 500.0, None, 509.0, True),  # within 2%
        ("exact", 500.0, None, 520.0, False),
        ("about", 500.0, None, 545.0, True),  # within 10%
        ("at_least", 500.0, None, 990.0, True),  # "more than 500" holds up to twice that
        ("at_least", 500.0, None, 1100.0, False),
        ("up_to", 500.0, None, 260.0, True),
        ("up_to", 500.0, None, 240.0, False),
        ("range", 400.0, 600.0, 590.0, True),
        ("range", 400.0, 600.0, 700.0, False),
        ("exact", 0.0, None, 0.0, True),
    ],
)
def test_a_report_agrees_within_what_its_hedge_allows(qualifier, value, high, believed, agrees):
    df = pl.DataFrame(
        {"v": [value], "h": [high], "q": [qualifier], "believed": [believed]},
        schema_overrides={"h": pl.Float64},
    )
    ok = df.select(
        matches(pl.col("v"), pl.col("h"), pl.col("q"), pl.lit(0.0), pl.col("believed"), pl.lit(0.0))
    )
    assert ok.item() is agrees


def test_reports_ten_times_apart_are_flagged_unless_one_is_rejected_for_it():
    reports = pl.DataFrame(
        {
            "report_id": ["a", "b", "c", "d", "e"],
            "fact_table": ["rounds"] * 5,
            "fact_id": ["r1", "r1", "r1", "r2", "r2"],
            "field": ["amount"] * 5,
            "value": [5e8, 5e9, 5.1e8, 1e6, 1e7],
            "ratio_to_canonical": [1.0, 10.0, 1.02, None, None],
            "verdict": ["accepted", "rejected", "accepted", "accepted", "rejected"],
            "reason": [None, "superseded", None, None, "unit_error: 亿 read as 10^7"],
        }
    )
    flags = unit_flags(reports)
    # b is ten times a and c; the r2 pair is already rejected as a unit error.
    assert flags.select("report_id", "other_report_id", "factor").rows() == [
        ("b", "a", 10),
        ("b", "c", 10),
    ]
    assert flags["ratio"].to_list() == [10.0, round(10 / 1.02, 6)]


def test_a_claim_counts_closed_and_announced_rounds_inside_its_window(curated):
    built = compile_release(curated).tables
    claims, rounds = built["cumulative_claims"], built["rounds"]
    for claim in claims.itertuples():
        inside = rounds[
            (rounds["company_id"] == claim.company_id)
            & rounds["status"].isin(["closed", "announced"])
            & rounds["amount_usd"].notna()
            & (rounds["announced_on"] <= claim.window_end)
            & (
                (rounds["announced_on"] >= claim.window_start)
                if not pd.isna(claim.window_start)
                else True
            )
        ]
        assert claim.rounds_counted == len(inside)
        assert claim.rounds_sum_usd == pytest.approx(inside["amount_usd"].sum(), abs=0.01)
        assert set(claim.round_ids.split(";") if claim.round_ids else []) == set(inside["round_id"])
