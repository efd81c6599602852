"""Download a published release and verify every byte against its descriptor, with pooch.

Release X lives at {base}/X/datapackage.json and its files at the paths the descriptor
gives. pooch downloads to a temporary file, checks the sha256 and only then moves it into
the cache, so a verified file is never fetched twice and a tampered one never lands.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from pathlib import Path, PurePosixPath

from . import paths
from ._version import __version__
from .paths import leaves_package

# No public release address has been published yet; set AI_LAB_FUNDING_BASE_URL or pass base_url.
DEFAULT_BASE_URL: str | None = None
HASHES_FILE = Path(__file__).with_name("release_hashes.json")


class ReleaseError(RuntimeError):
    """A release could not be fetched or did not verify."""


def cache_dir() -> Path:
    """Where downloaded releases are kept (AI_LAB_FUNDING_CACHE overrides the user cache dir)."""
    env = os.environ.get("AI_LAB_FUNDING_CACHE")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("ai-lab-funding"))


def known_descriptor_hashes() -> dict[str, str]:
    """sha256 of every release descriptor published up to this package's version."""
    known = json.loads(HASHES_FILE.read_text(encoding="utf-8")) if HASHES_FILE.is_file() else {}
    bundled = paths.release_dir() / "datapackage.json"
    if bundled.is_file():
        known[__version__] = hashlib.sha256(bundled.read_bytes()).hexdigest()
    return known


def _base(base_url: str | None) -> str:
    base = base_url or os.environ.get("AI_LAB_FUNDING_BASE_URL") or DEFAULT_BASE_URL
    if not base:
        raise ReleaseError("no release address: pass base_url=... or set AI_LAB_FUNDING_BASE_URL")
    return base.rstrip("/")


def _version_key(v: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in v.replace("-", ".").split("."))


def _retrieve(url: str, known_hash: str | None, folder: Path, fname: str, progress: bool) -> Path:
    import pooch
    import requests

    try:
        return Path(
            pooch.retrieve(
                url, known_hash=known_hash, fname=fname, path=folder, progressbar=progress
            )
        )
    except ValueError as e:  # pooch: hash mismatch; the bad download is discarded
        raise ReleaseError(f"{fname}: {e}") from None
    except requests.exceptions.RequestException as e:
        raise ReleaseError(f"cannot download {url}: {e.__class__.__name__}: {e}") from None


def fetch(
    version: str, base_url: str | None = None, dest: Path | None = None, progress: bool = False
) -> Path:
    """Download release `version` (descriptor and every file), verified; return its folder."""
    base = _base(base_url)
    folder = Path(dest) if dest else cache_dir() / version
    folder.mkdir(parents=True, exist_ok=True)
    known = known_descriptor_hashes()
    expected = known.get(version)
    if expected is None:
        newest = max(known, key=_version_key) if known else None
        if newest and _version_key(version) > _version_key(newest):
            warnings.warn(
                f"release {version} is newer than this package ({__version__}); "
                "its descriptor cannot be verified",
                stacklevel=2,
            )
        else:
            raise ReleaseError(
                f"release {version} is not one this package knows; "
                f"known: {', '.join(sorted(known)) or 'none'}"
            )
    desc_path = _retrieve(
        f"{base}/{version}/datapackage.json",
        f"sha256:{expected}" if expected else None,
        folder,
        "datapackage.json",
        progress,
    )
    desc = json.loads(desc_path.read_text(encoding="utf-8"))
    for res in desc.get("resources", []):
        if leaves_package(res["path"]):
            raise ReleaseError(f"descriptor path {res['path']!r} points outside the release")
        rel = PurePosixPath(res["path"])
        algo, _, digest = res["hash"].partition(":")
        target = folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        got = _retrieve(
            f"{base}/{version}/{rel.as_posix()}",
            f"{algo}:{digest}",
            target.parent,
            rel.name,
            progress,
        )
        if got.stat().st_size != res["bytes"]:
            got.unlink()
            raise ReleaseError(f"{rel}: expected {res['bytes']} bytes, got a different size")
    return folder
