"""Benchmark market-sim against Mesa's own BoltzmannWealth example, and measure scaling and
memory. Run from the project's venv:

    .venv/bin/python benchmarks/bench_model.py                 # reference ratio + scaling (about 1 min)
    .venv/bin/python benchmarks/bench_model.py --stages        # + where a run goes, kernels vs numpy path
    .venv/bin/python benchmarks/bench_model.py --memory-runs 200 --profile

Prints small tables and writes benchmarks/results/bench_model.json and, with matplotlib,
benchmarks/results/scaling.png (both untracked). Method and figures: docs/performance.md.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import platform
import pstats
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BASELINE = ROOT / "configs" / "baseline_2024.yaml"
MONTHS = 24


def rss_mb() -> float:
    """Current resident set size of this process, MB."""
    return int(Path("/proc/self/statm").read_text().split()[1]) * resource.getpagesize() / 1e6


def peak_rss_mb() -> float:
    """Peak RSS of this process image, MB. VmHWM, not ru_maxrss: on Linux ru_maxrss carries
    over the parent's peak through fork and exec, so every child would report the parent's."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def time_boltzmann(agents: int, steps: int, seed: int) -> float:
    """Seconds for BoltzmannWealth with `agents` agents for `steps` steps (set-up included),
    on a grid with the example's own density (100 agents on 10 x 10: one per cell)."""
    from mesa.examples.basic.boltzmann_wealth_model.model import BoltzmannWealth

    side = max(int(round(agents ** 0.5)), 1)
    t0 = time.perf_counter()
    model = BoltzmannWealth(n=agents, width=side, height=side, seed=seed)
    for _ in range(steps):
        model.step()
    elapsed = time.perf_counter() - t0
    model.remove_all_agents()
    return elapsed


def time_market(consumers: int, enterprises: int, seed: int) -> float:
    """Seconds for one market-sim run: set-up, 24 months and the output tables."""
    from market_sim import MarketModel, load_config
    from market_sim.runner import release_model

    cfg = load_config(BASELINE, {"scale.consumers": consumers, "scale.enterprises": enterprises})
    t0 = time.perf_counter()
    model = MarketModel(cfg, rng=seed)
    while model.running:
        model.step()
    model.tables()
    elapsed = time.perf_counter() - t0
    release_model(model)
    return elapsed


def time_numpy_month(consumers: int, vendors: int, months: int, seed: int) -> float:
    """Seconds for the bare consumer work of a run in plain numpy, with no model around it:
    each month churn, Bass adoption from contacts' adoption, switching, a logit choice among
    `vendors` for those who choose, and users per vendor. The floor a model of the same
    consumer work could reach (`time_market` against it: the model's overhead)."""
    rng = np.random.default_rng(seed)
    contacts = rng.integers(0, consumers, (consumers, 8))
    vendor = np.where(rng.random(consumers) < 0.05, rng.integers(0, vendors, consumers), -1)
    weight = np.full(consumers, 3e4)
    t0 = time.perf_counter()
    for _ in range(months):
        adopted = vendor >= 0
        vendor[adopted & (rng.random(consumers) < 0.02)] = -1
        share = (vendor[contacts] >= 0).mean(axis=1)
        hazard = 0.004 + 0.06 * share
        new = ~adopted & (rng.random(consumers) < hazard)
        choosers = np.flatnonzero(new | ((vendor >= 0) & (rng.random(consumers) < 0.08)))
        utility = rng.normal(size=vendors)[None, :] + rng.gumbel(size=(choosers.size, vendors))
        vendor[choosers] = np.argmax(utility, axis=1)
        np.bincount(vendor[vendor >= 0], weights=weight[vendor >= 0], minlength=vendors)
    return time.perf_counter() - t0


def reference_ratio(runs: int) -> dict:
    """Both models in this one process, after a warm-up of each; medians of `runs`."""
    time_boltzmann(10_000, 2, seed=0)
    time_market(20_000, 2_000, seed=0)
    boltz, market, bare = [], [], []
    for i in range(runs):  # interleaved, so drifts in machine load hit all alike
        boltz.append(time_boltzmann(10_000, MONTHS, seed=i + 1))
        market.append(time_market(20_000, 2_000, seed=i + 1))
        bare.append(time_numpy_month(20_000, 40, MONTHS, seed=i + 1))
    b_med, m_med, n_med = statistics.median(boltz), statistics.median(market), statistics.median(bare)
    per_agent_step = b_med / (10_000 * MONTHS)
    per_consumer_month = m_med / (20_000 * MONTHS)
    return {
        "runs": runs,
        "boltzmann_seconds": boltz, "market_seconds": market,
        "boltzmann_median_s": b_med, "market_median_s": m_med,
        "boltzmann_us_per_agent_step": 1e6 * per_agent_step,
        "market_us_per_consumer_month": 1e6 * per_consumer_month,
        "ratio": per_consumer_month / per_agent_step,
        "numpy_month_seconds": bare, "numpy_month_median_s": n_med,
        "ratio_to_numpy_month": m_med / n_med,
    }


def child(consumers: int) -> None:
    """One measured run in a fresh process (so its peak RSS is its own), after a small warm-up."""
    time_market(2_000, 200, seed=0)
    gc.collect()
    wall = time_market(consumers, max(consumers // 10, 1), seed=1)
    print(json.dumps({"consumers": consumers, "wall_s": wall, "peak_rss_mb": peak_rss_mb()}))


def scaling(sizes: list[int], runs: int) -> list[dict]:
    rows = []
    for n in sizes:
        got = []
        for _ in range(runs):
            out = subprocess.run([sys.executable, __file__, "--child", str(n)],
                                 capture_output=True, text=True, check=True)
            got.append(json.loads(out.stdout.strip().splitlines()[-1]))
        wall = statistics.median(g["wall_s"] for g in got)
        rows.append({
            "consumers": n, "enterprises": max(n // 10, 1), "runs": runs, "wall_s": wall,
            "us_per_consumer_month": 1e6 * wall / (n * MONTHS),
            "peak_rss_mb": max(g["peak_rss_mb"] for g in got),
        })
    return rows


def memory_across_runs(runs: int, release: bool = True) -> dict:
    """RSS of one process across `runs` sequential baseline replications (as the runner does
    them). With release=False the finished models are left to Mesa 3.3 (which keeps them)."""
    from market_sim import MarketModel, load_config
    from market_sim.runner import replication_seeds, run_replication

    cfg = load_config(BASELINE).model_dump()
    seeds = replication_seeds(1, runs)
    rss = []
    for i, s in enumerate(seeds):
        if release:
            run_replication(cfg, i, s)
        else:
            model = MarketModel(cfg, rng=s)
            while model.running:
                model.step()
            model.tables()
            del model
        gc.collect()
        rss.append(rss_mb())
    half = len(rss) // 2
    slope = (rss[-1] - rss[half]) / max(len(rss) - 1 - half, 1)
    return {"runs": runs, "released": release, "rss_mb": rss, "rss_first_mb": rss[0], "rss_last_mb": rss[-1],
            "mb_per_run_second_half": slope}


def profile_top(n: int = 15) -> str:
    """cProfile of one baseline run: set-up, 24 months, tables (config loading excluded)."""
    from market_sim import MarketModel, load_config

    time_market(2_000, 200, seed=0)
    cfg = load_config(BASELINE)
    pr = cProfile.Profile()
    pr.enable()
    model = MarketModel(cfg, rng=1)
    while model.running:
        model.step()
    model.tables()
    pr.disable()
    buf = io.StringIO()
    pstats.Stats(pr, stream=buf).sort_stats("tottime").print_stats(n)
    return buf.getvalue()


STAGES = ("follow_exogenous_paths", "enter_market", "release_features", "set_api_prices", "buy_tokens",
          "use_assistants", "move_talent", "settle_accounts", "finance", "take_stock")


def stage_times(consumers: int, runs: int) -> dict[str, float]:
    """Milliseconds per run in each stage of the month (MarketModel's methods), the set-up
    (with its opening purchases), the records and the output tables of the fast path (market
    table and outcomes): sums over a run, medians over `runs` runs after a warm-up, in this
    process."""
    from market_sim import MarketModel, load_config
    from market_sim.records import Recorder
    from market_sim.runner import release_model

    cfg = load_config(BASELINE, {"scale.consumers": consumers, "scale.enterprises": consumers // 10})
    spent: dict[str, float] = {}
    originals = {name: getattr(MarketModel, name) for name in STAGES} | {"record": Recorder.record}

    def timed(name, fn):
        def wrapper(*args, **kwargs):
            t0 = time.perf_counter()
            out = fn(*args, **kwargs)
            spent[name] = spent.get(name, 0.0) + time.perf_counter() - t0
            return out
        return wrapper

    per_run: list[dict[str, float]] = []
    try:
        for name in STAGES:
            setattr(MarketModel, name, timed(name, originals[name]))
        Recorder.record = timed("record", originals["record"])
        for i in range(runs + 1):
            spent.clear()
            t0 = time.perf_counter()
            model = MarketModel(cfg, rng=np.random.default_rng(np.random.SeedSequence(i)))
            set_up = time.perf_counter() - t0
            spent.clear()  # the set-up's own stages (its opening purchases) count as set-up
            while model.running:
                model.step()
            t1 = time.perf_counter()
            model.market_table(), model.outcomes()
            t2 = time.perf_counter()
            release_model(model)
            if i:  # the first is the warm-up
                per_run.append(spent | {"set-up": set_up, "output tables": t2 - t1, "total": t2 - t0})
    finally:
        for name in STAGES:
            setattr(MarketModel, name, originals[name])
        Recorder.record = originals["record"]
    return {k: 1000 * statistics.median(r.get(k, 0.0) for r in per_run) for k in per_run[0]}


def plot(rows: list[dict], ref: dict | None, path: Path) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 4), layout="constrained")
    a, b = fig.subplots(1, 2)
    n = [r["consumers"] for r in rows]
    a.loglog(n, [r["wall_s"] for r in rows], "o-", label="market-sim run (24 months)")
    a.set_xlabel("consumer agents (enterprises 1:10)")
    a.set_ylabel("wall time, s (median)")
    a.axhline(1.5, color="grey", ls=":", label="target at 200k: 1.5 s")
    a.legend(fontsize=8)
    b.semilogx(n, [r["us_per_consumer_month"] for r in rows], "o-", label="market-sim per consumer-month")
    if ref:
        b.axhline(ref["boltzmann_us_per_agent_step"], color="C3", ls="--", label="BoltzmannWealth per agent-step")
    b.set_xlabel("consumer agents")
    b.set_ylabel("microseconds")
    b.set_ylim(bottom=0)
    b.legend(fontsize=8)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5, help="timed runs per model for the ratio (median)")
    ap.add_argument("--sizes", type=int, nargs="+", default=[2_000, 20_000, 200_000])
    ap.add_argument("--scale-runs", type=int, default=3,
                    help="fresh processes per scaling size (median; 0: skip the scaling runs)")
    ap.add_argument("--memory-runs", type=int, default=0, help="sequential runs for the memory measurement (0: skip)")
    ap.add_argument("--profile", action="store_true", help="print the cProfile top entries of one baseline run")
    ap.add_argument("--stages", action="store_true",
                    help="ms per run in each stage of the month at 5,000 and 20,000 consumers, with the compiled "
                         "kernels and with the numpy reference path (MARKET_SIM_KERNELS=numpy) side by side")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "bench_model.json")
    ap.add_argument("--plot", type=Path, default=ROOT / "benchmarks" / "results" / "scaling.png")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child)
        return

    import mesa

    result: dict = {"machine": {"python": platform.python_version(), "mesa": mesa.__version__,
                                "cpus": __import__("os").cpu_count(), "platform": platform.platform()}}
    ref = reference_ratio(args.runs)
    result["reference"] = ref
    print(f"\nReference (one process, medians of {ref['runs']} runs after warm-up)")
    print(f"  BoltzmannWealth 10,000 agents x 24 steps : {ref['boltzmann_median_s']:.3f} s = "
          f"{ref['boltzmann_us_per_agent_step']:.2f} us per agent-step")
    print(f"  market-sim 20,000 consumers x 24 months  : {ref['market_median_s']:.3f} s = "
          f"{ref['market_us_per_consumer_month']:.3f} us per consumer-month")
    print(f"  bare numpy consumer month, 20,000 x 24    : {ref['numpy_month_median_s']:.3f} s")
    print(f"  ratio (ours per consumer-month / Boltzmann per agent-step): {ref['ratio']:.3f}  (target <= 0.04)")
    print(f"  ratio (market-sim run / bare numpy consumer months)      : {ref['ratio_to_numpy_month']:.1f}  "
          "(target <= 3)")

    rows = scaling(args.sizes, args.scale_runs) if args.scale_runs > 0 else []
    if rows:
        result["scaling"] = rows
        print(f"\nScaling (each run in a fresh process; median wall of {args.scale_runs}, max peak RSS)")
        print(f"  {'consumers':>10} {'enterprises':>11} {'wall s':>8} {'us/consumer-month':>18} {'peak RSS MB':>12}")
        for r in rows:
            print(f"  {r['consumers']:>10,} {r['enterprises']:>11,} {r['wall_s']:>8.2f} "
                  f"{r['us_per_consumer_month']:>18.3f} {r['peak_rss_mb']:>12.0f}")

    if args.memory_runs:
        flat = memory_across_runs(args.memory_runs, release=True)   # first: the leak would inflate it
        leak = memory_across_runs(min(30, args.memory_runs), release=False)
        result["memory"] = {"without_release": leak, "with_release": flat}
        print("\nMemory across sequential baseline runs in one process (RSS, MB)")
        print(f"  models left to Mesa 3.3, {leak['runs']} runs : "
              f"{leak['rss_first_mb']:.0f} -> {leak['rss_last_mb']:.0f} "
              f"({leak['mb_per_run_second_half']:.2f} MB per run)")
        marks = [0, 49, 99, 149, 199]
        pts = ", ".join(f"run {i + 1}: {flat['rss_mb'][i]:.0f}" for i in marks if i < flat["runs"])
        print(f"  runner.release_model, {flat['runs']} runs  : {pts} ({flat['mb_per_run_second_half']:.3f} MB per run)")

    if args.stages:
        from market_sim import kernels

        result["stages"] = {}
        for consumers in (5_000, 20_000):
            with kernels.use(True):
                fast = stage_times(consumers, args.runs)
            with kernels.use(False):
                reference = stage_times(consumers, args.runs)
            result["stages"][consumers] = {"kernels": fast, "numpy": reference}
            print(f"\nWhere a run goes, {consumers:,} consumers (ms per run, medians of {args.runs})")
            print(f"  {'stage':<32} {'kernels':>8} {'numpy':>8} {'ratio':>6}")
            for stage in fast:
                ratio = fast[stage] / reference[stage] if reference[stage] else float("nan")
                print(f"  {stage:<32} {fast[stage]:>8.1f} {reference[stage]:>8.1f} {ratio:>6.2f}")

    if args.profile:
        top = profile_top()
        result["profile_top"] = top
        print("\nProfile of one baseline run (cProfile, by own time)\n" + top)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    wrote = [args.out]
    if rows:  # the plot is of the scaling runs
        try:
            plot(rows, ref, args.plot)
            wrote.append(args.plot)
        except ImportError:
            pass
    print("wrote " + " and ".join(map(str, wrote)))


if __name__ == "__main__":
    main()
