"""What a package user sees: typed tables from every engine, describe/schema/package, validate."""

import pandas as pd
import pytest

import ai_lab_funding as alf
from ai_lab_funding.problems import InvalidData


def test_tables_and_metadata():
    assert "rounds" in alf.tables() and "reports" in alf.tables()
    assert alf.package()["licenses"][0]["name"] == "CC-BY-4.0"
    assert alf.schema("rounds")["primaryKey"] == ["round_id"]
    d = alf.describe("rounds").set_index("column")
    assert d.loc["amount_usd", "unit"] == "USD" and d.loc["amount_usd", "derived"]
    assert "series_c" in d.loc["round_type", "values"]


def test_pandas_types_are_real():
    r = alf.load("rounds")
    assert str(r["announced_on"].dtype) == "datetime64[s]"
    assert isinstance(r["round_type"].dtype, pd.CategoricalDtype)
    assert "series_c" in r["round_type"].cat.categories
    assert r["amount_usd"].dtype == "float64"
    assert str(alf.load("cumulative_claims")["rounds_counted"].dtype) == "Int64"


def test_other_engines():
    import polars as pl

    p = alf.load("rounds", engine="polars")
    assert p.schema["announced_on"] == pl.Date and isinstance(p.schema["status"], pl.Enum)
    t = alf.load("rounds", engine="pyarrow")
    assert str(t.schema.field("status").type).startswith("dictionary")
    rel = alf.load("rounds", engine="duckdb")
    assert rel.aggregate("count(*)").fetchall()[0][0] == len(alf.load("rounds"))


def test_bad_engine_and_table():
    with pytest.raises(ValueError, match="engine"):
        alf.load("rounds", engine="spark")
    with pytest.raises(KeyError, match="unknown table"):
        alf.load("round")


def test_validate_accepts_the_release_and_rejects_bad_rows():
    rounds = alf.load("rounds")
    alf.validate(rounds, "rounds")
    bad = rounds.head(2).copy()
    bad["round_type"] = bad["round_type"].astype(str)
    bad.loc[bad.index[0], "round_type"] = "series_cc"
    bad.loc[bad.index[1], "currency"] = "usd"
    with pytest.raises(InvalidData) as e:
        alf.validate(bad, "rounds")
    rules = {(p.column, p.rule) for p in e.value.problems}
    assert ("round_type", "enum") in rules and ("currency", "pattern") in rules
    assert any("did you mean series_c?" in p.hint for p in e.value.problems)


def test_parquet_columns_say_what_they_are():
    import pyarrow.parquet as pq

    from ai_lab_funding import paths

    schema = pq.read_schema(paths.release_dir() / "data" / "rounds.parquet")
    meta = schema.field("amount_usd").metadata
    assert meta[b"unit"] == b"USD" and b"US dollars" in meta[b"description"]
    assert schema.field("round_id").metadata[b"title"]


def test_duckdb_gives_enum_columns_like_the_other_engines_categoricals():
    rel = alf.load("rounds", engine="duckdb")
    types = dict(zip(rel.columns, map(str, rel.types)))
    assert types["status"].startswith("ENUM(") and "'closed'" in types["status"]
    assert types["round_id"] == "VARCHAR"
    assert rel.aggregate("count(*)").fetchall()[0][0] == len(alf.load("rounds"))
