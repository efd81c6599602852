"""Every investor an accepted report names is held against the round's investors."""

from conftest import edit, find, problems_of

from ai_lab_funding.release.publish import compile_release

NAMED = "curated/reported_investors.csv"
ALIBABA_LEADS = ("report_id", "seed-000-kimi-700m-05")  # first row: Alibaba, co-lead


def _edit_first(curated, column: str, value: str) -> int:
    return edit(curated, "reported_investors", ALIBABA_LEADS, column, value)


def test_a_name_the_report_does_not_print_is_named(curated):
    line = _edit_first(curated, "name_as_printed", "Alibaba Group")
    find(problems_of(curated), "name_not_printed", file=NAMED, line=line)


def test_a_lead_the_round_does_not_list_as_lead_fails_the_build(curated):
    edit(
        curated,
        "round_investors",
        ("investor_id", "5y-capital"),
        "role",
        "participant",
    )
    # The accepted report says 5Y co-led; round_investors now says it only took part.
    ps = problems_of(curated)
    hit = find(ps, "named_role_differs", file=NAMED, column="role_as_reported")
    assert "has it as participant" in hit.hint


def test_an_investor_missing_from_the_round_fails_the_build(curated):
    line = _edit_first(curated, "investor_id", "idg-capital")
    _edit_first(curated, "name_as_printed", "Alibaba")
    hit = find(problems_of(curated), "named_not_in_round", file=NAMED, line=line)
    assert "does not list it" in hit.hint


def test_a_rejected_report_is_not_held_to_the_round(curated):
    edit(curated, "reports", ALIBABA_LEADS, "verdict", "rejected")
    edit(curated, "reports", ALIBABA_LEADS, "reason", "conflicting_source")
    edit(curated, "round_investors", ("investor_id", "5y-capital"), "role", "participant")
    compile_release(curated)  # only the rejected report said 5Y co-led: nothing to hold
