"""Forecast scoring: pure functions over numpy arrays (no I/O; the observations file, the
results directory and the outputs are in scoring_io.py; the format and the definitions in
docs/scoring.md).

An observation is a binary event (a vendor's state at a month, a rank order at a month, a
value in a range at a month). Its forecast probability is the share of the R replications in
which the event holds:

    p = (1/R) * sum_r 1[event holds in replication r]                      (dimensionless, [0, 1])

and its outcome o is 1 if the event happened, 0 if it did not (`happened: false`).

    Brier score   B = (p - o)^2                                            ([0, 1]; 0 is perfect)
    log score     L = o * ln(p~) + (1 - o) * ln(1 - p~)                    ((-inf, 0]; 0 is perfect)
                  with p~ = clip(p, 1/(2R), 1 - 1/(2R)): a forecast from R replications cannot
                  tell probability 0 from "under 1/R", so it is never scored as certain
    skill         S = 1 - mean(B_model) / mean(B_reference)                ((-inf, 1]; 1 is perfect,
                  0 no better than the reference, < 0 worse)
"""

from __future__ import annotations

import math

import numpy as np

STATES = ("racing", "focused", "acquired", "exited")
# the one map from the model's statuses (agents.vendors.STATUS_NAMES) to the observable states;
# "not_entered" (a vendor not yet in the market) is none of the four states
STATE_OF_STATUS = {"frontier": "racing", "focused": "focused", "acquired": "acquired", "exited": "exited"}


def state_of_status(status: np.ndarray) -> np.ndarray:
    """Model statuses (strings) -> observable states (strings; "" for a status with no state)."""
    status = np.asarray(status, dtype=object)
    return np.array([STATE_OF_STATUS.get(s, "") for s in status.ravel()], dtype=object).reshape(status.shape)


def state_event(states: np.ndarray, state: str) -> np.ndarray:
    """Per replication: is the vendor's state `state`? `states`: (R,) observable states."""
    return np.asarray(states, dtype=object) == state


def rank_event(values: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Per replication: are the vendors at column indices `order` (k of them) the top k of the
    n columns of `values` (R x n, one measure at one month), in this order, highest first?

    Strict: values[order[0]] > values[order[1]] > ... > values[order[k-1]] > every other
    column; a tie or a missing value (NaN) in the k vendors makes the event false; other
    vendors' missing values do not count (NaN is below everything)."""
    values = np.asarray(values, dtype=float)
    order = np.asarray(order, dtype=int)
    top = values[:, order]                                                  # (R, k)
    holds = np.all(np.isfinite(top), axis=1)
    if order.size > 1:
        holds &= np.all(top[:, :-1] > top[:, 1:], axis=1)
    rest = np.delete(values, order, axis=1)
    if rest.shape[1]:
        rest_max = np.max(np.where(np.isfinite(rest), rest, -np.inf), axis=1)
        holds &= top[:, -1] > rest_max
    return holds


def range_event(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """Per replication: low <= value <= high (NaN: false). Units: the measure's own."""
    values = np.asarray(values, dtype=float)
    with np.errstate(invalid="ignore"):
        return (values >= low) & (values <= high)


def probability(events: np.ndarray) -> float:
    """Share of replications in which the event holds: p = mean over r of 1[event_r]."""
    events = np.asarray(events, dtype=bool)
    if events.size == 0:
        raise ValueError("no replications")
    return float(events.mean())


def uniform_rank_probability(n: int, k: int) -> float:
    """1 / (number of ordered choices of k among n) = (n - k)! / n!: every top-k order of the
    n vendors equally likely."""
    if not 0 < k <= n:
        raise ValueError(f"need 0 < k <= n, got k={k}, n={n}")
    return 1.0 / math.perm(n, k)


def uniform_range_probability(pooled: np.ndarray, low: float, high: float) -> float:
    """Share of the pooled simulated values (finite ones) within [low, high]: the climatological
    forecast of one who knows the model's values of the measure but not which vendor or month."""
    pooled = np.asarray(pooled, dtype=float)
    pooled = pooled[np.isfinite(pooled)]
    if pooled.size == 0:
        return float("nan")
    return float(((pooled >= low) & (pooled <= high)).mean())


def clip_probability(p: np.ndarray | float, replications: int) -> np.ndarray:
    """p clipped to [1/(2R), 1 - 1/(2R)] (R replications)."""
    if replications < 1:
        raise ValueError("replications must be >= 1")
    eps = 1.0 / (2 * replications)
    return np.clip(np.asarray(p, dtype=float), eps, 1.0 - eps)


def brier(p: np.ndarray | float, o: np.ndarray | float) -> np.ndarray:
    """Brier score (p - o)^2 per forecast; p in [0, 1], o in {0, 1}."""
    return (np.asarray(p, dtype=float) - np.asarray(o, dtype=float)) ** 2


def log_score(p: np.ndarray | float, o: np.ndarray | float, replications: int) -> np.ndarray:
    """Natural log of the probability given to the outcome, p clipped to [1/(2R), 1 - 1/(2R)]:
    ln(p~) if o = 1, ln(1 - p~) if o = 0. Always <= 0; higher is better."""
    pc = clip_probability(p, replications)
    o = np.asarray(o, dtype=float)
    return np.where(o > 0.5, np.log(pc), np.log1p(-pc))


def skill(score: float, reference: float) -> float:
    """1 - score / reference (mean Brier scores); NaN when the reference scored 0 (perfect)."""
    if not np.isfinite(reference) or reference == 0:
        return float("nan")
    return float(1.0 - score / reference)


def reliability_bins(p: np.ndarray, o: np.ndarray, bins: int = 10) -> dict[str, np.ndarray]:
    """Forecasts grouped in `bins` equal bins of [0, 1] (the last one closed): per bin the
    count n_k, the mean forecast p_k and the observed frequency o_k (NaN for empty bins)."""
    p = np.asarray(p, dtype=float)
    o = np.asarray(o, dtype=float)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1], right=False), 0, bins - 1)
    count = np.bincount(which, minlength=bins).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_p = np.bincount(which, weights=p, minlength=bins) / count
        freq = np.bincount(which, weights=o, minlength=bins) / count
    return {"edges": edges, "count": count.astype(int), "mean_forecast": mean_p, "observed": freq}


def reliability_error(p: np.ndarray, o: np.ndarray, bins: int = 10) -> float:
    """The reliability term of the Brier score's decomposition (Murphy 1973):
    REL = (1/N) * sum_k n_k (p_k - o_k)^2 over non-empty bins; 0 for a calibrated forecaster."""
    table = reliability_bins(p, o, bins)
    n = table["count"]
    keep = n > 0
    if not keep.any():
        return float("nan")
    gap = table["mean_forecast"][keep] - table["observed"][keep]
    return float((n[keep] * gap**2).sum() / n.sum())
