"""Financing: runway, venture rounds, strategic stakes, subtraction, exit, and the big-tech
parent's patience."""

from __future__ import annotations

import numpy as np

RUNWAY_CAP_MONTHS = 120.0  # a vendor that makes money has "120 months" of runway (reported cap)


def runway_months(cash: np.ndarray, monthly_burn: np.ndarray) -> np.ndarray:
    """Months of cash at the current burn (costs - revenue); capped for profitable vendors."""
    burn = np.asarray(monthly_burn, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(burn > 0, np.maximum(cash, 0.0) / burn, RUNWAY_CAP_MONTHS)
    return np.minimum(r, RUNWAY_CAP_MONTHS)


def traction_score(consumer_share: np.ndarray, enterprise_share: np.ndarray) -> np.ndarray:
    """0..1 score of market traction: log-scaled combined share (1 at 50% of a market)."""
    s = np.asarray(consumer_share) + np.asarray(enterprise_share)
    return np.clip(np.log1p(100.0 * s) / np.log1p(50.0), 0.0, 1.0)


def rank_score(quality: np.ndarray, active: np.ndarray) -> np.ndarray:
    """1 for the best active vendor on general quality, 0 for the worst."""
    q = np.where(active, quality, -np.inf)
    order = np.argsort(-q, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(q.size)
    n = max(int(active.sum()) - 1, 1)
    return np.where(active, 1.0 - rank / n, 0.0)


def raise_probability(traction: np.ndarray, rank: np.ndarray, climate: float, intercept: float,
                      w_traction: float, w_rank: float, w_climate: float) -> np.ndarray:
    """Logistic chance that a round closes."""
    z = intercept + w_traction * traction + w_rank * rank + w_climate * climate
    return 1.0 / (1.0 + np.exp(-z))


def round_size(monthly_burn: np.ndarray, months_of_burn: float, climate: float,
               traction: np.ndarray) -> np.ndarray:
    """RMB asked for: months of burn, scaled by the climate and by traction."""
    return np.maximum(monthly_burn, 0.0) * months_of_burn * np.clip(climate, 0.2, 2.0) * (0.5 + traction)


def split_round(amount: float, dry_powder: np.ndarray, rng: np.random.Generator,
                max_investors: int = 3) -> np.ndarray:
    """How much each fund puts in: up to `max_investors` funds with money left, drawn at random
    in proportion to their dry powder, pay in proportion to it; the round shrinks if they
    cannot fill it."""
    out = np.zeros_like(dry_powder, dtype=float)
    has = np.flatnonzero(dry_powder > 0)
    if amount <= 0 or has.size == 0:
        return out
    k = min(max_investors, has.size)
    p = dry_powder[has] / dry_powder[has].sum()
    chosen = rng.choice(has, size=k, replace=False, p=p)
    share = dry_powder[chosen] / dry_powder[chosen].sum()
    out[chosen] = np.minimum(amount * share, dry_powder[chosen])
    return out


def streak(condition: np.ndarray, months: np.ndarray) -> np.ndarray:
    """Months in a row a condition has held (0 when it does not hold now)."""
    return np.where(condition, months + 1, 0)


def distress_action(runway: np.ndarray, raised_failed: np.ndarray, gap_months: np.ndarray,
                    frontier: np.ndarray, pivot_runway: float, exit_runway: float,
                    pivot_gap: float, behind_streak: np.ndarray | None = None,
                    patience: int | None = None) -> np.ndarray:
    """0 none, 1 pivot (subtraction), 2 exit. Exit when cash runs out after a failed raise;
    a frontier startup pivots when its runway is short, when it failed to raise while far
    behind, or (strategic subtraction) when it has been far behind with a small share for
    `patience` months in a row (`behind_streak`)."""
    action = np.zeros(runway.shape, np.int8)
    strategic = (behind_streak >= patience) if behind_streak is not None and patience is not None else False
    pivot = frontier & ((runway < pivot_runway) | (raised_failed & (gap_months > pivot_gap)) | strategic)
    action[pivot] = 1
    action[(runway < exit_runway) & raised_failed] = 2
    return action


def failure_risk(kind_startup: np.ndarray, runway: np.ndarray, focused: np.ndarray) -> np.ndarray:
    """0..1 risk a buyer sees of a vendor failing: none for big techs, rising as a startup's
    runway drops under two years, higher for a vendor out of the frontier race."""
    r = np.where(kind_startup, np.clip(1.0 - runway / 24.0, 0.0, 1.0), 0.0)
    return np.clip(r + 0.3 * focused, 0.0, 1.0)


def parent_patience(loss: np.ndarray, tolerance: float, months: np.ndarray) -> np.ndarray:
    """Months in a row a big-tech AI unit has lost more than the parent tolerates."""
    return streak(loss > tolerance, months)
