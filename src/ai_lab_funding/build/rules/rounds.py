"""Rules on rounds and their investors: leads, founding dates, valuation arithmetic, currencies."""

from __future__ import annotations

import polars as pl

from .base import (
    _ROW,
    Rule,
    Tables,
    at_least,
    equals,
    failing_rows,
    isin,
    missing,
    paired,
    present,
    verdict,
)


def _lead_pairs(rounds: pl.DataFrame) -> pl.DataFrame:
    """One (row, round_id, investor_id) per lead named in `lead_investor_ids`."""
    return (
        rounds.select(
            pl.int_range(pl.len(), dtype=pl.UInt32).alias(_ROW),
            "round_id",
            pl.col("lead_investor_ids").str.split(";").alias("investor_id"),
        )
        .explode("investor_id")
        .filter(pl.col("investor_id").is_not_null() & (pl.col("investor_id") != ""))
    )


def _has_pair(rows: pl.DataFrame, pairs: pl.DataFrame) -> pl.Expr:
    """Whether each (round_id, investor_id) of `rows` is among `pairs`."""
    return isin(rows, ["round_id", "investor_id"], pairs)


def _lead_listed(df: pl.DataFrame, t: Tables) -> pl.Series:
    leads = _lead_pairs(df)
    ri = t["round_investors"].filter(pl.col("role").is_in(["lead", "co_lead"]))
    return failing_rows(df.height, leads.filter(~_has_pair(leads, ri))[_ROW])


def _lead_declared(df: pl.DataFrame, t: Tables) -> pl.Series:
    return verdict(df, equals("role", "participant") | _has_pair(df, _lead_pairs(t["rounds"])))


# Dates compared at a precision: a period number that grows with time at that granularity.
_PERIOD_RANK = {"day": 0, "month": 1, "quarter": 2, "year": 3}


def _rank(col: str) -> pl.Expr:
    ranks = pl.col(col).replace_strict(_PERIOD_RANK, default=0, return_dtype=pl.Int8)
    return ranks.fill_null(0)


def _period_number(d: pl.Expr, rank: pl.Expr) -> pl.Expr:
    year, month = d.dt.year().cast(pl.Int64), d.dt.month().cast(pl.Int64)
    return (
        pl.when(rank == 3)
        .then(year)
        .when(rank == 2)
        .then(year * 4 + (month - 1) // 3)
        .when(rank == 1)
        .then(year * 12 + month)
        .otherwise(d.cast(pl.Date).cast(pl.Int64))
    )


def _after_founding(df: pl.DataFrame, t: Tables) -> pl.Series:
    # One row per company, so the join keeps one row per round even when a key is
    # duplicated (reported elsewhere).
    c = (
        t["companies"]
        .select(
            "company_id",
            pl.col("founded_on").alias("__founded"),
            pl.col("founded_precision").alias("__prec"),
        )
        .unique("company_id", keep="first", maintain_order=True)
    )
    # Compared at the coarser precision: a round "in 2021" is fine for a company
    # "founded December 2021".
    joined = df.select("company_id", "announced_on", "date_precision").join(
        c, on="company_id", how="left", maintain_order="left"
    )
    rank = pl.max_horizontal(_rank("date_precision"), _rank("__prec"))
    later = _period_number(pl.col("announced_on"), rank) >= _period_number(
        pl.col("__founded"), rank
    )
    return verdict(joined, missing("announced_on") | missing("__founded") | later)


def _in_usd(df: pl.DataFrame, col: str) -> pl.Expr:
    """The column in US dollars where the build derived that, else as it is."""
    return pl.col(f"{col}_usd") if f"{col}_usd" in df.columns else pl.col(col)


def _post_ge_amount(df: pl.DataFrame, t: Tables) -> pl.Series:
    post, amount = _in_usd(df, "post_money_valuation"), _in_usd(df, "amount")
    return verdict(df, post.is_null() | amount.is_null() | at_least(post, amount * 0.999))


def _with_tranches(df: pl.DataFrame) -> pl.Expr:
    """Amount plus the tranches that extend this round without a valuation of their own.

    A round closed in tranches is priced once: pre-money + every tranche = post-money.
    """
    amount = _in_usd(df, "amount")
    unpriced = df.filter(
        present("extension_of") & missing("post_money_valuation") & missing("pre_money_valuation")
    )
    extra = unpriced.group_by("extension_of").agg(amount.sum().alias("__extra"))
    added = df.select("round_id").join(
        extra, left_on="round_id", right_on="extension_of", how="left", maintain_order="left"
    )
    return amount + pl.lit(added["__extra"].fill_null(0.0))


def _post_eq_pre_plus(df: pl.DataFrame, t: Tables) -> pl.Series:
    pre, post = _in_usd(df, "pre_money_valuation"), _in_usd(df, "post_money_valuation")
    amount = _with_tranches(df)
    known = (
        pre.is_not_null()
        & post.is_not_null()
        & amount.is_not_null()
        & pl.col("round_type").ne_missing("secondary")
    )
    return verdict(df, ~known | ((pre + amount - post).abs() <= 0.01 * post).fill_null(False))


def _usd_consistent(df: pl.DataFrame, t: Tables) -> pl.Series:
    if "amount_usd" not in df.columns:
        return verdict(df, True)
    expected = pl.col("amount") * pl.col("fx_rate")
    close = (pl.col("amount_usd") - expected).abs() <= 0.01 + 1e-9 * expected.abs()
    return verdict(df, missing("amount_usd") | close.fill_null(False))


def _amount_currency(df: pl.DataFrame, t: Tables) -> pl.Series:
    # The reverse is allowed: "hundreds of millions of dollars" tells the currency, not the amount.
    return verdict(df, missing("amount") | present("currency"))


def _amount_qualifier(df: pl.DataFrame, t: Tables) -> pl.Series:
    return verdict(df, paired("amount", "amount_qualifier"))


def _valuation_currency(df: pl.DataFrame, t: Tables) -> pl.Series:
    valued = present("pre_money_valuation") | present("post_money_valuation")
    return verdict(df, valued == present("valuation_currency"))


def _ticket_currency(df: pl.DataFrame, t: Tables) -> pl.Series:
    return verdict(df, paired("amount", "currency"))


def rules() -> list[Rule]:
    """The rules on rounds and round investors."""
    return [
        Rule(
            "lead_not_in_round",
            "rounds",
            "lead_investor_ids",
            "a lead is not in round_investors as lead or co_lead of this round",
            _lead_listed,
        ),
        Rule(
            "lead_not_in_round",
            "round_investors",
            "role",
            "investor is a lead here but not in the round's lead_investor_ids",
            _lead_declared,
        ),
        Rule(
            "before_founding",
            "rounds",
            "announced_on",
            "round is dated before its company was founded",
            _after_founding,
            followup=True,
        ),
        Rule(
            "post_below_amount",
            "rounds",
            "post_money_valuation",
            "post-money valuation is below the amount raised",
            _post_ge_amount,
            followup=True,
        ),
        Rule(
            "pre_plus_amount",
            "rounds",
            "post_money_valuation",
            "post-money differs from pre-money + amount (+ unpriced tranches) by more than 1%",
            _post_eq_pre_plus,
            followup=True,
        ),
        Rule(
            "usd_inconsistent",
            "rounds",
            "amount_usd",
            "amount_usd is not amount × fx_rate",
            _usd_consistent,
        ),
        Rule(
            "currency_with_amount",
            "rounds",
            "currency",
            "an amount needs a currency",
            _amount_currency,
            followup=True,
        ),
        Rule(
            "qualifier_with_amount",
            "rounds",
            "amount_qualifier",
            "an amount needs a qualifier, and a qualifier needs an amount",
            _amount_qualifier,
            followup=True,
        ),
        Rule(
            "valuation_currency",
            "rounds",
            "valuation_currency",
            "a valuation needs valuation_currency, and only a valuation has one",
            _valuation_currency,
            followup=True,
        ),
        Rule(
            "currency_with_amount",
            "round_investors",
            "currency",
            "an amount needs a currency, and a currency needs an amount",
            _ticket_currency,
            followup=True,
        ),
    ]
