"""The wheel works on its own.

Installed outside the repo, it loads every table offline with every engine.
"""

import functools
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

from ai_lab_funding._version import __version__

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
import json, ai_lab_funding as alf, pandas as pd
out = {"file": alf.__file__, "tables": {}}
for t in alf.tables():
    df = alf.load(t)
    pl = alf.load(t, engine="polars")
    pa = alf.load(t, engine="pyarrow")
    db = alf.load(t, engine="duckdb").aggregate("count(*)").fetchall()[0][0]
    assert len(df) == len(pl) == pa.num_rows == db, t
    out["tables"][t] = {c: str(df[c].dtype) for c in df.columns}
print(json.dumps(out))
"""


def test_wheel_installs_and_loads_outside_the_repo(tmp_path):
    dist, target, elsewhere = tmp_path / "dist", tmp_path / "site", tmp_path / "elsewhere"
    elsewhere.mkdir()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(dist),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    wheel = next(dist.glob("ai_lab_funding-*.whl"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    res = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=elsewhere, env=env, capture_output=True, text=True
    )
    assert res.returncode == 0, res.stderr[-3000:]
    out = json.loads(res.stdout)
    assert out["file"].startswith(str(target)), "the wheel, not the checkout, must be imported"
    rounds = out["tables"]["rounds"]
    assert (
        rounds["announced_on"] == "datetime64[s]"
        and rounds["status"] == "category"
        and rounds["amount"] == "float64"
    )
    assert out["tables"]["cumulative_claims"]["rounds_counted"] == "Int64"
    assert out["tables"]["facts"]["accepted_report_count"] == "Int64"
    assert out["tables"]["reports"]["value_usd"] == "float64"
    assert out["tables"]["valuations"]["valued_on"] == "datetime64[s]"
    assert set(out["tables"]) == {
        "companies",
        "investors",
        "rounds",
        "round_investors",
        "metrics",
        "sources",
        "cumulative_claims",
        "facts",
        "reports",
        "reported_investors",
        "fx_rates",
        "unit_flags",
        "valuations",
        "funding_totals",
    }


LIGHT = """
import json, subprocess, sys
from importlib.util import find_spec
import ai_lab_funding as alf
sizes = {t: len(alf.load(t)) for t in alf.tables()}
assert all(alf.load(t, engine="pyarrow").num_rows == n for t, n in sizes.items())
absent = [m for m in ("polars", "pandera", "frictionless", "duckdb", "pyspark", "matplotlib")
          if find_spec(m) is None]
try:
    alf.load("rounds", engine="polars")
    engine_error = ""
except ImportError as e:
    engine_error = str(e)
try:
    alf.validate(alf.load("rounds"), "rounds")
    validate_error = ""
except ImportError as e:
    validate_error = str(e)
fetched = {v: json.loads((alf.fetch(v, base_url=sys.argv[1]) / "datapackage.json").read_text())
           for v in (alf.__version__, "0.1.0")}  # the current and an earlier release, verified
print(json.dumps({"sizes": sizes, "absent": absent, "engine_error": engine_error,
                  "validate_error": validate_error,
                  "fetched": {v: d["version"] for v, d in fetched.items()}}))
"""


def test_the_default_install_loads_every_table_with_nothing_of_the_build(tmp_path):
    """`pip install ai-lab-funding`, no extras, in a fresh venv: load works, build says why not."""
    dist, venv, elsewhere = tmp_path / "dist", tmp_path / "venv", tmp_path / "elsewhere"
    elsewhere.mkdir()
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation"]
        + ["-w", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
    )
    wheel = next(dist.glob("ai_lab_funding-*.whl"))
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
    python, cli = venv / "bin" / "python", venv / "bin" / "ai-lab-funding"
    res = subprocess.run(  # the pins of requirements.lock, so pip's cache answers offline
        [str(python), "-m", "pip", "install", "-q", "-c", str(ROOT / "requirements.lock")]
        + [str(wheel)],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    site = tmp_path / "site"  # both releases, a folder per version, on a local server
    shutil.copytree(ROOT / "tests" / "fixtures" / "releases" / "0.1.0", site / "0.1.0")
    (site / __version__ / "data").mkdir(parents=True)
    shutil.copy(ROOT / "datapackage.json", site / __version__)
    for f in (ROOT / "data").iterdir():
        shutil.copy(f, site / __version__ / "data")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *a, **k: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    env = {**os.environ, "AI_LAB_FUNDING_CACHE": str(tmp_path / "cache")}
    try:
        res = subprocess.run(
            [str(python), "-c", LIGHT, base], cwd=elsewhere, env=env, capture_output=True, text=True
        )
    finally:
        httpd.shutdown()
    assert res.returncode == 0, res.stderr[-3000:]
    out = json.loads(res.stdout)
    assert out["fetched"] == {__version__: __version__, "0.1.0": "0.1.0"}
    assert out["sizes"]["rounds"] > 0 and len(out["sizes"]) == 14
    assert set(out["absent"]) == {"polars", "pandera", "frictionless", "duckdb", "pyspark"}.union(
        {"matplotlib"}
    )
    assert "pip install 'ai-lab-funding[polars]'" in out["engine_error"]
    assert "pip install 'ai-lab-funding[build]'" in out["validate_error"]
    res = subprocess.run(
        [str(cli), "validate", str(ROOT / "curated")], cwd=elsewhere, capture_output=True, text=True
    )
    assert res.returncode == 2 and "pip install 'ai-lab-funding[build]'" in res.stderr
    assert "Traceback" not in res.stderr
    res = subprocess.run([str(cli), "info"], cwd=elsewhere, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-2000:]
