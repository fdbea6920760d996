import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
        assert (put > 0).sum() <= 3 and (put[powder == 0] == 0).all()
        # a round the chosen funds can afford is filled (catches a round that silently shrinks
        # or never closes: all zeros passes the bounds above)
        chosen = put > 0
        if ask > 0 and (powder > 0).any() and np.all(ask * powder[chosen] / powder[chosen].sum() <= powder[chosen]):
            assert put.sum() == pytest.approx(ask, rel=1e-9)


def test_split_round_fills_the_ask_in_proportion_to_dry_powder():
    rng = np.random.default_rng(1)
    powder = np.array([0.0, 6e9, 3e9, 1e9])
    put = financing.split_round(1e9, powder, rng)
    assert put.sum() == pytest.approx(1e9) and put[0] == 0
    np.testing.assert_allclose(put[1:] / put.sum(), powder[1:] / powder[1:].sum())
    # a round bigger than the funds can pay shrinks to what they have
    put = financing.split_round(1e11, powder, rng)
    np.testing.assert_allclose(put, powder)
    # funds are drawn in proportion to dry powder when more have money than take part
    picks = np.zeros(4)
    for _ in range(2000):
        picks += financing.split_round(1.0, np.array([1.0, 1.0, 1.0, 97.0]), rng, max_investors=1) > 0
    assert picks[3] / 2000 == pytest.approx(0.97, abs=0.015)


class Rules:
    decision_horizon_months = 12.0
    prospect_gap_months = 6.0
    focus_revenue_retained = 0.8
    focus_value_share = 0.2
    pivot_inertia_months = 3.0
    decision_patience_months = 3
    pivot_runway_months = 6.0
    exit_runway_months = 2.0


def _decide(runway, gap, cash, stake, revenue=0.0, costs=1e8, focused=3e7, failed=False, streak=0, months=1):
    """Months of the same situation for one racing startup; returns (action, cause) of the last."""
    n = 1
    value = financing.value_of_focusing(np.full(n, revenue), np.full(n, costs), np.full(n, focused),
                                        np.full(n, gap), np.full(n, stake), Rules)
    s = np.full(n, streak)
    for _ in range(months):
        action, cause, s = financing.startup_decisions(np.ones(n, bool), np.ones(n, bool), value, np.full(n, costs),
                                                       np.full(n, runway), np.full(n, failed), np.full(n, cash), s,
                                                       Rules)
    return int(action[0]), int(cause[0])


@settings(max_examples=200, deadline=None)
@given(st.floats(0.0, 1.0), st.floats(1e7, 1e9), st.floats(0.0, 2.0), st.integers(1, 60))
def test_a_well_funded_lab_near_the_best_never_pivots(gap, costs, revenue_share, months):
    # catches a decision that pivots a lab at the frontier with money for years ("strategic
    # subtraction" fired at runways of 19-57 months); stake = its cash: 4 years of costs
    action, _ = _decide(runway=48.0, gap=gap, cash=48 * costs, stake=48 * costs, revenue=revenue_share * costs,
                        costs=costs, focused=0.3 * costs, months=months)
    assert action == 0


@settings(max_examples=200, deadline=None)
@given(st.floats(0.01, 5.9), st.floats(0.0, 60.0), st.floats(1e7, 1e9))
def test_a_lab_with_no_runway_always_pivots_for_money_and_exits_when_cash_is_gone(runway, gap, costs):
    # catches a distress rule that ignores the runway after this month's rounds
    action, cause = _decide(runway=runway, gap=gap, cash=runway * costs, stake=runway * costs, costs=costs)
    assert (action, cause) == (1, financing.MONEY)
    action, cause = _decide(runway=runway, gap=gap, cash=0.0, stake=0.0, costs=costs)
    assert (action, cause) == (2, financing.MONEY)
    if runway < 2.0:
        assert _decide(runway=runway, gap=gap, cash=1.0, stake=1.0, costs=costs, failed=True)[0] == 2


def test_no_prospect_and_a_small_stake_pivots_for_the_race_after_patience_only():
    # catches the patience ignored, or a race pivot that needs a short runway
    far = dict(runway=40.0, gap=30.0, cash=40 * 1e8, stake=1e9)   # 30 months behind, runway 40 months
    assert _decide(**far, months=2) == (0, 0)
    assert _decide(**far, months=3) == (1, financing.RACE)
    # the same lab near the best stays
    assert _decide(**{**far, "gap": 0.0}, months=24) == (0, 0)


def test_value_of_focusing_limits():
    # catches a sign error or a term dropped: V_focus - V_race = H((phi-1)R + C - C_focus) + W(psi - P)
    h, phi, psi = 12.0, 0.8, 0.2
    v = financing.value_of_focusing(np.array([5.0]), np.array([10.0]), np.array([3.0]), np.array([0.0]),
                                    np.array([100.0]), Rules)
    assert v[0] == pytest.approx(h * ((phi - 1) * 5 + 10 - 3) + 100 * (psi - 1.0))
    far = financing.value_of_focusing(np.array([5.0]), np.array([10.0]), np.array([3.0]), np.array([1e6]),
                                      np.array([100.0]), Rules)
    assert far[0] == pytest.approx(h * ((phi - 1) * 5 + 10 - 3) + 100 * psi)
    # more behind: focusing is worth more; bigger stake near the best: worth less
    gaps = financing.value_of_focusing(np.ones(5), np.full(5, 2.0), np.ones(5), np.arange(5.0) * 3, np.full(5, 50.0),
                                       Rules)
    assert np.all(np.diff(gaps) > 0)


def test_streak_counts_consecutive_months_and_resets():
    months = np.zeros(2, int)
    history = []
    for cond in ([True, True], [True, False], [True, True]):
        months = financing.streak(np.array(cond), months)
        history.append(list(months))
    assert history == [[1, 1], [2, 0], [3, 1]]
    assert list(financing.parent_patience(np.array([5.0, 1.0, 2.0]), 2.0, np.array([3, 3, 3]))) == [4, 0, 0]


def test_traction_score_is_log_scaled_and_reaches_one_at_half_a_market():
    t = financing.traction_score(np.array([0.0, 0.01, 0.25, 0.5, 0.9]), np.array([0.0, 0.0, 0.25, 0.0, 0.0]))
    np.testing.assert_allclose(t[[0, 2, 3, 4]], [0.0, 1.0, 1.0, 1.0])
    assert t[1] == pytest.approx(np.log1p(1.0) / np.log1p(50.0))


def test_round_size_is_months_of_burn_scaled_by_traction_and_outlasts_the_trigger():
    # catches a profitable vendor asking for money, the traction scaling dropped, or a round
    # shrunk by the climate below the raise trigger (one failed raise then meant a pivot)
    ask = financing.round_size(np.array([10.0, -5.0, 10.0, 10.0]), 18.0, np.array([0.5, 0.5, 0.0, 1.0]))
    np.testing.assert_allclose(ask, [10 * 18 * 1.0, 0.0, 10 * 18 * 0.75, 10 * 18 * 1.25])


def test_config_refuses_rounds_smaller_than_the_trigger():
    from market_sim.config import ConfigError, load_config
    with pytest.raises(ConfigError, match="round_size_months_of_burn"):
        load_config("configs/baseline_2024.yaml", {"financing.round_size_months_of_burn": 16.0})
    load_config("configs/baseline_2024.yaml", {"financing.round_size_months_of_burn": 16.1})


def test_failure_risk_none_for_big_tech_rises_as_runway_shortens():
    r = financing.failure_risk(np.array([False, True, True, True, True]), np.array([1.0, 48.0, 12.0, 0.0, 12.0]),
                               np.array([0.0, 0.0, 0.0, 0.0, 1.0]))
    np.testing.assert_allclose(r, [0.0, 0.0, 0.5, 1.0, 0.8])


def test_raise_probability_is_logistic():
    p = financing.raise_probability(np.array([0.5]), np.array([0.25]), 1.0, -2.0, 2.0, 4.0, 0.0)
    assert p[0] == pytest.approx(0.5)


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
