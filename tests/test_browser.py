"""The release in Datasette, used in a real browser the way a journalist would.

Datasette runs on 127.0.0.1; headless Chromium (Debian's, driven by Playwright) opens a
company, follows the link to its rounds and to one round, filters the reports table to the
reports behind that round (Datasette links only single-column keys) and follows one on to its
source, runs two canned queries, and saves a screenshot of each
page, which must not be blank. The screenshots are kept in the test's temporary folder and
their paths printed (pytest -s shows them).
"""

import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from ai_lab_funding import paths
from ai_lab_funding.cli.data import site_files

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ROUND = "moonshot-ai-2025-12-series-c"
# Flags for a machine with no screen, no GPU and no outside network (see the machine notes).
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db, meta = site_files(paths.release_dir(), tmp_path_factory.mktemp("site"))
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "datasette", "serve", str(db), "--metadata", str(meta)]
        + ["-h", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/-/versions.json", timeout=1).read()
            break
        except OSError:
            time.sleep(0.1)
    yield base
    proc.terminate()
    proc.wait(10)


def _not_blank(png: bytes) -> bool:
    """A screenshot with text on it: many distinct colours, not one flat fill."""
    from io import BytesIO

    from PIL import Image

    image = Image.open(BytesIO(png)).convert("L")
    return len(image.getcolors(maxcolors=1 << 16) or []) > 8


def test_a_journalist_checks_a_figure_in_the_browser(server, tmp_path):
    from playwright.sync_api import sync_playwright

    shots = tmp_path / "screenshots"
    shots.mkdir()

    def shot(page, name):
        path = shots / f"{name}.png"
        png = page.screenshot(path=str(path), full_page=False)
        assert _not_blank(png), f"{name}: blank page"
        print(f"screenshot: {path}")

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{server}/ai-lab-funding/companies/moonshot-ai")
        assert "Moonshot AI" in page.content()
        shot(page, "1-company")
        page.click("a[href*='/rounds?company_id=moonshot-ai']")  # "Links from other tables"
        page.wait_for_load_state()
        shot(page, "2-its-rounds")
        page.click(f"a[href$='/rounds/{ROUND}']")
        page.wait_for_load_state()
        assert ROUND in page.url and "500000000" in page.content().replace(",", "")
        shot(page, "3-a-round")
        # Datasette links only single-column keys, and reports point at facts by two columns,
        # so the reports behind the round are reached by filtering the reports table.
        page.goto(f"{server}/ai-lab-funding/reports?fact_table=rounds&fact_id={ROUND}")
        assert "accepted" in page.content()
        shot(page, "4-reports-behind-it")
        page.click("td.col-source_id a")  # a report's source, shown by its title
        page.wait_for_load_state()
        assert "/sources/" in page.url and "address" in page.content()
        shot(page, "5-a-source")
        page.goto(f"{server}/ai-lab-funding/unit_errors_caught")
        assert "unit_error_x10" in page.content()
        shot(page, "6-unit-errors")
        page.goto(
            f"{server}/ai-lab-funding/reports_behind_a_figure?fact_table=rounds&fact_id={ROUND}"
        )
        assert "accepted" in page.content()
        shot(page, "7-reports-query")
        browser.close()
    assert len(list(shots.glob("*.png"))) == 7
