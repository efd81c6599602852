"""A stranger's pull request: files that are not files, hidden characters, absurd numbers.

Each defect is refused with a one-line message naming the place, the command exits 1
without a traceback, nothing it prints carries a raw control character, and the release
in the output folder stays byte-for-byte as it was.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURE, digest, edit, rows, write_rows
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ai_lab_funding.build.curated import read_table
from ai_lab_funding.build.derive.parse import parse_reported
from ai_lab_funding.cli import main
from ai_lab_funding.problems import Problem, shown

SERIES_C = ("round_id", "moonshot-ai-2025-12-series-c")


def refused(curated: Path, released: Path, capsys) -> str:
    """Run validate and build on `curated`; both exit 1 and the release is untouched."""
    before = digest(released)
    assert main(["validate", str(curated)]) == 1
    printed = capsys.readouterr()
    assert main(["build", "--no-docs", "--curated", str(curated), "--out", str(released)]) == 1
    built = capsys.readouterr()
    assert digest(released) == before
    text = printed.out + printed.err + built.out + built.err
    assert "Traceback" not in text
    assert not any(ord(c) < 32 and c != "\n" or 0x7F <= ord(c) < 0xA0 for c in text)
    return printed.out


# ---- 1. curated files ---------------------------------------------------------------------


def test_a_symlinked_table_is_refused_unread(curated, released, capsys, tmp_path):
    secret = tmp_path / "environ"
    secret.write_text("company_id,name\nSECRET_TOKEN=hunter2,x\n")
    (curated / "companies.csv").unlink()
    (curated / "companies.csv").symlink_to(secret)
    out = refused(curated, released, capsys)
    assert (
        "companies.csv:0:-: not_a_file: curated tables must be plain files; this is a symbolic link"
        in out
    )
    assert "SECRET" not in out and "hunter2" not in out


def test_proc_environ_behind_a_link_never_reaches_the_log(curated, released, capsys):
    os.environ["AI_LAB_FUNDING_TEST_SECRET"] = "do-not-print-me"
    (curated / "sources.csv").unlink()
    (curated / "sources.csv").symlink_to("/proc/self/environ")
    out = refused(curated, released, capsys)
    assert "do-not-print-me" not in out and "symbolic link" in out


@pytest.mark.parametrize("kind", ["folder", "fifo"])
def test_a_folder_or_pipe_named_like_a_table_is_refused(curated, kind):
    target = curated / "rounds.csv"
    target.unlink()
    if kind == "folder":
        target.mkdir()
    else:
        os.mkfifo(target)
    # A pipe opened for reading would wait for a writer: run in a child with a deadline.
    code = (
        "import sys; from pathlib import Path; from ai_lab_funding.cli import main; "
        f"sys.exit(main(['validate', {str(curated)!r}]))"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert res.returncode == 1, res.stderr[-2000:]
    what = "a folder" if kind == "folder" else "a named pipe"
    assert f"rounds.csv:0:-: not_a_file: curated tables must be plain files; this is {what}" in (
        res.stdout
    )


def test_a_misspelt_table_file_is_an_error(curated, released, capsys):
    shutil.copy(curated / "rounds.csv", curated / "round.csv")
    out = refused(curated, released, capsys)
    assert "round.csv:0:-: unknown_file: not a curated table" in out
    assert "did you mean rounds.csv?" in out


def test_a_linked_curated_folder_is_refused(curated, tmp_path, capsys):
    link = tmp_path / "linked"
    link.symlink_to(curated, target_is_directory=True)
    assert main(["validate", str(link)]) == 1
    assert "not_a_folder: the curated folder must be a plain folder" in capsys.readouterr().out


# ---- 2. text hygiene and bounded, escaped output --------------------------------------------


@pytest.mark.parametrize(
    "text,named",
    [
        ("fine\x1b[2Jstill", "U+001B"),
        ("bell\x07", "U+0007"),
        ("nul\x00byte", "U+0000"),
        ("evil\u202eright-to-left", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("zero\u200bwidth", "U+200B ZERO WIDTH SPACE"),
        ("a\u2028b", "U+2028 LINE SEPARATOR"),
        ("inner\ttab", "U+0009"),
    ],
)
def test_hidden_characters_in_a_cell(curated, released, capsys, text, named):
    line = edit(curated, "rounds", SERIES_C, "note", text)
    out = refused(curated, released, capsys)
    assert f"rounds.csv:{line}:note: hidden_character: cell holds an invisible or control" in out
    assert named in out


def test_hidden_characters_in_a_header(curated, released, capsys):
    data = rows(curated, "companies")
    raw = (curated / "companies.csv").read_text(encoding="utf-8").split("\n", 1)
    (curated / "companies.csv").write_text(
        raw[0].replace("name", "na\x1b]0;pwned\x07me") + "\n" + raw[1]
    )
    out = refused(curated, released, capsys)
    assert "companies.csv:1:na\\x1b]0;pwned\\x07me: hidden_character:" in out
    assert data  # the file still had its rows


def test_a_hundred_thousand_columns_print_a_screenful(curated, released, capsys):
    path = curated / "companies.csv"
    header, rest = path.read_text(encoding="utf-8").split("\n", 1)
    path.write_text(header + "".join(f",x{i}" for i in range(100_000)) + "\n" + rest)
    out = refused(curated, released, capsys)
    assert out.count("extra_column") <= 21
    assert "companies.csv: extra_column: … and 99980 more" in out


def test_every_part_of_a_problem_is_printed_escaped():
    p = Problem("a\x1b.csv", 2, "c\u202e", "rule", "said \x07", "v\x00" + "x" * 500, "h\x9b")
    text = str(p)
    assert text.isprintable()
    assert "a\\x1b.csv:2:c\\u202e: rule: said \\x07" in text and "(302 more characters)" in text
    assert shown([p] * 25)[-1] == "a\\x1b.csv: rule: … and 5 more"


# ---- 3. numbers and dates no later step can hold ---------------------------------------------


def test_an_infinite_number_is_not_a_number(curated, released, capsys):
    line = edit(curated, "rounds", SERIES_C, "amount", "1e309")
    out = refused(curated, released, capsys)
    assert f"rounds.csv:{line}:amount: type: not a number ('1e309'); too large for a 64-bit" in out


@pytest.mark.parametrize("day", ["0000-01-01", "0000-02-29"])
def test_year_zero_is_no_date(curated, released, capsys, day):
    line = edit(curated, "rounds", SERIES_C, "announced_on", day)
    out = refused(curated, released, capsys)
    assert f"rounds.csv:{line}:announced_on: impossible_date: no such calendar date" in out


def test_validate_a_single_file_never_crashes_on_year_zero(curated, capsys):
    edit(curated, "companies", ("company_id", "moonshot-ai"), "founded_on", "0000-01-01")
    assert main(["validate", str(curated / "companies.csv")]) == 1
    assert "impossible_date" in capsys.readouterr().out


# ---- 8. properties: a clear problem or a table, never an exception ----------------------------

CELL = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30
) | st.sampled_from(["1e309", "0000-01-01", "=cmd", "\x1b[2J", "", "a,b", '"', "\u202e", "亿"])


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cells=st.lists(
        st.tuples(st.sampled_from(["name", "headquarters", "founded_on"]), CELL), max_size=4
    )
)
def test_reader_on_any_cell_gives_problems_or_a_table(tmp_path_factory, cells):
    folder = tmp_path_factory.mktemp("prop")
    data = rows(FIXTURE, "companies")
    for i, (column, value) in enumerate(cells):
        data[i % len(data)][column] = value
    write_rows(folder, "companies", data)
    table, problems = read_table(folder / "companies.csv", "companies")
    assert table is not None or problems
    for p in problems:
        assert p.file and p.rule and p.line >= 0 and str(p).isprintable()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(raw=st.binary(max_size=400))
def test_reader_on_any_bytes_gives_problems_or_a_table(tmp_path_factory, raw):
    folder = tmp_path_factory.mktemp("bytes")
    header = (FIXTURE / "companies.csv").read_bytes().split(b"\n", 1)[0]
    (folder / "companies.csv").write_bytes(header + b"\n" + raw)
    table, problems = read_table(folder / "companies.csv", "companies")
    assert table is not None or problems
    assert all(str(p).isprintable() for p in problems)


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=60))
def test_the_figure_parser_never_raises(text):
    figure = parse_reported(text)
    assert figure is None or figure.value == figure.value  # a number, never NaN
