"""The catalogue: every cross-field and cross-table rule, in the order they are checked.

Each module of this package declares its rules in a `rules()` function that returns
`Rule` entries; nothing registers itself at import time. A new rule is one more entry
there: its name, table, column, message, severity, whether it is a follow-up of an
unreadable cell, and its check (see `base`). Single-column constraints are not here:
they come from the Table Schemas (`columns`).
"""

from __future__ import annotations

from functools import cache

from . import addresses, counting, facts, keys, names, provenance, reported_investors, rounds
from .base import Rule


@cache
def catalogue() -> tuple[Rule, ...]:
    """Every rule, keys first, then rounds, facts, provenance, names and addresses."""
    return (
        *keys.rules(),
        *rounds.rules(),
        *counting.rules(),
        *reported_investors.rules(),
        *facts.rules(),
        *provenance.rules(),
        *names.rules(),
        *addresses.rules(),
    )


def rules_of(table: str) -> list[Rule]:
    """The rules that speak about `table`, in catalogue order."""
    return [r for r in catalogue() if r.table == table]


def find(name: str, table: str, column: str | None = None) -> Rule:
    """The rule called `name` on `table` (and `column`, when several share the name)."""
    for r in rules_of(table):
        if r.name == name and column in (None, r.column):
            return r
    raise KeyError(f"no rule {name!r} on {table}" + (f".{column}" if column else ""))
