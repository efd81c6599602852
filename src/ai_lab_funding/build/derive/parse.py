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
    rounding: float = 0.0  # half a unit of the last printed digit, relative: "$1.2 billion" → 0.042


_QUALIFIERS = [
    (
        "at_least",
        r"more than|over|above|exceeding|exceeds?|in excess of|at least|surpass(?:ing|ed)?"
        r"|north of|upwards of|突破|超过|超|逾|多于|至少|不低于",
    ),
    (
        "about",
        r"nearly|almost|about|around|roughly|approximately|approx\.?|approaching|close to|some"
        r"|~|约|近|将近|接近|大约",
    ),
    ("up_to", r"up to|as much as|as high as|less than|under|below|最高|至多|不超过|不到"),
]
_SUFFIX_QUALIFIERS = [("at_least", r"以上|多|\+"), ("about", r"左右")]

# The sign ¥ (and its full-width ￥) is both the yuan's and the yen's: a figure printed with
# it alone has this pseudo-currency, which the report's context turns into CNY or JPY.
YEN_SIGN = "¥"
_CURRENCY_MARKS = [  # longest first
    ("HKD", r"HK\s?\$|HKD|港元|港币|港幣"),  # "HK $": some outlets print a space
    # Other dollars: a letter prefix that is not part of a word ("US$" is not "S$"), or a code
    ("NZD", r"(?<![A-Za-z])NZ\s?\$|\bNZD\b"),
    ("AUD", r"(?<![A-Za-z])AU?\$|\bAUD\b"),
    ("CAD", r"(?<![A-Za-z])CA?\$|\bCAD\b"),
    ("SGD", r"(?<![A-Za-z])S\$|\bSGD\b"),
    ("USD", r"US\$|USD|美元|美金|\$|dollars?|dólares|dollari|долларов|доллара|달러"),
    ("CNY", r"RMB|CNY|人民币|yuan|元"),
    ("EUR", r"€|EUR|euros?"),
    ("GBP", r"£|GBP|pounds?"),
    ("KRW", r"KRW|₩|\bwon\b|원"),
    ("JPY", r"JPY|\byen\b|円"),
    (YEN_SIGN, r"¥|￥"),  # yuan or yen: the report's implied_currency decides (reports.py)
    ("INR", r"INR|₹|\bRs\.?|rupees?"),
]
_SCALES = [  # longest first; Chinese compound units before single ones
    (r"万亿|兆", 1e12),
    (r"千亿", 1e11),
    (r"百亿", 1e10),
    (r"十亿", 1e9),
    (r"千万", 1e7),
    (r"百万", 1e6),
    (r"亿", 1e8),
    (r"万", 1e4),
    (r"千", 1e3),
    (r"조", 1e12),  # Korean units: 조 = 10^12, 억 = 10^8, 만 = 10^4
    (r"억", 1e8),
    (r"만", 1e4),
    (r"trillion|tn|t\b|billones|bilioni", 1e12),
    # The European long scale: milliard (fr), Milliarde(n) (de), miliardo/i (it), mil millones
    # (es), bilhão/bilhões (pt, short scale), миллиард/млрд (ru) are all 10^9.
    (
        r"mil millones|mil milh(?:ões|oes|ão|ao)|milliard\w*|miliard\w*|bilh(?:ão|ões|ao|oes)"
        r"|mrd\b\.?|миллиард\w*|млрд",
        1e9,
    ),
    (r"billion|bn|b\b", 1e9),
    (r"crores?|cr\b", 1e7),  # Indian: 1 crore = 10^7, 1 lakh = 10^5
    (r"lakhs?|lacs?\b", 1e5),
    (
        r"million\w*|millones|mill[oó]n|milion\w*|milh(?:ão|ões|ao|oes)|миллион\w*|млн"
        r"|mn|mln|mio\b\.?|mil\b|m\b",
        1e6,
    ),
    (r"thousand|k\b", 1e3),
]
_WORD_MULTIPLES = {
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "double": 2,
    "doubled": 2,
    "triple": 3,
    "tripled": 3,
    "quadruple": 4,
    "quadrupled": 4,
    "两": 2,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "十": 10,
}
_NUM = r"\d+(?:,\d{3})*(?:\.\d+)?"
# Vague magnitudes become ranges, so they can still be compared with the believed figure.
_VAGUE = [
    (r"hundreds of millions", 1e8, 1e9),
    (r"several hundred million|a few hundred million", 2e8, 9e8),
    (r"tens of millions", 1e7, 1e8),
    (r"tens of billions", 1e10, 1e11),
    (r"several billion|a few billion", 2e9, 9e9),
    (r"[数數几幾]亿|[数數几幾]億", 2e8, 9e8),
    (r"[数數几幾]十亿|[数數几幾]十億", 2e9, 9e9),
]
_CN_DIGITS = {
    "一": 1,
    "二": 2,
    "两": 2,
    "兩": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "十": 10,
}
_WORD_NUMBERS = {
    "a hundred": 100,
    "one hundred": 100,
    "a thousand": 1000,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "a": 1,
}
_RANGE_SEP = r"\s*(?:-|–|—|~|to|and|至|到)\s*"


_CURRENCY_RE = [(code, re.compile(pattern, re.IGNORECASE)) for code, pattern in _CURRENCY_MARKS]
_SCALE_RE = [
    (re.compile(r"\s*-?\s*(?:" + pattern + r")", re.IGNORECASE), factor)
    for pattern, factor in _SCALES
]
_QUALIFIER_RE = [
    (name, re.compile(r"(?:^|\s|\b)(?:" + pattern + r")")) for name, pattern in _QUALIFIERS
]
_SUFFIX_QUALIFIER_RE = [
    (name, re.compile(r"(?:" + pattern + r")\s*$")) for name, pattern in _SUFFIX_QUALIFIERS
]


def _find_currency(text: str) -> str | None:
    for code, pattern in _CURRENCY_RE:
        if pattern.search(text):
            return code
    return None


def _first_currency(text: str, last: bool = False) -> str | None:
    """The currency whose mark comes first (or last) in `text`."""
    found = []
    for code, pattern in _CURRENCY_RE:
        for m in pattern.finditer(text):
            found.append((m.start(), -len(m.group(0)), code))
    if not found:
        return None
    return (max if last else min)(
        found, key=lambda f: (f[0], f[1]) if not last else (f[0] - f[1], -f[1])
    )[2]


# A bare $ is the US dollar unless the figure's own words end in another dollar's code
# ("$500 million NZD"); a mark of the next figure ("$128 billion (HK$1 trillion)") is not it.
_BARE_DOLLAR = re.compile(r"(?<![A-Za-z])\$\s*$")
_DOLLAR_CODE_AFTER = re.compile(r"^\s*[^\W\d]*\s*(NZD|AUD|CAD|SGD|HKD)\b", re.IGNORECASE)


def _currency_near(t: str, start: int, end: int) -> str | None:
    """The currency printed with the figure at t[start:end].

    That is a mark just before it, else the first mark after it and before any other
    figure ("10 billion yuan ($1.4 billion)" is CNY). A ¥ before it is `YEN_SIGN` unless a
    yuan or yen word follows the figure; a bare $ is USD unless another dollar's code does.
    """
    lead = t[max(0, start - 4) : start]
    before = _first_currency(lead, last=True)
    bare_dollar = before == "USD" and _BARE_DOLLAR.search(lead) is not None
    if before and before != YEN_SIGN and not bare_dollar:
        return before
    nxt = re.search(r"\d", t[end:])
    after = _first_currency(t[end : end + nxt.start()] if nxt else t[end:])
    if before == YEN_SIGN:  # "¥20 billion yen": the word says which ¥ it is
        return after if after in ("CNY", "JPY") else YEN_SIGN
    if bare_dollar:
        code = _DOLLAR_CODE_AFTER.match(t[end:])
        return code.group(1).upper() if code else "USD"
    return after


def _find_scale(text: str) -> float:
    """Scale word directly after a figure ("5 billion", "5亿", "5bn"), else 1."""
    for pattern, factor in _SCALE_RE:
        if pattern.match(text):
            return factor
    return 1.0


def _qualifier(text: str) -> str:
    low = text.lower()
    for name, pattern in _QUALIFIER_RE:
        if pattern.search(low):
            return name
    for name, pattern in _SUFFIX_QUALIFIER_RE:
        if pattern.search(low):
            return name
    return "exact"


def _num(s: str) -> float:
    return float(s.replace(",", ""))


def _rounding(s: str) -> float:
    """Relative half-unit of the last significant printed digit: "1.2" → 0.05/1.2."""
    digits = s.replace(",", "")
    whole, _, frac = digits.partition(".")
    value = float(digits)
    if value == 0:
        return 0.0
    step = 10.0 ** -len(frac) if frac else 10.0 ** (len(whole) - len(whole.rstrip("0")))
    return 0.5 * step / value


def _normalise(text: str) -> str:
    t = (
        text.strip()
        .replace("，", ",")
        .replace("．", ".")
        .replace("\u00a0", " ")
        .replace("億", "亿")
        .replace("萬", "万")
    )
    # A decimal comma ("1,5 Milliarden", "2,3 bilhões"): one or two digits after the comma
    # and a scale word next; "1,500 million" (three digits) keeps its thousands separator.
    t = re.sub(r"(\d),(\d{1,2})(?=\s*(?:[A-Za-zА-я]|억|조|만))", r"\1.\2", t)
    # A compound of 亿 and 万 ("138억9991만원", "1亿2000万元") is one number: 13,899,910,000.
    t = re.sub(
        r"(\d+)\s*[亿억]\s*(\d{1,4})\s*[万만]",
        lambda m: str(int(m.group(1)) * 100_000_000 + int(m.group(2)) * 10_000),
        t,
    )
    # A single Chinese numeral before a unit (一亿, 五十亿 is left to digits): 一亿 → 1亿.
    t = re.sub(
        r"([一二两兩三四五六七八九十])(?=[亿万千百])", lambda m: str(_CN_DIGITS[m.group(1)]), t
    )
    # Number words before a scale: "a hundred billion" → "100 billion".
    low = t.lower()
    for word, n in sorted(_WORD_NUMBERS.items(), key=lambda kv: -len(kv[0])):
        m = re.search(
            r"\b" + word + r"\s+(?=(?:hundred\s+)?(?:thousand|million|billion|trillion)\b)", low
        )
        if m and not re.search(r"\d", low[: m.start()]):
            t = t[: m.start()] + str(n) + " " + t[m.end() :]
            low = t.lower()
            break
    t = re.sub(
        r"(\d+)\s+hundred\s+(?=thousand|million|billion)",
        lambda m: str(int(m.group(1)) * 100) + " ",
        t,
        flags=re.IGNORECASE,
    )
    return t


def _without_plus(t: str) -> tuple[str, bool]:
    """The text with a "-plus" or "+" floor marker removed, and whether there was one."""
    plus = re.search(r"(\d[a-zA-Z]{0,3})\s*-?\s*plus\b|(\d)\+(?=\s*[a-zA-Z亿万])", t)
    if not plus:
        return t, False
    # "$300-plus million", "$300m-plus", "300+ million": a floor
    return t[: plus.start()] + (plus.group(1) or plus.group(2)) + t[plus.end() :], True


def _ratio(low: str, qualifier: str) -> Figure | None:
    """A percentage or a multiple ("40%", "百分之四十", "3x", "tripled"), if the text is one."""
    first = re.search(_NUM, low)
    if first:
        after = low[first.end() :]
        if re.match(r"\s*(?:%|percent)", after):
            return Figure(_num(first.group(0)), None, None, qualifier, "percent")
        if re.match(r"\s*(?:x\b|times|-?fold|倍)", after):
            return Figure(_num(first.group(0)), None, None, qualifier, "multiple")
    m = re.search(r"百分之(" + _NUM + r")", low)
    if m:
        return Figure(_num(m.group(1)), None, None, qualifier, "percent")
    m = re.search(
        r"(" + "|".join(_WORD_MULTIPLES) + r")(?:-?fold|倍)|\b(doubl|tripl|quadrupl)(?:e|ed|ing)\b",
        low,
    )
    if m:
        word = (
            m.group(1)
            or {"doubl": "double", "tripl": "triple", "quadrupl": "quadruple"}[m.group(2)]
        )
        return Figure(float(_WORD_MULTIPLES[word]), None, None, qualifier, "multiple")
    return None


def _vague(t: str, low: str) -> Figure | None:
    """A vague magnitude ("hundreds of millions", "数亿") as the range it stands for."""
    for pattern, lo, hi in _VAGUE:
        if re.search(pattern, low):
            currency = _find_currency(t)
            return Figure(lo, hi, currency, "range", "currency" if currency else "number")
    return None


def _range(t: str) -> Figure | None:
    """A range that starts at the text's first number ("100-120亿美元", "$2 to $3 billion")."""
    rng = re.search(
        r"(" + _NUM + r")\s*([^\d\s]*?)" + _RANGE_SEP + r"\D{0,3}?(" + _NUM + r")",
        t,
        flags=re.IGNORECASE,
    )
    if not rng or rng.start() != re.search(_NUM, t).start():
        return None
    lo_txt, lo_unit, hi_txt = rng.group(1), rng.group(2), rng.group(3)
    lo_unit_scale = _find_scale(lo_unit) if lo_unit.strip() else None
    if lo_unit_scale == 1.0:  # a word between the numbers that is not a scale: not a range
        return None
    hi_scale = _find_scale(t[rng.end() :])
    lo, hi = _num(lo_txt) * (lo_unit_scale or hi_scale), _num(hi_txt) * hi_scale
    if lo > hi:
        lo, hi = hi, lo
    currency = _currency_near(t, rng.start(), rng.end())
    return Figure(lo, hi, currency, "range", "currency" if currency else "number")


def _single(t: str, qualifier: str) -> Figure | None:
    """The first number with its scale and currency; None when there is no number."""
    m = re.search(_NUM, t)
    if not m:
        return None
    value = _num(m.group(0)) * _find_scale(t[m.end() :])
    currency = _currency_near(t, m.start(), m.end())
    unit = "currency" if currency else "number"
    return Figure(value, None, currency, qualifier, unit, _rounding(m.group(0)))


_VALUATION_CUE = re.compile(r"valuations?|valued|valuing|values?\b|worth|估值|市值", re.IGNORECASE)
# What may stand between a figure and the valuation word after it: "$350 billion post-money".
_FIGURE_TAIL = re.compile(
    r"\s*(?:trillion|billion|million|tn|bn|mn|m|b|[万亿千百十]+)?\s*"
    r"(?:美元|人民币|港元|元|yuan|dollars?|usd|rmb|hkd|euros?)?\s*"
    r"(?:post-money|pre-money|post money|pre money|投后|投前)?\s*$",
    re.IGNORECASE,
)
# How far after a valuation word its figure may start: "values Anthropic at $350 billion".
_CUE_REACH = 30


def _figures(t: str) -> list[re.Match[str]]:
    """The numbers in `t` that can be figures: a bare year ("in February 2024") is not one."""
    return [
        m
        for m in re.finditer(_NUM, t)
        if not (re.fullmatch(r"(?:19|20)\d{2}", m.group(0)) and _figure_end(t, m) == m.end())
    ]


def _figure_end(t: str, number: re.Match[str]) -> int:
    """Where a figure ends: after its number and the scale word that follows it, if any."""
    for pattern, _ in _SCALE_RE:
        scale = pattern.match(t, number.end())
        if scale:
            return scale.end()
    return number.end()


def _valuation_span(t: str) -> tuple[int, int] | None:
    """Where the valuation figure sits in a text that also gives another figure, if it does.

    A figure directly before a valuation word ("$350 billion valuation", "3500亿估值") wins
    over one after it ("at a valuation of $350 billion"), since a clause after the word
    ("…valuation, raising $2 billion") is usually about something else.
    """
    for cue in _VALUATION_CUE.finditer(t):
        before = t[: cue.start()]
        figures = list(re.finditer(_NUM, before))
        if figures and _FIGURE_TAIL.fullmatch(before[figures[-1].end() :]):
            start = _figure_end(before, figures[-2]) if len(figures) > 1 else 0
            return start, cue.start()
        nxt = re.search(_NUM, t[cue.end() :])
        if nxt and nxt.start() <= _CUE_REACH:
            return cue.end(), len(t)
    return None


def _focus(t: str, role: str | None) -> str:
    """The part of `t` that holds the figure of `role` ("valuation" or "amount").

    "$30 billion round at a valuation of $350 billion" gives $30 billion for an amount and
    $350 billion for a valuation: the first figure alone answered $30 billion for both.
    Texts with one figure, or without a valuation word, are left whole.
    """
    if role is None or len(_figures(t)) < 2:
        return t
    span = _valuation_span(t)
    if span is None:
        return t
    start, end = span
    if role == "valuation":
        return t[start:end]
    rest = t[:start] + " " + t[end:]
    return rest if _figures(rest) else t


def parse_reported(text: str, role: str | None = None) -> Figure | None:
    """The figure in `text` (the first, or the one for `role`); None when it holds no number.

    `role` is "valuation" for a valuation field and "amount" for a round's amount; a text
    giving both ("$5 billion investment values Anthropic at $350 billion") then yields the
    figure the field is about.
    """
    t = _focus(_normalise(text), role)
    t = re.sub(r"^\s*(?:19|20)\d{2}\s*[:：]\s*", "", t)  # a year label: "2025: $13.1 billion"
    t, plus = _without_plus(t)
    low = t.lower()
    qualifier = "at_least" if plus else _qualifier(t)
    return _ratio(low, qualifier) or _vague(t, low) or _range(t) or _single(t, qualifier)
