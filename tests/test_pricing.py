import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from market_sim.mechanisms import pricing


def _bertrand(n=4, p0=20.0, cost=1.0, undercut=0.05, subsidy=0.0, months=200):
    price = np.full(n, p0)
    unit = np.full(n, cost)
    active = np.ones(n, bool)
    floor = pricing.price_floor(unit, np.full(n, subsidy))
    for _ in range(months):
        rival = pricing.cheapest_rival_price(price, active)
        price = pricing.reprice(price, unit, floor, rival, np.ones(n), undercut, max_markup=1e9, tolerance=0.0)
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
    price = np.array([40.0, 1.0])
    unit = np.array([0.5, 0.5])
    floor = pricing.price_floor(unit, np.zeros(2))
    rival = pricing.cheapest_rival_price(price, np.ones(2, bool))
    new = pricing.reprice(price, unit, floor, rival, np.array([0.0, 1.0]), 0.05, 1e9)
    assert new[0] == 40.0


def test_initiative_cuts_to_floor():
    price = np.array([10.0, 10.0])
    unit = np.array([1.0, 1.0])
    floor = pricing.price_floor(unit, np.array([0.9, 0.0]))
    rival = pricing.cheapest_rival_price(price, np.ones(2, bool))
    new = pricing.reprice(price, unit, floor, rival, np.zeros(2), 0.05, 1e9, initiative=np.array([True, False]))
    np.testing.assert_allclose(new, [0.1, 10.0])


def test_tolerance_ignores_small_gaps_but_not_large_ones():
    unit = np.full(2, 0.1)
    floor = pricing.price_floor(unit, np.zeros(2))
    for p_rival, expect_cut in [(6.0, False), (4.0, True)]:
        price = np.array([10.0, p_rival])
        rival = pricing.cheapest_rival_price(price, np.ones(2, bool))
        new = pricing.reprice(price, unit, floor, rival, np.ones(2), 0.0, 1e9, tolerance=1.0)
        assert (new[0] < 10.0) == expect_cut


def test_cheapest_rival_excludes_self_and_inactive():
    price = np.array([1.0, 2.0, 0.5, 3.0])
    active = np.array([True, True, False, True])
    np.testing.assert_allclose(pricing.cheapest_rival_price(price, active), [2.0, 1.0, 1.0, 1.0])


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
    rival = pricing.cheapest_rival_price(p, np.ones(n, bool))
    new = pricing.reprice(p, unit, floor, rival, aggr, undercut, 29.0, tolerance=tolerance)
    assert np.all(new >= floor - 1e-12)
    assert np.all(new <= np.maximum(np.minimum(p, unit * 30.0), floor) + 1e-9)


def test_startup_subsidy_shrinks_with_runway():
    s = pricing.startup_subsidy(np.full(4, 0.6), np.array([3.0, 6.0, 9.0, 30.0]), 6.0, 12.0)
    np.testing.assert_allclose(s, [0.0, 0.0, 0.3, 0.6])
