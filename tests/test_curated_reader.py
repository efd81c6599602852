"""Structural and type defects in a curated CSV, each named by file, editor line and column."""

from pathlib import Path

import polars as pl
import pytest

from ai_lab_funding.build.curated import cells, read_curated

HEADER = (
    "claim_id,company_id,window_start,window_end,claimed_amount,claimed_qualifier,currency,scope,"
    "scope_investor_ids,note\n"
)
GOOD = (
    "moonshot-ai-cum-a,moonshot-ai,2025-12-01,2026-02-28,1200000000,at_least,USD,"
    "primary_funding,,fine\n"
)


def read(tmp_path: Path, content: bytes | str):
    path = tmp_path / "curated" / "cumulative_claims.csv"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return read_curated(path, "cumulative_claims")


def rule_at(problems, rule):
    hits = [(p.line, p.column) for p in problems if p.rule == rule]
    assert hits, f"no {rule} in {[str(p) for p in problems]}"
    return hits


def test_valid_file_reads_typed_and_indexed_by_line(tmp_path):
    df, problems = read(tmp_path, HEADER + GOOD + GOOD.replace("cum-a", "cum-b"))
    assert problems == []
    assert list(df.index) == [2, 3]
    assert (
        str(df["window_end"].dtype).startswith("datetime64")
        and df["claimed_amount"].dtype == "float64"
    )


@pytest.mark.parametrize(
    "content,rule,where",
    [
        ("", "empty_file", (0, "")),
        (HEADER, "no_rows", (1, "")),
        ("\ufeff" + HEADER + GOOD, "bom", (1, "")),
        (HEADER.replace("\n", "\r\n") + GOOD.replace("\n", "\r\n"), "line_endings", (2, "")),
        (HEADER + GOOD + "\n" + GOOD.replace("cum-a", "cum-b"), "blank_line", (3, "")),
        (HEADER + GOOD + "x,y\n", "ragged_row", (3, "")),
        (HEADER + GOOD.replace(",fine", ",fine,extra"), "ragged_row", (2, "")),
        (HEADER.replace("note", "notes"), "extra_column", (1, "notes")),
        (HEADER.replace(",note", ""), "missing_column", (1, "note")),
        (HEADER.replace("note", "currency"), "duplicate_column", (1, "currency")),
        (HEADER.replace(",", ";") + GOOD.replace(",", ";"), "delimiter", (1, "")),
    ],
)
def test_structure(tmp_path, content, rule, where):
    _, problems = read(tmp_path, content)
    assert where in rule_at(problems, rule)


def test_not_utf8_names_the_line(tmp_path):
    _, problems = read(
        tmp_path,
        (HEADER + GOOD).encode()
        + "x,y,2025-01-01,2025-02-01,1,about,USD,caf\xe9\n".encode("latin-1"),
    )
    assert (3, "") in rule_at(problems, "encoding")


@pytest.mark.parametrize(
    "cell,value,rule,hint",
    [
        ("claimed_amount", "1,000", "type", "thousands"),
        ("claimed_amount", "$5B", "type", "full units"),
        ("claimed_amount", "5亿", "type", "full units"),
        ("claimed_amount", "lots", "type", ""),
        ("window_end", "2024-13-01", "impossible_date", ""),
        ("window_end", "2024-02-30", "impossible_date", ""),
        ("window_end", "2024/01/05", "date_format", "YYYY-MM-DD"),
        ("window_end", "2024-01", "date_format", "precision"),
        ("note", '=HYPERLINK("x")', "formula_injection", ""),
        ("note", "@SUM(A1)", "formula_injection", ""),
        ("claim_id", "moonshot-ai-cum-a ", "whitespace", "trim"),
    ],
)
def test_cell_defects(tmp_path, cell, value, rule, hint):
    cols = HEADER.strip().split(",")
    cells = GOOD.strip().split(",")
    cells[cols.index(cell)] = f'"{value}"' if "," in value or '"' in value else value
    _, problems = read(tmp_path, HEADER + ",".join(cells) + "\n")
    hits = [p for p in problems if p.rule == rule and p.line == 2 and p.column == cell]
    assert hits, [str(p) for p in problems]
    assert hint in hits[0].hint


def test_every_defect_reported_at_once(tmp_path):
    bad = (
        # ragged (1,000 splits)
        "moonshot-ai-cum-a,moonshot-ai,2025-12-01,2024-13-01,1,000,about,USD,x\n"
        "moonshot-ai-cum-b,moonshot-ai,2025-12-01,2026-02-30,$5B,about,USD,primary_funding,,=cmd\n"
    )  # date, number, formula
    _, problems = read(tmp_path, HEADER + GOOD + bad + "\n")
    rules = {(p.line, p.rule) for p in problems}
    assert {
        (3, "ragged_row"),
        (4, "impossible_date"),
        (4, "type"),
        (4, "formula_injection"),
        (5, "blank_line"),
    } <= rules


def test_stray_quote_spanning_lines_keeps_line_numbers(tmp_path):
    # Found by the corruption test: a stray quote makes one "cell" swallow the following lines.
    bad = GOOD.replace("fine", 'fi"ne').replace(",moonshot-ai,", ',"moonshot-ai,')
    _, problems = read(tmp_path, HEADER + GOOD + bad + GOOD.replace("cum-a", "cum-c"))
    assert problems and all(p.line >= 1 for p in problems)


def test_stray_carriage_return(tmp_path):
    _, problems = read(tmp_path, HEADER.replace("company_id", "company\r_id") + GOOD)
    assert (1, "") in rule_at(problems, "carriage_return")


def test_integer_and_boolean_cells_are_typed_or_named():
    # No curated table has these types yet; a schema that adds one gets the same care.
    import numpy as np
    import polars as pl
    import pyarrow as pa

    from ai_lab_funding.build.curated.cells import convert

    cells = pa.table(
        {
            "n": pa.array(["12", "", "99999999999999999999", "1.5"], pa.large_string()),
            "b": pa.array(["true", "false", "", "yes"], pa.large_string()),
        }
    )
    flds = [{"name": "n", "type": "integer"}, {"name": "b", "type": "boolean"}]
    df, problems = convert("t.csv", cells, np.array([2, 3, 4, 5]), flds)
    assert df["n"].dtype == pl.Int64 and df["n"].to_list() == [12, None, None, None]
    assert df["b"].dtype == pl.Boolean and df["b"].to_list() == [True, False, None, None]
    found = {(p.line, p.column, p.rule) for p in problems}
    assert found == {(4, "n", "type"), (5, "n", "type"), (5, "b", "type")}
    assert "64-bit" in next(p.hint for p in problems if p.line == 4)


def test_digits_of_other_scripts_are_not_numbers_or_dates(curated):
    # Regex engines read \d as any script's digit; a cell of Arabic-Indic digits must still be
    # named, not silently emptied.
    from conftest import edit, find, problems_of

    amount_line = edit(
        curated, "rounds", ("round_id", "moonshot-ai-2025-12-series-c"), "amount", "٥٠٠٠٠٠٠٠٠"
    )
    date_line = edit(
        curated,
        "rounds",
        ("round_id", "moonshot-ai-2026-02-expansion"),
        "announced_on",
        "٢٠٢٦-٠٢-٠١",
    )
    ps = problems_of(curated)
    find(ps, "type", file="curated/rounds.csv", line=amount_line, column="amount")
    find(ps, "date_format", file="curated/rounds.csv", line=date_line, column="announced_on")


def test_a_bad_cell_among_clean_ones_is_still_named(tmp_path):
    """The text checks run only on columns where a first scan finds a suspect cell: every
    kind of defect they word must be such a suspect, or it would pass unseen."""
    import unicodedata

    texts = ["fine", "a-b", "x=y", "", "日本語", "Ünïcödé"]
    texts += [f"{start}x" for start in "=+-@\t\r"]
    texts += [f"{ch}x" for ch in (" ", "\u00a0", "\u3000", "\u2028", "\u2029")]
    texts += [f"x{ch}" for ch in (" ", "\t", "\u00a0", "\u3000")]
    texts += [f"a{ch}b" for ch in ("\n", "\u200b", "\u202e", "\x00", "\x7f", "\ufeff")]
    texts += [f"a{chr(c)}b" for c in range(0x20) if unicodedata.category(chr(c)) == "Cc"]
    frame = pl.DataFrame({"note": texts})
    flagged = frame.select(
        pl.any_horizontal(cells._checks("note", "string").values()).alias("bad")
    )["bad"]
    suspect = frame.select(pl.col("note").str.contains(cells._SUSPECT))["note"]
    missed = [t for t, bad, seen in zip(texts, flagged, suspect) if bad and not seen]
    assert not missed
    assert flagged.sum() == len(texts) - 6  # all but the six clean texts are refused

    rows = GOOD * 3 + GOOD.replace("fine", " padded") + GOOD * 3
    frame, problems = read(tmp_path, HEADER + rows)
    assert rule_at(problems, "whitespace") == [(5, "note")]
