"""A calibration's products, read from its pyabc history: the posterior sample (Parquet, with
weights), diagnostics per generation (epsilon, acceptance, effective sample size, seconds),
prior-vs-posterior narrowing per parameter, the posterior predictive share of each target,
for a synthetic test the recovery of the known values, and figures. Reading and drawing only."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from pyabc.weighted_statistics import effective_sample_size, weighted_quantile  # noqa: E402

from . import calibration as abc_method  # noqa: E402
from .reporting import markdown_table  # noqa: E402

# a parameter counts as identified when the posterior's 90% interval is at most this share of the
# prior's 90% interval (in the prior's coordinates: log10 for log-uniform priors)
IDENTIFIED_WIDTH_RATIO = 0.8
# below this effective sample size a weighted 90% interval is too noisy to judge narrowing
MIN_ESS_TO_JUDGE = 50


def generations_table(history) -> pd.DataFrame:
    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0].reset_index(drop=True)
    rows = []
    for r in pops.itertuples():
        _, w = history.get_distribution(m=0, t=int(r.t))
        rows.append({"generation": int(r.t), "epsilon": float(r.epsilon), "evaluated": int(r.samples),
                     "accepted": int(r.particles), "acceptance_rate": r.particles / max(r.samples, 1),
                     "effective_sample_size": float(effective_sample_size(w)),
                     "end_time": str(r.population_end_time)})
    return pd.DataFrame(rows)


def posterior_units(history, adaptive, free) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """The last generation: u in [0, 1] of every parameter (adaptive ones from the particle's z,
    prior-proposed ones from its summary statistics), normalised weights, and whether the
    schema refused the particle's parameter set."""
    particles = history.get_population(t=history.max_t).particles
    w = np.array([p.weight for p in particles], float)
    units = {q.key: [float(abc_method.sigmoid(p.parameter[q.key])) for p in particles] for q in adaptive}
    units |= {q.key: [p.sum_stat[abc_method.UNIT_PREFIX + q.key] for p in particles] for q in free}
    refused = np.array([p.sum_stat.get("refused", 0.0) for p in particles], float)
    return pd.DataFrame(units), w / w.sum(), refused


def posterior_table(units: pd.DataFrame, w: np.ndarray, prior_list) -> pd.DataFrame:
    """The posterior sample in natural units: particle, weight, one column per key."""
    out = pd.DataFrame({"particle": np.arange(len(units), dtype=np.int64), "weight": w})
    for p in prior_list:
        vals = [abc_method.from_unit(p, u) for u in units[p.key].to_numpy()]
        out[p.key] = np.array(vals, dtype=np.int64 if p.integer else float)
    return out


def narrowing_table(units: pd.DataFrame, w: np.ndarray, prior_list, adaptive_keys, truth: dict | None = None
                    ) -> pd.DataFrame:
    """Per parameter: the posterior's 5/50/95% quantiles; width ratio = the posterior's 90%
    interval in u over the prior's (0.9); identified (ratio <= IDENTIFIED_WIDTH_RATIO); whether
    the proposal adapted to it; for a synthetic test, whether the known value lies in the
    posterior's 90% interval."""
    rows = []
    for p in prior_list:
        u = units[p.key].to_numpy()
        q05, q50, q95 = (float(weighted_quantile(u, weights=w, alpha=a)) for a in (0.05, 0.5, 0.95))
        ratio = (q95 - q05) / 0.9
        row = {"key": p.key, "scale": p.scale, "default": p.default, "prior_low": p.low, "prior_high": p.high,
               "adapted": p.key in adaptive_keys,
               "posterior_p05": abc_method.from_unit(p, q05), "posterior_median": abc_method.from_unit(p, q50),
               "posterior_p95": abc_method.from_unit(p, q95), "width_ratio": ratio,
               "identified": bool(ratio <= IDENTIFIED_WIDTH_RATIO)}
        if truth is not None:
            t = abc_method.to_unit(p, truth[p.key])
            row |= {"true_value": truth[p.key], "covered_90": bool(q05 - 1e-9 <= t <= q95 + 1e-9)}
        rows.append(row)
    return pd.DataFrame(rows).sort_values("width_ratio", kind="stable").reset_index(drop=True)


def predictive_table(history, targets, observed: dict) -> pd.DataFrame:
    """Per target: share of the histories that meet it in the first and the last generation
    (weighted over particles; each particle's share is over its k histories)."""
    def shares(t):
        w, stats = history.get_weighted_sum_stats(t=t)
        w = np.asarray(w, float) / np.sum(w)
        return {tg.id: float(np.clip(np.sum(w * np.array([s[tg.id] for s in stats])), 0.0, 1.0)) for tg in targets}

    first, last = shares(0), shares(history.max_t)
    return pd.DataFrame([{"target": tg.id, "source": tg.source, "noise": tg.noise, "observed": observed[tg.id],
                          "first_generation": first[tg.id], "posterior_predictive": last[tg.id]} for tg in targets])


# --------------------------------------------------------------------------------------
# figures


def generations_figure(gens: pd.DataFrame):
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.2))
    for ax, col, label in zip(axes, ("epsilon", "acceptance_rate", "effective_sample_size"),
                              ("epsilon (weighted RMS miss)", "acceptance rate", "effective sample size")):
        ax.plot(gens["generation"], gens[col], marker="o", color="#1f77b4")
        ax.set_xlabel("generation")
        ax.set_title(label, fontsize=10)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def marginals_figure(units: pd.DataFrame, w: np.ndarray, prior_list, narrowing: pd.DataFrame,
                     truth: dict | None = None):
    """Posterior histogram (weighted) over the prior's range for every parameter, narrowest first."""
    by_key = {p.key: p for p in prior_list}
    keys = list(narrowing["key"])
    cols = 6
    rows = int(np.ceil(len(keys) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(2.4 * cols, 1.7 * rows), squeeze=False)
    for ax, key in zip(axes.flat, keys):
        p = by_key[key]
        ax.hist(units[key], bins=10, range=(0.0, 1.0), weights=w, density=True, color="#1f77b4", alpha=0.8)
        ax.axhline(1.0, color="grey", ls="--", lw=1)
        ax.axvline(abc_method.to_unit(p, p.default), color="black", lw=1)
        if truth is not None:
            ax.axvline(abc_method.to_unit(p, truth[key]), color="#d62728", lw=1.5)
        ax.set_xticks([0, 1], [f"{p.low:g}", f"{p.high:g}"])
        ax.set_title(key.split(".")[-1] + (" (log)" if p.scale == "log-uniform" else ""), fontsize=7)
        ax.tick_params(labelsize=6)
        ax.set_yticks([])
    for ax in list(axes.flat)[len(keys):]:
        ax.axis("off")
    fig.suptitle("posterior (bars) vs prior (dashed) over each prior range; black: default"
                 + ("; red: true value" if truth else ""), fontsize=9)
    fig.tight_layout(rect=(0, 0, 1, 0.985))  # room for the title
    return fig


def pairs_figure(units: pd.DataFrame, w: np.ndarray, keys: list[str]):
    """Pairwise weighted scatter of the most narrowed parameters (u: position in the prior range)."""
    n = len(keys)
    fig, axes = plt.subplots(n, n, figsize=(2.0 * n, 2.0 * n), squeeze=False)
    size = 4 + 60 * w / w.max()
    for i, ki in enumerate(keys):
        for j, kj in enumerate(keys):
            ax = axes[i][j]
            if i == j:
                ax.hist(units[ki], bins=10, range=(0, 1), weights=w, color="#1f77b4")
            else:
                ax.scatter(units[kj], units[ki], s=size, alpha=0.4, color="#1f77b4", linewidths=0)
                ax.set_xlim(0, 1)
                ax.set_ylim(0, 1)
            ax.tick_params(labelsize=5)
            if i == n - 1:
                ax.set_xlabel(kj.split(".")[-1], fontsize=6)
            if j == 0:
                ax.set_ylabel(ki.split(".")[-1], fontsize=6)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------------------
# the products


def write_products(out: Path, history, adaptive, free, targets, meta: dict, seconds: float) -> dict:
    out = Path(out)
    order = [p["key"] for p in meta["priors"]]
    prior_list = sorted([*adaptive, *free], key=lambda p: order.index(p.key))
    diag = out / "diagnostics"
    diag.mkdir(exist_ok=True)
    truth = meta.get("truth")
    observed = {t["id"]: t["observed"] for t in meta["targets"]}
    gens = generations_table(history)
    units, w, refused = posterior_units(history, adaptive, free)
    posterior = posterior_table(units, w, prior_list)
    narrowing = narrowing_table(units, w, prior_list, {p.key for p in adaptive}, truth)
    predictive = predictive_table(history, targets, observed)
    _atomic(out / "posterior.parquet", lambda p: posterior.to_parquet(p, index=False))
    gens.to_csv(diag / "generations.csv", index=False)
    narrowing.to_csv(diag / "narrowing.csv", index=False)
    predictive.to_csv(diag / "predictive.csv", index=False)
    figures = {"generations": generations_figure(gens),
               "marginals": marginals_figure(units, w, prior_list, narrowing, truth),
               "pairs": pairs_figure(units, w, list(narrowing["key"][:5]))}
    for name, fig in figures.items():
        fig.savefig(diag / f"{name}.png", dpi=110)
        plt.close(fig)
    summary = {"generations": len(gens), "evaluated": int(gens["evaluated"].sum()),
               "histories_simulated": int(gens["evaluated"].sum()) * meta["settings"]["replications"],
               "final_epsilon": float(gens["epsilon"].iloc[-1]),
               "final_effective_sample_size": float(gens["effective_sample_size"].iloc[-1]),
               "seconds_this_session": round(seconds, 1),
               # wall time from the start (screening included) to the last generation, gaps of a resume included
               "wall_seconds_to_last_generation": _wall_seconds(meta.get("started_at"), gens),
               "refused_in_posterior": int(refused.sum()),
               "adapted": [p.key for p in adaptive],
               "identification_judgeable": bool(gens["effective_sample_size"].iloc[-1] >= MIN_ESS_TO_JUDGE),
               "identified": list(narrowing.loc[narrowing["identified"], "key"]),
               "not_identified": list(narrowing.loc[~narrowing["identified"], "key"])}
    if truth is not None:
        ident = narrowing[narrowing["identified"]]
        summary |= {"covered_90_all": float(narrowing["covered_90"].mean()),
                    "covered_90_identified": float(ident["covered_90"].mean()) if len(ident) else None}
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    (out / "report.md").write_text(report_markdown(meta, gens, narrowing, predictive, summary))
    return summary


def _wall_seconds(started_at: str | None, gens: pd.DataFrame) -> float | None:
    from datetime import datetime

    if not started_at or gens.empty:
        return None
    return round((datetime.fromisoformat(str(gens["end_time"].iloc[-1])) - datetime.fromisoformat(started_at))
                 .total_seconds(), 1)


def _atomic(path: Path, write) -> None:
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    tmp.replace(path)


def report_markdown(meta, gens, narrowing, predictive, summary) -> str:
    s = meta["settings"]
    kind = "synthetic test (targets generated from a known parameter set)" if s["synthetic"] else "2024 targets"
    parts = [f"# Calibration report ({kind})\n",
             f"ABC-SMC (pyabc) over {len(meta['priors'])} parameters with priors, against {len(meta['targets'])} "
             f"targets; population {s['population']}, up to {s['generations']} generations, {s['replications']} "
             f"histories per particle, seed {s['seed']}; config `{s['config']}` with overrides "
             f"{s['overrides'] or '{}'}. Simulated: {summary['evaluated']} parameter sets, "
             f"{summary['histories_simulated']} histories.\n",
             "## Generations\n", markdown_table(
                 ["generation", "epsilon", "evaluated", "accepted", "acceptance", "ESS"],
                 [(r.generation, f"{r.epsilon:.3f}", r.evaluated, r.accepted, f"{r.acceptance_rate:.2f}",
                   f"{r.effective_sample_size:.0f}") for r in gens.itertuples()]),
             "\n## Screening\n",
             f"A pilot of {meta['screening']['candidates']} parameter sets drawn from the prior; the proposal adapts "
             f"to the parameters whose |Spearman rho| with the distance exceeds "
             f"{meta['screening']['threshold']:.3f} (3 / sqrt(n)), at most {meta['screening']['adaptive_max']}; the "
             "others are drawn from their prior for every candidate (their posterior is still exact: the accepted "
             "histories carry them). Adapted: " + ", ".join(
                 f"{k} ({meta['screening']['influence'][k]:.2f})" for k in meta["screening"]["adaptive"]) + ".\n",
             "\n## Prior to posterior, narrowest first\n",
             "width ratio: the posterior's 90% interval over the prior's (in the prior's coordinates); "
             f"identified: ratio <= {IDENTIFIED_WIDTH_RATIO}."
             + ("" if summary["identification_judgeable"] else
                f" **The last generation's effective sample size is under {MIN_ESS_TO_JUDGE}: the intervals are too "
                "noisy to tell which parameters are identified.**") + "\n"]
    cols = ["parameter", "prior", "posterior median", "posterior 90%", "width ratio", "identified", "adapted"]
    truth = "true_value" in narrowing
    if truth:
        cols += ["true value", "in 90%"]
    rows = []
    for r in narrowing.itertuples():
        row = [r.key, f"{r.prior_low:g} - {r.prior_high:g}", f"{r.posterior_median:.3g}",
               f"{r.posterior_p05:.3g} - {r.posterior_p95:.3g}", f"{r.width_ratio:.2f}",
               "yes" if r.identified else "no", "yes" if r.adapted else "no"]
        if truth:
            row += [f"{r.true_value:.3g}", "yes" if r.covered_90 else "NO"]
        rows.append(row)
    parts.append(markdown_table(cols, rows))
    parts += ["\n## Posterior predictive: share of histories that meet each target\n", markdown_table(
        ["target", "source", "noise", "observed", "first generation", "posterior"],
        [(r.target, r.source, f"{r.noise:.2f}", f"{r.observed:g}", f"{r.first_generation:.2f}",
          f"{r.posterior_predictive:.2f}") for r in predictive.itertuples()])]
    if meta["left_out"]:
        parts += ["\n## Targets left out\n", markdown_table(["target", "why"],
                                                              [(x["target"], x["why"]) for x in meta["left_out"]])]
    parts.append("\nFigures: diagnostics/generations.png, diagnostics/marginals.png, diagnostics/pairs.png.\n")
    return "\n".join(parts)
