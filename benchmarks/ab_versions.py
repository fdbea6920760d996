"""Two versions of market-sim side by side: the same runs timed in each, interleaved.

    git worktree add /tmp/ms-before <commit>        # the version to compare against
    .venv/bin/python benchmarks/ab_versions.py /tmp/ms-before .  [--sizes 5000 20000] [--rounds 3]

Each round starts one fresh process per version and size (so imports and caches are each
version's own); a process times `--runs` baseline runs after a warm-up, with the fastest path
each version offers (`runner.simulate_outcomes` if it exists, else `runner.simulate`). Rounds
alternate the versions, so drifts in machine load hit both alike. Prints medians of wall and
CPU seconds per run and their ratio (B / A). Writes nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

CHILD = r"""
import json, sys, time
import numpy as np
from market_sim import load_config, runner
n, runs = int(sys.argv[1]), int(sys.argv[2])
keys = {"scale.consumers": n, "scale.enterprises": max(n // 10, 1)}
try:
    cfg = load_config("configs/baseline_2024.yaml", keys)
except Exception:  # versions before dict overrides took "key=value" strings
    cfg = load_config("configs/baseline_2024.yaml", [f"{k}={v}" for k, v in keys.items()])
run = getattr(runner, "simulate_outcomes", runner.simulate)
run(cfg, np.random.SeedSequence(0))
wall, cpu = [], []
for i in range(runs):
    w, c = time.perf_counter(), time.process_time()
    run(cfg, np.random.SeedSequence(i + 1))
    wall.append(time.perf_counter() - w)
    cpu.append(time.process_time() - c)
print(json.dumps({"wall": wall, "cpu": cpu}))
"""


def measure(tree: Path, consumers: int, runs: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run([sys.executable, "-c", CHILD, str(consumers), str(runs)], cwd=tree, env=env,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("a", type=Path, help="source tree of version A (the reference)")
    ap.add_argument("b", type=Path, help="source tree of version B")
    ap.add_argument("--sizes", type=int, nargs="+", default=[5_000, 20_000])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--runs", type=int, default=5, help="timed runs per process")
    args = ap.parse_args()
    got: dict = {}
    for _ in range(args.rounds):
        for n in args.sizes:
            for name, tree in (("a", args.a), ("b", args.b)):
                d = measure(tree.resolve(), n, args.runs)
                for k in ("wall", "cpu"):
                    got.setdefault((n, name, k), []).extend(d[k])
    print(f"{'consumers':>9} {'A wall s':>9} {'B wall s':>9} {'B/A':>5} {'A cpu s':>8} {'B cpu s':>8} {'B/A':>5}")
    for n in args.sizes:
        med = {(name, k): statistics.median(got[(n, name, k)]) for name in "ab" for k in ("wall", "cpu")}
        print(f"{n:>9,} {med['a', 'wall']:>9.3f} {med['b', 'wall']:>9.3f} {med['b', 'wall'] / med['a', 'wall']:>5.2f} "
              f"{med['a', 'cpu']:>8.3f} {med['b', 'cpu']:>8.3f} {med['b', 'cpu'] / med['a', 'cpu']:>5.2f}")


if __name__ == "__main__":
    main()
