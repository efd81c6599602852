"""Rules that need more than one column or more than one table, run as Pandera checks.

Each rule is a function from (table frame, all tables) to a boolean polars Series, True
where the row is fine. The build validates polars frames on Pandera's polars backend:
every rule is a handful of vectorised column operations, so a million rounds cost what
the data costs, not what a Python loop over it would. Foreign keys come from the Table
Schemas' `foreignKeys`, so they are declared once; the rest encode what makes the funding
data mean something.

Null semantics are pandas' on purpose: a comparison with a missing value is False, and
`!=` a missing value is True, so every comparison below spells out what a gap means.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import polars as pl

from . import table_schemas as ts
from .derive import FACT_TABLES
from .pandera_schema import constraint_message, polars_table_schema
from .problems import Problem

Tables = dict[str, pl.DataFrame]
RuleFn = Callable[[pl.DataFrame, Tables], pl.Series]


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


def _ok(df: pl.DataFrame, expr: pl.Expr | bool) -> pl.Series:
    """Evaluate `expr` on `df` as the rule's verdict; a missing verdict counts as a failure."""
    if isinstance(expr, bool):
        return pl.Series("ok", np.full(df.height, expr))
    return df.select(expr.fill_null(False).alias("ok"))["ok"]


_ROW = "__row"


def _isin(df: pl.DataFrame, cols: str | list[str], allowed: pl.Series | pl.DataFrame) -> pl.Expr:
    """True where the row's value (or tuple of values) is in `allowed`; a missing value never is.

    A semi-join on row numbers: at three million reports it is several times faster than
    `is_in`, which hashes the lookup set and the values one expression at a time.
    """
    cols = [cols] if isinstance(cols, str) else cols
    keys = allowed.to_frame(cols[0]) if isinstance(allowed, pl.Series) else allowed.select(cols)
    keys = keys.with_columns(pl.col(c).cast(df.schema[c]) for c in cols)
    hit = (df.lazy().select(cols).with_row_index(_ROW).join(keys.lazy(), on=cols, how="semi").select(_ROW).collect()[_ROW])
    mask = np.zeros(df.height, dtype=bool)
    mask[hit.to_numpy()] = True
    return pl.lit(pl.Series(mask))


def _accepted(t: Tables, fact_table: str, field: str | None = None) -> pl.DataFrame:
    m = (pl.col("verdict") == "accepted") & (pl.col("fact_table") == fact_table)
    if field:
        m &= pl.col("field") == field
    return t["reports"].filter(m)


def _present(col: str) -> pl.Expr:
    return pl.col(col).is_not_null()


def _missing(col: str) -> pl.Expr:
    return pl.col(col).is_null()


def _is(col: str, value: str) -> pl.Expr:
    return pl.col(col).eq_missing(value)


# ---- keys -------------------------------------------------------------------------------------

def _fk_rule(table: str, fk: dict) -> None:
    col = fk["fields"][0]
    target, target_col = fk["reference"]["resource"] or table, fk["reference"]["fields"][0]

    def check(df: pl.DataFrame, t: Tables) -> pl.Series:
        return _ok(df, _missing(col) | _isin(df, col, t[target][target_col]))

    RULES.append(Rule(table, col, "foreign_key", f"no {target} row has this {target_col}", check))


for _table in ts.TABLE_ORDER:
    for _fk in ts.foreign_keys(_table):
        _fk_rule(_table, _fk)
    _pk = ts.primary_key(_table)
    if len(_pk) == 1:
        def _variant(df: pl.DataFrame, t: Tables, col: str = _pk[0]) -> pl.Series:
            norm = pl.col(col).cast(pl.String).str.strip_chars().str.to_lowercase()
            if not df.select((norm != pl.col(col)).any()).item():
                return _ok(df, True)  # every key is already in normal form: no two can differ by case only
            return _ok(df, ~(norm.is_duplicated() & ~pl.col(col).is_duplicated()))
        RULES.append(Rule(_table, _pk[0], "duplicate_key_variant", "same key as another row except for case or whitespace", _variant))


@rule("reports", "fact_id", "foreign_key", "no row with this id in the table named by fact_table")
def _report_fact(df, t):
    ids = pl.concat([t[table].select(pl.lit(table).alias("fact_table"), pl.col(ts.primary_key(table)[0]).alias("fact_id"))
                     for table in FACT_TABLES])
    return _ok(df, _isin(df, ["fact_table", "fact_id"], ids))


@rule("reports", "field", "unknown_field", "fact_table has no such column")
def _report_field(df, t):
    ok = pl.lit(True)
    extra = {"rounds": {"investors"}, "companies": {"funding_status", "name"}}
    for table in FACT_TABLES:
        names = sorted({f["name"] for f in ts.fields(table)} | extra.get(table, set()))
        ok = pl.when(_is("fact_table", table)).then(pl.col("field").is_in(names).fill_null(False)).otherwise(ok)
    return _ok(df, ok)


@rule("investors", "investor_id", "orphan", "no round names this investor and it is no one's parent", severity="warning")
def _orphan_investor(df, t):
    used = pl.concat([t["round_investors"]["investor_id"], df["parent_investor_id"].drop_nulls()])
    return _ok(df, _isin(df, "investor_id", used))


@rule("sources", "source_id", "orphan", "no report cites this source", severity="warning")
def _orphan_source(df, t):
    return _ok(df, _isin(df, "source_id", t["reports"]["source_id"]))


@rule("investors", "parent_investor_id", "self_parent", "an investor cannot be its own parent")
def _self_parent(df, t):
    return _ok(df, _missing("parent_investor_id") | pl.col("parent_investor_id").ne_missing(pl.col("investor_id")))


# ---- rounds ---------------------------------------------------------------------------------------

def _lead_pairs(rounds: pl.DataFrame) -> pl.DataFrame:
    """One (row, round_id, investor_id) per lead named in `lead_investor_ids`; row is the round's position."""
    return (rounds.select(pl.int_range(pl.len(), dtype=pl.UInt32).alias(_ROW), "round_id",
                          pl.col("lead_investor_ids").str.split(";").alias("investor_id"))
            .explode("investor_id").filter(pl.col("investor_id").is_not_null() & (pl.col("investor_id") != "")))


def _has_pair(rows: pl.DataFrame, pairs: pl.DataFrame) -> pl.Expr:
    """Whether each (round_id, investor_id) of `rows` is among `pairs`."""
    return _isin(rows, ["round_id", "investor_id"], pairs)


@rule("rounds", "lead_investor_ids", "lead_not_in_round", "a lead is not in round_investors as lead or co_lead of this round")
def _lead_listed(df, t):
    ri = t["round_investors"]
    leads = _lead_pairs(df)
    missing = leads.filter(~_has_pair(leads, ri.filter(pl.col("role").is_in(["lead", "co_lead"]))))[_ROW]
    ok = np.ones(df.height, dtype=bool)
    ok[missing.to_numpy()] = False
    return pl.Series("ok", ok)


@rule("round_investors", "role", "lead_not_in_round", "investor is a lead here but not in the round's lead_investor_ids")
def _lead_declared(df, t):
    return _ok(df, _is("role", "participant") | _has_pair(df, _lead_pairs(t["rounds"])))


# Dates compared at a precision: a period number that grows with time at that granularity.
_PERIOD_RANK = {"day": 0, "month": 1, "quarter": 2, "year": 3}


def _rank(col: str) -> pl.Expr:
    return pl.col(col).replace_strict(_PERIOD_RANK, default=0, return_dtype=pl.Int8).fill_null(0)


def _period_number(d: pl.Expr, rank: pl.Expr) -> pl.Expr:
    year, month = d.dt.year().cast(pl.Int64), d.dt.month().cast(pl.Int64)
    return (pl.when(rank == 3).then(year).when(rank == 2).then(year * 4 + (month - 1) // 3)
            .when(rank == 1).then(year * 12 + month).otherwise(d.cast(pl.Date).cast(pl.Int64)))


@rule("rounds", "announced_on", "before_founding", "round is dated before its company was founded")
def _after_founding(df, t):
    # One row per company, so the join keeps one row per round even when a key is duplicated (reported elsewhere).
    c = (t["companies"].select("company_id", pl.col("founded_on").alias("__founded"), pl.col("founded_precision").alias("__prec"))
         .unique("company_id", keep="first", maintain_order=True))
    # Compare at the coarser of the two precisions: a round "in 2021" is fine for a company "founded December 2021".
    joined = df.select("company_id", "announced_on", "date_precision").join(c, on="company_id", how="left", maintain_order="left")
    rank = pl.max_horizontal(_rank("date_precision"), _rank("__prec"))
    later = _period_number(pl.col("announced_on"), rank) >= _period_number(pl.col("__founded"), rank)
    return _ok(joined, _missing("announced_on") | _missing("__founded") | later)


def _to_usd(df: pl.DataFrame, col: str) -> pl.Expr:
    return pl.col(f"{col}_usd") if f"{col}_usd" in df.columns else pl.col(col)


def _ge(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    return (a >= b).fill_null(False)


@rule("rounds", "post_money_valuation", "post_below_amount", "post-money valuation is below the amount raised")
def _post_ge_amount(df, t):
    post, amount = _to_usd(df, "post_money_valuation"), _to_usd(df, "amount")
    return _ok(df, post.is_null() | amount.is_null() | _ge(post, amount * 0.999))


def _with_tranches(df: pl.DataFrame) -> pl.Expr:
    """Amount plus the tranches that extend this round without a valuation of their own.

    A round closed in tranches is priced once: pre-money + every tranche = post-money.
    """
    amount = _to_usd(df, "amount")
    unpriced = df.filter(_present("extension_of") & _missing("post_money_valuation") & _missing("pre_money_valuation"))
    extra = unpriced.group_by("extension_of").agg(amount.sum().alias("__extra"))
    added = df.select("round_id").join(extra, left_on="round_id", right_on="extension_of", how="left", maintain_order="left")
    return amount + pl.lit(added["__extra"].fill_null(0.0))


@rule("rounds", "post_money_valuation", "pre_plus_amount", "post-money differs from pre-money + amount (+ unpriced tranches) by more than 1%")
def _post_eq_pre_plus(df, t):
    pre, post, amount = _to_usd(df, "pre_money_valuation"), _to_usd(df, "post_money_valuation"), _with_tranches(df)
    known = pre.is_not_null() & post.is_not_null() & amount.is_not_null() & pl.col("round_type").ne_missing("secondary")
    return _ok(df, ~known | ((pre + amount - post).abs() <= 0.01 * post).fill_null(False))


@rule("rounds", "amount_usd", "usd_inconsistent", "amount_usd is not amount × fx_rate")
def _usd_consistent(df, t):
    if "amount_usd" not in df.columns:
        return _ok(df, True)
    expected = pl.col("amount") * pl.col("fx_rate")
    return _ok(df, _missing("amount_usd") | ((pl.col("amount_usd") - expected).abs() <= 0.01 + 1e-9 * expected.abs()).fill_null(False))


def _paired(value: str, other: str) -> pl.Expr:
    return _missing(value) == _missing(other)


@rule("rounds", "currency", "currency_with_amount", "an amount needs a currency")
def _amount_currency(df, t):
    # The reverse is allowed: "hundreds of millions of dollars" tells the currency, not the amount.
    return _ok(df, _missing("amount") | _present("currency"))


@rule("rounds", "amount_qualifier", "qualifier_with_amount", "an amount needs a qualifier, and a qualifier needs an amount")
def _amount_qualifier(df, t):
    return _ok(df, _paired("amount", "amount_qualifier"))


@rule("rounds", "valuation_currency", "valuation_currency", "a valuation needs valuation_currency, and only a valuation has one")
def _valuation_currency(df, t):
    return _ok(df, (_present("pre_money_valuation") | _present("post_money_valuation")) == _present("valuation_currency"))


@rule("round_investors", "currency", "currency_with_amount", "an amount needs a currency, and a currency needs an amount")
def _ri_currency(df, t):
    return _ok(df, _paired("amount", "currency"))


# ---- metrics, claims, sources ------------------------------------------------------------------------

@rule("metrics", "currency", "currency_with_unit", "currency is required when unit is currency and only then")
def _metric_currency(df, t):
    return _ok(df, _is("unit", "currency") == _present("currency"))


@rule("metrics", "value", "percent_range", "a percentage below -100 is impossible")
def _percent(df, t):
    return _ok(df, ~_is("unit", "percent") | _ge(pl.col("value"), pl.lit(-100)))


@rule("metrics", "value_high", "range", "value_high needs qualifier range and must not be below value")
def _metric_range(df, t):
    has = _present("value_high")
    return _ok(df, (has == _is("qualifier", "range")) & (~has | _ge(pl.col("value_high"), pl.col("value"))))


@rule("cumulative_claims", "window_end", "window_order", "window_end is before window_start")
def _window(df, t):
    return _ok(df, _missing("window_start") | _ge(pl.col("window_end"), pl.col("window_start")))


@rule("companies", "founded_precision", "precision_with_date", "founded_precision is required with founded_on and only then")
def _company_precision(df, t):
    return _ok(df, _paired("founded_on", "founded_precision"))


@rule("sources", "published_precision", "precision_with_date", "published_precision is required with published_on and only then")
def _source_precision(df, t):
    return _ok(df, _paired("published_on", "published_precision"))


@rule("sources", "address", "no_location", "a source needs an address or a local copy")
def _source_location(df, t):
    return _ok(df, _present("address") | _present("local_copy"))


def _not_future(table: str, column: str) -> None:
    def check(df: pl.DataFrame, t: Tables) -> pl.Series:
        return _ok(df, _missing(column) | (pl.col(column) <= pl.lit(date.today())))
    RULES.append(Rule(table, column, "future_date", "date is after the build date", check))


for _t, _c in [("rounds", "announced_on"), ("rounds", "closed_on"), ("companies", "founded_on"), ("sources", "published_on"),
               ("metrics", "period_end")]:
    _not_future(_t, _c)


# ---- provenance ------------------------------------------------------------------------------------------

IMPLIED = {"pre_money_valuation": "implied_pre", "post_money_valuation": "implied_post"}


def _backed(table: str, column: str, field: str | None) -> None:
    pk = ts.primary_key(table)[0]

    def check(df: pl.DataFrame, t: Tables) -> pl.Series:
        backed = _isin(df, pk, _accepted(t, table, field)["fact_id"])
        if field is None:
            return _ok(df, backed)
        # A valuation the build derived from the other two figures needs no report of its own.
        derived = _is("valuation_basis", IMPLIED[field]) if field in IMPLIED and "valuation_basis" in df.columns else pl.lit(False)
        return _ok(df, _missing(column) | backed | derived)

    what = f"its {field}" if field else "it"
    RULES.append(Rule(table, column, "no_accepted_report", f"no accepted report backs {what}", check))


for _t, _c, _f in [("rounds", "round_id", None), ("rounds", "amount", "amount"), ("rounds", "pre_money_valuation", "pre_money_valuation"),
                   ("rounds", "post_money_valuation", "post_money_valuation"), ("metrics", "value", "value"),
                   ("companies", "company_id", None)]:
    _backed(_t, _c, _f)


@rule("cumulative_claims", "claim_id", "no_report", "no report records this claim")
def _claim_reported(df, t):
    # A claim row records what was claimed; its reports judge it, so any verdict will do.
    return _ok(df, _isin(df, "claim_id", t["reports"].filter(_is("fact_table", "cumulative_claims"))["fact_id"]))


@rule("reports", "reason", "reason_required", "a report that is not accepted needs a reason")
def _reason(df, t):
    return _ok(df, _is("verdict", "accepted") | _present("reason"))


@rule("reports", "value_as_reported", "accepted_mismatch", "accepted report disagrees with the believed figure")
def _accepted_matches(df, t):
    if "check" not in df.columns:
        return _ok(df, True)
    return _ok(df, ~(_is("verdict", "accepted") & _is("check", "mismatch")))


@rule("reports", "value_as_reported", "accepted_unit_conflict", "two accepted reports on one fact differ by a power of ten")
def _accepted_unit_conflict(df, t):
    flags = t.get("unit_flags")
    if flags is None or flags.is_empty():
        return _ok(df, True)
    accepted = df.filter(_is("verdict", "accepted"))["report_id"]
    both = flags.filter(_isin(flags, "report_id", accepted) & _isin(flags, "other_report_id", accepted))
    return _ok(df, ~_isin(df, "report_id", pl.concat([both["report_id"], both["other_report_id"]])))


# ---- running ----------------------------------------------------------------------------------------------

def _rule_schema(table: str, tables: Tables, severity: str):
    import pandera.polars as pap

    def verdict(r: Rule) -> pl.Series:
        ok = r.fn(tables[table], tables)
        if len(ok) != tables[table].height:  # a join that multiplied rows would shift every verdict
            raise RuntimeError(f"rule {r.name}:{r.column} on {table} returned {len(ok)} verdicts for {tables[table].height} rows")
        return ok

    def check(r: Rule):
        return pap.Check(lambda data: data.lazyframe.select(pl.lit(verdict(r)).alias(r.name)), name=f"{r.name}:{r.column}")

    return pap.DataFrameSchema(checks=[check(r) for r in RULES if r.table == table and r.severity == severity], name=table)


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


def _shown(value: object) -> str:
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    return str(value)


def _from_failures(failure_cases: pd.DataFrame, table: str, file: str, value_at: Callable[[object, str], object], severity: str,
                   line_of: Callable[[object], int]) -> list[Problem]:
    """Problems from Pandera's failure cases (either backend, as pandas).

    `value_at(index, column)` gives the cell a failure's index points at, or raises KeyError;
    `line_of(index)` the editor line of that row.
    """
    out = []
    fc = failure_cases
    # A frame-wide check may be reported once per column; one problem per row is enough.
    fc = fc.drop_duplicates(subset=["check", "index"]) if "DataFrameSchema" in set(fc["schema_context"]) else fc
    for row in fc.to_dict("records"):
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
        known = idx is not None and not (isinstance(idx, float) and np.isnan(idx))
        line = line_of(idx) if known else 0
        value = row["failure_case"]
        try:
            if line and column:
                value = value_at(idx, column)
            if rule_name == "duplicate_key":
                column = "+".join(ts.primary_key(table))
                value = " + ".join(str(value_at(idx, c)) for c in ts.primary_key(table))
        except KeyError:
            value = "" if rule_name == "duplicate_key" else value
        msg = _message(table, column, rule_name, check)
        out.append(Problem(file, int(line), column, rule_name, msg, _shown(value), _hint(table, column, rule_name, value), severity))
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


def _polars_cell(df: pl.DataFrame) -> Callable[[object, str], object]:
    def value_at(pos: object, column: str) -> object:
        if column not in df.columns or not 0 <= int(pos) < df.height:
            raise KeyError(column)
        return df[column][int(pos)]
    return value_at


def validate_tables(tables: Tables, file_of: Callable[[str], str], line_of: Callable[[str, int], int],
                    curated: bool = False) -> list[Problem]:
    """Every column, table and cross-table rule over `tables`; all problems, not the first.

    Runs on Pandera's polars backend. `line_of(table, pos)` gives the editor line of the row
    at position `pos`.
    """
    import pandera.polars as pap

    problems: list[Problem] = []

    def collect(schema, table: str, severity: str) -> None:
        nonlocal problems
        try:
            schema.validate(tables[table], lazy=True)
        except pap.errors.SchemaErrors as e:
            fc = e.failure_cases.to_pandas()
            problems += _from_failures(fc, table, file_of(table), _polars_cell(tables[table]), severity,
                                       lambda pos, t=table: line_of(t, int(pos)))

    for table in tables:
        collect(polars_table_schema(table, curated=curated), table, "error")
    if all(t in tables for t in ts.curated_tables()):
        for table in tables:
            for severity in ("error", "warning"):
                collect(_rule_schema(table, tables, severity), table, severity)
    return problems
