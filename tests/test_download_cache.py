"""The download cache is never trusted: bad cached files are replaced, failures change nothing.

Each test runs a real HTTP server on 127.0.0.1; a fetch killed or failing part-way must
leave the cache byte for byte as it was, and two fetches at once must not see each other.
"""

import json
import os
import subprocess
import sys
import threading
import time

import pytest
from test_download_server import (
    KNOWN,
    NEWER,
    gzip_bomb,
    refused,
    release_files,
    slowly,
    snapshot,
    stall_after,
    verified,
)

import ai_lab_funding as alf
from ai_lab_funding.remote import ReleaseError, fetch

ROUNDS = "data/rounds.parquet"


def test_a_downloaded_release_without_the_table_is_refused_not_read_from_stray_files(site, cache):
    files = release_files()
    desc = json.loads(files["datapackage.json"])
    desc["resources"] = [r for r in desc["resources"] if r["path"] == "data/companies.csv"]
    pin = site.publish_descriptor(NEWER, desc)
    stray = cache / NEWER / ROUNDS  # a file no verified descriptor vouches for
    stray.parent.mkdir(parents=True)
    stray.write_bytes(files[ROUNDS])
    with pytest.raises(ReleaseError, match=f"lists no {ROUNDS}"):
        alf.load("rounds", version=NEWER, base_url=site.base, descriptor_sha256=pin)


# --- 5. the cache: never trusted, repaired, left alone on failure ----------------------------


def test_a_fetch_the_cache_can_answer_asks_nothing_and_writes_nothing(site, warm, cache):
    folders = [cache, cache / KNOWN, cache / KNOWN / "data"]
    mtimes = [f.stat().st_mtime_ns for f in folders]
    asked = len(site.requests)
    assert fetch(KNOWN, base_url=site.base) == cache / KNOWN
    assert len(site.requests) == asked and snapshot(cache) == warm
    assert [f.stat().st_mtime_ns for f in folders] == mtimes


@pytest.mark.parametrize("damage", ["flip", "truncate", "empty", "link"])
def test_a_bad_cached_file_is_replaced_by_a_verified_download(site, cache, tmp_path, damage):
    folder = fetch(KNOWN, base_url=site.base)
    f = folder / ROUNDS
    good = f.read_bytes()
    if damage == "flip":
        f.write_bytes(good[:100] + bytes([good[100] ^ 0xFF]) + good[101:])
    elif damage == "truncate":
        f.write_bytes(good[:1000])
    elif damage == "empty":
        f.write_bytes(b"")
    else:  # a link to the right bytes elsewhere is still not a file of the cache
        outside = tmp_path / "elsewhere.parquet"
        outside.write_bytes(good)
        f.unlink()
        f.symlink_to(outside)
    asked = site.got(KNOWN, ROUNDS)
    assert fetch(KNOWN, base_url=site.base) == folder
    assert not f.is_symlink() and f.read_bytes() == good
    assert site.got(KNOWN, ROUNDS) == asked + 1 and verified(folder)


@pytest.mark.parametrize("damage", [b"", b"{}", b"not json", b"{" * 10])
def test_a_bad_cached_descriptor_is_replaced_by_a_verified_download(site, cache, damage):
    folder = fetch(KNOWN, base_url=site.base)
    (folder / "datapackage.json").write_bytes(damage)
    asked = site.got(KNOWN, "datapackage.json")
    assert fetch(KNOWN, base_url=site.base) == folder
    assert site.got(KNOWN, "datapackage.json") == asked + 1 and verified(folder)


def test_a_folder_where_a_cached_file_belongs_is_refused(site, warm, cache):
    (cache / KNOWN / ROUNDS).unlink()
    (cache / KNOWN / ROUNDS).mkdir()
    before = snapshot(cache)
    assert "is a folder where data/rounds.parquet belongs" in refused(site, KNOWN)
    assert snapshot(cache) == before


def test_a_failed_download_leaves_the_cache_as_it_was_and_trusts_none_of_it(site, cache):
    folder = fetch(KNOWN, base_url=site.base)
    good = (folder / ROUNDS).read_bytes()
    (folder / ROUNDS).write_bytes(good[:-1] + b"\x00")  # bad in the cache
    site.files[f"/{KNOWN}/{ROUNDS}"] = good[:-1] + b"\x01"  # and bad on the server
    before = snapshot(cache)
    message = refused(site, KNOWN)
    assert f"{site.base}/{KNOWN}/{ROUNDS}" in message and "does not match" in message
    assert snapshot(cache) == before
    with pytest.raises(ReleaseError):  # loading does not fall back on the bad cached copy
        alf.load("rounds", version=KNOWN, base_url=site.base)
    site.files[f"/{KNOWN}/{ROUNDS}"] = good
    assert len(alf.load("rounds", version=KNOWN, base_url=site.base)) == len(alf.load("rounds"))


def test_a_fetch_killed_mid_file_leaves_nothing_a_later_fetch_trusts(site, cache):
    rel = "data/reports.csv"
    site.plant(KNOWN, rel, stall_after(100_000))
    code = f"import ai_lab_funding as alf; alf.fetch({KNOWN!r}, base_url={site.base!r})"
    child = subprocess.Popen([sys.executable, "-c", code], env={**os.environ})
    try:
        for _ in range(600):  # up to 30 s for the child to start and write part of the file
            if any(p.stat().st_size for p in cache.rglob("tmp*") if p.is_file()):
                break
            time.sleep(0.05)
        else:
            pytest.fail("the child never wrote part of the file")
    finally:
        child.kill()
        child.wait(timeout=30)
    assert not (cache / KNOWN).exists(), "a killed fetch put files where fetch looks"
    site.behaviours.clear()
    assert verified(fetch(KNOWN, base_url=site.base))


def test_two_fetches_at_once_do_not_corrupt_each_other(site, cache):
    for rel in release_files():
        site.plant(KNOWN, rel, slowly())
    start, results = threading.Barrier(2), []

    def one():
        start.wait()
        try:
            results.append(fetch(KNOWN, base_url=site.base))
        except Exception as e:  # reported below, not lost in the thread
            results.append(e)

    threads = [threading.Thread(target=one) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert results == [cache / KNOWN] * 2 and verified(cache / KNOWN)
    assert [p.name for p in cache.iterdir()] == [KNOWN], "a staging folder was left behind"


def test_two_processes_fetching_at_once_both_succeed(site, cache):
    for rel in release_files():
        site.plant(KNOWN, rel, slowly())
    code = f"import ai_lab_funding as alf; print(alf.fetch({KNOWN!r}, base_url={site.base!r}))"
    children = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outs = [c.communicate(timeout=120)[0].strip() for c in children]
    assert [c.returncode for c in children] == [0, 0]
    assert outs == [str(cache / KNOWN)] * 2 and verified(cache / KNOWN)


# --- the command line --------------------------------------------------------------------------


def test_the_command_line_prints_fetch_failed_in_one_line_without_a_traceback(site, cache):
    site.plant(KNOWN, ROUNDS, gzip_bomb())
    command = [sys.executable, "-c", "import sys; from ai_lab_funding.cli import main; "]
    command[-1] += "sys.exit(main())"
    res = subprocess.run(
        [*command, "fetch", "--version", KNOWN, "--base-url", site.base],
        capture_output=True,
        text=True,
        env={**os.environ, "AI_LAB_FUNDING_CACHE": str(cache)},
    )
    assert res.returncode == 1 and res.stdout == ""
    assert res.stderr.startswith(f"fetch failed: {site.base}/{KNOWN}/{ROUNDS}: ")
    assert res.stderr.count("\n") == 1 and "Traceback" not in res.stderr
    assert snapshot(cache) == {}
