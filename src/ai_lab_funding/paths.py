"""Where schemas and the release live, in a source checkout and in an installed wheel."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

PACKAGE_DIR = Path(__file__).resolve().parent
# The wheel carries schemas and the release in _bundle/; a checkout has them at the repo root.
BUNDLE_DIR = PACKAGE_DIR / "_bundle"
REPO_ROOT = PACKAGE_DIR.parent.parent
# The file a build holds locked while it replaces a release folder's files (release/swap.py).
RELEASE_LOCK = ".release.lock"


def checkout_root() -> Path | None:
    """The source checkout this package runs from, or None for an installed wheel."""
    if (REPO_ROOT / "schemas").is_dir() and (REPO_ROOT / "pyproject.toml").is_file():
        return REPO_ROOT
    return None


def _root() -> Path:
    return checkout_root() or BUNDLE_DIR


def schemas_dir() -> Path:
    """Folder of the Table Schemas (the single source of truth for columns)."""
    return _root() / "schemas"


def release_dir() -> Path:
    """Folder holding the current release: datapackage.json and data/."""
    return _root()


def leaves_package(path: object) -> bool:
    """True for a resource path that could point outside the package.

    Absolute paths, '..', URLs and backslashes are refused wherever a descriptor names a
    file: in a downloaded release as much as in one being written.
    """
    if not isinstance(path, str):
        return True
    pp = PurePosixPath(path)
    return pp.is_absolute() or ".." in pp.parts or "://" in path or "\\" in path
