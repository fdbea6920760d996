"""`market-sim report SWEEP_DIR`: what a sweep says about who falls behind.

- P(falls behind) per vendor over the sweep's parameters: heatmaps for a two-parameter
  grid, partial-dependence lines otherwise;
- sensitivity indices with 95% confidence intervals (SALib): Sobol first-order and total
  for a Sobol design, Morris mu* for a Morris design;
- scenario discovery: the parameter box in which a chosen vendor falls behind with high
  probability (PRIM, `prim` package), with its coverage and density.
Figures (PNG) and report.md go to SWEEP_DIR/report/, written atomically.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..config import ConfigError
from ..palette import vendor_colour
from ..reporting import annotated_heatmap, atomic_directory, markdown_table
from .design import problem
from .engine import load_results, reopen


def _named(vendors: pd.DataFrame, base: dict) -> list[str]:
    """Named vendors in the config's order (big techs first), as in every other table."""
    present = set(vendors["vendor"])
    return [v for v in base["vendors"] if v in present]


def per_point(runs: pd.DataFrame, vendors: pd.DataFrame, params: list[str]) -> pd.DataFrame:
    """point x vendor: P(falls behind) over the point's successful replications."""
    ok = runs.loc[runs["status"] == "ok", ["run_id", "point_id", *params]]
    merged = vendors.merge(ok, on="run_id")
    return (merged.groupby(["point_id", "vendor"], sort=True)["falls_behind"].mean()
            .unstack("vendor"))


def heatmap_figure(points: pd.DataFrame, table: pd.DataFrame, params: list[str], named: list[str]) -> Figure:
    a, b = params
    cols = 5
    rows = int(np.ceil(len(named) / cols))
    fig = Figure(figsize=(3.2 * cols, 2.8 * rows + 0.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    xs, ys = sorted(points[a].unique()), sorted(points[b].unique())
    im = None
    for ax, v in zip(axes, named):
        grid = np.full((len(ys), len(xs)), np.nan)
        for pid, row in points.set_index("point_id").iterrows():
            if pid in table.index:
                grid[ys.index(row[b]), xs.index(row[a])] = table.loc[pid, v]
        im = annotated_heatmap(ax, grid, [f"{x:g}" for x in xs], [f"{y:g}" for y in ys], vmin=0, vmax=1,
                               fontsize=6, tick_fontsize=7)
        ax.set_title(v, fontsize=9)
    for ax in axes[len(named):]:
        ax.set_axis_off()
    fig.supxlabel(a)
    fig.supylabel(b)
    if im is not None:
        fig.colorbar(im, ax=list(axes), shrink=0.6, label="P(falls behind)")
    return fig


def partial_dependence(points: pd.DataFrame, table: pd.DataFrame, param: str, bins: int = 8) -> pd.DataFrame:
    """Mean P(falls behind) per vendor over bins (quantiles) of one parameter."""
    x = points.set_index("point_id").loc[table.index, param]
    if x.nunique() <= bins:
        key = x
    else:
        key = pd.qcut(x, bins, duplicates="drop").apply(lambda iv: iv.mid).astype(float)
    return table.groupby(key.to_numpy()).mean()


def partial_dependence_figure(points: pd.DataFrame, table: pd.DataFrame, params: list[str], named: list[str]) -> Figure:
    cols = min(4, len(params))
    rows = int(np.ceil(len(params) / cols))
    fig = Figure(figsize=(4 * cols, 3 * rows + 0.5), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    for ax, p in zip(axes, params):
        pdp = partial_dependence(points, table, p)
        for i, v in enumerate(named):
            ax.plot(pdp.index, pdp[v], marker="o", ms=3, color=vendor_colour(v, i), label=v)
        ax.set_xlabel(p, fontsize=8)
        ax.set_ylim(-0.02, 1.02)
        ax.set_ylabel("P(falls behind)", fontsize=8)
    for ax in axes[len(params):]:
        ax.set_axis_off()
    axes[0].legend(fontsize=7, ncol=2)
    return fig


def sensitivity(sweep, points: pd.DataFrame, table: pd.DataFrame, named: list[str]) -> pd.DataFrame | None:
    """Indices per vendor and parameter with 95% confidence intervals, or None for designs
    that have none (grid, Latin hypercube)."""
    kind = sweep.design.kind
    if kind not in ("sobol", "morris"):
        return None
    prob = problem(sweep.design)
    rows = []
    x = points[prob["names"]].to_numpy(float)
    for v in named:
        y = table[v].reindex(points["point_id"]).to_numpy(float)
        if not np.isfinite(y).all():
            rows.append({"vendor": v, "note": "failed runs left design points without a value"})
            continue
        if np.ptp(y) == 0:
            rows += [{"vendor": v, "parameter": p, "index": "constant outcome", "value": 0.0, "ci95": 0.0}
                     for p in prob["names"]]
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if kind == "sobol":
                from SALib.analyze import sobol

                res = sobol.analyze(prob, y, calc_second_order=False, conf_level=0.95, seed=sweep.design.seed)
                for i, p in enumerate(prob["names"]):
                    rows.append({"vendor": v, "parameter": p, "index": "S1", "value": res["S1"][i],
                                 "ci95": res["S1_conf"][i]})
                    rows.append({"vendor": v, "parameter": p, "index": "ST", "value": res["ST"][i],
                                 "ci95": res["ST_conf"][i]})
            else:
                from SALib.analyze import morris

                res = morris.analyze(prob, x, y, conf_level=0.95, seed=sweep.design.seed)
                for i, p in enumerate(prob["names"]):
                    rows.append({"vendor": v, "parameter": p, "index": "mu_star", "value": res["mu_star"][i],
                                 "ci95": res["mu_star_conf"][i]})
    return pd.DataFrame(rows)


def replication_noise(runs: pd.DataFrame, vendors: pd.DataFrame, named: list[str]) -> dict[str, float] | None:
    """Per vendor, the share of the variance of 'falls behind' that lies within design points
    (replication noise) rather than between them; None with one replication per point."""
    ok = runs.loc[runs["status"] == "ok", ["run_id", "point_id"]]
    d = vendors.merge(ok, on="run_id")
    if d.groupby(["point_id", "vendor"]).size().max() < 2:
        return None
    out = {}
    for v in named:
        y = d.loc[d["vendor"] == v].groupby("point_id")["falls_behind"]
        total = d.loc[d["vendor"] == v, "falls_behind"].astype(float).var()
        out[v] = float(y.var().mean() / total) if total > 0 else 0.0
    return out


def sensitivity_figure(indices: pd.DataFrame, named: list[str]) -> Figure:
    ok = indices.dropna(subset=["parameter"]) if "parameter" in indices else indices.iloc[0:0]
    kinds = [k for k in ("S1", "ST", "mu_star") if k in set(ok.get("index", []))]
    params = list(dict.fromkeys(ok["parameter"])) if len(ok) else []
    cols = 5
    rows = int(np.ceil(len(named) / cols))
    fig = Figure(figsize=(3.4 * cols, 0.32 * len(params) * rows + 1.2 * rows + 0.5), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols, sharey=True)).ravel()
    y = np.arange(len(params))
    h = 0.8 / max(len(kinds), 1)
    for ax, v in zip(axes, named):
        d = ok[ok["vendor"] == v]
        for k_i, k in enumerate(kinds):
            dk = d[d["index"] == k].set_index("parameter").reindex(params)
            ax.barh(y + (k_i - (len(kinds) - 1) / 2) * h, dk["value"], h, xerr=dk["ci95"], label=k,
                    color=["#9ecae1", "#3182bd", "#636363"][k_i], error_kw={"lw": 0.8})
        ax.set_title(v, fontsize=9)
        ax.axvline(0, color="black", lw=0.5)
        ax.tick_params(labelsize=7)
    axes[0].set_yticks(y, params, fontsize=7)
    axes[0].legend(fontsize=7)
    for ax in axes[len(named):]:
        ax.set_axis_off()
    return fig


def discover(runs: pd.DataFrame, vendors: pd.DataFrame, params: list[str], vendor: str, threshold: float,
             min_density: float = 0.8) -> dict:
    """PRIM on runs: the box of parameters where `vendor` falls behind with probability above
    `threshold`. Along the peeling trajectory, the box kept is the one with the highest
    coverage whose density is at least max(threshold, min_density) (else the densest)."""
    import prim

    ok = runs.loc[runs["status"] == "ok", ["run_id", *params]]
    d = vendors.loc[vendors["vendor"] == vendor, ["run_id", "falls_behind"]].merge(ok, on="run_id")
    y = d["falls_behind"].to_numpy(bool)
    if y.all() or not y.any():
        return {"vendor": vendor,
                "note": f"{vendor} falls behind in {'every' if y.all() else 'no'} run: nothing to discover"}
    x = d[params].astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        box = prim.Prim(x, y.astype(float), threshold=threshold, threshold_type=">").find_box()
    traj = box.peeling_trajectory.reset_index(drop=True)
    target = max(threshold, min_density)
    good = traj[traj["density"] >= target]
    pick = int(good["coverage"].idxmax()) if len(good) else int(traj["density"].idxmax())
    box.select(pick)
    limits = box.limits.reset_index().rename(columns={"index": "parameter"})
    restricted = limits[limits["parameter"].isin(params)]
    return {
        "vendor": vendor, "threshold": threshold, "base_rate": float(y.mean()), "runs": int(len(y)),
        "coverage": float(traj.loc[pick, "coverage"]), "density": float(traj.loc[pick, "density"]),
        "mass": float(traj.loc[pick, "mass"]),
        "box": [{"parameter": r["parameter"], "min": float(r["min"]), "max": float(r["max"])}
                for _, r in restricted.iterrows()],
        "trajectory": traj[["coverage", "density", "mass"]].to_dict(orient="list"), "chosen": pick,
    }


def prim_figure(found: dict) -> Figure:
    fig = Figure(figsize=(5, 4), layout="constrained")
    ax = fig.subplots()
    t = found["trajectory"]
    sc = ax.scatter(t["coverage"], t["density"], c=t["mass"], cmap="viridis", s=18)
    ax.scatter([found["coverage"]], [found["density"]], s=120, facecolors="none", edgecolors="red", lw=2,
               label="box reported")
    ax.set_xlabel("coverage (share of all falls-behind runs inside the box)")
    ax.set_ylabel("density (share of runs in the box that fall behind)")
    ax.set_title(f"PRIM peeling trajectory: {found['vendor']}", fontsize=10)
    fig.colorbar(sc, label="mass (share of runs in the box)")
    ax.legend(fontsize=8)
    return fig


def _most_uncertain(table: pd.DataFrame, named: list[str]) -> str:
    return min(named, key=lambda v: abs(float(table[v].mean()) - 0.5))


def write_report(sweep_dir: str | Path, vendor: str | None = None, threshold: float = 0.5) -> dict[str, Path]:
    sweep_dir = Path(sweep_dir)
    if not (sweep_dir / "chunks").is_dir():
        raise ConfigError("not a sweep directory (no chunks/)", file=sweep_dir)
    sweep, base, points = reopen(sweep_dir)
    res = load_results(sweep_dir)
    if "runs" not in res or "vendors" not in res:
        raise ConfigError("no finished runs yet", file=sweep_dir)
    runs, vendors = res["runs"], res["vendors"]
    params = list(sweep.design.parameters)
    named = _named(vendors, base)
    if vendor is not None and vendor not in named:
        raise ConfigError(f"unknown vendor {vendor!r}; vendors: {named}", path="--vendor", value=vendor)
    table = per_point(runs, vendors, params)
    out = sweep_dir / "report"
    figs: dict[str, str] = {}
    with atomic_directory(out) as tmp:
        (tmp / "figures").mkdir()
        grid2 = sweep.design.kind == "grid" and len(params) == 2
        fig = (heatmap_figure(points, table, params, named) if grid2
               else partial_dependence_figure(points, table, params, named))
        figs["falls_behind"] = "figures/falls_behind_over_parameters.png"
        fig.savefig(tmp / figs["falls_behind"], dpi=100)
        indices = sensitivity(sweep, points, table, named)
        if indices is not None and "parameter" in indices:
            indices.to_csv(tmp / "sensitivity.csv", index=False)
            figs["sensitivity"] = "figures/sensitivity.png"
            sensitivity_figure(indices, named).savefig(tmp / figs["sensitivity"], dpi=100)
        chosen = vendor or _most_uncertain(table, named)
        found = discover(runs, vendors, params, chosen, threshold)
        if "trajectory" in found:
            figs["prim"] = "figures/prim.png"
            prim_figure(found).savefig(tmp / figs["prim"], dpi=100)
        overall = table.mean().reindex(named)
        noise = replication_noise(runs, vendors, named)
        summary = {
            "seeds": sweep.seeds, "replication_noise_share": noise,
            "sweep": sweep.name, "design": sweep.design.kind, "parameters": params,
            "runs": int(len(runs)), "failed": int((runs["status"] != "ok").sum()), "points": int(len(points)),
            "p_falls_behind_over_sweep": overall.round(4).to_dict(),
            "scenario_discovery": {k: v for k, v in found.items() if k != "trajectory"},
        }
        (tmp / "summary.json").write_text(json.dumps(summary, indent=2, default=float))
        (tmp / "report.md").write_text(_markdown(sweep, summary, overall, indices, found, figs, runs))
    return {"report": out / "report.md", "figures": out / "figures", "summary": out / "summary.json"}


def _markdown(sweep, summary, overall, indices, found, figs, runs) -> str:
    lines = [f"# Sweep report: {sweep.name}", "",
             f"{summary['design']} design over {', '.join(summary['parameters'])}; {summary['points']} points x "
             f"{sweep.replications} replications = {summary['runs']} runs ({summary['failed']} failed); "
             f"base seed {sweep.seed}.", "",
             "## P(falls behind) over the whole sweep", "",
             markdown_table(["vendor", "P(falls behind)"], [(v, f"{p:.2f}") for v, p in overall.items()])]
    lines += ["", f"![P(falls behind) over the parameters]({figs['falls_behind']})", ""]
    lines += ["## Sensitivity", ""]
    noise = summary.get("replication_noise_share")
    if noise is None:
        lines += ["One replication per point: the model's own randomness cannot be told apart from the parameters' "
                  "effects, and it inflates total-order indices. "
                  "Use `replications: 2` or more, and `seeds: common`.", ""]
    else:
        lines += ["Share of the variance of *falls behind* that is replication noise (within design points): "
                  + ", ".join(f"{v} {s:.2f}" for v, s in noise.items()) + f". Seeds: {summary['seeds']}"
                  + (" (common random numbers across points)." if summary["seeds"] == "common" else "."), ""]
    if indices is None:
        lines += [f"A {sweep.design.kind} design has no variance-based indices; use a `sobol` or `morris` design.", ""]
    elif "parameter" in indices:
        top = (indices[indices["index"].isin(["ST", "mu_star"])].sort_values("value", ascending=False)
               .groupby("vendor").head(2))
        lines += ["Indices of each vendor's P(falls behind) (per design point), with 95% confidence intervals "
                  "(`sensitivity.csv` has them all). The two largest per vendor:", "",
                  markdown_table(["vendor", "parameter", "index", "value", "+/- 95%"],
                                 [(r.vendor, r.parameter, r.index, f"{r.value:.3f}", f"{r.ci95:.3f}")
                                  for r in top.itertuples()])]
        lines += ["", f"![sensitivity]({figs['sensitivity']})", ""]
    lines += ["## Scenario discovery (PRIM)", ""]
    if "box" in found:
        lines += [f"Vendor: **{found['vendor']}** "
                  f"(falls behind in {100 * found['base_rate']:.0f}% of {found['runs']} runs). "
                  f"Box where it falls behind with probability above {found['threshold']:.2f}:", "",
                  markdown_table(["parameter", "from", "to"],
                                 [(b["parameter"], f"{b['min']:.4g}", f"{b['max']:.4g}") for b in found["box"]])]
        lines += ["", f"Coverage {found['coverage']:.2f} (share of its falls-behind runs inside the box), density "
                  f"{found['density']:.2f} (share of runs in the box where it falls behind), "
                  f"mass {found['mass']:.2f}.", "",
                  f"![PRIM]({figs['prim']})", ""]
    else:
        lines += [found.get("note", "no box found"), ""]
    failed = runs[runs["status"] != "ok"]
    if len(failed):
        lines += ["## Failed runs", "",
                  markdown_table(["run", "error"], [(r.run_id, r.error) for r in failed.head(20).itertuples()])]
    return "\n".join(lines) + "\n"
