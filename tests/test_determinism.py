"""Same config and seed: identical tables, whatever the number of workers."""

import hashlib
import io

import numpy as np
import pandas as pd

from market_sim import MarketModel, run
from market_sim.runner import replication_seeds

from .conftest import SMALL


def _parquet_bytes(df: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    df.to_parquet(buf, index=False)
    return buf.getvalue()


def _digest(results) -> dict[str, str]:
    return {name: hashlib.sha256(_parquet_bytes(getattr(results, name))).hexdigest()
            for name in ("vendor_month", "market_month", "events", "outcomes")}


def test_same_seed_same_model_tables():
    a = MarketModel(SMALL, rng=42)
    b = MarketModel(SMALL, rng=42)
    for m in (a, b):
        while m.running:
            m.step()
    for x, y in zip(a.tables(), b.tables()):
        pd.testing.assert_frame_equal(x, y)


def test_different_seeds_differ():
    a, b = MarketModel(SMALL, rng=1), MarketModel(SMALL, rng=2)
    for m in (a, b):
        while m.running:
            m.step()
    assert not a.tables()[0].equals(b.tables()[0])


def test_byte_identical_with_one_and_two_workers():
    one = run(SMALL, replications=3, seed=9, workers=1)
    two = run(SMALL, replications=3, seed=9, workers=2)
    assert _digest(one) == _digest(two)
    again = run(SMALL, replications=3, seed=9, workers=1)
    assert _digest(one) == _digest(again)


def test_replication_seeds_come_from_seed_sequence_spawn():
    seeds = replication_seeds(5, 3)
    direct = np.random.SeedSequence(5).spawn(3)
    for s, d in zip(seeds, direct):
        assert s.generate_state(4).tolist() == d.generate_state(4).tolist()
    # a replication's seed does not depend on how many replications run
    assert replication_seeds(5, 10)[2].generate_state(4).tolist() == seeds[2].generate_state(4).tolist()
