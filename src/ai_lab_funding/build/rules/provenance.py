"""Rules that tie every figure to its reports: backed facts, reasons, agreeing reports."""

from __future__ import annotations

import narwhals as nw

from ...schemas import tables as ts
from .base import Rule
from .portable import Failing, NwTables, failing, has, nothing, one_per, portable_rule


def _fact_key(table: str) -> nw.Expr:
    """A fact table's key as reports name it (a ticket's is its round and investor joined)."""
    parts = ts.fact_key_parts(table)
    if parts is None:
        return nw.col(ts.fact_key(table))
    cols, sep = parts
    return nw.concat_str([nw.col(c) for c in cols], separator=sep)


def _marked(own: nw.LazyFrame, key: nw.Expr, keys: nw.LazyFrame) -> nw.LazyFrame:
    """`own` with `__hit` true where `key` is one of `keys`' `__key` values, else missing."""
    hits = one_per(keys.select("__key"), "__key").with_columns(nw.lit(True).alias("__hit"))
    return own.with_columns(key.alias("__key")).join(hits, on="__key", how="left")


def _accepted_ids(t: NwTables, table: str, field: str | None) -> nw.LazyFrame:
    ok = (nw.col("verdict") == "accepted") & (nw.col("fact_table") == table)
    if field:
        ok &= nw.col("field") == field
    return t["reports"].filter(ok).select(nw.col("fact_id").alias("__key"))


def _backed(table: str, column: str, field: str | None) -> Failing:
    def check(own: nw.LazyFrame, t: NwTables) -> nw.LazyFrame:
        rows = _marked(own, _fact_key(table), _accepted_ids(t, table, field))
        backed = nw.col("__hit").fill_null(False)
        if field is None:
            return failing(rows, backed)
        # A valuation the build derived from the other two figures needs no report of its own.
        derived = nw.lit(False)
        if field in ts.IMPLIED_BASIS and has(own, "valuation_basis"):
            derived = (nw.col("valuation_basis") == ts.IMPLIED_BASIS[field]).fill_null(False)
        return failing(rows, nw.col(column).is_null() | backed | derived)

    return check


# (table, column the problem names, field the accepted report must be about; None: any field)
_BACKED = [
    ("rounds", "round_id", None),
    ("rounds", "amount", "amount"),
    ("rounds", "pre_money_valuation", "pre_money_valuation"),
    ("rounds", "post_money_valuation", "post_money_valuation"),
    ("round_investors", "amount", "amount"),
    ("metrics", "value", "value"),
    ("companies", "company_id", None),
]


def _claim_reported(own: nw.LazyFrame, t: NwTables) -> nw.LazyFrame:
    # A claim row records what was claimed; its reports judge it, so any verdict will do.
    about = t["reports"].filter(nw.col("fact_table") == "cumulative_claims")
    rows = _marked(own, nw.col("claim_id"), about.select(nw.col("fact_id").alias("__key")))
    return failing(rows, nw.col("__hit").fill_null(False))


def _reason(own: nw.LazyFrame, t: NwTables) -> nw.LazyFrame:
    return failing(own, (nw.col("verdict") == "accepted") | ~nw.col("reason").is_null())


def _accepted_matches(own: nw.LazyFrame, t: NwTables) -> nw.LazyFrame:
    if not has(own, "check"):
        return nothing(own)
    bad = (nw.col("verdict") == "accepted") & (nw.col("check") == "mismatch")
    return failing(own, ~bad.fill_null(False))


def _accepted_unit_conflict(own: nw.LazyFrame, t: NwTables) -> nw.LazyFrame:
    if "unit_flags" not in t:
        return nothing(own)
    ok = one_per(own.filter(nw.col("verdict") == "accepted").select("report_id"), "report_id")
    other = ok.select(nw.col("report_id").alias("other_report_id"))
    both = t["unit_flags"].join(ok, on="report_id").join(other, on="other_report_id")
    pairs = nw.concat(
        [
            both.select(nw.col("report_id").alias("__key")),
            both.select(nw.col("other_report_id").alias("__key")),
        ]
    )
    return _marked(own, nw.col("report_id"), pairs).filter(nw.col("__hit").fill_null(False))


def rules() -> list[Rule]:
    """The provenance rules."""
    return [
        *(
            portable_rule(
                "no_accepted_report",
                table,
                column,
                f"no accepted report backs {f'its {field}' if field else 'it'}",
                _backed(table, column, field),
                followup=True,
            )
            for table, column, field in _BACKED
        ),
        portable_rule(
            "no_report",
            "cumulative_claims",
            "claim_id",
            "no report records this claim",
            _claim_reported,
        ),
        portable_rule(
            "reason_required",
            "reports",
            "reason",
            "a report that is not accepted needs a reason",
            _reason,
        ),
        portable_rule(
            "accepted_mismatch",
            "reports",
            "value_as_reported",
            "accepted report disagrees with the believed figure",
            _accepted_matches,
        ),
        portable_rule(
            "accepted_unit_conflict",
            "reports",
            "value_as_reported",
            "two accepted reports on one fact differ by a power of ten",
            _accepted_unit_conflict,
        ),
    ]
