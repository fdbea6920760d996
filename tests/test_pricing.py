import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from market_sim.mechanisms import pricing


def _month(price, unit, aggressiveness, undercut=0.05, subsidy=0.0, gap=None, initiative=None, tolerance=0.0,
           max_markup=1e9, active=None, followed=None):
    """One month of the price war as the model applies it (`pricing.next_prices`)."""
    n = price.size
    active = np.ones(n, bool) if active is None else active
    return pricing.next_prices(
        price, unit, np.full(n, subsidy), np.zeros(n) if gap is None else gap,
        active if followed is None else followed, 0.1, aggressiveness, undercut, max_markup,
        np.zeros(n, bool) if initiative is None else initiative, tolerance, active)


def _bertrand(n=4, p0=20.0, cost=1.0, undercut=0.05, subsidy=0.0, months=200):
    price = np.full(n, p0)
    unit = np.full(n, cost)
    for _ in range(months):
        price = _month(price, unit, np.ones(n), undercut=undercut, subsidy=subsidy)
    return price


def test_bertrand_limit_identical_vendors_end_at_unit_cost():
    price = _bertrand()
    np.testing.assert_allclose(price, 1.0)


def test_bertrand_limit_reached_from_any_start_and_undercut():
    for p0, u in [(2.0, 0.01), (500.0, 0.3), (1.0001, 0.5)]:
        np.testing.assert_allclose(_bertrand(p0=p0, undercut=u, months=2000), 1.0)


def test_subsidy_takes_prices_below_unit_cost():
    price = _bertrand(subsidy=0.5)
    np.testing.assert_allclose(price, 0.5)


def test_no_undercut_means_matching_keeps_equal_prices():
    # matching without undercutting is not Bertrand: equal prices stay where they are
    np.testing.assert_allclose(_bertrand(undercut=0.0), 20.0)


def test_refusing_vendor_keeps_its_price():
    new = _month(np.array([40.0, 1.0]), np.array([0.5, 0.5]), np.array([0.0, 1.0]))
    assert new[0] == 40.0


def test_initiative_cuts_to_floor():
    price, unit = np.array([10.0, 10.0]), np.array([1.0, 1.0])
    new = pricing.next_prices(price, unit, np.array([0.9, 0.0]), np.zeros(2), np.ones(2, bool), 0.1, np.zeros(2),
                              0.05, 1e9, np.array([True, False]), 0.0, np.ones(2, bool))
    np.testing.assert_allclose(new, [0.1, 10.0])


def test_tolerance_ignores_small_gaps_but_not_large_ones():
    for p_rival, expect_cut in [(6.0, False), (4.0, True)]:
        new = _month(np.array([10.0, p_rival]), np.full(2, 0.1), np.ones(2), undercut=0.0, tolerance=1.0)
        assert (new[0] < 10.0) == expect_cut


def test_inactive_and_unfollowed_rivals_set_no_price():
    price = np.array([10.0, 0.5, 0.5])
    unit = np.full(3, 0.1)
    # rival 1 has left the market and rival 2 has too small a share to be followed: nobody cuts
    new = _month(price, unit, np.ones(3), active=np.array([True, False, True]),
                 followed=np.array([True, False, False]))
    np.testing.assert_allclose(new, price)
    # followed, the same rival pulls vendor 0 down; an inactive vendor keeps its price whatever happens
    new = _month(price, unit, np.ones(3), active=np.array([True, False, True]))
    assert new[0] < 10.0 and new[1] == 0.5


def test_a_better_model_answers_a_cheaper_rival_less():
    price, unit = np.array([10.0, 2.0]), np.full(2, 0.1)
    level = _month(price, unit, np.ones(2), undercut=0.0)[0]
    ahead = _month(price, unit, np.ones(2), undercut=0.0, gap=np.array([0.0, 10.0]))[0]
    np.testing.assert_allclose(level, 2.0)
    np.testing.assert_allclose(ahead, 2.0 * np.e)   # worth e times more at 10 months ahead and 0.1 a month


def test_followed_rivals_need_a_share_and_to_be_active():
    followed = pricing.followed_rivals(np.array([True, True, False]), np.array([0.5, 0.01, 0.5]), 0.02)
    np.testing.assert_array_equal(followed, [True, False, False])


def test_initiative_needs_ambition_a_ready_model_and_the_race():
    ambition = np.array([0.3, 0.3, 0.3, 0.1])
    share = np.array([0.1, 0.1, 0.1, 0.2])
    gap = np.array([2.0, 6.0, 2.0, 0.0])
    racing = np.array([True, True, False, True])
    np.testing.assert_array_equal(pricing.takes_initiative(ambition, share, gap, 4.0, racing),
                                  [True, False, False, False])


def test_big_techs_subsidise_in_full_startups_by_runway():
    s = pricing.affordable_subsidy(np.array([True, False, False]), np.full(3, 0.5), np.array([1.0, 1.0, 30.0]),
                                   6.0, 12.0)
    np.testing.assert_allclose(s, [0.5, 0.0, 0.5])


def test_quality_adjustment_lets_better_models_charge_more():
    price = np.array([10.0, 5.0])
    q = np.array([10.0, 0.0])  # vendor 0 is ten months ahead
    ref = pricing.quality_adjusted_rival_price(price, q, np.ones(2, bool), 0.1)
    np.testing.assert_allclose(ref[0], 5.0 * np.e)
    np.testing.assert_allclose(ref[1], 10.0 / np.e)


def test_unit_cost_halves_every_halving_period():
    c = pricing.unit_serving_cost(np.array([0, 12, 24]), 2.0, 12.0, 1.0)
    np.testing.assert_allclose(c, [2.0, 1.0, 0.5])


prices = st.lists(st.floats(0.01, 1000.0), min_size=2, max_size=12)


@settings(max_examples=200, deadline=None)
@given(prices, st.floats(0.0, 1.0), st.floats(0.0, 0.5), st.floats(0.0, 2.0), st.data())
def test_reprice_never_below_floor_nor_above_old_price_or_ceiling(p, subsidy, undercut, tolerance, data):
    p = np.array(p)
    n = p.size
    unit = np.array(data.draw(st.lists(st.floats(0.01, 10.0), min_size=n, max_size=n)))
    aggr = np.array(data.draw(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n)))
    floor = pricing.price_floor(unit, np.full(n, subsidy))
    gap = np.array(data.draw(st.lists(st.floats(0.0, 24.0), min_size=n, max_size=n)))
    new = _month(p, unit, aggr, undercut=undercut, subsidy=subsidy, gap=gap, tolerance=tolerance, max_markup=29.0)
    assert np.all(new >= floor - 1e-12)
    assert np.all(new <= np.maximum(np.minimum(p, unit * 30.0), floor) + 1e-9)


def test_startup_subsidy_shrinks_with_runway():
    s = pricing.startup_subsidy(np.full(4, 0.6), np.array([3.0, 6.0, 9.0, 30.0]), 6.0, 12.0)
    np.testing.assert_allclose(s, [0.0, 0.0, 0.3, 0.6])
