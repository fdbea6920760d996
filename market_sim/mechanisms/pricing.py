"""Price war: monthly re-pricing of API tokens (RMB per million tokens).

Each vendor looks at its rivals' quality-adjusted prices: rival j's price scaled to what a
buyer would pay for i's quality (buyers trade log price against quality, procurement.py).
When the cheapest of these is below its own price by more than `tolerance` (differentiation
lets a vendor ignore small gaps), a vendor with aggressiveness a moves a share a of the way
to undercutting that reference by `undercut`, never below its floor: unit serving cost less
the subsidy it can afford. Aggressiveness 0 refuses to cut. A share-seeking vendor whose
model is ready (close enough to the domestic best) and who is below its enterprise-share
ambition cuts straight to its floor: it buys share with subsidised tokens. List prices never
exceed a maximum markup over unit cost, so falling costs pull prices down too.

Bertrand limit: identical vendors with aggressiveness 1, a positive undercut, no tolerance
and no subsidy converge to unit cost under `next_prices`, the rule the model applies each
month (tests/test_pricing.py).
"""

from __future__ import annotations

import numpy as np

from .. import kernels


def unit_serving_cost(month: float, initial_rmb_per_mtok: float, halving_months: float,
                      cost_efficiency: np.ndarray) -> np.ndarray:
    """Unit serving cost (RMB per million tokens) of each vendor in month `month`: an exogenous
    decline (hardware and algorithmic efficiency) times each vendor's efficiency multiplier."""
    return initial_rmb_per_mtok * 0.5 ** (month / halving_months) * np.asarray(cost_efficiency, float)


def quality_adjusted_rival_price(price: np.ndarray, quality_months: np.ndarray, followed: np.ndarray,
                                 value_per_month: float) -> np.ndarray:
    """For each vendor i, the lowest over the other followed vendors j of
    p_j * exp(value_per_month * (q_i - q_j)): the price at which i's offer would be worth as
    much to a buyer as j's. `quality_months` is general quality in months of frontier growth;
    `value_per_month` the buyers' quality weight over their log-price weight."""
    q = np.asarray(quality_months, float)
    if kernels.enabled() and q.ndim == 1 and q.size and np.shape(price) == np.shape(followed) == q.shape:
        factor = np.exp(kernels.quality_differences(float(value_per_month), q))
        low, ok = kernels.cheapest_adjusted_price(np.asarray(price, float), factor, np.asarray(followed, bool))
        if ok:
            return low
    adj = np.asarray(price, float)[None, :] * np.exp(value_per_month * (q[:, None] - q[None, :]))
    mask = followed[None, :] & ~np.eye(q.size, dtype=bool)
    return np.where(mask, adj, np.inf).min(axis=1) if q.size else adj


def price_floor(unit_cost: np.ndarray, subsidy: np.ndarray) -> np.ndarray:
    """Lowest price a vendor will charge: unit cost less the share it can subsidise (0..1)."""
    return unit_cost * (1.0 - np.clip(subsidy, 0.0, 1.0))


def reprice(price: np.ndarray, unit_cost: np.ndarray, floor: np.ndarray, rival_min: np.ndarray,
            aggressiveness: np.ndarray, undercut: float, max_markup: float,
            initiative: np.ndarray | None = None, tolerance: float = 0.0) -> np.ndarray:
    """Next month's API price of every vendor (RMB per million tokens). `rival_min` is the
    reference rival price (cheapest, or cheapest quality-adjusted)."""
    price = np.asarray(price, float)
    follow = np.maximum(floor, rival_min * (1.0 - undercut))
    cut = (follow < price) & (price >= rival_min * (1.0 + tolerance))
    with np.errstate(invalid="ignore"):  # follow is inf where no rival is followed; those entries keep price
        new = np.where(cut, price + aggressiveness * (follow - price), price)
    if initiative is not None:
        new = np.where(initiative, np.minimum(new, floor), new)
    new = np.minimum(new, unit_cost * (1.0 + max_markup))
    return np.maximum(new, floor)


def startup_subsidy(max_subsidy: np.ndarray, runway_months: np.ndarray, pivot_runway: float,
                    comfortable_runway: float) -> np.ndarray:
    """A startup subsidises only what its runway allows: the full `max_subsidy` with a
    comfortable runway, nothing at the runway where it would have to pivot."""
    span = max(comfortable_runway - pivot_runway, 1e-9)
    return max_subsidy * np.clip((runway_months - pivot_runway) / span, 0.0, 1.0)


def affordable_subsidy(is_big_tech: np.ndarray, max_subsidy: np.ndarray, runway_months: np.ndarray,
                       pivot_runway: float, comfortable_runway: float) -> np.ndarray:
    """Share of unit cost each vendor can give away: a big tech its full `max_subsidy` (the
    parent pays), a startup what its runway allows (`startup_subsidy`)."""
    return np.where(is_big_tech, max_subsidy,
                    startup_subsidy(max_subsidy, runway_months, pivot_runway, comfortable_runway))


def followed_rivals(active: np.ndarray, enterprise_token_share: np.ndarray, min_rival_share: float) -> np.ndarray:
    """Rivals a vendor answers: active, with at least `min_rival_share` of last month's
    enterprise tokens (a free model nobody uses sets no price)."""
    return active & (enterprise_token_share >= min_rival_share)


def takes_initiative(share_ambition: np.ndarray, enterprise_token_share: np.ndarray, gap_months: np.ndarray,
                     ready_gap_months: float, racing: np.ndarray) -> np.ndarray:
    """A racing vendor below its enterprise-share ambition whose model is ready (at most
    `ready_gap_months` behind the domestic best) cuts to its floor to buy share."""
    return (share_ambition > enterprise_token_share) & (gap_months <= ready_gap_months) & racing


def next_prices(price: np.ndarray, unit_cost: np.ndarray, subsidy: np.ndarray, gap_months: np.ndarray,
                followed: np.ndarray, quality_value_per_month: float, aggressiveness: np.ndarray,
                undercut: float, max_markup: float, initiative: np.ndarray, tolerance: float,
                active: np.ndarray) -> np.ndarray:
    """The month's price war: every active vendor re-prices against the cheapest followed
    rival's quality-adjusted price (gap in months behind the domestic best, so quality is
    -gap), never below unit cost less its subsidy; inactive vendors keep their price."""
    floor = price_floor(unit_cost, subsidy)
    rival = quality_adjusted_rival_price(price, -gap_months, followed, quality_value_per_month)
    new = reprice(price, unit_cost, floor, rival, aggressiveness, undercut, max_markup, initiative, tolerance)
    return np.where(active, new, price)
