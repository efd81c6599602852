"""Derive the fact tables: implied valuations and USD values of rounds, metrics and claims."""

from __future__ import annotations

import polars as pl

from .base import Log, rounded, usd
from .fx import FxTable

COUNTED_STATUSES = ("closed", "announced")


def derive_rounds(rounds: pl.DataFrame, fx: FxTable, log: Log) -> pl.DataFrame:
    """Rounds with the valuation implied by the other two figures, and USD at the day's rate."""
    pre, post, amount = (
        pl.col("pre_money_valuation"),
        pl.col("post_money_valuation"),
        pl.col("amount"),
    )
    same_ccy = pl.col("valuation_currency") == pl.col("currency")
    implied_post = (post.is_null() & pre.is_not_null() & amount.is_not_null() & same_ccy).fill_null(
        False
    )
    implied_pre = (
        pre.is_null() & post.is_not_null() & amount.is_not_null() & same_ccy & (post > amount)
    ).fill_null(False)
    r = rounds.with_columns(
        pl.when(implied_post).then(pre + amount).otherwise(post).alias("post_money_valuation"),
        pl.when(implied_pre).then(post - amount).otherwise(pre).alias("pre_money_valuation"),
        pl.when(implied_post)
        .then(pl.lit("implied_post"))
        .when(implied_pre)
        .then(pl.lit("implied_pre"))
        .when(pre.is_not_null() | post.is_not_null())
        .then(pl.lit("reported"))
        .alias("valuation_basis"),
    )
    money = usd(r, fx, "amount", "currency", "announced_on", "rounds", log)
    r = r.with_columns(fx_rate=money["rate"], fx_date=money["rate_date"], amount_usd=money["usd"])
    for col in ("pre_money_valuation", "post_money_valuation"):
        r = r.with_columns(
            usd(r, fx, col, "valuation_currency", "announced_on", "rounds", log)["usd"].alias(
                f"{col}_usd"
            )
        )
    return r


def derive_metrics(metrics: pl.DataFrame, fx: FxTable, log: Log) -> pl.DataFrame:
    """Metrics with money values in USD at the rate of the period's end."""
    money = pl.when(pl.col("unit") == "currency").then(pl.col("value"))
    return metrics.with_columns(
        value_usd=usd(metrics, fx, money, "currency", "period_end", "metrics", log)["usd"]
    )


def derive_claims(
    claims: pl.DataFrame, rounds: pl.DataFrame, fx: FxTable, log: Log
) -> pl.DataFrame:
    """Claims in USD beside the sum of the closed and announced rounds in their window.

    No window start means since founding; the difference shows how far the claim is from
    the rounds on record instead of hiding it.
    """
    c = claims.with_columns(
        claimed_amount_usd=usd(
            claims, fx, "claimed_amount", "currency", "window_end", "cumulative_claims", log
        )["usd"]
    )
    counted = rounds.filter(
        pl.col("status").is_in(COUNTED_STATUSES) & pl.col("amount_usd").is_not_null()
    ).select("company_id", "round_id", "announced_on", "amount_usd")
    pairs = c.select("claim_id", "company_id", "window_start", "window_end").join(
        counted, on="company_id"
    )
    # No window start means since founding.
    inside = pairs.filter(
        (pl.col("window_start").is_null() | (pl.col("announced_on") >= pl.col("window_start")))
        & (pl.col("announced_on") <= pl.col("window_end"))
    )
    sums = (
        inside.sort("claim_id", "announced_on", "round_id", maintain_order=True)
        .group_by("claim_id", maintain_order=True)
        .agg(
            pl.len().cast(pl.Int64).alias("rounds_counted"),
            pl.col("round_id").str.join(";").alias("round_ids"),
            pl.col("amount_usd").sum().alias("rounds_sum_usd"),
        )
    )
    c = c.join(sums, on="claim_id", how="left", maintain_order="left").with_columns(
        pl.col("rounds_counted").fill_null(0), rounded(pl.col("rounds_sum_usd").fill_null(0.0), 2)
    )
    c = c.with_columns(
        difference_usd=rounded(pl.col("claimed_amount_usd") - pl.col("rounds_sum_usd"), 2)
    )
    pct = pl.when(pl.col("rounds_sum_usd") > 0).then(
        pl.col("difference_usd") / pl.col("rounds_sum_usd") * 100
    )
    return c.with_columns(difference_pct=rounded(pct, 2))
