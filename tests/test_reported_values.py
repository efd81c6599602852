"""The parser of printed figures: examples from the sources, and properties over generated text."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ai_lab_funding.build.derive.parse import parse_reported

EXAMPLES = [
    ("$7 billion", 7e9, None, "USD", "exact"),
    ("more than $700 million", 7e8, None, "USD", "at_least"),
    ("100 billion yuan", 1e11, None, "CNY", "exact"),
    ("$100–120 billion", 1e11, 1.2e11, "USD", "range"),
    ("100-120亿美元", 1e10, 1.2e10, "USD", "range"),
    ("35亿元", 3.5e9, None, "CNY", "exact"),
    ("超过5亿美元", 5e8, None, "USD", "at_least"),
    ("约43亿美元", 4.3e9, None, "USD", "about"),
    ("超過一億元", 1e8, None, "CNY", "at_least"),
    ("nearly $2bn", 2e9, None, "USD", "about"),
    ("up to $1 billion", 1e9, None, "USD", "up_to"),
    ("HK$4.2 billion", 4.2e9, None, "HKD", "exact"),
    ("HK $62.6 million", 6.26e7, None, "HKD", "exact"),  # printed with a space
    ("€105 million", 1.05e8, None, "EUR", "exact"),
    ("RMB 5 billion", 5e9, None, "CNY", "exact"),
    ("¥5 billion", 5e9, None, "¥", "exact"),  # yuan or yen: the report's context decides
    ("approximately ¥10.5bn", 1.05e10, None, "¥", "about"),
    ("US$500m", 5e8, None, "USD", "exact"),
    ("$300m-plus (2.14bn yuan)", 3e8, None, "USD", "at_least"),
    ("more than 10 billion yuan (US$1.4 billion)", 1e10, None, "CNY", "at_least"),
    ("385 million euros ($414 million)", 3.85e8, None, "EUR", "exact"),
    ("between $52 billion and $59 billion", 5.2e10, 5.9e10, "USD", "range"),
    ("2025: $13.1 billion", 1.31e10, None, "USD", "exact"),
    ("over a hundred billion", 1e11, None, None, "at_least"),
    ("hundreds of millions of dollars", 1e8, 1e9, "USD", "range"),
    ("數億美元", 2e8, 9e8, "USD", "range"),
    ("100亿", 1e10, None, None, "exact"),
    # Scale words and currencies of other languages, as the new labs' sources print them.
    ("225 milioni di dollari", 2.25e8, None, "USD", "exact"),
    ("40 миллиардов долларов", 4e10, None, "USD", "exact"),
    ("1,5 Milliarden Euro", 1.5e9, None, "EUR", "exact"),
    ("2,3 bilhões de dólares", 2.3e9, None, "USD", "exact"),
    ("3 mil millones de dólares", 3e9, None, "USD", "exact"),
    ("US$ 2 mil milhões", 2e9, None, "USD", "exact"),  # Portuguese (Portugal): 10^9
    ("1 milliard d'euros", 1e9, None, "EUR", "exact"),
    ("500 Mio. Euro", 5e8, None, "EUR", "exact"),
    ("316억 원", 3.16e10, None, "KRW", "exact"),
    ("5,600억원", 5.6e11, None, "KRW", "exact"),
    ("7.9조 원", 7.9e12, None, "KRW", "exact"),
    ("138억9991만원", 13_899_910_000, None, "KRW", "exact"),
    ("1亿2000万元", 120_000_000, None, "CNY", "exact"),
    ("10 billion won", 1e10, None, "KRW", "exact"),
    ("Rs 400 crore", 4e9, None, "INR", "exact"),
    ("₹50 lakh", 5e6, None, "INR", "exact"),
    ("¥20 billion yen", 2e10, None, "JPY", "exact"),
    # Other dollars: a code after a bare $, or a prefix; US$ stays the US dollar.
    ("$500 million NZD", 5e8, None, "NZD", "exact"),
    ("NZ$2.5 billion", 2.5e9, None, "NZD", "exact"),
    ("NZ $2.5 billion", 2.5e9, None, "NZD", "exact"),
    ("A$50 million", 5e7, None, "AUD", "exact"),
    ("C$1.1 billion", 1.1e9, None, "CAD", "exact"),
    ("S$20 million", 2e7, None, "SGD", "exact"),
    ("US$20 million", 2e7, None, "USD", "exact"),
    ("$20 million for its Asian arcade unit", 2e7, None, "USD", "exact"),
    ("$128 billion (HK$1 trillion)", 1.28e11, None, "USD", "exact"),
    ("over $500m NZD", 5e8, None, "NZD", "at_least"),
    ("￥5亿元", 5e8, None, "CNY", "exact"),
]


@pytest.mark.parametrize("text,value,high,currency,qualifier", EXAMPLES)
def test_examples(text, value, high, currency, qualifier):
    f = parse_reported(text)
    assert f is not None
    assert f.value == pytest.approx(value)
    assert (f.high is None) if high is None else f.high == pytest.approx(high)
    assert (f.currency, f.qualifier) == (currency, qualifier)


@pytest.mark.parametrize("text", ["$350bn", "$350 billion", "350 billion", "3,500亿", "3500億"])
def test_every_way_of_writing_350_billion_is_the_same_value(text):
    assert parse_reported(text).value == pytest.approx(3.5e11)


# A text giving a round and its valuation: each field takes its own figure, not the first one.
BOTH = [
    ("$30 billion round at a valuation of $350 billion", 3e10, 3.5e11),
    ("$5 billion investment values Anthropic at $350 billion", 5e9, 3.5e11),
    ("$3.5bn at a $61.5bn value", 3.5e9, 6.15e10),
    ("raised $2B at more than $350B valuation", 2e9, 3.5e11),
    ("以3500亿美元估值完成300亿美元融资", 3e10, 3.5e11),
    ("$2.5 billion post-money valuation in February 2024", 2.5e9, 2.5e9),
]


@pytest.mark.parametrize("text,amount,valuation", BOTH)
def test_amount_and_valuation_in_one_text(text, amount, valuation):
    assert parse_reported(text, "amount").value == pytest.approx(amount)
    assert parse_reported(text, "valuation").value == pytest.approx(valuation)


def test_percent_and_multiples():
    assert parse_reported("exceeding 170%").unit == "percent"
    assert parse_reported("exceeding 170%").value == 170
    assert parse_reported("fourfold").value == 4
    assert parse_reported("quadrupling").value == 4
    assert parse_reported("4x").unit == "multiple"


def test_text_without_a_figure():
    assert parse_reported("Alibaba, Tencent and IDG") is None
    assert parse_reported("declined to say how much") is None


amounts = st.decimals(min_value="0.1", max_value="999.9", places=1).map(float)


@given(amounts, st.sampled_from([("million", 1e6), ("billion", 1e9), ("bn", 1e9), ("m", 1e6)]))
def test_english_scales_in_dollars(v, scale):
    word, factor = scale
    f = parse_reported(f"${v} {word}" if len(word) > 2 else f"${v}{word}")
    assert f.currency == "USD" and f.value == pytest.approx(v * factor)


@given(
    amounts,
    st.sampled_from(
        [("亿美元", "USD", 1e8), ("亿元", "CNY", 1e8), ("万元", "CNY", 1e4), ("亿港元", "HKD", 1e8)]
    ),
)
def test_chinese_units(v, unit):
    suffix, currency, factor = unit
    f = parse_reported(f"{v}{suffix}")
    assert (f.currency, f.value) == (currency, pytest.approx(v * factor))


@given(amounts)
def test_yi_mistranslated_is_exactly_ten_times(v):
    # 亿 = 10^8: "v亿美元" read as "v billion dollars" is ten times too large.
    right, wrong = parse_reported(f"{v}亿美元"), parse_reported(f"${v} billion")
    assert wrong.value / right.value == pytest.approx(10)


@given(amounts, amounts, st.sampled_from(["–", "-", " to "]))
def test_ranges_are_ordered(a, b, sep):
    f = parse_reported(f"${a}{sep}{b} billion")
    assert f.qualifier == "range" and f.value <= f.high
    assert [f.value, f.high] == [pytest.approx(min(a, b) * 1e9), pytest.approx(max(a, b) * 1e9)]


@given(st.sampled_from(["more than", "over", "nearly", "about", "up to", "roughly"]), amounts)
def test_hedges(word, v):
    f = parse_reported(f"{word} ${v} million")
    expected = {
        "more than": "at_least",
        "over": "at_least",
        "nearly": "about",
        "about": "about",
        "roughly": "about",
        "up to": "up_to",
    }
    assert f.qualifier == expected[word] and f.value == pytest.approx(v * 1e6)


@given(st.text(max_size=60))
def test_never_crashes(text):
    f = parse_reported(text)
    assert f is None or f.value >= 0
