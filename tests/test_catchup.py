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


def test_leapfrog_is_bounded_and_never_passes_the_global_frontier():
    # catches the copy ratchet: copies overshooting a best that is already at or past the
    # global frontier (the best context climbed every month to 25x the frontier)
    rng = np.random.default_rng(1)
    n = 5000
    cap = np.zeros((n, 1))
    best = np.array([1.0])
    lag = np.full((n, 1), 1e-6)  # everybody copies now
    room, _ = catchup.imitate(rng, cap, best, np.array([5.0]), lag, np.array([0.4]), np.ones(n, bool))
    some, _ = catchup.imitate(rng, cap, best, np.array([1.2]), lag, np.array([0.4]), np.ones(n, bool))
    none, _ = catchup.imitate(rng, cap, best, np.array([0.5]), lag, np.array([0.4]), np.ones(n, bool))
    assert room.max() <= 1.0 + 0.8 + 1e-12            # at most 2 x leapfrog past the best
    assert abs(room.mean() - 1.4) < 0.02              # mean overshoot = leapfrog, with room below the frontier
    assert some.max() == pytest.approx(1.2) and some.min() >= 1.0   # capped at the frontier
    assert (none == 1.0).all()                        # best past the frontier: copies land on it


def test_headline_only_for_the_months_new_best():
    # catches the headline bug: every copier passing last month's best made the news
    before = np.array([10.0, 5.0])
    cap = np.array([[11.0, 5.0], [12.0, 6.0], [10.5, 4.0], [13.0, 1.0]])
    released = np.array([[True, True], [True, True], [True, False], [True, False]])
    active = np.array([True, True, True, False])   # the inactive vendor's 13 is no domestic best
    news = catchup.headlines(released, cap, before, active)
    np.testing.assert_array_equal(news, [[False, False], [True, True], [False, False], [False, False]])
    assert not catchup.headlines(released, np.minimum(cap, 4.0), before, active).any()


def test_published_weights_are_copied_whoever_publishes_them():
    # catches the open-weights shortcut applied only when the feature's leader publishes
    rng = np.random.default_rng(5)
    n = 4000
    cap = np.zeros((n, 1))
    best, best_open = np.array([10.0]), np.array([6.0])
    slow = np.full((n, 1), 1e9)                      # nobody copies the closed best
    fast = np.full((n, 1), 1e-9)                     # everybody copies the published weights
    new, copied = catchup.catch_up(rng, cap, best, np.array([20.0]), slow, np.zeros(1), np.ones(n, bool),
                                   np.ones(1), np.array([False]), best_open, fast)
    assert copied.all() and np.allclose(new, 6.0)
    new, _ = catchup.catch_up(rng, cap, best, np.array([20.0]), slow, np.zeros(1), np.ones(n, bool),
                              np.ones(1), np.array([True]), best_open, fast)
    assert np.allclose(new, 6.0)                     # diffusion toward published weights too


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
    behind = np.full((5000, 1), -100.0)      # far below the frontier: effort counts in full
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


# ---------------------------------------------------------------- R&D strength
# Each test names the bug it catches; the elasticities are the baseline's order of magnitude.
TE, CE = 0.5, 0.3


def strength(h, skill=1.0, gpus_per_head=10.0, te=TE, ce=CE, gpus=None):
    h = np.atleast_1d(np.asarray(h, float))
    g = h * gpus_per_head if gpus is None else np.broadcast_to(np.asarray(gpus, float), h.shape)
    return catchup.rd_strength(h, np.broadcast_to(np.asarray(skill, float), h.shape), g, te, ce)


def test_reference_lab_has_strength_one():
    # 500 researchers of skill 1 with 10 GPUs each is the unit (catches a wrong reference)
    np.testing.assert_allclose(strength(500.0), [1.0])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(1, 5000), min_size=1, max_size=10), st.floats(1, 5000),
       st.floats(0.5, 40.0), st.floats(0.05, 1.0))
def test_more_researchers_more_strength(headcount, extra_people, gpus_per_head, te):
    # catches an inverted or dropped talent effect, e.g. (h / reference) ** -talent_elasticity
    h = np.array(headcount)
    base = strength(h, gpus_per_head=gpus_per_head, te=te)
    more = strength(h + extra_people, gpus_per_head=gpus_per_head, te=te)
    assert np.all(more > base)
    # and exactly by (h'/h) ** talent_elasticity at the same compute per head
    np.testing.assert_allclose(more / base, ((h + extra_people) / h) ** te, rtol=1e-9)


@settings(max_examples=100, deadline=None)
@given(st.floats(1, 5000), st.floats(1, 5000), st.floats(100, 1e6))
def test_more_researchers_on_the_same_gpus_still_more_strength_when_talent_dominates(h, extra_people, gpus):
    # fixed total GPUs: strength ~ h^(te - ce), increasing for te > ce (density beats headcount,
    # but talent still counts); catches the talent effect inverted or weaker than compute
    assert strength(h + extra_people, gpus=gpus)[0] > strength(h, gpus=gpus)[0]


@settings(max_examples=100, deadline=None)
@given(st.floats(1, 5000), st.floats(0.1, 3.0), st.floats(1.01, 4.0))
def test_more_skill_more_strength_in_proportion(h, skill, factor):
    # catches skill dropped or entering with the wrong sign/power
    base = strength(h, skill=skill)[0]
    better = strength(h, skill=skill * factor)[0]
    assert better > base
    assert better / base == pytest.approx(factor, rel=1e-9)


@settings(max_examples=100, deadline=None)
@given(st.floats(1, 5000), st.floats(0.5, 40.0), st.floats(1.01, 8.0))
def test_more_compute_per_head_more_strength(h, gpus_per_head, factor):
    # catches the compute effect inverted (per_head ** -elasticity, heads / gpus) or dropped
    base = strength(h, gpus_per_head=gpus_per_head)[0]
    more = strength(h, gpus_per_head=gpus_per_head * factor)[0]
    assert more > base
    assert more / base == pytest.approx(factor ** CE, rel=1e-9)
    # with zero compute elasticity GPUs do not matter
    assert strength(h, gpus_per_head=gpus_per_head * factor, ce=0.0)[0] == pytest.approx(
        strength(h, gpus_per_head=gpus_per_head, ce=0.0)[0])


def test_zero_headcount_is_zero_strength_whatever_the_gpus_and_skill():
    # catches the h > 0 guard dropped (an empty lab with GPUs would innovate and copy)
    for te in (TE, 0.0):  # also at zero talent elasticity, where 0 ** te is 1
        s = catchup.rd_strength(np.array([0.0, -3.0, 0.0]), np.array([2.0, 1.0, 1.0]),
                                np.array([1e6, 1e4, 0.0]), te, CE)
        np.testing.assert_array_equal(s, [0.0, 0.0, 0.0])
    assert strength(1.0)[0] > 0


# ---------------------------------------------------------------- expected copy lag
@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0.01, 100), min_size=2, max_size=8), st.floats(0.5, 24), st.floats(0.05, 0.95))
def test_copy_lag_shortens_with_strength_and_open_weights(strengths, base_lag, factor):
    # catches the lag growing with strength (base * sqrt(s)) and the open-weights factor ignored
    s = np.sort(np.array(strengths))
    closed = catchup.expected_copy_lag(base_lag, s, np.array([False]), factor)[:, 0]
    open_ = catchup.expected_copy_lag(base_lag, s, np.array([True]), factor)[:, 0]
    assert np.all(np.diff(closed) <= 0)
    distinct = np.diff(s) > 1e-6 * s[1:]
    assert np.all(np.diff(closed)[distinct] < 0)
    np.testing.assert_allclose(open_, factor * closed)
    assert np.all(open_ < closed)
    # the reference lab (strength 1) has the base lag
    lag = catchup.expected_copy_lag(base_lag, np.array([1.0]), np.array([False]), factor)
    assert lag[0, 0] == pytest.approx(base_lag)


# ---------------------------------------------------------------- innovation, exact expectations
def test_innovation_damping_is_exp_of_distance_past_frontier_over_scale():
    # catches damping dropped, applied to vendors behind the frontier, or ignoring damping_scale
    rng = np.random.default_rng(11)
    n, rate, step = 200_000, 2.0, 0.5
    rates = np.full(n, rate)
    frontier = np.array([10.0])
    behind = catchup.innovate(rng, np.full((n, 1), 7.0), frontier, rates, np.array([step]))[0] - 7.0
    ahead = catchup.innovate(rng, np.full((n, 1), 11.0), frontier, rates, np.array([step]))[0] - 11.0
    scaled = catchup.innovate(rng, np.full((n, 1), 11.0), frontier, rates, np.array([step]),
                              np.array([2.0]))[0] - 11.0
    assert behind.mean() == pytest.approx(rate * step, rel=0.02)            # no damping behind
    # past the frontier, by the integral: gain = s ln(e^(a/s) + effort/s) - a with a = 1
    effort = catchup.innovate(np.random.default_rng(11), np.full((n, 1), 7.0), np.array([1e9]), rates,
                              np.array([step]))[0] - 7.0       # the same draws, undamped
    for got, s in ((ahead, step), (scaled, 2.0)):
        expected = s * np.logaddexp(1.0 / s, np.log(np.maximum(effort[:, 0], 1e-300) / s)) - 1.0
        expected = np.where(effort[:, 0] > 0, expected, 0.0)
        assert got.mean() == pytest.approx(expected.mean(), rel=0.03)
        assert got.mean() < rate * step * np.exp(-1.0 / s) * 1.05          # never more than the rectangle rule


def test_past_frontier_limits():
    # catches a lucky release jumping far past the frontier from below (3.2M tokens against a
    # 1.07M frontier in one month) and the undamped part below the frontier
    f, s = np.array([10.0]), np.array([0.1])
    cap = np.array([[9.0], [9.0], [10.5]])
    out = catchup.past_frontier(cap, np.array([[0.5], [3.0], [0.0]]), f, s)
    assert out[0, 0] == pytest.approx(9.5)                              # below F: in full
    assert out[1, 0] == pytest.approx(10.0 + 0.1 * np.log1p(2.0 / 0.1))  # 2 of 3 past F: ~0.30 past
    assert out[2, 0] == pytest.approx(10.5)                             # no effort, no change


def test_innovation_rate_per_vendor_and_feature():
    # a (vendors x features) rate is used as given: catches rates applied to the wrong axis
    rng = np.random.default_rng(12)
    n = 50_000
    rate = np.tile([[0.0, 3.0]], (n, 1))
    new, released = catchup.innovate(rng, np.zeros((n, 2)), np.array([1e9, 1e9]), rate, np.array([1.0, 1.0]))
    assert not released[:, 0].any() and (new[:, 0] == 0).all()
    assert new[:, 1].mean() == pytest.approx(3.0, rel=0.02)


# ---------------------------------------------------------------- imitation
@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**31 - 1), st.floats(0.0, 2.0))
def test_imitation_copies_only_from_behind_and_never_lowers_capability(seed, leapfrog):
    # catches copying by vendors at or above the public best (which would pull leaders down
    # to the best or push them up by a leapfrog) and copies that lower capability
    rng = np.random.default_rng(seed)
    cap = rng.uniform(0, 10, (40, 3))
    best = np.array([5.0, 5.0, 5.0])
    new, copied = catchup.imitate(rng, cap, best, rng.uniform(0, 10, 3), np.full((40, 3), 1e-9),
                                  np.full(3, leapfrog), np.ones(40, bool), np.array([1.0, 0.5, 0.0]))
    assert not copied[cap >= best[None, :]].any()
    np.testing.assert_array_equal(new[cap >= best[None, :]], cap[cap >= best[None, :]])
    assert (new >= cap).all()
    assert copied[cap < best[None, :]].all()  # zero lag: every follower copies


def test_copy_share_closes_that_share_of_the_gap():
    # catches copy_share ignored (a closed general model copied whole) or applied to the level
    rng = np.random.default_rng(13)
    cap = np.array([[2.0, 2.0, 2.0]])
    new, copied = catchup.imitate(rng, cap, np.array([10.0, 10.0, 10.0]), np.array([20.0, 20.0, 20.0]),
                                  np.full((1, 3), 1e-9), np.zeros(3), np.ones(1, bool), np.array([1.0, 0.25, 0.0]))
    assert copied.all()
    np.testing.assert_allclose(new[0], [10.0, 4.0, 2.0])


# ---------------------------------------------------------------- diffusion, hype, gaps
def test_diffusion_closes_one_minus_exp_of_the_gap_each_month_per_vendor_lag():
    # catches a wrong fraction (1/lag, exp(-1/lag)) or a lag taken from the wrong vendor
    cap = np.array([[0.0], [4.0], [12.0]])
    lag = np.array([[1.0], [3.0], [1.0]])
    out = catchup.diffuse(cap, np.array([10.0]), lag, np.ones(3, bool))
    np.testing.assert_allclose(out[:, 0], [10 * (1 - np.exp(-1.0)), 4 + 6 * (1 - np.exp(-1 / 3)), 12.0])


def test_hype_release_without_headline_and_no_release():
    # catches headlines counted without a release, or releases counted per vendor not per feature
    hype = catchup.hype_after(np.array([1.0, 1.0, 1.0]),
                              np.array([[True, True], [False, False], [True, False]]),
                              np.array([[False, True], [True, True], [False, False]]), 0.2, 0.1, 1.0)
    np.testing.assert_allclose(hype, [0.8 + 0.2 + 1.0, 0.8, 0.8 + 0.1])


def test_gap_months_is_distance_behind_in_months_and_zero_when_ahead():
    g = catchup.gap_months(np.array([[1.0, 5.0], [4.0, 1.0]]), np.array([3.0, 4.0]), np.array([0.5, 2.0]))
    np.testing.assert_allclose(g, [[4.0, 0.0], [0.0, 1.5]])
