"""The bundled release is checked against the bundled descriptor before a table is read.

Each test works on a copy of the bundled release (paths.release_dir points at it), damages
one thing, and checks the error names the file and says how to get a whole release back.
"""

import hashlib
import json
import shutil

import pytest

import ai_lab_funding as alf
from ai_lab_funding import loader, paths
from ai_lab_funding.cli import main
from ai_lab_funding.remote import ReleaseError


@pytest.fixture
def bundle(tmp_path, monkeypatch):
    """A copy of the bundled release standing in for it, with a fresh per-process verdict."""
    root = tmp_path / "bundle"
    (root / "data").mkdir(parents=True)
    shutil.copy(paths.release_dir() / "datapackage.json", root)
    for f in (paths.release_dir() / "data").glob("*.parquet"):
        shutil.copy(f, root / "data")
    monkeypatch.setattr(paths, "release_dir", lambda: root)
    monkeypatch.setattr(loader, "_VERIFIED", set())
    return root


def flip(path, at=100):
    data = bytearray(path.read_bytes())
    data[at] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("engine", ["pandas", "pyarrow", "polars", "duckdb"])
def test_a_damaged_bundled_table_is_refused_by_every_engine(bundle, engine):
    damaged = bundle / "data" / "rounds.parquet"
    flip(damaged)
    with pytest.raises(ReleaseError) as e:
        alf.load("rounds", engine=engine)
    message = str(e.value)
    assert str(damaged) in message and "is damaged" in message
    assert "ai-lab-funding build" in message  # this is a checkout
    assert len(alf.load("companies", engine=engine)) > 0  # the other tables still load


def test_an_installed_package_says_how_to_reinstall(bundle, monkeypatch):
    monkeypatch.setattr(paths, "checkout_root", lambda: None)
    flip(bundle / "data" / "rounds.parquet")
    with pytest.raises(ReleaseError, match=r"pip install --force-reinstall ai-lab-funding"):
        alf.load("rounds")


def test_a_missing_bundled_table_is_named(bundle):
    (bundle / "data" / "rounds.parquet").unlink()
    with pytest.raises(ReleaseError, match=r"rounds\.parquet: missing or unreadable"):
        alf.load("rounds")


@pytest.mark.parametrize("damage", ["not json", "no entry", "md5 entry"])
def test_a_damaged_bundled_descriptor_is_refused(bundle, damage):
    desc_path = bundle / "datapackage.json"
    if damage == "not json":
        desc_path.write_text("{", encoding="utf-8")
    else:
        desc = json.loads(desc_path.read_text(encoding="utf-8"))
        for r in desc["resources"]:
            if r["path"] == "data/rounds.parquet":
                r["hash"] = "md5:" + "0" * 32
        if damage == "no entry":
            desc["resources"] = [r for r in desc["resources"] if r["path"] != "data/rounds.parquet"]
        desc_path.write_text(json.dumps(desc), encoding="utf-8")
    with pytest.raises(ReleaseError, match="datapackage.json") as e:
        alf.load("rounds")
    assert "ai-lab-funding build" in str(e.value)


def test_the_verdict_is_remembered_for_the_process(bundle, monkeypatch):
    hashed = []
    real = hashlib.file_digest

    def counting(fh, digest):
        hashed.append(fh.name)
        return real(fh, digest)

    monkeypatch.setattr(hashlib, "file_digest", counting)
    alf.load("rounds")
    alf.load("rounds")
    alf.load("rounds", engine="pyarrow")
    assert hashed == [str(bundle / "data" / "rounds.parquet")]
    flip(bundle / "data" / "rounds.parquet")  # a rebuild or damage changes size or mtime
    with pytest.raises(ReleaseError, match="is damaged"):
        alf.load("rounds")


def test_export_of_a_damaged_bundle_fails_in_one_line(bundle, tmp_path, capsys):
    flip(bundle / "data" / "fx_rates.parquet")
    assert main(["export", "--format", "csv", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("export failed: ") and "fx_rates.parquet is damaged" in err
    assert err.count("\n") == 1 and not (tmp_path / "out").exists()


def test_the_real_bundled_release_verifies():
    for table in alf.tables():
        assert loader.verified_parquet(table, paths.release_dir()).is_file()


def test_a_load_during_a_build_waits_for_it_instead_of_calling_the_release_damaged(bundle):
    import threading
    import time

    from ai_lab_funding.release.swap import release_lock

    rounds = bundle / "data" / "rounds.parquet"
    whole = rounds.read_bytes()
    holding = threading.Event()

    def build() -> None:  # a build midway through replacing the release
        with release_lock(bundle):
            rounds.unlink()
            holding.set()
            time.sleep(0.5)
            rounds.write_bytes(whole)

    worker = threading.Thread(target=build)
    worker.start()
    assert holding.wait(10)
    assert len(alf.load("rounds")) > 0  # waited for the lock, then found the file whole
    worker.join()


def test_a_damage_that_outlives_the_build_is_still_refused(bundle):
    from ai_lab_funding.release.swap import release_lock

    with release_lock(bundle):  # a build ran here: the lock file exists, and is free now
        pass
    flip(bundle / "data" / "rounds.parquet")
    with pytest.raises(ReleaseError, match="is damaged"):
        alf.load("rounds")
