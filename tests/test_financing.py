import numpy as np
import pandas as pd

from market_sim.mechanisms import financing
from market_sim.mechanisms.falls_behind import falls_behind
from market_sim.stats import falls_behind_table, wilson_interval


def test_runway_is_cash_over_burn_and_capped_when_profitable():
    r = financing.runway_months(np.array([120.0, 120.0, -5.0]), np.array([10.0, -3.0, 1.0]))
    np.testing.assert_allclose(r, [12.0, financing.RUNWAY_CAP_MONTHS, 0.0])


def test_better_climate_traction_and_rank_raise_success():
    base = financing.raise_probability(np.array([0.2]), np.array([0.5]), 0.5, -1, 2, 2, 2)
    assert financing.raise_probability(np.array([0.2]), np.array([0.5]), 1.0, -1, 2, 2, 2) > base
    assert financing.raise_probability(np.array([0.8]), np.array([0.5]), 0.5, -1, 2, 2, 2) > base
    assert financing.raise_probability(np.array([0.2]), np.array([0.9]), 0.5, -1, 2, 2, 2) > base


def test_split_round_never_exceeds_dry_powder_or_the_ask():
    rng = np.random.default_rng(0)
    for _ in range(200):
        powder = rng.uniform(0, 1e9, 8) * (rng.random(8) < 0.7)
        ask = rng.uniform(0, 3e9)
        put = financing.split_round(ask, powder, rng)
        assert np.all(put <= powder + 1e-6) and put.sum() <= ask + 1e-3 and np.all(put >= 0)


def test_distress_pivot_and_exit():
    runway = np.array([3.0, 20.0, 1.0, 20.0])
    failed = np.array([False, True, True, False])
    gap = np.array([0.0, 12.0, 0.0, 12.0])
    frontier = np.array([True, True, True, True])
    a = financing.distress_action(runway, failed, gap, frontier, 6.0, 2.0, 9.0)
    assert list(a) == [1, 1, 2, 0]


def test_rank_score_best_is_one_inactive_zero():
    r = financing.rank_score(np.array([3.0, 1.0, 2.0, 9.0]), np.array([True, True, True, False]))
    np.testing.assert_allclose(r, [1.0, 0.0, 0.5, 0.0])


def test_wilson_interval_contains_estimate_and_handles_extremes():
    lo, hi = wilson_interval(np.array([0, 10, 20]), np.array([20, 20, 20]))
    assert lo[0] == 0 and hi[0] > 0.1
    assert lo[1] < 0.5 < hi[1]
    assert hi[2] == 1 and lo[2] < 0.9


def test_falls_behind_rule():
    fb, reason = falls_behind(np.array(["frontier", "focused", "frontier", "frontier"]),
                              np.array([0.001, 0.3, 0.001, 0.2]), np.array([0.005, 0.0, 0.0, 0.0]),
                              np.array([10.0, 0.0, 2.0, 20.0]), ["focused", "acquired", "exited"], 0.02, 6.0)
    assert list(fb) == [True, True, False, False]
    assert list(reason) == ["small_and_behind", "status", "", ""]


def test_falls_behind_table_counts():
    outcomes = pd.DataFrame({"replication": [0, 1, 0, 1], "vendor": ["a", "a", "b", "b"],
                             "falls_behind": [True, False, False, False],
                             "final_consumer_share": [0.1, 0.3, 0.5, 0.7], "final_enterprise_share": [0, 0, 0, 0]})
    t = falls_behind_table(outcomes).set_index("vendor")
    assert t.loc["a", "p_falls_behind"] == 0.5 and t.loc["b", "falls_behind"] == 0
    assert t.loc["a", "median_consumer_share"] == 0.2
