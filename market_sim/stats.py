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


# ------------------------------------------------------------------ posterior-predictive summaries
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 20250114   # the cluster bootstrap's generator: SeedSequence((this, crc32(vendor)))


def variance_decomposition(successes: np.ndarray, n: np.ndarray) -> dict[str, float]:
    """Law of total variance for a binary outcome Y over posterior draws theta_j (n_j runs each,
    k_j of them with Y = 1):

        Var(Y) = E[Var(Y | theta)] + Var(E[Y | theta])
               =  within          +  between

    within_hat  = mean_j s_j^2, with s_j^2 = n_j / (n_j - 1) * p_j (1 - p_j), p_j = k_j / n_j
                  (draws with n_j >= 2);
    between_hat = max(0, var(p_j) - mean_j(s_j^2 / n_j))   (var with ddof 1; the mean of s_j^2 / n_j is
                  the runs' noise in the draw means: mean(within variance) / per_draw when balanced).
    parameter_share = between / (within + between). NaN where it cannot be told (fewer than two
    draws, no draw with two runs, or Y never varies)."""
    k, n = np.asarray(successes, float), np.asarray(n, float)
    keep = n > 0
    k, n = k[keep], n[keep]
    p = k / n
    multi = n >= 2
    nan = {"within": np.nan, "between": np.nan, "total": np.nan, "parameter_share": np.nan}
    if len(p) < 2 or not multi.any():
        return nan
    s2 = n[multi] / (n[multi] - 1) * p[multi] * (1 - p[multi])
    within = float(s2.mean())
    between = max(0.0, float(np.var(p, ddof=1) - np.mean(s2 / n[multi])))
    total = within + between
    share = between / total if total > 0 else np.nan
    return {"within": within, "between": between, "total": total, "parameter_share": share}


def dominant_source(parameter_share: float) -> str:
    """"parameters" if parameter_share > 1/2, "randomness" if below or equal, "" if unknown (NaN)."""
    if not np.isfinite(parameter_share):
        return ""
    return "parameters" if parameter_share > 0.5 else "randomness"


def cluster_bootstrap_interval(successes: np.ndarray, n: np.ndarray, seed: np.random.SeedSequence | int,
                               resamples: int = BOOTSTRAP_RESAMPLES, level: float = 0.95) -> tuple[float, float]:
    """Percentile interval of P = sum_j k_j / sum_j n_j by resampling whole draws with replacement
    (a cluster bootstrap: each resample takes G draws' (k_j, n_j) at random, G the number of draws),
    so it covers the runs' randomness and the parameters' uncertainty together."""
    k, n = np.asarray(successes, float), np.asarray(n, float)
    keep = n > 0
    k, n = k[keep], n[keep]
    if len(k) == 0:
        return np.nan, np.nan
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(k), size=(int(resamples), len(k)))
    p = k[idx].sum(axis=1) / n[idx].sum(axis=1)
    tail = 100 * (1 - level) / 2
    lo, hi = np.percentile(p, [tail, 100 - tail])
    return float(lo), float(hi)


def vendor_bootstrap_seed(vendor: str) -> np.random.SeedSequence:
    """The cluster bootstrap's seed for a vendor: fixed, and independent of the vendors' order."""
    import zlib

    return np.random.SeedSequence((BOOTSTRAP_SEED, zlib.crc32(str(vendor).encode())))


def posterior_falls_behind_table(outcomes: pd.DataFrame, resamples: int = BOOTSTRAP_RESAMPLES) -> pd.DataFrame:
    """Per vendor, from outcomes carrying `posterior_draw` (replications in which the vendor never
    entered left out): the posterior-predictive P(falls behind) over all replications, its 95%
    cluster-bootstrap interval over draws (post_ci95_low/high), the 5th-95th percentile of the
    per-draw P (draw_p05/draw_p95), the variance decomposition (variance_decomposition:
    parameter_share) and which part dominates (dominant_source), and the number of draws."""
    entered = (outcomes["final_status"] != NOT_ENTERED if "final_status" in outcomes
               else pd.Series(True, index=outcomes.index))
    frame = pd.DataFrame({"vendor": outcomes["vendor"], "draw": outcomes["posterior_draw"],
                          "entered": entered.astype(int), "fell": (outcomes["falls_behind"] & entered).astype(int)})
    per_draw = frame.groupby(["vendor", "draw"], sort=False)[["fell", "entered"]].sum()
    rows = []
    for vendor in dict.fromkeys(frame["vendor"]):
        g = per_draw.loc[vendor]
        k, n = g["fell"].to_numpy(float), g["entered"].to_numpy(float)
        means = k[n > 0] / n[n > 0]
        lo, hi = cluster_bootstrap_interval(k, n, vendor_bootstrap_seed(vendor), resamples)
        dec = variance_decomposition(k, n)
        rows.append({"vendor": vendor, "p_posterior": k.sum() / n.sum() if n.sum() > 0 else np.nan,
                     "post_ci95_low": lo, "post_ci95_high": hi,
                     "draw_p05": float(np.percentile(means, 5)) if len(means) else np.nan,
                     "draw_p95": float(np.percentile(means, 95)) if len(means) else np.nan,
                     "parameter_share": dec["parameter_share"], "dominant": dominant_source(dec["parameter_share"]),
                     "draws": int((n > 0).sum())})
    return pd.DataFrame(rows).drop(columns="p_posterior")


def dominance_sentence(name: str, parameter_share: float) -> str:
    """One sentence: which part of the variance of falls-behind dominates for a vendor."""
    if not np.isfinite(parameter_share):
        return (f"{name}: the split between parameters and randomness cannot be told from these runs (falls-behind "
                "did not vary, or too few draws).")
    if parameter_share > 0.5:
        return (f"{name}: the parameters' uncertainty dominates ({100 * parameter_share:.0f}% of the variance of "
                "falls-behind is between posterior draws).")
    return (f"{name}: the runs' own randomness dominates (only {100 * parameter_share:.0f}% of the variance of "
            "falls-behind is between posterior draws).")
