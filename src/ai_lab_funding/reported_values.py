"""Parse a figure as a source printed it ("more than $700 million", "100-120亿美元") into numbers.

Sources mix English scales, Chinese units (万 = 10^4, 亿 = 10^8) and currency marks, and
the ×10 errors this dataset exists to catch come from exactly that mix, so the parser
keeps scale, currency and hedge apart and never guesses a currency that is not printed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    """A parsed figure. `high` is set for ranges; `currency` is None when none is printed."""

    value: float
    high: float | None
    currency: str | None
    qualifier: str
    unit: str  # currency | percent | multiple | number


_QUALIFIERS = [
    ("at_least", r"more than|over|above|exceeding|exceeds?|in excess of|at least|surpass(?:ing|ed)?|north of|upwards of|超过|超|逾|多于|至少|不低于"),
    ("about", r"nearly|almost|about|around|roughly|approximately|approx\.?|approaching|close to|some|~|约|近|将近|接近|大约"),
    ("up_to", r"up to|as much as|as high as|less than|under|below|最高|至多|不超过|不到"),
]
_SUFFIX_QUALIFIERS = [("at_least", r"以上|多|\+"), ("about", r"左右")]

_CURRENCY_MARKS = [  # longest first
    ("HKD", r"HK\$|HKD|港元|港币|港幣"),
    ("USD", r"US\$|USD|美元|美金|\$|dollars?"),
    ("CNY", r"RMB|CNY|人民币|yuan|元|¥|￥"),
    ("EUR", r"€|EUR|euros?"),
    ("GBP", r"£|GBP|pounds?"),
]
_SCALES = [  # longest first; Chinese compound units before single ones
    (r"万亿|兆", 1e12), (r"千亿", 1e11), (r"百亿", 1e10), (r"十亿", 1e9), (r"千万", 1e7), (r"百万", 1e6),
    (r"亿", 1e8), (r"万", 1e4), (r"千", 1e3),
    (r"trillion|tn|t\b", 1e12), (r"billion|bn|b\b", 1e9), (r"million|mn|mln|mio|m\b", 1e6), (r"thousand|k\b", 1e3),
]
_WORD_MULTIPLES = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
                   "double": 2, "doubled": 2, "triple": 3, "tripled": 3, "quadruple": 4, "quadrupled": 4,
                   "两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_NUM = r"\d+(?:,\d{3})*(?:\.\d+)?"
_RANGE_SEP = r"\s*(?:-|–|—|~|to|and|至|到)\s*"


def _find_currency(text: str) -> str | None:
    for code, pattern in _CURRENCY_MARKS:
        if re.search(pattern, text, flags=re.IGNORECASE):
            return code
    return None


def _find_scale(text: str) -> float:
    for pattern, factor in _SCALES:
        if re.search(r"(?<![a-z])(?:" + pattern + r")", text, flags=re.IGNORECASE):
            return factor
    return 1.0


def _qualifier(text: str) -> str:
    low = text.lower()
    for name, pattern in _QUALIFIERS:
        if re.search(r"(?:^|\s|\b)(?:" + pattern + r")", low):
            return name
    for name, pattern in _SUFFIX_QUALIFIERS:
        if re.search(r"(?:" + pattern + r")\s*$", low):
            return name
    return "exact"


def _num(s: str) -> float:
    return float(s.replace(",", ""))


def parse_reported(text: str) -> Figure | None:
    """The figure in `text`, or None when it holds no number (a name, a label)."""
    t = text.strip().replace("，", ",").replace("．", ".").replace("\u00a0", " ")
    low = t.lower()
    qualifier = _qualifier(t)

    m = re.search(r"(" + _NUM + r")\s*%|(" + _NUM + r")\s*percent|百分之(" + _NUM + r")", low)
    if m:
        return Figure(_num(next(g for g in m.groups() if g)), None, None, qualifier, "percent")
    m = re.search(r"(" + _NUM + r")\s*(?:x\b|times|fold|倍)", low)
    if m:
        return Figure(_num(m.group(1)), None, None, qualifier, "multiple")
    m = re.search(r"(" + "|".join(_WORD_MULTIPLES) + r")(?:-?fold|倍)|\b(doubled?|tripled?|quadrupled?)\b", low)
    if m:
        return Figure(float(_WORD_MULTIPLES[m.group(1) or m.group(2)]), None, None, qualifier, "multiple")

    rng = re.search(r"(" + _NUM + r")\s*(" + r"[^\d\s]*?" + r")" + _RANGE_SEP + r"\D{0,3}?(" + _NUM + r")", t, flags=re.IGNORECASE)
    if rng and re.search(r"\d" + _RANGE_SEP + r"\D{0,3}\d", t[rng.start():rng.end()], flags=re.IGNORECASE):
        lo_txt, lo_unit, hi_txt = rng.group(1), rng.group(2), rng.group(3)
        rest = t[rng.end():]
        hi_scale = _find_scale(rest)
        lo_scale = _find_scale(lo_unit) if lo_unit.strip() else hi_scale
        currency = _find_currency(t)
        lo, hi = _num(lo_txt) * lo_scale, _num(hi_txt) * hi_scale
        if lo > hi:
            lo, hi = hi, lo
        return Figure(lo, hi, currency, "range", "currency" if currency else "number")
    m = re.search(_NUM, t)
    if not m:
        return None
    value = _num(m.group(0)) * _find_scale(t[m.end():])
    currency = _find_currency(t)
    return Figure(value, None, currency, qualifier, "currency" if currency else "number")
