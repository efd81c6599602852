"""A curated table's text cells → typed polars columns, every defective cell named.

Every check of every column runs in one polars `select` on all cores; only the few
defective cells are then visited in Python to word their problems.
"""

from __future__ import annotations

import re

import numpy as np
import polars as pl
import pyarrow as pa

from ...problems import UNREADABLE_CELL, Problem
from ...schemas import types


def _number_hint(value: str) -> str:
    if re.search(r"\d,\d{3}", value):
        return "remove the thousands separators"
    if re.search(r"[$¥€£]|US\$|HK\$|RMB|亿|万|[0-9.]\s*(?:[kKmMbB]n?|billion|million)\b", value):
        return (
            "write a plain number in full units (e.g. 5000000000), "
            "with the currency in its own column"
        )
    return ""


def _date_hint(value: str) -> str:
    if re.fullmatch(r"\d{4}-\d{2}", value):
        return f"write {value}-01 and set the precision column to month"
    if re.fullmatch(r"\d{4}", value):
        return f"write {value}-01-01 and set the precision column to year"
    return "dates are YYYY-MM-DD"


def _valid_days(text: pl.Expr) -> pl.Expr:
    """True where a YYYY-MM-DD text names a real calendar day (proleptic Gregorian, as pandas).

    Computed from the parts: a lenient date parser would roll 2023-02-30 over into March.
    """

    def part(start: int, length: int) -> pl.Expr:
        return text.str.slice(start, length).cast(pl.Int64, strict=False)

    year, month, day = part(0, 4), part(5, 2), part(8, 2)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_days = month.replace_strict(
        dict(enumerate((31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31), start=1)),
        default=0,
        return_dtype=pl.Int64,
    ) + (leap & (month == 2)).cast(pl.Int64)
    # Year 0 does not exist in Python's calendar: every later step would fail on it.
    return (year >= 1) & (day >= 1) & (day <= month_days)


# Integers of more digits than this may not fit in 64 bits.
_MAX_INT_DIGITS = 18


def _checks(col: str, kind: str) -> dict[str, pl.Expr]:
    """Boolean expressions, True on a defective cell, keyed by the check's name."""
    s = pl.col(col)
    present = s != ""
    # A line break inside a quoted cell shifts every later line number: refuse it.
    out = {"line_break": s.str.contains("\n", literal=True)}
    if kind == "string":
        hidden = s.str.contains(types.HIDDEN_CHARACTERS)
        out["hidden_character"] = hidden
        out["whitespace"] = present & (s != s.str.strip_chars()) & ~hidden
        out["formula_injection"] = pl.any_horizontal(
            s.str.starts_with(start) for start in types.FORMULA_START
        )
    elif kind in ("integer", "number"):
        out["type"] = present & ~_number_ok(s, kind)
    elif kind == "date":
        shaped = s.str.contains(types.pattern("date"))
        out["date_format"] = present & ~shaped
        out["impossible_date"] = shaped & ~_valid_days(s)
    elif kind == "boolean":
        out["type"] = present & ~s.is_in(list(types.BOOLEAN_TEXT))
    return out


def _number_ok(s: pl.Expr, kind: str) -> pl.Expr:
    ok = s.str.contains(types.pattern(kind))
    if kind == "integer":
        ok &= s.str.strip_chars_start("-").str.len_chars() <= _MAX_INT_DIGITS
    else:  # 1e309 is spelled like a number but is infinite as a 64-bit float
        ok &= s.cast(pl.Float64, strict=False).is_finite().fill_null(False)
    return ok


# Any cell a text column's checks could refuse matches this: a line break, a hidden
# character, whitespace at either end (what `strip_chars` strips: Unicode White_Space, as
# the pattern's \s), or a formula's first character.
_SUSPECT = "|".join(
    [r"\n", types.HIDDEN_CHARACTERS, r"^\s", r"\s$"]
    + ["^[" + "".join(f"\\x{{{ord(c):X}}}" for c in types.FORMULA_START) + "]"]
)


def _clean_text_columns(text: pl.DataFrame, flds: list[dict]) -> set[str]:
    """The text columns where no cell could fail a check: one pattern scan instead of four.

    Nearly every cell of a curated file is clean, so the four checks of a text column run
    only where this finds a suspect; they still word every problem.
    """
    names = [f["name"] for f in flds if f["type"] == "string"]
    if not names:
        return set()
    counts = text.select(pl.col(n).str.contains(_SUSPECT).sum() for n in names).row(0)
    return {n for n, count in zip(names, counts) if count == 0}


def _no_defect(col: str) -> pl.Expr:
    """All false, one per row of `col`, for a column the first scan found clean.

    Its cells are text, never missing, so this reads only the column's validity;
    `pl.repeat(False, pl.len())` held 360 MiB more at the peak of a million-row file.
    """
    return pl.col(col).is_null()


def _typed(col: str, kind: str, unreadable: pl.Expr) -> pl.Expr:
    """The column in its schema type; an empty cell, or one `unreadable` flags, becomes missing."""
    s = pl.col(col)
    readable = (s != "") & ~unreadable
    if kind == "string":
        return pl.when(readable).then(s)
    if kind in ("integer", "number"):
        return pl.when(readable).then(s).cast(types.polars_type(kind))
    if kind == "date":
        return pl.when(readable).then(s).str.to_date("%Y-%m-%d")
    return pl.when(readable).then(s == types.BOOLEAN_TEXT[0])


# Cell checks whose problem is always worded the same: (message, hint, how much of the value).
_WORDING = {
    "line_break": ("cell contains a line break", "", 40),
    "whitespace": ("leading or trailing whitespace", "trim the cell", None),
    "formula_injection": (
        "text may not start with =, +, -, @, tab or CR (spreadsheet formula)",
        "",
        40,
    ),
    "impossible_date": ("no such calendar date", "", None),
}


def _problem(name: str, line: int, col: str, check: str, kind: str, v: str) -> Problem:
    if check == "hidden_character":
        found = types.first_hidden(v)
        message = f"cell holds an invisible or control character ({found})"
        return Problem(name, line, col, check, message, v[:40], "delete it or type it plainly")
    if check in _WORDING:
        message, hint, keep = _WORDING[check]
        return Problem(name, line, col, check, message, v[:keep], hint)
    if check == "date_format":
        return Problem(name, line, col, check, "not a date in YYYY-MM-DD form", v, _date_hint(v))
    if kind == "boolean":
        return Problem(name, line, col, "type", "booleans are written true or false", v)
    spelled = re.fullmatch(types.pattern(kind), v)
    too_large = "64-bit integer" if kind == "integer" else "64-bit number (it is infinite)"
    hint = _number_hint(v) or (f"too large for a {too_large}" if spelled else "")
    what = "an integer" if kind == "integer" else "a number"
    return Problem(name, line, col, "type", f"not {what}", v, hint)


def convert(
    name: str, t: pa.Table, lines: np.ndarray, flds: list[dict]
) -> tuple[pl.DataFrame, list[Problem]]:
    """Typed columns and every cell defect, as polars expressions over all columns at once.

    `lines` holds the editor line of each row, so problems name the line a contributor
    sees. Conversion reuses the check masks: each cell's patterns are matched once.
    """
    text = pl.from_arrow(t)
    assert isinstance(text, pl.DataFrame)
    clean = _clean_text_columns(text, flds)
    checks = {
        (f["name"], f["type"], check): _no_defect(f["name"]) if f["name"] in clean else expr
        for f in flds
        for check, expr in _checks(f["name"], f["type"]).items()
    }
    keys = list(checks)
    mask = [f"\x00check{i}" for i in range(len(keys))]  # cannot clash with a header name
    found = text.select(expr.alias(m) for m, expr in zip(mask, checks.values()))
    problems: list[Problem] = []
    for i, n in enumerate(found.select(pl.all().sum()).row(0)):
        if n:
            col, kind, check = keys[i]
            rows = np.flatnonzero(found[mask[i]].to_numpy())
            problems += [
                _problem(name, int(lines[r]), col, check, kind, text[col][int(r)]) for r in rows
            ]

    def unreadable(column: str) -> pl.Expr:
        flags = (
            pl.col(m)
            for m, (col, _, check) in zip(mask, keys)
            if col == column and check in UNREADABLE_CELL
        )
        return pl.any_horizontal(pl.lit(False), *flags)

    typed = text.hstack(found).select(
        _typed(f["name"], f["type"], unreadable(f["name"])).alias(f["name"]) for f in flds
    )
    return typed, problems
