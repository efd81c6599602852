"""Release identity: the one place the data version and its date are set.

The release date doubles as the descriptor's `created`, so two builds of the same
curated tables are byte-identical whatever the clock says.
"""

__version__ = "0.2.0"
RELEASE_DATE = "2026-12-01"
