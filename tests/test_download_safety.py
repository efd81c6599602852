"""Fetching from a server we do not control: versions, paths, caps, deadlines and the cache.

Each test plants one defect in a real HTTP server on 127.0.0.1 and checks that fetch
refuses with a one-line ReleaseError naming the URL or file, and that the cache is byte for
byte what it was. Deadlines are set to a second, so no test waits long.
"""

import json
import logging

import pytest
from test_download_server import (
    KNOWN,
    NEWER,
    Site,
    drip_body,
    drip_headers,
    endless,
    gzip_bomb,
    refused,
    release_files,
    running,
    self_signed,
    snapshot,
    truncated,
)

from ai_lab_funding.cli import main
from ai_lab_funding.remote import DESCRIPTOR_CAP, ReleaseError, fetch

ROUNDS = "data/rounds.parquet"


def declared(rel):
    """The size the bundled descriptor gives for `rel`."""
    desc = json.loads(release_files()["datapackage.json"])
    return next(r["bytes"] for r in desc["resources"] if r["path"] == rel)


# --- 1. versions and paths ------------------------------------------------------------------


@pytest.mark.parametrize(
    "version",
    ["0.2.0/../../x", "../x", f"{KNOWN}/..", "", "latest", f"{KNOWN}\x00", "/etc", "1.0?x=1"]
    + ["1." + "9" * 200],
)
def test_a_version_that_is_not_pep440_is_refused_before_any_request(site, warm, cache, version):
    assert "is not a release version" in refused(site, version, pin="0" * 64)
    assert site.requests.count(f"/{KNOWN}/datapackage.json") == 1  # only the warm-up's
    assert snapshot(cache) == warm


@pytest.mark.parametrize("spelling", [f"v{KNOWN}", f"{KNOWN}.0", f" {KNOWN} "])
def test_versions_are_compared_as_pep440_versions(site, cache, spelling):
    assert fetch(spelling, base_url=site.base) == cache / KNOWN


def test_a_cache_folder_linked_outside_the_cache_is_refused(site, cache, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (cache / KNOWN).symlink_to(outside, target_is_directory=True)
    before = snapshot(cache)
    assert "outside" in refused(site, KNOWN)
    assert snapshot(cache) == before and list(outside.iterdir()) == [] and site.requests == []


def test_a_data_folder_linked_outside_the_release_is_refused(site, cache, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (cache / KNOWN).mkdir()
    (cache / KNOWN / "data").symlink_to(outside, target_is_directory=True)
    before = snapshot(cache)
    message = refused(site, KNOWN)
    assert "data/companies.csv: its folder resolves to" in message and "outside" in message
    assert snapshot(cache) == before and list(outside.iterdir()) == []


# --- 2. caps and deadlines -------------------------------------------------------------------


def test_a_body_longer_than_declared_is_cut_at_the_declared_size(site, warm, cache):
    done = site.plant(KNOWN, ROUNDS, endless())  # 524 MiB, no Content-Length
    (cache / KNOWN / ROUNDS).unlink()
    before = snapshot(cache)
    message = refused(site, KNOWN)
    assert f"{site.base}/{KNOWN}/{ROUNDS}" in message
    assert f"more than the {declared(ROUNDS)} the descriptor declares" in message
    assert done.wait(10), "the server never saw the client hang up"
    assert site.sent[f"/{KNOWN}/{ROUNDS}"] < 64 * 1024 * 1024
    assert snapshot(cache) == before


def test_an_announced_oversize_body_is_refused_before_it_is_read(site, warm, cache):
    done = site.plant(KNOWN, ROUNDS, endless(announce=True))
    (cache / KNOWN / ROUNDS).unlink()
    before = snapshot(cache)
    message = refused(site, KNOWN)
    assert f"{site.base}/{KNOWN}/{ROUNDS}: server announces {524 * 1024 * 1024} bytes" in message
    assert done.wait(10) and site.sent[f"/{KNOWN}/{ROUNDS}"] < 64 * 1024 * 1024
    assert snapshot(cache) == before


def test_a_gzip_bomb_is_stopped_at_the_declared_size_of_decoded_bytes(site, warm, cache):
    bomb = gzip_bomb()
    assert len(bomb.payload) < declared(ROUNDS), "only counting decoded bytes can catch it"
    site.plant(KNOWN, ROUNDS, bomb)
    (cache / KNOWN / ROUNDS).unlink()
    before = snapshot(cache)
    message = refused(site, KNOWN)
    assert f"{site.base}/{KNOWN}/{ROUNDS}" in message
    assert f"more than the {declared(ROUNDS)} the descriptor declares" in message
    assert set(site.encodings) == {"identity"}
    assert snapshot(cache) == before


@pytest.mark.parametrize("announce", [False, True], ids=["streamed", "announced"])
def test_a_descriptor_is_capped(site, warm, cache, announce):
    site.plant(NEWER, "datapackage.json", endless(DESCRIPTOR_CAP + 1024 * 1024, announce))
    message = refused(site, NEWER, pin="0" * 64)
    assert f"{site.base}/{NEWER}/datapackage.json" in message
    assert f"more than the {DESCRIPTOR_CAP} allowed for a descriptor" in message
    assert snapshot(cache) == warm


@pytest.mark.parametrize("behaviour", [drip_body, drip_headers], ids=["body", "headers"])
def test_a_dripping_server_is_cut_off_at_the_deadline(site, warm, cache, monkeypatch, behaviour):
    # A byte every 0.2 s never trips the per-read timeout; only the deadline can stop it.
    monkeypatch.setenv("AI_LAB_FUNDING_TIMEOUT", "1")
    done = site.plant(KNOWN, ROUNDS, behaviour(delay=0.2, count=100))
    (cache / KNOWN / ROUNDS).unlink()
    before = snapshot(cache)
    message = refused(site, KNOWN)
    assert message.startswith(f"{site.base}/{KNOWN}/{ROUNDS}: took longer than 1 s")
    assert "AI_LAB_FUNDING_TIMEOUT" in message
    assert done.wait(10), "the server never saw the client hang up"
    assert site.sent[f"/{KNOWN}/{ROUNDS}"] < 60, "it waited for the drips (25 + 100 bytes)"
    assert snapshot(cache) == before


def test_the_deadline_holds_over_tls(cache, tmp_path, monkeypatch):
    # TLS takes the socket over: the deadline must still reach the connection under it.
    context, cert = self_signed(tmp_path)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))  # requests trusts it from here
    tls_site = Site()
    tls_site.publish(KNOWN, release_files())
    with running(tls_site, tls=context):
        assert tls_site.base.startswith("https://")
        fetch(KNOWN, base_url=tls_site.base)  # every file but the one that will drip is cached
        (cache / KNOWN / ROUNDS).unlink()
        before = snapshot(cache)
        done = tls_site.plant(KNOWN, ROUNDS, drip_body(delay=0.2, count=100))
        monkeypatch.setenv("AI_LAB_FUNDING_TIMEOUT", "1")
        message = refused(tls_site, KNOWN)
        assert message.startswith(f"{tls_site.base}/{KNOWN}/{ROUNDS}: took longer than 1 s")
        assert done.wait(10), "the server never saw the client hang up"
        # 100 drips take 20 s: had the deadline waited for them, it would have sent them all
        assert tls_site.sent[f"/{KNOWN}/{ROUNDS}"] < 60
    assert snapshot(cache) == before


def test_the_deadline_can_be_passed_to_fetch(site, warm, cache):
    (cache / KNOWN / ROUNDS).unlink()
    site.plant(KNOWN, ROUNDS, drip_body(delay=0.2, count=100))
    assert f"{ROUNDS}: took longer than 0.5 s" in refused(site, KNOWN, timeout=0.5)


@pytest.mark.parametrize("setting", ["soon", "0", "-1", "nan", "inf"])
def test_a_deadline_that_is_not_a_positive_number_is_refused(site, cache, monkeypatch, setting):
    monkeypatch.setenv("AI_LAB_FUNDING_TIMEOUT", setting)
    assert "AI_LAB_FUNDING_TIMEOUT" in refused(site, KNOWN)
    assert site.requests == [] and snapshot(cache) == {}


def test_a_file_cut_short_is_refused(site, warm, cache):
    site.plant(KNOWN, ROUNDS, truncated(500))
    (cache / KNOWN / ROUNDS).unlink()
    before = snapshot(cache)
    message = refused(site, KNOWN)
    assert f"{site.base}/{KNOWN}/{ROUNDS}: ended after 500 of the {declared(ROUNDS)}" in message
    assert snapshot(cache) == before


def test_pooch_says_nothing_per_file_but_keeps_its_voice_for_others(site, cache):
    import pooch

    records = []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = records.append
    logger = pooch.get_logger()
    logger.addHandler(handler)
    try:
        fetch(KNOWN, base_url=site.base)
        assert [r.getMessage() for r in records] == []
        logger.info("a program's own pooch message")
        assert [r.getMessage() for r in records] == ["a program's own pooch message"]
    finally:
        logger.removeHandler(handler)


# --- 4. unknown releases need a pin (more in test_remote.py) ---------------------------------


def test_an_unpinned_unknown_release_is_refused_before_any_request(site, warm, cache):
    site.publish(NEWER, release_files())
    message = refused(site, NEWER)
    assert "descriptor_sha256=" in message and "--descriptor-sha256" in message
    assert not any(r.startswith(f"/{NEWER}/") for r in site.requests)
    assert snapshot(cache) == warm


def test_export_of_an_unpinned_unknown_release_fails_in_one_line(site, warm, cache, capsys):
    site.publish(NEWER, release_files())
    argv = ["export", "--format", "csv", "--version", NEWER, "--base-url", site.base, "x"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("export failed: release 99.0.0") and err.count("\n") == 1
    assert "--descriptor-sha256" in err and snapshot(cache) == warm


def test_a_pin_without_a_version_is_a_usage_error(capsys):
    assert main(["export", "--format", "csv", "--descriptor-sha256", "0" * 64, "x"]) == 2
    assert "--version" in capsys.readouterr().err


# --- 5. name lookups and redirects -----------------------------------------------------------


def redirect_to(url):
    """A behaviour: answer 302 with `url` as the new address."""

    def behaviour(handler, body):
        handler.send_response(302)
        handler.send_header("Location", url)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return behaviour


def test_a_name_lookup_that_hangs_is_cut_off_at_the_deadline(cache, monkeypatch):
    import socket
    import threading
    import time

    lookup, release = socket.getaddrinfo, threading.Event()

    def hanging(host, *args, **kwargs):
        if host == "stuck.invalid":
            release.wait(30)  # a resolver that never answers (ended when the test is done)
        return lookup(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", hanging)
    start = time.monotonic()
    try:
        with pytest.raises(ReleaseError, match="took longer than 1 s"):
            fetch(KNOWN, base_url="http://stuck.invalid:8080", timeout=1)
        assert time.monotonic() - start < 5
    finally:
        release.set()
    assert snapshot(cache) == {}


def test_a_mirror_on_the_local_network_may_redirect_within_it(site, warm, cache):
    other = Site()
    other.publish(KNOWN, release_files())
    with running(other):
        site.plant(KNOWN, ROUNDS, redirect_to(f"{other.base}/{KNOWN}/{ROUNDS}"))
        (cache / KNOWN / ROUNDS).unlink()
        fetch(KNOWN, base_url=site.base)
        assert other.got(KNOWN, ROUNDS) == 1
    assert snapshot(cache) == warm


def test_a_server_on_the_internet_cannot_redirect_into_the_local_network(
    site, warm, cache, monkeypatch
):
    from ai_lab_funding.remote import download

    inner = Site()
    inner.publish(KNOWN, release_files())
    with running(inner):
        port = int(inner.base.rsplit(":", 1)[1])
        # Pretend the first server is on the internet: only `inner` counts as local.
        monkeypatch.setattr(download, "_in_local_network", lambda s: s.getpeername()[1] == port)
        site.plant(KNOWN, ROUNDS, redirect_to(f"{inner.base}/{KNOWN}/{ROUNDS}"))
        (cache / KNOWN / ROUNDS).unlink()
        before = snapshot(cache)
        message = refused(site, KNOWN)
        assert "redirected to 127.0.0.1 in the local network; refused" in message
        assert inner.got(KNOWN, ROUNDS) == 0
    assert snapshot(cache) == before


def test_a_redirect_from_https_to_http_is_refused(cache, tmp_path, monkeypatch):
    context, cert = self_signed(tmp_path)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    plain, tls_site = Site(), Site()
    plain.publish(KNOWN, release_files())
    tls_site.publish(KNOWN, release_files())
    with running(plain), running(tls_site, tls=context):
        tls_site.plant(KNOWN, "datapackage.json", redirect_to(f"{plain.base}/{KNOWN}/x"))
        message = refused(tls_site, KNOWN)
        assert "redirected to a http address; only https to https" in message
        assert plain.requests == []
    assert snapshot(cache) == {}


# --- 6. what killed fetches leave ------------------------------------------------------------


def test_a_fetch_removes_the_staging_folders_of_killed_fetches(site, warm, cache, tmp_path):
    import os
    import subprocess
    import sys

    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    killed = cache / f".{KNOWN}.partial-{dead}-abc123"  # its fetch got SIGKILL
    running_now = cache / f".{KNOWN}.partial-{os.getpid()}-def456"  # a fetch still at work
    for folder in (killed, running_now):
        (folder / "data").mkdir(parents=True)
        (folder / ROUNDS).write_bytes(b"half a file")
    outside = tmp_path / "keep"
    outside.mkdir()
    (cache / f".{KNOWN}.partial-{dead}-link").symlink_to(outside)  # never followed
    (cache / KNOWN / ROUNDS).unlink()
    fetch(KNOWN, base_url=site.base)
    assert not killed.exists()
    assert (running_now / ROUNDS).read_bytes() == b"half a file"
    assert outside.is_dir()


def test_a_fetch_shows_one_progress_bar_not_one_per_file(site, cache, capsys):
    fetch(KNOWN, base_url=site.base, progress=True)
    err = capsys.readouterr().err
    assert f"release {KNOWN}" in err
    assert "rounds.parquet" not in err and "Downloading" not in err and "known_hash" not in err
    fetch(KNOWN, base_url=site.base, progress=True)  # all cached: nothing to show
    assert capsys.readouterr().err == ""
