import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from market_sim.mechanisms import talent


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(0, 5000), min_size=2, max_size=15), st.floats(0, 1), st.floats(0, 1),
       st.integers(0, 2**31 - 1))
def test_moves_conserve_researchers(headcount, mobility, friction, seed):
    rng = np.random.default_rng(seed)
    h = np.array(headcount, np.int64)
    n = h.size
    attr = rng.normal(size=n)
    active = rng.random(n) < 0.8
    open_ = active & (rng.random(n) < 0.8)
    moves = talent.talent_moves(rng, h, active, attr, open_, mobility, friction)
    # nobody moves who is not there: a source loses at most its researchers (a draw not
    # bounded by headcount, e.g. Poisson movers, creates researchers); moves are integers.
    # (h - out + in summed over vendors is h.sum() for ANY matrix, so it is no test.)
    assert moves.dtype.kind == "i"
    assert np.all(moves.sum(axis=1) <= h)
    assert np.all(moves >= 0)
    assert np.all(np.diag(moves) == 0)
    assert moves[~active].sum() == 0              # nobody leaves an inactive vendor by a move
    assert moves[:, ~open_].sum() == 0            # nobody joins a vendor that is not hiring


def test_researchers_flow_toward_attractive_vendors():
    rng = np.random.default_rng(0)
    h = np.array([1000, 1000])
    moves = talent.talent_moves(rng, h, np.ones(2, bool), np.array([0.0, 2.0]), np.ones(2, bool), 0.5, 0.0)
    assert moves[0, 1] > 3 * moves[1, 0]


def test_higher_pay_is_more_attractive():
    a = talent.log_attractiveness(np.array([60_000, 90_000]), np.full(2, 1000.0), np.full(2, 100), np.zeros(2),
                                  1, 0.5, 1)
    assert a[1] > a[0]


def test_pool_hires_never_exceed_pool():
    rng = np.random.default_rng(1)
    hires = talent.pool_hires(rng, 100, 1.0, np.zeros(4), np.array([True, True, False, True]))
    assert hires.sum() == 100 and hires[2] == 0


def test_skill_is_a_weighted_mean():
    h = np.array([100, 100])
    skill = np.array([1.0, 2.0])
    moves = np.array([[0, 50], [0, 0]])
    s = talent.skill_after_moves(h, skill, moves, np.zeros(2, np.int64), 0.8)
    np.testing.assert_allclose(s, [1.0, (100 * 2.0 + 50 * 1.0) / 150])


def test_key_hire_carries_part_of_the_source_lead_and_never_lowers_capability():
    cap = np.array([[10.0, 5.0], [4.0, 6.0]])
    key = np.array([[0, 1], [0, 0]])
    out = talent.knowhow_transfer(cap, key, 0.5)
    np.testing.assert_allclose(out[1], [7.0, 6.0])
    np.testing.assert_allclose(out[0], cap[0])


def test_movers_are_the_looking_share_times_the_chance_of_leaving():
    # E[movers out of i] = h_i x mobility x (1 - friction) x (1 - P[i stays]): catches the
    # noncompete friction ignored, mobility misapplied, or stayers counted as movers
    rng = np.random.default_rng(7)
    h = np.array([20_000, 20_000, 20_000])
    attr = np.array([0.0, 1.0, -1.0])
    open_ = np.ones(3, bool)
    probs = talent.destination_probabilities(attr, open_)
    total = np.zeros((3, 3))
    reps = 50
    for _ in range(reps):
        total += talent.talent_moves(rng, h, open_, attr, open_, 0.2, 0.5)
    expected = h * 0.2 * 0.5 * (1 - np.diag(probs))
    np.testing.assert_allclose(total.sum(axis=1) / reps, expected, rtol=0.03)
    np.testing.assert_allclose(total / reps, (h * 0.1)[:, None] * probs * (1 - np.eye(3)), rtol=0.05)


def test_destination_probabilities_rows_are_distributions_over_hiring_vendors():
    attr = np.array([0.0, 1.0, 2.0, 0.5])
    open_ = np.array([True, True, False, True])
    probs = talent.destination_probabilities(attr, open_)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    # a closed vendor receives nobody but its own researchers may stay
    assert (probs[[0, 1, 3], 2] == 0).all() and probs[2, 2] > 0
    # logit over log attractiveness
    np.testing.assert_allclose(probs[0, [0, 1, 3]], np.exp(attr[[0, 1, 3]]) / np.exp(attr[[0, 1, 3]]).sum())


def test_pool_hires_at_the_hiring_rate_only_by_hiring_vendors():
    # catches the hiring rate ignored (everybody hired at once) or hires by closed vendors
    rng = np.random.default_rng(8)
    draws = np.array([talent.pool_hires(rng, 1000, 0.3, np.array([0.0, 1.0, 5.0]), np.array([True, True, False]))
                      for _ in range(200)])
    assert draws[:, 2].sum() == 0 and (draws.sum(axis=1) <= 1000).all()
    assert draws.sum(axis=1).mean() == pytest.approx(300, rel=0.02)
    assert draws[:, 1].sum() / draws.sum() == pytest.approx(np.e / (1 + np.e), abs=0.01)
    assert talent.pool_hires(rng, 0, 1.0, np.zeros(3), np.ones(3, bool)).sum() == 0
    assert talent.pool_hires(rng, 50, 1.0, np.zeros(3), np.zeros(3, bool)).sum() == 0


def test_pool_hires_bring_the_pool_skill():
    h = np.array([100, 0])
    s = talent.skill_after_moves(h, np.array([1.5, 1.0]), np.zeros((2, 2), np.int64), np.array([100, 10]), 0.5)
    np.testing.assert_allclose(s, [(100 * 1.5 + 100 * 0.5) / 200, 0.5])


def test_key_hires_are_movers_at_rate_times_skill():
    # catches key hires drawn independently of the movers (more key hires than movers)
    rng = np.random.default_rng(9)
    moves = np.array([[0, 100_000], [50, 0]])
    key = talent.key_hires(rng, moves, np.array([0.5, 10.0]), 0.1)
    assert (key <= moves).all()
    assert key[0, 1] == pytest.approx(100_000 * 0.05, rel=0.05)
    assert key[1, 0] == 50  # probability capped at 1


def test_know_how_comes_from_the_best_source_and_nothing_without_key_hires():
    cap = np.array([[10.0, 5.0], [4.0, 6.0], [8.0, 9.0]])
    key = np.array([[0, 1, 0], [0, 0, 0], [0, 1, 0]])
    out = talent.knowhow_transfer(cap, key, 0.5)
    np.testing.assert_allclose(out[1], [4.0 + 0.5 * 6.0, 6.0 + 0.5 * 3.0])
    np.testing.assert_allclose(talent.knowhow_transfer(cap, np.zeros((3, 3), int), 0.5), cap)
