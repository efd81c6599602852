"""`ai-lab-funding` command line: build, validate, info, fetch, export, diff.

Exit codes: 0 fine, 1 invalid data (or a failed download), 2 wrong usage. `validate` is
what a contributor's CI calls, so it prints every problem as file:line:column: rule:
message and never a traceback. The read-only commands (`data`) import only the user half;
`build` and `validate` (`making`) import the build half when they run.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .._version import __version__
from . import data, making


def _add_build(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("build", help="build, validate and release the data package")
    s.add_argument(
        "--check",
        action="store_true",
        help="build in memory and compare with the committed release and docs",
    )
    s.add_argument("--out", type=Path, default=None, help="release folder (default: the checkout)")
    s.add_argument("--curated", type=Path, default=None, help="curated CSVs (default: curated/)")
    s.add_argument(
        "--no-docs",
        action="store_true",
        help="skip the generated documentation (dictionary, figures, README tables)",
    )
    s.set_defaults(func=making.build)
    s = sub.add_parser(
        "validate",
        help="validate a folder of curated CSVs, a release folder, or one CSV/Parquet file",
    )
    s.add_argument("path", type=Path)
    s.set_defaults(func=making.validate)
    s = sub.add_parser(
        "release",
        help="write the release page's files (data, descriptor, Croissant, citation, "
        "changelog entry, archive, SHA256SUMS) for the built release",
    )
    s.add_argument("--out", type=Path, required=True, help="folder for the files (one per version)")
    s.add_argument(
        "--previous",
        type=Path,
        default=None,
        help="the previous release's folder (e.g. from `fetch`), to write the changelog entry "
        "and refuse a version number smaller than the change",
    )
    s.set_defaults(func=making.release)


def _add_read(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("info", help="version, tables, rows, hashes and where the data comes from")
    s.set_defaults(func=data.info)
    fetch = sub.add_parser("fetch", help="download and verify a published release")
    fetch.add_argument("--version", required=True, dest="version")
    fetch.add_argument(
        "--dest", type=Path, default=None, help="folder to put it in (default: cache)"
    )
    fetch.set_defaults(func=data.fetch)
    export = sub.add_parser("export", help="write every table as csv, parquet, sqlite or duckdb")
    export.add_argument("--format", required=True, choices=["csv", "parquet", "sqlite", "duckdb"])
    export.add_argument(
        "--version", default=None, dest="version", help="a published release (default: bundled)"
    )
    export.add_argument("dest", type=Path)
    export.set_defaults(func=data.export)
    serve = sub.add_parser(
        "serve", help="browse the release in Datasette on 127.0.0.1 (the [serve] extra)"
    )
    serve.add_argument(
        "--version", default=None, dest="version", help="a published release (default: bundled)"
    )
    serve.add_argument("--port", type=int, default=8001)
    serve.add_argument(
        "--folder", type=Path, default=None, help="where to write the SQLite file (default: cache)"
    )
    serve.set_defaults(func=data.serve)
    for s in (fetch, export, serve):  # where a release comes from, and the pin for an unknown one
        s.add_argument(
            "--base-url", default=None, help="release address (default: AI_LAB_FUNDING_BASE_URL)"
        )
        s.add_argument(
            "--descriptor-sha256",
            default=None,
            metavar="SHA256",
            help="sha256 of the release's datapackage.json, from its publisher: needed for a "
            "release this package does not know (each file may take AI_LAB_FUNDING_TIMEOUT "
            "seconds, default 120)",
        )
    s = sub.add_parser(
        "diff", help="rows added, removed and changed per table between two releases"
    )
    s.add_argument("old", type=Path)
    s.add_argument("new", type=Path)
    shown = s.add_mutually_exclusive_group()
    shown.add_argument(
        "--json", action="store_true", help="keys, old and new values and columns as JSON"
    )
    shown.add_argument(
        "--markdown",
        action="store_true",
        help="a changelog entry: counts per table, columns, changed values",
    )
    s.set_defaults(func=data.diff)


def parser() -> argparse.ArgumentParser:
    """The command line's parser: one subcommand each for building, validating and reading."""
    p = argparse.ArgumentParser(
        prog="ai-lab-funding",
        description="AI-lab funding data: every figure traced to its sources.",
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    _add_build(sub)
    _add_read(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run one command; argparse exits 2 on wrong usage."""
    args = parser().parse_args(argv)
    return args.func(args)
