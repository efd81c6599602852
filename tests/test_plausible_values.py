"""Absurd figures and dates fail: money bounds, unit ranges, dates before 1900 or too far ahead.

Each test plants one defect in a copy of the valid fixture and asserts the problem by rule,
file, editor line and column; a few also run `ai-lab-funding validate` as a contributor's CI.
"""

from datetime import date, timedelta

import pandas as pd
import pytest
from conftest import add_row, edit, find, problems_of

from ai_lab_funding.build.rules.columns import table_schema
from ai_lab_funding.build.validation import validate_curated
from ai_lab_funding.cli import main
from ai_lab_funding.problems import InvalidData
from ai_lab_funding.schemas import tables as ts

R1 = ("round_id", "moonshot-ai-2025-12-series-c")
CASH = ("metric_id", "moonshot-ai-cash-reserves-2025-12-31")
GROWTH = ("metric_id", "moonshot-ai-paying-users-growth-mom-2025-11")
RUNWAY = ("metric_id", "moonshot-ai-cash-runway-years-2026-02-17")
CLAIM = ("claim_id", "moonshot-ai-cum-seed-000-kimi-700m")
SOURCE = ("source_id", "gmteight-20260121-moonshot-4-8b")
COMPANY = ("company_id", "moonshot-ai")


def _days_ahead(days: int) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


def _rules_at(folder, file: str, line: int) -> set[tuple[str, str]]:
    """(rule, column) of every error on one line, whether or not the build fails."""
    return {
        (p.rule, p.column)
        for p in validate_curated(folder)[1]
        if p.severity == "error" and p.file.endswith(file) and p.line == line
    }


# One edited cell breaks one bound: (table, key, column, value, rule, column reported).
OUT_OF_BOUNDS = [
    pytest.param("rounds", R1, "amount", "1e30", "maximum", "amount", id="round_of_1e30"),
    pytest.param(
        "rounds", R1, "amount", "50000000000000", "maximum", "amount_usd", id="round_above_1e13_usd"
    ),
    pytest.param("rounds", R1, "amount", "-500000000", "minimum", "amount", id="negative_round"),
    pytest.param(
        "rounds",
        R1,
        "post_money_valuation",
        "4300000000000000000",
        "maximum",
        "post_money_valuation",
        id="valuation_of_4e18",
    ),
    pytest.param(
        "cumulative_claims",
        CLAIM,
        "claimed_amount",
        "1e20",
        "maximum",
        "claimed_amount",
        id="claimed_1e20",
    ),
    pytest.param(
        "cumulative_claims",
        CLAIM,
        "claimed_amount",
        "20000000000000",
        "maximum",
        "claimed_amount_usd",
        id="claimed_above_1e13_usd",
    ),
    pytest.param("metrics", CASH, "value", "1e25", "maximum", "value", id="cash_of_1e25"),
    pytest.param("metrics", CASH, "value", "-5", "currency_range", "value", id="negative_cash"),
    pytest.param(
        "metrics", GROWTH, "value", "5000000", "percent_range", "value", id="growth_of_5e6_percent"
    ),
    pytest.param("metrics", RUNWAY, "value_high", "1000", "years_range", "value_high", id="runway"),
    pytest.param("rounds", R1, "announced_on", "1899-12-31", "minimum", "announced_on", id="1899"),
    pytest.param(
        "companies", COMPANY, "founded_on", "1066-10-14", "minimum", "founded_on", id="founded_1066"
    ),
    pytest.param(
        "sources", SOURCE, "published_on", "0001-01-01", "minimum", "published_on", id="year_1"
    ),
    pytest.param(
        "cumulative_claims",
        CLAIM,
        "window_start",
        "1800-01-01",
        "minimum",
        "window_start",
        id="window_from_1800",
    ),
]


@pytest.mark.parametrize(("table", "key", "column", "value", "rule", "reported"), OUT_OF_BOUNDS)
def test_out_of_bounds_cell_is_named(curated, table, key, column, value, rule, reported):
    line = edit(curated, table, key, column, value)
    find(problems_of(curated), rule, file=f"curated/{table}.csv", line=line, column=reported)


def test_ticket_of_1e16_and_negative_ticket(curated):
    from conftest import rows, write_rows

    data = rows(curated, "round_investors")
    data[0].update(amount="1e16", currency="USD")
    data[1].update(amount="-3", currency="USD")
    write_rows(curated, "round_investors", data)
    ps = problems_of(curated)
    find(ps, "maximum", file="curated/round_investors.csv", line=2, column="amount")
    find(ps, "minimum", file="curated/round_investors.csv", line=3, column="amount")


def test_count_metric_bounds(curated):
    line = add_row(
        curated,
        "metrics",
        metric_id="moonshot-ai-headcount-2025",
        company_id="moonshot-ai",
        metric="headcount",
        value="-1",
        value_high="20000000000",
        unit="count",
        qualifier="range",
        period_end="2025-01-01",
        period_precision="year",
        confidence="low",
    )
    ps = problems_of(curated)
    find(ps, "count_range", file="curated/metrics.csv", line=line, column="value")
    find(ps, "count_range", file="curated/metrics.csv", line=line, column="value_high")


def test_a_1e30_round_fails_validate_on_the_command_line(curated, capsys):
    line = edit(curated, "rounds", R1, "amount", "1e30")
    assert main(["validate", str(curated)]) == 1
    out = capsys.readouterr().out
    assert f"rounds.csv:{line}:amount: maximum: must be <= 1000000000000000 ('1e+30')" in out
    assert f"rounds.csv:{line}:amount_usd: maximum: must be <= 10000000000000" in out


def test_negative_money_metric_fails_validate_on_the_command_line(curated, capsys):
    line = edit(curated, "metrics", CASH, "value", "-10000000000")
    assert main(["validate", str(curated)]) == 1
    out = capsys.readouterr().out
    assert (
        f"metrics.csv:{line}:value: currency_range: with unit currency, value must be >= 0 (" in out
    )


# Dates further after the build date than their field allows.
TOO_LATE = [
    pytest.param("rounds", R1, "announced_on", 1, id="announced_tomorrow"),
    pytest.param("rounds", R1, "closed_on", 1, id="closed_tomorrow"),
    pytest.param("companies", COMPANY, "founded_on", 1, id="founded_tomorrow"),
    pytest.param("sources", SOURCE, "published_on", 1, id="published_tomorrow"),
    pytest.param("metrics", GROWTH, "period_start", 1, id="period_from_tomorrow"),
    pytest.param("metrics", CASH, "period_end", 1, id="period_to_tomorrow"),
    pytest.param("cumulative_claims", CLAIM, "window_start", 1, id="window_from_tomorrow"),
    pytest.param("cumulative_claims", CLAIM, "window_end", 367, id="window_past_horizon"),
    pytest.param("cumulative_claims", CLAIM, "window_end", 4 * 365, id="window_years_ahead"),
]


@pytest.mark.parametrize(("table", "key", "column", "days"), TOO_LATE)
def test_date_after_its_horizon_is_named(curated, table, key, column, days):
    line = edit(curated, table, key, column, _days_ahead(days))
    find(problems_of(curated), "future_date", file=f"curated/{table}.csv", line=line, column=column)


def test_claim_window_ending_in_2099_fails_validate(curated, capsys):
    line = edit(curated, "cumulative_claims", CLAIM, "window_end", "2099-12-31")
    assert main(["validate", str(curated)]) == 1
    out = capsys.readouterr().out
    assert f"cumulative_claims.csv:{line}:window_end: future_date: date is more than 366 " in out


def test_claim_window_may_end_within_its_horizon(curated):
    line = edit(curated, "cumulative_claims", CLAIM, "window_end", _days_ahead(366))
    assert ("future_date", "window_end") not in _rules_at(curated, "cumulative_claims.csv", line)


def test_horizons_are_read_from_the_schemas():
    horizon = {
        (t, f["name"]): f["x-maxDaysAfterBuild"]
        for t in ts.table_names()
        for f in ts.fields_with(t, "x-maxDaysAfterBuild")
    }
    assert horizon[("cumulative_claims", "window_end")] == 366
    assert horizon[("metrics", "period_start")] == 0
    # Every curated date has a horizon and a minimum.
    for t in ts.curated_tables():
        for f in ts.curated_fields(t):
            if f["type"] == "date":
                assert (t, f["name"]) in horizon
                assert ts.constraints(f)["minimum"] == "1900-01-01"


def test_period_end_before_its_start(curated):
    line = edit(curated, "metrics", GROWTH, "period_start", "2025-12-01")
    find(problems_of(curated), "window_order", file="curated/metrics.csv", line=line)
    assert ("window_order", "period_end") in _rules_at(curated, "metrics.csv", line)


def test_claim_window_end_before_its_start(curated):
    line = edit(curated, "cumulative_claims", CLAIM, "window_start", "2026-03-01")
    find(
        problems_of(curated),
        "window_order",
        file="curated/cumulative_claims.csv",
        line=line,
        column="window_end",
    )


def test_date_minimum_is_compared_as_a_date_on_both_pandera_backends():
    import polars as pl

    claims = pd.DataFrame(
        {
            "claim_id": ["a", "b"],
            "company_id": ["x", "x"],
            "window_start": pd.to_datetime(["1899-12-31", "1900-01-01"]).astype("datetime64[s]"),
            "window_end": pd.to_datetime(["2020-01-01", "2020-01-01"]).astype("datetime64[s]"),
            "claimed_amount": [1e9, 1e9],
            "claimed_qualifier": ["about", "about"],
            "currency": ["USD", "USD"],
            "note": [None, None],
        }
    ).astype({"note": "str"})
    for engine, frame in (("pandas", claims), ("polars", pl.from_pandas(claims))):
        schema = table_schema("cumulative_claims", curated=True, engine=engine)
        with pytest.raises(Exception) as err:
            schema.validate(frame, lazy=True)
        fc = err.value.failure_cases
        fc = fc if isinstance(fc, pd.DataFrame) else fc.to_pandas()
        failed = fc[fc["column"] == "window_start"]
        assert len(failed) == 1, (engine, fc)
        assert str(failed["failure_case"].iloc[0]).startswith("1899-12-31"), (engine, fc)


def test_a_users_frame_before_1900_is_invalid_data():
    from ai_lab_funding.build.rules.runner import validate_frame

    frame = pd.DataFrame(
        {
            "source_id": ["s"],
            "title": ["t"],
            "publisher": ["p"],
            "address": ["https://example.org/a"],
            "local_copy": [None],
            "published_on": pd.to_datetime(["1850-06-01"]).astype("datetime64[s]"),
            "published_precision": ["day"],
            "language": ["en"],
            "kind": ["news"],
            "reliability": ["low"],
            "relays": [None],
            "note": [None],
        }
    )
    with pytest.raises(InvalidData) as err:
        validate_frame(frame, "sources")
    assert [(p.rule, p.column) for p in err.value.problems] == [("minimum", "published_on")]
