"""Sweep engine benchmarks (docs/performance.md):

    .venv/bin/python benchmarks/bench_sweep.py           # about 5 minutes on 2 cores

1. Throughput with 1 and 2 workers on the same sweep (runs of 5,000 consumers x 24 months);
   target: 2 workers at least 1.8x one.
2. Peak RSS of the parent process for sweeps of 100, 1,000 and 5,000 small runs (results
   stream to disk, so it should stay flat); each sweep in a fresh process, VmHWM.
3. Overhead of the Dask path (`--dask local`, 2 workers) against local processes (2 workers)
   on the sweep of 1.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BASELINE = ROOT / "configs" / "baseline_2024.yaml"

THROUGHPUT = """name: bench_throughput
base: {base}
set: {{scale.consumers: 5000, scale.enterprises: 500}}
design:
  kind: latin_hypercube
  samples: {points}
  seed: 1
  parameters:
    price_war.intensity: {{min: 0.25, max: 2.0}}
    talent.mobility: {{min: 0.005, max: 0.08}}
replications: 2
seed: 1
chunk_runs: 50
"""

SMALL = """name: bench_memory
base: {base}
set: {{scale.consumers: 300, scale.enterprises: 40, run.months: 3, long_tail.count: 3}}
design:
  kind: latin_hypercube
  samples: {points}
  seed: 1
  parameters:
    price_war.intensity: {{min: 0.25, max: 2.0}}
replications: 1
seed: 1
chunk_runs: 200
"""


def _child(sweep: str, out: str, workers: int, dask: str | None) -> None:
    """Run one sweep in this (fresh) process and print wall time and this process's peak RSS."""
    from market_sim.sweep import run_sweep

    t0 = time.perf_counter()
    outcome = run_sweep(sweep, out, workers=workers, dask=dask, progress=False)
    wall = time.perf_counter() - t0
    hwm = next(int(line.split()[1]) / 1024 for line in Path("/proc/self/status").read_text().splitlines()
               if line.startswith("VmHWM:"))
    print(json.dumps({"wall_s": wall, "runs": outcome.ran_now, "failed": outcome.failed, "parent_peak_rss_mb": hwm}))


def run(sweep_text: str, workers: int, dask: str | None = None) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="bench_sweep_"))
    try:
        f = tmp / "sweep.yaml"
        f.write_text(sweep_text)
        args = [sys.executable, __file__, "--child", str(f), str(tmp / "out"), str(workers), dask or ""]
        out = subprocess.run(args, capture_output=True, text=True, check=True)
        return json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5] or None)
        return
    result: dict = {}
    sweep = THROUGHPUT.format(base=BASELINE, points=100)  # 200 runs
    one = run(sweep, 1)
    two = run(sweep, 2)
    dask = run(sweep, 2, dask="local")
    result["throughput"] = {"runs": one["runs"], "one_worker": one, "two_workers": two, "dask_local_two": dask,
                            "scaling": one["wall_s"] / two["wall_s"], "dask_overhead": dask["wall_s"] / two["wall_s"]}
    print(f"throughput, {one['runs']} runs of 5,000 consumers x 24 months (wall time incl. start-up):")
    print(f"  1 worker  : {one['wall_s']:.1f} s = {one['runs'] / one['wall_s']:.2f} runs/s")
    print(f"  2 workers : {two['wall_s']:.1f} s = {two['runs'] / two['wall_s']:.2f} runs/s   "
          f"scaling {one['wall_s'] / two['wall_s']:.2f}x (target >= 1.8x)")
    print(f"  Dask (LocalCluster, 2 workers): {dask['wall_s']:.1f} s = "
          f"{dask['wall_s'] / two['wall_s']:.2f}x local processes")
    if "--throughput-only" in sys.argv:
        return
    mem = []
    for n in (100, 1_000, 5_000):
        r = run(SMALL.format(base=BASELINE, points=n), 2)
        mem.append({"runs": n, **r})
        print(f"  parent peak RSS, {n:>5,} runs: {r['parent_peak_rss_mb']:.0f} MB  ({r['wall_s']:.0f} s)")
    result["memory"] = mem
    out = ROOT / "benchmarks" / "results" / "bench_sweep.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
