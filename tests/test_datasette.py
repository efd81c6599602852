"""The keyed SQLite release in Datasette: keys enforced, rows by key, labels, queries, search.

Datasette's own test client drives the app in-process (no port, no browser): every page a
journalist would open is asked for, and its content checked against the release.
"""

import asyncio
import json
import sqlite3

import pytest

from ai_lab_funding import loader, paths
from ai_lab_funding.cli.data import site_files

datasette = pytest.importorskip("datasette.app")
DB = "ai-lab-funding"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    db, meta = site_files(paths.release_dir(), tmp_path_factory.mktemp("site"))
    app = datasette.Datasette([str(db)], metadata=json.loads(meta.read_text()))
    return db, app


def get(app, path):
    return asyncio.run(app.client.get(path))


def test_every_foreign_key_is_declared_and_holds(site):
    db, _ = site
    con = sqlite3.connect(db)
    con.execute("PRAGMA foreign_keys = ON")
    assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    to_facts = [r for r in con.execute("PRAGMA foreign_key_list(reports)") if r[2] == "facts"]
    assert [r[3] for r in to_facts] == ["fact_table", "fact_id"]  # the two-column key
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        con.execute(
            "INSERT INTO round_investors (round_id, investor_id, role) "
            "VALUES ('no-such-round', 'alibaba', 'lead')"
        )
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE|PRIMARY"):
        con.execute(
            "INSERT INTO companies (company_id, name, country, status) "
            "VALUES ('moonshot-ai', 'x', 'CN', 'private')"
        )


def test_a_round_is_addressed_by_its_key_and_shows_names(site):
    _, app = site
    assert get(app, f"/{DB}/rounds/moonshot-ai-2023-06-angel").status_code == 200
    listing = get(app, f"/{DB}/rounds?company_id=moonshot-ai")
    assert "Moonshot AI" in listing.text  # the company's label beside its id
    rows = get(app, f"/{DB}/rounds/moonshot-ai-2023-06-angel.json?_shape=array").json()
    assert rows[0]["round_id"] == "moonshot-ai-2023-06-angel"


def test_lists_are_json_arrays_datasette_can_facet(site):
    _, app = site
    query = "_facet_array=lead_investor_ids&_facet_size=max&_size=1"
    data = get(app, f"/{DB}/rounds.json?{query}").json()
    values = {f["value"] for f in data["facet_results"]["lead_investor_ids"]["results"]}
    assert "idg-capital" in values


def test_the_canned_queries_answer(site):
    _, app = site
    rows = get(
        app,
        f"/{DB}/reports_behind_a_figure.json?_shape=array&fact_table=rounds"
        "&fact_id=moonshot-ai-2025-12-series-c",
    ).json()
    assert (
        rows and {r["verdict"] for r in rows} >= {"accepted"} and all(r["publisher"] for r in rows)
    )
    contested = get(app, f"/{DB}/most_contested_figures.json?_shape=array").json()
    assert contested[0]["spread_usd"] >= contested[-1]["spread_usd"] > 0
    errors = get(app, f"/{DB}/unit_errors_caught.json?_shape=array").json()
    assert errors and all(r["reason"].startswith("unit_error") for r in errors)
    history = get(
        app, f"/{DB}/company_funding_and_valuations.json?_shape=array&company_id=moonshot-ai"
    ).json()
    assert {r["what"] for r in history} == {"funding", "valuation"}
    meituan = get(app, f"/{DB}/investor_rounds.json?_shape=array&investor_id=meituan").json()
    assert any(r["through"] != "meituan" for r in meituan)  # found through its funds


def test_names_and_notes_are_searchable(site):
    _, app = site
    rows = get(app, f"/{DB}/companies.json?_search=Kimi&_shape=array").json()
    assert "moonshot-ai" in {r["company_id"] for r in rows}


def test_tables_and_columns_carry_their_descriptions(site):
    _, app = site
    page = get(app, f"/{DB}/rounds")
    assert page.status_code == 200
    assert loader.schema("rounds")["description"].split(".")[0] in page.text
