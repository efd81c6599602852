"""Datasette metadata for the keyed SQLite file, generated from the Table Schemas.

What a journalist sees next to the numbers: the database's title, licence and description,
each table's description, each column's description and unit, sensible facets and sort
orders, labels so foreign keys show names rather than ids, full-text search, and canned
queries for the questions people come with ("who reported this figure, and what did we
decide?"). Nothing here names an address that has not been published.
"""

from __future__ import annotations

from typing import Any

from ..schemas import tables as ts
from .sqlite import FTS, list_columns

DATABASE = "ai-lab-funding"
LABELS = {"companies": "name", "investors": "name", "sources": "title"}
FACETS = {
    "companies": ["country", "status"],
    "investors": ["investor_type", "country"],
    "rounds": ["company_id", "status", "round_type", "money_kind", "confidence"],
    "round_investors": ["role"],
    "metrics": ["company_id", "metric"],
    "sources": ["reliability", "kind", "language"],
    "reports": ["verdict", "reason", "fact_table", "field"],
    "valuations": ["company_id", "kind", "status"],
    "funding_totals": ["company_id", "counted_as", "period"],
    "cumulative_claims": ["company_id", "scope"],
}
SORT_DESC = {
    "rounds": "announced_on",
    "valuations": "valued_on",
    "sources": "published_on",
    "metrics": "period_end",
}
QUERIES: dict[str, dict[str, str]] = {
    "reports_behind_a_figure": {
        "title": "Every report behind one figure",
        "description": "Each source's version of one fact (e.g. fact_table rounds, fact_id "
        "moonshot-ai-2025-12-series-c), with the verdict and the reason.",
        "sql": "SELECT r.field, r.value_as_reported, r.value_usd, r.verdict, r.reason, r.note, "
        "s.title, s.publisher, s.published_on, s.address, s.reliability "
        "FROM reports r JOIN sources s ON s.source_id = r.source_id "
        "WHERE r.fact_table = :fact_table AND r.fact_id = :fact_id "
        "ORDER BY r.field, r.verdict",
    },
    "most_contested_figures": {
        "title": "The most contested figures",
        "description": "Figures whose reports disagree most, by the spread of their USD values.",
        "sql": "SELECT fact_table, fact_id, field, count(*) AS reports, "
        "min(value_usd) AS lowest_usd, max(value_usd) AS highest_usd, "
        "max(value_usd) - min(value_usd) AS spread_usd FROM reports "
        "WHERE value_usd IS NOT NULL GROUP BY fact_table, fact_id, field "
        "HAVING count(*) > 1 ORDER BY spread_usd DESC LIMIT 100",
    },
    "unit_errors_caught": {
        "title": "×10 and other unit errors caught",
        "description": "Reports rejected because a unit was misread (亿 read as billion …).",
        "sql": "SELECT r.fact_id, r.field, r.value_as_reported, r.ratio_to_canonical, "
        "r.reason, s.publisher, s.address FROM reports r "
        "JOIN sources s ON s.source_id = r.source_id "
        "WHERE r.reason LIKE 'unit_error%' ORDER BY r.fact_id",
    },
    "company_funding_and_valuations": {
        "title": "One company's funding and valuation history",
        "description": "Funding per year (each dollar once) and every valuation, for one "
        "company_id (e.g. moonshot-ai).",
        "sql": "SELECT 'funding' AS what, period AS date_or_period, counted_as AS kind, "
        "amount_usd AS usd, is_lower_bound AS lower_bound FROM funding_totals "
        "WHERE company_id = :company_id UNION ALL "
        "SELECT 'valuation', valued_on, kind || ' (' || status || ')', value_usd, NULL "
        "FROM valuations WHERE company_id = :company_id ORDER BY what, date_or_period",
    },
    "investor_rounds": {
        "title": "One investor's rounds, through all its funds and arms",
        "description": "Rounds joined by an investor or any fund whose ultimate parent it is "
        "(e.g. investor_id meituan).",
        "sql": "SELECT ro.company_id, ro.round_id, ro.announced_on, ro.amount_usd, "
        "ri.investor_id AS through, ri.role, ri.amount AS ticket "
        "FROM round_investors ri JOIN investors i ON i.investor_id = ri.investor_id "
        "JOIN rounds ro ON ro.round_id = ri.round_id "
        "WHERE :investor_id IN (i.investor_id, i.ultimate_parent_id) "
        "ORDER BY ro.announced_on",
    },
}


def _column_text(f: dict[str, Any]) -> str:
    text = f.get("description", "")
    unit = f.get("x-unit", "")
    return f"{text} Unit: {unit}." if unit and unit not in text else text


def _table(table: str, resource: dict[str, Any]) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "description": resource.get("description", ""),
        "columns": {f["name"]: _column_text(f) for f in ts.fields(table)},
    }
    facets: list[Any] = list(FACETS.get(table, []))
    facets += [{"array": c} for c in list_columns(table) if c != "accepted_report_ids"]
    if facets:
        meta["facets"] = facets
    if table in LABELS:
        meta["label_column"] = LABELS[table]
    if table in SORT_DESC:
        meta["sort_desc"] = SORT_DESC[table]
    if table in FTS:
        meta["fts_table"] = f"{table}_fts"
    return meta


def metadata(descriptor: dict[str, Any]) -> dict[str, Any]:
    """Datasette's metadata.json for the release described by `descriptor`."""
    licence = (descriptor.get("licenses") or [{}])[0]
    resources = {r["name"]: r for r in descriptor["resources"] if r.get("format") == "csv"}
    return {
        "title": descriptor.get("title", DATABASE),
        "description": descriptor.get("description", ""),
        "license": licence.get("name", ""),
        "license_url": licence.get("path", ""),
        "source": f"ai-lab-funding release {descriptor.get('version', '')}",
        "databases": {
            DATABASE: {
                "tables": {t: _table(t, resources.get(t, {})) for t in ts.table_names()},
                "queries": QUERIES,
            }
        },
    }


def metadata_text(descriptor: dict[str, Any]) -> str:
    """`metadata` as the JSON file Datasette reads (the release asset and `serve` share it)."""
    import json

    return json.dumps(metadata(descriptor), indent=2, ensure_ascii=False) + "\n"
