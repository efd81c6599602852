"""Where releases come from and which ones are trusted: address, cache, versions, pins, deadline.

Settings come from arguments first, then environment variables (AI_LAB_FUNDING_BASE_URL,
AI_LAB_FUNDING_CACHE, AI_LAB_FUNDING_TIMEOUT), as nflreadpy reads its own.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from pathlib import Path
from typing import Any

from .. import paths
from .._version import __version__
from .errors import ReleaseError, one_line

# Where the release workflow stamps the address of its own GitHub Releases into a built wheel
# (`.github/workflows/release.yml`). Empty in the repository: no address is published until a
# release is, so a checkout or an unstamped wheel needs AI_LAB_FUNDING_BASE_URL or base_url.
ADDRESS_FILE = paths.PACKAGE_DIR / "release_address.txt"


def _stamped_address() -> str | None:
    try:
        text = ADDRESS_FILE.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return text or None


DEFAULT_BASE_URL: str | None = _stamped_address()


HASHES_FILE = paths.PACKAGE_DIR / "release_hashes.json"


DESCRIPTOR = "datapackage.json"


DESCRIPTOR_CAP = 16 * 1024 * 1024  # bytes; the real descriptor is about 130 kB


DEFAULT_TIMEOUT = 120.0  # seconds of wall clock per file (AI_LAB_FUNDING_TIMEOUT overrides)


READ_TIMEOUT = 30.0  # seconds one socket read may wait (never more than the deadline)


CONNECT_TIMEOUT = 10.0


TIMEOUT_VARIABLE = "AI_LAB_FUNDING_TIMEOUT"


PIN_HELP = "descriptor_sha256='<sha256>' (command line: --descriptor-sha256 <sha256>)"


CHUNK = 64 * 1024
HEX64 = re.compile(r"[0-9a-fA-F]{64}")


def cache_dir() -> Path:
    """Where downloaded releases are kept (AI_LAB_FUNDING_CACHE overrides the user cache dir)."""
    env = os.environ.get("AI_LAB_FUNDING_CACHE")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("ai-lab-funding"))


def known_descriptor_hashes() -> dict[str, str]:
    """sha256 of every release descriptor published up to this package's version."""
    try:
        known = json.loads(HASHES_FILE.read_bytes()) if HASHES_FILE.is_file() else {}
    except ValueError as e:
        raise ReleaseError(f"{HASHES_FILE}: not valid JSON ({e}); reinstall the package") from None
    bundled = paths.release_dir() / DESCRIPTOR
    if bundled.is_file():
        known[__version__] = hashlib.sha256(bundled.read_bytes()).hexdigest()
    return known


def canonical_version(version: object) -> str:
    """The PEP 440 spelling of `version`; anything else never reaches a URL or a path."""
    from packaging.version import Version

    if not isinstance(version, str) or len(version) > 100:
        raise ReleaseError(f"{one_line(repr(version), 80)} is not a release version")
    try:
        return str(Version(version))
    except ValueError:  # InvalidVersion, or a number too long for int()
        raise ReleaseError(
            f"{one_line(repr(version), 80)} is not a release version (PEP 440, like {__version__})"
        ) from None


def _check_pin(pin: object) -> str:
    """A caller's descriptor sha256 as 64 lowercase hex digits."""
    text = pin.removeprefix("sha256:") if isinstance(pin, str) else ""
    if not HEX64.fullmatch(text):
        raise ReleaseError(
            f"descriptor_sha256 must be 64 hex digits (a sha256), not {one_line(repr(pin), 80)}"
        )
    return text.lower()


def _known_by_version() -> dict[Any, tuple[str, str]]:
    """Known descriptor hashes keyed by packaging Version, so 0.1 and 0.1.0 are one release."""
    from packaging.version import Version

    out = {}
    for name, digest in known_descriptor_hashes().items():
        try:
            out[Version(name)] = (name, _check_pin(digest))
        except (ValueError, ReleaseError):
            continue  # a damaged entry can only make a release unknown, never trusted
    return out


def _unknown(version: str, known: dict[Any, tuple[str, str]]) -> ReleaseError:
    """The refusal for a release whose descriptor hash nobody vouched for, and how to pin."""
    from packaging.version import Version

    names = ", ".join(name for _, (name, _) in sorted(known.items())) or "none"
    newer = bool(known) and Version(version) > max(known)
    why = f"newer than ai-lab-funding {__version__}" if newer else f"known: {names}"
    return ReleaseError(
        f"release {version} is not one this package knows ({why}), so its descriptor cannot "
        f"be verified; if its publisher gives you the sha256 of {version}/{DESCRIPTOR}, pin it: "
        f"{PIN_HELP}"
    )


def descriptor_hash(version: str, pin: str | None) -> tuple[str, str]:
    """The release's folder name and the descriptor sha256 to demand: known, or pinned."""
    from packaging.version import Version

    known = _known_by_version()
    name, expected = known.get(Version(version), (version, None))
    if pin is not None:
        pinned = _check_pin(pin)
        if expected is not None and pinned != expected:
            raise ReleaseError(
                f"descriptor_sha256 {pinned} for release {name} differs from the sha256 this "
                f"package knows for it ({expected}); refusing both"
            )
        return name, pinned
    if expected is None:
        raise _unknown(version, known)
    return name, expected


def release_base(base_url: str | None) -> str:
    """The release address: the argument, else AI_LAB_FUNDING_BASE_URL, else the stamped one.

    Either a folder holding one folder per version (`https://host/releases`, files then at
    `{base}/<version>/<path>`, as in the Data Package), or a template naming the version and
    the file, as a release page lays them out: files side by side under their own names,
    `https://github.com/<owner>/<repo>/releases/download/v{version}/{file}`.
    """
    base = base_url or os.environ.get("AI_LAB_FUNDING_BASE_URL") or DEFAULT_BASE_URL
    if not base:
        raise ReleaseError("no release address: pass base_url=... or set AI_LAB_FUNDING_BASE_URL")
    if "{" not in base:
        return base.rstrip("/") + "/{version}/{path}"
    try:
        base.format(version="0", path="p", file="f")
    except (KeyError, IndexError, ValueError):
        raise ReleaseError(
            f"release address {one_line(repr(base), 120)}: a template may name only "
            "{version}, {path} and {file}"
        ) from None
    if "{version}" not in base or not ("{path}" in base or "{file}" in base):
        raise ReleaseError(
            f"release address {one_line(repr(base), 120)} must name {{version}} and "
            "{file} (or {path})"
        )
    return base


def file_url(template: str, version: str, path: str) -> str:
    """The address of release file `path` (a checked descriptor path) of `version`."""
    return template.format(version=version, path=path, file=path.rsplit("/", 1)[-1])


def deadline_seconds(timeout: float | None) -> float:
    """Seconds each file may take in all: the argument, AI_LAB_FUNDING_TIMEOUT, or 120."""
    raw: object = timeout if timeout is not None else os.environ.get(TIMEOUT_VARIABLE)
    if raw is None or raw == "":
        return DEFAULT_TIMEOUT
    try:
        seconds = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        seconds = math.nan
    if not 0 < seconds < math.inf:
        raise ReleaseError(
            f"timeout ({TIMEOUT_VARIABLE}) must be a positive number of seconds, "
            f"not {one_line(repr(raw), 80)}"
        )
    return seconds
