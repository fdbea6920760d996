"""Results do not change by a bit under performance work: the four tables of five fixed runs
(tools/golden_tables.py) against fingerprints written before it, with the compiled kernels and
with the numpy reference path. A model change that is meant to change results regenerates
tests/data/golden_tables.json with the tool (and says so in its commit)."""

import importlib.util
import json

import pytest

from market_sim import kernels

from .conftest import ROOT

_spec = importlib.util.spec_from_file_location("golden_tables", ROOT / "tools" / "golden_tables.py")
golden = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(golden)


@pytest.mark.parametrize("compiled", [True, False], ids=["kernels", "numpy"])
def test_tables_are_bit_identical_to_the_recorded_fingerprints(compiled):
    want = json.loads(golden.GOLDEN.read_text())
    with kernels.use(compiled):
        got = golden.digests()
    changed = [f"{case}.{table}" for case in want for table in want[case] if got[case][table] != want[case][table]]
    assert not changed, (f"tables changed: {changed}. If the model was meant to change, regenerate with "
                         "`PYTHONPATH=. python tools/golden_tables.py` and say so in the commit.")


def test_the_fingerprint_sees_one_bit():
    import numpy as np
    import pandas as pd

    df = pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"]})
    flipped = df.copy()
    flipped.loc[1, "a"] = np.nextafter(2.0, 3.0)
    renamed = df.rename(columns={"b": "c"})
    assert golden.table_digest(df) == golden.table_digest(df.copy())
    assert golden.table_digest(flipped) != golden.table_digest(df)
    assert golden.table_digest(renamed) != golden.table_digest(df)
    assert golden.table_digest(df.astype({"a": "float32"})) != golden.table_digest(df)
