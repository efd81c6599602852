"""Turn Pandera's failure cases into `Problem`s: the rule's own name, the cell, the line.

Pandera names its checks after its functions (`str_matches`, `not_nullable`) and points
at rows by index; a contributor needs the constraint's name, the editor line and the
value as written, so every failure is reworded here, for either Pandera backend.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...problems import Problem, Severity
from ...schemas import tables as ts
from .base import Rule
from .columns import constraint_message

# The text a rule gives for the row at an index: the other row it conflicts with.
Detail = Callable[[object], str]

# Pandera names its built-in checks after the function; the dataset names them after the
# constraint.
_BUILTIN = {
    "str_matches": "pattern",
    "greater_than_or_equal_to": "minimum",
    "greater_than": "minimum",
    "less_than_or_equal_to": "maximum",
    "less_than": "maximum",
}
_PANDERA_RULES = {
    "not_nullable": "required",
    "field_uniqueness": "unique",
    "multiple_fields_uniqueness": "duplicate_key",
    "column_in_dataframe": "missing_column",
    "column_in_schema": "extra_column",
}
# Schema constraints that, like some catalogue rules, fail whenever a cell was unreadable.
_FOLLOWUP_CONSTRAINTS = {"required"}
_FIXED_MESSAGES = {
    "required": "a value is required",
    "unique": "value appears in more than one row",
    "duplicate_key": "primary key appears in more than one row",
}


@dataclass(frozen=True)
class Place:
    """Where the failures of one table are: its file, its cells and its editor lines.

    `value_at(index, column)` gives the cell a failure's index points at, or raises
    KeyError; `line_of(index)` gives the editor line of that row.
    """

    table: str
    file: str
    value_at: Callable[[object, str], object]
    line_of: Callable[[object], int]
    severity: Severity = "error"


def check_name(rule: Rule) -> str:
    """The name a catalogue rule's check carries through Pandera: `rule:column`."""
    return f"{rule.name}:{rule.column}"


def _rule_and_column(table: str, check: str, column: str) -> tuple[str, str]:
    """The dataset's rule name for a Pandera check, and the column it is about."""
    if check.startswith("dtype"):
        return "type", column
    name = check
    # A catalogue rule is `rule:column`; a built-in check's argument may hold a colon too
    # (`greater_than_or_equal_to(1900-01-01 00:00:00)`), which names no column.
    if ":" in check.split("(", 1)[0]:
        name, column = check.split(":", 1)
    name = _PANDERA_RULES.get(name, name)
    base = name.split("(", 1)[0]
    if base in _BUILTIN:
        return _BUILTIN[base], column
    if base == "isin" and column:
        known = {x["name"] for x in ts.fields(table)}
        f = ts.field(table, column) if column in known else {}
        return ("enum" if "enum" in ts.constraints(f) else "codelist"), column
    return name, column


def _hint(table: str, column: str, rule_name: str, value: object) -> str:
    if rule_name != "enum" or not isinstance(value, str):
        return ""
    allowed = [str(v) for v in ts.constraints(ts.field(table, column)).get("enum", [])]
    spelled = value.strip().lower().replace(" ", "_").replace("-", "_")
    close = difflib.get_close_matches(spelled, allowed, n=1, cutoff=0.6)
    return f"did you mean {close[0]}?" if close else ""


def _shown(value: object) -> str:
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    return str(value)


def _message(table: str, column: str, rule_name: str, check: str, rule: Rule | None) -> str:
    if rule is not None:
        return rule.message
    if rule_name in _FIXED_MESSAGES:
        return _FIXED_MESSAGES[rule_name]
    if rule_name == "type":
        return f"wrong type ({check})"
    try:
        return constraint_message(ts.field(table, column), rule_name)
    except KeyError:
        return rule_name


def _cell(place: Place, index: object, column: str, rule_name: str, failure: object) -> object:
    """The value to show: the cell as the contributor wrote it, or the whole key."""
    key = ts.primary_key(place.table)
    try:
        if rule_name == "duplicate_key":
            return " + ".join(str(place.value_at(index, c)) for c in key)
        if column:
            return place.value_at(index, column)
    except KeyError:
        return "" if rule_name == "duplicate_key" else failure
    return failure


def _problem(
    row: dict, place: Place, rules: Mapping[str, Rule], details: Mapping[str, Detail]
) -> Problem:
    check = str(row["check"])
    column = row["column"] if isinstance(row["column"], str) else ""
    rule_name, column = _rule_and_column(place.table, check, column)
    index = row["index"]
    known = index is not None and not (isinstance(index, float) and np.isnan(index))
    line = int(place.line_of(index)) if known else 0
    value = row["failure_case"]
    if line:
        value = _cell(place, index, column, rule_name, value)
    elif rule_name == "duplicate_key":
        value = ""
    if rule_name == "duplicate_key":
        column = "+".join(ts.primary_key(place.table))
    rule = rules.get(check)
    return Problem(
        place.file,
        line,
        column,
        rule_name,
        _message(place.table, column, rule_name, check, rule),
        _shown(value),
        details[check](index)
        if check in details and line
        else _hint(place.table, column, rule_name, value),
        place.severity,
        followup=rule.followup if rule else rule_name in _FOLLOWUP_CONSTRAINTS,
    )


def problems(
    failure_cases: pd.DataFrame,
    place: Place,
    rules: Mapping[str, Rule] | None = None,
    details: Mapping[str, Detail] | None = None,
) -> list[Problem]:
    """Problems from Pandera's failure cases (either backend, as pandas).

    `rules` maps the check names of catalogue rules (`check_name`) to their rules, so
    their problems carry the rule's message and follow-up flag; `details` maps some of
    them to the text (by row index) their problems show as the hint.
    """
    fc = failure_cases
    # A frame-wide check may be reported once per column; one problem per row is enough.
    if "DataFrameSchema" in set(fc["schema_context"]):
        fc = fc.drop_duplicates(subset=["check", "index"])
    return [_problem(row, place, rules or {}, details or {}) for row in fc.to_dict("records")]
