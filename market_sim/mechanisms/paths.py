"""Exogenous paths given as dated points (global frontier, funding climate)."""

from __future__ import annotations

import numpy as np

from ..calendar import month_index


def path_value(points: dict[str, float], start: str, t: float, growth_after: float = 0.0) -> float:
    """Value at month index `t` of a piecewise-linear path through dated `points`.
    Before the first point it holds the first value; after the last it grows linearly by
    `growth_after` per month."""
    xs = np.array([month_index(m, start) for m in points], float)
    ys = np.array(list(points.values()), float)
    order = np.argsort(xs)
    xs, ys = xs[order], ys[order]
    if t >= xs[-1]:
        return float(ys[-1] + growth_after * (t - xs[-1]))
    return float(np.interp(t, xs, ys))
