"""Small numerical helpers shared by the mechanisms and reports."""

from __future__ import annotations

import numpy as np


def softmax(x: np.ndarray, axis: int = -1, where: np.ndarray | None = None) -> np.ndarray:
    """exp(x) normalised along `axis`, computed stably (max subtracted). With `where`, only
    those entries take part: the others get probability 0 (a slice with none gets all 0)."""
    x = np.asarray(x, float)
    if where is None:
        z = np.exp(x - x.max(axis=axis, keepdims=True))
        return z / z.sum(axis=axis, keepdims=True)
    where = np.broadcast_to(np.asarray(where, bool), x.shape)
    top = np.max(x, axis=axis, keepdims=True, initial=-np.inf, where=where)
    z = np.where(where, np.exp(np.where(where, x - np.where(np.isfinite(top), top, 0.0), 0.0)), 0.0)
    total = z.sum(axis=axis, keepdims=True)
    return np.divide(z, total, out=np.zeros_like(z), where=total > 0)
