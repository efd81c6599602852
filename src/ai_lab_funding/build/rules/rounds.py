"""Rules on rounds and their investors: leads, founding dates, valuation arithmetic, currencies."""

from __future__ import annotations

import narwhals as nw
import polars as pl

from .base import Rule, Tables
from .portable import NwTables, failing, has, lazy_tables, nothing, one_per, portable_rule


def _lead_role(own: nw.LazyFrame, t: NwTables) -> nw.LazyFrame:
    """A round led by one investor says `lead`; a round led by several says `co_lead` each.

    Reports naming co-leads are checked against these roles, so the two spellings of
    leading must not be mixed within one round.
    """
    leading = nw.col("role").is_in(["lead", "co_lead"]).fill_null(False)
    count = leading.cast(nw.Int64).sum().over("round_id")
    ok = ~leading | ((nw.col("role") == "lead") == (count == 1))
    return failing(own, nw.col("role").is_null() | ok)


# Dates compared at a precision: a period number that grows with time at that granularity.
_PERIOD_RANK = {"day": 0, "month": 1, "quarter": 2, "year": 3}


def _rank(col: str) -> nw.Expr:
    rank = nw.lit(0)
    for name, value in _PERIOD_RANK.items():
        rank = nw.when(nw.col(col) == name).then(nw.lit(value)).otherwise(rank)
    return rank


def _later_or_same(day: str, founded: str, rank: nw.Expr) -> nw.Expr:
    """`day` is in the period of `founded` or after it, both read at the precision `rank`."""
    d, f = nw.col(day), nw.col(founded)
    year = d.dt.year() >= f.dt.year()
    quarter = d.dt.year() * 4 + (d.dt.month() - 1) // 3 >= f.dt.year() * 4 + (f.dt.month() - 1) // 3
    month = d.dt.year() * 12 + d.dt.month() >= f.dt.year() * 12 + f.dt.month()
    return (
        nw.when(rank == 3)
        .then(year)
        .when(rank == 2)
        .then(quarter)
        .when(rank == 1)
        .then(month)
        .otherwise(d >= f)
    )


def _after_founding(own: nw.LazyFrame, t: NwTables) -> nw.LazyFrame:
    # One row per company, so the join keeps one row per round even when a key is
    # duplicated (reported elsewhere).
    c = one_per(
        t["companies"].select(
            "company_id",
            nw.col("founded_on").alias("__founded"),
            nw.col("founded_precision").alias("__prec"),
        ),
        "company_id",
    )
    joined = own.join(c, on="company_id", how="left")
    # Compared at the coarser precision: a round "in 2021" is fine for a company
    # "founded December 2021".
    rank = nw.max_horizontal(_rank("date_precision"), _rank("__prec"))
    later = _later_or_same("announced_on", "__founded", rank)
    return failing(joined, nw.col("announced_on").is_null() | nw.col("__founded").is_null() | later)


def _in_usd(own: nw.LazyFrame, col: str) -> nw.Expr:
    """The column in US dollars where the build derived that, else as it is."""
    return nw.col(f"{col}_usd") if has(own, f"{col}_usd") else nw.col(col)


def _post_ge_amount(own: nw.LazyFrame, t: NwTables) -> nw.LazyFrame:
    post, amount = _in_usd(own, "post_money_valuation"), _in_usd(own, "amount")
    return failing(own, post.is_null() | amount.is_null() | (post >= amount * 0.999))


def _with_tranches(own: nw.LazyFrame) -> tuple[nw.LazyFrame, nw.Expr]:
    """Each round with its amount plus the tranches that extend it without a valuation.

    A round closed in tranches is priced once: pre-money + every tranche = post-money.
    """
    amount = _in_usd(own, "amount")
    unpriced = own.filter(
        ~nw.col("extension_of").is_null()
        & nw.col("post_money_valuation").is_null()
        & nw.col("pre_money_valuation").is_null()
    )
    extra = unpriced.group_by("extension_of").agg(amount.sum().alias("__extra"))
    joined = own.join(extra, left_on="round_id", right_on="extension_of", how="left")
    return joined, amount + nw.col("__extra").fill_null(0.0)


def _post_eq_pre_plus(own: nw.LazyFrame, t: NwTables) -> nw.LazyFrame:
    pre, post = _in_usd(own, "pre_money_valuation"), _in_usd(own, "post_money_valuation")
    joined, amount = _with_tranches(own)
    known = (
        ~pre.is_null()
        & ~post.is_null()
        & ~amount.is_null()
        & (nw.col("round_type") != "secondary").fill_null(True)
    )
    return failing(joined, ~known | ((pre + amount - post).abs() <= 0.01 * post))


def _usd_consistent(own: nw.LazyFrame, t: NwTables) -> nw.LazyFrame:
    if not has(own, "amount_usd"):
        return nothing(own)
    expected = nw.col("amount") * nw.col("fx_rate")
    close = (nw.col("amount_usd") - expected).abs() <= 0.01 + 1e-9 * expected.abs()
    return failing(own, nw.col("amount_usd").is_null() | close.fill_null(False))


def _amount_currency(own: nw.LazyFrame, t: NwTables) -> nw.LazyFrame:
    # The reverse is allowed: "hundreds of millions of dollars" tells the currency, not the amount.
    return failing(own, nw.col("amount").is_null() | ~nw.col("currency").is_null())


def _paired(value: str, other: str) -> nw.Expr:
    """Both cells are filled or both are empty."""
    return nw.col(value).is_null() == nw.col(other).is_null()


def _amount_qualifier(own: nw.LazyFrame, t: NwTables) -> nw.LazyFrame:
    """An amount has a qualifier that says how it was stated; no amount, only `undisclosed`."""
    undisclosed = (nw.col("amount_qualifier") == "undisclosed").fill_null(False)
    stated = ~nw.col("amount_qualifier").is_null() & ~undisclosed
    return failing(own, nw.col("amount").is_null() == ~stated)


def _closed_amount(own: nw.LazyFrame, t: NwTables) -> nw.LazyFrame:
    """A closed round says how much it raised, or says that no source read tells."""
    closed = (nw.col("status") == "closed").fill_null(False)
    return failing(own, ~closed | ~nw.col("amount_qualifier").is_null())


def _valuation_currency(own: nw.LazyFrame, t: NwTables) -> nw.LazyFrame:
    valued = ~nw.col("pre_money_valuation").is_null() | ~nw.col("post_money_valuation").is_null()
    return failing(own, valued == ~nw.col("valuation_currency").is_null())


def _ticket_currency(own: nw.LazyFrame, t: NwTables) -> nw.LazyFrame:
    return failing(own, _paired("amount", "currency"))


# Relative slack when a ticket and its round are compared through two exchange rates.
_FX_SLACK = 0.01


def _ticket_usd(tickets: nw.LazyFrame, t: NwTables) -> tuple[nw.LazyFrame, nw.Expr]:
    """Each ticket in US dollars at the rate the build used on its round's date, if it used one.

    Tickets are not converted by the build; a ticket in another currency than its round
    is compared only when `fx_rates` holds its currency's rate for that day (or it is USD).
    """
    usd = nw.when(nw.col("currency") == "USD").then(nw.lit(1.0))
    if "fx_rates" not in t:
        return tickets, nw.col("amount") * usd
    rates = one_per(
        t["fx_rates"].select(
            "currency", nw.col("requested_on").alias("__day"), nw.col("rate").alias("__rate")
        ),
        ["currency", "__day"],
    )
    tickets = tickets.join(rates, on=["currency", "__day"], how="left")
    return tickets, nw.col("amount") * usd.otherwise(nw.col("__rate"))


def _ticket_within_round(own: nw.LazyFrame, t: NwTables) -> nw.LazyFrame:
    """No investor put more into a round than the whole round raised.

    Same currency: compared as they are; else both in US dollars; unknown: not compared.
    Only the tickets with an amount (few, most sources name no ticket) are joined.
    """
    rounds = t["rounds"]
    usd = nw.col("amount_usd") if has(rounds, "amount_usd") else nw.lit(None, nw.Float64)
    rounds = one_per(
        rounds.select(
            "round_id",
            nw.col("amount").alias("__round"),
            nw.col("currency").alias("__round_ccy"),
            usd.alias("__round_usd"),
            nw.col("announced_on").alias("__day"),
        ),
        "round_id",
    )
    tickets = own.filter(~nw.col("amount").is_null()).join(rounds, on="round_id", how="left")
    tickets, ticket_usd = _ticket_usd(tickets, t)
    above = (
        nw.when(nw.col("currency") == nw.col("__round_ccy"))
        .then(nw.col("amount") > nw.col("__round"))
        .otherwise(ticket_usd > nw.col("__round_usd") * (1 + _FX_SLACK))
    )
    return tickets.filter(above.fill_null(False))


_SAME = ["company_id", "announced_on", "amount", "currency"]


def _copy_pairs(own: nw.LazyFrame, t: NwTables) -> nw.LazyFrame:
    """(round_id, __other): two rounds with the same company, date, amount, currency and investors.

    Rounds are paired on the first four (a gap equals a gap, as in the polars original),
    and a pair is a copy when both have as many investors as they share: a set compared
    with joins and counts, which every engine runs, rather than a sorted list per round.
    A round without investors has the empty set.
    """
    keyed = own.filter(
        ~nw.col("round_id").is_null()
        & ~nw.col("company_id").is_null()
        & ~nw.col("announced_on").is_null()
    ).select(
        "round_id",
        *(nw.col(c).cast(nw.String).fill_null("\x00").alias(f"__{c}") for c in _SAME),
    )
    sig = [f"__{c}" for c in _SAME]
    pairs = (
        keyed.join(keyed.rename({"round_id": "__other"}), on=sig)
        .filter(nw.col("round_id") != nw.col("__other"))
        .select("round_id", "__other")
        .unique()
    )
    ri = (
        t["round_investors"]
        .filter(~nw.col("investor_id").is_null())
        .select("round_id", "investor_id")
        .unique()
    )
    size = ri.group_by("round_id").agg(nw.len().alias("__n"))
    shared = (
        pairs.join(ri, on="round_id")
        .join(ri.rename({"round_id": "__other"}), on=["__other", "investor_id"])
        .group_by("round_id", "__other")
        .agg(nw.len().alias("__shared"))
    )
    return (
        pairs.join(size, on="round_id", how="left")
        .join(size.rename({"round_id": "__other", "__n": "__n_other"}), on="__other", how="left")
        .join(shared, on=["round_id", "__other"], how="left")
        .filter(
            (nw.col("__n").fill_null(0) == nw.col("__n_other").fill_null(0))
            & (nw.col("__shared").fill_null(0) == nw.col("__n").fill_null(0))
        )
    )


def _distinct_rounds(own: nw.LazyFrame, t: NwTables) -> nw.LazyFrame:
    copied = _copy_pairs(own, t).select("round_id").unique()
    return own.join(copied, on="round_id", how="semi")


def _copies_named(df: pl.DataFrame, t: Tables) -> pl.Series:
    tables = lazy_tables(t)
    pairs = _copy_pairs(nw.from_native(df.lazy()), tables).collect().to_native()
    others = pairs.group_by("round_id").agg(pl.col("__other").unique().sort().str.join(", "))
    named = df.select("round_id").join(others, on="round_id", how="left", maintain_order="left")
    return named.select(pl.format("same as round_id {}", "__other").alias("detail"))["detail"]


def _one_per_id(rounds: pl.DataFrame) -> pl.DataFrame:
    """The rounds with each round_id once, so a join keeps one row per ticket."""
    return rounds.unique("round_id", keep="first", maintain_order=True)


def _round_amount(df: pl.DataFrame, t: Tables) -> pl.Series:
    amount = pl.col("amount").cast(pl.String).str.replace(r"\.0$", "")
    shown = _one_per_id(t["rounds"]).select(
        "round_id",
        pl.format("the round's amount is {} {}", amount, pl.col("currency")).alias("d"),
    )
    return df.select("round_id").join(shown, on="round_id", how="left", maintain_order="left")["d"]


def rules() -> list[Rule]:
    """The rules on rounds and round investors."""
    return [
        portable_rule(
            "lead_role",
            "round_investors",
            "role",
            "a round with one leading investor says lead; with several, co_lead for each",
            _lead_role,
            followup=True,
        ),
        portable_rule(
            "before_founding",
            "rounds",
            "announced_on",
            "round is dated before its company was founded",
            _after_founding,
            followup=True,
        ),
        portable_rule(
            "post_below_amount",
            "rounds",
            "post_money_valuation",
            "post-money valuation is below the amount raised",
            _post_ge_amount,
            followup=True,
        ),
        portable_rule(
            "pre_plus_amount",
            "rounds",
            "post_money_valuation",
            "post-money differs from pre-money + amount (+ unpriced tranches) by more than 1%",
            _post_eq_pre_plus,
            followup=True,
        ),
        portable_rule(
            "usd_inconsistent",
            "rounds",
            "amount_usd",
            "amount_usd is not amount × fx_rate",
            _usd_consistent,
        ),
        portable_rule(
            "currency_with_amount",
            "rounds",
            "currency",
            "an amount needs a currency",
            _amount_currency,
            followup=True,
        ),
        portable_rule(
            "qualifier_with_amount",
            "rounds",
            "amount_qualifier",
            "an amount needs a qualifier (exact, at_least, about, up_to, range), and a round"
            " without one can only be undisclosed",
            _amount_qualifier,
            followup=True,
        ),
        portable_rule(
            "closed_without_amount",
            "rounds",
            "amount_qualifier",
            "a closed round needs its amount, or amount_qualifier undisclosed where no source"
            " read gives one",
            _closed_amount,
            followup=True,
        ),
        portable_rule(
            "valuation_currency",
            "rounds",
            "valuation_currency",
            "a valuation needs valuation_currency, and only a valuation has one",
            _valuation_currency,
            followup=True,
        ),
        portable_rule(
            "currency_with_amount",
            "round_investors",
            "currency",
            "an amount needs a currency, and a currency needs an amount",
            _ticket_currency,
            followup=True,
        ),
        portable_rule(
            "ticket_above_round",
            "round_investors",
            "amount",
            "one investor's amount is larger than the whole round's amount",
            _ticket_within_round,
            detail=_round_amount,
        ),
        portable_rule(
            "duplicate_round",
            "rounds",
            "round_id",
            "another round has the same company, date, amount, currency and investors",
            _distinct_rounds,
            detail=_copies_named,
        ),
    ]
