"""ai-lab-funding: AI-lab funding rounds, investors and metrics, every figure traced to its sources.

    import ai_lab_funding as alf
    rounds = alf.load("rounds")

The package has two halves. The user half, imported here, loads and downloads releases
with pandas and pyarrow only. The build half (`ai_lab_funding.build`, read → derive →
rules, and `ai_lab_funding.release`, write → check → swap → docs) is imported only when
something is validated or built; `validate` below reaches it on first call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._version import __version__
from .loader import describe, load, package, schema, tables
from .problems import InvalidData, Problem
from .remote import ReleaseError, fetch

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "InvalidData",
    "Problem",
    "ReleaseError",
    "__version__",
    "describe",
    "fetch",
    "load",
    "package",
    "schema",
    "tables",
    "validate",
]


def validate(df: pd.DataFrame, table: str) -> pd.DataFrame:
    """Check a user's own frame against the same column schema the build uses.

    Columns the build derives may be left out. Returns the validated frame; raises
    InvalidData listing every problem. Needs the build extra (Pandera, polars): without it,
    an ImportError that says how to install it.
    """
    try:
        from .build.rules.runner import validate_frame
    except ImportError as e:
        raise ImportError(
            f"validate() needs the build extra: pip install 'ai-lab-funding[build]' ({e})"
        ) from None

    return validate_frame(df, table)
