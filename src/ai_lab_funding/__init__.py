"""ai-lab-funding: AI-lab funding rounds, investors and metrics, every figure traced to its sources.

    import ai_lab_funding as alf
    rounds = alf.load("rounds")
"""

from ._version import __version__
from .loader import describe, load, package, schema, tables, validate
from .remote import fetch

__all__ = ["__version__", "describe", "fetch", "load", "package", "schema", "tables", "validate"]
