"""Rules that need more than one column or more than one table, run as Pandera checks.

Each rule is a function from (table frame, all tables) to a boolean Series, True where
the row is fine. Foreign keys come from the Table Schemas' `foreignKeys`, so they are
declared once; the rest encode what makes the funding data mean something.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import pandera.pandas as pa

from . import table_schemas as ts
from .arrow_ops import isin
from .pandera_schema import constraint_message, table_schema
from .problems import Problem

Tables = dict[str, pd.DataFrame]
RuleFn = Callable[[pd.DataFrame, Tables], pd.Series]


@dataclass(frozen=True)
class Rule:
    table: str
    column: str
    name: str
    message: str
    fn: RuleFn
    severity: str = "error"


RULES: list[Rule] = []


def rule(table: str, column: str, name: str, message: str, severity: str = "error"):
    def register(fn: RuleFn) -> RuleFn:
        RULES.append(Rule(table, column, name, message, fn, severity))
        return fn
    return register


def _ok(df: pd.DataFrame, mask) -> pd.Series:
    return pd.Series(np.asarray(mask, dtype=bool), index=df.index)


def _accepted(t: Tables, fact_table: str, field: str | None = None) -> pd.DataFrame:
    r = t["reports"]
    m = (r["verdict"] == "accepted") & (r["fact_table"] == fact_table)
    if field:
        m &= r["field"] == field
    return r[m]


# ---- keys -------------------------------------------------------------------------------------

def _fk_rule(table: str, fk: dict) -> None:
    col = fk["fields"][0]
    target, target_col = fk["reference"]["resource"] or table, fk["reference"]["fields"][0]

    def check(df: pd.DataFrame, t: Tables) -> pd.Series:
        return _ok(df, df[col].isna() | isin(df[col], t[target][target_col]))

    RULES.append(Rule(table, col, "foreign_key", f"no {target} row has this {target_col}", check))


for _table in ts.TABLE_ORDER:
    for _fk in ts.foreign_keys(_table):
        _fk_rule(_table, _fk)
    _pk = ts.primary_key(_table)
    if len(_pk) == 1:
        def _variant(df: pd.DataFrame, t: Tables, col: str = _pk[0]) -> pd.Series:
            norm = df[col].astype(str).str.strip().str.lower()
            return _ok(df, ~(norm.duplicated(keep=False) & ~df[col].duplicated(keep=False)))
        RULES.append(Rule(_table, _pk[0], "duplicate_key_variant", "same key as another row except for case or whitespace", _variant))


@rule("reports", "fact_id", "foreign_key", "no row with this id in the table named by fact_table")
def _report_fact(df, t):
    ok = pd.Series(False, index=df.index)
    for table in ("companies", "rounds", "metrics", "cumulative_claims"):
        pk = ts.primary_key(table)[0]
        m = df["fact_table"] == table
        ok[m] = isin(df.loc[m, "fact_id"], t[table][pk])
    return ok


@rule("reports", "field", "unknown_field", "fact_table has no such column")
def _report_field(df, t):
    ok = pd.Series(True, index=df.index)
    extra = {"rounds": {"investors"}, "companies": {"funding_status", "name"}}
    for table in ("companies", "rounds", "metrics", "cumulative_claims"):
        m = df["fact_table"] == table
        names = {f["name"] for f in ts.fields(table)} | extra.get(table, set())
        ok[m] = df.loc[m, "field"].isin(names)
    return ok


@rule("investors", "investor_id", "orphan", "no round names this investor and it is no one's parent", severity="warning")
def _orphan_investor(df, t):
    used = pd.concat([t["round_investors"]["investor_id"], df["parent_investor_id"].dropna()])
    return _ok(df, isin(df["investor_id"], used))


@rule("sources", "source_id", "orphan", "no report cites this source", severity="warning")
def _orphan_source(df, t):
    return _ok(df, isin(df["source_id"], t["reports"]["source_id"]))


@rule("investors", "parent_investor_id", "self_parent", "an investor cannot be its own parent")
def _self_parent(df, t):
    return _ok(df, df["parent_investor_id"].isna() | (df["parent_investor_id"] != df["investor_id"]))


# ---- rounds ---------------------------------------------------------------------------------------

def _lead_pairs(rounds: pd.DataFrame) -> pd.DataFrame:
    """One (round_id, investor_id) row per lead named in `lead_investor_ids`, indexed by round row."""
    leads = rounds["lead_investor_ids"].str.split(";").explode()
    leads = leads[leads.notna() & (leads != "")]
    return pd.DataFrame({"round_id": rounds["round_id"].reindex(leads.index), "investor_id": leads})


def _has_pair(rows: pd.DataFrame, pairs: pd.DataFrame) -> np.ndarray:
    """Whether each (round_id, investor_id) of `rows` is among `pairs`."""
    key = rows["round_id"].astype("str") + "\x1f" + rows["investor_id"].astype("str")
    return isin(key, pairs["round_id"].astype("str") + "\x1f" + pairs["investor_id"].astype("str"))


@rule("rounds", "lead_investor_ids", "lead_not_in_round", "a lead is not in round_investors as lead or co_lead of this round")
def _lead_listed(df, t):
    ri = t["round_investors"]
    leads = _lead_pairs(df)
    missing = leads.index[~_has_pair(leads, ri[ri["role"].isin(["lead", "co_lead"])])]
    return _ok(df, ~df.index.isin(missing))


@rule("round_investors", "role", "lead_not_in_round", "investor is a lead here but not in the round's lead_investor_ids")
def _lead_declared(df, t):
    return _ok(df, (df["role"] == "participant") | _has_pair(df, _lead_pairs(t["rounds"])))


# Dates compared at a precision: a period number that grows with time at that granularity.
_PERIOD_RANK = {"day": 0, "month": 1, "quarter": 2, "year": 3}


def _period_number(d: pd.Series, rank: np.ndarray) -> np.ndarray:
    d = pd.to_datetime(d)
    year, month = d.dt.year.to_numpy(dtype="float64"), d.dt.month.to_numpy(dtype="float64")
    days = (d - pd.Timestamp("1970-01-01")).dt.days.to_numpy(dtype="float64")
    return np.select([rank == 3, rank == 2, rank == 1], [year, year * 4 + (month - 1) // 3, year * 12 + month], default=days)


@rule("rounds", "announced_on", "before_founding", "round is dated before its company was founded")
def _after_founding(df, t):
    c = t["companies"].set_index("company_id")
    founded = df["company_id"].map(c["founded_on"])
    prec = df["company_id"].map(c["founded_precision"])
    # Compare at the coarser of the two precisions: a round "in 2021" is fine for a company "founded December 2021".
    rank = np.maximum(df["date_precision"].map(_PERIOD_RANK).fillna(0).to_numpy(), prec.map(_PERIOD_RANK).fillna(0).to_numpy())
    known = df["announced_on"].notna().to_numpy() & founded.notna().to_numpy()
    return _ok(df, ~known | (_period_number(df["announced_on"], rank) >= _period_number(founded, rank)))


def _to_usd(df: pd.DataFrame, col: str) -> pd.Series:
    return df[f"{col}_usd"] if f"{col}_usd" in df else df[col]


@rule("rounds", "post_money_valuation", "post_below_amount", "post-money valuation is below the amount raised")
def _post_ge_amount(df, t):
    post, amount = _to_usd(df, "post_money_valuation"), _to_usd(df, "amount")
    return _ok(df, post.isna() | amount.isna() | (post >= amount * 0.999))


def _with_tranches(df: pd.DataFrame) -> pd.Series:
    """Amount plus the tranches that extend this round without a valuation of their own.

    A round closed in tranches is priced once: pre-money + every tranche = post-money.
    """
    amount = _to_usd(df, "amount")
    unpriced = df[df["extension_of"].notna() & df["post_money_valuation"].isna() & df["pre_money_valuation"].isna()]
    extra = _to_usd(unpriced, "amount").groupby(unpriced["extension_of"]).sum()
    return amount + df["round_id"].map(extra).fillna(0)


@rule("rounds", "post_money_valuation", "pre_plus_amount", "post-money differs from pre-money + amount (+ unpriced tranches) by more than 1%")
def _post_eq_pre_plus(df, t):
    pre, post, amount = _to_usd(df, "pre_money_valuation"), _to_usd(df, "post_money_valuation"), _with_tranches(df)
    known = pre.notna() & post.notna() & amount.notna() & (df["round_type"] != "secondary")
    return _ok(df, ~known | ((pre + amount - post).abs() <= 0.01 * post))


@rule("rounds", "amount_usd", "usd_inconsistent", "amount_usd is not amount × fx_rate")
def _usd_consistent(df, t):
    if "amount_usd" not in df:
        return _ok(df, True)
    expected = df["amount"] * df["fx_rate"]
    return _ok(df, df["amount_usd"].isna() | ((df["amount_usd"] - expected).abs() <= 0.01 + 1e-9 * expected.abs()))


def _paired(df: pd.DataFrame, value: str, other: str) -> pd.Series:
    return _ok(df, df[value].isna() == df[other].isna())


@rule("rounds", "currency", "currency_with_amount", "an amount needs a currency")
def _amount_currency(df, t):
    # The reverse is allowed: "hundreds of millions of dollars" tells the currency, not the amount.
    return _ok(df, df["amount"].isna() | df["currency"].notna())


@rule("rounds", "amount_qualifier", "qualifier_with_amount", "an amount needs a qualifier, and a qualifier needs an amount")
def _amount_qualifier(df, t):
    return _paired(df, "amount", "amount_qualifier")


@rule("rounds", "valuation_currency", "valuation_currency", "a valuation needs valuation_currency, and only a valuation has one")
def _valuation_currency(df, t):
    return _ok(df, (df["pre_money_valuation"].notna() | df["post_money_valuation"].notna()) == df["valuation_currency"].notna())


@rule("round_investors", "currency", "currency_with_amount", "an amount needs a currency, and a currency needs an amount")
def _ri_currency(df, t):
    return _paired(df, "amount", "currency")


# ---- metrics, claims, sources ------------------------------------------------------------------------

@rule("metrics", "currency", "currency_with_unit", "currency is required when unit is currency and only then")
def _metric_currency(df, t):
    return _ok(df, (df["unit"] == "currency") == df["currency"].notna())


@rule("metrics", "value", "percent_range", "a percentage below -100 is impossible")
def _percent(df, t):
    return _ok(df, (df["unit"] != "percent") | (df["value"] >= -100))


@rule("metrics", "value_high", "range", "value_high needs qualifier range and must not be below value")
def _metric_range(df, t):
    has = df["value_high"].notna()
    return _ok(df, (has == (df["qualifier"] == "range")) & (~has | (df["value_high"] >= df["value"])))


@rule("cumulative_claims", "window_end", "window_order", "window_end is before window_start")
def _window(df, t):
    return _ok(df, df["window_start"].isna() | (df["window_end"] >= df["window_start"]))


@rule("companies", "founded_precision", "precision_with_date", "founded_precision is required with founded_on and only then")
def _company_precision(df, t):
    return _paired(df, "founded_on", "founded_precision")


@rule("sources", "published_precision", "precision_with_date", "published_precision is required with published_on and only then")
def _source_precision(df, t):
    return _paired(df, "published_on", "published_precision")


@rule("sources", "address", "no_location", "a source needs an address or a local copy")
def _source_location(df, t):
    return _ok(df, df["address"].notna() | df["local_copy"].notna())


def _not_future(table: str, column: str) -> None:
    def check(df: pd.DataFrame, t: Tables) -> pd.Series:
        return _ok(df, df[column].isna() | (df[column] <= pd.Timestamp(date.today())))
    RULES.append(Rule(table, column, "future_date", "date is after the build date", check))


for _t, _c in [("rounds", "announced_on"), ("rounds", "closed_on"), ("companies", "founded_on"), ("sources", "published_on"),
               ("metrics", "period_end")]:
    _not_future(_t, _c)


# ---- provenance ------------------------------------------------------------------------------------------

IMPLIED = {"pre_money_valuation": "implied_pre", "post_money_valuation": "implied_post"}


def _backed(table: str, column: str, field: str | None) -> None:
    pk = ts.primary_key(table)[0]

    def check(df: pd.DataFrame, t: Tables) -> pd.Series:
        backed = isin(df[pk], _accepted(t, table, field)["fact_id"])
        if field is None:
            return _ok(df, backed)
        # A valuation the build derived from the other two figures needs no report of its own.
        derived = df["valuation_basis"] == IMPLIED[field] if field in IMPLIED and "valuation_basis" in df else False
        return _ok(df, df[column].isna() | backed | derived)

    what = f"its {field}" if field else "it"
    RULES.append(Rule(table, column, "no_accepted_report", f"no accepted report backs {what}", check))


for _t, _c, _f in [("rounds", "round_id", None), ("rounds", "amount", "amount"), ("rounds", "pre_money_valuation", "pre_money_valuation"),
                   ("rounds", "post_money_valuation", "post_money_valuation"), ("metrics", "value", "value"),
                   ("companies", "company_id", None)]:
    _backed(_t, _c, _f)


@rule("cumulative_claims", "claim_id", "no_report", "no report records this claim")
def _claim_reported(df, t):
    # A claim row records what was claimed; its reports judge it, so any verdict will do.
    r = t["reports"]
    return _ok(df, isin(df["claim_id"], r.loc[r["fact_table"] == "cumulative_claims", "fact_id"]))


@rule("reports", "reason", "reason_required", "a report that is not accepted needs a reason")
def _reason(df, t):
    return _ok(df, (df["verdict"] == "accepted") | df["reason"].notna())


@rule("reports", "value_as_reported", "accepted_mismatch", "accepted report disagrees with the believed figure")
def _accepted_matches(df, t):
    if "check" not in df:
        return _ok(df, True)
    return _ok(df, ~((df["verdict"] == "accepted") & (df["check"] == "mismatch")))


@rule("reports", "value_as_reported", "accepted_unit_conflict", "two accepted reports on one fact differ by a power of ten")
def _accepted_unit_conflict(df, t):
    flags = t.get("unit_flags")
    if flags is None or flags.empty:
        return _ok(df, True)
    accepted = set(df.loc[df["verdict"] == "accepted", "report_id"])
    bad = {a for a, b in zip(flags["report_id"], flags["other_report_id"]) if a in accepted and b in accepted}
    bad |= {b for a, b in zip(flags["report_id"], flags["other_report_id"]) if a in accepted and b in accepted}
    return _ok(df, ~isin(df["report_id"], bad))


# ---- running ----------------------------------------------------------------------------------------------

def _rule_schema(table: str, tables: Tables, severity: str) -> pa.DataFrameSchema:
    checks = [
        pa.Check(lambda df, r=r: r.fn(df, tables), name=f"{r.name}:{r.column}")
        for r in RULES if r.table == table and r.severity == severity
    ]
    return pa.DataFrameSchema(checks=checks, name=table)


def _hint(table: str, column: str, rule_name: str, value: object) -> str:
    if rule_name == "enum" and isinstance(value, str):
        allowed = [str(v) for v in ts.constraints(ts.field(table, column)).get("enum", [])]
        close = difflib.get_close_matches(value.strip().lower().replace(" ", "_").replace("-", "_"), allowed, n=1, cutoff=0.6)
        return f"did you mean {close[0]}?" if close else ""
    return ""


# Pandera names its built-in checks after the function; the dataset names them after the constraint.
_BUILTIN = {"str_matches": "pattern", "greater_than_or_equal_to": "minimum", "greater_than": "minimum", "less_than_or_equal_to": "maximum"}
_PANDERA_RULES = {"not_nullable": "required", "field_uniqueness": "unique", "multiple_fields_uniqueness": "duplicate_key",
                  "column_in_dataframe": "missing_column", "column_in_schema": "extra_column"}


def _from_failures(err: pa.errors.SchemaErrors, table: str, file: str, df: pd.DataFrame, severity: str,
                   line_of: Callable[[object], int]) -> list[Problem]:
    out = []
    fc = err.failure_cases
    # A frame-wide check is reported once per column; one problem per row is enough.
    fc = fc.drop_duplicates(subset=["check", "index"]) if "DataFrameSchema" in set(fc["schema_context"]) else fc
    for _, row in fc.iterrows():
        check = str(row["check"])
        column = row["column"] if isinstance(row["column"], str) else ""
        rule_name = check
        if ":" in check and not check.startswith("dtype"):
            rule_name, column = check.split(":", 1)
        elif check.startswith("dtype"):
            rule_name = "type"
        rule_name = _PANDERA_RULES.get(rule_name, rule_name)
        base = rule_name.split("(", 1)[0]
        if base in _BUILTIN:
            rule_name = _BUILTIN[base]
        elif base == "isin" and column:
            f = ts.field(table, column) if column in {x["name"] for x in ts.fields(table)} else {}
            rule_name = "enum" if "enum" in ts.constraints(f) else "codelist"
        idx = row["index"]
        line = line_of(idx) if idx is not None and not (isinstance(idx, float) and np.isnan(idx)) else 0
        value = df.at[idx, column] if line and column in df.columns and idx in df.index else row["failure_case"]
        if rule_name == "duplicate_key":
            column = "+".join(ts.primary_key(table))
            value = " + ".join(str(df.at[idx, c]) for c in ts.primary_key(table)) if idx in df.index else ""
        msg = _message(table, column, rule_name, check)
        shown = "" if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT else str(value)
        if isinstance(value, pd.Timestamp):
            shown = value.date().isoformat()
        out.append(Problem(file, int(line), column, rule_name, msg, shown, _hint(table, column, rule_name, value), severity))
    return out


def _message(table: str, column: str, rule_name: str, check: str) -> str:
    for r in RULES:
        if r.table == table and r.name == rule_name and r.column == column:
            return r.message
    if rule_name == "required":
        return "a value is required"
    if rule_name == "unique":
        return "value appears in more than one row"
    if rule_name == "duplicate_key":
        return "primary key appears in more than one row"
    if rule_name == "type":
        return f"wrong type ({check})"
    try:
        return constraint_message(ts.field(table, column), rule_name)
    except KeyError:
        return rule_name


def validate_tables(tables: Tables, file_of: Callable[[str], str], line_of: Callable[[str, object], int],
                    curated: bool = False) -> list[Problem]:
    """Every column, table and cross-table rule over `tables`; all problems, not the first."""
    problems: list[Problem] = []
    for table, df in tables.items():
        try:
            table_schema(table, curated=curated).validate(df, lazy=True)
        except pa.errors.SchemaErrors as e:
            problems += _from_failures(e, table, file_of(table), df, "error", lambda i, t=table: line_of(t, i))
    if all(t in tables for t in ts.curated_tables()):
        for table, df in tables.items():
            for severity in ("error", "warning"):
                try:
                    _rule_schema(table, tables, severity).validate(df, lazy=True)
                except pa.errors.SchemaErrors as e:
                    problems += _from_failures(e, table, file_of(table), df, severity, lambda i, t=table: line_of(t, i))
    return problems
