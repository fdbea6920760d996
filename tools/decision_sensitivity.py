"""How each named startup's P(falls behind) responds to each parameter of the race-or-focus
decision, one at a time at x0.5 and x2 (clipped to the schema's bounds), with common random
numbers: replication r of every variant uses child r of SeedSequence(seed), so a change is
measured pair by pair (mean paired difference and its 95% interval).

    python tools/decision_sensitivity.py [-n 50] [--workers 2] [--consumers 20000] [--out FILE.csv]

Prints a Markdown table; writes the long table to --out (default: a file under /tmp)."""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from market_sim.config import load_config
from market_sim.execution import pool_imap
from market_sim.runner import replication_seeds, simulate_outcomes
from market_sim.stats import Z95

PARAMETERS = ("decision_horizon_months", "prospect_gap_months", "focus_revenue_retained", "focus_value_share",
              "pivot_inertia_months", "decision_patience_months", "valuation_to_cash")
UPPER = {"focus_revenue_retained": 1.0, "focus_value_share": 1.0}


def variants(base) -> list[tuple[str, float, dict]]:
    out = [("baseline", 1.0, {})]
    for name in PARAMETERS:
        value = getattr(base.financing, name)
        for factor in (0.5, 2.0):
            new = min(value * factor, UPPER.get(name, np.inf))
            if isinstance(value, int):
                new = max(int(round(new)), 1)
            out.append((name, factor, {f"financing.{name}": new}))
    return out


def _job(job):
    key, overrides, config_path, consumers, seed = job
    cfg = load_config(config_path, {"scale.consumers": consumers, **overrides})
    outcomes = simulate_outcomes(cfg, seed)["outcomes"]
    return key, outcomes[["vendor", "falls_behind"]].assign(falls_behind=lambda d: d["falls_behind"].astype(float))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=50)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--consumers", type=int, default=20_000)
    ap.add_argument("--config", default="configs/baseline_2024.yaml")
    ap.add_argument("--out", default="/tmp/decision_sensitivity.csv")
    args = ap.parse_args()
    base = load_config(args.config)
    seeds = replication_seeds(base.run.seed, args.n)
    jobs = [((name, factor, r), overrides, args.config, args.consumers, seed)
            for name, factor, overrides in variants(base) for r, seed in enumerate(seeds)]
    started = time.monotonic()
    rows = []
    for (name, factor, r), table in pool_imap(_job, jobs, workers=args.workers):
        rows.append(table.assign(parameter=name, factor=factor, replication=r))
    long = pd.concat(rows, ignore_index=True)
    named = [v for v in base.vendors if base.vendors[v].kind == "startup"]
    long = long[long["vendor"].isin(named)]
    long.to_csv(args.out, index=False)
    wide = long.pivot_table(index=["vendor", "replication"], columns=["parameter", "factor"], values="falls_behind")
    reference = wide[("baseline", 1.0)]
    lines = ["| parameter | factor | " + " | ".join(base.vendors[v].name for v in named) + " |",
             "|---|---|" + "---|" * len(named)]
    p_base = reference.groupby("vendor").mean()
    lines.append("| baseline | 1 | " + " | ".join(f"{p_base[v]:.2f}" for v in named) + " |")
    for name, factor, _ in variants(base)[1:]:
        diff = (wide[(name, factor)] - reference).groupby("vendor")
        mean, half = diff.mean(), Z95 * diff.std(ddof=1) / np.sqrt(args.n)
        cells = []
        for v in named:
            mark = "*" if abs(mean[v]) > half[v] and mean[v] != 0 else ""
            cells.append(f"{mean[v]:+.2f}{mark}")
        lines.append(f"| {name} | x{factor:g} | " + " | ".join(cells) + " |")
    print(f"{len(jobs)} runs in {time.monotonic() - started:.0f} s, {args.n} replications each, "
          f"{args.consumers} consumers; baseline row: P(falls behind); other rows: change in P against it "
          "(mean paired difference; * where its 95% interval excludes zero)")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
