"""One download with a size cap and a wall-clock deadline, handed to pooch to verify and move.

pooch keeps its temporary-file-then-move behaviour and its sha256 check; the downloader it
calls here stops at the declared size (decoded bytes, so a gzip bomb stops too) and shuts
the connection when the file's deadline passes, so a dripping server cannot hold a fetch.
The download runs in a worker thread the caller stops waiting for at the deadline, so a
name lookup that hangs (no socket yet to shut) cannot hold it either. A server may redirect,
but not from https to http, nor from a server on the internet into the local network.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
import time
from functools import cache
from pathlib import Path
from typing import IO, Any
from urllib.parse import urljoin, urlsplit

from .errors import ReleaseError, one_line
from .settings import CHUNK, CONNECT_TIMEOUT, READ_TIMEOUT, TIMEOUT_VARIABLE

_LOCAL = threading.local()  # this thread's running deadline and whether pooch is hushed
# How long past its deadline a download's worker is waited for (it shuts its own socket).
LATE = 1.0


class _Deadline:
    """Wall-clock limit on one file: when it passes, the connection is shut down.

    A per-read timeout alone lets a server that drips a byte every few seconds hold a read
    forever, in the body or already in the headers. Shutting the socket down wakes whatever
    read is blocked on it, wherever it is. The deadline keeps a duplicate of each socket's
    descriptor: TLS takes the original socket object over (and empties it), but a shutdown
    through any descriptor of a socket ends the connection for all of them.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._end = time.monotonic() + seconds
        self._fired = False
        self._sockets: list[socket.socket] = []
        self.local_network: bool | None = None  # the first connection: to a non-public peer?
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    @property
    def expired(self) -> bool:
        """True once the deadline has passed (checked between reads too, for proxies)."""
        return self._fired or time.monotonic() >= self._end

    def attach(self, sock: socket.socket) -> None:
        """Watch a socket the download opened (each redirect opens another)."""
        with self._lock:
            self._sockets.append(sock.dup())
            if self._fired:
                _shut(self._sockets[-1])

    def _fire(self) -> None:
        with self._lock:
            self._fired = True
            for sock in self._sockets:
                _shut(sock)

    def __enter__(self) -> _Deadline:
        _LOCAL.deadline = self
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        _LOCAL.deadline = None
        with self._lock:
            for sock in self._sockets:
                sock.close()
            self._sockets.clear()


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed


def _in_local_network(sock: socket.socket) -> bool:
    """Whether the socket's peer is not a public address (loopback, private, link-local…)."""
    try:
        host = sock.getpeername()[0]
        return not ipaddress.ip_address(host.split("%")[0]).is_global
    except (OSError, ValueError, IndexError, TypeError):
        return False  # not an IP socket: nothing to compare


class _ReportsSocket:
    """Mixin for urllib3 connections: hand each new socket to this thread's deadline.

    It also keeps a download that began on the internet out of the local network: when the
    first connection's peer is a public address, a later one (a redirect) to a loopback,
    private or link-local address is refused, whatever name led there. A server chosen on
    the local network (a mirror, a test server) may redirect within it.
    """

    def _new_conn(self) -> socket.socket:  # urllib3's one place where a socket is made
        sock = super()._new_conn()  # type: ignore[misc]
        deadline = getattr(_LOCAL, "deadline", None)
        if deadline is not None:
            deadline.attach(sock)
            local = _in_local_network(sock)
            if deadline.local_network is None:
                deadline.local_network = local
            elif local and not deadline.local_network:
                sock.close()
                raise ReleaseError(
                    f"a server on the internet redirected to {self.host} "  # type: ignore[attr-defined]
                    "in the local network; refused"
                )
        return sock


@cache
def _adapter_class() -> type:
    """A requests adapter whose connections (direct or through an HTTP proxy) are watched."""
    from requests.adapters import HTTPAdapter
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
    from urllib3.poolmanager import ProxyManager

    class WatchedHTTP(_ReportsSocket, HTTPConnection):
        pass

    class WatchedHTTPS(_ReportsSocket, HTTPSConnection):
        pass

    class HTTPPool(HTTPConnectionPool):
        ConnectionCls = WatchedHTTP

    class HTTPSPool(HTTPSConnectionPool):
        ConnectionCls = WatchedHTTPS

    pools = {"http": HTTPPool, "https": HTTPSPool}

    class WatchedAdapter(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = pools

        def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
            manager = super().proxy_manager_for(proxy, **kwargs)
            if type(manager) is ProxyManager:  # a SOCKS manager keeps its own pools
                manager.pool_classes_by_scheme = pools
            return manager

    return WatchedAdapter


@cache
def _session_class() -> type:
    """A requests session that refuses a redirect from https to plain http."""
    import requests

    class NoDowngrade(requests.Session):
        def get_redirect_target(self, resp: Any) -> str | None:
            target = super().get_redirect_target(resp)
            if target is None:
                return None
            to = urlsplit(urljoin(resp.url, target)).scheme.lower()
            if to not in ("http", "https") or (urlsplit(resp.url).scheme == "https" != to):
                raise ReleaseError(
                    f"{resp.url}: redirected to a {to or 'relative'} address; only https "
                    "to https (or http to http or https) is followed"
                )
            return target

    return NoDowngrade


def _network_errors() -> tuple[type[BaseException], ...]:
    """What a hostile or broken server can make requests, urllib3 or http.client raise."""
    import http.client

    import requests
    import urllib3

    return (
        requests.RequestException,
        urllib3.exceptions.HTTPError,
        http.client.HTTPException,
        OSError,
    )


class Downloader:
    """A pooch downloader that believes nothing the server says about size or pace.

    It asks for identity encoding but counts decoded bytes, so a gzip bomb stops at the cap
    like a plain oversized body; `exact` files must also not end early.
    """

    def __init__(self, limit: int, exact: bool, seconds: float, bar: Any = None) -> None:
        """Read at most `limit` bytes (exactly that many if `exact`) within `seconds`.

        `bar` is the fetch's one progress bar (see `progress_bar`), advanced by each chunk.
        """
        self.limit, self.exact, self.seconds, self.bar = limit, exact, seconds, bar

    def __call__(self, url: str, output_file: str | IO[bytes], pooch: object = None) -> None:
        """Write `url` into pooch's temporary file; pooch checks the hash and moves it."""
        deadline = _Deadline(self.seconds)
        outcome: dict[str, Any] = {}

        def work() -> None:
            with deadline:
                try:
                    outcome["got"] = self._get(url, output_file, deadline)
                except BaseException as e:  # handed to the waiting thread below
                    outcome["error"] = e

        worker = threading.Thread(target=work, name="ai-lab-funding-download", daemon=True)
        worker.start()
        worker.join(self.seconds + LATE)
        if worker.is_alive():  # stuck where no socket can be shut: a name lookup
            raise self._too_slow(url)
        error = outcome.get("error")
        if error is not None:
            if deadline.expired and isinstance(error, _network_errors()):
                raise self._too_slow(url) from None
            raise error
        got = outcome["got"]
        if deadline.expired:
            raise self._too_slow(url)
        if self.exact and got != self.limit:
            raise ReleaseError(
                f"{url}: ended after {got} of the {self.limit} bytes the descriptor declares"
            )

    def _too_slow(self, url: str) -> ReleaseError:
        return ReleaseError(
            f"{url}: took longer than {self.seconds:g} s ({TIMEOUT_VARIABLE}); stopped"
        )

    def _get(self, url: str, output_file: str | IO[bytes], deadline: _Deadline) -> int:
        timeout = (min(CONNECT_TIMEOUT, self.seconds), min(READ_TIMEOUT, self.seconds))
        with _session_class()() as session:
            session.max_redirects = 5
            session.mount("http://", _adapter_class()())
            session.mount("https://", _adapter_class()())
            headers = {"Accept-Encoding": "identity"}
            with session.get(url, stream=True, timeout=timeout, headers=headers) as r:
                r.raise_for_status()
                self._check_length(url, r.headers)
                if hasattr(output_file, "write"):
                    return self._copy(url, r, output_file, deadline)  # type: ignore[arg-type]
                with open(output_file, "wb") as out:  # type: ignore[arg-type]
                    return self._copy(url, r, out, deadline)

    def _check_length(self, url: str, headers: Any) -> None:
        """Refuse before reading when the server itself announces too many bytes."""
        encoding = headers.get("Content-Encoding", "").strip().lower()
        length = headers.get("Content-Length", "").strip()
        if encoding in ("", "identity") and length.isdigit():
            if len(length) > 18 or int(length) > self.limit:
                raise ReleaseError(f"{url}: server announces {length} bytes, {self._cap()}")

    def _cap(self) -> str:
        if self.exact:
            return f"more than the {self.limit} the descriptor declares"
        return f"more than the {self.limit} allowed for a descriptor"

    def _copy(self, url: str, r: Any, out: IO[bytes], deadline: _Deadline) -> int:
        got = 0
        for chunk in r.iter_content(CHUNK):  # decoded bytes, never more than CHUNK
            got += len(chunk)
            if got > self.limit:
                raise ReleaseError(f"{url}: {self._cap()} bytes; stopped reading")
            if deadline.expired:
                raise self._too_slow(url)
            out.write(chunk)
            if self.bar is not None:
                self.bar.update(len(chunk))
        return got


def progress_bar(total: int, what: str) -> Any:
    """One bar for a whole fetch (`total` bytes still to download); None without tqdm.

    One bar rather than one per file: a release is some thirty files, and thirty bars
    scrolling past say less than one that fills.
    """
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, unit="B", unit_scale=True, desc=what, leave=False)


class _HushPooch(logging.Filter):
    """Drop pooch's per-file lines ("Downloading data from ...") during our own downloads.

    A filter rather than a level, so a program that uses pooch itself keeps its messages.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """False (drop) while this thread is inside one of our pooch calls."""
        return not getattr(_LOCAL, "hush", False)


_HUSH = _HushPooch()


def retrieve(url: str, sha256: str, target: Path, downloader: Downloader) -> Path:
    """Download `url` to `target` through pooch: temporary file, sha256 check, then move."""
    import pooch

    pooch.get_logger().addFilter(_HUSH)  # adds it once
    _LOCAL.hush = True
    try:
        name = pooch.retrieve(
            url,
            known_hash=f"sha256:{sha256}",
            fname=target.name,
            path=target.parent,
            downloader=downloader,
        )
    except ReleaseError:
        raise
    except _network_errors() as e:
        raise ReleaseError(f"cannot download {url}: {type(e).__name__}: {one_line(e)}") from None
    except ValueError as e:  # pooch: sha256 mismatch; it has deleted the download
        raise ReleaseError(f"{url}: {one_line(e, 600)}") from None
    finally:
        _LOCAL.hush = False
    return Path(name)
