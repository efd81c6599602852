"""Rules on the counting model: what kind of money a round is, and what it is counted in.

`funding_totals` and the claim sums trust these columns to count each dollar once, so
they must agree with the round's type and instrument, point at a round that is itself
counted, and keep conditional money within the amount. A claim must say whose money it
adds up, and an accepted claim far from the money on record in its scope is shown.
"""

from __future__ import annotations

import polars as pl

from ..derive.totals import COUNTED_STATUSES
from .base import Rule, Tables, equals, missing, present, verdict

# A round type or instrument that says what kind of money a round is.
_KIND_OF_TYPE = {"secondary": "secondary_sale", "ipo": "ipo_proceeds", "debt": "debt"}
_KIND_OF_INSTRUMENT = {
    "secondary_shares": "secondary_sale",
    "ipo_shares": "ipo_proceeds",
    "debt": "debt",
    "cloud_credits": "compute_credits",
}
# Claimed totals and sums of rounds are both rounded figures: how far apart they may be.
_SLACK = {"exact": 0.05, "about": 0.15, "range": 0.15}


def _implied_kind(df: pl.DataFrame) -> pl.Expr:
    by_type = pl.col("round_type").replace_strict(_KIND_OF_TYPE, default=None)
    by_instrument = pl.col("instrument").replace_strict(_KIND_OF_INSTRUMENT, default=None)
    return pl.coalesce(by_type, by_instrument)


def _kind_agrees(df: pl.DataFrame, t: Tables) -> pl.Series:
    implied = _implied_kind(df)
    agrees = implied.is_null() | (implied == pl.col("money_kind"))
    # Only a round of those types or instruments can be that kind of money.
    claimed = pl.col("money_kind").is_in(list(_KIND_OF_TYPE.values())) & implied.is_null()
    return verdict(df, missing("money_kind") | (agrees & ~claimed))


def _conditional_within(df: pl.DataFrame, t: Tables) -> pl.Series:
    c = pl.col("conditional_amount")
    return verdict(df, missing("conditional_amount") | (c <= pl.col("amount")))


def _target(df: pl.DataFrame, t: Tables, link: str) -> pl.DataFrame:
    """Each row's linked round: its company, status and kind (empty where none)."""
    rounds = t["rounds"].unique("round_id", keep="first", maintain_order=True)
    return df.select(link).join(
        rounds.select(
            pl.col("round_id").alias(link),
            pl.col("company_id").alias("__company"),
            pl.col("status").alias("__status"),
            pl.col("money_kind").alias("__kind"),
        ),
        on=link,
        how="left",
        maintain_order="left",
    )


def _link_same_company(link: str) -> Rule:
    def check(df: pl.DataFrame, t: Tables) -> pl.Series:
        other = _target(df, t, link)["__company"]
        same = pl.col("company_id").eq_missing(pl.lit(other)) | pl.lit(other).is_null()
        return verdict(df, missing(link) | (same & pl.col(link).ne_missing(pl.col("round_id"))))

    message = "must name another round of the same company"
    return Rule("link_company", "rounds", link, message, check)


def _counted_in_counted(df: pl.DataFrame, t: Tables) -> pl.Series:
    target = _target(df, t, "counted_in")
    counted = pl.lit(target["__status"]).is_in(COUNTED_STATUSES) & (
        pl.lit(target["__kind"]) == pl.col("money_kind")
    )
    unknown = pl.lit(target["__status"]).is_null()  # a missing round is a foreign-key error
    return verdict(df, missing("counted_in") | unknown | counted)


def _scope_investors(df: pl.DataFrame, t: Tables) -> pl.Series:
    wanted = equals("scope", "investor_commitments")
    return verdict(df, missing("scope") | (wanted == present("scope_investor_ids")))


def _accepted_claims(t: Tables) -> pl.Series:
    reports = t["reports"]
    return reports.filter(
        equals("fact_table", "cumulative_claims") & equals("verdict", "accepted")
    )["fact_id"]


def _claim_matches(df: pl.DataFrame, t: Tables) -> pl.Series:
    """An accepted claim and the money on record in its scope can both be right.

    The claim stands for a range by its qualifier (at least, up to, about, exact), the sum
    for one too (a lower bound reaches up without end); the rule fails when the ranges do
    not meet. Claims without an accepted report are sources' numbers the dataset does not
    believe, and are not held to anything.
    """
    if "rounds_sum_usd" not in df.columns:
        return verdict(df, True)
    claim, total = pl.col("claimed_amount_usd"), pl.col("rounds_sum_usd")
    slack = pl.col("claimed_qualifier").replace_strict(_SLACK, default=0.0, return_dtype=pl.Float64)
    low = pl.when(pl.col("claimed_qualifier") == "up_to").then(0.0).otherwise(claim * (1 - slack))
    high = (
        pl.when(pl.col("claimed_qualifier") == "at_least")
        .then(float("inf"))
        .otherwise(claim * (1 + slack))
    )
    sum_high = pl.when(pl.col("sum_is_lower_bound")).then(float("inf")).otherwise(total * 1.1)
    meet = (low <= sum_high) & (high >= total * 0.9)
    believed = pl.col("claim_id").is_in(_accepted_claims(t).implode())
    return verdict(df, ~believed | claim.is_null() | (pl.col("rounds_counted") == 0) | meet)


def _claim_gap(df: pl.DataFrame, t: Tables) -> pl.Series:
    return df.select(
        pl.format(
            "rounds in scope add up to ${}M{} ({} rounds); difference {}%",
            (pl.col("rounds_sum_usd") / 1e6).round(0),
            pl.when(pl.col("sum_is_lower_bound")).then(pl.lit(" or more")).otherwise(pl.lit("")),
            pl.col("rounds_counted"),
            pl.col("difference_pct"),
        ).alias("d")
    )["d"]


def rules() -> list[Rule]:
    """The rules on money kinds, conditional amounts, counted-in links and claim scopes."""
    return [
        Rule(
            "money_kind",
            "rounds",
            "money_kind",
            "money_kind disagrees with round_type or instrument (a secondary, IPO or debt"
            " round, or secondary shares, IPO shares, debt or cloud credits)",
            _kind_agrees,
            followup=True,
        ),
        Rule(
            "conditional_above_amount",
            "rounds",
            "conditional_amount",
            "conditional_amount needs an amount and cannot exceed it",
            _conditional_within,
            followup=True,
        ),
        _link_same_company("counted_in"),
        _link_same_company("overlaps_with"),
        Rule(
            "counted_in_uncounted",
            "rounds",
            "counted_in",
            "the round this one is counted in is not closed or announced, or holds another"
            " kind of money, so this round's money would be counted nowhere",
            _counted_in_counted,
            followup=True,
        ),
        Rule(
            "scope_investors",
            "cumulative_claims",
            "scope_investor_ids",
            "scope investor_commitments needs scope_investor_ids, and only it has them",
            _scope_investors,
            followup=True,
        ),
        Rule(
            "claim_off_record",
            "cumulative_claims",
            "claimed_amount",
            "an accepted claim cannot be squared with the rounds on record in its scope and window",
            _claim_matches,
            severity="warning",
            detail=_claim_gap,
        ),
    ]
