"""Problems found in input, named by place so a contributor can go straight to the cell."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One defect: where it is, which rule it breaks, and what to do about it.

    `line` is the line an editor shows in the CSV (header = line 1); 0 means the
    whole file. `severity` is "error" (blocks a release) or "warning".
    """

    file: str
    line: int
    column: str
    rule: str
    message: str
    value: str = ""
    hint: str = ""
    severity: str = "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column or '-'}"
        text = f"{where}: {self.rule}: {self.message}"
        if self.value != "":
            text += f" ({self.value!r})" if not self.value.startswith("(") else f" {self.value}"
        if self.hint:
            text += f"; {self.hint}"
        if self.severity != "error":
            text = f"{self.severity}: {text}"
        return text


_CELL_UNREADABLE = {"type", "date_format", "impossible_date"}


# Rules that only restate, for the same row, that a cell could not be read.
_FOLLOWUPS = {"required", "qualifier_with_amount", "currency_with_amount", "valuation_currency", "currency_with_unit", "range",
              "precision_with_date", "no_accepted_report", "post_below_amount", "pre_plus_amount", "before_founding", "window_order"}


def without_followups(problems: list[Problem]) -> list[Problem]:
    """Drop what follows from a cell that could not be read: one defect, one message."""
    unreadable = {(p.file, p.line) for p in problems if p.rule in _CELL_UNREADABLE}
    return [p for p in problems if not (p.rule in _FOLLOWUPS and (p.file, p.line) in unreadable)]


class InvalidData(Exception):
    """Raised when input breaks rules; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(without_followups(problems))
        super().__init__(f"{len(self.problems)} problem(s):\n" + "\n".join(map(str, self.problems)))


def errors(problems: list[Problem]) -> list[Problem]:
    """The problems that block a release."""
    return [p for p in problems if p.severity == "error"]
