"""The release page's files: byte-stable, checksummed, citable, readable as Croissant, fetchable.

`ai-lab-funding release` is run on the checkout's built release; a local HTTP server then
serves its folder exactly as a GitHub release page serves assets (files side by side under
`/v<version>/`), and `fetch` downloads the current release and the earlier 0.1.0 from it.
"""

import functools
import hashlib
import http.server
import json
import shutil
import tarfile
import threading
from pathlib import Path

import pytest

from ai_lab_funding._version import __version__
from ai_lab_funding.cli import main
from ai_lab_funding.release.assets import ReleaseStepError, check_version
from ai_lab_funding.remote import fetch

ROOT = Path(__file__).resolve().parent.parent
EARLIER = ROOT / "tests" / "fixtures" / "releases" / "0.1.0"  # the 0.1.0 release, as built then


@pytest.fixture(scope="module")
def assets(tmp_path_factory):
    out = tmp_path_factory.mktemp("assets")
    assert main(["release", "--out", str(out), "--previous", str(EARLIER)]) == 0
    return out / __version__


def test_the_assets_are_byte_stable_and_checksummed(assets, tmp_path):
    assert main(["release", "--out", str(tmp_path), "--previous", str(EARLIER)]) == 0
    again = tmp_path / __version__
    names = sorted(p.name for p in assets.iterdir())
    assert names == sorted(p.name for p in again.iterdir())
    assert all((assets / n).read_bytes() == (again / n).read_bytes() for n in names)
    sums = dict(
        reversed(line.split("  ")) for line in (assets / "SHA256SUMS").read_text().splitlines()
    )
    assert set(sums) == set(names) - {"SHA256SUMS"}
    assert all(hashlib.sha256((assets / n).read_bytes()).hexdigest() == h for n, h in sums.items())
    expected = {"croissant.json", "CITATION.cff", "DATACARD.md", "CHANGES.md", "rounds.parquet"}
    assert expected | {"ai-lab-funding.db", "datasette-metadata.json"} <= set(names)


def test_the_archive_is_the_data_package_as_a_folder(assets):
    archive = assets / f"ai-lab-funding-{__version__}.tar.gz"
    with tarfile.open(archive) as tar:
        members = {m.name: m for m in tar.getmembers()}
        prefix = f"ai-lab-funding-{__version__}/"
        descriptor = json.loads(tar.extractfile(prefix + "datapackage.json").read())
        for res in descriptor["resources"]:
            data = tar.extractfile(prefix + res["path"]).read()
            assert hashlib.sha256(data).hexdigest() == res["hash"].removeprefix("sha256:")
    assert all(m.mtime == members[prefix + "datapackage.json"].mtime for m in members.values())


def test_the_changelog_entry_comes_from_the_previous_release(assets):
    text = (assets / "CHANGES.md").read_text()
    assert text.startswith(f"## {__version__} — ")
    assert "| rounds |" in text and "column added `money_kind`" in text


def test_the_croissant_file_validates_and_reads_every_table(assets, tmp_path):
    mlc = pytest.importorskip("mlcroissant")
    folder = tmp_path / "package"
    with tarfile.open(assets / f"ai-lab-funding-{__version__}.tar.gz") as tar:
        tar.extractall(tmp_path, filter="data")
    (tmp_path / f"ai-lab-funding-{__version__}").rename(folder)
    dataset = mlc.Dataset(jsonld=str(folder / "croissant.json"))
    assert dataset.metadata.issues.errors == set()
    descriptor = json.loads((folder / "datapackage.json").read_text())
    rows = {r["name"]: r["rows"] for r in descriptor["resources"] if r["format"] == "csv"}
    keys = {"companies": "company_id", "rounds": "round_id", "round_investors": "ticket_id"}
    for table, key in keys.items():
        records = list(dataset.records(record_set=table))
        assert len(records) == rows[table]
        assert records[0][f"{table}/{key}"]


@pytest.mark.parametrize(
    "version,previous,needed,error",
    [
        ("0.2.0", "0.1.0", "minor", None),
        ("0.1.1", "0.1.0", "minor", "is a patch step from 0.1.0, but the change needs a minor"),
        ("0.1.0", "0.1.0", None, "is not above the previous release"),
        ("0.2.0", "0.1.0", "major", None),  # before 1.0 a breaking change takes a minor step
        ("1.0.1", "1.0.0", "major", "needs a major release"),
        ("1.0.1", "1.0.0", "patch", None),
    ],
)
def test_the_version_policy(version, previous, needed, error):
    if error is None:
        check_version(version, previous, needed)
    else:
        with pytest.raises(ReleaseStepError, match=error):
            check_version(version, previous, needed)


def test_a_version_smaller_than_the_change_is_refused(tmp_path, monkeypatch, capsys):
    import ai_lab_funding._version as v

    monkeypatch.setattr(v, "__version__", "0.1.1")
    assert main(["release", "--out", str(tmp_path), "--previous", str(EARLIER)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("release: ") and "needs a minor release" in err
    assert list(tmp_path.iterdir()) == []


def _flat(folder: Path, into: Path) -> None:
    """A release folder's files side by side, as a release page serves them."""
    into.mkdir(parents=True)
    for path in [folder / "datapackage.json", *(folder / "data").iterdir()]:
        shutil.copy(path, into / path.name)


@pytest.fixture
def release_page(assets, tmp_path, monkeypatch):
    """Both releases served like github.com/<owner>/<repo>/releases/download/v<version>/<file>."""
    site = tmp_path / "download"
    shutil.copytree(assets, site / f"v{__version__}")
    _flat(EARLIER, site / "v0.1.0")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *a, **k: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    monkeypatch.setenv("AI_LAB_FUNDING_CACHE", str(tmp_path / "cache"))
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v{{version}}/{{file}}"
    httpd.shutdown()


def test_fetch_reads_the_current_and_an_earlier_release_from_a_release_page(release_page):
    current = fetch(__version__, base_url=release_page)
    earlier = fetch("0.1.0", base_url=release_page)  # known by release_hashes.json
    for folder in (current, earlier):
        descriptor = json.loads((folder / "datapackage.json").read_text())
        for res in descriptor["resources"]:
            data = (folder / res["path"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == res["hash"].removeprefix("sha256:")
    assert json.loads((earlier / "datapackage.json").read_text())["version"] == "0.1.0"
    rows = {
        r["name"]: r.get("rows")
        for r in json.loads((earlier / "datapackage.json").read_text())["resources"]
        if r["format"] == "csv"
    }
    assert rows["rounds"] == 85  # what 0.1.0 said, whatever the bundled release says now


def test_a_release_address_template_must_name_the_version_and_the_file(release_page):
    from ai_lab_funding.remote import ReleaseError

    with pytest.raises(ReleaseError, match="must name"):
        fetch(__version__, base_url=release_page.replace("{version}", __version__))
    with pytest.raises(ReleaseError, match="may name only"):
        fetch(__version__, base_url=release_page + "{owner}")


STAMPED = """
import json, sys
import ai_lab_funding as alf
from ai_lab_funding.remote.settings import DEFAULT_BASE_URL
folder = alf.fetch(sys.argv[1])  # no base_url, no AI_LAB_FUNDING_BASE_URL: the stamped address
print(json.dumps({"address": DEFAULT_BASE_URL, "file": alf.__file__, "folder": str(folder)}))
"""


def test_a_wheel_built_with_a_stamped_address_fetches_from_it(release_page, tmp_path):
    """What the release workflow does: write the address, build the wheel, fetch with no setting."""
    import os
    import subprocess
    import sys

    project = tmp_path / "project"
    shutil.copytree(
        ROOT,
        project,
        ignore=shutil.ignore_patterns(".venv", ".git", "tests", "bench", "__pycache__", ".*cache"),
    )
    (project / "src" / "ai_lab_funding" / "release_address.txt").write_text(release_page + "\n")
    dist, target = tmp_path / "dist", tmp_path / "site"
    for command in (
        ["wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(dist), str(project)],
        ["install", "-q", "--no-deps", "--target", str(target)],
    ):
        if command[0] == "install":
            command.append(str(next(dist.glob("ai_lab_funding-*.whl"))))
        subprocess.run([sys.executable, "-m", "pip", *command], check=True, capture_output=True)
    env = {k: v for k, v in os.environ.items() if k != "AI_LAB_FUNDING_BASE_URL"}
    env["PYTHONPATH"] = str(target)
    res = subprocess.run(
        [sys.executable, "-c", STAMPED, __version__],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    out = json.loads(res.stdout)
    assert out["address"] == release_page and out["file"].startswith(str(target))
    assert (Path(out["folder"]) / "data" / "rounds.parquet").is_file()


@pytest.mark.parametrize("engine", ["pandas", "polars", "pyarrow", "duckdb"])
def test_an_earlier_release_loads_with_its_own_columns(release_page, engine):
    import ai_lab_funding as alf
    from ai_lab_funding.remote import ReleaseError

    rounds = alf.load("rounds", engine=engine, version="0.1.0", base_url=release_page)
    n = rounds.aggregate("count(*)").fetchall()[0][0] if engine == "duckdb" else len(rounds)
    assert n == 85
    columns = rounds.columns if engine != "pyarrow" else rounds.schema.names
    assert "money_kind" not in columns and "lead_investor_ids" in columns  # as 0.1.0 had them
    if engine == "pandas":
        assert str(rounds["status"].dtype) == "category"
        assert str(rounds["announced_on"].dtype) == "datetime64[s]"
    with pytest.raises(ReleaseError, match="lists no data/facts.parquet"):
        alf.load("facts", engine=engine, version="0.1.0", base_url=release_page)


def test_release_with_a_previous_folder_that_is_not_a_release_fails_in_one_line(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    out = tmp_path / "out"
    assert main(["release", "--out", str(out), "--previous", str(tmp_path / "empty")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("release: not a release folder") and err.count("\n") == 1
    assert not out.exists()


def test_serve_of_an_unknown_release_fails_in_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("AI_LAB_FUNDING_CACHE", str(tmp_path / "cache"))
    argv = ["serve", "--version", "98.0.0", "--base-url", "http://127.0.0.1:9", "--folder"]
    assert main([*argv, str(tmp_path / "site")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("serve failed: ") and "Traceback" not in err
    assert not (tmp_path / "site").exists()
