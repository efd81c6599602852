"""Every reported figure in US dollars, so reports in different currencies add up in one column."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import FIXTURE, edit

from ai_lab_funding.release.publish import compile_release

SERIES_C = "moonshot-ai-2025-12-series-c"  # $500 million, 2025-12-31
IN_YUAN = "seed-000-kimi-700m-02"  # "$500 million" in the fixture; rewritten in yuan below
IN_DOLLARS = "seed-002-sohu-100yi-04"  # "$500 million" on the same round
PERCENT = "seed-002-sohu-100yi-10"  # "170%"
RANGE = "seed-000-kimi-700m-04"  # "roughly $10–12 billion"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    curated = Path(shutil.copytree(FIXTURE, tmp_path_factory.mktemp("usd") / "curated"))
    # 35亿元 is about $500 million at the ECB cross rate of 2025-12-31.
    edit(curated, "reports", ("report_id", IN_YUAN), "value_as_reported", "35亿元")
    # The context's currency fills in a bare number, but a percentage is never money.
    edit(curated, "reports", ("report_id", PERCENT), "implied_currency", "CNY")
    return compile_release(curated).tables


def test_a_yuan_report_and_a_dollar_report_agree_in_dollars(built):
    reports = built["reports"].set_index("report_id")
    yuan, dollars = reports.loc[IN_YUAN], reports.loc[IN_DOLLARS]
    assert (yuan["currency"], dollars["currency"]) == ("CNY", "USD")
    believed = built["rounds"].set_index("round_id").loc[SERIES_C, "amount_usd"]
    assert yuan["value_usd"] == pytest.approx(dollars["value_usd"], rel=0.03)
    assert yuan["value_usd"] == pytest.approx(believed, rel=0.03)
    assert yuan["value_usd"] != pytest.approx(yuan["value"], rel=0.5)  # converted, not copied


def test_the_rate_is_the_ecb_rate_of_the_facts_date_and_is_in_fx_rates(built):
    reports = built["reports"].set_index("report_id")
    fx = built["fx_rates"]
    day = pd.Timestamp("2025-12-31")
    rate = fx.loc[(fx["currency"] == "CNY") & (fx["requested_on"] == day), "rate"]
    assert len(rate) == 1
    assert reports.loc[IN_YUAN, "value_usd"] == round(3.5e9 * rate.iloc[0], 2)


def test_every_rate_behind_a_usd_value_is_in_fx_rates(built):
    reports = built["reports"]
    money = reports[reports["value_usd"].notna() & (reports["currency"] != "USD")]
    assert len(money) > 0
    dates = pd.concat(
        built[table].set_index(key)[day].rename_axis("fact_id").rename("day").to_frame()
        for table, key, day in (
            ("rounds", "round_id", "announced_on"),
            ("metrics", "metric_id", "period_end"),
            ("cumulative_claims", "claim_id", "window_end"),
        )
    )
    asked = money.join(dates, on="fact_id")[["currency", "day"]].drop_duplicates()
    fx = built["fx_rates"][["currency", "requested_on"]]
    found = asked.merge(fx, left_on=["currency", "day"], right_on=["currency", "requested_on"])
    assert len(found) == len(asked)


def test_a_report_in_dollars_keeps_its_value_and_a_range_keeps_both_ends(built):
    reports = built["reports"].set_index("report_id")
    usd = reports[reports["currency"] == "USD"]
    assert usd["value"].notna().all()
    assert (usd["value_usd"] == usd["value"].round(2)).all()
    assert (reports.loc[RANGE, "value_usd"], reports.loc[RANGE, "value_high_usd"]) == (1e10, 1.2e10)
    assert usd["value_high_usd"].notna().sum() >= 1
    assert (usd["value_high_usd"].isna() == usd["value_high"].isna()).all()


def test_figures_without_a_currency_have_no_dollar_value(built):
    reports = built["reports"].set_index("report_id")
    assert reports.loc[PERCENT, "currency"] == "CNY"  # implied by the context
    assert pd.isna(reports.loc[PERCENT, "value_usd"])
    bare = reports[reports["currency"].isna()]
    assert bare["value_usd"].isna().all() and bare["value_high_usd"].isna().all()
    assert bare["value"].notna().any()  # "fourfold", "170%": parsed, yet not money


def test_a_currency_without_an_ecb_rate_leaves_the_dollar_value_empty_with_a_warning(curated):
    # A bare range on a metric in years, in a currency the ECB has no rate for: nothing is
    # compared in it, so the build goes on; only value_usd cannot be given.
    report = "seed-002-sohu-100yi-09"  # "2-3 years"
    line = edit(curated, "reports", ("report_id", report), "implied_currency", "NGN")
    result = compile_release(curated)
    row = result.tables["reports"].set_index("report_id").loc[report]
    assert row["currency"] == "NGN" and pd.notna(row["value"]) and pd.isna(row["value_usd"])
    [warning] = [p for p in result.warnings if p.rule == "fx_rate"]
    assert (warning.line, warning.column, warning.severity) == (
        line,
        "value_as_reported",
        "warning",
    )
    assert "NGN" in warning.message


@pytest.mark.parametrize(
    "text,implied,currency",
    [
        ("¥3.5 billion", "", "CNY"),  # the sign alone: yuan
        ("about ¥78 billion", "JPY", "JPY"),  # the same sign in a report about yen
        ("¥78 billion yen", "", "JPY"),  # a word after the figure says which
    ],
)
def test_the_yen_sign_is_yuan_unless_the_context_says_yen(curated, text, implied, currency):
    edit(curated, "reports", ("report_id", IN_YUAN), "value_as_reported", text)
    edit(curated, "reports", ("report_id", IN_YUAN), "implied_currency", implied)
    report = compile_release(curated).tables["reports"].set_index("report_id").loc[IN_YUAN]
    assert report["currency"] == currency
    assert report["check"] == "match"  # ¥78 billion is about $500 million, as ¥3.5 billion is
