"""A curated CSV's bytes, header and rows: every structural defect named by file and line.

Bytes, not text: a million-row file is handed to pyarrow as it is, without a decoded copy.
Rows keep the line an editor shows for them, even past blank lines, ragged rows and
quoted cells that span lines.
"""

from __future__ import annotations

import csv
import io
import os
import re
import stat
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from ...problems import Problem
from ...schemas import types

# What a path that is not a plain file is, for the message that refuses it.
_KINDS = (
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
    (stat.S_ISSOCK, "a socket"),
)


def _not_plain(name: str, mode: int) -> Problem:
    kind = next((what for test, what in _KINDS if test(mode)), "not a regular file")
    return Problem(
        name,
        0,
        "",
        "not_a_file",
        f"curated tables must be plain files; this is {kind}",
        hint="commit the CSV itself",
    )


def read_plain_file(path: Path, name: str) -> tuple[bytes | None, list[Problem]]:
    """The bytes of `path` if it is a plain file; anything else is refused unopened.

    A pull request can replace a curated CSV by a symbolic link to /proc/self/environ or
    by a named pipe: the link is never followed (O_NOFOLLOW, and lstat before), a pipe or
    device never opened for reading, so nothing outside the folder can be echoed back.
    """
    mode = os.lstat(path).st_mode
    if not stat.S_ISREG(mode):
        return None, [_not_plain(name, mode)]
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as e:  # replaced between lstat and open
        return None, [Problem(name, 0, "", "not_a_file", f"cannot open: {e.strerror}")]
    with os.fdopen(fd, "rb") as fh:
        mode = os.fstat(fh.fileno()).st_mode
        if not stat.S_ISREG(mode):
            return None, [_not_plain(name, mode)]
        return fh.read(), []


def _is_utf8(raw: bytes) -> bool:
    """Valid UTF-8, checked by Arrow over the file's own buffer: no decoded copy, and SIMD-fast."""
    whole = pa.Array.from_buffers(
        pa.large_binary(),
        1,
        [None, pa.array([0, len(raw)], pa.int64()).buffers()[1], pa.py_buffer(raw)],
    )
    try:
        whole.cast(pa.large_string())
    except pa.ArrowInvalid:
        return False
    return True


def bytes_problems(name: str, raw: bytes) -> tuple[list[Problem], bytes | None]:
    """File-level checks; clean UTF-8 bytes with LF endings, or None when they cannot be read.

    Bytes, not text: a million-row file is passed to pyarrow as it is, without a decoded copy.
    """
    out: list[Problem] = []
    if not raw or raw.isspace():  # not strip(): that would copy a big file to learn it is not empty
        return [
            Problem(
                name,
                0,
                "",
                "empty_file",
                "the file is empty; it needs a header row and at least one row",
            )
        ], None
    if raw.startswith(b"\xef\xbb\xbf"):
        out.append(
            Problem(
                name,
                1,
                "",
                "bom",
                "the file starts with a byte-order mark",
                hint="save as UTF-8 without BOM",
            )
        )
        raw = raw[3:]
    if b"\r" not in raw and _is_utf8(raw):
        return out, raw
    # Something is wrong: look line by line so every problem gets its line number.
    for i, line in enumerate(raw.split(b"\n"), start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as e:
            out.append(
                Problem(
                    name,
                    i,
                    "",
                    "encoding",
                    f"not UTF-8: byte 0x{line[e.start]:02x} at character {e.start + 1}",
                    hint="save the file as UTF-8",
                )
            )
        if line.endswith(b"\r"):
            out.append(
                Problem(name, i, "", "line_endings", "CRLF line ending", hint="use LF line endings")
            )
        if b"\r" in line.rstrip(b"\r"):
            out.append(
                Problem(
                    name,
                    i,
                    "",
                    "carriage_return",
                    "stray carriage return inside the line",
                    hint="delete the CR character",
                )
            )
    # Keep reading past CRs so the other problems are found too; the file is already refused.
    return out, raw.decode("utf-8", errors="replace").replace("\r\n", "\n").replace(
        "\r", ""
    ).encode("utf-8")


def _name_problems(name: str, header: list[str]) -> list[Problem]:
    """Hidden characters, surrounding whitespace and repeats in the header's names."""
    out: list[Problem] = []
    seen: set[str] = set()
    for h in header:
        hidden = types.first_hidden(h)
        if hidden:
            message = f"header name holds an invisible or control character ({hidden})"
            out.append(Problem(name, 1, h, "hidden_character", message))
        elif h != h.strip():
            out.append(
                Problem(
                    name, 1, h.strip(), "whitespace", "header name has surrounding whitespace", h
                )
            )
        if h in seen:
            out.append(
                Problem(name, 1, h, "duplicate_column", "column appears twice in the header")
            )
        seen.add(h)
    return out


def header_problems(
    name: str, raw: bytes, expected: list[str]
) -> tuple[list[Problem], list[str] | None]:
    """Problems of the header row, and its column names when the rows can be read by them."""
    end = raw.find(b"\n")  # not split(): that would copy the whole file after the header
    first = raw[: end if end >= 0 else len(raw)].decode("utf-8")
    try:
        header = next(csv.reader([first]))
    except (csv.Error, StopIteration) as e:
        return [Problem(name, 1, "", "header", f"header row cannot be read: {e}")], None
    out: list[Problem] = []
    if len(header) == 1 and len(expected) > 1:
        delim = next((d for d in ";\t|" if d in first), None)
        hint = (
            f"the file looks {'tab' if delim == chr(9) else repr(delim)}-delimited; use commas"
            if delim
            else ""
        )
        return [
            Problem(name, 1, "", "delimiter", "header has a single column", first[:80], hint)
        ], None
    out += _name_problems(name, header)
    names = [h.strip() for h in header]
    for col in expected:
        if col not in names:
            out.append(
                Problem(
                    name, 1, col, "missing_column", "required column is missing from the header"
                )
            )
    for col in names:
        if col not in expected:
            close = [
                e
                for e in expected
                if e.replace("_", "") == col.lower().replace("_", "").replace(" ", "")
            ]
            out.append(
                Problem(
                    name,
                    1,
                    col,
                    "extra_column",
                    "column is not in the schema",
                    hint=f"did you mean {close[0]}?"
                    if close
                    else f"columns are: {', '.join(expected)}",
                )
            )
    return out, (names if not out else None)


def display_path(path: Path) -> str:
    """The path as a user would type it: relative to the working folder when it is inside it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


@cache
def read_pool() -> pa.MemoryPool:
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


@dataclass
class Rows:
    """The text cells of a file's rows, the editor line of each, and the problems found."""

    table: pa.Table | None
    lines: np.ndarray
    problems: list[Problem] = field(default_factory=list)


def _line_count(raw: bytes) -> int:
    return raw.count(b"\n") + (0 if raw.endswith(b"\n") else 1)


def _ragged(name: str, line: int, cells: int, expected: int, text: str, hint: str = "") -> Problem:
    message = f"row has {cells} cells, the header has {expected}"
    return Problem(name, line, "", "ragged_row", message, text[:60], hint)


def _pyarrow_rows(name: str, raw: bytes, header: list[str]) -> tuple[pa.Table, dict[int, Problem]]:
    """Every well-formed row as text; ragged rows are skipped and named by their line."""
    invalid: dict[int, Problem] = {}

    def on_invalid(row: pacsv.InvalidRow) -> str:
        n = row.number or 0
        invalid[n] = _ragged(name, n, row.actual_columns, row.expected_columns, row.text)
        return "skip"

    def read(threads: bool) -> pa.Table:
        return pacsv.read_csv(
            io.BytesIO(raw),
            read_options=pacsv.ReadOptions(use_threads=threads, column_names=header, skip_rows=1),
            parse_options=pacsv.ParseOptions(
                ignore_empty_lines=False, invalid_row_handler=on_invalid, newlines_in_values=True
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={h: pa.large_string() for h in header},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
            memory_pool=read_pool(),
        )

    t = read(threads=True)
    if invalid:  # a threaded read cannot number the rows it skips: again on one thread
        invalid.clear()
        t = read(threads=False)
    return t, invalid


def read_rows(name: str, raw: bytes, header: list[str]) -> Rows:
    """The rows after the header, each with its editor line; None when there are none."""
    n_lines = _line_count(raw)
    if n_lines < 2:
        return Rows(None, np.arange(0), [_no_rows(name)])
    try:
        t, invalid = _pyarrow_rows(name, raw, header)
    except pa.ArrowInvalid as e:
        return Rows(
            None, np.arange(0), [Problem(name, 0, "", "unreadable", f"cannot parse as CSV: {e}")]
        )
    # pyarrow counts the skipped header too, so its row numbers are editor lines.
    found = Rows(t, np.arange(2, n_lines + 1), list(invalid.values()))
    skipped = set(invalid)
    if skipped:
        found.lines = found.lines[~np.isin(found.lines, list(skipped))]
    if len(found.lines) != t.num_rows:
        # A quoted cell spans lines (often a stray quote): the csv module says where rows start.
        found.table, found.lines, ragged = _rows_by_csv_module(name, raw.decode("utf-8"), header)
        found.problems += [p for p in ragged if p.line not in skipped]
    _drop_blank_lines(name, raw, found)
    if found.table.num_rows == 0:
        found.table = None
        found.problems.append(_no_rows(name))
    return found


def _no_rows(name: str) -> Problem:
    return Problem(name, 1, "", "no_rows", "the file has a header but no rows")


def _drop_blank_lines(name: str, raw: bytes, rows: Rows) -> None:
    blank = np.isin(rows.lines, _blank_lines(raw))
    if not blank.any():
        return
    rows.problems += [
        Problem(name, int(i), "", "blank_line", "blank line", hint="delete the empty line")
        for i in rows.lines[blank]
    ]
    rows.table, rows.lines = rows.table.filter(pa.array(~blank)), rows.lines[~blank]


# Bytes scanned at a time for line starts: a whole million-row file at once would take a
# boolean copy of its size.
_SCAN_BYTES = 1 << 24


def _first_bytes(raw: bytes) -> np.ndarray:
    """The first byte of every line after the header (-1 for the nothing after a final newline).

    Index k is the line an editor numbers k + 2. Numpy over the file's own buffer in slices:
    one vectorised pass, where three `in` searches for a newline pair cost three times more.
    """
    data = np.frombuffer(raw, dtype=np.uint8)
    starts = [
        np.flatnonzero(data[at : at + _SCAN_BYTES] == ord("\n")) + at + 1
        for at in range(0, len(data), _SCAN_BYTES)
    ]
    after = np.concatenate(starts) if starts else np.arange(0)
    first = np.full(len(after), -1, dtype=np.int16)
    inside = after < len(data)
    first[inside] = data[after[inside]]
    return first


def _blank_lines(raw: bytes) -> list[int]:
    """Editor line numbers of lines (after the header) holding nothing but spaces or tabs.

    An empty line is found from its first byte alone; only a line that starts with a space
    or a tab is read further, by the pattern below (one scan, started at each newline). The
    end of a file that ends with a newline is not a line.
    """
    first = _first_bytes(raw)
    if not np.isin(first, (ord(" "), ord("\t"))).any():
        return [int(k) + 2 for k in np.flatnonzero(first == ord("\n"))]
    found, line, counted_to = [], 1, 0
    for m in re.finditer(rb"\n([ \t]*)(?=\n|\Z)", raw):
        if m.end() == len(raw) and not m.group(1):
            break
        line += raw.count(b"\n", counted_to, m.start()) + 1
        counted_to = m.start() + 1
        found.append(line)
    return found


def _rows_by_csv_module(
    name: str, text: str, header: list[str]
) -> tuple[pa.Table, np.ndarray, list[Problem]]:
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
                    problems.append(
                        Problem(
                            name,
                            start,
                            "",
                            "ragged_row",
                            f"row has {len(row)} cells, the header has {len(header)}",
                            ",".join(row)[:60],
                            "check for a stray quote character" if reader.line_num > start else "",
                        )
                    )
                continue
            rows.append(row)
            starts.append(start)
    except csv.Error as e:
        problems.append(
            Problem(
                name, reader.line_num, "", "unreadable", f"CSV cannot be parsed from here on: {e}"
            )
        )
    table = pa.table(
        {h: pa.array([r[i] for r in rows], pa.large_string()) for i, h in enumerate(header)}
    )
    return table, np.asarray(starts, dtype="int64"), problems
