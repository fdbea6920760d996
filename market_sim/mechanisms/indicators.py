"""Market indicators: shares, concentration and the price index."""

from __future__ import annotations

import numpy as np


def shares(x: np.ndarray) -> np.ndarray:
    """Each entry's share of the total (all zero when the total is zero)."""
    total = x.sum()
    return x / total if total > 0 else np.zeros_like(x, dtype=float)


def hhi(share: np.ndarray) -> float:
    """Herfindahl-Hirschman index: sum of squared shares (0..1; 1 is a monopoly)."""
    return float((share ** 2).sum())


def price_index(price: np.ndarray, tokens: np.ndarray, active: np.ndarray) -> float:
    """Token-weighted mean API price (RMB per million tokens); the plain mean of active vendors'
    list prices when no token was sold."""
    sold = tokens.sum()
    return float((price * tokens).sum() / sold) if sold > 0 else float(np.mean(price[active]))
