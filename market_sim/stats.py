"""Summaries across replications."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .mechanisms.falls_behind import NOT_ENTERED

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


def proportion_with_interval(successes: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(p, 95% Wilson low, high); NaN where n is 0 (e.g. a vendor not yet in the market)."""
    k, n = np.asarray(successes, float), np.asarray(n, float)
    counted = n > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(counted, k / np.where(counted, n, 1.0), np.nan)
        lo, hi = wilson_interval(k, np.where(counted, n, 1.0))
    return p, np.where(counted, lo, np.nan), np.where(counted, hi, np.nan)


def falls_behind_table(outcomes: pd.DataFrame, names: dict[str, str] | None = None) -> pd.DataFrame:
    """Per vendor: P(falls behind) over replications with a 95% Wilson interval, split by cause
    (p_race + p_money = p_falls_behind; when the outcomes carry a `cause`), and median final
    consumer and enterprise shares. Replications in which the vendor never entered the market
    (final status "not_entered") are left out."""
    entered = (outcomes["final_status"] != NOT_ENTERED if "final_status" in outcomes
               else pd.Series(True, index=outcomes.index))
    fell = outcomes["falls_behind"] & entered
    frame = pd.DataFrame({"vendor": outcomes["vendor"], "entered": entered, "fell": fell,
                          "consumer": outcomes["final_consumer_share"].where(entered),
                          "enterprise": outcomes["final_enterprise_share"].where(entered)})
    by_cause = "cause" in outcomes
    for c in ("race", "money") if by_cause else ():
        frame[c] = fell & (outcomes["cause"] == c)
    g = frame.groupby("vendor", sort=False)
    out = pd.DataFrame({
        "replications": g["entered"].sum().astype(int),
        "falls_behind": g["fell"].sum().astype(int),
        "median_consumer_share": g["consumer"].median(),
        "median_enterprise_share": g["enterprise"].median(),
    })
    p, lo, hi = proportion_with_interval(out["falls_behind"].to_numpy(), out["replications"].to_numpy())
    out["p_falls_behind"], out["ci95_low"], out["ci95_high"] = p, lo, hi
    causes = []
    for c in ("race", "money") if by_cause else ():
        out[f"p_{c}"] = proportion_with_interval(g[c].sum().to_numpy(), out["replications"].to_numpy())[0]
        causes.append(f"p_{c}")
    out = out.reset_index()
    if names:
        out.insert(1, "name", out["vendor"].map(names))
    cols = ["vendor"] + (["name"] if names else []) + [
        "p_falls_behind", "ci95_low", "ci95_high", *causes, "falls_behind", "replications",
        "median_consumer_share", "median_enterprise_share"]
    return out[cols]


def falls_behind_by_month_table(counts: pd.DataFrame, names: dict[str, str] | None = None) -> pd.DataFrame:
    """Tidy table (month, vendor, name, p_falls_behind, ci95_low, ci95_high, falls_behind,
    replications) from per-month counts (`falls_behind.behind_counts`; a vendor without a name is
    named by its id): P that the vendor is
    behind in that month among the replications in which it was in the market, with a 95% Wilson
    interval (NaN where it was in none)."""
    out = counts.copy()
    names = names or {}
    out.insert(2, "name", [names.get(v, v) for v in out["vendor"]])
    p, lo, hi = proportion_with_interval(out["falls_behind"].to_numpy(), out["replications"].to_numpy())
    out["p_falls_behind"], out["ci95_low"], out["ci95_high"] = p, lo, hi
    return out[["month", "vendor", "name", "p_falls_behind", "ci95_low", "ci95_high", "falls_behind", "replications"]]


def pooled_share_by_month(by_month: pd.DataFrame, vendors) -> pd.Series:
    """Per month, the share of (vendor, replication) pairs of `vendors` (e.g. the long tail)
    behind, among those in the market."""
    sub = by_month[by_month["vendor"].isin(list(vendors))].groupby("month", sort=False)[
        ["falls_behind", "replications"]].sum()
    return sub["falls_behind"] / sub["replications"].where(sub["replications"] > 0)


def falls_behind_by_month_from_outcomes(outcomes: pd.DataFrame, months: list[str],
                                        column: str = "fell_behind_month") -> pd.DataFrame:
    """For stores that keep only the outcomes (sweeps, experiments): per vendor and month, the
    share of replications whose `column` month is at or before that month, with a 95% Wilson
    interval. With `fell_behind_month` that is P(behind from that month on to the horizon); with
    `first_behind_month`, P(behind at least once by that month). Equal at the horizon month to
    P(falls behind) for `fell_behind_month`."""
    rows = []
    for vendor, g in outcomes.groupby("vendor", sort=False):
        when = g[column].to_numpy(dtype=object)
        dated = when != ""
        k = np.array([(dated & (when <= m)).sum() for m in months])
        rows.append(pd.DataFrame({"month": months, "vendor": vendor, "falls_behind": k, "replications": len(g)}))
    out = pd.concat(rows, ignore_index=True)
    p, lo, hi = proportion_with_interval(out["falls_behind"].to_numpy(), out["replications"].to_numpy())
    out["p_falls_behind"], out["ci95_low"], out["ci95_high"] = p, lo, hi
    return out
