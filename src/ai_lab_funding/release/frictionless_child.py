"""The Frictionless check of a release, run as a process of its own (`standards.FrictionlessCheck`).

Run by path with `python -I`, so it imports Frictionless and the standard library only:
importing the package would import pandas, and the point of the process is to be ready
before the build needs it. It imports Frictionless at once, then waits for one JSON object
on stdin, `{"descriptor": ..., "basepath": ...}`, validates that package and prints its
errors as a JSON list of `[place, row, field, type, message]`. Empty input (the build
stopped before it had files to check) ends it quietly.
"""

from __future__ import annotations

import json
import sys

from frictionless import Package


def errors(descriptor: dict, basepath: str) -> list[list]:
    """Every error Frictionless finds in the package: each resource's, then the package's."""
    report = Package(descriptor, basepath=basepath).validate()
    out = []
    for task in report.tasks:
        for err in task.errors:
            row = getattr(err, "row_number", None) or 0
            field = getattr(err, "field_name", None) or ""
            out.append([task.place or task.name, int(row), field, err.type, err.message])
    for err in report.errors:
        out.append(["datapackage.json", 0, "", err.type, err.message])
    return out


def main() -> None:
    """Answer the one request on stdin; without one, end (the build stopped before files)."""
    request = sys.stdin.read()
    if not request.strip():
        return
    job = json.loads(request)
    json.dump(errors(job["descriptor"], job["basepath"]), sys.stdout)


if __name__ == "__main__":
    main()
