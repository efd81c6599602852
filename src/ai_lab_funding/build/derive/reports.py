"""Parse every reported figure and check it against the figure the dataset believes.

A report is compared in the believed value's currency at the fact's date, within what its
hedge allows, and given in US dollars at that same date's rate, so reports in different
currencies line up in one column; pairs of reports on one fact a power of ten apart are
flagged.
"""

from __future__ import annotations

import polars as pl

from ...schemas import tables as ts
from .base import POS, Log, Tables, rounded
from .fx import FxTable
from .parse import YEN_SIGN, parse_reported

# Which fields of which fact table carry a number, and the column holding its currency.
NUMERIC_FIELDS: dict[tuple[str, str], str] = {
    ("rounds", "amount"): "currency",
    ("rounds", "pre_money_valuation"): "valuation_currency",
    ("rounds", "post_money_valuation"): "valuation_currency",
    ("round_investors", "amount"): "currency",
    ("metrics", "value"): "currency",
    ("cumulative_claims", "claimed_amount"): "currency",
}
# The date a fact's conversions use.
FACT_DATE = {
    "rounds": "announced_on",
    "round_investors": "announced_on",
    "metrics": "period_end",
    "cumulative_claims": "window_end",
}
# Relative slack for each way of stating a figure, before FX slack.
FX_SLACK = 0.03
UNIT_FACTORS = (10, 100, 1000, 10000)
UNIT_FACTOR_TOLERANCE = 0.12


def matches(
    value: pl.Expr,
    high: pl.Expr,
    qualifier: pl.Expr,
    rounding: pl.Expr,
    canonical: pl.Expr,
    slack: pl.Expr,
) -> pl.Expr:
    """Whether each reported figure (in the canonical currency) agrees with the believed value.

    Tolerances follow the hedge: "exact" allows the rounding its printed digits imply (at least
    2%), "about" 10%, "more than X" holds from X up to 2X, "up to X" from X/2 to X, and a range
    must contain the value. Meaningful only where value and canonical are both known.
    """
    ratio = pl.when(value != 0).then(canonical / value).otherwise(float("inf"))
    in_range = (value * (1 - 0.01 - slack) <= canonical) & (canonical <= high * (1 + 0.01 + slack))
    at_least = (1 - 0.02 - slack <= ratio) & (ratio <= 2)
    up_to = (0.5 <= ratio) & (ratio <= 1 + 0.02 + slack)
    tol = (
        pl.when(qualifier.eq_missing("about"))
        .then(0.10)
        .otherwise(pl.max_horizontal(pl.lit(0.02), rounding))
        + slack
    )
    near = (ratio - 1).abs() <= tol
    out = (
        pl.when(qualifier.eq_missing("range") & high.is_not_null())
        .then(in_range)
        .when(qualifier.eq_missing("at_least"))
        .then(at_least)
        .when(qualifier.eq_missing("up_to"))
        .then(up_to)
        .otherwise(near)
    )
    # Zero (or below) against zero: equal within numpy.isclose's default tolerances.
    zero = (canonical <= 0) & (value <= 0)
    return (
        pl.when(zero)
        .then((value - canonical).abs() <= 1e-8 + 1e-5 * canonical.abs())
        .otherwise(out)
        .fill_null(False)
    )


def _believed(tables: Tables, reports: pl.DataFrame) -> pl.DataFrame:
    """For each report, the believed value it is about, that value's currency and the fact's date.

    Joined on the fact id per (table, field), carrying the report's position, so no join
    key holds three text columns for millions of reports.
    """
    # Lazy, so each step copies only the columns it keeps: the fact tables are wide.
    keys = reports.lazy().select("fact_table", "fact_id", "field").with_row_index(POS)
    found = []
    for table in dict.fromkeys(t for t, _ in NUMERIC_FIELDS):
        pk = ts.fact_key(table)
        currency_of = {f: ccy for (t, f), ccy in NUMERIC_FIELDS.items() if t == table}
        # A duplicated key is reported by the rules; here its first row stands for it.
        # Only the columns used are copied.
        facts = (
            tables[table]
            .lazy()
            .unique(pk, keep="first", maintain_order=True)
            .select(
                pl.col(pk).alias("fact_id"),
                pl.col(FACT_DATE[table]).alias("day"),
                *currency_of,
                *dict.fromkeys(currency_of.values()),
            )
            .collect()
            .lazy()
        )
        for fld, ccy in currency_of.items():
            about = keys.filter((pl.col("fact_table") == table) & (pl.col("field") == fld)).select(
                POS, "fact_id"
            )
            believed = facts.select(
                "fact_id",
                pl.col(fld).cast(pl.Float64).alias("canon"),
                pl.col(ccy).alias("canon_ccy"),
                "day",
            )
            found.append(about.join(believed, on="fact_id").drop("fact_id"))
    every = keys.select(POS)
    return (
        every.join(pl.concat(found), on=POS, how="left", maintain_order="left").drop(POS).collect()
    )


_PARSED = {
    "value": pl.Float64,
    "high": pl.Float64,
    "qualifier": pl.String,
    "rounding": pl.Float64,
    "parsed_currency": pl.String,
    "unit": pl.String,
    "parsed": pl.Boolean,
}
# Parsed units that are never money, whatever currency the context implies.
_NOT_MONEY = ("percent", "multiple")


def _role(field: str | None) -> str | None:
    """Which figure of a text a field is about: see `parse.parse_reported`."""
    if field in ("pre_money_valuation", "post_money_valuation"):
        return "valuation"
    return "amount" if field in ("amount", "claimed_amount") else None


def _parsed(texts: pl.Series, fields: pl.Series) -> pl.DataFrame:
    """Parse each distinct (text, field role) once: a million reports repeat far fewer figures."""
    asked = pl.DataFrame({"text": texts, "role": fields.map_elements(_role, pl.String)})
    distinct = asked.drop_nulls("text").unique(maintain_order=True)
    rows = []
    for text, role in distinct.iter_rows():
        f = parse_reported(text, role)
        rows.append(
            (f.value, f.high, f.qualifier, f.rounding, f.currency, f.unit, True)
            if f
            else (None, None, None, 0.0, None, None, False)
        )
    table = pl.DataFrame(rows, schema=_PARSED, orient="row").hstack(distinct)
    out = asked.join(
        table, on=["text", "role"], how="left", maintain_order="left", nulls_equal=True
    )
    out = out.drop("text", "role")
    return out.with_columns(pl.col("rounding").fill_null(0.0), pl.col("parsed").fill_null(False))


def _rates(w: pl.DataFrame, fx: FxTable, log: Log) -> pl.DataFrame:
    """Per report position: USD per unit of its currency, and the cross rate into the believed one.

    Both are at the fact's date. The USD rate, which gives `value_usd`, is looked up for
    every figure in money; the believed currency's only where the two currencies differ,
    for the comparison (few reports: each lookup joins on every row it is given). A missing
    rate fails the build where the comparison needs it and is a warning where only
    `value_usd` does, which is then left empty.
    """
    day = pl.col("day").is_not_null()
    convert = (pl.col("currency") != pl.col("canon_ccy")).fill_null(False) & day
    money = (pl.col("currency").is_not_null() & ~pl.col("unit").is_in(_NOT_MONEY) & day).fill_null(
        False
    )
    asked = w.select(POS, "currency", "canon_ccy", "day", converted=convert, money=money).filter(
        pl.col("converted") | pl.col("money")
    )
    own = asked.select(POS, "converted", "money").hstack(
        fx.usd_rates(asked["currency"], asked["day"])
    )
    crossing = asked.filter("converted")
    believed = crossing.select(POS).hstack(fx.usd_rates(crossing["canon_ccy"], crossing["day"]))
    for found in (own, believed.with_columns(converted=pl.lit(True))):
        for pos, converted, err in (
            found.filter(pl.col("error").is_not_null())
            .select(POS, "converted", "error")
            .iter_rows()
        ):
            severity = "error" if converted else "warning"
            log.add("reports", pos, "value_as_reported", "fx_rate", err, severity=severity)
    # `believed` holds the converted rows of `own`, in the same order.
    cross = own.filter("converted").select(POS, (pl.col("rate") / believed["rate"]).alias("cross"))
    return own.select(POS, "converted", pl.when("money").then("rate").alias("usd_rate")).join(
        cross, on=POS, how="left", maintain_order="left"
    )


def derive_reports(tables: Tables, fx: FxTable, log: Log) -> pl.DataFrame:
    """Reports parsed into numbers and checked against the believed figure of their fact.

    An accepted report without a number is an error, any other a warning; a figure
    printed without a currency takes the one the curator says the context implies.
    """
    rep = tables["reports"]
    numeric = pl.any_horizontal(
        (pl.col("fact_table") == t) & (pl.col("field") == f) for t, f in NUMERIC_FIELDS
    ).fill_null(False)
    # Numbered once: problems and the cross rates land back on their report by this position.
    w = rep.select(
        numeric.alias("numeric"),
        "verdict",
        "fact_table",
        "field",
        "value_as_reported",
        "implied_currency",
    ).with_row_index(POS)
    w = w.hstack(
        _parsed(
            w.select(pl.when("numeric").then(pl.col("value_as_reported")).alias("t"))["t"],
            w["field"],
        )
    )
    unparsed = w.filter(pl.col("numeric") & ~pl.col("parsed"))
    for pos, text, verdict, table, fld in unparsed.select(
        POS, "value_as_reported", "verdict", "fact_table", "field"
    ).iter_rows():
        # Only an accepted report must carry a number; "declined to say" is a fine rejected one.
        log.add(
            "reports",
            pos,
            "value_as_reported",
            "unparseable",
            f"no number found in a report on {table}.{fld}",
            text or "",
            "write the figure as printed, e.g. '$500 million' or '5亿美元'",
            "error" if verdict == "accepted" else "warning",
        )
    # A figure printed without a currency takes the one the curator says the context implies;
    # one printed with the sign ¥ alone is in yuan unless the context says yen.
    w = w.with_columns(
        currency=pl.when(pl.col("parsed") & pl.col("parsed_currency").is_null())
        .then(pl.col("implied_currency"))
        .when(pl.col("parsed_currency") == YEN_SIGN)
        .then(pl.coalesce(pl.col("implied_currency"), pl.lit("CNY")))
        .otherwise(pl.col("parsed_currency"))
    )
    w = w.hstack(_believed(tables, rep))

    w = w.join(_rates(w, fx, log), on=POS, how="left", maintain_order="left")
    convert = pl.col("cross").is_not_null()
    factor = pl.when(convert).then(pl.col("cross")).otherwise(1.0)
    slack = pl.when(pl.col("converted")).then(FX_SLACK).otherwise(0.0)
    v, h, canon = pl.col("value") * factor, pl.col("high") * factor, pl.col("canon")
    comparable = pl.col("value").is_not_null() & canon.is_not_null()
    mid = pl.when(h.is_null()).then(v).otherwise((v + h) / 2)
    ok = matches(v, h, pl.col("qualifier"), pl.col("rounding"), canon, slack)
    check = (
        pl.when(~pl.col("numeric"))
        .then(pl.lit("not_numeric"))
        .when(comparable & ok)
        .then(pl.lit("match"))
        .when(comparable)
        .then(pl.lit("mismatch"))
        .otherwise(pl.lit("no_canonical"))
    )
    return rep.with_columns(
        *w.select(
            pl.col("value"),
            pl.col("high").alias("value_high"),
            rounded(pl.col("value") * pl.col("usd_rate"), 2).alias("value_usd"),
            rounded(pl.col("high") * pl.col("usd_rate"), 2).alias("value_high_usd"),
            pl.col("currency"),
            pl.col("qualifier"),
            pl.when(comparable).then(canon).alias("canonical_value"),
            pl.when(comparable).then(pl.col("canon_ccy")).alias("canonical_currency"),
            rounded(pl.when(comparable & (canon != 0)).then(mid / canon), 6).alias(
                "ratio_to_canonical"
            ),
            check.alias("check"),
        ).get_columns()
    )


def unit_flags(reports: pl.DataFrame) -> pl.DataFrame:
    """Pairs of reports on one fact whose values (in the believed currency) differ by 10^k.

    A pair is not flagged when either report is already rejected for a unit error.
    """
    fact = ["fact_table", "fact_id", "field"]
    # Compare in the believed currency where there is one; `ratio_to_canonical` already is.
    cmp = pl.coalesce("ratio_to_canonical", "value")
    unit_rejected = pl.col("verdict").eq_missing("rejected") & pl.col("reason").fill_null(
        ""
    ).str.starts_with("unit_error")
    r = (
        reports.filter(pl.col("value").is_not_null() & ~unit_rejected & (cmp > 0))
        .drop_nulls(fact)
        .select(
            "report_id", *fact, cmp.alias("cmp"), pl.col("report_id").rank("dense").alias("rank")
        )
    )
    # Every pair on one fact, joined on an integer code: at a million rounds the pairs
    # outnumber the reports three to one, and text keys in them would cost gigabytes.
    codes = r.select(fact).unique(maintain_order=True).with_row_index("fact")
    side = r.join(codes, on=fact, how="left", maintain_order="left").select(
        "fact", pl.int_range(pl.len(), dtype=pl.UInt32).alias(POS), "rank", "cmp"
    )
    pairs = side.join(side, on="fact", suffix="_b").filter(pl.col("rank") < pl.col("rank_b"))
    a_big = pl.col("cmp") >= pl.col("cmp_b")  # on a tie the lower report_id is the "bigger" one
    ratio = (
        pl.when(a_big)
        .then(pl.col("cmp") / pl.col("cmp_b"))
        .otherwise(pl.col("cmp_b") / pl.col("cmp"))
    )
    factor = pl.lit(0, dtype=pl.Int64)
    for f in reversed(UNIT_FACTORS):  # the smallest factor that fits wins
        factor = (
            pl.when(((pl.col("ratio") / f) - 1).abs() <= UNIT_FACTOR_TOLERANCE)
            .then(f)
            .otherwise(factor)
        )
    flagged = (
        pairs.select(
            pl.when(a_big).then(POS).otherwise(f"{POS}_b").alias("big"),
            pl.when(a_big).then(f"{POS}_b").otherwise(POS).alias("small"),
            ratio.alias("ratio"),
        )
        .with_columns(factor.alias("factor"))
        .filter(pl.col("factor") > 0)
    )
    big, small = r[flagged["big"]], r[flagged["small"]]
    out = pl.DataFrame(
        {
            "report_id": big["report_id"],
            "other_report_id": small["report_id"],
            **{c: big[c] for c in fact},
            "factor": flagged["factor"].cast(pl.Int64),
        }
    )
    out = out.with_columns(ratio=flagged.select(rounded(pl.col("ratio"), 6))["ratio"])
    return out.sort("report_id", "other_report_id")
