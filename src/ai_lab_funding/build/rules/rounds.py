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


def _lead_role(df: pl.DataFrame, t: Tables) -> pl.Series:
    """A round led by one investor says `lead`; a round led by several says `co_lead` each.

    Reports naming co-leads are checked against these roles, so the two spellings of
    leading must not be mixed within one round.
    """
    leading = pl.col("role").is_in(["lead", "co_lead"])
    count = leading.cast(pl.Int64).sum().over("round_id")
    ok = ~leading | (equals("role", "lead") == (count == 1))
    return verdict(df, missing("role") | ok)


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


# Relative slack when a ticket and its round are compared through two exchange rates.
_FX_SLACK = 0.01


def _ticket_usd(tickets: pl.DataFrame, t: Tables) -> pl.Expr:
    """Each ticket in US dollars at the rate the build used on its round's date, if it used one.

    Tickets are not converted by the build; a ticket in another currency than its round
    is compared only when `fx_rates` holds its currency's rate for that day (or it is USD).
    """
    fx = t.get("fx_rates")
    rate = pl.when(pl.col("currency") == "USD").then(pl.lit(1.0))
    if fx is not None and fx.height:
        rates = fx.select("currency", pl.col("requested_on").alias("__day"), pl.col("rate"))
        rates = rates.unique(["currency", "__day"], keep="first")
        found = tickets.select("currency", "__day").join(
            rates, on=["currency", "__day"], how="left", maintain_order="left"
        )["rate"]
        rate = rate.otherwise(pl.lit(found))
    return pl.col("amount") * rate


def _ticket_within_round(df: pl.DataFrame, t: Tables) -> pl.Series:
    """No investor put more into a round than the whole round raised.

    Same currency: compared as they are; else both in US dollars; unknown: not compared.
    Only the tickets with an amount (few, most sources name no ticket) are joined.
    """
    rounds = _one_per_id(t["rounds"]).select(
        "round_id",
        pl.col("amount").alias("__round"),
        pl.col("currency").alias("__round_ccy"),
        _usd_or_unknown(t["rounds"]).alias("__round_usd"),
        pl.col("announced_on").alias("__day"),
    )
    tickets = (
        df.select("round_id", "amount", "currency")
        .with_row_index(_ROW)
        .filter(present("amount"))
        .join(rounds, on="round_id", how="left", maintain_order="left")
    )
    same = pl.col("currency") == pl.col("__round_ccy")
    above = (
        pl.when(same)
        .then(pl.col("amount") > pl.col("__round"))
        .otherwise(_ticket_usd(tickets, t) > pl.col("__round_usd") * (1 + _FX_SLACK))
    )
    return failing_rows(df.height, tickets.filter(above.fill_null(False))[_ROW])


def _round_copies(df: pl.DataFrame, t: Tables) -> pl.DataFrame:
    """Per round row: the other round_ids with its company, date, amount, currency and investors.

    Only rounds that share the first four with another are candidates (few, if any), so
    the investor sets are joined for those alone; a round without investors has the
    empty set. Rows without a copy are not returned.
    """
    first = ["company_id", "announced_on", "amount", "currency"]
    candidates = (
        df.select("round_id", *first)
        .with_row_index(_ROW)
        .filter(present("round_id") & present("company_id") & present("announced_on"))
        .filter(pl.struct(first).is_duplicated())
    )
    investors = (
        t["round_investors"]
        .filter(isin(t["round_investors"], "round_id", candidates["round_id"]))
        .drop_nulls("investor_id")
        .group_by("round_id")
        .agg(pl.col("investor_id").unique().sort().str.join(";").alias("__investors"))
    )
    return (
        candidates.join(investors, on="round_id", how="left", maintain_order="left")
        .group_by([*first, "__investors"])
        .agg(_ROW, pl.col("round_id").unique().sort().alias("__ids"))
        .filter(pl.col("__ids").list.len() > 1)
        .explode(_ROW)
        .select(_ROW, "__ids")
    )


def _distinct_rounds(df: pl.DataFrame, t: Tables) -> pl.Series:
    return failing_rows(df.height, _round_copies(df, t)[_ROW])


def _copies_named(df: pl.DataFrame, t: Tables) -> pl.Series:
    texts: list[str | None] = [None] * df.height
    for pos, ids in _round_copies(df, t).iter_rows():
        others = [i for i in ids if i != df["round_id"][pos]]
        texts[pos] = "same as round_id " + ", ".join(others)
    return pl.Series("detail", texts, dtype=pl.String)


def _usd_or_unknown(rounds: pl.DataFrame) -> pl.Expr:
    """The round's amount in US dollars, unknown before the build derived it."""
    if "amount_usd" in rounds.columns:
        return pl.col("amount_usd")
    return pl.lit(None, dtype=pl.Float64)


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
        Rule(
            "lead_role",
            "round_investors",
            "role",
            "a round with one leading investor says lead; with several, co_lead for each",
            _lead_role,
            followup=True,
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
        Rule(
            "ticket_above_round",
            "round_investors",
            "amount",
            "one investor's amount is larger than the whole round's amount",
            _ticket_within_round,
            detail=_round_amount,
        ),
        Rule(
            "duplicate_round",
            "rounds",
            "round_id",
            "another round has the same company, date, amount, currency and investors",
            _distinct_rounds,
            detail=_copies_named,
        ),
    ]
