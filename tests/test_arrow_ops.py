"""Arrow replacements for pandas' slow paths give the answers pandas gives."""

import numpy as np
import pandas as pd

from ai_lab_funding.arrow_ops import joined_by_key, labels


def test_joined_by_key_keeps_the_given_order_per_key():
    keys = pd.Series(["k2", "k1", "k2", "k1", "k3"], dtype="str")
    vals = pd.Series(["b", "z", "a", "y", "x"], dtype="str")
    out = joined_by_key(keys, vals)
    assert out.to_dict() == {"k2": "b;a", "k1": "z;y", "k3": "x"}
    assert pd.Series(["k1", "k9"]).map(out).tolist()[0] == "z;y"


def test_labels_are_the_str_column_pandas_would_build():
    index = pd.Index([5, 7, 9], name="line")
    out = labels(np.array([2, 0, 2]), ["x", "y", "z"], index)
    expected = pd.Series(["z", "x", "z"], index=index, dtype="str")
    pd.testing.assert_series_equal(out, expected, check_names=False)
