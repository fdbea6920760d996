"""Enterprise procurement: model gardens chosen through the home cloud.

A buyer reviewing its portfolio scores every available vendor by
    U = -b_price log(price + 0.1) - b_cap sum_f need_f gap_f (months behind the domestic best)
        + b_cloud [vendor runs the buyer's cloud] + b_focus [vendor focuses on its sector]
        - b_risk risk_aversion failure_risk + switching_cost [already in the portfolio]
plus Gumbel noise, keeps the best `portfolio_size` vendors, and splits its tokens among them
by a softmax of U. Demand grows (budgets 2-5x a year) and falls with the portfolio price
(constant elasticity). Every RMB a buyer spends is the revenue of a portfolio vendor.
"""

from __future__ import annotations

import numpy as np

from .. import kernels
from ..numerics import softmax
from ..streams import SparseUniforms

FREE_PRICE_FLOOR = 0.1  # RMB per million tokens: keeps log(price) finite for free tiers


def buyer_utility(sector: np.ndarray, home_cloud: np.ndarray, risk_aversion: np.ndarray,
                  current_portfolio: np.ndarray, price: np.ndarray, capability_fit: np.ndarray,
                  focus_sector: np.ndarray, failure_risk: np.ndarray, b_price: float, b_cap: float,
                  b_cloud: float, b_focus: float, b_risk: float, switching_cost: float,
                  vendors: np.ndarray | None = None) -> np.ndarray:
    """Utility U of vendors to buyers (rows of the buyer arrays given). `capability_fit` is
    (sectors x vendors). `vendors` (buyers x k vendor rows) says which vendors to score for
    each buyer, e.g. its garden; by default every vendor, giving (buyers x vendors). Each
    entry is the same number whichever set is asked for (a -1 slot gets a meaningless value:
    mask it)."""
    if vendors is not None and kernels.enabled():
        return kernels.buyer_utility(sector, home_cloud, risk_aversion, current_portfolio,
                                     -b_price * np.log(price + FREE_PRICE_FLOOR), capability_fit, focus_sector,
                                     failure_risk, b_cap, b_cloud, b_focus, b_risk, switching_cost, vendors)
    if vendors is not None:   # the same terms, gathered for each buyer's own vendors
        u = (-b_price * np.log(price + FREE_PRICE_FLOOR))[vendors] + b_cap * capability_fit[sector[:, None], vendors]
        u = u + b_cloud * (home_cloud[:, None] == vendors)
        u = u + b_focus * (focus_sector[vendors] == sector[:, None])
        u = u - b_risk * risk_aversion[:, None] * failure_risk[vendors]
        held = (current_portfolio[:, :, None] == vendors[:, None, :]).any(axis=1) & (vendors >= 0)
        return u + switching_cost * held
    n_v = price.shape[0]
    u = -b_price * np.log(price + FREE_PRICE_FLOOR)[None, :] + b_cap * capability_fit[sector]
    u = u + b_cloud * (home_cloud[:, None] == np.arange(n_v)[None, :])
    u = u + b_focus * (focus_sector[None, :] == sector[:, None])
    u = u - b_risk * risk_aversion[:, None] * failure_risk[None, :]
    held = np.zeros(u.shape, bool)
    rows = np.repeat(np.arange(u.shape[0]), current_portfolio.shape[1])
    cols = current_portfolio.ravel()
    held[rows[cols >= 0], cols[cols >= 0]] = True
    return u + switching_cost * held


def choose_portfolio(uniform: np.ndarray, utility: np.ndarray, available: np.ndarray, size: int) -> np.ndarray:
    """Top-`size` available vendors by utility + Gumbel noise, best first: each buyer's new
    garden (vendor rows, -1 where fewer vendors are available). The Gumbel noise is
    -ln(-ln u) of the given uniforms (one per buyer and vendor). Token weights within the
    garden are `garden_weights`."""
    gumbel = -np.log(-np.log(np.clip(uniform, 1e-300, 1.0 - 1e-16)))
    noisy = (utility if available.all() else np.where(available[None, :], utility, -np.inf)) + gumbel
    if kernels.enabled():
        return kernels.top_k_columns(noisy, size)
    k = min(size, utility.shape[1])
    top = _top_k(noisy, k)
    portfolio = np.where(np.isfinite(np.take_along_axis(noisy, top, axis=1)), top, -1).astype(np.int32)
    if k < size:
        portfolio = np.pad(portfolio, ((0, 0), (0, size - k)), constant_values=-1)
    return portfolio


def _top_k(score: np.ndarray, k: int) -> np.ndarray:
    """Columns of the k highest scores per row, best first: a partial sort (k is small), the
    same columns as a full descending sort wherever the scores differ."""
    if k >= score.shape[1]:
        return np.argsort(-score, axis=1, kind="stable")
    part = np.argpartition(-score, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(score, part, axis=1), axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1)


def portfolio_price(portfolio: np.ndarray, weights: np.ndarray, price: np.ndarray) -> np.ndarray:
    """Token-weighted price each buyer pays (RMB per million tokens)."""
    if kernels.enabled():
        return kernels.portfolio_price(portfolio, weights, price)
    p = np.where(portfolio >= 0, price[np.maximum(portfolio, 0)], 0.0)
    return (p * weights).sum(axis=1)


def token_demand(base_demand: np.ndarray, growth_per_month: float, month: int,
                 paid_price: np.ndarray, reference_price: float, elasticity: float) -> np.ndarray:
    """Million tokens each buyer uses this month: grows with budgets, falls with price."""
    rel = np.maximum(paid_price, FREE_PRICE_FLOOR) / reference_price
    return base_demand * (1.0 + growth_per_month) ** month * rel ** (-elasticity)


def _slot_spend(demand, portfolio, weights, price):
    """(buyers x portfolio slots): tokens and RMB each buyer spends with each slot's vendor."""
    held = portfolio >= 0
    tokens = demand[:, None] * weights * held
    rows = np.maximum(portfolio, 0)
    return held, rows, tokens, tokens * price[rows] * held


def sector_revenue(demand: np.ndarray, portfolio: np.ndarray, weights: np.ndarray, price: np.ndarray,
                   sector: np.ndarray, n_sectors: int, n_vendors: int) -> np.ndarray:
    """(sectors x vendors) RMB each sector's buyers spend with each vendor."""
    if kernels.enabled():
        return kernels.spend_tables(demand, portfolio, weights, price, sector, n_sectors, n_vendors)[3]
    held, rows, _, spend = _slot_spend(demand, portfolio, weights, price)
    key = (sector[:, None] * n_vendors + rows)[held]
    # float even when nothing was bought (np.bincount of nothing is int)
    revenue = np.bincount(key, weights=spend[held], minlength=n_sectors * n_vendors).astype(float, copy=False)
    return revenue.reshape(n_sectors, n_vendors)


def spend_by_vendor(demand: np.ndarray, portfolio: np.ndarray, weights: np.ndarray,
                    price: np.ndarray, n_vendors: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split each buyer's tokens over its portfolio. Returns (spend per buyer in RMB, revenue
    per vendor in RMB, tokens per vendor in million tokens)."""
    if kernels.enabled():
        one_sector = np.zeros(demand.size, np.int64)
        return kernels.spend_tables(demand, portfolio, weights, price, one_sector, 1, n_vendors)[:3]
    held, rows, tokens, spend = _slot_spend(demand, portfolio, weights, price)
    revenue = np.bincount(rows[held], weights=spend[held], minlength=n_vendors).astype(float, copy=False)
    vendor_tokens = np.bincount(rows[held], weights=tokens[held], minlength=n_vendors).astype(float, copy=False)
    return spend.sum(axis=1), revenue, vendor_tokens


def monthly_spend(demand: np.ndarray, portfolio: np.ndarray, weights: np.ndarray, price: np.ndarray,
                  sector: np.ndarray, n_sectors: int, n_vendors: int) -> tuple[np.ndarray, ...]:
    """`spend_by_vendor` and `sector_revenue` together: (spend per buyer, revenue per vendor,
    tokens per vendor, sectors x vendors revenue)."""
    if kernels.enabled():
        return kernels.spend_tables(demand, portfolio, weights, price, sector, n_sectors, n_vendors)
    return (*spend_by_vendor(demand, portfolio, weights, price, n_vendors),
            sector_revenue(demand, portfolio, weights, price, sector, n_sectors, n_vendors))


def garden_weights(slot_utility: np.ndarray, portfolio: np.ndarray, softmax_scale: float) -> np.ndarray:
    """(buyers x slots) share of each buyer's tokens per portfolio slot: a softmax of the held
    vendors' utilities (`slot_utility`, buyers x slots) with temperature `softmax_scale`;
    empty slots get nothing."""
    if kernels.enabled():
        return kernels.garden_shares(np.exp(kernels.garden_softmax_arguments(slot_utility, portfolio, softmax_scale)),
                                     portfolio)
    held = portfolio >= 0
    u = np.where(held, slot_utility, -np.inf)
    # centred before scaling, so that the weights do not depend on the utilities' level
    return softmax((u - np.max(u, axis=1, keepdims=True, initial=-1e300)) / softmax_scale, axis=1, where=held)


def review_months(uniform: np.ndarray, mean_months: float) -> np.ndarray:
    """Months until each reviewing buyer's next review: geometric with mean `mean_months`
    (at least 1), by inverse CDF of one uniform per buyer: ceil(ln(1 - u) / ln(1 - 1/mean))."""
    p = 1.0 / mean_months
    if p >= 1.0:
        return np.ones(np.shape(uniform), np.int64)
    return np.maximum(np.ceil(np.log1p(-np.asarray(uniform)) / np.log1p(-p)), 1).astype(np.int64)


def due_for_review(portfolio: np.ndarray, next_review: np.ndarray, available: np.ndarray,
                   month: int) -> tuple[np.ndarray, np.ndarray]:
    """Which garden slots hold a vendor that left the market (buyers x slots), and the rows
    of the buyers who choose a garden this month: their review is due, or they lost a vendor."""
    if kernels.enabled():
        return kernels.due_for_review(portfolio, next_review, available, month)
    gone = (portfolio >= 0) & ~available[np.maximum(portfolio, 0)]
    return gone, np.flatnonzero((next_review <= month) | gone.any(axis=1))


def review_portfolios(rng: np.random.Generator, month: int, utility_of, portfolio: np.ndarray,
                      next_review: np.ndarray, available: np.ndarray, rules) -> tuple[np.ndarray, np.ndarray]:
    """Portfolios lose vendors that left the market; buyers whose review is due, or who lost a
    vendor, choose a new garden (`choose_portfolio`) and draw their next review month.
    `utility_of(rows, vendors)` gives those buyers' utilities of the given vendors (rows x
    k vendor rows): only reviewing buyers score every available vendor. `rules` is the
    enterprises config section. Every buyer draws the same count of uniforms each month (one
    per vendor for the choice, one for the next review), reviewing or not, so who reviews
    never shifts another buyer's draws; they are read only for the reviewing buyers and the
    available vendors (`SparseUniforms`). Returns (portfolio, next review month)."""
    portfolio, next_review = portfolio.copy(), next_review.copy()
    gone, review = due_for_review(portfolio, next_review, available, month)
    portfolio[gone] = -1
    # the choice over the available vendors' columns only (an unavailable one is never
    # drawn: the same gardens from the same uniforms, fewer columns)
    cols = np.flatnonzero(available)
    with SparseUniforms(rng, (portfolio.shape[0], available.size)) as choice_u:
        choice = choice_u.at(review, cols)
    with SparseUniforms(rng, portfolio.shape[0]) as review_u:
        review_draw = review_u.at(review)
    if review.size:
        scored = np.broadcast_to(cols, (review.size, cols.size))
        garden = choose_portfolio(choice, utility_of(review, scored), np.ones(cols.size, bool), rules.portfolio_size)
        portfolio[review] = np.where(garden >= 0, cols[np.maximum(garden, 0)], -1)
        next_review[review] = month + review_months(review_draw, rules.review_months)
    return portfolio, next_review
