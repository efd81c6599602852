"""The files of a published release, as its release page serves them, and the version policy.

`ai-lab-funding release` writes one folder per version: every data file and the descriptor
under their own names (a release page holds files, not folders, so `fetch` asks for
`{file}`), the Croissant metadata, the citation, the data card, this release's changelog
entry, the keyed SQLite file with its Datasette metadata, an archive of the whole Data
Package, and `SHA256SUMS` over all of them. Everything is
byte-stable: two runs on two machines give the same assets, so a checksum published once
stays true.

The data's version says what a user must expect of an upgrade (the policy in the README):
- major: a table or a column removed or renamed (code that reads it breaks);
- minor: tables, columns or rows added, or rows withdrawn;
- patch: values corrected in rows that stay.
Before 1.0.0 a breaking change takes a minor step (as in SemVer's 0.x). The release step
refuses a version number smaller than the change it ships.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import posixpath
import tarfile
from datetime import UTC, datetime
from pathlib import Path

from packaging.version import Version

from ..schemas import tables as ts
from .croissant import croissant

DESCRIPTOR = "datapackage.json"
SUMS = "SHA256SUMS"
EXTRA_FILES = ("CITATION.cff", "DATACARD.md")  # copied from the checkout as they are
BUMPS = ("patch", "minor", "major")


class ReleaseStepError(RuntimeError):
    """The release cannot be written as asked (a version too small, a stale file …)."""


def required_bump(diff: dict[str, dict], old: Path, new: Path) -> str | None:
    """The smallest version step the change from `old` to `new` needs; None when nothing changed."""
    step = None
    for table, d in diff.items():
        had = (old / "data" / f"{table}.csv").is_file()
        has = (new / "data" / f"{table}.csv").is_file()
        if (had and not has) or d["columns_removed"]:
            return "major"
        if (has and not had) or d["columns_added"] or d["added"] or d["removed"]:
            step = "minor"
        elif d["changed"] and step is None:
            step = "patch"
    return step


def check_version(version: str, previous: str, needed: str | None) -> None:
    """Refuse `version` unless it is above `previous` by at least the step `needed`."""
    new, old = Version(version), Version(previous)
    if new <= old:
        raise ReleaseStepError(f"version {version} is not above the previous release {previous}")
    if needed is None:
        return
    took = "major" if new.major > old.major else "minor" if new.minor > old.minor else "patch"
    if old.major == 0 and needed == "major":
        needed = "minor"  # before 1.0 a minor step may break, as in SemVer's 0.x
    if BUMPS.index(took) < BUMPS.index(needed):
        raise ReleaseStepError(
            f"version {version} is a {took} step from {previous}, but the change needs a "
            f"{needed} release (see the versioning policy in the README)"
        )


def changes_markdown(version: str, date: str, diff: dict[str, dict] | None) -> str:
    """This release's changelog entry: rows added, changed and removed per table."""
    lines = [f"## {version} — {date}", ""]
    if diff is None:
        return "\n".join(lines + ["First release; every row is new.", ""])
    lines += ["| table | added | changed | removed |", "|---|---:|---:|---:|"]
    for table, d in diff.items():
        lines.append(f"| {table} | {len(d['added'])} | {len(d['changed'])} | {len(d['removed'])} |")
    for table, d in diff.items():
        cols = [f"- `{table}`: column added `{c}`" for c in d["columns_added"]]
        cols += [f"- `{table}`: column removed `{c}`" for c in d["columns_removed"]]
        lines += [""] + cols if cols else []
    return "\n".join(lines) + "\n"


def _tar(files: dict[str, bytes], prefix: str, mtime: int) -> bytes:
    """A gzipped tar of `files` under `prefix/`, byte-stable (sorted, fixed times and owners)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(files):
            info = tarfile.TarInfo(f"{prefix}/{name}")
            info.size, info.mtime, info.mode = len(files[name]), mtime, 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(files[name]))
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0, compresslevel=9) as gz:
        gz.write(raw.getvalue())
    return out.getvalue()


def _datasette_files(root: Path, descriptor: dict) -> dict[str, bytes]:
    """The keyed SQLite file and its Datasette metadata, for `datasette serve` or publish."""
    import tempfile

    import pyarrow.parquet as pq

    from ..loader import to_pandas
    from .datasette import DATABASE, metadata_text
    from .sqlite import write_sqlite

    frames = {
        t: to_pandas(pq.read_table(root / "data" / f"{t}.parquet"), t) for t in ts.table_names()
    }
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / f"{DATABASE}.db"
        write_sqlite(frames, db)
        data = db.read_bytes()
    return {f"{DATABASE}.db": data, "datasette-metadata.json": metadata_text(descriptor).encode()}


def _citation(root: Path, version: str, date: str) -> bytes:
    text = (root / "CITATION.cff").read_text(encoding="utf-8")
    if f'version: "{version}"' not in text or f'date-released: "{date}"' not in text:
        raise ReleaseStepError(
            f"CITATION.cff does not give version {version} and date {date}; update it first"
        )
    return text.encode("utf-8")


def asset_files(
    root: Path, version: str, date: str, diff: dict[str, dict] | None
) -> dict[str, bytes]:
    """Every asset of the release in `root` (a built checkout), by its name on the release page."""
    descriptor = json.loads((root / DESCRIPTOR).read_bytes())
    if descriptor.get("version") != version:
        raise ReleaseStepError(
            f"{root / DESCRIPTOR} is release {descriptor.get('version')}, not {version}: "
            "build first"
        )
    package: dict[str, bytes] = {DESCRIPTOR: (root / DESCRIPTOR).read_bytes()}
    for res in descriptor["resources"]:
        package[res["path"]] = (root / res["path"]).read_bytes()
    cite = f"ai-lab-funding contributors ({date[:4]}). ai-lab-funding, version {version}."
    package["croissant.json"] = (
        json.dumps(croissant(descriptor, cite), indent=2, ensure_ascii=False) + "\n"
    ).encode("utf-8")
    package["CITATION.cff"] = _citation(root, version, date)
    package["DATACARD.md"] = (root / "DATACARD.md").read_bytes()
    package["CHANGES.md"] = changes_markdown(version, date, diff).encode("utf-8")
    flat = {posixpath.basename(name): data for name, data in package.items()}
    if len(flat) != len(package):
        raise ReleaseStepError(
            "two release files share a file name; a release page needs unique names"
        )
    flat.update(_datasette_files(root, descriptor))
    mtime = int(datetime.fromisoformat(date).replace(tzinfo=UTC).timestamp())
    archive = f"ai-lab-funding-{version}.tar.gz"
    flat[archive] = _tar(package, f"ai-lab-funding-{version}", mtime)
    sums = "".join(f"{hashlib.sha256(flat[n]).hexdigest()}  {n}\n" for n in sorted(flat))
    flat[SUMS] = sums.encode("ascii")
    return flat


def write_assets(files: dict[str, bytes], folder: Path) -> list[Path]:
    """Write the assets into `folder` (created; it must not hold other files)."""
    folder.mkdir(parents=True, exist_ok=True)
    stray = sorted(p.name for p in folder.iterdir() if p.name not in files)
    if stray:
        raise ReleaseStepError(f"{folder} holds files that are not this release's: {stray[:5]}")
    written = []
    for name, data in sorted(files.items()):
        path = folder / name
        tmp = path.with_name(f".{name}.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
        written.append(path)
    return written


def descriptor_sha256(files: dict[str, bytes]) -> str:
    """The sha256 a package must know to verify this release (for release_hashes.json)."""
    return hashlib.sha256(files[DESCRIPTOR]).hexdigest()
