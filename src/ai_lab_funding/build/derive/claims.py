"""Hold each cumulative claim to the money in its own scope and window.

"Raised about X before its IPO" is not comparable with a sum that includes the IPO, and
"Microsoft has put in $13B" is not comparable with every round of OpenAI. A claim says
its scope; the rounds in that scope and window become pieces of money as for the
funding totals (`totals.money_pieces`) and are added up by the same `totals.add_up`, so
the difference a claim shows is the difference from what a total of that scope says.
"""

from __future__ import annotations

import polars as pl

from .base import Log, Tables, rounded, usd
from .fx import FxTable
from .totals import CONDITIONAL, COUNTED_STATUSES, PIECE, PRIMARY, add_up, money_pieces

# Which pieces each money scope adds up; `investor_commitments` is built from tickets.
SCOPE_KINDS = {
    "primary_funding": (PRIMARY,),
    "pre_ipo_private": (PRIMARY,),
    "primary_and_conditional": (PRIMARY, CONDITIONAL),
}


def _ipo_days(rounds: pl.DataFrame) -> pl.DataFrame:
    """Each company's first closed or announced IPO: where its pre-IPO money ends."""
    return (
        rounds.filter(
            (pl.col("money_kind") == "ipo_proceeds") & pl.col("status").is_in(COUNTED_STATUSES)
        )
        .group_by("company_id")
        .agg(pl.col("announced_on").min().alias("__ipo"))
    )


def _windows(claims: pl.DataFrame, rounds: pl.DataFrame) -> pl.DataFrame:
    """Each claim's window, its end moved to the day before the IPO for pre-IPO claims."""
    w = claims.select("claim_id", "company_id", "scope", "window_start", "window_end").join(
        _ipo_days(rounds), on="company_id", how="left", maintain_order="left"
    )
    before_ipo = (pl.col("scope") == "pre_ipo_private") & (pl.col("__ipo") <= pl.col("window_end"))
    end = pl.when(before_ipo).then(pl.col("__ipo") - pl.duration(days=1))
    return w.with_columns(end.otherwise(pl.col("window_end")).alias("window_end")).drop("__ipo")


def _inside(pairs: pl.DataFrame) -> pl.DataFrame:
    # No window start means since founding.
    start, end, day = pl.col("window_start"), pl.col("window_end"), pl.col("announced_on")
    return pairs.filter((start.is_null() | (day >= start)) & (day <= end))


def _money_scope(windows: pl.DataFrame, pieces: pl.DataFrame) -> pl.DataFrame:
    kinds = pl.DataFrame(
        [(s, k) for s, ks in SCOPE_KINDS.items() for k in ks],
        schema={"scope": pl.String, "counted_as": pl.String},
        orient="row",
    )
    return _inside(windows.join(kinds, on="scope").join(pieces, on=["company_id", "counted_as"]))


def _ticket_scope(
    windows: pl.DataFrame, claims: pl.DataFrame, pieces: pl.DataFrame, tickets: pl.DataFrame
) -> pl.DataFrame:
    """Pieces of the scope investors' money in each investor_commitments claim's window.

    A round only scope investors took part in counts whole (its committed money); in any
    other round each scope investor's ticket counts, and a ticket nobody reported makes
    the sum a lower bound.
    """
    named = (
        claims.filter(pl.col("scope") == "investor_commitments")
        .select("claim_id", pl.col("scope_investor_ids").str.split(";").alias("investor_id"))
        .explode("investor_id")
        .drop_nulls("investor_id")
        .unique()
    )
    tickets = tickets.select("round_id", "investor_id", "amount", "amount_usd")
    whole = pieces.filter(pl.col("counted_as") != CONDITIONAL)
    mine = (
        windows.join(named, on="claim_id")
        .join(tickets, on="investor_id")
        .join(whole, on=["company_id", "round_id"])
    )
    mine = _inside(mine)
    sizes = tickets.group_by("round_id").agg(pl.len().alias("__all"))
    counts = mine.group_by("claim_id", "round_id").agg(pl.len().alias("__mine"))
    mine = mine.join(counts, on=["claim_id", "round_id"]).join(sizes, on="round_id")
    alone = pl.col("__mine") == pl.col("__all")
    whole_rounds = mine.filter(alone).unique(["claim_id", "round_id"], maintain_order=True)
    own_tickets = mine.filter(~alone).with_columns(
        pl.col("amount_usd").alias("usd"),
        pl.col("amount").is_null().alias("undisclosed"),
        pl.lit(False).alias("at_least"),
    )
    return pl.concat([whole_rounds, own_tickets]).select("claim_id", *PIECE)


def claim_sums(claims: pl.DataFrame, t: Tables) -> pl.DataFrame:
    """Per claim: the rounds in its scope and window and what they add up to.

    The rounds become pieces of money once; both kinds of scope select from them.
    """
    windows = _windows(claims, t["rounds"])
    pieces = money_pieces(t["rounds"])
    in_scope = pl.concat(
        [
            _money_scope(windows, pieces).select("claim_id", *PIECE),
            _ticket_scope(windows, claims, pieces, t["round_investors"]),
        ]
    )
    sums = add_up(in_scope, ["claim_id"])
    return sums.select(
        "claim_id",
        "rounds_counted",
        "round_ids",
        pl.col("amount_usd").alias("rounds_sum_usd"),
        pl.col("is_lower_bound").alias("sum_is_lower_bound"),
    )


def derive_claims(claims: pl.DataFrame, t: Tables, fx: FxTable, log: Log) -> pl.DataFrame:
    """Claims in USD beside the sum of the money in their scope and window.

    No window start means since founding. The difference shows how far the claim is from
    the rounds on record instead of hiding it; a sum of nothing disclosed is 0, flagged
    as a lower bound.
    """
    c = claims.with_columns(
        claimed_amount_usd=usd(
            claims, fx, "claimed_amount", "currency", "window_end", "cumulative_claims", log
        )["usd"]
    )
    c = c.join(claim_sums(c, t), on="claim_id", how="left", maintain_order="left")
    c = c.with_columns(
        pl.col("rounds_counted").fill_null(0),
        rounded(pl.col("rounds_sum_usd").fill_null(0.0), 2),
        pl.col("sum_is_lower_bound").fill_null(False),
    )
    c = c.with_columns(
        difference_usd=rounded(pl.col("claimed_amount_usd") - pl.col("rounds_sum_usd"), 2)
    )
    pct = pl.when(pl.col("rounds_sum_usd") > 0).then(
        pl.col("difference_usd") / pl.col("rounds_sum_usd") * 100
    )
    return c.with_columns(difference_pct=rounded(pct, 2))
