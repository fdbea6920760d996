"""The vendor-month table's text columns, picked from their distinct strings
(`records._text_column`), are the columns numpy's per-row strings gave: values and dtype."""

import numpy as np
import pandas as pd
from hypothesis import example, given
from hypothesis import strategies as st

from market_sim.records import _text_column

TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=8)


@given(values=st.lists(TEXT, max_size=6), as_object=st.booleans(), picks=st.lists(st.integers(0, 5), max_size=30),
       index_dtype=st.sampled_from([np.int8, np.int32, np.int64]))
@example(values=[], as_object=False, picks=[], index_dtype=np.int64)               # no vendor or no month yet
@example(values=["2024-01", "2024-02"], as_object=False, picks=[], index_dtype=np.int64)
@example(values=["active", "exited"], as_object=True, picks=[], index_dtype=np.int8)
@example(values=["", "a"], as_object=False, picks=[0, 1, 1, 0], index_dtype=np.int64)
def test_text_column_makes_the_column_numpy_indexing_makes(values, as_object, picks, index_dtype):
    base = np.asarray(values, dtype=object) if as_object else np.asarray(values)
    index = np.array([p for p in picks if p < len(values)], dtype=index_dtype)
    numeric = np.arange(index.size, dtype=float)   # a neighbour column, as in the table
    expected = pd.DataFrame({"x": numeric, "text": base[index]})
    got = pd.DataFrame({"x": numeric, "text": _text_column(base, index)})
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert got["text"].dtype == expected["text"].dtype
    assert got["text"].tolist() == expected["text"].tolist()
