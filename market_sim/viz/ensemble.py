"""Ensemble mode: N replications of the app's current settings in worker processes, streamed
back as they finish, summarised as P(falls behind) per vendor with Wilson intervals and as
fan charts (median and 10-90% band) of each named vendor's consumer share.

The workers get a resolved Config (picklable) and a seed; Mesa sets the start method to
"spawn", so `run_replication` is a module-level function. Workers are recycled
(`max_tasks_per_child`) because Mesa 3.3 never frees finished models (MESA_NOTES.md)."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

import numpy as np
import pandas as pd

from ..agents import STATUS_NAMES
from ..mechanisms.falls_behind import falls_behind


def run_replication(cfg, seed, tag: str = "", index: int = 0) -> dict:
    """One run of `cfg` to its horizon with `seed` (an int or a SeedSequence): per named vendor,
    falls behind? (and why) and the monthly consumer share."""
    from ..model import MarketModel

    model = MarketModel(config=cfg, rng=np.random.default_rng(seed))
    while model.running:
        model.step()
    vt, fb = model.vendors, cfg.falls_behind
    named = np.flatnonzero(~vt.long_tail)
    status = np.array([STATUS_NAMES[s] for s in vt.status])
    behind, reason = falls_behind(status, vt.consumer_share, vt.enterprise_share, vt.gap_quality_months,
                                  fb.statuses, fb.max_combined_share, fb.min_gap_months)
    why = [str(status[r]) if reason[r] == "status" else str(reason[r]) for r in named]  # focused/acquired/exited
    return {"tag": tag, "index": index, "vendors": [vt.names[r] for r in named], "falls_behind": behind[named].tolist(),
            "reason": why, "status": status[named].tolist(),
            "consumer_share": model.recorder.v["consumer_share"][:, named].tolist()}


def workers() -> int:
    """Two at most: the machine is shared and the app must stay responsive."""
    return max(1, min(2, os.cpu_count() or 1))


def stream(jobs: list[tuple], cancelled: Callable[[], bool] = lambda: False,
           n_workers: int | None = None) -> Iterator[dict]:
    """Runs `run_replication(*job)` for each job (cfg, seed, tag, index) on worker processes;
    yields each result as soon as it finishes (any order)."""
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(n_workers or workers(), mp_context=ctx, max_tasks_per_child=10) as pool:
        pending = {pool.submit(run_replication, *job) for job in jobs}
        try:
            while pending:
                done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                for f in done:
                    yield f.result()
                if cancelled():
                    break
        finally:
            for f in pending:
                f.cancel()


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval of a proportion k/n."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def summary(results: list[dict]) -> pd.DataFrame:
    """Per vendor: replications, falls behind count, P and its 95% interval, the commonest reason."""
    if not results:
        return pd.DataFrame(columns=["vendor", "n", "k", "p", "lo", "hi", "main_reason"])
    names = results[0]["vendors"]
    fb = np.array([r["falls_behind"] for r in results], bool)
    reasons = np.array([r["reason"] for r in results])
    out = []
    for j, name in enumerate(names):
        k, n = int(fb[:, j].sum()), len(results)
        lo, hi = wilson(k, n)
        why = pd.Series(reasons[fb[:, j], j]).value_counts()
        out.append({"vendor": name, "n": n, "k": k, "p": k / n, "lo": lo, "hi": hi,
                    "main_reason": (why.index[0].replace("_", " ") if len(why) else "")})
    return pd.DataFrame(out)


def fan(results: list[dict], month_labels: list[str]) -> pd.DataFrame:
    """Long frame: month, vendor, median and 10-90% band of the consumer share."""
    if not results:
        return pd.DataFrame(columns=["month", "vendor", "median", "lo", "hi"])
    names = results[0]["vendors"]
    arr = np.array([r["consumer_share"] for r in results])  # runs x months x vendors
    q = np.quantile(arr, [0.1, 0.5, 0.9], axis=0)
    t = arr.shape[1]
    return pd.DataFrame({"month": np.repeat(month_labels[:t], len(names)), "vendor": np.tile(names, t),
                         "lo": q[0].ravel(), "median": q[1].ravel(), "hi": q[2].ravel()})


def paired(results_a: list[dict], results_b: list[dict]) -> pd.DataFrame:
    """Scenario B minus A on the same seeds: P(falls behind) difference per vendor with a 95%
    normal interval of the paired differences."""
    by_index = {r["index"]: r for r in results_b}
    pairs = [(a, by_index[a["index"]]) for a in results_a if a["index"] in by_index]
    if not pairs:
        return pd.DataFrame(columns=["vendor", "n", "p_a", "p_b", "diff", "lo", "hi"])
    names = pairs[0][0]["vendors"]
    a = np.array([p[0]["falls_behind"] for p in pairs], float)
    b = np.array([p[1]["falls_behind"] for p in pairs], float)
    d = b - a
    n = len(pairs)
    se = d.std(axis=0, ddof=1) / math.sqrt(n) if n > 1 else np.full(len(names), np.nan)
    return pd.DataFrame({"vendor": names, "n": n, "p_a": a.mean(0), "p_b": b.mean(0), "diff": d.mean(0),
                         "lo": d.mean(0) - 1.96 * se, "hi": d.mean(0) + 1.96 * se})
