"""Read one curated CSV into a typed polars DataFrame, keeping the editor line of every row.

Every structural and type defect becomes a `Problem` naming file, line and column,
so a contributor sees all of them at once. Parsing is vectorised (pyarrow reads,
polars checks and converts) because the same reader validates contributions of any size.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv

from . import table_schemas as ts
from .frames import to_pandas
from .problems import Problem

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _number_hint(value: str) -> str:
    if re.search(r"\d,\d{3}", value):
        return "remove the thousands separators"
    if re.search(r"[$¥€£]|US\$|HK\$|RMB|亿|万|[0-9.]\s*(?:[kKmMbB]n?|billion|million)\b", value):
        return "write a plain number in full units (e.g. 5000000000), with the currency in its own column"
    return ""


def _date_hint(value: str) -> str:
    if re.fullmatch(r"\d{4}-\d{2}", value):
        return f"write {value}-01 and set the precision column to month"
    if re.fullmatch(r"\d{4}", value):
        return f"write {value}-01-01 and set the precision column to year"
    return "dates are YYYY-MM-DD"


def _is_utf8(raw: bytes) -> bool:
    """Valid UTF-8, checked by Arrow over the file's own buffer: no decoded copy, and SIMD-fast."""
    whole = pa.Array.from_buffers(pa.large_binary(), 1, [None, pa.array([0, len(raw)], pa.int64()).buffers()[1], pa.py_buffer(raw)])
    try:
        whole.cast(pa.large_string())
    except pa.ArrowInvalid:
        return False
    return True


def _bytes_problems(name: str, raw: bytes) -> tuple[list[Problem], bytes | None]:
    """File-level checks; returns clean UTF-8 bytes with LF endings, or None when it cannot be read at all.

    Bytes, not text: a million-row file is passed to pyarrow as it is, without a decoded copy.
    """
    out: list[Problem] = []
    if not raw or raw.isspace():  # not strip(): that would copy a big file to learn it is not empty
        return [Problem(name, 0, "", "empty_file", "the file is empty; it needs a header row and at least one row")], None
    if raw.startswith(b"\xef\xbb\xbf"):
        out.append(Problem(name, 1, "", "bom", "the file starts with a byte-order mark", hint="save as UTF-8 without BOM"))
        raw = raw[3:]
    if b"\r" not in raw and _is_utf8(raw):
        return out, raw
    # Something is wrong: look line by line so every problem gets its line number.
    for i, line in enumerate(raw.split(b"\n"), start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as e:
            out.append(Problem(name, i, "", "encoding", f"not UTF-8: byte 0x{line[e.start]:02x} at character {e.start + 1}",
                               hint="save the file as UTF-8"))
        if line.endswith(b"\r"):
            out.append(Problem(name, i, "", "line_endings", "CRLF line ending", hint="use LF line endings"))
        if b"\r" in line.rstrip(b"\r"):
            out.append(Problem(name, i, "", "carriage_return", "stray carriage return inside the line", hint="delete the CR character"))
    # Keep reading past CRs so the other problems are found too; the file is already refused.
    return out, raw.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "").encode("utf-8")


def _header(name: str, raw: bytes, expected: list[str]) -> tuple[list[Problem], list[str] | None]:
    end = raw.find(b"\n")  # not split(): that would copy the whole file after the header
    first = raw[: end if end >= 0 else len(raw)].decode("utf-8")
    try:
        header = next(csv.reader([first]))
    except (csv.Error, StopIteration) as e:
        return [Problem(name, 1, "", "header", f"header row cannot be read: {e}")], None
    out: list[Problem] = []
    if len(header) == 1 and len(expected) > 1:
        delim = next((d for d in ";\t|" if d in first), None)
        hint = f"the file looks {'tab' if delim == chr(9) else repr(delim)}-delimited; use commas" if delim else ""
        return [Problem(name, 1, "", "delimiter", "header has a single column", first[:80], hint)], None
    seen: set[str] = set()
    for h in header:
        if h != h.strip():
            out.append(Problem(name, 1, h.strip(), "whitespace", "header name has surrounding whitespace", h))
        if h in seen:
            out.append(Problem(name, 1, h, "duplicate_column", "column appears twice in the header"))
        seen.add(h)
    names = [h.strip() for h in header]
    for col in expected:
        if col not in names:
            out.append(Problem(name, 1, col, "missing_column", "required column is missing from the header"))
    for col in names:
        if col not in expected:
            close = [e for e in expected if e.replace("_", "") == col.lower().replace("_", "").replace(" ", "")]
            out.append(Problem(name, 1, col, "extra_column", "column is not in the schema",
                               hint=f"did you mean {close[0]}?" if close else f"columns are: {', '.join(expected)}"))
    return out, (names if not out else None)


def display_path(path: Path) -> str:
    """The path as a user would type it: relative to the working folder when it is inside it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


@cache
def _read_pool() -> pa.MemoryPool:
    """The pool the CSV parser allocates from: the file's text is freed once polars holds it.

    Arrow's default pool keeps freed pages for reuse, which at a million rounds held about
    half a gigabyte through the rest of the validation; jemalloc told to return pages at once
    does not. Only the parser allocates from it, so a user's default pool is left as it was
    (unless that default is jemalloc too, which then also returns pages at once).
    """
    try:
        pool = pa.jemalloc_memory_pool()
        pa.jemalloc_set_decay_ms(0)
    except NotImplementedError:  # a pyarrow built without jemalloc (Windows wheels)
        return pa.default_memory_pool()
    return pool


@dataclass(frozen=True)
class CuratedTable:
    """A curated table's typed columns, in schema order, and the editor line of each row."""

    frame: pl.DataFrame
    lines: np.ndarray


def read_curated(path: Path, table: str) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Typed pandas DataFrame of a curated table (index = editor line) and every problem found.

    Returns None for the frame when the file cannot be read as a table at all.
    """
    read, problems = read_table(path, table)
    return (None if read is None else to_pandas(read.frame, pd.Index(read.lines, name="line"))), problems


def read_table(path: Path, table: str) -> tuple[CuratedTable | None, list[Problem]]:
    """The curated table as polars, with its rows' editor lines, and every problem found; None if unreadable."""
    name = display_path(path)
    if not path.is_file():
        return None, [Problem(name, 0, "", "missing_file", f"curated table {table!r} not found")]
    flds = ts.curated_fields(table)
    expected = [f["name"] for f in flds]
    problems, raw = _bytes_problems(name, path.read_bytes())
    if raw is None:
        return None, problems
    head_problems, header = _header(name, raw, expected)
    problems += head_problems
    if header is None:
        return None, problems
    n_lines = raw.count(b"\n") + (0 if raw.endswith(b"\n") else 1)
    if n_lines < 2:
        problems.append(Problem(name, 1, "", "no_rows", "the file has a header but no rows"))
        return None, problems

    invalid: dict[int, Problem] = {}

    def on_invalid(row: pacsv.InvalidRow) -> str:
        n = row.number or 0
        invalid[n] = Problem(name, n, "", "ragged_row", f"row has {row.actual_columns} cells, the header has {row.expected_columns}",
                             row.text[:60])
        return "skip"

    def read(data: bytes, threads: bool) -> pa.Table:
        return pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(use_threads=threads, column_names=header, skip_rows=1),
            parse_options=pacsv.ParseOptions(ignore_empty_lines=False, invalid_row_handler=on_invalid, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(column_types={h: pa.large_string() for h in header},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False),
            memory_pool=_read_pool(),
        )

    try:
        t = read(raw, threads=True)
        if invalid:  # a threaded read cannot number the rows it skips: read again on one thread to name them
            invalid.clear()
            t = read(raw, threads=False)
    except pa.ArrowInvalid as e:
        return None, problems + [Problem(name, 0, "", "unreadable", f"cannot parse as CSV: {e}")]
    # pyarrow counts the skipped header too, so its row numbers are editor lines.
    problems += invalid.values()
    skipped = set(invalid)
    line_numbers = np.arange(2, n_lines + 1)
    if skipped:
        line_numbers = line_numbers[~np.isin(line_numbers, list(skipped))]
    if len(line_numbers) != t.num_rows:
        # A quoted cell spans lines (often a stray quote): let the csv module say where each row starts.
        t, line_numbers, ragged = _rows_by_csv_module(name, raw.decode("utf-8"), header)
        problems += [p for p in ragged if p.line not in skipped]
    blank = np.isin(line_numbers, _blank_lines(raw))
    del raw
    if blank.any():
        problems += [Problem(name, int(i), "", "blank_line", "blank line", hint="delete the empty line") for i in line_numbers[blank]]
        t, line_numbers = t.filter(pa.array(~blank)), line_numbers[~blank]
    if t.num_rows == 0:
        problems.append(Problem(name, 1, "", "no_rows", "the file has a header but no rows"))
        return None, problems
    typed, cell_problems = _convert(name, t.select(expected), line_numbers, flds)
    del t
    _read_pool().release_unused()
    return CuratedTable(typed, line_numbers), problems + cell_problems


def _blank_lines(raw: bytes) -> list[int]:
    """Editor line numbers of lines (after the header) holding nothing but spaces or tabs.

    The search starts at each newline, so a big file costs one scan; the end of a file that
    ends with a newline is not a line.
    """
    if b"\n\n" not in raw and b"\n " not in raw and b"\n\t" not in raw:
        return []  # what the pattern below needs after a newline: three substring scans are cheaper than one regex pass
    found, line, counted_to = [], 1, 0
    for m in re.finditer(rb"\n([ \t]*)(?=\n|\Z)", raw):
        if m.end() == len(raw) and not m.group(1):
            break
        line += raw.count(b"\n", counted_to, m.start()) + 1
        counted_to = m.start() + 1
        found.append(line)
    return found


def _rows_by_csv_module(name: str, text: str, header: list[str]) -> tuple[pa.Table, np.ndarray, list[Problem]]:
    """Rows with the editor line each starts on, for files whose quoting breaks the line count."""
    reader = csv.reader(io.StringIO(text))
    rows, starts, problems, prev_end = [], [], [], 1
    try:
        next(reader)
        prev_end = reader.line_num
        for row in reader:
            start = prev_end + 1
            prev_end = reader.line_num
            if len(row) != len(header):
                if row:
                    problems.append(Problem(name, start, "", "ragged_row", f"row has {len(row)} cells, the header has {len(header)}",
                                            ",".join(row)[:60], "check for a stray quote character" if reader.line_num > start else ""))
                continue
            rows.append(row)
            starts.append(start)
    except csv.Error as e:
        problems.append(Problem(name, reader.line_num, "", "unreadable", f"CSV cannot be parsed from here on: {e}"))
    table = pa.table({h: pa.array([r[i] for r in rows], pa.large_string()) for i, h in enumerate(header)})
    return table, np.asarray(starts, dtype="int64"), problems


def _valid_days(text: pl.Expr) -> pl.Expr:
    """True where a YYYY-MM-DD text names a real calendar day (proleptic Gregorian, as pandas reads it).

    Computed from the parts: a lenient date parser would roll 2023-02-30 over into March.
    """
    def part(start: int, length: int) -> pl.Expr:
        return text.str.slice(start, length).cast(pl.Int64, strict=False)
    year, month, day = part(0, 4), part(5, 2), part(8, 2)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_days = month.replace_strict(dict(enumerate((31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31), start=1)), default=0,
                                      return_dtype=pl.Int64) + (leap & (month == 2)).cast(pl.Int64)
    return (day >= 1) & (day <= month_days)


# Integers of more digits than this may not fit in 64 bits.
_MAX_INT_DIGITS = 18
_POLARS_TYPES = {"integer": pl.Int64, "number": pl.Float64}


def _checks(col: str, kind: str) -> dict[str, pl.Expr]:
    """Boolean expressions, True on a defective cell, keyed by the check's name."""
    s = pl.col(col)
    present = s != ""
    # A line break inside a quoted cell shifts every later line number: refuse it.
    out = {"line_break": s.str.contains("\n", literal=True)}
    if kind == "string":
        out["whitespace"] = present & (s != s.str.strip_chars())
        out["formula_injection"] = pl.any_horizontal(s.str.starts_with(start) for start in FORMULA_START)
    elif kind in ("integer", "number"):
        out["type"] = present & ~_number_ok(s, kind)
    elif kind == "date":
        shaped = s.str.contains(ts.TEXT_PATTERNS["date"])
        out["date_format"] = present & ~shaped
        out["impossible_date"] = shaped & ~_valid_days(s)
    elif kind == "boolean":
        out["type"] = present & ~s.is_in(["true", "false"])
    return out


def _number_ok(s: pl.Expr, kind: str) -> pl.Expr:
    ok = s.str.contains(ts.TEXT_PATTERNS[kind])
    if kind == "integer":
        ok &= s.str.strip_chars_start("-").str.len_chars() <= _MAX_INT_DIGITS
    return ok


# The checks after which a cell has no value of its type: it is read as missing.
_UNREADABLE = ("type", "date_format", "impossible_date")


def _typed(col: str, kind: str, unreadable: pl.Expr) -> pl.Expr:
    """The column in its schema type; an empty cell, or one `unreadable` flags, becomes missing."""
    s = pl.col(col)
    readable = (s != "") & ~unreadable
    if kind == "string":
        return pl.when(readable).then(s)
    if kind in _POLARS_TYPES:
        return pl.when(readable).then(s).cast(_POLARS_TYPES[kind])
    if kind == "date":
        return pl.when(readable).then(s).str.to_date("%Y-%m-%d")
    return pl.when(readable).then(s == "true")


def _problem(name: str, line: int, col: str, check: str, kind: str, v: str) -> Problem:
    if check == "line_break":
        return Problem(name, line, col, "line_break", "cell contains a line break", v[:40])
    if check == "whitespace":
        return Problem(name, line, col, "whitespace", "leading or trailing whitespace", v, "trim the cell")
    if check == "formula_injection":
        return Problem(name, line, col, "formula_injection", "text may not start with =, +, -, @, tab or CR (spreadsheet formula)", v[:40])
    if check == "date_format":
        return Problem(name, line, col, "date_format", "not a date in YYYY-MM-DD form", v, _date_hint(v))
    if check == "impossible_date":
        return Problem(name, line, col, "impossible_date", "no such calendar date", v)
    if kind == "boolean":
        return Problem(name, line, col, "type", "booleans are written true or false", v)
    hint = _number_hint(v) or ("too large for a 64-bit integer" if re.fullmatch(ts.TEXT_PATTERNS["integer"], v) else "")
    return Problem(name, line, col, "type", f"not {'an integer' if kind == 'integer' else 'a number'}", v, hint)


def _convert(name: str, t: pa.Table, lines: np.ndarray, flds: list[dict]) -> tuple[pl.DataFrame, list[Problem]]:
    """Typed columns and every cell defect, as polars expressions over all columns at once.

    One `select` evaluates every check of every column on all cores; only the few
    defective cells are then visited in Python to word their problems.
    """
    text = pl.from_arrow(t)
    assert isinstance(text, pl.DataFrame)
    checks = {(f["name"], f["type"], check): expr for f in flds for check, expr in _checks(f["name"], f["type"]).items()}
    keys = list(checks)
    mask = [f"\x00check{i}" for i in range(len(keys))]  # cannot clash with a header name
    found = text.select(expr.alias(m) for m, expr in zip(mask, checks.values()))
    problems: list[Problem] = []
    for i, n in enumerate(found.select(pl.all().sum()).row(0)):
        if n:
            col, kind, check = keys[i]
            rows = np.flatnonzero(found[mask[i]].to_numpy())
            problems += [_problem(name, int(lines[r]), col, check, kind, text[col][int(r)]) for r in rows]
    # Conversion reuses the masks: each cell's patterns are matched once, not again to type it.
    unreadable = {f["name"]: pl.any_horizontal(pl.lit(False), *(pl.col(m) for m, (col, _, check) in zip(mask, keys)
                                                                if col == f["name"] and check in _UNREADABLE)) for f in flds}
    typed = text.hstack(found).select(_typed(f["name"], f["type"], unreadable[f["name"]]).alias(f["name"]) for f in flds)
    return typed, problems
