import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from market_sim.mechanisms import catchup


def test_copy_probability_is_exponential_lag():
    lag = np.array([0.5, 1.0, 2.0])
    np.testing.assert_allclose(catchup.copy_probability(lag), 1 - np.exp(-1 / lag))


def test_imitation_closes_gap_within_lag_on_average():
    # 10,000 followers with a one-month expected lag: after two months ~86% have caught up
    rng = np.random.default_rng(0)
    n = 10_000
    cap = np.zeros((n, 1))
    best = np.array([1.0])
    frontier = np.array([5.0])
    lag = np.full((n, 1), 1.0)
    for _ in range(2):
        cap, _ = catchup.imitate(rng, cap, best, frontier, lag, np.array([0.0]), np.ones(n, bool))
    caught = (cap[:, 0] >= 1.0).mean()
    assert abs(caught - (1 - np.exp(-2))) < 0.02


def test_leapfrog_is_bounded_and_damped_past_the_frontier():
    rng = np.random.default_rng(1)
    n = 5000
    cap = np.zeros((n, 1))
    best = np.array([1.0])
    lag = np.full((n, 1), 1e-6)  # everybody copies now
    near, _ = catchup.imitate(rng, cap, best, np.array([1.0]), lag, np.array([0.4]), np.ones(n, bool))
    far, _ = catchup.imitate(rng, cap, best, np.array([0.0]), lag, np.array([0.4]), np.ones(n, bool))
    assert near.max() <= 1.0 + 0.8 + 1e-12           # at most 2 x leapfrog past the best
    assert abs(near.mean() - 1.4) < 0.02              # mean overshoot = leapfrog
    assert far.mean() - 1.0 < 0.4 * np.exp(-1 / 0.4) + 0.01   # damped when the best is past the frontier


def test_vendor_that_cannot_copy_does_not():
    rng = np.random.default_rng(2)
    cap = np.zeros((3, 2))
    out, copied = catchup.imitate(rng, cap, np.ones(2), np.ones(2), np.full((3, 2), 1e-9), np.zeros(2),
                                  np.array([True, False, True]))
    assert not copied[1].any() and (out[1] == 0).all() and copied[[0, 2]].all()


def test_innovation_releases_at_rate_and_only_increases():
    rng = np.random.default_rng(3)
    cap = np.zeros((20_000, 1))
    new, released = catchup.innovate(rng, cap, np.array([10.0]), np.full(20_000, 0.5), np.array([1.0]))
    assert abs(released.mean() - (1 - np.exp(-0.5))) < 0.01
    assert (new >= cap).all() and (new[~released] == 0).all()


@pytest.mark.parametrize("rate", [0.2, 1.0, 4.0])
def test_expected_progress_is_rate_times_step_without_saturating(rate):
    # a month's releases are Poisson(rate); at rate 4 a one-release-a-month draw would give 0.98 x step
    rng = np.random.default_rng(5)
    cap = np.zeros((50_000, 1))
    new, _ = catchup.innovate(rng, cap, np.array([1e9]), np.full(50_000, rate), np.array([0.5]))
    assert new.mean() == pytest.approx(rate * 0.5, rel=0.02)


def test_diffusion_closes_the_gap_with_the_lag_as_time_constant():
    cap = np.array([[0.0], [0.0], [10.0]])
    best = np.array([10.0])
    lag = np.full((3, 1), 4.0)
    can = np.array([True, False, True])
    path = [cap]
    for _ in range(8):
        path.append(catchup.diffuse(path[-1], best, lag, can))
    np.testing.assert_allclose(10.0 - path[-1][0, 0], 10.0 * np.exp(-8 / 4.0))  # gap x e^(-t/lag)
    assert path[-1][1, 0] == 0.0 and path[-1][2, 0] == 10.0  # cannot copy; already at the best
    assert all((p <= 10.0).all() for p in path)  # nobody passes the best by diffusion


def test_innovation_is_harder_past_the_frontier():
    rng = np.random.default_rng(4)
    behind = np.zeros((5000, 1))
    ahead = np.full((5000, 1), 3.0)
    g_behind = catchup.innovate(rng, behind, np.array([0.0]), np.full(5000, 5.0), np.array([1.0]))[0] - behind
    g_ahead = catchup.innovate(rng, ahead, np.array([0.0]), np.full(5000, 5.0), np.array([1.0]))[0] - ahead
    assert g_ahead.mean() < 0.1 * g_behind.mean()


def test_hype_decays_and_headlines_count_more():
    hype = catchup.hype_after(np.array([2.0, 2.0]), np.array([[True], [True]]), np.array([[True], [False]]),
                              0.5, 0.1, 1.0)
    np.testing.assert_allclose(hype, [1.0 + 0.1 + 1.0, 1.0 + 0.1])


def test_best_public_level_ignores_inactive():
    cap = np.array([[5.0, 1.0], [9.0, 2.0], [7.0, 3.0]])
    best, leader = catchup.best_public_level(cap, np.array([True, False, True]))
    np.testing.assert_allclose(best, [7.0, 3.0])
    assert list(leader) == [2, 2]


def test_open_weights_leader_halves_the_lag():
    lag = catchup.expected_copy_lag(2.0, np.array([1.0, 4.0]), np.array([True, False]), 0.5)
    np.testing.assert_allclose(lag, [[1.0, 2.0], [0.5, 1.0]])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0, 1000), min_size=1, max_size=10), st.floats(0, 5000), st.floats(0, 1e5))
def test_rd_strength_grows_with_talent_and_compute(headcount, extra_people, extra_gpus):
    h = np.array(headcount)
    base = catchup.rd_strength(h, np.ones_like(h), np.full_like(h, 1000.0), 0.5, 0.3)
    more_gpus = catchup.rd_strength(h, np.ones_like(h), np.full_like(h, 1000.0 + extra_gpus), 0.5, 0.3)
    assert np.all(more_gpus >= base - 1e-12)
    assert np.all(base >= 0)
