"""Write synthetic curated tables with the real shapes and key relations, at N rounds.

Per round: ~2 investors (a lead and a participant), 3 reports (amount, valuation, one
rejected ×10 copy) from one source per round; companies and investors scale with rounds.
Everything validates, so the benchmark times the full rule set on data that passes, as a
contributor's CI would.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
from ai_lab_funding.schemas import tables as ts  # noqa: E402


def generate(n_rounds: int, out: Path, seed: int = 0) -> dict[str, int]:
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    n_comp, n_inv = max(10, n_rounds // 20), max(30, n_rounds // 5)
    comp = pd.DataFrame(
        {
            "company_id": [f"co-{i}" for i in range(n_comp)],
            "name": [f"Company {i}" for i in range(n_comp)],
            "country": rng.choice(["CN", "US", "FR", "GB"], n_comp),
            "founded_on": "2015-01-01",
            "founded_precision": "day",
            "founded_basis": "registration",
            "status": "private",
        }
    )
    inv = pd.DataFrame(
        {
            "investor_id": [f"inv-{i}" for i in range(n_inv)],
            "name": [f"Investor {i}" for i in range(n_inv)],
            "investor_type": rng.choice(
                ["venture_capital", "corporate", "private_equity", "state_owned"], n_inv
            ),
            "country": "CN",
        }
    )
    days = pd.Timestamp("2016-01-01") + pd.to_timedelta(rng.integers(0, 3650, n_rounds), unit="D")
    amount = (rng.integers(1, 500, n_rounds) * 1_000_000).astype(float)
    currency = rng.choice(["USD", "CNY", "EUR"], n_rounds, p=[0.6, 0.3, 0.1])
    rid = [f"r-{i}" for i in range(n_rounds)]
    lead = [f"inv-{x}" for x in rng.integers(0, n_inv, n_rounds)]
    rounds = pd.DataFrame(
        {
            "round_id": rid,
            "company_id": [f"co-{x}" for x in rng.integers(0, n_comp, n_rounds)],
            "announced_on": days.strftime("%Y-%m-%d"),
            "date_precision": "day",
            "status": "closed",
            "round_type": rng.choice(["seed", "series_a", "series_b", "series_c"], n_rounds),
            "amount": amount,
            "amount_qualifier": "exact",
            "currency": currency,
            "post_money_valuation": amount * 10,
            "valuation_currency": currency,
            "instrument": "equity",
            "money_kind": "primary_equity",
            "confidence": "medium",
        }
    )
    others = [f"inv-{x}" for x in rng.integers(0, n_inv, n_rounds)]
    ri = pd.concat(
        [
            pd.DataFrame({"round_id": rid, "investor_id": lead, "role": "lead"}),
            pd.DataFrame({"round_id": rid, "investor_id": others, "role": "participant"}),
        ]
    ).drop_duplicates(["round_id", "investor_id"])
    sym = {"USD": "$", "CNY": "¥", "EUR": "€"}
    money = [f"{sym[c]}{a / 1e6:g} million" for a, c in zip(amount, currency)]
    src = pd.DataFrame(
        {
            "source_id": [f"s-{i}" for i in range(n_rounds)],
            "title": "Synthetic report",
            "publisher": "Bench",
            "address": [f"https://example.org/{i}" for i in range(n_rounds)],
            "language": "en",
            "kind": "news",
            "reliability": "medium",
        }
    )
    rep = pd.concat(
        [
            pd.DataFrame(
                {
                    "report_id": [f"s-{i}-01" for i in range(n_rounds)],
                    "source_id": src["source_id"],
                    "fact_table": "rounds",
                    "fact_id": rid,
                    "field": "amount",
                    "value_as_reported": money,
                    "verdict": "accepted",
                }
            ),
            pd.DataFrame(
                {
                    "report_id": [f"s-{i}-02" for i in range(n_rounds)],
                    "source_id": src["source_id"],
                    "fact_table": "rounds",
                    "fact_id": rid,
                    "field": "post_money_valuation",
                    "value_as_reported": [
                        f"{sym[c]}{a / 1e8:g} billion" for a, c in zip(amount, currency)
                    ],
                    "verdict": "accepted",
                }
            ),
            pd.DataFrame(
                {
                    "report_id": [f"s-{i}-03" for i in range(n_rounds)],
                    "source_id": src["source_id"],
                    "fact_table": "rounds",
                    "fact_id": rid,
                    "field": "amount",
                    "value_as_reported": [
                        f"{sym[c]}{a / 1e8:g} billion" for a, c in zip(amount, currency)
                    ],
                    "verdict": "rejected",
                    "reason": "unit_error_x10",
                }
            ),
        ]
    )
    metrics = pd.DataFrame(
        {
            "metric_id": [f"co-{i}-headcount" for i in range(n_comp)],
            "company_id": comp["company_id"],
            "metric": "headcount",
            "value": rng.integers(10, 5000, n_comp).astype(float),
            "unit": "count",
            "qualifier": "about",
            "period_end": "2025-12-31",
            "period_precision": "day",
            "confidence": "medium",
        }
    )
    claims = pd.DataFrame(
        {
            "claim_id": [f"co-{i}-cum" for i in range(n_comp)],
            "company_id": comp["company_id"],
            "window_start": "2016-01-01",
            "window_end": "2025-12-31",
            "claimed_amount": 1e9,
            "claimed_qualifier": "about",
            "currency": "USD",
            "scope": "primary_funding",
        }
    )
    extra_rep = pd.concat(
        [
            pd.DataFrame(
                {
                    "report_id": [f"m-{i}-01" for i in range(n_comp)],
                    "source_id": "s-0",
                    "fact_table": "metrics",
                    "fact_id": metrics["metric_id"],
                    "field": "value",
                    "value_as_reported": [f"about {v:.0f}" for v in metrics["value"]],
                    "verdict": "accepted",
                }
            ),
            pd.DataFrame(
                {
                    "report_id": [f"k-{i}-01" for i in range(n_comp)],
                    "source_id": "s-0",
                    "fact_table": "cumulative_claims",
                    "fact_id": claims["claim_id"],
                    "field": "claimed_amount",
                    "value_as_reported": "about $1 billion",
                    "verdict": "accepted",
                }
            ),
        ]
    )
    comp_rep = pd.DataFrame(
        {
            "report_id": [f"c-{i}-01" for i in range(n_comp)],
            "source_id": "s-0",
            "fact_table": "companies",
            "fact_id": comp["company_id"],
            "field": "founded_on",
            "value_as_reported": "2015",
            "verdict": "accepted",
        }
    )
    # Each round's lead named by a report on its investors, read into reported_investors.
    lead_rep = pd.DataFrame(
        {
            "report_id": [f"s-{i}-lead" for i in range(n_rounds)],
            "source_id": src["source_id"],
            "fact_table": "rounds",
            "fact_id": rid,
            "field": "investors",
            "value_as_reported": [f"led by Investor {x.split('-')[1]}" for x in lead],
            "verdict": "accepted",
        }
    )
    named = pd.DataFrame(
        {
            "report_id": lead_rep["report_id"],
            "investor_id": lead,
            "role_as_reported": "lead",
            "name_as_printed": [f"Investor {x.split('-')[1]}" for x in lead],
        }
    )
    frames = {
        "companies": comp,
        "investors": inv,
        "rounds": rounds,
        "round_investors": ri,
        "metrics": metrics,
        "sources": src,
        "reports": pd.concat([rep, comp_rep, extra_rep, lead_rep]),
        "reported_investors": named,
        "cumulative_claims": claims,
    }
    counts = {}
    for table, df in frames.items():
        cols = [f["name"] for f in ts.curated_fields(table)]
        df = df.reindex(columns=cols)
        for f in ts.curated_fields(table):
            if f["type"] == "number":
                df[f["name"]] = df[f["name"]].map(lambda v: "" if pd.isna(v) else f"{v:.0f}")
        df.to_csv(out / f"{table}.csv", index=False, lineterminator="\n")
        counts[table] = len(df)
    return counts


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("rounds", type=int)
    ap.add_argument("out", type=Path)
    args = ap.parse_args()
    print(generate(args.rounds, args.out))
