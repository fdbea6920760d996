"""Summaries across replications."""

from __future__ import annotations

import numpy as np
import pandas as pd

Z95 = 1.959963984540054


def wilson_interval(successes: np.ndarray | int, n: np.ndarray | int, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a binomial proportion (well behaved at 0 and 1, unlike the
    normal approximation that 20-100 replications would otherwise need)."""
    k = np.asarray(successes, float)
    n = np.asarray(n, float)
    p = np.divide(k, n, out=np.zeros_like(k), where=n > 0)
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # rounding can leave a bound a hair on the wrong side of p at 0 or 1
    return np.clip(np.minimum(centre - half, p), 0, 1), np.clip(np.maximum(centre + half, p), 0, 1)


def falls_behind_table(outcomes: pd.DataFrame, names: dict[str, str] | None = None) -> pd.DataFrame:
    """Per vendor: P(falls behind) over replications with a 95% Wilson interval, and median
    final consumer and enterprise shares."""
    g = outcomes.groupby("vendor", sort=False)
    out = pd.DataFrame({
        "replications": g["falls_behind"].size(),
        "falls_behind": g["falls_behind"].sum().astype(int),
        "median_consumer_share": g["final_consumer_share"].median(),
        "median_enterprise_share": g["final_enterprise_share"].median(),
    })
    out["p_falls_behind"] = out["falls_behind"] / out["replications"]
    lo, hi = wilson_interval(out["falls_behind"].to_numpy(), out["replications"].to_numpy())
    out["ci95_low"], out["ci95_high"] = lo, hi
    out = out.reset_index()
    if names:
        out.insert(1, "name", out["vendor"].map(names))
    cols = ["vendor"] + (["name"] if names else []) + [
        "p_falls_behind", "ci95_low", "ci95_high", "falls_behind", "replications",
        "median_consumer_share", "median_enterprise_share"]
    return out[cols]
