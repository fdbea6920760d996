"""Entry: small vendors enter during the run (Klepper's industry life cycle: entry follows
the money available and the profits on offer, and stops as the industry shakes out).

Expected entrants in a month:

    lambda_t = entry_rate_per_month x funding_climate_t x g_t ^ entry_profit_elasticity,
    g_t = market revenue (enterprise API + consumer) in month t-1 / in month t-7

(g is 1 in the first months); the count is Poisson(lambda_t) by inverse CDF of one uniform,
capped by the rows left for entrants. An entrant starts from the best published weights
(else the best public level), a uniform 6-18 months of frontier growth behind it, with the
long tail's size, cash and prices; it enters racing.
"""

from __future__ import annotations

import numpy as np

from .catchup import poisson_quantile


def expected_entrants(rate_per_month: float, funding_climate: float, revenue_growth: float,
                      profit_elasticity: float) -> float:
    """lambda_t, entrants a month (see the module docstring)."""
    return float(rate_per_month * max(funding_climate, 0.0) * max(revenue_growth, 0.0) ** profit_elasticity)


def revenue_growth(market_revenue: np.ndarray, t: int, months: int = 6) -> float:
    """g_t: market revenue last month over `months` months before it (1 without the history)."""
    if t - 1 - months < 0:
        return 1.0
    before = market_revenue[t - 1 - months]
    return float(market_revenue[t - 1] / before) if before > 0 else 1.0


def entrant_count(uniform: float, expected: float, free_rows: int) -> int:
    """Poisson(expected) by inverse CDF of `uniform`, at most `free_rows`."""
    return int(min(poisson_quantile(np.array([uniform]), np.array([expected]))[0], free_rows))


def entrant_capability(start_from: np.ndarray, behind_months: np.ndarray, growth_per_month: np.ndarray) -> np.ndarray:
    """(entrants x features): `behind_months` (entrants) of frontier growth below `start_from`."""
    return start_from[None, :] - behind_months[:, None] * growth_per_month[None, :]
