"""Croissant metadata (MLCommons Croissant 1.1) for a release, generated from the Table Schemas.

Machine-learning tools (Hugging Face, Kaggle, TFDS, `mlcroissant`) find and read datasets by
their Croissant file. It is written here from the same Table Schemas as everything else, and
from the release's own descriptor (file names, sizes and sha256), so it can never describe
columns or files the release does not have. Each table is one RecordSet read from its CSV; its
primary key is the RecordSet's key and each single-column foreign key a field reference
(except on a column of a composite key: see `_record_set`).
"""

from __future__ import annotations

from typing import Any

from ..schemas import tables as ts

CONFORMS_TO = "http://mlcommons.org/croissant/1.1"
# The JSON-LD context of Croissant 1.1, as mlcroissant writes it.
CONTEXT: dict[str, Any] = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "arrayShape": "cr:arrayShape",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "containedIn": "cr:containedIn",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "description": {"@container": "@language"},
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isArray": "cr:isArray",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "name": {"@container": "@language"},
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}
# Table Schema types as schema.org data types.
DATA_TYPES = {
    "string": "sc:Text",
    "number": "sc:Float",
    "integer": "sc:Integer",
    "boolean": "sc:Boolean",
    "date": "sc:Date",
    "datetime": "sc:DateTime",
}


def _field(table: str, f: dict[str, Any], links: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "@type": "cr:Field",
        "@id": f"{table}/{f['name']}",
        "name": f["name"],
        "description": f.get("description", f.get("title", f["name"])),
        "dataType": DATA_TYPES.get(f.get("type", "string"), "sc:Text"),
        "source": {"fileObject": {"@id": f"{table}.csv"}, "extract": {"column": f["name"]}},
    }
    if f["name"] in links:
        out["references"] = {"field": {"@id": links[f["name"]]}}
    return out


def _record_set(table: str, resource: dict[str, Any]) -> dict[str, Any]:
    """One table as a RecordSet: its fields, its key, its single-column references."""
    key = ts.primary_key(table)
    # A reference on a column of a composite key makes mlcroissant 1.1.1 fail to read the
    # records (its Join step); those keys stay in datapackage.json's foreignKeys only.
    links = {
        cols[0]: f"{target}/{ref[0]}"
        for cols, target, ref in ts.references(table)
        if len(cols) == 1 and target != table and not (len(key) > 1 and cols[0] in key)
    }
    record: dict[str, Any] = {
        "@type": "cr:RecordSet",
        "@id": table,
        "name": table,
        "description": resource.get("description", table),
        "field": [_field(table, f, links) for f in resource["schema"]["fields"]],
    }
    if key:
        record["key"] = (
            [{"@id": f"{table}/{k}"} for k in key] if len(key) > 1 else {"@id": f"{table}/{key[0]}"}
        )
    return record


def croissant(descriptor: dict[str, Any], cite_as: str, url: str | None = None) -> dict[str, Any]:
    """The Croissant document of a release described by `descriptor` (its datapackage.json).

    `url` is the dataset's landing page when one has been published; none is invented.
    """
    tables = [r for r in descriptor["resources"] if r.get("format") == "csv"]
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": CONFORMS_TO,
        "name": descriptor["name"],
        "description": descriptor.get("description", descriptor.get("title", "")),
        "license": [lic["path"] for lic in descriptor.get("licenses", []) if "path" in lic],
        "version": descriptor["version"],
        "datePublished": descriptor.get("created", "")[:10],
        "citeAs": cite_as,
        "keywords": descriptor.get("keywords", []),
        "distribution": [
            {
                "@type": "cr:FileObject",
                "@id": f"{r['name']}.csv",
                "name": f"{r['name']}.csv",
                "description": r.get("title", r["name"]),
                "contentUrl": r["path"],
                "contentSize": f"{r['bytes']} B",
                "encodingFormat": "text/csv",
                "sha256": r["hash"].removeprefix("sha256:"),
            }
            for r in tables
        ],
        "recordSet": [_record_set(r["name"], r) for r in tables],
    }
    if url:
        doc["url"] = url
    return doc
