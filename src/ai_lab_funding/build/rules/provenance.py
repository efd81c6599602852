"""Rules that tie every figure to its reports: backed facts, reasons, agreeing reports."""

from __future__ import annotations

import polars as pl

from ...schemas import tables as ts
from ..derive.base import fact_id
from .base import Check, Rule, Tables, accepted, equals, isin, missing, present, verdict


def _backed(table: str, column: str, field: str | None) -> Check:
    def check(df: pl.DataFrame, t: Tables) -> pl.Series:
        ids = df.select(fact_id(table).alias("__fact"))
        backed = isin(ids, "__fact", accepted(t, table, field)["fact_id"])
        if field is None:
            return verdict(df, backed)
        # A valuation the build derived from the other two figures needs no report of its own.
        derived = pl.lit(False)
        if field in ts.IMPLIED_BASIS and "valuation_basis" in df.columns:
            derived = equals("valuation_basis", ts.IMPLIED_BASIS[field])
        return verdict(df, missing(column) | backed | derived)

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


def _claim_reported(df: pl.DataFrame, t: Tables) -> pl.Series:
    # A claim row records what was claimed; its reports judge it, so any verdict will do.
    about_claims = t["reports"].filter(equals("fact_table", "cumulative_claims"))
    return verdict(df, isin(df, "claim_id", about_claims["fact_id"]))


def _reason(df: pl.DataFrame, t: Tables) -> pl.Series:
    return verdict(df, equals("verdict", "accepted") | present("reason"))


def _accepted_matches(df: pl.DataFrame, t: Tables) -> pl.Series:
    if "check" not in df.columns:
        return verdict(df, True)
    return verdict(df, ~(equals("verdict", "accepted") & equals("check", "mismatch")))


def _accepted_unit_conflict(df: pl.DataFrame, t: Tables) -> pl.Series:
    flags = t.get("unit_flags")
    if flags is None or flags.is_empty():
        return verdict(df, True)
    ok = df.filter(equals("verdict", "accepted"))["report_id"]
    both = flags.filter(isin(flags, "report_id", ok) & isin(flags, "other_report_id", ok))
    pairs = pl.concat([both["report_id"], both["other_report_id"]])
    return verdict(df, ~isin(df, "report_id", pairs))


def rules() -> list[Rule]:
    """The provenance rules."""
    return [
        *(
            Rule(
                "no_accepted_report",
                table,
                column,
                f"no accepted report backs {f'its {field}' if field else 'it'}",
                _backed(table, column, field),
                followup=True,
            )
            for table, column, field in _BACKED
        ),
        Rule(
            "no_report",
            "cumulative_claims",
            "claim_id",
            "no report records this claim",
            _claim_reported,
        ),
        Rule(
            "reason_required",
            "reports",
            "reason",
            "a report that is not accepted needs a reason",
            _reason,
        ),
        Rule(
            "accepted_mismatch",
            "reports",
            "value_as_reported",
            "accepted report disagrees with the believed figure",
            _accepted_matches,
        ),
        Rule(
            "accepted_unit_conflict",
            "reports",
            "value_as_reported",
            "two accepted reports on one fact differ by a power of ten",
            _accepted_unit_conflict,
        ),
    ]
