"""Downloads from a real HTTP server on 127.0.0.1: verify, cache, refuse tampering, fail clearly."""

import functools
import hashlib
import http.server
import json
import shutil
import threading

import pytest

import ai_lab_funding as alf
from ai_lab_funding import paths
from ai_lab_funding._version import __version__
from ai_lab_funding.cli import main
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


def _republish(release, version: str) -> str:
    """Serve the release as `version` (its descriptor saying so); return the descriptor's pin."""
    folder = release.rename(release.parent / version)
    descriptor = folder / "datapackage.json"
    desc = json.loads(descriptor.read_text(encoding="utf-8"))
    descriptor.write_text(json.dumps({**desc, "version": version}), encoding="utf-8")
    return hashlib.sha256(descriptor.read_bytes()).hexdigest()


def test_newer_release_is_refused_unless_its_descriptor_is_pinned(server, cache):
    base, release = server
    pin = _republish(release, "99.0.0")
    with pytest.raises(ReleaseError, match="not one this package knows") as e:
        fetch("99.0.0", base_url=base)
    assert "newer than ai-lab-funding" in str(e.value)
    assert "descriptor_sha256=" in str(e.value) and "--descriptor-sha256" in str(e.value)
    assert not cache.exists()
    assert fetch("99.0.0", base_url=base, descriptor_sha256=pin) == cache / "99.0.0"
    assert fetch("99.0.0", base_url=base, descriptor_sha256=f"sha256:{pin.upper()}")


def test_a_wrong_pin_is_a_hash_mismatch_on_the_descriptor(server, cache):
    base, release = server
    release.rename(release.parent / "99.0.0")
    with pytest.raises(ReleaseError, match="99.0.0/datapackage.json: SHA256 hash"):
        fetch("99.0.0", base_url=base, descriptor_sha256="ab" * 32)
    assert [p.name for p in cache.iterdir()] == []


@pytest.mark.parametrize("pin", ["", "abc", "md5:" + "0" * 32, "g" * 64, "0" * 65])
def test_a_malformed_pin_is_refused(server, pin):
    with pytest.raises(ReleaseError, match="descriptor_sha256 must be 64 hex digits"):
        fetch("99.0.0", base_url=server[0], descriptor_sha256=pin)


def test_a_pin_that_contradicts_a_known_release_is_refused(server):
    with pytest.raises(ReleaseError, match="differs from the sha256 this package knows"):
        fetch(__version__, base_url=server[0], descriptor_sha256="0" * 64)


def test_a_pinned_descriptor_of_another_version_is_refused(server, cache):
    base, release = server
    folder = release.rename(release.parent / "99.0.0")  # the bundled descriptor, as 99.0.0
    pin = hashlib.sha256((folder / "datapackage.json").read_bytes()).hexdigest()
    with pytest.raises(ReleaseError, match=f"says it is version '{__version__}', not the 99"):
        fetch("99.0.0", base_url=base, descriptor_sha256=pin)
    assert [p.name for p in cache.iterdir()] == []


def test_load_package_and_the_command_line_take_a_pin(server, cache, capsys):
    base, release = server
    pin = _republish(release, "99.0.0")
    rounds = alf.load("rounds", version="99.0.0", base_url=base, descriptor_sha256=pin)
    assert len(rounds) == len(alf.load("rounds"))
    fetched = alf.package(version="99.0.0", base_url=base, descriptor_sha256=pin)
    assert fetched == {**alf.package(), "version": "99.0.0"}
    argv = ["fetch", "--version", "99.0.0", "--base-url", base, "--descriptor-sha256", pin]
    assert main(argv) == 0
    assert capsys.readouterr().out == f"{cache / '99.0.0'}\n"
    with pytest.raises(ValueError, match="version="):
        alf.load("rounds", descriptor_sha256=pin)


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
