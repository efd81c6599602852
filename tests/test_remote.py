"""Downloads from a real HTTP server on 127.0.0.1: verify, cache, refuse tampering, fail clearly."""

import functools
import hashlib
import http.server
import shutil
import threading

import pytest

import ai_lab_funding as alf
from ai_lab_funding import paths
from ai_lab_funding._version import __version__
from ai_lab_funding.remote import ReleaseError, fetch


@pytest.fixture
def server(tmp_path):
    """Serve a copy of the bundled release as {base}/<version>/ and yield (base, folder)."""
    site = tmp_path / "site"
    release = site / __version__
    (release / "data").mkdir(parents=True)
    shutil.copy(paths.release_dir() / "datapackage.json", release)
    for f in (paths.release_dir() / "data").iterdir():
        shutil.copy(f, release / "data")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *a, **k: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", release
    httpd.shutdown()


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("AI_LAB_FUNDING_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_fetch_verifies_then_uses_the_cache(server, cache):
    base, release = server
    folder = fetch(__version__, base_url=base)
    assert folder == cache / __version__
    for f in (release / "data").iterdir():
        assert (
            hashlib.sha256((folder / "data" / f.name).read_bytes()).digest()
            == hashlib.sha256(f.read_bytes()).digest()
        )
    shutil.rmtree(release)  # the server no longer has it: only the cache can answer
    rounds = alf.load("rounds", version=__version__, base_url=base)
    assert len(rounds) == len(alf.load("rounds"))


def test_tampered_byte_is_refused(server):
    base, release = server
    p = release / "data" / "rounds.parquet"
    data = bytearray(p.read_bytes())
    data[100] ^= 0xFF
    p.write_bytes(bytes(data))
    with pytest.raises(ReleaseError, match="rounds.parquet") as e:
        fetch(__version__, base_url=base)
    expected = hashlib.sha256(
        (paths.release_dir() / "data" / "rounds.parquet").read_bytes()
    ).hexdigest()
    assert expected in str(e.value) and hashlib.sha256(bytes(data)).hexdigest() in str(e.value)


def test_truncated_file_is_refused(server):
    base, release = server
    p = release / "data" / "reports.csv"
    p.write_bytes(p.read_bytes()[:500])
    with pytest.raises(ReleaseError, match="reports.csv"):
        fetch(__version__, base_url=base)


def test_tampered_descriptor_is_refused(server):
    base, release = server
    d = release / "datapackage.json"
    d.write_text(d.read_text().replace('"title": "Companies"', '"title": "Firms"'))
    with pytest.raises(ReleaseError, match="datapackage.json"):
        fetch(__version__, base_url=base)


def test_newer_release_is_accepted_with_a_warning(server):
    base, release = server
    release.rename(release.parent / "99.0.0")
    with pytest.warns(UserWarning, match="newer"):
        fetch("99.0.0", base_url=base)


def test_unknown_older_release_is_refused(server):
    with pytest.raises(ReleaseError, match="not one this package knows"):
        fetch("0.0.1", base_url=server[0])


def test_unreachable_server_gives_a_clear_error():
    with pytest.raises(ReleaseError, match="cannot download"):
        fetch(__version__, base_url="http://127.0.0.1:9")


def test_no_address_configured(monkeypatch):
    monkeypatch.delenv("AI_LAB_FUNDING_BASE_URL", raising=False)
    with pytest.raises(ReleaseError, match="AI_LAB_FUNDING_BASE_URL"):
        fetch(__version__)


def test_offline_load_needs_no_network():
    assert len(alf.load("companies")) > 0
