"""Download a published release and verify every byte against its descriptor, with pooch.

Release X lives at {base}/X/datapackage.json and its files at the paths the descriptor
gives. The server is not trusted. The descriptor must hash to a sha256 this package knows
(release_hashes.json and the bundled release) or one the caller pins, and must pass
`check_descriptor`; every file must then have the size and sha256 the descriptor gives.
No read runs past its cap (the declared size; 16 MiB for the descriptor) or its deadline.

A fetch gathers files in a private staging folder beside the release folder. pooch writes
each download to a temporary name, checks its sha256 and only then moves it; only when every
file has verified are they renamed into place, one atomic rename each. So a failed or killed
fetch leaves the cache as it was, and two fetches at once never see each other's halves.
Files already in the cache are hashed again on every fetch: the cache is never trusted.
"""

from __future__ import annotations

from pathlib import Path

from .cache import Fetch, Staging, release_folder
from .descriptor import Resource, check_descriptor
from .errors import ReleaseError
from .settings import (
    DEFAULT_BASE_URL,
    DEFAULT_TIMEOUT,
    DESCRIPTOR_CAP,
    HASHES_FILE,
    cache_dir,
    canonical_version,
    deadline_seconds,
    descriptor_hash,
    known_descriptor_hashes,
    release_base,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_TIMEOUT",
    "DESCRIPTOR_CAP",
    "HASHES_FILE",
    "ReleaseError",
    "Resource",
    "cache_dir",
    "check_descriptor",
    "fetch",
    "known_descriptor_hashes",
]


def fetch(
    version: str,
    base_url: str | None = None,
    dest: Path | None = None,
    progress: bool = False,
    *,
    descriptor_sha256: str | None = None,
    timeout: float | None = None,
) -> Path:
    """Download release `version` (descriptor and every file), verified; return its folder.

    The descriptor's sha256 must be one this package knows, or `descriptor_sha256` (a pin
    you got from the publisher). Each file may take `timeout` seconds in all (default
    AI_LAB_FUNDING_TIMEOUT, else 120). Any failure raises ReleaseError and leaves the cache
    (or `dest`) as it was.
    """
    version = canonical_version(version)
    name, sha256 = descriptor_hash(version, descriptor_sha256)
    base, seconds = release_base(base_url), deadline_seconds(timeout)
    job = Fetch(base, name, release_folder(name, dest), seconds, progress)
    staging = Staging(job.folder)
    try:
        job.files(staging, job.descriptor(staging, sha256))
        staging.install()
    finally:
        staging.discard()
    return job.folder
