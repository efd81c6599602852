"""What the build derives: USD at dated ECB rates, parsed reports checked against the believed figure."""

from conftest import edit, find, problems_of

from ai_lab_funding.pipeline import compile_release

REPORTS = "curated/reports.csv"
SERIES_C = ("round_id", "moonshot-ai-2025-12-series-c")


def test_currency_without_an_ecb_rate_is_named_on_its_row(curated):
    # NGN is a valid ISO 4217 code, but the ECB publishes no rate for it.
    line = edit(curated, "rounds", SERIES_C, "currency", "NGN")
    p = find(problems_of(curated), "fx_rate", file="curated/rounds.csv", line=line, column="currency")
    assert "NGN" in p.message


def test_report_without_a_number_fails_only_when_accepted(curated):
    accepted = edit(curated, "reports", ("report_id", "seed-000-kimi-700m-02"), "value_as_reported", "undisclosed sum")
    rejected = edit(curated, "reports", ("report_id", "seed-001-itiger-kimi-7b-02"), "value_as_reported", "declined to say")
    ps = problems_of(curated)
    assert find(ps, "unparseable", file=REPORTS, line=accepted).severity == "error"
    assert find(ps, "unparseable", file=REPORTS, line=rejected).severity == "warning"


def test_report_in_another_currency_is_compared_at_the_days_rate(curated):
    # $500 million on 2025-12-31 is about 3.5 billion yuan at that day's ECB cross rate.
    edit(curated, "reports", ("report_id", "seed-000-kimi-700m-02"), "value_as_reported", "35亿元")
    built = compile_release(curated).tables
    reports = built["reports"].set_index("report_id")
    row = reports.loc["seed-000-kimi-700m-02"]
    assert (row["currency"], row["canonical_currency"], row["check"]) == ("CNY", "USD", "match")
    assert 0.97 < row["ratio_to_canonical"] < 1.03
    fx = built["fx_rates"]
    assert ((fx["currency"] == "CNY") & (fx["requested_on"] == "2025-12-31")).any()
