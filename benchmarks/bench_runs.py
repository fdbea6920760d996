"""Throughput for calibration and sweeps (docs/performance.md):

    .venv/bin/python benchmarks/bench_runs.py                 # about 3 minutes on 2 cores
    .venv/bin/python benchmarks/bench_runs.py --runs 200      # steadier numbers, longer

1. Runs per hour at 5,000 and 20,000 consumers (enterprises 1:10, 24 months), on 1 and 2
   worker processes, as a sweep runs them: each run keeps its outcomes and market table
   (`runner.simulate_outcomes`), seeds are children of one SeedSequence. Wall time includes
   starting the workers, so it is what a user waits for.
2. Calibration-shaped: many short runs (5,000 consumers), each with its own parameter set
   drawn from ranges of six assumptions, on 2 workers.

Writes benchmarks/results/bench_runs.json (untracked). Targets (issue: performance): at
least 100,000 runs an hour at 5,000 consumers on 2 cores, 40,000 at 20,000.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BASELINE = ROOT / "configs" / "baseline_2024.yaml"

# calibration-shaped: (key, low, high) of assumptions a calibration would vary
RANGES = [("price_war.intensity", 0.5, 1.5), ("catch_up.copy_lag_months", 0.75, 3.0),
          ("talent.mobility", 0.01, 0.04), ("consumers.bass_q", 0.03, 0.12),
          ("financing.success_intercept", -2.0, 0.0), ("enterprises.switching_cost", 0.5, 2.0)]


def _run(job: tuple) -> float:
    """One run in a worker: (config, seed) -> its own seconds."""
    from market_sim.runner import simulate_outcomes

    config, seed = job
    t0 = time.perf_counter()
    simulate_outcomes(config, seed)
    return time.perf_counter() - t0


def throughput(configs: list, workers: int) -> dict:
    """Runs of `configs` (one run each) on `workers` processes; wall from pool start to the last run."""
    from market_sim.execution import child_seeds, pool_imap

    seeds = child_seeds(20241231, len(configs))
    t0 = time.perf_counter()
    if workers <= 1:
        from market_sim.execution import start_worker

        start_worker()
        per_run = [_run(job) for job in zip(configs, seeds)]
    else:
        per_run = list(pool_imap(_run, list(zip(configs, seeds)), workers))
    wall = time.perf_counter() - t0
    return {"runs": len(configs), "workers": workers, "wall_s": wall, "runs_per_hour": 3600 * len(configs) / wall,
            "median_run_s": float(np.median(per_run))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=60, help="runs per measurement")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "bench_runs.json")
    args = ap.parse_args()
    from market_sim import load_config

    result: dict = {"machine": {"python": platform.python_version(), "platform": platform.platform()}, "rows": []}
    print(f"{'case':<28} {'workers':>7} {'runs':>5} {'wall s':>7} {'median run s':>12} {'runs/hour':>10}")
    cases = []
    for consumers in (5_000, 20_000):
        cfg = load_config(BASELINE, {"scale.consumers": consumers, "scale.enterprises": consumers // 10})
        n = args.runs if consumers == 5_000 else max(args.runs // 2, 4)
        cases += [(f"{consumers:,} consumers", [cfg] * n, w) for w in (1, 2)]
    rng = np.random.default_rng(0)
    sampled = [load_config(BASELINE, {"scale.consumers": 5_000, "scale.enterprises": 500}
                           | {k: float(rng.uniform(lo, hi)) for k, lo, hi in RANGES}) for _ in range(args.runs)]
    cases.append(("calibration-shaped, 5,000", sampled, 2))
    for name, configs, workers in cases:
        row = {"case": name, **throughput(configs, workers)}
        result["rows"].append(row)
        print(f"{name:<28} {workers:>7} {row['runs']:>5} {row['wall_s']:>7.1f} {row['median_run_s']:>12.3f} "
              f"{row['runs_per_hour']:>10,.0f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
