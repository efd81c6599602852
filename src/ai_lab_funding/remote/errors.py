"""Why a release could not be fetched: one error class, messages cut to one line."""

from __future__ import annotations


class ReleaseError(RuntimeError):
    """A release could not be fetched or did not verify."""


def one_line(text: object, limit: int = 300) -> str:
    """Foreign text (a server's words, an exception) squeezed onto one short line."""
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def short(value: object) -> str:
    """A value as a message quotes it: its repr, cut to 80 characters."""
    return one_line(repr(value), 80)
