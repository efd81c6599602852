"""How well each company is covered: rounds, sources, and how many rounds two outlets back.

An analyst deciding how far to trust one lab's rows needs more than the row count: a round
that only one aggregator reported is weaker than one that a wire service and the company
both announced. This is the README's coverage table, computed from the release itself so
it can never describe data the release does not hold.
"""

from __future__ import annotations

import pandas as pd

COVERAGE_START, COVERAGE_END = "<!-- coverage:start -->", "<!-- coverage:end -->"


def _origin(sources: pd.DataFrame) -> pd.Series:
    """The outlet a source's reporting comes from: the relayed one for a relay, else its own.

    Two relays of the same Bloomberg story are one origin, not two independent sources.
    """
    relayed = sources["relays"].astype("string").str.strip().replace("", pd.NA)
    return relayed.fillna(sources["publisher"].astype("string")).str.strip().str.lower()


def coverage(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per company: rounds, sources behind its facts, dated share, rounds two outlets back.

    A round counts as independently backed when accepted reports on it come from at least
    two different origins (see `_origin`). Sources are those cited by any report on one of
    the company's facts (the company row, its rounds, tickets, metrics and claims).
    """
    facts = tables["facts"][["fact_table", "fact_id", "company_id"]]
    reports = tables["reports"].merge(facts, on=["fact_table", "fact_id"], how="inner")
    sources = tables["sources"].assign(origin=lambda s: _origin(s))
    reports = reports.merge(sources[["source_id", "origin", "published_on"]], on="source_id")
    rounds = tables["rounds"]
    on_rounds = reports[(reports["fact_table"] == "rounds") & (reports["verdict"] == "accepted")]
    origins = on_rounds.groupby("fact_id")["origin"].nunique()
    backed = rounds["round_id"].map(origins).fillna(0).ge(2)
    per_source = reports.drop_duplicates(["company_id", "source_id"])
    out = pd.DataFrame(
        {
            "rounds": rounds.groupby("company_id").size(),
            "closed_rounds": rounds[rounds["status"] == "closed"].groupby("company_id").size(),
            "two_origin_rounds": backed.groupby(rounds["company_id"]).sum(),
            "sources": per_source.groupby("company_id").size(),
            "dated_sources": per_source["published_on"]
            .notna()
            .groupby(per_source["company_id"])
            .sum(),
        }
    )
    companies = tables["companies"].set_index("company_id")["name"]
    out = out.reindex(companies.index).fillna(0).astype(int)
    out.insert(0, "name", companies)
    out["two_origin_share"] = out["two_origin_rounds"] / out["rounds"].where(out["rounds"] > 0)
    return out.reset_index().sort_values(["rounds", "company_id"], ascending=[False, True])


def _percent(x: float) -> str:
    return "–" if pd.isna(x) else f"{x:.0%}"


def coverage_block(tables: dict[str, pd.DataFrame]) -> str:
    """The README's generated coverage block: the totals, then one line per company."""
    cov = coverage(tables)
    sources = tables["sources"]
    dated = sources["published_on"].notna().mean() if len(sources) else float("nan")
    lines = [
        COVERAGE_START,
        f"{len(cov)} companies, {len(tables['rounds'])} rounds, {len(sources)} sources "
        f"({_percent(dated)} with a publication date). *Two origins*: rounds whose accepted "
        "reports come from at least two different outlets (relays of one story count once).",
        "",
        "| company | rounds | closed | two origins | sources | dated |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for row in cov.itertuples():
        lines.append(
            f"| {row.name} (`{row.company_id}`) | {row.rounds} | {row.closed_rounds} | "
            f"{_percent(row.two_origin_share)} | {row.sources} | "
            f"{_percent(row.dated_sources / row.sources if row.sources else float('nan'))} |"
        )
    lines.append(COVERAGE_END)
    return "\n".join(lines)
