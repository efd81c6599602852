"""The derivation and the rules give the same answers on polars and on Spark (issue 22).

One Narwhals definition per rule runs on both engines, and the build's polars derivation
runs in Spark's executors on buckets of companies. The valid fixture set must pass on both;
a copy with one planted defect per rule and per derivation problem must fail on both, with
the same (table, key, column, rule) problems, and the defects planted must all be among
them, so the test cannot pass by both engines finding nothing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
from conftest import FIXTURE, add_row, edit, rows

from ai_lab_funding.build import spark_checks
from ai_lab_funding.build.derive import derive
from ai_lab_funding.build.rules.catalogue import catalogue
from ai_lab_funding.build.rules.portable import failures
from ai_lab_funding.build.spark_derive import keyed_problems
from ai_lab_funding.build.validation import read_all
from ai_lab_funding.schemas import tables as ts

R1 = ("round_id", "moonshot-ai-2025-12-series-c")
R2 = ("round_id", "moonshot-ai-2026-02-expansion")
R3 = ("round_id", "moonshot-ai-2026-05-round")
CASH = ("metric_id", "moonshot-ai-cash-reserves-2025-12-31")
ELECTRICITY = ("metric_id", "moonshot-ai-electricity-cost-estimate-2026-02-17")
GROWTH = ("metric_id", "moonshot-ai-paying-users-growth-mom-2025-11")
CLAIM = ("claim_id", "moonshot-ai-cum-seed-000-kimi-700m")
CLAIM2 = ("claim_id", "moonshot-ai-cum-newschoong-nd-moonshot-2b")
X10 = ("report_id", "seed-001-itiger-kimi-7b-02")  # a rejected ×10 report
DATE_REPORT = ("report_id", "seed-001-itiger-kimi-7b-06")  # an accepted report on a date


def _polars(folder: Path) -> set[tuple[str, str, str, str]]:
    """The build's derivation, then the rules on what it derived, as `validate_curated` runs."""
    read, problems = read_all(folder)
    assert not [p for p in problems if p.severity == "error"], problems
    tables = {name: t.frame for name, t in read.items()}
    derived = derive(tables, file_of=lambda table: table, line_of=lambda table, pos: pos)
    keyed = keyed_problems(derived.problems, tables).select("table", "key", "column", "rule")
    found = pl.concat([keyed, failures(derived.tables)])
    return {tuple(r) for r in found.iter_rows()}


def _spark(spark, folder: Path) -> set[tuple[str, str, str, str]]:
    found = spark_checks.catalogue_failures(spark, spark_checks.read_curated(spark, folder))
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
    edit(folder, "sources", ("source_id", "seed-001-itiger-kimi-7b"), "address", "")
    edit(folder, "sources", ("source_id", "seed-001-itiger-kimi-7b"), "local_copy", "")
    edit(folder, "reports", X10, "reason", "")  # reason_required
    edit(folder, "metrics", GROWTH, "period_end", "2025-08-01")  # window_order
    add_row(  # an accepted amount report read as naming an investor: not_an_investors_report
        folder,
        "reported_investors",
        report_id="seed-000-kimi-700m-02",
        investor_id="tencent",
        role_as_reported="named",
        name_as_printed="$500",
    )
    add_row(  # an accepted report names an investor the round does not list
        folder,
        "reported_investors",
        report_id="seed-000-kimi-700m-05",
        investor_id="china-mobile",
        role_as_reported="participant",
        name_as_printed="Tencent",
    )
    add_row(  # a claim no report records
        folder,
        "cumulative_claims",
        claim_id="moonshot-ai-cum-unreported",
        company_id="moonshot-ai",
        window_start="2025-01-01",
        window_end="2025-12-31",
        claimed_amount="100",
        claimed_qualifier="exact",
        currency="USD",
        scope="primary_funding",
    )
    edit(folder, "reports", X10, "field", "amount_colour")  # unknown_field
    edit(folder, "cumulative_claims", CLAIM2, "scope_investor_ids", "tencent;nobody-fund")
    add_row(folder, "investors", investor_id="nobody-capital", name="Nobody", investor_type="angel")
    add_row(folder, "sources", source_id="uncited-page", title="Uncited", publisher="Nobody")
    edit(folder, "investors", ("investor_id", "tencent"), "parent_investor_id", "tencent")
    edit(folder, "rounds", R1, "extension_of", R2[1])  # extension_cycle: R1 → R2 → R1
    edit(folder, "rounds", R2, "extension_of", R1[1])
    edit(folder, "investors", ("investor_id", "idg-capital"), "parent_investor_id", "5y-capital")
    edit(folder, "investors", ("investor_id", "5y-capital"), "parent_investor_id", "idg-capital")
    edit(  # name_not_printed
        folder, "reported_investors", ("investor_id", "5y-capital"), "name_as_printed", "Nobody"
    )
    # confusable_name and mixed_script_name: a Cyrillic Т among Latin letters
    add_row(
        folder,
        "investors",
        investor_id="tencent-lookalike",
        name="\u0422encent",
        investor_type="angel",
    )
    for source, address in (  # address_credentials, private_host (hidden characters: the
        ("seed-003-1950ai-20b", "https://user:secret@www.1950.ai/post/x"),  # reader stops them
        ("gmteight-20260121-moonshot-4-8b", "http://127.0.0.1/content/detail/353201"),
    ):
        edit(folder, "sources", ("source_id", source), "address", address)
    add_row(  # closed_without_amount: no amount, and not said to be undisclosed
        folder,
        "rounds",
        round_id="moonshot-ai-2024-01-seed",
        company_id="moonshot-ai",
        announced_on="2024-01-01",
        date_precision="month",
        status="closed",
        round_type="seed",
        confidence="low",
    )
    # What only the derivation finds, or the rules find in what it derived:
    edit(folder, "reports", ("report_id", "seed-002-sohu-100yi-04"), "value_as_reported", "$600m")
    edit(folder, "reports", DATE_REPORT, "value_as_reported", "late that year")  # not_compared
    edit(folder, "metrics", ELECTRICITY, "currency", "VND")  # no ECB rate: fx_rate
    edit(folder, "cumulative_claims", CLAIM2, "claimed_amount", "39000000000")  # claim_off_record
    copied = next(r for r in rows(folder, "rounds") if r["round_id"] == R1[1])
    for twin in ("a", "b"):  # the same round twice, without investors: duplicate_round
        copy = {
            **copied,
            "round_id": f"moonshot-ai-2025-06-copy-{twin}",
            "announced_on": "2025-06-01",
        }
        add_row(folder, "rounds", **copy)
    return {
        ("duplicate_round", "round_id"),
        ("unknown_field", "field"),
        ("list_reference", "scope_investor_ids"),
        ("orphan", "investor_id"),
        ("orphan", "source_id"),
        ("self_parent", "parent_investor_id"),
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
        ("no_location", "address"),
        ("reason_required", "reason"),
        ("window_order", "period_end"),
        ("not_an_investors_report", "report_id"),
        ("named_not_in_round", "investor_id"),
        ("no_report", "claim_id"),
        ("closed_without_amount", "amount_qualifier"),
        ("extension_cycle", "extension_of"),
        ("counted_in_cycle", "counted_in"),
        ("parent_cycle", "parent_investor_id"),
        ("name_not_printed", "name_as_printed"),
        ("confusable_name", "name"),
        ("mixed_script_name", "name"),
        ("address_credentials", "address"),
        ("private_host", "address"),
        ("accepted_mismatch", "value_as_reported"),
        ("not_compared", "value_as_reported"),
        ("fx_rate", "currency"),
        ("claim_off_record", "claimed_amount"),
    }


def test_the_valid_fixture_passes_on_both_engines_and_spark_submit_exits_0(spark, tmp_path):
    """`spark-submit spark_checks.py TABLES --out DIR` on the valid fixture, as the README
    shows it: the column checks, the derivation and the rules find nothing."""
    assert _polars(FIXTURE) == set()
    assert spark_checks.main([str(FIXTURE), "--out", str(tmp_path / "clean")]) == 0
    assert spark.read.parquet(str(tmp_path / "clean")).count() == 0


def test_planted_defects_are_the_same_problems_on_both_engines(spark, curated):
    planted = _plant(curated)
    on_polars, on_spark = _polars(curated), _spark(spark, curated)
    assert on_polars == on_spark, (
        f"only polars: {sorted(on_polars - on_spark)}\nonly Spark: {sorted(on_spark - on_polars)}"
    )
    assert planted <= {(rule, column) for _, _, column, rule in on_polars}
    # The derivation's problems name their rows by key, as the rules' failures do.
    assert {
        ("metrics", ELECTRICITY[1], "currency", "fx_rate"),
        ("reports", DATE_REPORT[1], "value_as_reported", "not_compared"),
    } <= on_spark


def test_an_unreadable_cell_stops_the_derivation_on_spark_as_in_the_build(spark, curated):
    """The build derives nothing from a file with a cell it cannot read; neither does Spark.

    The date report below would be warned about (`not_compared`) once derived; with the
    round's amount unreadable only the type error and the rules on curated columns remain.
    """
    edit(curated, "rounds", R1, "amount", "5 billion")
    edit(curated, "reports", DATE_REPORT, "value_as_reported", "late that year")
    frames = spark_checks.read_curated(spark, curated)
    found = {
        (r["key"], r["column"], r["rule"]) for r in spark_checks.validate(spark, frames).collect()
    }
    assert (R1[1], "amount", "type") in found
    assert not [f for f in found if f[2] == "not_compared"]
    read, problems = read_all(curated)
    assert [(p.column, p.rule) for p in problems if p.severity == "error"] == [("amount", "type")]


def test_key_variants_are_the_same_rows_on_both_engines(spark):
    """Ids that differ by case or outer spaces only; the schemas' id patterns stop them on
    curated input, so the rule guards derived and released keys and is checked here alone."""
    import narwhals as nw
    import polars as pl

    rule = next(
        r for r in catalogue() if r.name == "duplicate_key_variant" and r.table == "investors"
    )
    ids = ["tencent", "Tencent ", "alibaba", "alibaba", "meituan"]
    frame = pl.DataFrame({"investor_id": ids})
    on_polars = rule.portable(nw.from_native(frame.lazy()), {}).collect().to_native()
    on_spark = rule.portable(nw.from_native(spark.createDataFrame(frame.to_pandas())), {})
    found_spark = sorted(r["investor_id"] for r in on_spark.to_native().collect())
    assert sorted(on_polars["investor_id"]) == found_spark == ["Tencent ", "tencent"]


def test_the_whole_catalogue_runs_on_spark():
    """Every rule is portable but the foreign keys, which Spark runs as SQL from the schemas."""
    assert {r.name for r in catalogue() if r.portable is None} == {"foreign_key"}


def test_spark_submit_entry_writes_the_failures_and_fails_on_any(spark, curated, tmp_path):
    edit(curated, "rounds", R1, "pre_money_valuation", "3000000000")
    assert spark_checks.main([str(curated), "--out", str(tmp_path / "broken")]) == 1
    rules = {r["rule"] for r in spark.read.parquet(str(tmp_path / "broken")).collect()}
    assert rules == {"pre_plus_amount", "no_accepted_report"}  # a pre-money no report backs


def test_spark_submit_passes_warnings_and_writes_them(spark, curated, tmp_path):
    """An investor no round names is a warning, as in the build: written, but exit 0."""
    nobody = {"investor_id": "nobody-capital", "name": "Nobody", "investor_type": "angel"}
    add_row(curated, "investors", **nobody)
    assert spark_checks.main([str(curated), "--out", str(tmp_path / "warned")]) == 0
    rows = spark.read.parquet(str(tmp_path / "warned")).collect()
    assert [(r["key"], r["rule"], r["severity"]) for r in rows] == [
        ("nobody-capital", "orphan", "warning")
    ]


def test_a_release_passes_on_both_engines_and_broken_derived_columns_fail_on_both(
    spark, fixture_release, tmp_path
):
    """The release's derived columns (amount_usd, claim sums, checks) feed the same rules."""
    import polars as pl

    release = tmp_path / "release"
    shutil.copytree(fixture_release, release)

    def both() -> tuple[set, set]:
        tables = {t: pl.read_parquet(release / "data" / f"{t}.parquet") for t in ts.table_names()}
        on_polars = {tuple(r) for r in failures(tables).iter_rows()}
        frames = spark_checks.read_release(spark, release)
        found = spark_checks.rule_failures(spark, frames, curated=False)
        on_spark = {(r["table"], r["key"], r["column"], r["rule"]) for r in found.collect()}
        return on_polars, on_spark

    assert both() == (set(), set())
    rounds = pl.read_parquet(release / "data" / "rounds.parquet")
    broken = rounds.with_columns(
        pl.when(pl.col("round_id") == R1[1])
        .then(pl.col("amount_usd") * 10)
        .otherwise(pl.col("amount_usd"))
        .alias("amount_usd")
    )
    broken.write_parquet(release / "data" / "rounds.parquet")
    claims = pl.read_parquet(release / "data" / "cumulative_claims.parquet")
    claim = pl.col("claim_id") == CLAIM[1]  # its rounds now add up to $0.1B, no more
    claims.with_columns(
        pl.when(claim).then(1e8).otherwise(pl.col("rounds_sum_usd")).alias("rounds_sum_usd"),
        pl.when(claim)
        .then(False)
        .otherwise(pl.col("sum_is_lower_bound"))
        .alias("sum_is_lower_bound"),
    ).write_parquet(release / "data" / "cumulative_claims.parquet")
    sources = pl.read_parquet(release / "data" / "sources.parquet")
    hidden = pl.col("source_id") == "seed-001-itiger-kimi-7b"  # the reader stops it in a CSV
    sources.with_columns(
        pl.when(hidden).then(pl.col("address") + "\u202e").otherwise(pl.col("address"))
    ).write_parquet(release / "data" / "sources.parquet")
    on_polars, on_spark = both()
    assert on_polars == on_spark
    assert ("sources", "seed-001-itiger-kimi-7b", "address", "address_hidden_character") in (
        on_polars
    )
    assert ("rounds", R1[1], "amount_usd", "usd_inconsistent") in on_polars
    assert ("cumulative_claims", CLAIM[1], "claimed_amount", "claim_off_record") in on_polars
