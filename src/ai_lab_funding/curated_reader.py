"""Read one curated CSV into a typed DataFrame indexed by editor line number.

Every structural and type defect becomes a `Problem` naming file, line and column,
so a contributor sees all of them at once. Parsing is vectorised (pyarrow reads,
pandas converts) because the same reader validates contributions of any size.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from . import table_schemas as ts
from .pandera_schema import DTYPES
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


def _is_utf8(raw: bytes, chunk: int = 1 << 24) -> bool:
    """Valid UTF-8, checked in chunks: decoding a big file whole would hold a second, larger copy."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(raw)
    try:
        for start in range(0, len(raw), chunk):
            decoder.decode(view[start:start + chunk])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _bytes_problems(name: str, raw: bytes) -> tuple[list[Problem], bytes | None]:
    """File-level checks; returns clean UTF-8 bytes with LF endings, or None when it cannot be read at all.

    Bytes, not text: a million-row file is passed to pyarrow as it is, without a decoded copy.
    """
    out: list[Problem] = []
    if not raw.strip():
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
    first = raw.split(b"\n", 1)[0].decode("utf-8")
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


def read_curated(path: Path, table: str) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Typed DataFrame of a curated table (index = line number) and every problem found.

    Returns None for the frame when the file cannot be read as a table at all.
    """
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

    try:
        t = pacsv.read_csv(
            io.BytesIO(raw),
            read_options=pacsv.ReadOptions(use_threads=False, column_names=header, skip_rows=1),
            parse_options=pacsv.ParseOptions(ignore_empty_lines=False, invalid_row_handler=on_invalid, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(column_types={h: pa.large_string() for h in header},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except pa.ArrowInvalid as e:
        return None, problems + [Problem(name, 0, "", "unreadable", f"cannot parse as CSV: {e}")]
    # pyarrow counts the skipped header too, so its row numbers are editor lines.
    problems += invalid.values()
    skipped = set(invalid)
    line_numbers = np.setdiff1d(np.arange(2, n_lines + 1), np.fromiter(skipped, dtype="int64", count=len(skipped)))
    df = t.to_pandas()
    del t
    if len(line_numbers) != len(df):
        # A quoted cell spans lines (often a stray quote): let the csv module say where each row starts.
        df, line_numbers, ragged = _rows_by_csv_module(name, raw.decode("utf-8"), header)
        problems += [p for p in ragged if p.line not in skipped]
    df.index = pd.Index(line_numbers, name="line")
    blank = np.intersect1d(_blank_lines(raw), df.index.to_numpy()).tolist()
    for i in blank:
        problems.append(Problem(name, i, "", "blank_line", "blank line", hint="delete the empty line"))
    df = df.drop(index=blank)[expected]
    if df.empty:
        problems.append(Problem(name, 1, "", "no_rows", "the file has a header but no rows"))
        return None, problems
    typed, cell_problems = _convert(name, df, flds)
    return typed, problems + cell_problems


def _blank_lines(raw: bytes) -> list[int]:
    """Editor line numbers of lines holding nothing but spaces or tabs."""
    return [raw.count(b"\n", 0, m.start()) + 1 for m in re.finditer(rb"(?m)^[ \t]*$", raw) if m.start() < len(raw)]


def _rows_by_csv_module(name: str, text: str, header: list[str]) -> tuple[pd.DataFrame, list[int], list[Problem]]:
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
    return pd.DataFrame(rows, columns=header, dtype="str"), starts, problems


def _convert(name: str, df: pd.DataFrame, flds: list[dict]) -> tuple[pd.DataFrame, list[Problem]]:
    problems: list[Problem] = []
    out: dict[str, pd.Series] = {}
    for f in flds:
        col, s = f["name"], df[f["name"]].astype(str)
        present = s != ""
        # A line break inside a quoted cell shifts every later line number: refuse it.
        for line, v in s[s.str.contains("\n", regex=False)].items():
            problems.append(Problem(name, line, col, "line_break", "cell contains a line break", v[:40]))
        kind = f["type"]
        if kind == "string":
            for line, v in s[present & (s != s.str.strip())].items():
                problems.append(Problem(name, line, col, "whitespace", "leading or trailing whitespace", v, "trim the cell"))
            for line, v in s[present & s.str.startswith(FORMULA_START)].items():
                problems.append(Problem(name, line, col, "formula_injection",
                                        "text may not start with =, +, -, @, tab or CR (spreadsheet formula)", v[:40]))
            out[col] = s.where(present, None).astype(DTYPES["string"])
        elif kind in ("integer", "number"):
            ok = s.str.fullmatch(ts.TEXT_PATTERNS[kind])
            for line, v in s[present & ~ok].items():
                hint = _number_hint(v)
                problems.append(Problem(name, line, col, "type", f"not {'an integer' if kind == 'integer' else 'a number'}", v, hint))
            num = pd.to_numeric(s.where(present & ok), errors="coerce")
            out[col] = num.astype(DTYPES[kind]) if kind == "integer" else num.astype("float64")
        elif kind == "date":
            shaped = s.str.fullmatch(ts.TEXT_PATTERNS["date"])
            for line, v in s[present & ~shaped].items():
                problems.append(Problem(name, line, col, "date_format", "not a date in YYYY-MM-DD form", v, _date_hint(v)))
            parsed = pd.to_datetime(s.where(present & shaped), format="%Y-%m-%d", errors="coerce")
            for line, v in s[present & shaped & parsed.isna()].items():
                problems.append(Problem(name, line, col, "impossible_date", "no such calendar date", v))
            out[col] = parsed.astype(DTYPES["date"])
        elif kind == "boolean":
            ok = s.isin(["true", "false"])
            for line, v in s[present & ~ok].items():
                problems.append(Problem(name, line, col, "type", "booleans are written true or false", v))
            out[col] = s.map({"true": True, "false": False}).astype("boolean")
    return pd.DataFrame(out, index=df.index), problems
