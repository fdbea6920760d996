"""Throughput for calibration and sweeps (docs/performance.md):

    .venv/bin/python benchmarks/bench_runs.py                 # about 3 minutes on 2 cores
    .venv/bin/python benchmarks/bench_runs.py --runs 400      # steadier numbers, longer

1. Runs per hour at 5,000 and 20,000 consumers (enterprises 1:10, 24 months), on 1 and 2
   worker processes, as a sweep runs them: each run keeps its outcomes and market table
   (`runner.simulate_outcomes`), seeds are children of one SeedSequence. Wall time includes
   starting the workers, so it is what a user waits for.
2. Calibration-shaped: many short runs (5,000 consumers, 24 months), each with its own
   parameter set drawn from the priors of all the assumptions (market_sim.priors), on 2
   workers.
3. Calibration histories: what `market-sim calibrate` evaluates per candidate history: the
   baseline scale (20,000 consumers), the 12 months of 2024, all four tables, and the
   calibration targets measured on them (calibration.history_patterns), a prior draw each.

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

def _run(job: tuple) -> float:
    """One run in a worker: (config, seed) -> its own seconds."""
    from market_sim.runner import simulate_outcomes

    config, seed = job
    t0 = time.perf_counter()
    simulate_outcomes(config, seed)
    return time.perf_counter() - t0


def _history(job: tuple) -> float:
    """One calibration history in a worker: (config, targets, seed) -> its own seconds."""
    from market_sim.calibration import history_patterns

    config, targets, seed = job
    t0 = time.perf_counter()
    history_patterns(config, seed, targets)
    return time.perf_counter() - t0


def prior_draws(base, runs: int, overrides: dict) -> list:
    """`runs` configs, each with every prior's parameter drawn uniformly in its prior's coordinate."""
    from market_sim import load_config
    from market_sim.calibration import from_unit
    from market_sim.priors import priors

    rng = np.random.default_rng(0)
    drawn = []
    for _ in range(runs):
        keys = {p.key: from_unit(p, float(rng.random())) for p in priors(base)}
        drawn.append(load_config(base, keys | overrides))
    return drawn


def throughput(configs: list, workers: int, job=_run, extra: tuple = ()) -> dict:
    """Runs of `configs` (one run each) on `workers` processes; wall from pool start to the last run."""
    from market_sim.execution import child_seeds, pool_imap

    seeds = child_seeds(20241231, len(configs))
    jobs = [(cfg, *extra, seed) for cfg, seed in zip(configs, seeds)]
    t0 = time.perf_counter()
    if workers <= 1:
        from market_sim.execution import start_worker

        start_worker()
        per_run = [job(j) for j in jobs]
    else:
        per_run = list(pool_imap(job, jobs, workers))
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
    base = load_config(BASELINE)
    cases.append(("calibration-shaped, 5,000", prior_draws(base, args.runs, {"scale.consumers": 5_000,
                                                                              "scale.enterprises": 500}), 2))
    from market_sim.calibration import CALIBRATION_MONTHS
    from market_sim.calibration_run import calibration_targets
    from market_sim.validation import TARGETS_FILE

    targets, _ = calibration_targets([TARGETS_FILE], load_config(BASELINE, {"run.months": CALIBRATION_MONTHS}))
    histories = prior_draws(base, max(args.runs // 2, 4), {"run.months": CALIBRATION_MONTHS})
    cases.append(("calibration histories, 20,000", histories, 2, _history, (targets,)))
    for name, configs, workers, *job in cases:
        row = {"case": name, **throughput(configs, workers, *job)}
        result["rows"].append(row)
        print(f"{name:<28} {workers:>7} {row['runs']:>5} {row['wall_s']:>7.1f} {row['median_run_s']:>12.3f} "
              f"{row['runs_per_hour']:>10,.0f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
