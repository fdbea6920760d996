"""Exogenous paths given as dated points (global frontier, funding climate)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..calendar import month_index


def path_value(points: dict[str, float], start: str, t: float, growth_after: float = 0.0) -> float:
    """Value at month index `t` of a piecewise-linear path through dated `points`.
    Before the first point it holds the first value; after the last it grows linearly by
    `growth_after` per month."""
    xs, ys = _points(tuple(points.items()), start)
    if t >= xs[-1]:
        return float(ys[-1] + growth_after * (t - xs[-1]))
    return float(np.interp(t, xs, ys))


@lru_cache(maxsize=4096)
def _points(points: tuple[tuple[str, float], ...], start: str) -> tuple[np.ndarray, np.ndarray]:
    """The dated points as (month index, value) arrays sorted by month (parsed once: a run
    reads its paths every month)."""
    xs = np.array([month_index(m, start) for m, _ in points], float)
    ys = np.array([y for _, y in points], float)
    order = np.argsort(xs)
    xs, ys = xs[order], ys[order]
    xs.flags.writeable = ys.flags.writeable = False
    return xs, ys
