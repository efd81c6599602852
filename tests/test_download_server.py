"""A release site on 127.0.0.1 for the download tests, with hostile behaviours to plant.

Not a test module: the other test_download_* files import its helpers. Every
misbehaving handler loop is bounded (a count of bytes or writes) and stops as soon as the
client hangs up or the test ends, so no thread outlives its test by more than a moment.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.server
import json
import os
import shutil
import ssl
import subprocess
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ai_lab_funding import paths
from ai_lab_funding._version import __version__
from ai_lab_funding.remote import ReleaseError, fetch

KNOWN = __version__  # the bundled release, whose descriptor hash the package knows
NEWER = "99.0.0"  # a release the package does not know: fetched only with a pin

Behaviour = Callable[["Handler", bytes], None]


def release_files() -> dict[str, bytes]:
    """The bundled release as {relative path: bytes}."""
    root = paths.release_dir()
    files = {"datapackage.json": (root / "datapackage.json").read_bytes()}
    for f in sorted((root / "data").iterdir()):
        files[f"data/{f.name}"] = f.read_bytes()
    return files


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Site:
    """What the server holds: files by URL path, and behaviours planted on some paths."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.behaviours: dict[str, Behaviour] = {}
        self.requests: list[str] = []
        self.encodings: list[str | None] = []  # the Accept-Encoding of every request
        self.sent: dict[str, int] = {}
        self.done: dict[str, threading.Event] = {}
        self.stop = threading.Event()
        self.base = ""

    def publish(self, version: str, files: dict[str, bytes]) -> str:
        """Serve `files` as release `version`; return its descriptor's sha256 (the pin)."""
        for rel, data in files.items():
            self.files[f"/{version}/{rel}"] = data
        return sha256(files["datapackage.json"])

    def publish_descriptor(self, version: str, descriptor: dict | bytes) -> str:
        """Serve the bundled data files with another descriptor; return that descriptor's pin.

        A dict descriptor is stamped with `version` (a publisher's descriptor names its own
        release); bytes are served as they are.
        """
        if isinstance(descriptor, dict):
            descriptor = json.dumps({**descriptor, "version": version}).encode()
        raw = descriptor
        return self.publish(version, {**release_files(), "datapackage.json": raw})

    def plant(self, version: str, rel: str, behaviour: Behaviour) -> threading.Event:
        """Make the server misbehave on one file; the event is set when the handler ends."""
        path = f"/{version}/{rel}"
        self.behaviours[path] = behaviour
        self.done[path] = threading.Event()
        return self.done[path]

    def got(self, version: str, rel: str) -> int:
        """How many times the file was asked for."""
        return self.requests.count(f"/{version}/{rel}")


class Handler(http.server.BaseHTTPRequestHandler):
    """Serves a Site; HTTP/1.0, so every response ends by closing the connection."""

    site: Site

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        site = self.site
        site.requests.append(self.path)
        site.encodings.append(self.headers.get("Accept-Encoding"))
        body = site.files.get(self.path)
        behaviour = site.behaviours.get(self.path)
        if behaviour is not None:
            try:
                behaviour(self, body or b"")
            except OSError:  # the client hung up: what a client that gives up does
                pass
            finally:
                site.done[self.path].set()
            return
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def write_counted(self, data: bytes) -> None:
        self.wfile.write(data)
        self.wfile.flush()
        self.site.sent[self.path] = self.site.sent.get(self.path, 0) + len(data)


@contextlib.contextmanager
def running(s: Site, tls: ssl.SSLContext | None = None) -> Iterator[Site]:
    """Serve `s` on 127.0.0.1 (over TLS with `tls`) until the block ends; address `s.base`."""
    handler = type("BoundHandler", (Handler,), {"site": s})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    if tls is not None:
        httpd.socket = tls.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    scheme = "https" if tls is not None else "http"
    s.base = f"{scheme}://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield s
    finally:
        s.stop.set()
        httpd.shutdown()
        httpd.server_close()


@contextlib.contextmanager
def serving_release() -> Iterator[Site]:
    """A running server with the bundled release published as KNOWN (a test's `site`)."""
    s = Site()
    s.publish(KNOWN, release_files())
    with running(s):
        yield s


def self_signed(folder: Path) -> tuple[ssl.SSLContext, Path]:
    """A server TLS context for 127.0.0.1 and the certificate a client must trust.

    Made with the openssl command; a test that needs it is skipped where there is none.
    """
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a certificate")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"]
        + ["-addext", "subjectAltName=IP:127.0.0.1"],
        check=True,
        capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context, cert


def empty_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache folder, set through AI_LAB_FUNDING_CACHE, with no address configured."""
    root = tmp_path / "cache"
    root.mkdir()
    monkeypatch.setenv("AI_LAB_FUNDING_CACHE", str(root))
    monkeypatch.delenv("AI_LAB_FUNDING_BASE_URL", raising=False)
    monkeypatch.delenv("AI_LAB_FUNDING_TIMEOUT", raising=False)
    return root


def snapshot(root: Path) -> dict[str, object]:
    """Every folder, file (with its bytes) and link under `root`: the cache byte for byte."""
    out: dict[str, object] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            p = Path(folder) / name
            rel = p.relative_to(root).as_posix()
            if p.is_symlink():
                out[rel] = ("link", os.readlink(p))
            elif p.is_dir():
                out[rel] = "folder"
            else:
                out[rel] = p.read_bytes()
    return out


# --- behaviours: each loop is bounded and ends when the client hangs up ---------------------


def drip_body(delay: float = 0.2, count: int = 50) -> Behaviour:
    """Honest headers, then the body one byte every `delay` seconds."""

    def behave(h: Handler, body: bytes) -> None:
        h.send_response(200)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        for i in range(min(count, len(body))):
            if h.site.stop.wait(delay):
                return
            h.write_counted(body[i : i + 1])

    return behave


def drip_headers(delay: float = 0.2, count: int = 50) -> Behaviour:
    """A status line, then a header one byte every `delay` seconds."""

    def behave(h: Handler, body: bytes) -> None:
        h.write_counted(b"HTTP/1.0 200 OK\r\nX-Slow: ")
        for _ in range(count):
            if h.site.stop.wait(delay):
                return
            h.write_counted(b"a")

    return behave


def endless(total: int = 524 * 1024 * 1024, announce: bool = False) -> Behaviour:
    """Zeros until `total` bytes or the client hangs up; Content-Length only if `announce`."""

    def behave(h: Handler, body: bytes) -> None:
        h.send_response(200)
        if announce:
            h.send_header("Content-Length", str(total))
        h.end_headers()
        chunk = bytes(64 * 1024)
        for _ in range(total // len(chunk)):
            if h.site.stop.is_set():
                return
            h.write_counted(chunk)

    return behave


def gzip_bomb(decoded: int = 20 * 1024 * 1024) -> Behaviour:
    """`decoded` zeros sent gzip-encoded (about 1000:1), whatever encoding was asked for."""
    z = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip framing
    zeros = bytes(1024 * 1024)
    payload = b"".join(z.compress(zeros) for _ in range(decoded // len(zeros))) + z.flush()

    def behave(h: Handler, body: bytes) -> None:
        h.send_response(200)
        h.send_header("Content-Encoding", "gzip")
        h.send_header("Content-Length", str(len(payload)))
        h.end_headers()
        h.write_counted(payload)

    behave.payload = payload  # type: ignore[attr-defined]
    return behave


def stall_after(nbytes: int, seconds: float = 30.0) -> Behaviour:
    """Send the first `nbytes` of the body, then hold the connection open (bounded)."""

    def behave(h: Handler, body: bytes) -> None:
        h.send_response(200)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.write_counted(body[:nbytes])
        h.site.stop.wait(seconds)

    return behave


def slowly(pause: float = 0.05) -> Behaviour:
    """The right bytes, in two halves with a pause: lets two fetches overlap."""

    def behave(h: Handler, body: bytes) -> None:
        h.send_response(200)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.write_counted(body[: len(body) // 2])
        time.sleep(pause)
        h.write_counted(body[len(body) // 2 :])

    return behave


def truncated(keep: int) -> Behaviour:
    """An honest Content-Length for a file cut short after `keep` bytes."""

    def behave(h: Handler, body: bytes) -> None:
        h.send_response(200)
        h.send_header("Content-Length", str(keep))
        h.end_headers()
        h.write_counted(body[:keep])

    return behave


def refused(site, version, pin=None, **kwargs):
    """fetch must fail with a one-line ReleaseError; its message."""
    with pytest.raises(ReleaseError) as e:
        fetch(version, base_url=site.base, descriptor_sha256=pin, **kwargs)
    assert "\n" not in str(e.value)
    return str(e.value)


def verified(folder):
    """True when every file of the bundled release is in `folder` with the same bytes."""
    return all((folder / rel).read_bytes() == data for rel, data in release_files().items())
