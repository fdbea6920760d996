"""The 2024-market checks of the model (issue: the 2024 market as it was), measured on the
baseline: best domestic context against the global frontier, headlines a month, the long
tail's racing count by month, consumer shares and status changes with their runway.

    python tools/market_checks.py [-n REPLICATIONS] [--consumers N] [--set KEY=VALUE ...]

Prints medians over replications (seed: the config's run.seed, children 0..n-1)."""

from __future__ import annotations

import argparse

import numpy as np

from market_sim.cli import parse_set_option
from market_sim.config import load_config
from market_sim.runner import run


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=8)
    ap.add_argument("--consumers", type=int, default=5000)
    ap.add_argument("--config", default="configs/baseline_2024.yaml")
    ap.add_argument("--set", action="append", default=[])
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    overrides = {"scale.consumers": args.consumers}
    for item in args.set:
        key, value = parse_set_option(item)
        overrides[key] = value
    cfg = load_config(args.config, overrides)
    res = run(cfg, replications=args.n, workers=args.workers, progress=False)
    vm, mm, ev = res.vendor_month, res.market_month, res.events

    ctx = vm[vm["status"].isin(["frontier", "focused"])].groupby(["replication", "month"])["capability_context"].max()
    frontier = mm.set_index(["replication", "month"])["frontier_context"]
    ratio = (ctx / frontier.reindex(ctx.index)).groupby("month").median()
    print("best domestic context / global frontier (median over replications), by quarter:")
    print(ratio.iloc[::3].round(2).to_string())

    rel = ev[ev["event"] == "release"]
    heads = rel[rel["detail"].str.contains("sets a new domestic best")]
    per_month = heads.groupby(["replication", "month"]).size().unstack(fill_value=0)
    print(f"\nheadlines a month: median {np.median(per_month.to_numpy()):.1f}, max {per_month.to_numpy().max()}")

    tail = vm[vm["long_tail"]]
    racing = tail[tail["status"] == "frontier"].groupby(["replication", "month"]).size().unstack(fill_value=0)
    med = racing.median(axis=0)
    print("\nlong-tail vendors racing (median), by month:")
    print(" ".join(f"{m[2:]}:{int(v)}" for m, v in med.items()))
    start = med.iloc[0]
    half = med[med <= start / 2]
    print(f"racing count halves from {start:.0f} by: {half.index[0] if len(half) else 'never'}")
    first = tail[tail["vendor"].str[5:].astype(int) <= cfg.long_tail.count]
    racing0 = first[first["status"] == "frontier"].groupby(["replication", "month"]).size().unstack(fill_value=0)
    med0 = racing0.median(axis=0)
    half0 = med0[med0 <= med0.iloc[0] / 2]
    print("the long tail present at the start, racing (median):",
          " ".join(f"{m[2:]}:{int(v)}" for m, v in med0.items()))
    print(f"... halves from {med0.iloc[0]:.0f} by: {half0.index[0] if len(half0) else 'never'}")
    entered = vm[vm["status"] != "not_entered"].groupby(["replication", "month"])["vendor"].nunique().unstack()
    print("vendors present (median):", " ".join(f"{m[2:]}:{int(v)}" for m, v in entered.median(axis=0).items()))

    named = vm[~vm["long_tail"]]
    share = named.pivot_table(index="month", columns="vendor", values="consumer_share", aggfunc="median")
    print("\nconsumer share (median), named vendors:")
    print(share.loc[[m for m in ("2024-01", "2024-03", "2024-06", "2024-10", "2024-12", "2025-12")
                     if m in share.index]].round(3).to_string())
    changes = ev[ev["event"].isin(["pivot", "exit", "acquisition", "shutdown"])]
    print("\nstatus changes by kind:", changes["event"].value_counts().to_dict())
    out = res.outcomes
    named_out = out[~out["vendor"].str.startswith("tail_")]
    print("\nP(falls behind) at the horizon:")
    print(named_out.groupby("vendor")["falls_behind"].mean().round(2).to_string())


if __name__ == "__main__":
    main()
