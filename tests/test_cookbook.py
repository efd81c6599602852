"""Every snippet in docs/cookbook.md runs and gives the answer computed here independently.

The cookbook's conventions (stated in its intro): each question is a `## N.` section with
three fenced blocks, pandas (```python), polars (```python, engine="polars") and DuckDB
(```sql); a Python block leaves its answer in `result`, a SQL block is one query run as
`con.sql(query).df()` on the `con` the intro's one Python block sets up. The expected answers
are computed from the Parquet files with pyarrow and plain Python, so a snippet that is
removed, broken or changed to give another answer fails here.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
import re
from collections import defaultdict
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pyarrow.parquet as pq
import pytest

ROOT = Path(__file__).resolve().parent.parent
COOKBOOK = ROOT / "docs" / "cookbook.md"
QUESTIONS = 6
ENGINES = ("pandas", "polars", "sql")
FENCE = re.compile(r"^```([A-Za-z]*)\n(.*?)^```[ \t]*$", re.M | re.S)
QUESTION = re.compile(r"^## (\d+)\. ", re.M)


# --- the cookbook, parsed -------------------------------------------------------------------


class Block:
    def __init__(self, lang: str, code: str, line: int) -> None:
        self.lang, self.code, self.line = lang, code, line

    def compiled(self) -> Any:
        # Padded so a traceback names the line of docs/cookbook.md the error is on.
        return compile("\n" * self.line + self.code, str(COOKBOOK), "exec")


@cache
def cookbook() -> tuple[list[Block], dict[int, list[Block]]]:
    """The intro's blocks, and each question's blocks by its number."""
    text = COOKBOOK.read_text(encoding="utf-8")
    heads = [(m.start(), int(m[1])) for m in QUESTION.finditer(text)]
    intro: list[Block] = []
    sections: dict[int, list[Block]] = {n: [] for _, n in heads}
    for m in FENCE.finditer(text):
        block = Block(m[1], m[2], text.count("\n", 0, m.start(2)))
        owners = [n for start, n in heads if start < m.start()]
        (sections[owners[-1]] if owners else intro).append(block)
    return intro, sections


def snippet(question: int, engine: str) -> Block:
    return cookbook()[1][question][ENGINES.index(engine)]


def test_the_cookbook_has_six_questions_of_three_snippets_each():
    intro, sections = cookbook()
    assert sorted(sections) == list(range(1, QUESTIONS + 1))
    for n, found in sections.items():
        assert [b.lang for b in found] == ["python", "python", "sql"], f"question {n}"
        pandas_code, polars_code, sql = (b.code for b in found)
        assert 'engine="polars"' in polars_code and "engine=" not in pandas_code, n
        assert re.search(r"^result = ", pandas_code, re.M), f"question {n}: no result ="
        assert re.search(r"^result = ", polars_code, re.M), f"question {n}: no result ="
        (statement,) = duckdb.extract_statements(sql)  # one query, no more
        assert statement.type == duckdb.StatementType.SELECT and "'data/" in sql, n
    every = intro + [b for found in sections.values() for b in found]
    runnable = [b for b in every if b.lang in ("python", "sql")]
    assert len(runnable) == 1 + QUESTIONS * len(ENGINES)
    assert {b.lang for b in every} <= {"python", "sql", "sh"}, "an untagged or unknown block"
    assert [b.lang for b in intro] == ["sh", "python"]


# --- running the snippets -------------------------------------------------------------------


@cache
def connection() -> Any:
    """The `con` the cookbook's intro sets up, from running that block."""
    (setup,) = [b for b in cookbook()[0] if b.lang == "python"]
    ns: dict[str, Any] = {}
    exec(setup.compiled(), ns)
    return ns["con"]


@cache
def answer(question: int, engine: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """What the snippet gives, as column names and normalised rows."""
    block = snippet(question, engine)
    if engine == "sql":
        frame = connection().sql(block.code).df()
    else:
        ns: dict[str, Any] = {"__name__": f"cookbook_{question}_{engine}"}
        exec(block.compiled(), ns)
        frame = ns["result"]
        kind = pd.DataFrame if engine == "pandas" else pl.DataFrame
        assert isinstance(frame, kind), f"{engine} snippet gave a {type(frame).__name__}"
        if engine == "polars":
            frame = frame.to_pandas()
    return list(frame.columns), [tuple(map(cell, r)) for r in frame.astype(object).values]


def cell(v: Any) -> Any:
    """One value in a form every engine agrees on: dates as ISO text, numbers as floats."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, dt.date):  # also datetime and pd.Timestamp
        return v.strftime("%Y-%m-%d")
    if isinstance(v, numbers.Number):
        f = float(v)
        return None if math.isnan(f) else float(f"{f:.10g}")
    return str(v)


# --- the answers, computed independently ----------------------------------------------------


def table(name: str) -> list[dict[str, Any]]:
    return pq.read_table(ROOT / "data" / f"{name}.parquet").to_pylist()


def funding() -> tuple[list[str], list[tuple[Any, ...]]]:
    cols = ["period", "amount_usd", "is_lower_bound", "undisclosed_round_ids", "at_least_round_ids"]
    rows = [
        tuple(r[c] for c in cols)
        for r in table("funding_totals")
        if r["company_id"] == "moonshot-ai" and r["counted_as"] == "primary_equity"
    ]
    assert any(r[0] == "all" for r in rows) and len(rows) > 1
    return cols, sorted(rows, key=lambda r: r[0])


def sources_of_a_figure() -> tuple[list[str], list[tuple[Any, ...]]]:
    cols = ["report_id", "publisher", "published_on", "value_as_reported", "value_usd"]
    cols += ["verdict", "reason", "note"]
    source = {s["source_id"]: s for s in table("sources")}
    rows = []
    for r in table("reports"):
        if (r["fact_table"], r["fact_id"], r["field"]) == (
            "rounds",
            "moonshot-ai-2025-12-series-c",
            "amount",
        ):
            merged = {**r, **{k: source[r["source_id"]][k] for k in cols[1:3]}}
            rows.append(tuple(merged[c] for c in cols))
    verdicts = {r[5] for r in rows}
    assert {"accepted", "rejected"} <= verdicts, verdicts
    return cols, sorted(rows)


def shared_parents() -> tuple[list[str], list[tuple[Any, ...]]]:
    investors = {i["investor_id"]: i for i in table("investors")}
    companies, rounds, arms = defaultdict(set), defaultdict(set), defaultdict(set)
    for t in table("round_investors"):
        if t["company_id"] in ("moonshot-ai", "minimax"):
            parent = investors[t["investor_id"]]["ultimate_parent_id"]
            companies[parent].add(t["company_id"])
            rounds[parent].add(t["round_id"])
            arms[parent].add(t["investor_id"])
    rows = [
        (p, investors[p]["name"], len(rounds[p]), ";".join(sorted(arms[p])))
        for p in companies
        if len(companies[p]) == 2
    ]
    assert rows
    return ["ultimate_parent_id", "parent_name", "rounds", "arms"], sorted(
        rows, key=lambda r: (-r[2], r[0])
    )


def valuation_growth() -> tuple[list[str], list[tuple[Any, ...]]]:
    last: dict[tuple[str, int], dict[str, Any]] = {}
    for v in table("valuations"):
        if v["kind"] in ("post_money", "ipo_offer") and v["status"] in ("closed", "announced"):
            key = (v["company_id"], v["valued_on"].year)
            held = last.get(key)
            if held is None or (v["valued_on"], v["valuation_id"]) > (
                held["valued_on"],
                held["valuation_id"],
            ):
                last[key] = v
    rows, previous = [], {}
    for (company, year), v in sorted(last.items()):
        growth = None
        if company in previous:
            p_year, p_value = previous[company]
            growth = (v["value_usd"] / p_value) ** (1 / (year - p_year))
        previous[company] = (year, v["value_usd"])
        rows.append((company, year, v["valued_on"], v["valuation_id"], v["value_usd"], growth))
    assert sum(r[5] is not None for r in rows) > 5
    cols = ["company_id", "year", "valued_on", "valuation_id", "value_usd", "growth_per_year"]
    return cols, rows


def contested() -> tuple[list[str], list[tuple[Any, ...]]]:
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in table("reports"):
        if r["value_usd"] is not None:
            groups[(r["fact_table"], r["fact_id"], r["field"])].append(r)
    rows = []
    for key, reports in groups.items():
        values = [r["value_usd"] for r in reports]
        rejected = sum(r["verdict"] == "rejected" for r in reports)
        low, high = min(values), max(values)
        rows.append((*key, len(reports), rejected, low, high, high - low))
    rows.sort(key=lambda r: (-r[7], r[1], r[2]))
    assert rows[9][7] > 0 and any(r[4] for r in rows[:10])
    cols = ["fact_table", "fact_id", "field", "reports", "rejected", "low_usd", "high_usd"]
    return [*cols, "spread_usd"], rows[:10]


def latest_revenue() -> tuple[list[str], list[tuple[Any, ...]]]:
    cols = ["company_id", "metric", "metric_id", "period_start", "period_end"]
    cols += ["period_months", "annualised", "qualifier", "value_usd"]
    latest: dict[str, dict[str, Any]] = {}
    for m in table("metrics"):
        if m["metric"] in ("revenue", "annualized_revenue"):
            held = latest.get(m["company_id"])
            if held is None or (m["period_end"], m["metric_id"]) > (
                held["period_end"],
                held["metric_id"],
            ):
                latest[m["company_id"]] = m
    rows = [tuple(latest[c][k] for k in cols) for c in sorted(latest)]
    assert {r[6] for r in rows} == {True, False}
    return cols, rows


EXPECTED = {
    1: funding,
    2: sources_of_a_figure,
    3: shared_parents,
    4: valuation_growth,
    5: contested,
    6: latest_revenue,
}


@cache
def expected(question: int) -> tuple[list[str], list[tuple[Any, ...]]]:
    cols, rows = EXPECTED[question]()
    return cols, [tuple(map(cell, r)) for r in rows]


# --- the checks -----------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("question", range(1, QUESTIONS + 1))
def test_each_snippet_gives_the_independently_computed_answer(question, engine):
    cols, rows = answer(question, engine)
    want_cols, want_rows = expected(question)
    assert cols == want_cols
    assert rows == want_rows


@pytest.mark.parametrize("question", range(1, QUESTIONS + 1))
def test_the_three_engines_agree(question):
    pandas_answer = answer(question, "pandas")
    assert answer(question, "polars") == pandas_answer
    assert answer(question, "sql") == pandas_answer
    assert pandas_answer[1], "an empty answer proves nothing"


def test_sql_runs_from_any_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert connection().sql(snippet(1, "sql").code).df().shape[0] > 0
