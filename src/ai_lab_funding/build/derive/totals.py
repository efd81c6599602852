"""Add money up once: funding totals per company and year, and the sums claims are held to.

Summing the rounds table as it stands counts some dollars twice and some not at all: a
strategic "up to" commitment later counted inside a named series, the unpaid part of a
milestone deal, a secondary sale that brought the company nothing, an undisclosed round
that a sum quietly reads as zero. The curated rounds say what each amount is
(`money_kind`, `conditional_amount`, `counted_in`, `overlaps_with`); here every round
becomes the pieces of money it holds, and one function adds pieces up, naming the
rounds that make a total a lower bound or possibly high. The totals table and the
cumulative claims both use it, so a claim is compared with exactly what a total says.
"""

from __future__ import annotations

import polars as pl

from ...schemas import tables as ts
from .base import Tables, rounded

COUNTED_STATUSES = ("closed", "announced")
CONDITIONAL = "conditional_commitment"
PRIMARY = "primary_equity"

# The columns a piece of money carries; `add_up` reads nothing else.
PIECE = (
    "company_id",
    "round_id",
    "announced_on",
    "counted_as",
    "usd",
    "undisclosed",
    "at_least",
    "left_out",
    "overlaps_with",
    "mixed",
)


def money_pieces(rounds: pl.DataFrame) -> pl.DataFrame:
    """Each closed or announced round as the pieces of money it holds.

    A round's committed money (amount minus its conditional part) counts as its
    `money_kind`, unless it is already inside another round's amount (`counted_in`:
    kept, marked `left_out`, so totals can name it). Its conditional part, if any, is a
    piece of its own counted as a conditional commitment; a round that is all
    conditional has only that piece. Amounts are converted at the
    round's own rate (`fx_rate`), the one its `amount_usd` used.
    """
    # A round without a kind is an error on its own line; it has no place in any total.
    r = rounds.filter(pl.col("status").is_in(COUNTED_STATUSES) & pl.col("money_kind").is_not_null())
    conditional = pl.col("conditional_amount").fill_null(0.0)
    common = [
        pl.col("company_id"),
        pl.col("round_id"),
        pl.col("announced_on"),
        pl.col("overlaps_with"),
    ]
    # A commitment wholly conditional holds no committed money: it has no committed piece.
    committed = r.filter(pl.col("amount").is_null() | (pl.col("amount") > conditional)).select(
        *common,
        pl.col("money_kind").alias("counted_as"),
        ((pl.col("amount") - conditional) * pl.col("fx_rate")).alias("usd"),
        pl.col("amount").is_null().alias("undisclosed"),
        (pl.col("amount_qualifier") == "at_least").fill_null(False).alias("at_least"),
        pl.col("counted_in").is_not_null().alias("left_out"),
        (pl.col("instrument") == "mixed").fill_null(False).alias("mixed"),
    )
    promised = r.filter(conditional > 0).select(
        *common,
        pl.lit(CONDITIONAL).alias("counted_as"),
        (pl.col("conditional_amount") * pl.col("fx_rate")).alias("usd"),
        pl.lit(False).alias("undisclosed"),
        pl.lit(False).alias("at_least"),
        pl.lit(False).alias("left_out"),
        pl.lit(False).alias("mixed"),
    )
    return pl.concat([committed, promised]).select(PIECE)


def _ids(flag: pl.Expr) -> pl.Expr:
    """The round_ids where `flag` holds, joined by semicolons; empty when none."""
    joined = pl.col("round_id").filter(flag).unique(maintain_order=True).str.join(";")
    return pl.when(joined != "").then(joined)


def add_up(pieces: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    """Sum the pieces per group of `by`, with the rounds behind each total named.

    A piece left out is named, not summed. Two counted pieces of one group that may
    share money (`overlaps_with` between them, both with an amount) or a round mixing
    kinds of money make the total possibly high; an undisclosed or "at least" amount
    makes it a lower bound. A group with nothing disclosed has no amount: unknown, not 0.
    Groups holding only left-out pieces give no row.
    """
    counted = pieces.filter(~pl.col("left_out"))
    partners = (
        counted.filter(pl.col("usd").is_not_null())
        .select(*by, pl.col("round_id").alias("overlaps_with"), pl.lit(True).alias("__shared"))
        .unique()
    )
    counted = counted.join(
        partners, on=[*by, "overlaps_with"], how="left", maintain_order="left"
    ).with_columns(
        overlap=(pl.col("__shared").fill_null(False) & pl.col("usd").is_not_null())
        | pl.col("mixed")
    )
    sums = (
        counted.sort("announced_on", "round_id")
        .group_by(by, maintain_order=True)
        .agg(
            pl.when(pl.col("usd").is_not_null().any())
            .then(pl.col("usd").sum())
            .alias("amount_usd"),
            (pl.col("undisclosed") | pl.col("at_least")).any().alias("is_lower_bound"),
            pl.col("overlap").any().alias("may_overcount"),
            pl.col("round_id").n_unique().cast(pl.Int64).alias("rounds_counted"),
            pl.col("round_id").unique(maintain_order=True).str.join(";").alias("round_ids"),
            _ids(pl.col("undisclosed")).alias("undisclosed_round_ids"),
            _ids(pl.col("at_least")).alias("at_least_round_ids"),
            _ids(pl.col("overlap")).alias("overlap_round_ids"),
        )
        .with_columns(rounded(pl.col("amount_usd"), 2))
    )
    left = (
        pieces.filter(pl.col("left_out"))
        .sort("announced_on", "round_id")
        .group_by(by, maintain_order=True)
        .agg(pl.col("round_id").str.join(";").alias("left_out_round_ids"))
    )
    return sums.join(left, on=by, how="left", maintain_order="left")


def funding_totals(tables: Tables) -> pl.DataFrame:
    """Per company and kind of money: the all-time total, then one total per calendar year.

    A round counts in the year of its `announced_on`. Rows are ordered by company, kind
    (in the order the schema lists them), then all-time before the years.
    """
    # A round of a company nobody has is an error on its own line, not a total of its own.
    known = tables["companies"]["company_id"].unique().implode()
    pieces = money_pieces(tables["rounds"].filter(pl.col("company_id").is_in(known))).with_columns(
        pl.col("announced_on").dt.year().cast(pl.Int64).alias("year")
    )
    by = ["company_id", "counted_as"]
    all_time = add_up(pieces, by).with_columns(
        pl.lit("all").alias("period"), pl.lit(None, dtype=pl.Int64).alias("year")
    )
    yearly = add_up(pieces.filter(pl.col("year").is_not_null()), [*by, "year"]).with_columns(
        pl.col("year").cast(pl.String).alias("period")
    )
    out = pl.concat([all_time, yearly], how="diagonal_relaxed")
    kinds = ts.constraints(ts.field("funding_totals", "counted_as"))["enum"]
    order = {k: i for i, k in enumerate(kinds)}
    return out.sort(
        "company_id",
        pl.col("counted_as").replace_strict(order, default=len(order), return_dtype=pl.Int64),
        pl.col("year").is_not_null(),
        "year",
    )
