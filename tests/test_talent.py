import numpy as np
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
    after = h - moves.sum(axis=1) + moves.sum(axis=0)
    assert after.sum() == h.sum()
    assert np.all(after >= 0) and np.all(moves >= 0)
    assert np.all(np.diag(moves) == 0)
    assert moves[~active].sum() == 0              # nobody leaves an inactive vendor by a move
    assert moves[:, ~open_].sum() == 0            # nobody joins a vendor that is not hiring


def test_researchers_flow_toward_attractive_vendors():
    rng = np.random.default_rng(0)
    h = np.array([1000, 1000])
    moves = talent.talent_moves(rng, h, np.ones(2, bool), np.array([0.0, 2.0]), np.ones(2, bool), 0.5, 0.0)
    assert moves[0, 1] > 3 * moves[1, 0]


def test_higher_pay_is_more_attractive():
    a = talent.log_attractiveness(np.array([60_000, 90_000]), np.full(2, 1000.0), np.full(2, 100), np.zeros(2), 1, 0.5, 1)
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
