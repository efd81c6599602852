"""The new column bounds run on Spark too: money maxima, dates before 1900, dates too far ahead."""

from datetime import date, timedelta

from conftest import edit, rows

from ai_lab_funding.build import spark_checks


def test_spark_names_the_planted_bounds(spark, curated):
    r1 = ("round_id", "moonshot-ai-2025-12-series-c")
    claim = ("claim_id", "moonshot-ai-cum-seed-000-kimi-700m")
    edit(curated, "rounds", r1, "amount", "1e30")
    edit(curated, "rounds", r1, "announced_on", "1899-12-31")
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    edit(curated, "rounds", ("round_id", "moonshot-ai-2026-05-round"), "closed_on", tomorrow)
    edit(curated, "cumulative_claims", claim, "window_end", "2099-12-31")
    frames = spark_checks.read_curated(spark, curated)
    found = {
        (table, key, column, rule)
        for table, key, column, rule, *_ in spark_checks.validate(spark, frames).collect()
    }
    assert found == {
        ("rounds", r1[1], "amount", "maximum"),
        ("rounds", r1[1], "announced_on", "minimum"),
        ("rounds", "moonshot-ai-2026-05-round", "closed_on", "future_date"),
        ("cumulative_claims", claim[1], "window_end", "future_date"),
        # The catalogue's rules run on Spark too, and see what the planted values imply.
        ("rounds", r1[1], "post_money_valuation", "post_below_amount"),
        ("rounds", r1[1], "announced_on", "before_founding"),
        # Curated input is derived first: the accepted reports of the amount and the date
        # now disagree with what the round says ("Dec. 31" names no year: it still agrees).
        *(
            ("reports", r["report_id"], "value_as_reported", "accepted_mismatch")
            for r in rows(curated, "reports")
            if r["fact_id"] == r1[1]
            and r["field"] in ("amount", "announced_on")
            and r["verdict"] == "accepted"
            and r["value_as_reported"] != "Dec. 31"
        ),
    }
