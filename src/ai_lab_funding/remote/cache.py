"""The download cache: paths kept inside it, cached files re-hashed, verified files moved in."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tempfile
import time
from pathlib import Path
from typing import Any

from .descriptor import Resource, check_descriptor
from .download import Downloader, progress_bar, retrieve
from .errors import ReleaseError, one_line
from .settings import DESCRIPTOR, DESCRIPTOR_CAP, cache_dir, file_url


def _inside(path: Path, root: Path, what: str) -> Path:
    """`path`, if it resolves (symbolic links followed) inside `root`; else ReleaseError."""
    resolved = path.resolve()
    if not resolved.is_relative_to(root.resolve()):
        raise ReleaseError(f"{what} {path} resolves to {resolved}, outside {root}")
    return path


def _file_inside(path: Path, root: Path, what: str) -> Path:
    """`path`, if its folder resolves inside `root`; else ReleaseError.

    A link at the file itself is never followed: it is not a cached copy, and the rename
    that installs a download replaces the link, not its target.
    """
    folder = path.parent.resolve()
    if not folder.is_relative_to(root.resolve()):
        raise ReleaseError(f"{what} {path}: its folder resolves to {folder}, outside {root}")
    return path


def _cached_descriptor(path: Path, sha256: str) -> bytes | None:
    """The cached descriptor's bytes if they hash to `sha256`; None when absent or wrong.

    A symbolic link, a folder or an oversized file is not a cached copy: it is replaced.
    """
    try:
        st = path.lstat()
        if not stat.S_ISREG(st.st_mode) or st.st_size > DESCRIPTOR_CAP:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    return data if hashlib.sha256(data).hexdigest() == sha256 else None


def _sha256_file(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


class Staging:
    """A private folder beside the release where one fetch gathers its verified files.

    Made on the first download, so a fetch the cache can answer writes nothing at all.
    """

    def __init__(self, folder: Path) -> None:
        """Stage files for `folder`; nothing is written before the first file arrives."""
        self.folder = folder
        self.dir: Path | None = None
        self.files: list[str] = []

    def _make(self) -> Path:
        try:
            self.folder.parent.mkdir(parents=True, exist_ok=True)
            _sweep(self.folder)
            made = tempfile.mkdtemp(
                prefix=f".{self.folder.name}.partial-{os.getpid()}-", dir=self.folder.parent
            )
        except OSError as e:
            raise ReleaseError(f"cannot write in {self.folder.parent}: {one_line(e)}") from None
        return Path(os.path.abspath(made))  # absolute: pooch would expand a leading '~'

    def place(self, rel: str) -> Path:
        """Where the download of release file `rel` waits until every file has verified."""
        if self.dir is None:
            self.dir = self._make()
        self.files.append(rel)
        return _file_inside(self.dir / rel, self.dir, "staged file")

    def install(self) -> None:
        """Rename every staged file into the release folder, the descriptor last."""
        for rel in sorted(self.files, key=lambda r: r == DESCRIPTOR):
            final = _file_inside(self.folder / rel, self.folder, "release file")
            try:
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(self.dir / rel, final)  # type: ignore[operator]
            except OSError as e:
                raise ReleaseError(f"cannot put {rel} into {self.folder}: {one_line(e)}") from None

    def discard(self) -> None:
        """Remove the staging folder and whatever a failed fetch left in it."""
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)


# A staging folder whose fetch cannot be asked whether it is alive is left this long.
STALE_SECONDS = 24 * 3600


def _gone(pid: int) -> bool:
    """Whether no process `pid` runs here (POSIX only; elsewhere we cannot tell: False)."""
    if os.name != "posix" or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False  # it exists, owned by someone else
    return False


def _sweep(folder: Path) -> None:
    """Remove what killed fetches of `folder` left: staging folders of processes now gone.

    A fetch killed with SIGKILL cannot clean up, and its `.<name>.partial-<pid>-*` folder
    would stay beside the release for ever. One whose process is gone is removed; one that
    names no process we can ask about is removed once it is a day old.
    """
    prefix = f".{folder.name}.partial-"
    for left in folder.parent.glob(prefix + "*"):
        if left.is_symlink() or not left.is_dir():
            continue
        pid = left.name[len(prefix) :].split("-", 1)[0]
        try:
            stale = _gone(int(pid)) if pid.isdigit() else False
            stale = stale or time.time() - left.lstat().st_mtime > STALE_SECONDS
        except OSError:
            continue
        if stale:
            shutil.rmtree(left, ignore_errors=True)


def release_folder(name: str, dest: Path | None) -> Path:
    """Where release `name` goes: `dest`, or its folder in the cache, kept inside the cache."""
    if dest is not None:
        return Path(dest)
    root = cache_dir()
    return _inside(root / name, root, f"cache folder of release {name}")


class Fetch:
    """One fetch of one release: where it comes from, where it goes, and its limits."""

    def __init__(
        self, template: str, version: str, folder: Path, seconds: float, progress: bool
    ) -> None:
        """Fetch `version` from the address `template` into `folder`, each file within `seconds`."""
        self.template, self.version, self.folder = template, version, folder
        self.seconds, self.progress = seconds, progress
        self.bar: Any = None

    def url(self, path: str) -> str:
        """Where release file `path` is served (see `settings.release_base`)."""
        return file_url(self.template, self.version, path)

    def descriptor(self, staging: Staging, sha256: str) -> list[Resource]:
        """The verified descriptor's files: from the cache if it still hashes right."""
        url = self.url(DESCRIPTOR)
        cached = _file_inside(self.folder / DESCRIPTOR, self.folder, "descriptor")
        raw = _cached_descriptor(cached, sha256)
        if raw is None:
            get = Downloader(DESCRIPTOR_CAP, False, self.seconds)
            raw = retrieve(url, sha256, staging.place(DESCRIPTOR), get).read_bytes()
        return check_descriptor(raw, url, self.version)

    def missing(self, resources: list[Resource]) -> list[Resource]:
        """The files the cache does not already hold exactly."""
        out = []
        for res in resources:
            final = _file_inside(self.folder / res.path, self.folder, "release file")
            if final.is_dir() and not final.is_symlink():
                raise ReleaseError(f"{final} is a folder where {res.path} belongs; remove it")
            if not _cached(final, res):
                out.append(res)
        return out

    def files(self, staging: Staging, resources: list[Resource]) -> None:
        """Stage every file the cache lacks, under one progress bar when asked for one."""
        todo = self.missing(resources)
        if self.progress and todo:
            self.bar = progress_bar(sum(r.bytes for r in todo), f"release {self.version}")
        try:
            for res in todo:
                get = Downloader(res.bytes, True, self.seconds, self.bar)
                retrieve(self.url(res.path), res.sha256, staging.place(res.path), get)
        finally:
            if self.bar is not None:
                self.bar.close()


def _cached(path: Path, res: Resource) -> bool:
    try:
        st = path.lstat()
    except OSError:
        return False
    if not stat.S_ISREG(st.st_mode) or st.st_size != res.bytes:
        return False
    try:
        return _sha256_file(path) == res.sha256
    except OSError:
        return False
