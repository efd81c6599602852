"""Validate curated input: read → derive → rules over a folder, or over one file.

One entry point (`validate_curated`) for the build, the CLI and the benchmark, so all
three hold and free the same frames. The release half (`ai_lab_funding.release`) takes
the tables from here and writes them; nothing here writes a file.
"""

from __future__ import annotations

import difflib
import os
import time
from collections.abc import Callable
from pathlib import Path

import polars as pl

from ..problems import InvalidData, Problem, errors
from ..schemas import tables as ts
from .curated import CuratedTable, display_path, read_table
from .derive import derive
from .rules.runner import validate_tables

Tables = dict[str, pl.DataFrame]


def folder_problems(curated: Path) -> list[Problem]:
    """What is wrong with the curated folder itself: a link, or files that are no table.

    Every entry must be `<table>.csv` for a curated table: a misspelt `round.csv` would
    otherwise be ignored while the contributor believes it was checked.
    """
    name = display_path(curated)
    if curated.is_symlink() or not curated.is_dir():
        kind = "a symbolic link" if curated.is_symlink() else "not a folder"
        message = f"the curated folder must be a plain folder; this is {kind}"
        return [Problem(name, 0, "", "not_a_folder", message)]
    expected = [f"{t}.csv" for t in ts.curated_tables()]
    out = []
    for entry in sorted(os.listdir(curated)):
        if entry not in expected:
            close = difflib.get_close_matches(entry, expected, n=1)
            hint = f"did you mean {close[0]}?" if close else f"tables are: {', '.join(expected)}"
            message = "not a curated table; the folder holds only <table>.csv files"
            out.append(
                Problem(display_path(curated / entry), 0, "", "unknown_file", message, hint=hint)
            )
    return out


def read_all(curated: Path) -> tuple[dict[str, CuratedTable], list[Problem]]:
    """Every curated table, and every structural and type problem in them."""
    problems = folder_problems(curated)
    if any(p.rule == "not_a_folder" for p in problems):
        return {}, problems
    tables = {}
    for table in ts.curated_tables():
        read, found = read_table(curated / f"{table}.csv", table)
        problems += found
        if read is not None:
            tables[table] = read
    return tables, problems


def file_namer(curated: Path) -> Callable[[str], str]:
    """Name problems by the curated file, as the user's path shows it; built tables by data/."""

    def file_of(table: str) -> str:
        if ts.is_derived_table(table):
            return f"data/{table}.csv"
        return display_path(curated / f"{table}.csv")

    return file_of


def line_namer(read: dict[str, CuratedTable]) -> Callable[[str, int], int]:
    """(table, row position) → editor line: the curated file's, or a built table's (header 1)."""
    # Only the line arrays are kept: holding `read` would keep every curated frame alive
    # after derive replaced it.
    lines = {name: t.lines for name, t in read.items()}

    def line_of(table: str, pos: int) -> int:
        return int(lines[table][pos]) if table in lines else int(pos) + 2

    return line_of


def _peak_mib(reset: bool) -> float | None:
    """This process's peak resident memory since the last reset (Linux), then reset it.

    Writing 5 to /proc/self/clear_refs sets the peak (VmHWM) back to the current size, so
    each stage's own peak is read, not the largest of the stages before it. None where the
    mark cannot be both read and reset (not Linux): a peak that was not reset would be the
    largest of the stages so far, not this stage's.
    """
    try:
        with open("/proc/self/status") as status:
            hwm = next(line for line in status if line.startswith("VmHWM:"))
        if reset:
            with open("/proc/self/clear_refs", "w") as refs:
                refs.write("5")
    except (OSError, StopIteration):
        return None
    return int(hwm.split()[1]) / 1024


class _Laps:
    """Seconds and peak memory of each stage, for the bench.

    Written into `phases` (`<stage>` and `<stage>_peak_mib`, the latter where the kernel
    tells) only when the caller asked for them.
    """

    def __init__(self, phases: dict[str, float] | None) -> None:
        self.phases, self.clock = phases, time.perf_counter()
        if phases is not None:
            _peak_mib(reset=True)

    def lap(self, stage: str) -> None:
        if self.phases is not None:
            self.phases[stage], self.clock = time.perf_counter() - self.clock, time.perf_counter()
            peak = _peak_mib(reset=True)
            if peak is not None:
                self.phases[f"{stage}_peak_mib"] = round(peak, 1)

    def held(self, stage: str, tables: Tables) -> None:
        """The MiB `tables` hold after `stage`, off the clock and off the next stage's peak.

        Counted from their Arrow buffers: polars' `estimated_size` leaves out most of the
        16 bytes a string cell's view takes, which at a million rounds is most of the data.
        A buffer a filtered column still points into counts whole.
        """
        if self.phases is not None:
            size = sum(df.to_arrow().get_total_buffer_size() for df in tables.values())
            self.phases[f"{stage}_held_mib"] = round(size / 2**20, 1)
            self.clock = time.perf_counter()
            _peak_mib(reset=True)


def validate_curated(
    curated: Path,
    phases: dict[str, float] | None = None,
    on_derived: Callable[[Tables], None] | None = None,
) -> tuple[Tables | None, list[Problem]]:
    """Read, derive and check every table of a curated folder.

    Returns the released tables (None when the curated files cannot be derived from) and
    every problem of the three stages, errors and warnings alike. `phases`, if given,
    receives the seconds each stage took. `on_derived`, if given, is called with the
    released tables before the rules run, so that work on them can overlap the rules (the
    build's Frictionless check); if it raises, the rules' errors are returned when there
    are any, since they say why, and its exception is raised when there are none.
    """
    laps = _Laps(phases)
    read, problems = read_all(curated)
    tables = {name: t.frame for name, t in read.items()}
    file_of, line_of = file_namer(curated), line_namer(read)
    del read
    laps.lap("read")
    laps.held("read", tables)
    if len(tables) < len(ts.curated_tables()) or errors(problems):
        problems += validate_tables(tables, file_of, line_of, curated=True)
        laps.lap("rules")
        return None, problems
    derived = derive(tables, file_of, line_of)
    del tables  # the curated frames derive replaced are freed before the rules run
    problems += derived.problems
    laps.lap("derive")
    laps.held("derive", derived.tables)
    failure = None
    if on_derived is not None:
        try:
            on_derived(derived.tables)
        except Exception as e:  # noqa: BLE001 -- raised below unless the rules say why
            failure = e
    problems += validate_tables(derived.tables, file_of, line_of)
    laps.lap("rules")
    if failure is not None and not errors(problems):
        raise failure
    return derived.tables, problems


def checked_tables(
    curated: Path, on_derived: Callable[[Tables], None] | None = None
) -> tuple[Tables, list[Problem]]:
    """The released tables and the warnings; raise InvalidData listing every error.

    `on_derived` as in `validate_curated`.
    """
    tables, problems = validate_curated(curated, on_derived=on_derived)
    if tables is None or errors(problems):
        raise InvalidData(problems)
    return tables, [p for p in problems if p.severity != "error"]


def validate_csv(path: Path, table: str) -> list[Problem]:
    """One curated CSV on its own: the reader's checks and the table's column rules.

    Rules that read other tables need the whole folder (`validate_curated`).
    """
    read, problems = read_table(path, table)
    if read is not None:
        lines = line_namer({table: read})
        problems += validate_tables({table: read.frame}, lambda t: path.name, lines, curated=True)
    return problems
