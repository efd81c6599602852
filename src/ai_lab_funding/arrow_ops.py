"""Column operations done in Arrow, where pandas would loop in Python.

A grouped `";".join` in pandas runs Python per group, and building a text column from codes
makes a Python string per row; at a million rounds both are hot spots of the derivation,
and pyarrow.compute does each in one vectorised call.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def _arrow(values: pd.Series | Iterable) -> pa.Array:
    if isinstance(values, pd.Series):
        values = values.astype("str") if values.dtype == object else values
        arr = pa.array(values, from_pandas=True)
    else:
        arr = pa.array(list(values), type=pa.string(), from_pandas=True)
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def joined_by_key(keys: pd.Series, values: pd.Series, sep: str = ";") -> pd.Series:
    """`values` joined with `sep` per key, in the order given, indexed by key.

    Arrow's hash aggregation keeps the input order within a group when it runs on one
    thread, so callers sort first and the joined string is deterministic.
    """
    table = pa.table({"key": _arrow(keys), "value": _arrow(values)})
    grouped = table.group_by("key", use_threads=False).aggregate([("value", "list")])
    joined = pc.binary_join(grouped["value_list"], pa.scalar(sep, type=table["value"].type))
    return pd.Series(joined.to_numpy(zero_copy_only=False), index=pd.Index(grouped["key"].to_numpy(zero_copy_only=False)), dtype="str")


def labels(codes: np.ndarray, names: list[str], index: pd.Index) -> pd.Series:
    """A text column from small integer codes into `names`, built in Arrow.

    pandas would make a Python string per row on the way from codes to its Arrow-backed
    `str` dtype: at three million reports that is a quarter of a gigabyte.
    """
    text = pa.DictionaryArray.from_arrays(pa.array(codes, pa.int32()), pa.array(names, pa.large_string())).cast(pa.large_string())
    out = pa.table({"text": text}).to_pandas()["text"]
    out.index = index
    return out
