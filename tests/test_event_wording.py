"""The release wording done many at a time says, character for character, what the per-event
wording (`FeatureSpace.describe`, `events._word_release`) says, and an event log read in parts
gives the table it gives read at once."""

import math
from functools import lru_cache

import numpy as np
import pandas as pd
from hypothesis import example, given
from hypothesis import strategies as st

from market_sim.config import load_config
from market_sim.events import COLUMNS, EventLog, _release_details, _Releases, _word_release
from market_sim.features import FeatureSpace

from .conftest import SMALL

NAMES = ["Alpha", "Beta", "Gamma", "Delta"]


@lru_cache(maxsize=1)
def _features() -> FeatureSpace:
    cfg = load_config(SMALL)
    return FeatureSpace(cfg.features, cfg.run.start)


# levels in internal units: index points around the scale's range, log10 tokens, and the
# rounding edges of both (x.x5 points, x.x5M and x.5k tokens, 1M tokens itself)
LEVELS = st.one_of(
    st.floats(-5.0, 150.0),
    st.floats(2.0, 9.0),
    st.integers(-100, 3000).map(lambda k: k / 20),                          # exact-looking halves of 0.1
    st.integers(1, 400).map(lambda k: math.log10(k * 5e4)),                 # x.x5M tokens, 1M, 2M, ...
    st.integers(1, 400).map(lambda k: math.log10(k * 500.0)),               # x.5k tokens
    st.floats(-300.0, 300.0),
    st.sampled_from([0.0, -0.0, -0.04, -0.05, math.nan, math.log10(999_950.0), math.log10(999_999.99), 6.0]),
)


@given(f=st.integers(0, 3), levels=st.lists(LEVELS, max_size=40))
@example(f=1, levels=[math.log10(x) for x in (500.0, 1500.0, 2500.0, 999_950.0, 1e6, 1_050_000.0, 1_150_000.0)])
@example(f=0, levels=[0.05, 0.15, 0.25, 2.675, 71.25, 71.35, -0.0, -0.04, math.nan])
def test_describe_many_says_what_describe_says_of_each_level(f, levels):
    fs = _features()
    assert fs.describe_many(f, np.array(levels, dtype=float)) == [fs.describe(f, x) for x in levels]


@st.composite
def _batches(draw):
    """A few months' releases as EventLog.releases keeps them."""
    fs, batches = _features(), []
    for t in range(draw(st.integers(0, 4))):
        n = draw(st.integers(0, 12))
        rows = np.array(draw(st.lists(st.integers(0, len(NAMES) - 1), min_size=n, max_size=n)), dtype=np.int64)
        cols = np.array(draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)), dtype=np.int64)
        headline = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
        levels = np.array(draw(st.lists(LEVELS, min_size=n, max_size=n)), dtype=float)
        batches.append(_Releases(t, rows, cols, headline, levels, fs, NAMES))
    return batches


@given(batches=_batches())
def test_release_details_word_each_release_as_word_release(batches):
    expected = [[_word_release(b.names[row], head, b.features, f, level)
                 for row, head, f, level in zip(b.rows.tolist(), b.headline.tolist(), b.cols.tolist(),
                                                b.levels.tolist())] for b in batches]
    assert _release_details(batches) == expected


def _record_run(log: EventLog, fs: FeatureSpace, months: range, read_between: bool) -> None:
    """Releases interleaved with other events; the log read after each month if `read_between`."""
    rng = np.random.default_rng(7)
    for t in months:
        log.entry(t, t % len(NAMES))
        reported = rng.random((len(NAMES), 4)) < 0.5
        capability = np.column_stack([rng.uniform(40, 90, len(NAMES)), rng.uniform(4.5, 6.8, len(NAMES)),
                                      rng.uniform(0, 80, (len(NAMES), 2))])
        log.releases(t, reported, rng.random((len(NAMES), 4)) < 0.3, capability, fs)
        log.price_cuts(t, rng.random(len(NAMES)) < 0.5, np.full(len(NAMES), 10.0), rng.uniform(2, 9, len(NAMES)))
        if read_between:
            assert len(log.records) == len(log)
            log.frame()


def test_event_log_read_in_parts_gives_the_records_and_table_of_one_read():
    fs = _features()
    ids = [n.lower() for n in NAMES]
    parts, once = EventLog("2024-01", ids, NAMES), EventLog("2024-01", ids, NAMES)
    _record_run(parts, fs, range(6), read_between=True)
    _record_run(once, fs, range(6), read_between=False)
    assert len(parts) == len(once) == len(once.records)
    assert parts.records == once.records
    frame = once.frame()
    pd.testing.assert_frame_equal(parts.frame(), frame, check_exact=True)
    # the table is the records, column by column, with month_index as int32
    from_records = pd.DataFrame(once.records, columns=COLUMNS)
    from_records["month_index"] = from_records["month_index"].astype(np.int32)
    pd.testing.assert_frame_equal(frame, from_records, check_exact=True)
    assert list(frame.dtypes) == list(from_records.dtypes)
    assert {"release", "entry", "price_cut"} <= set(frame["event"])


def test_an_empty_event_log_gives_an_empty_table_of_the_columns():
    frame = EventLog("2024-01", [], []).frame()
    assert list(frame.columns) == COLUMNS and len(frame) == 0 and frame["month_index"].dtype == np.int32
