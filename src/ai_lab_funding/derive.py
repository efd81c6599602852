"""Compute what the curated tables imply: USD amounts, implied valuations, parsed reports,
the check of every report against the believed figure, cumulative-claim sums and ×10 flags.

Nothing here judges a figure; it only makes disagreement visible so the rules can.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from . import table_schemas as ts
from .fx import FxTable, RateNotFound
from .problems import Problem
from .reported_values import Figure, parse_reported

# Which fields of which fact table carry a number, and the column holding its currency.
NUMERIC_FIELDS: dict[tuple[str, str], str | None] = {
    ("rounds", "amount"): "currency",
    ("rounds", "pre_money_valuation"): "valuation_currency",
    ("rounds", "post_money_valuation"): "valuation_currency",
    ("metrics", "value"): "currency",
    ("cumulative_claims", "claimed_amount"): "currency",
}
# The date a fact's conversions use.
FACT_DATE = {"rounds": "announced_on", "metrics": "period_end", "cumulative_claims": "window_end", "companies": None}
# Relative slack for each way of stating a figure, before FX slack.
FX_SLACK = 0.03
UNIT_FACTORS = (10, 100, 1000, 10000)
UNIT_FACTOR_TOLERANCE = 0.12
COUNTED_STATUSES = ("closed", "announced")


@dataclass
class Derived:
    tables: dict[str, pd.DataFrame]
    problems: list[Problem]


def _usd(fx: FxTable, amount: pd.Series, currency: pd.Series, on: pd.Series, file: str, column: str,
         problems: list[Problem]) -> tuple[pd.Series, pd.Series, pd.Series]:
    rates, days, usd = [], [], []
    for line, a, cur, day in zip(amount.index, amount, currency, on):
        if pd.isna(a) or pd.isna(cur) or pd.isna(day):
            rates.append(np.nan), days.append(pd.NaT), usd.append(np.nan)
            continue
        try:
            rate, rate_day = fx.usd_rate(str(cur), day.date())
        except RateNotFound as e:
            problems.append(Problem(file, int(line), column, "fx_rate", str(e), str(cur)))
            rates.append(np.nan), days.append(pd.NaT), usd.append(np.nan)
            continue
        rates.append(rate), days.append(pd.Timestamp(rate_day)), usd.append(round(a * rate, 2))
    idx = amount.index
    return (pd.Series(rates, index=idx, dtype="float64"), pd.Series(days, index=idx, dtype="datetime64[s]"),
            pd.Series(usd, index=idx, dtype="float64"))


def derive_rounds(rounds: pd.DataFrame, fx: FxTable, problems: list[Problem]) -> pd.DataFrame:
    r = rounds.copy()
    pre, post, amount = r["pre_money_valuation"], r["post_money_valuation"], r["amount"]
    same_ccy = r["valuation_currency"] == r["currency"]
    implied_post = post.isna() & pre.notna() & amount.notna() & same_ccy
    implied_pre = pre.isna() & post.notna() & amount.notna() & same_ccy & (post > amount)
    r.loc[implied_post, "post_money_valuation"] = pre[implied_post] + amount[implied_post]
    r.loc[implied_pre, "pre_money_valuation"] = post[implied_pre] - amount[implied_pre]
    basis = pd.Series(None, index=r.index, dtype="str")
    basis[pre.notna() | post.notna()] = "reported"
    basis[implied_post] = "implied_post"
    basis[implied_pre] = "implied_pre"
    r["valuation_basis"] = basis
    f = "curated/rounds.csv"
    r["fx_rate"], r["fx_date"], r["amount_usd"] = _usd(fx, r["amount"], r["currency"], r["announced_on"], f, "currency", problems)
    for col in ("pre_money_valuation", "post_money_valuation"):
        _, _, r[f"{col}_usd"] = _usd(fx, r[col], r["valuation_currency"], r["announced_on"], f, "valuation_currency", problems)
    return r


def derive_metrics(metrics: pd.DataFrame, fx: FxTable, problems: list[Problem]) -> pd.DataFrame:
    m = metrics.copy()
    money = m["value"].where(m["unit"] == "currency")
    _, _, m["value_usd"] = _usd(fx, money, m["currency"], m["period_end"], "curated/metrics.csv", "currency", problems)
    return m


def derive_claims(claims: pd.DataFrame, rounds: pd.DataFrame, fx: FxTable, problems: list[Problem]) -> pd.DataFrame:
    c = claims.copy()
    _, _, c["claimed_amount_usd"] = _usd(fx, c["claimed_amount"], c["currency"], c["window_end"],
                                         "curated/cumulative_claims.csv", "currency", problems)
    counted = rounds[rounds["status"].isin(COUNTED_STATUSES) & rounds["amount_usd"].notna()]
    n, ids, sums = [], [], []
    for company, start, end in zip(c["company_id"], c["window_start"], c["window_end"]):
        since = counted["announced_on"] >= start if pd.notna(start) else True  # no start: since founding
        inside = counted[(counted["company_id"] == company) & since & (counted["announced_on"] <= end)]
        inside = inside.sort_values(["announced_on", "round_id"])
        n.append(len(inside)), ids.append(";".join(inside["round_id"]) or None), sums.append(round(inside["amount_usd"].sum(), 2))
    c["rounds_counted"] = pd.array(n, dtype="Int64")
    c["round_ids"] = pd.Series(ids, index=c.index, dtype="str")
    c["rounds_sum_usd"] = pd.Series(sums, index=c.index, dtype="float64")
    c["difference_usd"] = (c["claimed_amount_usd"] - c["rounds_sum_usd"]).round(2)
    pct = (c["difference_usd"] / c["rounds_sum_usd"].where(c["rounds_sum_usd"] > 0) * 100).round(2)
    c["difference_pct"] = pct.astype("float64")
    return c


def figure_matches(fig: Figure, value: float, high: float | None, canonical: float, slack: float) -> bool:
    """Whether a reported figure (already in the canonical currency) agrees with the believed value.

    Tolerances follow the hedge: "exact" allows rounding (2%), "about" 10%, "more than X"
    holds from X up to 2X, "up to X" from X/2 to X, and a range must contain the value.
    """
    if canonical <= 0 and value <= 0:
        return math.isclose(value, canonical, abs_tol=1e-9)
    if fig.qualifier == "range" and high is not None:
        return value * (1 - 0.01 - slack) <= canonical <= high * (1 + 0.01 + slack)
    ratio = canonical / value if value else math.inf
    if fig.qualifier == "at_least":
        return 1 - 0.02 - slack <= ratio <= 2
    if fig.qualifier == "up_to":
        return 0.5 <= ratio <= 1 + 0.02 + slack
    # "Exact" allows the rounding its printed digits imply ("$1.2 billion" is 1.15-1.25), at least 2%.
    tol = (0.10 if fig.qualifier == "about" else max(0.02, fig.rounding)) + slack
    return abs(ratio - 1) <= tol


def _facts(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    return {name: tables[name].set_index(ts.primary_key(name)[0], drop=False) for name in ("companies", "rounds", "metrics", "cumulative_claims")}


def derive_reports(tables: dict[str, pd.DataFrame], fx: FxTable, problems: list[Problem]) -> pd.DataFrame:
    rep = tables["reports"].copy()
    facts = _facts(tables)
    cols = {k: [] for k in ("value", "value_high", "currency", "qualifier", "canonical_value", "canonical_currency", "ratio_to_canonical", "check")}
    for line, row in rep.iterrows():
        table, fid, fld = row["fact_table"], row["fact_id"], row["field"]
        ccy_col = NUMERIC_FIELDS.get((table, fld), "missing") if (table, fld) in NUMERIC_FIELDS else "missing"
        fig = parse_reported(str(row["value_as_reported"])) if ccy_col != "missing" else None
        if fig is not None and fig.currency is None and pd.notna(row["implied_currency"]):
            fig = replace(fig, currency=str(row["implied_currency"]), unit="currency")
        canon = canon_ccy = ratio = None
        check = "not_numeric"
        if ccy_col != "missing":
            fact = facts.get(table)
            if fig is None:
                # Only an accepted report must carry a number; "declined to say" is a fine rejected one.
                problems.append(Problem("curated/reports.csv", int(line), "value_as_reported", "unparseable",
                                        f"no number found in a report on {table}.{fld}", str(row["value_as_reported"]),
                                        "write the figure as printed, e.g. '$500 million' or '5亿美元'",
                                        "error" if row["verdict"] == "accepted" else "warning"))
                check = "no_canonical"
            elif fact is None or fid not in fact.index or pd.isna(fact.at[fid, fld]):
                check = "no_canonical"
            else:
                canon = float(fact.at[fid, fld])
                canon_ccy = fact.at[fid, ccy_col] if ccy_col in fact.columns else None
                canon_ccy = None if pd.isna(canon_ccy) else str(canon_ccy)
                day = fact.at[fid, FACT_DATE[table]]
                value, high, slack = fig.value, fig.high, 0.0
                if fig.currency and canon_ccy and fig.currency != canon_ccy and not pd.isna(day):
                    try:
                        k = fx.usd_rate(fig.currency, day.date())[0] / fx.usd_rate(canon_ccy, day.date())[0]
                        value, high, slack = value * k, (high * k if high is not None else None), FX_SLACK
                    except RateNotFound as e:
                        problems.append(Problem("curated/reports.csv", int(line), "value_as_reported", "fx_rate", str(e)))
                mid = (value + high) / 2 if high is not None else value
                ratio = round(mid / canon, 6) if canon else None
                check = "match" if figure_matches(fig, value, high, canon, slack) else "mismatch"
        cols["value"].append(fig.value if fig else None)
        cols["value_high"].append(fig.high if fig else None)
        cols["currency"].append(fig.currency if fig else None)
        cols["qualifier"].append(fig.qualifier if fig else None)
        cols["canonical_value"].append(canon)
        cols["canonical_currency"].append(canon_ccy)
        cols["ratio_to_canonical"].append(ratio)
        cols["check"].append(check)
    for k in ("value", "value_high", "canonical_value", "ratio_to_canonical"):
        rep[k] = pd.Series(cols[k], index=rep.index, dtype="float64")
    for k in ("currency", "qualifier", "canonical_currency", "check"):
        rep[k] = pd.Series(cols[k], index=rep.index, dtype="str")
    return rep


def unit_flags(reports: pd.DataFrame) -> pd.DataFrame:
    """Pairs of reports on one fact whose values (in the believed currency) differ by 10^k.

    A pair is not flagged when either report is already rejected for a unit error.
    """
    r = reports[reports["value"].notna()].copy()
    # Compare in the believed currency where there is one; `ratio_to_canonical` already is.
    r["cmp"] = r["ratio_to_canonical"].where(r["ratio_to_canonical"].notna(), r["value"])
    unit_rejected = (r["verdict"] == "rejected") & r["reason"].fillna("").str.startswith("unit_error")
    rows = []
    for (table, fid, fld), g in r.groupby(["fact_table", "fact_id", "field"], sort=True):
        items = list(zip(g["report_id"], g["cmp"], unit_rejected[g.index]))
        for i, (a, va, ra) in enumerate(items):
            for b, vb, rb in items[i + 1:]:
                if ra or rb or va <= 0 or vb <= 0:
                    continue
                (big, vbig), (small, vsmall) = sorted([(a, va), (b, vb)], key=lambda x: (-x[1], x[0]))
                ratio = vbig / vsmall
                factor = next((f for f in UNIT_FACTORS if abs(ratio / f - 1) <= UNIT_FACTOR_TOLERANCE), None)
                if factor:
                    rows.append({"report_id": big, "other_report_id": small, "fact_table": table, "fact_id": fid,
                                 "field": fld, "factor": factor, "ratio": round(ratio, 6)})
    cols = [f["name"] for f in ts.fields("unit_flags")]
    df = pd.DataFrame(rows, columns=cols)
    for c in ("report_id", "other_report_id", "fact_table", "fact_id", "field"):
        df[c] = df[c].astype("str")
    df["factor"] = df["factor"].astype("Int64")
    df["ratio"] = df["ratio"].astype("float64")
    return df.sort_values(["report_id", "other_report_id"]).reset_index(drop=True)


def _link_accepted_reports(tables: dict[str, pd.DataFrame]) -> None:
    """Each fact row names the accepted reports its figures rest on."""
    rep = tables["reports"]
    acc = rep[rep["verdict"] == "accepted"].sort_values("report_id")
    for table in ("companies", "rounds", "metrics", "cumulative_claims"):
        pk = ts.primary_key(table)[0]
        ids = acc[acc["fact_table"] == table].groupby("fact_id")["report_id"].agg(";".join)
        tables[table] = tables[table].assign(accepted_report_ids=tables[table][pk].map(ids).astype("str"))


def derive(tables: dict[str, pd.DataFrame]) -> Derived:
    """All released tables, computed from the curated ones."""
    problems: list[Problem] = []
    fx = FxTable()
    out = dict(tables)
    out["rounds"] = derive_rounds(tables["rounds"], fx, problems)
    out["metrics"] = derive_metrics(tables["metrics"], fx, problems)
    out["cumulative_claims"] = derive_claims(tables["cumulative_claims"], out["rounds"], fx, problems)
    out["reports"] = derive_reports(out, fx, problems)
    _link_accepted_reports(out)
    out["unit_flags"] = unit_flags(out["reports"])
    out["fx_rates"] = fx.frame()
    for name in out:
        out[name] = out[name][[f["name"] for f in ts.fields(name)]]
    return Derived(out, problems)
