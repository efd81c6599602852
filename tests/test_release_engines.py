"""The Parquet release opens as it is in polars, DuckDB and Spark.

Same rows, same columns, real dates.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import polars as pl
import pytest

from ai_lab_funding.schemas import tables as ts

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))
# The Parquet resources, by table: the descriptor lists them next to the CSVs.
RESOURCES = {
    r["name"].removesuffix("-parquet"): r for r in PACKAGE["resources"] if r["format"] == "parquet"
}


def _expect(table: str) -> tuple[Path, int, list[str], list[str]]:
    r = RESOURCES[table]
    fields = r["schema"]["fields"]
    return (
        ROOT / r["path"],
        r["x-rows"],
        [f["name"] for f in fields],
        [f["name"] for f in fields if f["type"] == "date"],
    )


@pytest.mark.parametrize("table", sorted(RESOURCES))
def test_polars_and_duckdb_read_every_table(table):
    assert sorted(RESOURCES) == sorted(ts.table_names())
    path, rows, columns, dates = _expect(table)
    df = pl.read_parquet(path)
    assert (df.height, df.columns) == (rows, columns)
    assert all(df.schema[c] == pl.Date for c in dates)
    rel = duckdb.sql(f"SELECT * FROM read_parquet('{path.as_posix()}')")
    assert (rel.aggregate("count(*)").fetchall()[0][0], rel.columns) == (rows, columns)
    assert all(str(t) == "DATE" for c, t in zip(rel.columns, rel.types) if c in dates)


def test_spark_reads_every_table(spark):
    for table in RESOURCES:
        path, rows, columns, dates = _expect(table)
        df = spark.read.parquet(str(path))
        assert (df.count(), df.columns) == (rows, columns), table
        assert all(df.schema[c].dataType.typeName() == "date" for c in dates), table
    # Values survive too, not just shapes: the rounds' USD total agrees with pandas on the CSV.
    import pandas as pd

    total = (
        spark.read.parquet(str(ROOT / "data" / "rounds.parquet"))
        .agg({"amount_usd": "sum"})
        .first()[0]
    )
    assert total == pytest.approx(pd.read_csv(ROOT / "data" / "rounds.csv")["amount_usd"].sum())
