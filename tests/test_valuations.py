"""The valuations table: every round valuation and valuation metric once, with its provenance.

The fixture's rounds are all closed, in dollars, with a reported post-money; the module's
copy of it adds what the fixture lacks: a round in talks whose post-money is implied, a
Hong Kong listing, a secondary-market valuation given as a range and a market value.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import FIXTURE, add_row, edit

from ai_lab_funding.build.derive.valuations import METRIC_KINDS, ROUND_FIELDS
from ai_lab_funding.release.publish import compile_release
from ai_lab_funding.schemas import tables as ts

COMPANY = "moonshot-ai"
SOURCE = "seed-000-kimi-700m"
TALKS = "moonshot-ai-2025-06-talks"  # pre-money reported, post-money implied
IPO = "moonshot-ai-2025-09-ipo"  # a listing in Hong Kong dollars
SECONDARY = "moonshot-ai-valuation-secondary-2025-03"  # a range
MARKET = "moonshot-ai-market-capitalization-2025-10-02"
SERIES_C = "moonshot-ai-2025-12-series-c"  # fixture: post-money $4.3B, pre-money implied


def _round(folder: Path, round_id: str, **values: str) -> None:
    add_row(
        folder,
        "rounds",
        round_id=round_id,
        company_id=COMPANY,
        date_precision="day",
        confidence="medium",
        money_kind="ipo_proceeds" if values.get("round_type") == "ipo" else "primary_equity",
        **values,
    )


def _report(folder: Path, n: int, table: str, fact: str, field: str, text: str, verdict: str):
    reason = "" if verdict == "accepted" else "conflicting_source"
    add_row(
        folder,
        "reports",
        report_id=f"{SOURCE}-{n}",
        source_id=SOURCE,
        fact_table=table,
        fact_id=fact,
        field=field,
        value_as_reported=text,
        verdict=verdict,
        reason=reason,
    )


def _metric(folder: Path, metric_id: str, metric: str, **values: str) -> None:
    add_row(
        folder,
        "metrics",
        metric_id=metric_id,
        company_id=COMPANY,
        metric=metric,
        unit="currency",
        period_precision="day",
        confidence="high",
        **values,
    )


def with_every_kind(folder: Path) -> Path:
    """The fixture plus a round in talks, an IPO, and both kinds of valuation metric."""
    _round(folder, TALKS, announced_on="2025-06-10", status="in_talks", round_type="series_b")
    _round(folder, IPO, announced_on="2025-09-30", status="closed", round_type="ipo")
    for col, talks, ipo in (
        ("amount", "1000000000", "4000000000"),
        ("amount_qualifier", "exact", "exact"),
        ("currency", "USD", "HKD"),
        ("pre_money_valuation", "9000000000", ""),
        ("post_money_valuation", "", "40000000000"),
        ("valuation_currency", "USD", "HKD"),
    ):
        _set(folder, TALKS, col, talks)
        _set(folder, IPO, col, ipo)
    # Numbered backwards, so report_id order is not the order they were written in.
    _report(folder, 99, "rounds", TALKS, "pre_money_valuation", "$9 billion", "accepted")
    _report(folder, 98, "rounds", TALKS, "pre_money_valuation", "$90 billion", "rejected")
    _report(folder, 97, "rounds", TALKS, "amount", "$1 billion", "accepted")
    _report(folder, 96, "rounds", TALKS, "pre_money_valuation", "about $9 billion", "accepted")
    _report(folder, 95, "rounds", IPO, "post_money_valuation", "HK$40 billion", "accepted")
    _report(folder, 93, "rounds", IPO, "amount", "HK$4 billion", "accepted")
    _metric(
        folder,
        SECONDARY,
        "valuation_secondary",
        value="5000000000",
        value_high="6000000000",
        currency="USD",
        qualifier="range",
        period_end="2025-03-01",
    )
    _report(folder, 92, "metrics", SECONDARY, "value", "$5-6 billion", "accepted")
    _metric(folder, MARKET, "market_capitalization", value="45000000000", currency="HKD")
    _set(folder, MARKET, "period_end", "2025-10-02", table="metrics", key="metric_id")
    _set(folder, MARKET, "qualifier", "about", table="metrics", key="metric_id")
    _report(folder, 94, "metrics", MARKET, "value", "about HK$45 billion", "accepted")
    return folder


def _set(folder: Path, row: str, col: str, value: str, table="rounds", key="round_id") -> None:
    edit(folder, table, (key, row), col, value)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    curated = Path(shutil.copytree(FIXTURE, tmp_path_factory.mktemp("val") / "curated"))
    return compile_release(with_every_kind(curated)).tables


@pytest.fixture(scope="module")
def by_id(built) -> pd.DataFrame:
    return built["valuations"].set_index("valuation_id")


def _expected(built: dict[str, pd.DataFrame]) -> set[tuple[str, str, str, float]]:
    """(source, id, kind, USD) of every valuation the source tables hold, read from them."""
    rounds, metrics = built["rounds"], built["metrics"]
    out = set()
    for col, kind in ROUND_FIELDS.items():
        has = rounds[rounds[col].notna()]
        ipo = (has["round_type"] == "ipo") & (col == "post_money_valuation")
        kinds = ipo.map({True: "ipo_offer", False: kind})
        out |= set(zip(["rounds"] * len(has), has["round_id"], kinds, has[f"{col}_usd"]))
    vm = metrics[metrics["metric"].isin(list(METRIC_KINDS))]
    out |= set(
        zip(["metrics"] * len(vm), vm["metric_id"], vm["metric"].map(METRIC_KINDS), vm["value_usd"])
    )
    return out


def test_every_round_valuation_and_valuation_metric_is_one_row(built):
    v = built["valuations"]
    got = set(zip(v["source_table"], v["source_id"], v["kind"], v["value_usd"]))
    assert (
        len(got) == len(v) == len(_expected(built)) == 6 + 2 + 2 + 2
    )  # fixture, talks, IPO, metrics
    assert got == _expected(built)
    assert v["valuation_id"].is_unique
    assert (v["valuation_id"] == v["source_id"] + ":" + v["kind"].astype(str)).all()


def test_an_ipos_post_money_is_its_offer_valuation_in_its_own_currency(by_id):
    assert f"{IPO}:post_money" not in by_id.index
    row = by_id.loc[f"{IPO}:ipo_offer"]
    assert (row["currency"], row["value"], row["basis"]) == ("HKD", 40e9, "reported")
    assert 4e9 < row["value_usd"] < 6e9  # converted at the day's rate, not copied
    assert row["accepted_report_ids"] == f"{SOURCE}-95"


def test_an_implied_valuation_has_its_basis_and_no_reports(by_id):
    pre = by_id.loc[f"{SERIES_C}:pre_money"]
    assert (pre["basis"], pre["value"]) == ("implied_pre", 3.8e9)
    assert pd.isna(pre["accepted_report_ids"])
    post = by_id.loc[f"{TALKS}:post_money"]
    assert (post["basis"], post["value"], post["value_usd"]) == ("implied_post", 10e9, 10e9)
    assert pd.isna(post["accepted_report_ids"])


def test_a_round_valuation_rests_on_the_accepted_reports_on_that_field_only(built, by_id):
    # The round's own list also holds its amount's report; the rejected $90B is left out.
    assert by_id.loc[f"{TALKS}:pre_money", "accepted_report_ids"] == f"{SOURCE}-96;{SOURCE}-99"
    assert by_id.loc[f"{TALKS}:pre_money", "basis"] == "reported"
    reports = built["reports"]
    on_field = reports[
        (reports["fact_id"] == SERIES_C)
        & (reports["field"] == "post_money_valuation")
        & (reports["verdict"] == "accepted")
    ]["report_id"]
    assert len(on_field) > 1
    assert by_id.loc[f"{SERIES_C}:post_money", "accepted_report_ids"] == ";".join(sorted(on_field))


def test_a_valuation_in_talks_keeps_the_rounds_status(by_id):
    assert by_id.loc[f"{TALKS}:pre_money", "status"] == "in_talks"
    assert by_id.loc[f"{SERIES_C}:post_money", "status"] == "closed"
    metrics = by_id[by_id["source_table"] == "metrics"]
    assert metrics["status"].isna().all()  # a traded or market value has no deal stage


def test_valuation_metrics_keep_their_date_range_and_reports(built, by_id):
    sec = by_id.loc[f"{SECONDARY}:secondary"]
    assert (sec["value"], sec["value_high"], sec["qualifier"]) == (5e9, 6e9, "range")
    assert (sec["valued_on"], sec["date_precision"]) == (pd.Timestamp("2025-03-01"), "day")
    assert (sec["basis"], sec["confidence"]) == ("reported", "high")
    cap = by_id.loc[f"{MARKET}:market_capitalization"]
    metric = built["metrics"].set_index("metric_id").loc[MARKET]
    assert cap["value_usd"] == metric["value_usd"] and cap["currency"] == "HKD"
    assert cap["accepted_report_ids"] == metric["accepted_report_ids"] == f"{SOURCE}-94"


def test_a_companys_history_is_one_filter_sorted_by_date(built):
    v = built["valuations"]
    history = v[v["company_id"] == COMPANY].sort_values(["valued_on", "valuation_id"])
    assert len(history) == len(v)  # the fixture has one company
    first = history.iloc[0]  # the secondary-market range precedes every round on record
    assert (first["valuation_id"], first["valued_on"]) == (
        f"{SECONDARY}:secondary",
        pd.Timestamp("2025-03-01"),
    )
    assert history["valued_on"].is_monotonic_increasing
    assert list(v["valuation_id"]) == sorted(v["valuation_id"])  # rows come in key order


def test_every_valuation_is_a_fact_of_its_company(built):
    facts = built["facts"].set_index(["fact_table", "fact_id"])
    v = built["valuations"]
    keys = pd.MultiIndex.from_frame(v[["source_table", "source_id"]])
    assert keys.isin(facts.index).all()
    assert (facts.loc[keys, "company_id"].to_numpy() == v["company_id"].to_numpy()).all()


def test_valuations_come_after_the_tables_they_reference():
    order = ts.table_names()
    for _, target, _ in ts.references("valuations"):
        assert order.index(target) < order.index("valuations")
    assert ts.is_derived_table("valuations")
