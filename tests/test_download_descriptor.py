"""A descriptor is hostile input even when its hash is pinned: every defect is one clean refusal.

First each named defect, planted in a pinned descriptor on a real server: fetch raises a
one-line ReleaseError naming the descriptor's URL, the command line exits 1, no data file is
asked for and the cache is untouched. Then property tests: any bytes, any JSON and any
near-miss descriptor give a ReleaseError or a valid list of files, never another exception,
and a fetch of any of them succeeds exactly when every file verifies, else changes nothing.
"""

import hashlib
import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_download_server import (
    KNOWN,
    NEWER,
    Site,
    release_files,
    running,
    sha256,
    snapshot,
)

from ai_lab_funding.cli import main
from ai_lab_funding.paths import leaves_package
from ai_lab_funding.remote import ReleaseError, Resource, check_descriptor, fetch

WHERE = "http://127.0.0.1:1/9.9.9/datapackage.json"


def edited(change):
    """The bundled descriptor with `change` applied to its parsed JSON, as bytes."""
    desc = json.loads(release_files()["datapackage.json"])
    change(desc)
    return json.dumps(desc).encode()


def first(key, value):
    def change(desc):
        desc["resources"][0][key] = value

    return change


def drop(key):
    def change(desc):
        del desc["resources"][0][key]

    return change


def second_path(path):
    def change(desc):
        desc["resources"][1]["path"] = path

    return change


DEFECTS = {
    "md5 hash": (first("hash", "md5:" + "0" * 32), "only sha256:<64 hex digits> is accepted"),
    "bare md5": (first("hash", "0" * 32), "only sha256:<64 hex digits> is accepted"),
    "short sha256": (first("hash", "sha256:abc"), "only sha256:<64 hex digits> is accepted"),
    "hash not text": (first("hash", 12), "only sha256:<64 hex digits> is accepted"),
    "no hash": (drop("hash"), "no 'hash'"),
    "empty path": (first("path", ""), "'path' must be a non-empty string"),
    "no path": (drop("path"), "'path' must be a non-empty string"),
    "path list": (first("path", ["data/a.csv"]), "'path' must be a non-empty string"),
    "absolute path": (first("path", "/etc/passwd"), "points outside the release"),
    "parent path": (first("path", "../../outside.csv"), "points outside the release"),
    "url path": (first("path", "http://evil.example/x.csv"), "points outside the release"),
    "backslash path": (first("path", "data\\x.csv"), "points outside the release"),
    "dot part": (first("path", "data/./x.csv"), "not a plain relative file name"),
    "hidden file": (first("path", "data/.x.csv"), "not a plain relative file name"),
    "folder path": (first("path", "data/"), "not a plain relative file name"),
    "query in path": (first("path", "data/x.csv?y=1"), "not a plain relative file name"),
    "windows device": (first("path", "data/CON.csv"), "cannot be written on Windows"),
    "windows device folder": (first("path", "nul/rounds.csv"), "cannot be written on Windows"),
    "trailing dot": (first("path", "data/rounds."), "cannot be written on Windows"),
    "descriptor path": (first("path", "datapackage.json"), "would overwrite the descriptor"),
    "duplicate path": (second_path("data/companies.csv"), "listed twice or is also a folder"),
    "case twin": (second_path("data/Companies.csv"), "listed twice or is also a folder"),
    "file and folder": (second_path("data"), "listed twice or is also a folder"),
    "no bytes": (drop("bytes"), "'bytes' must be a whole number"),
    "bytes as text": (first("bytes", "9875"), "'bytes' must be a whole number"),
    "bytes fraction": (first("bytes", 9875.5), "'bytes' must be a whole number"),
    "bytes float": (first("bytes", 9875.0), "'bytes' must be a whole number"),
    "bytes bool": (first("bytes", True), "'bytes' must be a whole number"),
    "bytes negative": (first("bytes", -1), "'bytes' must be a whole number"),
    "no resources": (lambda d: d.pop("resources"), "'resources' must be a non-empty list"),
    "resources object": (lambda d: d.update(resources={}), "'resources' must be a non-empty list"),
    "resources empty": (lambda d: d.update(resources=[]), "'resources' must be a non-empty list"),
    "resource text": (
        lambda d: d["resources"].append("data/x.csv"),
        "'resources' must be a non-empty list of objects",
    ),
}

RAW_DEFECTS = {
    "bad json": (b'{"resources": [', "not valid JSON"),
    "not utf-8": (b'{"resources": "\xff"}', "not valid JSON"),
    "empty": (b"", "not valid JSON"),
    "too deep": (b"[" * 100_000, "not valid JSON"),
    "number too long": (b'{"x": 1' + b"0" * 5000 + b"}", "not valid JSON"),
    "array": (b"[]", "a descriptor is a JSON object, not list"),
    "string": (b'"datapackage"', "a descriptor is a JSON object, not str"),
    "null": (b"null", "a descriptor is a JSON object, not NoneType"),
}

CASES = {name: (edited(change), text) for name, (change, text) in DEFECTS.items()}
CASES.update(RAW_DEFECTS)


@pytest.mark.parametrize("name", list(CASES))
def test_a_defective_pinned_descriptor_is_refused_and_changes_nothing(site, cache, capsys, name):
    raw, text = CASES[name]
    fetch(KNOWN, base_url=site.base)  # a cache with something in it to keep
    before = snapshot(cache)
    pin = site.publish_descriptor(NEWER, raw)
    url = f"{site.base}/{NEWER}/datapackage.json"
    with pytest.raises(ReleaseError) as e:
        fetch(NEWER, base_url=site.base, descriptor_sha256=pin)
    assert str(e.value).startswith(f"{url}: ") and text in str(e.value)
    assert "\n" not in str(e.value)
    argv = ["fetch", "--version", NEWER, "--base-url", site.base, "--descriptor-sha256", pin]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err == f"fetch failed: {e.value}\n"
    assert [r for r in site.requests if r.startswith(f"/{NEWER}/")] == [
        f"/{NEWER}/datapackage.json"
    ] * 2
    assert snapshot(cache) == before


def test_a_bad_cached_descriptor_with_the_pinned_hash_is_still_checked(site, cache):
    # The bytes are the ones pinned, so they come from the cache; they are checked all the same.
    raw, text = CASES["md5 hash"]
    folder = cache / NEWER
    folder.mkdir()
    (folder / "datapackage.json").write_bytes(raw)
    before = snapshot(cache)
    with pytest.raises(ReleaseError, match=re.escape(text)):
        fetch(NEWER, base_url=site.base, descriptor_sha256=sha256(raw))
    assert snapshot(cache) == before and site.requests == []


# --- property tests ---------------------------------------------------------------------------

PATHS = st.one_of(
    st.sampled_from(
        ["data/a.csv", "data/A.csv", "data", "a.txt", "data/sub/b.parquet", "datapackage.json"]
        + ["../a", "/a", "a\\b", "data//a.csv", "./a", "a/", ".a", "-a", "http://x/a", "a?b"]
    ),
    st.text(max_size=12),
    st.integers(),
    st.none(),
)
HASHES = st.one_of(
    st.builds(lambda b: f"sha256:{hashlib.sha256(b).hexdigest()}", st.binary(max_size=8)),
    st.builds(lambda b: f"sha256:{hashlib.sha256(b).hexdigest().upper()}", st.binary(max_size=8)),
    st.builds(lambda b: f"md5:{hashlib.md5(b).hexdigest()}", st.binary(max_size=8)),
    st.text(max_size=70),
    st.integers(),
    st.none(),
)
SIZES = st.one_of(st.integers(-3, 10**6), st.floats(), st.text(max_size=5), st.booleans())
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
RESOURCE = st.one_of(
    st.fixed_dictionaries({}, optional={"path": PATHS, "hash": HASHES, "bytes": SIZES}),
    JSON,
)
DESCRIPTORS = st.one_of(
    st.fixed_dictionaries({"resources": st.lists(RESOURCE, max_size=4)}, optional={"x": JSON}),
    JSON,
)


def outcome(raw):
    """check_descriptor's answer, checked: None for a clean refusal, else the valid files."""
    try:
        resources = check_descriptor(raw, WHERE)
    except ReleaseError as e:
        assert str(e).startswith(f"{WHERE}: ") and "\n" not in str(e)
        return None
    assert resources and all(type(r) is Resource for r in resources)
    for r in resources:
        assert isinstance(r.path, str) and not leaves_package(r.path)
        assert re.fullmatch(r"[0-9a-f]{64}", r.sha256)
        assert type(r.bytes) is int and r.bytes >= 0
    folded = [r.path.casefold() for r in resources]
    assert len(set(folded)) == len(folded) and "datapackage.json" not in folded
    return resources


@settings(max_examples=300, deadline=1000)
@given(st.binary(max_size=300))
def test_any_bytes_are_a_clean_refusal_or_a_valid_descriptor(raw):
    outcome(raw)


@settings(max_examples=300, deadline=1000)
@given(DESCRIPTORS)
def test_any_json_is_a_clean_refusal_or_a_valid_descriptor(desc):
    outcome(json.dumps(desc).encode())


# A fetch of any pinned descriptor over a small set of served files: it succeeds exactly when
# every listed file exists with the declared size and sha256, and otherwise leaves the folder
# and its neighbours as they were. One server and one folder serve all examples, so each
# example starts from whatever the cache holds after the ones before.

SERVED = {"data/a.csv": b"a,b\n1,2\n", "data/b.parquet": b"PAR1" + bytes(40), "c.txt": b""}


@st.composite
def served_descriptors(draw):
    entries = []
    for path in draw(st.lists(st.sampled_from([*SERVED, "data/missing.csv"]), max_size=3)):
        data = SERVED.get(path, b"")
        entries.append(
            {
                "path": path,
                "bytes": draw(st.sampled_from([len(data), len(data) + 1, max(len(data) - 1, 0)])),
                "hash": draw(
                    st.sampled_from(
                        [f"sha256:{sha256(data)}", f"sha256:{sha256(data + b'x')}", "md5:0"]
                    )
                ),
            }
        )
    return draw(st.one_of(st.just({"resources": entries}), DESCRIPTORS))


def verifies(desc):
    """The model: does every entry name a served file with its true size and sha256?"""
    try:
        resources = check_descriptor(json.dumps(desc).encode(), WHERE)
    except ReleaseError:
        return False
    return all(
        r.path in SERVED and r.bytes == len(SERVED[r.path]) and r.sha256 == sha256(SERVED[r.path])
        for r in resources
    )


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    s = Site()
    with running(s):
        yield s, tmp_path_factory.mktemp("property")


@settings(max_examples=60, deadline=3000, suppress_health_check=[HealthCheck.too_slow])
@given(desc=served_descriptors())
def test_a_fetch_of_any_pinned_descriptor_verifies_every_file_or_changes_nothing(served, desc):
    site, root = served
    if isinstance(desc, dict):
        desc = {**desc, "version": NEWER}  # a descriptor names its own release
    raw = json.dumps(desc).encode()
    pin = site.publish(NEWER, {**SERVED, "datapackage.json": raw})
    dest = root / "release"
    before = snapshot(root)
    try:
        folder = fetch(NEWER, base_url=site.base, dest=dest, descriptor_sha256=pin)
    except ReleaseError as e:
        assert not verifies(desc), f"refused a good descriptor: {e}"
        assert snapshot(root) == before
        return
    assert verifies(desc) and folder == dest
    assert (folder / "datapackage.json").read_bytes() == raw
    for r in check_descriptor(raw, WHERE):
        assert (folder / r.path).read_bytes() == SERVED[r.path]
    assert [p.name for p in root.iterdir()] == ["release"], "a staging folder was left behind"
    assert all(not Path(p).name.startswith("tmp") for p in snapshot(root))
