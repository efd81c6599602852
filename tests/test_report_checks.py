"""Accepted reports on dates and round labels are compared with the fact, like figures are."""

from datetime import date

import pytest
from conftest import edit, find, problems_of

from ai_lab_funding.build.derive.dates import PartialDate, agrees, read_date
from ai_lab_funding.build.derive.named import read_round_type
from ai_lab_funding.release.publish import compile_release

SERIES_C_DATE = ("report_id", "seed-001-itiger-kimi-7b-06")  # "December 31, 2025", accepted
SERIES_C_LABEL = ("report_id", "seed-004-bworldtools-500m-02")  # "Series C", accepted
FOUNDED = ("report_id", "asianintelligence-nd-moonshot-profile-02")  # "March 2023", accepted


@pytest.mark.parametrize(
    "text,parts",
    [
        ("December 31, 2025", (2025, 12, 31, None)),
        ("Dec. 31", (None, 12, 31, None)),
        ("2026/05/07 (TechCrunch address)", (2026, 5, 7, None)),
        ("2026 年 1 月 26 日", (2026, 1, 26, None)),
        ("6月11日", (None, 6, 11, None)),
        ("2021年4月", (2021, 4, None, None)),
        ("Friday (2026-02-27)", (2026, 2, 27, 4)),
        ("mid-2022", (2022, None, None, None)),
        ("last September", (None, 9, None, None)),
        ("a Tuesday report", (None, None, None, 1)),
        ("May 21st", (None, 5, 21, None)),
    ],
)
def test_a_printed_date_is_read_into_the_parts_it_states(text, parts):
    found = read_date(text)
    assert (found.year, found.month, found.day, found.weekday) == parts


@pytest.mark.parametrize(
    "text", ["one day before December 31", "Yesterday", "has just been announced"]
)
def test_relative_or_dateless_text_is_not_read(text):
    assert read_date(text) is None


def test_parts_are_compared_at_the_believed_precision():
    believed = date(2023, 3, 1)
    assert agrees(PartialDate(2023, 3, 17), believed, "month")  # the day means nothing here
    assert not agrees(PartialDate(2023, 4), believed, "month")
    assert agrees(PartialDate(None, None, None, 1), date(2025, 9, 9), "day")  # a Tuesday
    assert not agrees(PartialDate(None, None, None, 4), date(2025, 9, 9), "day")
    assert agrees(PartialDate(2023, 11), date(2023, 10, 1), "year")


@pytest.mark.parametrize(
    "label,kind",
    [
        ("Series B+", "series_b"),
        ("C+轮", "series_c"),
        ("B 輪", "series_b"),
        ("C+++", "series_c"),
        ("D-round", "series_d"),
        ("super angel", "angel"),
        ("secured notes and term loans", "debt"),
        ("Pre-A round", None),
        ("expansion / first tranche", None),
    ],
)
def test_a_printed_round_label_names_a_round_type(label, kind):
    assert read_round_type(label) == kind


@pytest.mark.parametrize(
    "key,text",
    [
        (SERIES_C_DATE, "December 30, 2025"),
        (SERIES_C_DATE, "a Monday report"),  # 2025-12-31 was a Wednesday
        (FOUNDED, "April 2023"),
        (SERIES_C_LABEL, "Series D"),
        (SERIES_C_LABEL, "B轮"),
    ],
)
def test_an_accepted_report_that_disagrees_fails_the_build(curated, key, text):
    line = edit(curated, "reports", key, "value_as_reported", text)
    p = find(problems_of(curated), "accepted_mismatch", line=line, column="value_as_reported")
    assert p.value == text


def test_a_rejected_report_may_disagree(curated):
    edit(curated, "reports", SERIES_C_LABEL, "value_as_reported", "Series D")
    edit(curated, "reports", SERIES_C_LABEL, "verdict", "rejected")
    edit(curated, "reports", SERIES_C_LABEL, "reason", "conflicting_source")
    reports = compile_release(curated).tables["reports"].set_index("report_id")
    assert reports.loc[SERIES_C_LABEL[1], "check"] == "mismatch"
    assert reports.loc[SERIES_C_DATE[1], "check"] == "match"


def test_an_accepted_report_with_no_date_in_it_is_named_not_compared(curated):
    line = edit(curated, "reports", SERIES_C_DATE, "value_as_reported", "at year end")
    result = compile_release(curated)
    assert result.tables["reports"].set_index("report_id").loc[SERIES_C_DATE[1], "check"] == (
        "unparsed"
    )
    warning = next(w for w in result.warnings if w.rule == "not_compared")
    assert warning.line == line and warning.severity == "warning"
