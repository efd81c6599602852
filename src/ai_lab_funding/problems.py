"""Problems found in input, named by place so a contributor can go straight to the cell.

Shared by both halves: the build reports its findings as `Problem`s and `validate()`
raises `InvalidData` carrying them, so this module imports nothing but the standard library.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]

# How much of a value a message echoes; a cell can hold megabytes.
SHOWN_CHARACTERS = 200
# How many problems of one rule in one file are printed before the rest are only counted.
SHOWN_PER_RULE = 20

# The reader's rules after which a cell has no value of its type: it is read as missing.
UNREADABLE_CELL = frozenset({"type", "date_format", "impossible_date"})


@dataclass(frozen=True, order=True)
class Problem:
    """One defect: where it is, which rule it breaks, and what to do about it.

    `line` is the line an editor shows in the CSV (header = line 1); 0 means the whole
    file. `severity` "error" blocks a release, "warning" does not. `followup` marks a rule
    that, for a row with an unreadable cell, only restates that the cell could not be read.
    """

    file: str
    line: int
    column: str
    rule: str
    message: str
    value: str = ""
    hint: str = ""
    severity: Severity = "error"
    followup: bool = field(default=False, compare=False)

    def __str__(self) -> str:
        """`file:line:column: rule: message (value); hint`, with the severity before a warning.

        Every part is made printable: a hostile file must not send control characters to
        the terminal or CI log that shows the problem.
        """
        where = f"{printable(self.file)}:{self.line}:{printable(self.column) or '-'}"
        text = f"{where}: {printable(self.rule)}: {printable(self.message)}"
        if self.value != "":
            value = _shortened(self.value)
            text += f" {printable(value)}" if value.startswith("(") else f" ({value!r})"
        if self.hint:
            text += f"; {printable(self.hint)}"
        if self.severity != "error":
            text = f"{self.severity}: {text}"
        return text


def _shortened(text: str) -> str:
    if len(text) <= SHOWN_CHARACTERS:
        return text
    return text[:SHOWN_CHARACTERS] + f"… ({len(text) - SHOWN_CHARACTERS} more characters)"


def printable(text: str) -> str:
    """`text` with every character a terminal would not simply print escaped as Python does.

    Letters of every script stay as they are; controls, format characters (bidirectional
    overrides, zero-width spaces) and separators other than the space are escaped.
    """
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


def shown(problems: list[Problem], per_rule: int = SHOWN_PER_RULE) -> list[str]:
    """The lines to print for `problems`: at most `per_rule` of one rule in one file.

    The rest of each (file, rule) group is summed up in one line, so a file with a
    hundred thousand bad columns prints a screenful, not a hundred thousand lines.
    """
    counts = Counter((p.file, p.rule) for p in problems)
    lines, printed = [], Counter()
    for p in problems:
        group = (p.file, p.rule)
        printed[group] += 1
        if printed[group] <= per_rule:
            lines.append(str(p))
        if printed[group] == per_rule and counts[group] > per_rule:
            more = counts[group] - per_rule
            lines.append(f"{printable(p.file)}: {printable(p.rule)}: … and {more} more")
    return lines


def without_followups(problems: list[Problem]) -> list[Problem]:
    """Drop what follows from a cell that could not be read: one defect, one message."""
    unreadable = {(p.file, p.line) for p in problems if p.rule in UNREADABLE_CELL}
    return [p for p in problems if not (p.followup and (p.file, p.line) in unreadable)]


class InvalidData(Exception):  # noqa: N818 (public name since 0.1.0)
    """Raised when input breaks rules; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]) -> None:
        """Keep the problems sorted by place, without the follow-ups of unreadable cells."""
        self.problems = sorted(without_followups(problems))
        super().__init__(f"{len(self.problems)} problem(s):\n" + "\n".join(map(str, self.problems)))


def errors(problems: list[Problem]) -> list[Problem]:
    """The problems that block a release."""
    return [p for p in problems if p.severity == "error"]
