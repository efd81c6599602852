"""Rules on metrics, claims, companies and sources: units, ranges, precisions, dates.

Three kinds are declared in the Table Schemas and generated here, field by field:
`x-maxDaysAfterBuild` (how many days after the build date a date may lie),
`x-notBefore` (the field that a period's end must not precede) and `x-boundsByUnit`
(bounds of a value by the unit in the row's `unit` column).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import narwhals as nw

from ...schemas import tables as ts
from .base import Rule
from .portable import Failing, NwTables, failing, portable_rule

# The column whose value picks a field's bounds in `x-boundsByUnit`.
UNIT_COLUMN = "unit"


def _filled(col: str) -> nw.Expr:
    return ~nw.col(col).is_null()


def _is(col: str, value: str) -> nw.Expr:
    """The cell holds `value` (never true for a gap)."""
    return (nw.col(col) == value).fill_null(False)


def _metric_currency(own: nw.LazyFrame, t: NwTables) -> nw.LazyFrame:
    return failing(own, _is("unit", "currency") == _filled("currency"))


def _metric_range(own: nw.LazyFrame, t: NwTables) -> nw.LazyFrame:
    has = _filled("value_high")
    above = ~has | (nw.col("value_high") >= nw.col("value")).fill_null(False)
    return failing(own, (has == _is("qualifier", "range")) & above)


def _precision_with(day: str, precision: str) -> Failing:
    def check(own: nw.LazyFrame, t: NwTables) -> nw.LazyFrame:
        return failing(own, nw.col(day).is_null() == nw.col(precision).is_null())

    return check


def _source_location(own: nw.LazyFrame, t: NwTables) -> nw.LazyFrame:
    return failing(own, _filled("address") | _filled("local_copy"))


def _not_future(column: str, days: int) -> Failing:
    def check(own: nw.LazyFrame, t: NwTables) -> nw.LazyFrame:
        latest = date.today() + timedelta(days=days)
        return failing(own, nw.col(column).is_null() | (nw.col(column) <= nw.lit(latest)))

    return check


def _future_rules() -> list[Rule]:
    """Dates that cannot lie further after the build than their `x-maxDaysAfterBuild`.

    Most say 0 (nothing announced, founded or published tomorrow); a claim window may
    end later in the year the claim speaks of.
    """
    out = []
    for table in ts.TABLE_ORDER:
        for f in ts.fields_with(table, "x-maxDaysAfterBuild"):
            days = int(f["x-maxDaysAfterBuild"])
            message = "date is after the build date"
            if days:
                message = f"date is more than {days} days after the build date"
            check = _not_future(f["name"], days)
            out.append(portable_rule("future_date", table, f["name"], message, check))
    return out


def _not_before(column: str, start: str) -> Failing:
    def check(own: nw.LazyFrame, t: NwTables) -> nw.LazyFrame:
        ordered = nw.col(column) >= nw.col(start)
        return failing(own, nw.col(start).is_null() | nw.col(column).is_null() | ordered)

    return check


def _order_rules() -> list[Rule]:
    """A period's end (`x-notBefore` names its start) may not come before its start."""
    return [
        portable_rule(
            "window_order",
            table,
            f["name"],
            f"{f['name']} is before {f['x-notBefore']}",
            _not_before(f["name"], f["x-notBefore"]),
        )
        for table in ts.TABLE_ORDER
        for f in ts.fields_with(table, "x-notBefore")
    ]


def _within(column: str, unit: str, bounds: dict[str, Any]) -> Failing:
    def check(own: nw.LazyFrame, t: NwTables) -> nw.LazyFrame:
        value, inside = nw.col(column), nw.lit(True)
        if "minimum" in bounds:
            inside &= value >= bounds["minimum"]
        if "maximum" in bounds:
            inside &= value <= bounds["maximum"]
        return failing(own, ~_is(UNIT_COLUMN, unit) | nw.col(column).is_null() | inside)

    return check


def _range_message(column: str, unit: str, bounds: dict[str, Any]) -> str:
    parts = [
        f"{op} {bounds[key]}" for key, op in (("minimum", ">="), ("maximum", "<=")) if key in bounds
    ]
    return f"with unit {unit}, {column} must be {' and '.join(parts)}"


def _unit_rules() -> list[Rule]:
    """A value's bounds by its unit (`x-boundsByUnit`): no negative money, no 10^9 % growth."""
    return [
        portable_rule(
            f"{unit}_range",
            table,
            f["name"],
            _range_message(f["name"], unit, bounds),
            _within(f["name"], unit, bounds),
        )
        for table in ts.TABLE_ORDER
        for f in ts.fields_with(table, "x-boundsByUnit")
        for unit, bounds in f["x-boundsByUnit"].items()
    ]


def rules() -> list[Rule]:
    """The rules on metrics, claims, companies, sources and dates."""
    return [
        portable_rule(
            "currency_with_unit",
            "metrics",
            "currency",
            "currency is required when unit is currency and only then",
            _metric_currency,
            followup=True,
        ),
        *_unit_rules(),
        portable_rule(
            "range",
            "metrics",
            "value_high",
            "value_high needs qualifier range and must not be below value",
            _metric_range,
            followup=True,
        ),
        *_order_rules(),
        portable_rule(
            "precision_with_date",
            "companies",
            "founded_precision",
            "founded_precision is required with founded_on and only then",
            _precision_with("founded_on", "founded_precision"),
            followup=True,
        ),
        portable_rule(
            "precision_with_date",
            "sources",
            "published_precision",
            "published_precision is required with published_on and only then",
            _precision_with("published_on", "published_precision"),
            followup=True,
        ),
        portable_rule(
            "no_location",
            "sources",
            "address",
            "a source needs an address or a local copy",
            _source_location,
        ),
        *_future_rules(),
    ]
