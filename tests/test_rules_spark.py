"""The portable rules give the same answers on polars and on Spark (issue 22's differential test).

One Narwhals definition per rule runs on both engines. The valid fixture set must pass on
both; a copy with one planted defect per portable rule must fail on both, with the same
(table, key, column, rule) problems, and the defects planted must all be among them, so the
test cannot pass by both engines finding nothing.
"""

from __future__ import annotations

from pathlib import Path

from conftest import FIXTURE, add_row, edit

from ai_lab_funding.build import spark_checks
from ai_lab_funding.build.rules.catalogue import catalogue
from ai_lab_funding.build.rules.portable import failures
from ai_lab_funding.build.validation import read_all

R1 = ("round_id", "moonshot-ai-2025-12-series-c")
R2 = ("round_id", "moonshot-ai-2026-02-expansion")
R3 = ("round_id", "moonshot-ai-2026-05-round")
CASH = ("metric_id", "moonshot-ai-cash-reserves-2025-12-31")
GROWTH = ("metric_id", "moonshot-ai-paying-users-growth-mom-2025-11")
CLAIM = ("claim_id", "moonshot-ai-cum-seed-000-kimi-700m")


def _polars(folder: Path) -> set[tuple[str, str, str, str]]:
    read, problems = read_all(folder)
    assert not [p for p in problems if p.severity == "error"], problems
    found = failures({name: t.frame for name, t in read.items()})
    return {tuple(r) for r in found.iter_rows()}


def _spark(spark, folder: Path) -> set[tuple[str, str, str, str]]:
    frames = spark_checks.read_curated(spark, folder)
    found = spark_checks.rule_failures(spark, frames)
    assert found is not None
    return {(r["table"], r["key"], r["column"], r["rule"]) for r in found.collect()}


def _plant(folder: Path) -> set[tuple[str, str]]:
    """One defect per portable rule family on `folder`; the (rule, column) pairs planted."""
    edit(folder, "rounds", R1, "pre_money_valuation", "3000000000")  # pre_plus_amount
    edit(folder, "rounds", R2, "post_money_valuation", "100")  # post_below_amount
    edit(folder, "rounds", R3, "currency", "")  # currency_with_amount
    edit(folder, "rounds", R3, "valuation_currency", "")  # valuation_currency
    edit(folder, "rounds", R2, "amount_qualifier", "")  # qualifier_with_amount
    edit(folder, "rounds", R1, "announced_on", "2022-01-05")  # before_founding
    edit(folder, "rounds", R1, "money_kind", "debt")  # money_kind
    edit(folder, "rounds", R1, "conditional_amount", "900000000")  # conditional_above_amount
    edit(folder, "rounds", R3, "counted_in", "moonshot-ai-2026-05-round")  # link_company (itself)
    edit(folder, "rounds", R2, "overlaps_with", "moonshot-ai-2025-12-series-c")  # fine
    edit(folder, "round_investors", ("investor_id", "meituan-longzhu"), "role", "co_lead")
    add_row(
        folder,
        "round_investors",
        round_id="moonshot-ai-2025-12-series-c",
        investor_id="5y-capital",
        role="participant",
        amount="900000000",
        currency="USD",
    )  # ticket_above_round; no report backs the ticket: no_accepted_report
    edit(
        folder,
        "reported_investors",
        ("investor_id", "jiuan-medical"),
        "role_as_reported",
        "participant",
    )  # named_role_differs
    edit(folder, "metrics", CASH, "currency", "")  # currency_with_unit
    edit(folder, "metrics", GROWTH, "value", "-170")  # percent_range
    edit(folder, "metrics", GROWTH, "value_high", "100")  # range
    edit(folder, "cumulative_claims", CLAIM, "scope", "investor_commitments")  # scope_investors
    edit(folder, "companies", ("company_id", "moonshot-ai"), "founded_precision", "")
    edit(folder, "sources", ("source_id", "seed-000-kimi-700m"), "published_on", "2099-01-01")
    return {
        ("pre_plus_amount", "post_money_valuation"),
        ("post_below_amount", "post_money_valuation"),
        ("currency_with_amount", "currency"),
        ("valuation_currency", "valuation_currency"),
        ("qualifier_with_amount", "amount_qualifier"),
        ("before_founding", "announced_on"),
        ("money_kind", "money_kind"),
        ("conditional_above_amount", "conditional_amount"),
        ("link_company", "counted_in"),
        ("lead_role", "role"),
        ("ticket_above_round", "amount"),
        ("no_accepted_report", "amount"),
        ("named_role_differs", "role_as_reported"),
        ("currency_with_unit", "currency"),
        ("percent_range", "value"),
        ("range", "value_high"),
        ("scope_investors", "scope_investor_ids"),
        ("precision_with_date", "founded_precision"),
        ("future_date", "published_on"),
    }


def test_the_valid_fixture_passes_on_both_engines(spark):
    assert _polars(FIXTURE) == set()
    assert _spark(spark, FIXTURE) == set()


def test_planted_defects_are_the_same_problems_on_both_engines(spark, curated):
    planted = _plant(curated)
    on_polars, on_spark = _polars(curated), _spark(spark, curated)
    assert on_polars == on_spark, (
        f"only polars: {sorted(on_polars - on_spark)}\nonly Spark: {sorted(on_spark - on_polars)}"
    )
    assert planted <= {(rule, column) for _, _, column, rule in on_polars}


def test_most_of_the_catalogue_is_portable():
    """The rules still on polars alone are the few that need list or text functions."""
    names = {r.name for r in catalogue() if r.portable is None}
    assert len(names) < len({r.name for r in catalogue()}) / 2, sorted(names)


def test_spark_submit_entry_writes_the_failures_and_fails_on_any(spark, curated, tmp_path):
    """`spark-submit spark_checks.py TABLES --out DIR`, as the README shows it."""
    assert spark_checks.main([str(FIXTURE), "--out", str(tmp_path / "clean")]) == 0
    assert spark.read.parquet(str(tmp_path / "clean")).count() == 0
    edit(curated, "rounds", R1, "pre_money_valuation", "3000000000")
    assert spark_checks.main([str(curated), "--out", str(tmp_path / "broken")]) == 1
    rules = {r["rule"] for r in spark.read.parquet(str(tmp_path / "broken")).collect()}
    assert rules == {"pre_plus_amount", "no_accepted_report"}  # a pre-money no report backs
