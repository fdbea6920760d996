import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from market_sim.mechanisms import procurement


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 40), st.integers(1, 12), st.integers(1, 5), st.integers(0, 2**31 - 1))
def test_every_rmb_spent_is_some_vendors_revenue(n_buyers, n_vendors, k, seed):
    rng = np.random.default_rng(seed)
    available = rng.random(n_vendors) < 0.7
    util = rng.normal(size=(n_buyers, n_vendors))
    portfolio = procurement.choose_portfolio(rng.random(util.shape), util, available, k)
    w = procurement.garden_weights(np.take_along_axis(util, np.maximum(portfolio, 0), axis=1), portfolio, 1.0)
    price = rng.uniform(0, 50, n_vendors)
    demand = rng.uniform(0, 1000, n_buyers)
    spend, revenue, tokens = procurement.spend_by_vendor(demand, portfolio, w, price, n_vendors)
    np.testing.assert_allclose(spend.sum(), revenue.sum(), rtol=1e-12)
    assert revenue[~available].sum() == 0
    # portfolios hold distinct available vendors; weights sum to 1 when any vendor is held
    for row, ws in zip(portfolio, w):
        held = row[row >= 0]
        assert len(set(held)) == len(held) and available[held].all()
        assert abs(ws.sum() - (1.0 if len(held) else 0.0)) < 1e-12
    if available.any():
        np.testing.assert_allclose(tokens.sum(), demand.sum())


def test_demand_falls_with_price_and_grows_with_budgets():
    base = np.array([100.0])
    d_cheap = procurement.token_demand(base, 0.1, 0, np.array([1.0]), 20.0, 0.8)
    d_dear = procurement.token_demand(base, 0.1, 0, np.array([40.0]), 20.0, 0.8)
    d_later = procurement.token_demand(base, 0.1, 12, np.array([20.0]), 20.0, 0.8)
    assert d_cheap > base > d_dear
    np.testing.assert_allclose(d_later, 100 * 1.1 ** 12)


def test_home_cloud_focus_and_incumbency_raise_utility():
    u = procurement.buyer_utility(
        sector=np.array([0]), home_cloud=np.array([1]), risk_aversion=np.array([0.0]),
        current_portfolio=np.array([[2, -1]]), price=np.full(4, 1.0), capability_fit=np.zeros((1, 4)),
        focus_sector=np.array([-1, -1, -1, 0]), failure_risk=np.zeros(4),
        b_price=1, b_cap=1, b_cloud=1.5, b_focus=1.2, b_risk=1, switching_cost=0.7)
    np.testing.assert_allclose(u[0] - u[0, 0], [0, 1.5, 0.7, 1.2])


def test_cheaper_vendor_is_chosen_more_often():
    rng = np.random.default_rng(0)
    u = procurement.buyer_utility(np.zeros(5000, int), np.full(5000, -1), np.zeros(5000), np.full((5000, 1), -1),
                                  np.array([1.0, 10.0]), np.zeros((1, 2)), np.full(2, -1), np.zeros(2),
                                  1, 0, 0, 0, 0, 0)
    portfolio = procurement.choose_portfolio(rng.random(u.shape), u, np.ones(2, bool), 1)
    assert (portfolio[:, 0] == 0).mean() > 0.8


def test_each_vendor_is_paid_for_exactly_its_own_tokens():
    # the total check above holds even if revenue goes to the wrong vendor; this one does not
    portfolio = np.array([[0, 2], [2, -1], [1, 0]])
    weights = np.array([[0.25, 0.75], [1.0, 0.0], [0.5, 0.5]])
    price = np.array([2.0, 10.0, 4.0])
    demand = np.array([100.0, 10.0, 40.0])
    spend, revenue, tokens = procurement.spend_by_vendor(demand, portfolio, weights, price, 3)
    np.testing.assert_allclose(tokens, [25 + 20, 20, 75 + 10])
    np.testing.assert_allclose(revenue, [25 * 2 + 20 * 2, 20 * 10, 75 * 4 + 10 * 4])
    np.testing.assert_allclose(spend, [25 * 2 + 75 * 4, 10 * 4, 20 * 10 + 20 * 2])
    np.testing.assert_allclose(procurement.portfolio_price(portfolio, weights, price), [3.5, 4.0, 6.0])
    by_sector = procurement.sector_revenue(demand, portfolio, weights, price, np.array([1, 0, 1]), 2, 3)
    np.testing.assert_allclose(by_sector, [[0, 0, 40], [25 * 2 + 20 * 2, 20 * 10, 75 * 4]])


def test_token_weights_are_a_softmax_of_utility_over_the_portfolio():
    # catches the softmax scale inverted or weights not following utility
    rng = np.random.default_rng(3)
    u = np.array([[0.0, 1.0, 3.0]])
    portfolio = procurement.choose_portfolio(rng.random(u.shape), u, np.array([True, True, False]), 3)
    w = procurement.garden_weights(np.take_along_axis(u, np.maximum(portfolio, 0), axis=1), portfolio, 2.0)
    assert sorted(portfolio[0][:2]) == [0, 1] and portfolio[0][2] == -1
    by_vendor = dict(zip(portfolio[0][:2], w[0][:2]))
    expected = np.exp(np.array([0.0, 1.0]) / 2.0) / np.exp(np.array([0.0, 1.0]) / 2.0).sum()
    np.testing.assert_allclose([by_vendor[0], by_vendor[1]], expected)
    assert w[0][2] == 0


def test_price_capability_and_risk_enter_utility_with_their_signs():
    u = procurement.buyer_utility(
        sector=np.array([0, 1]), home_cloud=np.array([-1, -1]), risk_aversion=np.array([1.0, 0.5]),
        current_portfolio=np.full((2, 1), -1), price=np.array([1.0, 4.0]),
        capability_fit=np.array([[1.0, 2.0], [3.0, 0.0]]), focus_sector=np.full(2, -1),
        failure_risk=np.array([0.0, 0.4]), b_price=1.0, b_cap=2.0, b_cloud=0, b_focus=0, b_risk=3.0, switching_cost=0)
    lp = np.log(np.array([1.0, 4.0]) + procurement.FREE_PRICE_FLOOR)
    np.testing.assert_allclose(u, [[-lp[0] + 2.0, -lp[1] + 4.0 - 1.2], [-lp[0] + 6.0, -lp[1] + 0.0 - 0.6]])
