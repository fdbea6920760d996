"""Markdown tables of a calibration directory for docs/calibration.md (regenerate them when the
model or the calibration changes):

    python tools/calibration_tables.py calibration/baseline_2024 [--synthetic calibration/synthetic]

Prints: the generations, the ten parameters the screening found most influential with their
prior-to-posterior narrowing, the parameters the posterior narrows, the posterior predictive
table, and for a synthetic calibration the recovery of the known values."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from market_sim.reporting import markdown_table  # noqa: E402


def _load(d: Path):
    meta = json.loads((d / "calibration.json").read_text())
    return (meta, json.loads((d / "summary.json").read_text()), pd.read_csv(d / "diagnostics" / "generations.csv"),
            pd.read_csv(d / "diagnostics" / "narrowing.csv"), pd.read_csv(d / "diagnostics" / "predictive.csv"))


def _interval(lo, hi) -> str:
    return f"{lo:.3g} - {hi:.3g}"


def tables(d: Path) -> str:
    meta, summary, gens, narrowing, predictive = _load(d)
    out = ["### Generations\n", markdown_table(
        ["generation", "epsilon", "evaluated", "accepted", "acceptance", "effective sample size"],
        [(r.generation, f"{r.epsilon:.3f}", r.evaluated, r.accepted, f"{r.acceptance_rate:.2f}",
          f"{r.effective_sample_size:.0f}") for r in gens.itertuples()])]
    influence = meta["screening"]["influence"]
    top = sorted(influence, key=lambda k: -influence[k])[:10]
    by_key = narrowing.set_index("key")
    out += ["\n### The ten most influential parameters (screening), prior to posterior\n", markdown_table(
        ["parameter", "|rho| with the distance", "prior", "posterior median", "posterior 90%", "width ratio"],
        [(k, f"{influence[k]:.2f}", _interval(by_key.at[k, "prior_low"], by_key.at[k, "prior_high"]),
          f"{by_key.at[k, 'posterior_median']:.3g}", _interval(by_key.at[k, "posterior_p05"],
                                                                by_key.at[k, "posterior_p95"]),
          f"{by_key.at[k, 'width_ratio']:.2f}") for k in top])]
    narrowed = narrowing[narrowing["identified"]]
    out += ["\nNarrowed by the 2024 patterns (a posterior 90% interval at most 80% of the prior's): "
            + (", ".join(f"`{r.key}` ({r.width_ratio:.2f})" for r in narrowed.itertuples()) or "none")
            + f". The other {int((~narrowing['identified']).sum())} keep more than 80% of their prior's.\n"]
    out += ["\n### Posterior predictive: share of histories meeting each target\n", markdown_table(
        ["target", "noise", "generation 0", "posterior"],
        [(r.target, f"{r.noise:.2f}", f"{r.first_generation:.2f}", f"{r.posterior_predictive:.2f}")
         for r in predictive.itertuples()])]
    return "\n".join(out)


def synthetic_tables(d: Path) -> str:
    meta, summary, gens, narrowing, predictive = _load(d)
    ident = narrowing[narrowing["identified"]]
    lines = [f"Known values inside the posterior's 90% interval: {int(narrowing['covered_90'].sum())} of "
             f"{len(narrowing)} parameters; of the {len(ident)} the posterior narrows (width ratio <= 0.8), "
             f"{int(ident['covered_90'].sum())}.\n",
             markdown_table(["parameter", "true value", "prior", "posterior 90%", "width ratio", "covered"],
                            [(r.key, f"{r.true_value:.3g}", _interval(r.prior_low, r.prior_high),
                              _interval(r.posterior_p05, r.posterior_p95), f"{r.width_ratio:.2f}",
                              "yes" if r.covered_90 else "NO") for r in narrowing.head(15).itertuples()])]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("calibration", type=Path)
    ap.add_argument("--synthetic", type=Path)
    a = ap.parse_args()
    print(tables(a.calibration))
    if a.synthetic:
        print("\n## Synthetic\n")
        print(synthetic_tables(a.synthetic))


if __name__ == "__main__":
    main()
