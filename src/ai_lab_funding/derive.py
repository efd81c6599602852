"""Compute what the curated tables imply: USD amounts, implied valuations, parsed reports,
the check of every report against the believed figure, cumulative-claim sums and ×10 flags.

Nothing here judges a figure; it only makes disagreement visible so the rules can.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from . import table_schemas as ts
from .fx import FxTable, RateNotFound
from .problems import Problem
from .reported_values import parse_reported

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


def derive_rounds(rounds: pd.DataFrame, fx: FxTable, problems: list[Problem], f: str) -> pd.DataFrame:
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
    r["fx_rate"], r["fx_date"], r["amount_usd"] = _usd(fx, r["amount"], r["currency"], r["announced_on"], f, "currency", problems)
    for col in ("pre_money_valuation", "post_money_valuation"):
        _, _, r[f"{col}_usd"] = _usd(fx, r[col], r["valuation_currency"], r["announced_on"], f, "valuation_currency", problems)
    return r


def derive_metrics(metrics: pd.DataFrame, fx: FxTable, problems: list[Problem], f: str) -> pd.DataFrame:
    m = metrics.copy()
    money = m["value"].where(m["unit"] == "currency")
    _, _, m["value_usd"] = _usd(fx, money, m["currency"], m["period_end"], f, "currency", problems)
    return m


def derive_claims(claims: pd.DataFrame, rounds: pd.DataFrame, fx: FxTable, problems: list[Problem],
                  f: str) -> pd.DataFrame:
    c = claims.copy()
    _, _, c["claimed_amount_usd"] = _usd(fx, c["claimed_amount"], c["currency"], c["window_end"],
                                         f, "currency", problems)
    counted = rounds.loc[rounds["status"].isin(COUNTED_STATUSES) & rounds["amount_usd"].notna(), ["company_id", "round_id", "announced_on", "amount_usd"]]
    pairs = c[["claim_id", "company_id", "window_start", "window_end"]].merge(counted, on="company_id")
    # No window start means since founding.
    inside = pairs[(pairs["window_start"].isna() | (pairs["announced_on"] >= pairs["window_start"])) & (pairs["announced_on"] <= pairs["window_end"])]
    inside = inside.sort_values(["claim_id", "announced_on", "round_id"])
    g = inside.groupby("claim_id", sort=False)
    c["rounds_counted"] = c["claim_id"].map(g.size()).fillna(0).astype("Int64")
    c["round_ids"] = c["claim_id"].map(g["round_id"].agg(";".join)).astype("str")
    c["rounds_sum_usd"] = c["claim_id"].map(g["amount_usd"].sum()).fillna(0.0).round(2).astype("float64")
    c["difference_usd"] = (c["claimed_amount_usd"] - c["rounds_sum_usd"]).round(2)
    pct = (c["difference_usd"] / c["rounds_sum_usd"].where(c["rounds_sum_usd"] > 0) * 100).round(2)
    c["difference_pct"] = pct.astype("float64")
    return c


def matches(value: np.ndarray, high: np.ndarray, qualifier: np.ndarray, rounding: np.ndarray, canonical: np.ndarray,
            slack: np.ndarray) -> np.ndarray:
    """Whether each reported figure (already in the canonical currency) agrees with the believed value.

    Tolerances follow the hedge: "exact" allows the rounding its printed digits imply (at least
    2%), "about" 10%, "more than X" holds from X up to 2X, "up to X" from X/2 to X, and a range
    must contain the value.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(value != 0, canonical / value, np.inf)
        in_range = (value * (1 - 0.01 - slack) <= canonical) & (canonical <= high * (1 + 0.01 + slack))
        at_least = (1 - 0.02 - slack <= ratio) & (ratio <= 2)
        up_to = (0.5 <= ratio) & (ratio <= 1 + 0.02 + slack)
        tol = np.where(qualifier == "about", 0.10, np.maximum(0.02, rounding)) + slack
        near = np.abs(ratio - 1) <= tol
    is_range = (qualifier == "range") & ~np.isnan(high)
    out = np.select([is_range, qualifier == "at_least", qualifier == "up_to"], [in_range, at_least, up_to], default=near)
    zero = (canonical <= 0) & (value <= 0)
    return np.where(zero, np.isclose(value, canonical), out)


def _canonical(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per (fact_table, fact_id, field) that carries a number: the believed value, its currency and date."""
    frames = []
    for (table, fld), ccy_col in NUMERIC_FIELDS.items():
        f = tables[table]
        frames.append(pd.DataFrame({
            "fact_table": table, "fact_id": f[ts.primary_key(table)[0]].to_numpy(), "field": fld,
            "canonical_value": f[fld].to_numpy(dtype="float64"),
            "canonical_currency": f[ccy_col].to_numpy(dtype=object) if ccy_col in f else None,
            "fact_date": f[FACT_DATE[table]].to_numpy()}))
    return pd.concat(frames, ignore_index=True)


def derive_reports(tables: dict[str, pd.DataFrame], fx: FxTable, problems: list[Problem], f: str) -> pd.DataFrame:
    rep = tables["reports"].copy()
    numeric = pd.Series([k in NUMERIC_FIELDS for k in zip(rep["fact_table"], rep["field"])], index=rep.index)
    figs = [parse_reported(str(v)) if n else None for v, n in zip(rep["value_as_reported"], numeric)]
    figs = [replace(f, currency=str(ic), unit="currency") if f is not None and f.currency is None and pd.notna(ic) else f
            for f, ic in zip(figs, rep["implied_currency"])]
    for line, v, fig, n, verdict, table, fld in zip(rep.index, rep["value_as_reported"], figs, numeric, rep["verdict"], rep["fact_table"], rep["field"]):
        if n and fig is None:
            # Only an accepted report must carry a number; "declined to say" is a fine rejected one.
            problems.append(Problem(f, int(line), "value_as_reported", "unparseable",
                                    f"no number found in a report on {table}.{fld}", str(v),
                                    "write the figure as printed, e.g. '$500 million' or '5亿美元'",
                                    "error" if verdict == "accepted" else "warning"))
    value = np.array([f.value if f else np.nan for f in figs], dtype="float64")
    high = np.array([f.high if f and f.high is not None else np.nan for f in figs], dtype="float64")
    qualifier = np.array([f.qualifier if f else None for f in figs], dtype=object)
    rounding = np.array([f.rounding if f else 0.0 for f in figs], dtype="float64")
    currency = np.array([f.currency if f else None for f in figs], dtype=object)

    facts = rep[["fact_table", "fact_id", "field"]].merge(_canonical(tables), how="left", on=["fact_table", "fact_id", "field"])
    canon = facts["canonical_value"].to_numpy(dtype="float64")
    canon_ccy = facts["canonical_currency"].to_numpy(dtype=object)
    day = pd.to_datetime(facts["fact_date"])
    # Convert the reported figure into the believed value's currency at the fact's date.
    factor = np.ones(len(rep))
    convert = np.array([bool(a) and isinstance(b, str) and a != b and pd.notna(d) for a, b, d in zip(currency, canon_ccy, day)])
    for i in np.flatnonzero(convert):
        try:
            factor[i] = fx.usd_rate(currency[i], day.iloc[i].date())[0] / fx.usd_rate(canon_ccy[i], day.iloc[i].date())[0]
        except RateNotFound as e:
            problems.append(Problem(f, int(rep.index[i]), "value_as_reported", "fx_rate", str(e)))
    slack = np.where(convert, FX_SLACK, 0.0)
    v, h = value * factor, high * factor
    comparable = ~np.isnan(value) & ~np.isnan(canon)
    mid = np.where(np.isnan(h), v, (v + h) / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(comparable & (canon != 0), np.round(mid / canon, 6), np.nan)
    ok = matches(v, h, qualifier, rounding, canon, slack)
    check = np.where(~numeric.to_numpy(), "not_numeric", np.where(comparable, np.where(ok, "match", "mismatch"), "no_canonical"))
    rep["value"], rep["value_high"] = value, high
    rep["currency"] = pd.Series(currency, index=rep.index).astype("str")
    rep["qualifier"] = pd.Series(qualifier, index=rep.index).astype("str")
    rep["canonical_value"] = np.where(comparable, canon, np.nan)
    rep["canonical_currency"] = pd.Series(np.where(comparable, canon_ccy, None), index=rep.index).astype("str")
    rep["ratio_to_canonical"] = ratio
    rep["check"] = pd.Series(check, index=rep.index).astype("str")
    return rep


def unit_flags(reports: pd.DataFrame) -> pd.DataFrame:
    """Pairs of reports on one fact whose values (in the believed currency) differ by 10^k.

    A pair is not flagged when either report is already rejected for a unit error.
    """
    r = reports.loc[reports["value"].notna(), ["report_id", "fact_table", "fact_id", "field", "value", "ratio_to_canonical", "verdict", "reason"]]
    # Compare in the believed currency where there is one; `ratio_to_canonical` already is.
    r = r.assign(cmp=r["ratio_to_canonical"].where(r["ratio_to_canonical"].notna(), r["value"]),
                 unit_rejected=(r["verdict"] == "rejected") & r["reason"].fillna("").str.startswith("unit_error"))
    r = r[~r["unit_rejected"] & (r["cmp"] > 0)]
    pairs = r.merge(r, on=["fact_table", "fact_id", "field"], suffixes=("_a", "_b"))
    pairs = pairs[pairs["report_id_a"] < pairs["report_id_b"]]
    a_big = (pairs["cmp_a"] > pairs["cmp_b"]) | ((pairs["cmp_a"] == pairs["cmp_b"]) & (pairs["report_id_a"] < pairs["report_id_b"]))
    big = np.where(a_big, pairs["report_id_a"], pairs["report_id_b"])
    small = np.where(a_big, pairs["report_id_b"], pairs["report_id_a"])
    ratio = np.where(a_big, pairs["cmp_a"] / pairs["cmp_b"], pairs["cmp_b"] / pairs["cmp_a"])
    factor = np.zeros(len(pairs), dtype="int64")
    for f in reversed(UNIT_FACTORS):  # the smallest factor that fits wins
        factor = np.where(np.abs(ratio / f - 1) <= UNIT_FACTOR_TOLERANCE, f, factor)
    keep = factor > 0
    df = pd.DataFrame({"report_id": big[keep], "other_report_id": small[keep], "fact_table": pairs["fact_table"].to_numpy()[keep],
                       "fact_id": pairs["fact_id"].to_numpy()[keep], "field": pairs["field"].to_numpy()[keep],
                       "factor": factor[keep], "ratio": np.round(ratio[keep], 6)})
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


def _curated_file(table: str) -> str:
    return f"curated/{table}.csv"


def derive(tables: dict[str, pd.DataFrame], file_of: Callable[[str], str] = _curated_file) -> Derived:
    """All released tables, computed from the curated ones; problems name files with `file_of`."""
    problems: list[Problem] = []
    fx = FxTable()
    out = dict(tables)
    out["rounds"] = derive_rounds(tables["rounds"], fx, problems, file_of("rounds"))
    out["metrics"] = derive_metrics(tables["metrics"], fx, problems, file_of("metrics"))
    out["cumulative_claims"] = derive_claims(tables["cumulative_claims"], out["rounds"], fx, problems, file_of("cumulative_claims"))
    out["reports"] = derive_reports(out, fx, problems, file_of("reports"))
    _link_accepted_reports(out)
    out["unit_flags"] = unit_flags(out["reports"])
    out["fx_rates"] = fx.frame()
    for name in out:
        out[name] = out[name][[f["name"] for f in ts.fields(name)]]
    return Derived(out, problems)
