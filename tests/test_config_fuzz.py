"""Issue 11: `check` and `run` agree. Hypothesis sets random keys of a tiny config to values
inside, at and beyond the schema's bounds (NaN, inf, negatives, huge numbers, reversed
ranges); every config that loads (what `check` accepts) must build and run two months without
an exception, and every other one must be refused as a ConfigError.

Under CI (the "ci" profile of conftest: derandomize) it runs a fixed set of FUZZ_EXAMPLES."""

import math
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from market_sim import MarketModel, load_config
from market_sim.config import ConfigError

from .conftest import SMALL

pytestmark = pytest.mark.slow
FUZZ_EXAMPLES = 500
TINY = {"scale.consumers": 50, "scale.enterprises": 10, "run.months": 2, "long_tail.count": 3}
# kept tiny: the test is about validation, not scale (limits.py refuses sizes that do not fit)
FIXED = {"scale.consumers", "scale.enterprises", "run.months", "long_tail.count", "run.seed"}


def _base() -> dict:
    return load_config(SMALL, TINY).model_dump(mode="json")


BASE = _base()


def _leaves(node, prefix=()):
    """(dotted key, value) of every number, and of every [low, high] pair, in the config."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _leaves(v, (*prefix, str(k)))
    elif isinstance(node, list) and len(node) == 2 and all(isinstance(x, int | float) for x in node):
        yield ".".join(prefix), node
    elif isinstance(node, int | float) and not isinstance(node, bool):
        yield ".".join(prefix), node


LEAVES = sorted((k, v) for k, v in _leaves(BASE) if k not in FIXED and "." in k and not k.startswith("changes"))
SPECIAL = [0, 1, -1, 0.5, 1e-12, 0.999999, 1.000001, 2, 1e9, 1e300, -1e300, math.inf, -math.inf, math.nan]


def _number(example):
    """Half near the example (mostly valid: exercises the model), half anywhere (mostly refused)."""
    if isinstance(example, int):
        near = st.integers(0, max(3 * example, 3))
        return st.one_of(near, near, st.integers(-3, 2_000), st.sampled_from([0, 1, -1, 2, 10**9]))
    near = st.floats(0.0, 3 * abs(example) if example else 1.0)
    return st.one_of(near, near, st.floats(-1e3, 1e3), st.floats(allow_nan=True, allow_infinity=True),
                     st.sampled_from(SPECIAL), st.just(example * 10), st.just(example / 10))


@st.composite
def overrides(draw):
    keys = draw(st.lists(st.sampled_from(LEAVES), min_size=1, max_size=4, unique_by=lambda kv: kv[0]))
    out = {}
    for key, example in keys:
        if isinstance(example, list):
            out[key] = [draw(_number(example[0])), draw(_number(example[1]))]
        else:
            out[key] = draw(_number(example))
    return out


ACCEPTED = {"n": 0, "refused": 0, "seconds": 0.0}


@settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(overrides())
def test_any_config_check_accepts_runs_two_months(changes):
    started = time.perf_counter()
    try:
        cfg = load_config(BASE, changes)
    except ConfigError:
        ACCEPTED["refused"] += 1
        return
    model = MarketModel(cfg, rng=np.random.default_rng(0))
    while model.running:
        model.step()
    model.tables()
    ACCEPTED["n"] += 1
    ACCEPTED["seconds"] += time.perf_counter() - started


def test_the_fuzz_ran_and_both_outcomes_occurred():
    """Reported by the fuzz above (same module, run after it): both accepted and refused configs."""
    if ACCEPTED["n"] + ACCEPTED["refused"] == 0:
        pytest.skip("the fuzz test did not run in this session")
    assert ACCEPTED["n"] > 0 and ACCEPTED["refused"] > 0, ACCEPTED
    print(f"\nfuzz: {ACCEPTED['n']} configs accepted and run ({ACCEPTED['seconds']:.1f} s), "
          f"{ACCEPTED['refused']} refused")
