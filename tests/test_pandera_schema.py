"""The Table Schema → Pandera converter keeps what the generic one loses.

Real dates, nullable ints, enums, keys.
"""

import pandas as pd
import pandera.pandas as pa
import pytest

from ai_lab_funding.build.rules.columns import table_schema
from ai_lab_funding.schemas import tables as ts


def _claims(**over):
    row = {
        "claim_id": "x-cum-a",
        "company_id": "x",
        "window_start": pd.Timestamp("2025-01-01"),
        "window_end": pd.Timestamp("2025-06-30"),
        "claimed_amount": 1e9,
        "claimed_qualifier": "about",
        "currency": "USD",
        "scope": "primary_funding",
        "scope_investor_ids": None,
        "note": None,
    }
    row.update(over)
    return pd.DataFrame([row]).astype(
        {
            "claim_id": "str",
            "company_id": "str",
            "claimed_qualifier": "str",
            "currency": "str",
            "scope": "str",
            "scope_investor_ids": "object",
            "note": "str",
        }
    )


def failures(df, table="cumulative_claims"):
    with pytest.raises(pa.errors.SchemaErrors) as e:
        table_schema(table, curated=True).validate(df, lazy=True)
    return e.value.failure_cases


def test_valid_frame_passes():
    table_schema("cumulative_claims", curated=True).validate(_claims(), lazy=True)


def test_impossible_date_string_is_rejected():
    # The generic converter types dates as strings, so "2024-13-01" would pass.
    fc = failures(_claims(window_end="2024-13-01"))
    assert "window_end" in set(fc["column"])


def test_enum_pattern_codelist_and_minimum():
    fc = failures(
        _claims(claimed_qualifier="roughly", claim_id="Bad Id", currency="XYZ", claimed_amount=-5.0)
    )
    by_col = set(zip(fc["column"], fc["check"].str.split("(").str[0]))
    assert ("claimed_qualifier", "isin") in by_col
    assert ("claim_id", "str_matches") in by_col
    assert ("currency", "isin") in by_col
    assert ("claimed_amount", "greater_than") in by_col


def test_required_and_optional_columns():
    fc = failures(_claims(claimed_amount=None))
    assert "claimed_amount" in set(fc["column"])
    table_schema("cumulative_claims", curated=True).validate(
        _claims(window_start=None, note=None), lazy=True
    )


def test_nullable_integers_stay_nullable():
    col = table_schema("cumulative_claims").columns["rounds_counted"]
    assert str(col.dtype) == "Int64" and col.nullable


def test_composite_primary_key_is_unique():
    assert table_schema("round_investors").unique == ["round_id", "investor_id"]


def test_every_schema_field_becomes_a_column():
    for table in ts.table_names():
        assert list(table_schema(table).columns) == [f["name"] for f in ts.fields(table)]


def test_curated_schema_leaves_out_derived_columns():
    assert "amount_usd" in table_schema("rounds").columns
    assert "amount_usd" not in table_schema("rounds", curated=True).columns
