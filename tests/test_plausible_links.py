"""Links that cannot be: cycles of parents or extensions, tickets above rounds, copied rounds."""

import narwhals as nw
import polars as pl
from conftest import add_row, edit, find, problems_of, rows, write_rows

from ai_lab_funding.build.rules.keys import _cycle_rows
from ai_lab_funding.build.validation import validate_curated
from ai_lab_funding.cli import main

R1 = "moonshot-ai-2025-12-series-c"  # 500000000 USD on 2025-12-31; alibaba, tencent, idg-capital
R2 = "moonshot-ai-2026-02-expansion"
R3 = "moonshot-ai-2026-05-round"
INVESTORS = "curated/investors.csv"
ROUNDS = "curated/rounds.csv"
TICKETS = "curated/round_investors.csv"


def _errors(folder, rule: str) -> list:
    """Every error of one rule, whether or not the build fails for other reasons."""
    return [p for p in validate_curated(folder)[1] if p.rule == rule and p.severity == "error"]


def _parent(folder, investor: str, parent: str) -> int:
    return edit(folder, "investors", ("investor_id", investor), "parent_investor_id", parent)


def test_investor_that_is_its_own_grandparent(curated):
    lines = [
        _parent(curated, "alibaba", "tencent"),
        _parent(curated, "tencent", "idg-capital"),
        _parent(curated, "idg-capital", "alibaba"),
    ]
    tail = _parent(curated, "5y-capital", "alibaba")  # points into the cycle, is not on it
    ps = problems_of(curated)
    for line in lines:
        find(ps, "parent_cycle", file=INVESTORS, line=line, column="parent_investor_id")
    on_cycle = [p for p in ps if p.rule == "parent_cycle"]
    assert sorted(p.line for p in on_cycle) == sorted(lines)
    assert tail not in {p.line for p in on_cycle}
    first = find(ps, "parent_cycle", line=lines[0])
    assert first.hint == "cycle: alibaba → tencent → idg-capital → alibaba"


def test_a_parent_cycle_fails_validate_on_the_command_line(curated, capsys):
    a = _parent(curated, "meituan", "meituan-longzhu")  # longzhu's parent is meituan already
    assert main(["validate", str(curated)]) == 1
    out = capsys.readouterr().out
    assert f"investors.csv:{a}:parent_investor_id: parent_cycle: investor is its own " in out


def test_own_parent_is_self_parent_not_a_second_problem(curated):
    line = _parent(curated, "tencent", "tencent")
    ps = problems_of(curated)
    find(ps, "self_parent", file=INVESTORS, line=line)
    assert not [p for p in ps if p.rule == "parent_cycle"]


def test_round_that_extends_itself(curated):
    line = edit(curated, "rounds", ("round_id", R2), "extension_of", R2)
    find(problems_of(curated), "extension_cycle", file=ROUNDS, line=line, column="extension_of")


def test_rounds_that_extend_each_other(curated):
    one = edit(curated, "rounds", ("round_id", R1), "extension_of", R3)
    two = edit(curated, "rounds", ("round_id", R3), "extension_of", R1)
    chain = edit(curated, "rounds", ("round_id", R2), "extension_of", R1)  # a tranche: fine
    ps = problems_of(curated)
    find(ps, "extension_cycle", file=ROUNDS, line=one, column="extension_of")
    find(ps, "extension_cycle", file=ROUNDS, line=two, column="extension_of")
    assert chain not in {p.line for p in ps if p.rule == "extension_cycle"}


def test_cycles_of_any_length_and_only_their_rows():
    # One cycle of 5000 rows, a tail of 3000 leading into it, a chain ending nowhere.
    n = 10_000
    ids = [f"r{i}" for i in range(n)]
    links = [f"r{(i + 1) % 5000}" for i in range(5000)]
    links += [f"r{i + 1}" if i < 7999 else "r0" for i in range(5000, 8000)]
    links += [f"r{i + 1}" if i < n - 1 else None for i in range(8000, n)]
    own = nw.from_native(pl.DataFrame({"id": ids, "link": links}).lazy().with_row_index("at"))
    on = _cycle_rows("id", "link", self_links=True)(own, {}).select("at").collect()
    assert sorted(on.to_native()["at"].to_list()) == list(range(5000))


def _ticket(folder, round_id: str, investor: str, amount: str, currency: str) -> int:
    data = rows(folder, "round_investors")
    for i, r in enumerate(data):
        if (r["round_id"], r["investor_id"]) == (round_id, investor):
            r.update(amount=amount, currency=currency)
            write_rows(folder, "round_investors", data)
            return i + 2
    raise KeyError((round_id, investor))


def test_ticket_above_its_round_in_the_same_currency(curated, capsys):
    line = _ticket(curated, R1, "tencent", "600000000", "USD")
    p = find(problems_of(curated), "ticket_above_round", file=TICKETS, line=line, column="amount")
    assert p.hint == "the round's amount is 500000000 USD"
    assert main(["validate", str(curated)]) == 1
    assert f"round_investors.csv:{line}:amount: ticket_above_round: " in capsys.readouterr().out


def test_ticket_equal_to_its_round_is_fine(curated):
    _ticket(curated, R1, "tencent", "500000000", "USD")
    assert not _errors(curated, "ticket_above_round")


def test_ticket_in_another_currency_is_compared_in_dollars(curated):
    # The build used the CNY rate of 2025-12-31 (a metric of that day is in CNY): about 0.14.
    above = _ticket(curated, R1, "tencent", "5000000000", "CNY")  # about $700 million
    below = _ticket(curated, R1, "alibaba", "1000000000", "CNY")  # about $140 million
    flagged = {p.line for p in _errors(curated, "ticket_above_round")}
    assert above in flagged and below not in flagged


def test_a_ticket_in_a_currency_no_fact_uses_is_converted_too(curated):
    # The build converts every ticket at its round's date, so pounds meet dollars in USD.
    _ticket(curated, R1, "tencent", "900000000", "GBP")  # the round is $500M
    assert _errors(curated, "ticket_above_round")


def test_ticket_in_another_currency_below_the_round_passes(curated):
    _ticket(curated, R1, "tencent", "100000000", "GBP")
    assert not _errors(curated, "ticket_above_round")


def _copy_round(folder, round_id: str, new_id: str) -> int:
    source = next(r for r in rows(folder, "rounds") if r["round_id"] == round_id)
    line = add_row(folder, "rounds", **{**source, "round_id": new_id})
    for r in rows(folder, "round_investors"):
        if r["round_id"] == round_id:
            add_row(folder, "round_investors", **{**r, "round_id": new_id})
    return line


def test_a_round_copied_under_a_new_id(curated, capsys):
    copy = _copy_round(curated, R1, "moonshot-ai-2025-12-series-c-copy")
    ps = problems_of(curated)
    original = find(ps, "duplicate_round", file=ROUNDS, line=2, column="round_id")
    pasted = find(ps, "duplicate_round", file=ROUNDS, line=copy, column="round_id")
    assert original.hint == "same as round_id moonshot-ai-2025-12-series-c-copy"
    assert pasted.hint == f"same as round_id {R1}"
    assert main(["validate", str(curated)]) == 1
    assert f"rounds.csv:{copy}:round_id: duplicate_round: " in capsys.readouterr().out


def test_same_day_and_amount_with_other_investors_is_another_round(curated):
    _copy_round(curated, R1, "moonshot-ai-2025-12-debt")
    data = [
        r
        for r in rows(curated, "round_investors")
        if not (r["round_id"] == "moonshot-ai-2025-12-debt" and r["investor_id"] == "tencent")
    ]
    write_rows(curated, "round_investors", data)
    assert not _errors(curated, "duplicate_round")


def test_a_round_pasted_twice_is_a_duplicate_key_only(curated):
    source = next(r for r in rows(curated, "rounds") if r["round_id"] == R1)
    add_row(curated, "rounds", **source)
    ps = problems_of(curated)
    find(ps, "unique", file=ROUNDS, column="round_id")
    assert not [p for p in ps if p.rule == "duplicate_round"]
