"""The README's coverage table: relays of one story are one origin, not two sources."""

import pandas as pd

from ai_lab_funding.release.coverage import coverage, coverage_block


def _tables() -> dict[str, pd.DataFrame]:
    sources = pd.DataFrame(
        {
            "source_id": ["wire", "relay-1", "relay-2", "own"],
            "publisher": ["Reuters", "Blog A", "Blog B", "Lab X"],
            "relays": [None, "Bloomberg", "Bloomberg", None],
            "published_on": ["2025-01-01", None, None, "2025-01-02"],
        }
    )
    reports = pd.DataFrame(
        {
            "source_id": ["relay-1", "relay-2", "wire", "own", "wire"],
            "fact_table": ["rounds", "rounds", "rounds", "rounds", "companies"],
            "fact_id": ["x-a", "x-a", "x-b", "x-b", "x"],
            "verdict": ["accepted"] * 5,
        }
    )
    facts = pd.DataFrame(
        {
            "fact_table": ["rounds", "rounds", "companies", "companies"],
            "fact_id": ["x-a", "x-b", "x", "y"],
            "company_id": ["x", "x", "x", "y"],
        }
    )
    rounds = pd.DataFrame(
        {"round_id": ["x-a", "x-b"], "company_id": ["x", "x"], "status": ["closed", "talks"]}
    )
    companies = pd.DataFrame({"company_id": ["x", "y"], "name": ["Lab X", "Lab Y"]})
    return {
        "sources": sources,
        "reports": reports,
        "facts": facts,
        "rounds": rounds,
        "companies": companies,
    }


def test_two_relays_of_one_story_are_one_origin():
    cov = coverage(_tables()).set_index("company_id")
    assert cov.loc["x", "rounds"] == 2
    assert cov.loc["x", "closed_rounds"] == 1
    assert cov.loc["x", "two_origin_rounds"] == 1  # x-b (wire + the lab), not x-a (two relays)
    assert cov.loc["x", "sources"] == 4
    assert cov.loc["x", "dated_sources"] == 2


def test_a_company_without_rounds_is_listed_with_no_share():
    cov = coverage(_tables()).set_index("company_id")
    assert cov.loc["y", "rounds"] == 0
    assert pd.isna(cov.loc["y", "two_origin_share"])
    block = coverage_block(_tables())
    assert "| Lab Y (`y`) | 0 | 0 | – | 0 | – |" in block
    assert block.splitlines()[1].startswith("2 companies, 2 rounds, 4 sources (50% with")
