"""Problems found in input, named by place so a contributor can go straight to the cell.

Shared by both halves: the build reports its findings as `Problem`s and `validate()`
raises `InvalidData` carrying them, so this module imports nothing but the standard library.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]

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
        """`file:line:column: rule: message (value); hint`, with the severity before a warning."""
        where = f"{self.file}:{self.line}:{self.column or '-'}"
        text = f"{where}: {self.rule}: {self.message}"
        if self.value != "":
            text += f" ({self.value!r})" if not self.value.startswith("(") else f" {self.value}"
        if self.hint:
            text += f"; {self.hint}"
        if self.severity != "error":
            text = f"{self.severity}: {text}"
        return text


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
