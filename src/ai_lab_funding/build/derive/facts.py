"""Derive the fact tables: implied valuations and USD values of rounds, tickets and metrics."""

from __future__ import annotations

import polars as pl

from ...schemas import tables as ts
from .base import Log, fact_id, usd
from .fx import FxTable

# Months a period end reaches past its own month, by how precisely it is known: a quarter
# is written as its first day and runs two months more, a year as 1 January and eleven.
END_REACH = {"day": 0, "month": 0, "quarter": 2, "year": 11}


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
        .then(pl.lit(ts.IMPLIED_BASIS["post_money_valuation"]))
        .when(implied_pre)
        .then(pl.lit(ts.IMPLIED_BASIS["pre_money_valuation"]))
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


def time_basis() -> dict[str, str]:
    """Each metric kind's time basis (flow, annual_rate, point), as its schema declares it.

    Declared once, on the `metric` column (`x-timeBasis`), so the data dictionary shows
    it beside each kind and a new kind is classified where it is added.
    """
    return ts.field("metrics", "metric")["x-timeBasis"]


def _month_number(date: pl.Expr) -> pl.Expr:
    return date.dt.year().cast(pl.Int64) * 12 + date.dt.month().cast(pl.Int64)


def with_periods(metrics: pl.DataFrame) -> pl.DataFrame:
    """Metrics with `period_months` and `annualised`, from the metric kind and period dates.

    Only a flow's length matters when adding figures up: a yearly rate is per year
    whatever the dates say, and a level has no length. A period whose end precedes its
    start gets no length; the rules report it (`x-notBefore`).
    """
    basis = pl.col("metric").replace_strict(time_basis(), default=None, return_dtype=pl.String)
    reach = pl.col("period_precision").replace_strict(
        END_REACH, default=None, return_dtype=pl.Int64
    )
    start, end = pl.col("period_start"), pl.col("period_end")
    months = _month_number(end) + reach - _month_number(start) + 1
    return metrics.with_columns(
        pl.when((basis == "flow") & (end >= start)).then(months).alias("period_months"),
        pl.when(basis == "annual_rate")
        .then(True)
        .when(basis == "flow")
        .then(False)
        .alias("annualised"),
    )


def derive_metrics(metrics: pl.DataFrame, fx: FxTable, log: Log) -> pl.DataFrame:
    """Metrics with money values in USD at the rate of the period's end, and period lengths."""
    money = pl.when(pl.col("unit") == "currency").then(pl.col("value"))
    return with_periods(metrics).with_columns(
        value_usd=usd(metrics, fx, money, "currency", "period_end", "metrics", log)["usd"]
    )


def derive_tickets(
    tickets: pl.DataFrame, rounds: pl.DataFrame, fx: FxTable, log: Log
) -> pl.DataFrame:
    """Tickets with their key, their round's company and date, and their amount in USD.

    The key (`ticket_id`) is what reports on a ticket name. A ticket of a round nobody
    has is an error on its own row; it gets no company, date or rate.
    """
    day = rounds.unique("round_id", keep="first", maintain_order=True).select(
        "round_id", "company_id", "announced_on"
    )
    t = tickets.join(day, on="round_id", how="left", maintain_order="left")
    money = usd(t, fx, "amount", "currency", "announced_on", "round_investors", log)
    return t.with_columns(fact_id("round_investors").alias("ticket_id"), amount_usd=money["usd"])


def with_leads(rounds: pl.DataFrame, tickets: pl.DataFrame) -> pl.DataFrame:
    """Rounds with `lead_investor_ids` from the tickets whose role is lead or co_lead.

    Leads are curated once, in round_investors; this view of them cannot disagree.
    """
    leads = (
        tickets.filter(pl.col("role").is_in(["lead", "co_lead"]))
        .group_by("round_id", maintain_order=True)
        .agg(pl.col("investor_id").str.join(";").alias("lead_investor_ids"))
    )
    joined = rounds.select("round_id").join(leads, on="round_id", how="left", maintain_order="left")
    return rounds.with_columns(joined["lead_investor_ids"])
