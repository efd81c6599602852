"""Where polars and pandas meet: the build computes on polars, the release writer gets pandas.

Both directions go through Arrow column by column, so a million-row table is never held
twice in full, and the pandas side always has the same dtypes (Arrow-backed text, nullable
integers and booleans, second-resolution dates) whichever library produced it.
"""

from __future__ import annotations

import pandas as pd
import polars as pl
import pyarrow as pa

from ..schemas import types

# Arrow's own conversion already gives the schema's pandas dtype for text and numbers; not
# for integers and booleans with gaps, which need pandas' nullable dtypes.
_TO_PANDAS = {
    types.arrow_type(kind): pd.api.types.pandas_dtype(types.TYPES[kind].pandas)
    for kind in ("integer", "boolean")
}.get


def to_pandas(df: pl.DataFrame, index: pd.Index | None = None) -> pd.DataFrame:
    """A polars table as pandas: large strings, Int64/boolean with gaps, dates as datetime64[s]."""
    arrow = df.to_arrow()
    target = pa.schema(
        [
            pa.field(
                c.name,
                pa.large_string()
                if pa.types.is_string_view(c.type) or pa.types.is_string(c.type)
                else pa.timestamp("s")
                if pa.types.is_date(c.type)
                else c.type,
            )
            for c in arrow.schema
        ]
    )
    out = arrow.cast(target).to_pandas(types_mapper=_TO_PANDAS)
    if index is not None:
        out.index = index
    return out


def to_polars(df: pd.DataFrame) -> pl.DataFrame:
    """A pandas table as the polars frame the rules run on: dates as Date, gaps as null."""
    # Column by column: polars.from_pandas holds a converted copy of the whole frame at once.
    out = pl.DataFrame(
        [pl.from_arrow(pa.Array.from_pandas(df[c])).alias(c) for c in df.columns], nan_to_null=True
    )
    return out.with_columns(pl.col(pl.Datetime).cast(pl.Date), pl.col(pl.Float64).fill_nan(None))
