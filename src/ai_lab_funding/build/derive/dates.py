"""Read the date a source printed ("Dec. 31", "2026 年 1 月 26 日", "Friday (2026-02-27)").

Sources give dates at every precision and often without a year: a day and month, a month,
a weekday, "mid-2022". Each is read into the parts it states, and only those parts are
compared with the believed date, at the believed date's own precision. Text that states
no part, or states one relative to something else ("one day before December 31"), is
not read at all rather than read wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sept", "sep"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTH_NAME = r"\b(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\b\.?"
_YEAR = r"\b(1[89]\d{2}|20\d{2})\b"
# Words that make the printed date relative to another one: it is not the date itself.
_RELATIVE = re.compile(r"\b(before|after|earlier|later|ago)\b|[前后]", re.IGNORECASE)


@dataclass(frozen=True)
class PartialDate:
    """The parts of a date a source stated; None where it did not say."""

    year: int | None = None
    month: int | None = None
    day: int | None = None
    weekday: int | None = None  # Monday = 0, as datetime.date.weekday

    def stated(self) -> bool:
        """Whether the text stated any part at all."""
        return any(v is not None for v in (self.year, self.month, self.day, self.weekday))


def _iso(text: str) -> PartialDate | None:
    m = re.search(r"\b(\d{4})[-/](\d{1,2})[-/](\d{1,2})\b", text)
    return PartialDate(int(m[1]), int(m[2]), int(m[3])) if m else None


def _chinese(text: str) -> PartialDate | None:
    m = re.search(r"(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月(?:\s*(\d{1,2})\s*日)?", text)
    if m:
        return PartialDate(int(m[1]) if m[1] else None, int(m[2]), int(m[3]) if m[3] else None)
    m = re.search(r"(\d{4})\s*年", text)
    return PartialDate(int(m[1])) if m else None


def _english(text: str) -> PartialDate:
    low = text.lower()
    month = re.search(_MONTH_NAME, low)
    year = re.search(_YEAR, low)
    day = None
    if month:
        after = re.match(
            r"\s*(\d{1,2})(?:st|nd|rd|th)?\b(?!\s*(?:bn|billion|million|%))", low[month.end() :]
        )
        day = int(after[1]) if after else None
    weekday = next((i for i, name in enumerate(_WEEKDAYS) if name in low), None)
    return PartialDate(
        int(year[1]) if year else None,
        _MONTHS[month[1]] if month else None,
        day,
        weekday,
    )


def read_date(text: str | None) -> PartialDate | None:
    """The parts of a date `text` states, or None when it states none it can be held to."""
    if not text or _RELATIVE.search(text):
        return None
    found = _iso(text) or _chinese(text)
    if found is None:
        found = _english(text)
    elif found.weekday is None:  # "Friday (2026-02-27)": the weekday is checked too
        weekday = _english(text).weekday
        found = PartialDate(found.year, found.month, found.day, weekday)
    if found.month is not None and not 1 <= found.month <= 12:
        return None
    return found if found.stated() else None


# Precision of a believed date → the parts of a report it is compared on.
_PARTS_AT = {
    "day": ("year", "month", "day", "weekday"),
    "month": ("year", "month"),
    "quarter": ("year", "quarter"),
    "year": ("year",),
}


def agrees(reported: PartialDate, believed: date, precision: str | None) -> bool:
    """Whether every part the report states agrees with `believed` at its precision."""
    parts = _PARTS_AT.get(precision or "day", _PARTS_AT["day"])
    checks = {
        "year": (reported.year, believed.year),
        "month": (reported.month, believed.month),
        "day": (reported.day, believed.day),
        "weekday": (reported.weekday, believed.weekday()),
        "quarter": (
            None if reported.month is None else (reported.month - 1) // 3,
            (believed.month - 1) // 3,
        ),
    }
    return all(checks[p][0] is None or checks[p][0] == checks[p][1] for p in parts)
