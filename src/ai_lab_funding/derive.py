"""Compute what the curated tables imply: USD amounts, implied valuations, parsed reports,
the check of every report against the believed figure, cumulative-claim sums and ×10 flags.

Nothing here judges a figure; it only makes disagreement visible so the rules can.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from . import table_schemas as ts
from .arrow_ops import joined_by_key, labels
from .fx import FxTable
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
    """Rate, rate date and USD value per row; a missing rate is a problem on that row's line."""
    has = amount.notna() & currency.notna() & on.notna()
    found = fx.usd_rates(currency.where(has), on.where(has))
    for line, cur, err in zip(found.index[found["error"].notna()], currency[found["error"].notna()], found["error"].dropna()):
        problems.append(Problem(file, int(line), column, "fx_rate", err, str(cur)))
    rate = found["rate"].where(has).astype("float64")
    usd = (amount.astype("float64") * rate).round(2)
    return rate, found["rate_date"].where(has).astype("datetime64[s]"), usd.astype("float64")


def derive_rounds(rounds: pd.DataFrame, fx: FxTable, problems: list[Problem], f: str) -> pd.DataFrame:
    r = rounds.copy(deep=False)
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
    m = metrics.copy(deep=False)
    money = m["value"].where(m["unit"] == "currency")
    _, _, m["value_usd"] = _usd(fx, money, m["currency"], m["period_end"], f, "currency", problems)
    return m


def derive_claims(claims: pd.DataFrame, rounds: pd.DataFrame, fx: FxTable, problems: list[Problem],
                  f: str) -> pd.DataFrame:
    c = claims.copy(deep=False)
    _, _, c["claimed_amount_usd"] = _usd(fx, c["claimed_amount"], c["currency"], c["window_end"],
                                         f, "currency", problems)
    counted = rounds.loc[rounds["status"].isin(COUNTED_STATUSES) & rounds["amount_usd"].notna(), ["company_id", "round_id", "announced_on", "amount_usd"]]
    pairs = c[["claim_id", "company_id", "window_start", "window_end"]].merge(counted, on="company_id")
    # No window start means since founding.
    inside = pairs[(pairs["window_start"].isna() | (pairs["announced_on"] >= pairs["window_start"])) & (pairs["announced_on"] <= pairs["window_end"])]
    inside = inside.sort_values(["claim_id", "announced_on", "round_id"])
    g = inside.groupby("claim_id", sort=False)
    c["rounds_counted"] = c["claim_id"].map(g.size()).fillna(0).astype("Int64")
    c["round_ids"] = c["claim_id"].map(joined_by_key(inside["claim_id"], inside["round_id"])).astype("str")
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


def _canonical(tables: dict[str, pd.DataFrame], reports: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each report, the believed value it is about, that value's currency and the fact's date.

    Looked up by position per (table, field) rather than by a three-column merge, which
    at a million rounds cost more memory than every table together.
    """
    n = len(reports)
    value = np.full(n, np.nan)
    currency = np.full(n, None, dtype=object)
    day = np.full(n, np.datetime64("NaT"), dtype="datetime64[s]")
    for table in dict.fromkeys(t for t, _ in NUMERIC_FIELDS):
        f = tables[table]
        # Built once per table: rounds has three numeric fields on the same keys and dates.
        keys = pd.Index(f[ts.primary_key(table)[0]])
        dates = pd.to_datetime(f[FACT_DATE[table]]).to_numpy().astype("datetime64[s]")
        of_table = (reports["fact_table"] == table).to_numpy()
        for fld, ccy_col in ((fld, c) for (t, fld), c in NUMERIC_FIELDS.items() if t == table):
            on = of_table & (reports["field"] == fld).to_numpy()
            pos = keys.get_indexer(reports["fact_id"][on])
            found = pos >= 0
            rows = np.flatnonzero(on)[found]
            value[rows] = f[fld].to_numpy(dtype="float64")[pos[found]]
            if ccy_col in f:
                # Through codes, so a million rows share a handful of currency strings.
                codes, names = pd.factorize(f[ccy_col])
                currency[rows] = np.append(np.asarray(names, dtype=object), None)[codes[pos[found]]]
            day[rows] = dates[pos[found]]
    return value, currency, day


def _parsed(texts: pd.Series) -> pd.DataFrame:
    """Parse each distinct text once: a million reports repeat far fewer figures."""
    codes, uniques = pd.factorize(texts, use_na_sentinel=True)
    figs = [parse_reported(str(v)) for v in uniques]
    cols = {
        "value": np.array([f.value if f else np.nan for f in figs] + [np.nan], dtype="float64"),
        "high": np.array([f.high if f and f.high is not None else np.nan for f in figs] + [np.nan], dtype="float64"),
        "qualifier": np.array([f.qualifier if f else None for f in figs] + [None], dtype=object),
        "rounding": np.array([f.rounding if f else 0.0 for f in figs] + [0.0], dtype="float64"),
        "currency": np.array([f.currency if f else None for f in figs] + [None], dtype=object),
        "parsed": np.array([f is not None for f in figs] + [False], dtype=bool),
    }
    # factorize's missing-value code -1 picks the trailing "nothing parsed" entry. Object columns
    # stay object: pandas 3 would infer Arrow strings and copy every value back out on to_numpy.
    return pd.DataFrame({k: pd.Series(v[codes], index=texts.index, dtype=v.dtype) for k, v in cols.items()})


def derive_reports(tables: dict[str, pd.DataFrame], fx: FxTable, problems: list[Problem], f: str) -> pd.DataFrame:
    rep = tables["reports"].copy(deep=False)
    numeric_keys = pd.MultiIndex.from_tuples(list(NUMERIC_FIELDS))
    numeric = pd.Series(pd.MultiIndex.from_arrays([rep["fact_table"], rep["field"]]).isin(numeric_keys), index=rep.index)
    parsed = _parsed(rep["value_as_reported"].astype("str").where(numeric))
    for line, v, verdict, table, fld in rep.loc[numeric & ~parsed["parsed"], ["value_as_reported", "verdict", "fact_table", "field"]].itertuples():
        # Only an accepted report must carry a number; "declined to say" is a fine rejected one.
        problems.append(Problem(f, int(line), "value_as_reported", "unparseable",
                                f"no number found in a report on {table}.{fld}", str(v),
                                "write the figure as printed, e.g. '$500 million' or '5亿美元'",
                                "error" if verdict == "accepted" else "warning"))
    # A figure printed without a currency takes the one the curator says the context implies.
    implied = parsed["parsed"] & parsed["currency"].isna() & rep["implied_currency"].notna()
    parsed.loc[implied, "currency"] = rep.loc[implied, "implied_currency"].astype(object)
    value, high = parsed["value"].to_numpy(), parsed["high"].to_numpy()
    qualifier, rounding, currency = parsed["qualifier"].to_numpy(), parsed["rounding"].to_numpy(), parsed["currency"].to_numpy()

    canon, canon_ccy, fact_day = _canonical(tables, rep)
    day = pd.Series(fact_day, index=rep.index)
    # Convert the reported figure into the believed value's currency at the fact's date.
    convert = pd.notna(currency) & pd.notna(canon_ccy) & (currency != canon_ccy) & day.notna().to_numpy()
    sel = pd.Series(convert, index=rep.index)
    reported_rate = fx.usd_rates(pd.Series(currency, index=rep.index, dtype=object).where(sel), day.where(sel))
    canon_rate = fx.usd_rates(pd.Series(canon_ccy, index=rep.index, dtype=object).where(sel), day.where(sel))
    for rates in (reported_rate, canon_rate):
        for line, err in rates["error"].dropna().items():
            problems.append(Problem(f, int(line), "value_as_reported", "fx_rate", err))
    cross = (reported_rate["rate"] / canon_rate["rate"]).to_numpy()
    factor = np.where(convert & ~np.isnan(cross), cross, 1.0)
    slack = np.where(convert, FX_SLACK, 0.0)
    v, h = value * factor, high * factor
    comparable = ~np.isnan(value) & ~np.isnan(canon)
    mid = np.where(np.isnan(h), v, (v + h) / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(comparable & (canon != 0), np.round(mid / canon, 6), np.nan)
    ok = matches(v, h, qualifier, rounding, canon, slack)
    outcome = np.select([~numeric.to_numpy(), comparable & ok, comparable], [0, 1, 2], default=3)
    rep["value"], rep["value_high"] = value, high
    rep["currency"] = pd.Series(currency, index=rep.index).astype("str")
    rep["qualifier"] = pd.Series(qualifier, index=rep.index).astype("str")
    rep["canonical_value"] = np.where(comparable, canon, np.nan)
    rep["canonical_currency"] = pd.Series(np.where(comparable, canon_ccy, None), index=rep.index).astype("str")
    rep["ratio_to_canonical"] = ratio
    rep["check"] = labels(outcome, ["not_numeric", "match", "mismatch", "no_canonical"], rep.index)
    return rep


def unit_flags(reports: pd.DataFrame) -> pd.DataFrame:
    """Pairs of reports on one fact whose values (in the believed currency) differ by 10^k.

    A pair is not flagged when either report is already rejected for a unit error.
    """
    r = reports.loc[reports["value"].notna(), ["report_id", "fact_table", "fact_id", "field", "value", "ratio_to_canonical", "verdict", "reason"]]
    # Compare in the believed currency where there is one; `ratio_to_canonical` already is.
    cmp = r["ratio_to_canonical"].where(r["ratio_to_canonical"].notna(), r["value"])
    unit_rejected = (r["verdict"] == "rejected") & r["reason"].fillna("").str.startswith("unit_error")
    r = r[~unit_rejected & (cmp > 0)]
    # Every pair on one fact, joined on integer codes: at a million rounds the pairs outnumber
    # the reports three to one, and string columns in them would cost gigabytes.
    fact = np.zeros(len(r), dtype="int64")
    for col in ("fact_table", "fact_id", "field"):
        codes, uniques = pd.factorize(r[col])
        fact = fact * len(uniques) + codes
    rank = pd.factorize(r["report_id"], sort=True)[0]  # report_id order, for the pair's direction
    side = pd.DataFrame({"fact": fact, "pos": np.arange(len(r)), "rank": rank, "cmp": cmp[r.index].to_numpy(dtype="float64")})
    pairs = side.merge(side, on="fact", suffixes=("_a", "_b"))
    pairs = pairs[pairs["rank_a"] < pairs["rank_b"]]
    cmp_a, cmp_b = pairs["cmp_a"].to_numpy(), pairs["cmp_b"].to_numpy()
    a_big = cmp_a >= cmp_b  # on a tie the lower report_id is the "bigger" one; rank_a < rank_b here
    big = np.where(a_big, pairs["pos_a"], pairs["pos_b"])
    small = np.where(a_big, pairs["pos_b"], pairs["pos_a"])
    ratio = np.where(a_big, cmp_a / cmp_b, cmp_b / cmp_a)
    factor = np.zeros(len(pairs), dtype="int64")
    for f in reversed(UNIT_FACTORS):  # the smallest factor that fits wins
        factor = np.where(np.abs(ratio / f - 1) <= UNIT_FACTOR_TOLERANCE, f, factor)
    keep = factor > 0
    big, small = big[keep], small[keep]

    def text(col: str, at: np.ndarray) -> pd.Series:
        return r[col].iloc[at].reset_index(drop=True)

    df = pd.DataFrame({"report_id": text("report_id", big), "other_report_id": text("report_id", small),
                       "fact_table": text("fact_table", big), "fact_id": text("fact_id", big), "field": text("field", big),
                       "factor": pd.array(factor[keep], dtype="Int64"), "ratio": np.round(ratio[keep], 6).astype("float64")})
    return df.sort_values(["report_id", "other_report_id"]).reset_index(drop=True)


def _link_accepted_reports(tables: dict[str, pd.DataFrame]) -> None:
    """Each fact row names the accepted reports its figures rest on."""
    rep = tables["reports"]
    acc = rep.loc[rep["verdict"] == "accepted", ["fact_table", "fact_id", "report_id"]].sort_values("report_id")
    for table in ("companies", "rounds", "metrics", "cumulative_claims"):
        pk = ts.primary_key(table)[0]
        on_table = acc[acc["fact_table"] == table]
        ids = joined_by_key(on_table["fact_id"], on_table["report_id"])
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
    pa.default_memory_pool().release_unused()  # Arrow keeps freed buffers for reuse otherwise
    return Derived(out, problems)
