"""Check a downloaded descriptor before any file it lists is fetched: paths, sizes, sha256."""

from __future__ import annotations

import json
import re
from typing import NamedTuple

from ..paths import leaves_package
from .errors import ReleaseError, one_line, short
from .settings import DESCRIPTOR, DESCRIPTOR_CAP

_SHA256 = re.compile(r"sha256:([0-9a-fA-F]{64})")


# One part of a resource path: portable file-name characters, never a leading dot or dash,
# so nothing in a URL needs escaping and no hidden or staging name can be written.
_PART = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*")
# Names Windows reserves for devices whatever the extension ("CON.csv", "nul", "COM1.parquet"):
# writing one opens the device, not a file. A part may not end in a dot either (Windows drops it).
_WINDOWS_DEVICE = re.compile(r"(?:con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(?:\..*)?", re.I)


class Resource(NamedTuple):
    """One file a descriptor lists: relative path, exact size in bytes, lowercase sha256."""

    path: str
    bytes: int
    sha256: str


def check_descriptor(raw: bytes, where: str, version: str | None = None) -> list[Resource]:
    """The files a descriptor lists, or ReleaseError naming `where` and what is wrong.

    Called only on bytes whose sha256 is known or pinned, yet checked as if hostile: a pin
    vouches for bytes, not for their sense. The descriptor must say it is release `version`
    (when given: a wrong pin must not file one release's data under another's number).
    Every path must stay inside the release and be a plain relative name that every system
    can write; every hash must be sha256 and every size an integer.
    """
    if len(raw) > DESCRIPTOR_CAP:
        raise ReleaseError(f"{where}: descriptor larger than {DESCRIPTOR_CAP} bytes")
    try:
        desc = json.loads(raw)
    except (ValueError, RecursionError) as e:  # bad UTF-8 or JSON, too deep, too long a number
        raise ReleaseError(f"{where}: not valid JSON ({one_line(e, 120)})") from None
    if not isinstance(desc, dict):
        raise ReleaseError(f"{where}: a descriptor is a JSON object, not {type(desc).__name__}")
    items = desc.get("resources")
    if not isinstance(items, list) or not items or not all(isinstance(r, dict) for r in items):
        raise ReleaseError(f"{where}: 'resources' must be a non-empty list of objects")
    resources = [_resource(r, f"{where}: resource {i + 1}") for i, r in enumerate(items)]
    _check_layout(resources, where)
    if version is not None:
        _check_version(desc.get("version"), version, where)
    return resources


def _check_version(said: object, version: str, where: str) -> None:
    """The descriptor's own version must be the one asked for, compared as PEP 440 versions."""
    from packaging.version import InvalidVersion, Version

    try:
        same = isinstance(said, str) and Version(said) == Version(version)
    except InvalidVersion:
        same = False
    if not same:
        raise ReleaseError(
            f"{where}: the descriptor says it is version {short(said)}, not the {version} "
            "asked for; check the pinned sha256 and the address"
        )


def _resource(res: dict, where: str) -> Resource:
    path = _resource_path(res.get("path"), where)
    where = f"{where} ({path})"
    return Resource(path, _resource_bytes(res.get("bytes"), where), _resource_hash(res, where))


def _resource_path(path: object, where: str) -> str:
    """A path that names a file inside the release, spelled one way only."""
    if not isinstance(path, str) or not path:
        raise ReleaseError(f"{where}: 'path' must be a non-empty string, not {short(path)}")
    if leaves_package(path):
        raise ReleaseError(f"{where}: path {short(path)} points outside the release")
    if path.split("/")[0].casefold() == DESCRIPTOR:
        raise ReleaseError(f"{where}: path {short(path)} would overwrite the descriptor")
    parts = path.split("/")
    if not all(_PART.fullmatch(part) for part in parts):
        raise ReleaseError(
            f"{where}: path {short(path)} is not a plain relative file name "
            "(letters, digits, '.', '_', '-' in parts separated by '/')"
        )
    if any(_WINDOWS_DEVICE.fullmatch(part) or part.endswith(".") for part in parts):
        raise ReleaseError(
            f"{where}: path {short(path)} cannot be written on Windows "
            "(a device name such as CON or NUL, or a name ending in '.')"
        )
    return path


def _resource_hash(res: dict, where: str) -> str:
    value = res.get("hash")
    found = _SHA256.fullmatch(value) if isinstance(value, str) else None
    if found:
        return found.group(1).lower()
    if value is None:
        raise ReleaseError(f"{where}: no 'hash'; every file needs sha256:<64 hex digits>")
    raise ReleaseError(
        f"{where}: hash {short(value)} refused; only sha256:<64 hex digits> is accepted"
    )


def _resource_bytes(size: object, where: str) -> int:
    if type(size) is not int or size < 0:
        raise ReleaseError(f"{where}: 'bytes' must be a whole number >= 0, not {short(size)}")
    return size


def _check_layout(resources: list[Resource], where: str) -> None:
    """No two resources may land on one file, nor one file where another needs a folder.

    Compared case-folded: on macOS and Windows data/A.csv and data/a.csv are one file.
    """
    files = [r.path.casefold() for r in resources]
    folders = {"/".join(f.split("/")[:i]) for f in files for i in range(1, f.count("/") + 1)}
    seen: set[str] = set()
    for r, f in zip(resources, files):
        if f in seen or f in folders:
            raise ReleaseError(f"{where}: path {r.path!r} is listed twice or is also a folder")
        seen.add(f)
