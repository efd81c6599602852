"""Rules on the counting model: what kind of money a round is, and what it is counted in.

`funding_totals` and the claim sums trust these columns to count each dollar once, so
they must agree with the round's type and instrument, point at a round that is itself
counted, and keep conditional money within the amount. A claim must say whose money it
adds up, and an accepted claim far from the money on record in its scope is shown.
"""

from __future__ import annotations

import narwhals as nw
import polars as pl

from ..derive.totals import COUNTED_STATUSES
from .base import Rule, Tables
from .portable import NwTables, eq_missing, failing, has, nothing, one_per, portable_rule

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


def _mapped(col: str, mapping: dict[str, str]) -> nw.Expr:
    """The value `mapping` gives the column's value; missing for any other value."""
    out = nw.lit(None, nw.String)
    for key, value in mapping.items():
        out = nw.when(nw.col(col) == key).then(nw.lit(value)).otherwise(out)
    return out


def _implied_kind() -> nw.Expr:
    by_type = _mapped("round_type", _KIND_OF_TYPE)
    return nw.coalesce(by_type, _mapped("instrument", _KIND_OF_INSTRUMENT))


def _kind_agrees(own: nw.LazyFrame, t: NwTables) -> nw.LazyFrame:
    implied = _implied_kind()
    agrees = implied.is_null() | (implied == nw.col("money_kind"))
    # Only a round of those types or instruments can be that kind of money.
    claimed = nw.col("money_kind").is_in(list(_KIND_OF_TYPE.values())) & implied.is_null()
    return failing(own, nw.col("money_kind").is_null() | (agrees & ~claimed.fill_null(False)))


def _conditional_within(own: nw.LazyFrame, t: NwTables) -> nw.LazyFrame:
    c = nw.col("conditional_amount")
    return failing(own, c.is_null() | (c <= nw.col("amount")))


def _target(own: nw.LazyFrame, t: NwTables, link: str) -> nw.LazyFrame:
    """Each row with its linked round's company, status and kind (missing where none)."""
    rounds = t["rounds"].select(
        nw.col("round_id").alias("__target"),
        nw.col("company_id").alias("__company"),
        nw.col("status").alias("__status"),
        nw.col("money_kind").alias("__kind"),
    )
    return own.join(one_per(rounds, "__target"), left_on=link, right_on="__target", how="left")


def _link_same_company(link: str) -> Rule:
    def check(own: nw.LazyFrame, t: NwTables) -> nw.LazyFrame:
        other = nw.col("__company")
        same = eq_missing(nw.col("company_id"), other) | other.is_null()
        itself = eq_missing(nw.col(link), nw.col("round_id"))
        return failing(_target(own, t, link), nw.col(link).is_null() | (same & ~itself))

    message = "must name another round of the same company"
    return portable_rule("link_company", "rounds", link, message, check)


def _counted_in_counted(own: nw.LazyFrame, t: NwTables) -> nw.LazyFrame:
    target = _target(own, t, "counted_in")
    counted = nw.col("__status").is_in(list(COUNTED_STATUSES)) & (
        nw.col("__kind") == nw.col("money_kind")
    )
    unknown = nw.col("__status").is_null()  # a missing round is a foreign-key error
    return failing(target, nw.col("counted_in").is_null() | unknown | counted)


def _scope_investors(own: nw.LazyFrame, t: NwTables) -> nw.LazyFrame:
    wanted = (nw.col("scope") == "investor_commitments").fill_null(False)
    named = ~nw.col("scope_investor_ids").is_null()
    return failing(own, nw.col("scope").is_null() | (wanted == named))


def _claim_matches(own: nw.LazyFrame, t: NwTables) -> nw.LazyFrame:
    """An accepted claim and the money on record in its scope can both be right.

    The claim stands for a range by its qualifier (at least, up to, about, exact), the sum
    for one too (a lower bound reaches up without end); the rule fails when the ranges do
    not meet. Claims without an accepted report are sources' numbers the dataset does not
    believe, and are not held to anything. The sums are the derive step's, so the rule
    reads them where they are: on the build's derived tables and on a release.
    """
    if not has(own, "rounds_sum_usd"):
        return nothing(own)
    claim, total, qualifier = (
        nw.col("claimed_amount_usd"),
        nw.col("rounds_sum_usd"),
        nw.col("claimed_qualifier"),
    )
    slack = nw.lit(0.0)
    for name, value in _SLACK.items():
        slack = nw.when((qualifier == name).fill_null(False)).then(nw.lit(value)).otherwise(slack)
    endless = nw.lit(float("inf"))
    low = nw.when((qualifier == "up_to").fill_null(False)).then(nw.lit(0.0))
    high = nw.when((qualifier == "at_least").fill_null(False)).then(endless)
    sum_high = nw.when(nw.col("sum_is_lower_bound").fill_null(False)).then(endless)
    meet = (low.otherwise(claim * (1 - slack)) <= sum_high.otherwise(total * 1.1)) & (
        high.otherwise(claim * (1 + slack)) >= total * 0.9
    )
    accepted = (
        t["reports"]
        .filter(
            (nw.col("fact_table") == "cumulative_claims").fill_null(False)
            & (nw.col("verdict") == "accepted").fill_null(False)
        )
        .select(nw.col("fact_id").alias("claim_id"))
        .unique()
    )
    believed = own.join(accepted, on="claim_id", how="semi")
    return failing(believed, claim.is_null() | (nw.col("rounds_counted") == 0) | meet)


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
        portable_rule(
            "money_kind",
            "rounds",
            "money_kind",
            "money_kind disagrees with round_type or instrument (a secondary, IPO or debt"
            " round, or secondary shares, IPO shares, debt or cloud credits)",
            _kind_agrees,
            followup=True,
        ),
        portable_rule(
            "conditional_above_amount",
            "rounds",
            "conditional_amount",
            "conditional_amount needs an amount and cannot exceed it",
            _conditional_within,
            followup=True,
        ),
        _link_same_company("counted_in"),
        _link_same_company("overlaps_with"),
        portable_rule(
            "counted_in_uncounted",
            "rounds",
            "counted_in",
            "the round this one is counted in is not closed or announced, or holds another"
            " kind of money, so this round's money would be counted nowhere",
            _counted_in_counted,
            followup=True,
        ),
        portable_rule(
            "scope_investors",
            "cumulative_claims",
            "scope_investor_ids",
            "scope investor_commitments needs scope_investor_ids, and only it has them",
            _scope_investors,
            followup=True,
        ),
        portable_rule(
            "claim_off_record",
            "cumulative_claims",
            "claimed_amount",
            "an accepted claim cannot be squared with the rounds on record in its scope and window",
            _claim_matches,
            severity="warning",
            detail=_claim_gap,
        ),
    ]
