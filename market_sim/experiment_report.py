"""Reports of experiments (market_sim/experiments.py): tables (CSV + Markdown), figures (PNG)
and a plain-language answer written from the numbers.

Scenario experiments compare each scenario with the reference one replication by replication
(common seeds): a vendor's change in P(falls behind) is the mean of paired differences, with
a 95% normal interval from their spread (the paired-proportions interval)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from matplotlib.figure import Figure

from .calendar import month_label
from .experiment_caveats import sections as caveat_sections
from .palette import vendor_colour
from .reporting import annotated_heatmap, atomic_directory, dataframe_table
from .stats import Z95, dominance_sentence, posterior_falls_behind_table, wilson_interval
from .sweep import engine

SCENARIO_COLOURS = ["#222222", "#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2",
                    "#17becf", "#bcbd22"]
TAIL = "long tail"


def _outcomes(out: Path) -> pd.DataFrame:
    tables = engine.load_results(out)
    keep = [c for c in ("run_id", "scenario", "replication", "posterior_draw") if c in tables["runs"]]
    runs = tables["runs"][keep]
    return tables["vendors"].merge(runs, on="run_id")


def falls_behind_by_scenario(outcomes: pd.DataFrame, names: dict[str, str], scenarios: list[str]) -> pd.DataFrame:
    """One row per scenario and named vendor (plus the long tail, as the mean share of its
    vendors): P(falls behind), 95% Wilson interval, replications. With a posterior (outcomes
    carry `posterior_draw`) the named vendors' interval is the cluster bootstrap over draws
    (stats.posterior_falls_behind_table: it covers the parameters' uncertainty too) and
    `parameter_share` / `dominant` say which part of the variance dominates."""
    named = outcomes[outcomes["vendor"].isin(names)]
    g = named.groupby(["scenario", "vendor"], sort=False)["falls_behind"]
    t = pd.DataFrame({"falls_behind": g.sum().astype(int), "replications": g.size()}).reset_index()
    t["p"] = t["falls_behind"] / t["replications"]
    t["ci95_low"], t["ci95_high"] = wilson_interval(t["falls_behind"].to_numpy(), t["replications"].to_numpy())
    if "posterior_draw" in named:
        post = pd.concat([posterior_falls_behind_table(part).assign(scenario=sc)
                          for sc, part in named.groupby("scenario", sort=False)], ignore_index=True)
        t = t.drop(columns=["ci95_low", "ci95_high"]).merge(
            post.rename(columns={"post_ci95_low": "ci95_low", "post_ci95_high": "ci95_high"})[
                ["scenario", "vendor", "ci95_low", "ci95_high", "parameter_share", "dominant"]],
            on=["scenario", "vendor"], how="left")
    # the long tail: per replication, the share of its vendors fallen behind; mean and a 95% t-free interval
    tail = outcomes[~outcomes["vendor"].isin(names)].groupby(["scenario", "replication"])["falls_behind"].mean()
    if len(tail):
        tg = tail.groupby(level="scenario")
        tt = pd.DataFrame({"p": tg.mean(), "sd": tg.std(ddof=1), "replications": tg.size()}).reset_index()
        half = Z95 * tt["sd"].fillna(0.0) / np.sqrt(tt["replications"])
        tt = tt.assign(vendor=TAIL, falls_behind=np.nan, ci95_low=(tt["p"] - half).clip(0, 1),
                       ci95_high=(tt["p"] + half).clip(0, 1)).drop(columns="sd")
        t = pd.concat([t, tt.reindex(columns=t.columns)], ignore_index=True)
    order = {s: i for i, s in enumerate(scenarios)}
    vorder = {v: i for i, v in enumerate([*names, TAIL])}
    t = t.sort_values(["scenario", "vendor"], key=lambda c: c.map(order if c.name == "scenario" else vorder))
    t.insert(2, "name", t["vendor"].map(lambda v: names.get(v, v)))
    return t.reset_index(drop=True)


def paired_changes(outcomes: pd.DataFrame, names: dict[str, str], reference: str) -> pd.DataFrame:
    """Per scenario and named vendor: change in P(falls behind) against the reference, as the
    mean paired difference over replications with a 95% interval."""
    named = outcomes[outcomes["vendor"].isin(names)]
    wide = named.pivot_table(index=["vendor", "replication"], columns="scenario", values="falls_behind",
                             aggfunc="first").astype(float)
    rows = []
    for scenario in [c for c in wide.columns if c != reference]:
        d = (wide[scenario] - wide[reference]).groupby(level="vendor")
        mean, sd, n = d.mean(), d.std(ddof=1).fillna(0.0), d.size()
        half = Z95 * sd / np.sqrt(n)
        for v in mean.index:
            rows.append({"scenario": scenario, "vendor": v, "name": names[v], "change": mean[v],
                         "ci95_low": mean[v] - half[v], "ci95_high": mean[v] + half[v], "replications": int(n[v])})
    t = pd.DataFrame(rows)
    t["significant"] = (t["ci95_low"] > 0) | (t["ci95_high"] < 0)
    return t


def rank_distribution(outcomes: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """Rank among the named vendors by final consumer + enterprise share (1 = largest), per run."""
    named = outcomes[outcomes["vendor"].isin(names)].copy()
    named["combined_share"] = named["final_consumer_share"] + named["final_enterprise_share"]
    named["rank"] = named.groupby("run_id")["combined_share"].rank(ascending=False, method="first").astype(int)
    return named[["scenario", "replication", "vendor", "combined_share", "rank"]]


def leaving_months(outcomes: pd.DataFrame, names: dict[str, str], scenarios: list[str]) -> pd.DataFrame:
    """Per scenario and named vendor: share of replications in which it left the race (pivot,
    acquisition or exit) in 2024 and in 2025, and the median month it left (of those that did)."""
    named = outcomes[outcomes["vendor"].isin(names)]
    rows = []
    for (s, v), g in named.groupby(["scenario", "vendor"], sort=False):
        left = g["left_race_month"][g["left_race_month"] != ""]
        rows.append({"scenario": s, "vendor": v, "name": names[v],
                     "left_in_2024": float(left.str.startswith("2024").sum() / len(g)),
                     "left_in_2025": float(left.str.startswith("2025").sum() / len(g)),
                     "median_month_left": sorted(left)[len(left) // 2] if len(left) else ""})
    t = pd.DataFrame(rows)
    return t.sort_values(["scenario", "vendor"], key=lambda c: c.map(
        {s: i for i, s in enumerate(scenarios)} if c.name == "scenario" else {v: i for i, v in enumerate(names)}))


# ------------------------------------------------------------------------------------- figures
def dot_whisker_figure(table: pd.DataFrame, scenarios: list[str]) -> Figure:
    vendors = list(dict.fromkeys(table["name"]))
    fig = Figure(figsize=(11, 0.55 * len(vendors) + 1.6))
    ax = fig.subplots()
    k = len(scenarios)
    for i, s in enumerate(scenarios):
        t = table[table["scenario"] == s].set_index("name").reindex(vendors)
        y = np.arange(len(vendors)) + (i - (k - 1) / 2) * 0.8 / k
        ax.errorbar(t["p"], y, xerr=[t["p"] - t["ci95_low"], t["ci95_high"] - t["p"]], fmt="o", ms=4,
                    color=SCENARIO_COLOURS[i % len(SCENARIO_COLOURS)], label=s, capsize=2, lw=1)
    ax.set_yticks(np.arange(len(vendors)), vendors)
    ax.invert_yaxis()
    ax.set_xlim(-0.02, 1.02)
    ax.axvline(0.5, color="#999999", lw=0.8, ls=":")
    ax.set_xlabel("P(falls behind by the end of 2025), 95% interval")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), title="scenario", title_fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def rank_figure(ranks: pd.DataFrame, names: dict[str, str], scenario: str) -> Figure:
    r = ranks[ranks["scenario"] == scenario]
    n = len(names)
    share = (r.groupby(["vendor", "rank"]).size().unstack(fill_value=0)
             .reindex(index=list(names), columns=range(1, n + 1), fill_value=0))
    share = share.div(share.sum(axis=1).replace(0, 1), axis=0)
    fig = Figure(figsize=(8, 4.8))
    ax = fig.subplots()
    im = annotated_heatmap(ax, share.to_numpy(), [str(c) for c in share.columns], [names[v] for v in share.index],
                           cmap="Blues", vmin=0, vmax=1, origin="upper", min_annotated=0.05)
    ax.set_xlabel("rank by consumer + enterprise share at the end of 2025 (1 = largest)")
    fig.colorbar(im, ax=ax, label="share of replications")
    ax.set_title(f"Rank distribution ({scenario})")
    fig.tight_layout()
    return fig


def leaving_figure(outcomes: pd.DataFrame, names: dict[str, str], scenario: str, months: list[str]) -> Figure:
    o = outcomes[(outcomes["scenario"] == scenario) & outcomes["vendor"].isin(names)]
    fig = Figure(figsize=(9, 4.5))
    ax = fig.subplots()
    n_rep = o["replication"].nunique()
    for i, v in enumerate(names):
        left = o.loc[(o["vendor"] == v) & (o["left_race_month"] != ""), "left_race_month"]
        if left.empty:
            continue
        cum = [float((left <= m).sum()) / n_rep for m in months]
        ax.step(range(len(months)), cum, where="post", color=vendor_colour(v, i), label=names[v])
    ax.set_xticks(range(0, len(months), 3), months[::3], rotation=45, ha="right", fontsize=8)
    ax.set_ylim(-0.02, 1.02)
    ax.set_ylabel("share of replications out of the race")
    ax.set_title(f"When vendors pivot, are acquired or exit ({scenario})")
    ax.legend(fontsize=8, ncol=2, loc="upper left")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------------------- answer
def _fmt(p: float, lo: float, hi: float) -> str:
    return f"{p:.2f} (95% interval {lo:.2f}-{hi:.2f})"


def plain_answer(table: pd.DataFrame, changes: pd.DataFrame, leaving: pd.DataFrame, reference: str,
                 replications: int) -> str:
    ref = table[(table["scenario"] == reference) & (table["vendor"] != TAIL)]
    likely = ref[ref["ci95_low"] > 0.5].sort_values("p", ascending=False)
    unlikely = ref[ref["ci95_high"] < 0.5].sort_values("p")
    unsure = ref[(ref["ci95_low"] <= 0.5) & (ref["ci95_high"] >= 0.5)].sort_values("p", ascending=False)
    tail = table[(table["scenario"] == reference) & (table["vendor"] == TAIL)]
    lines = [f"**Who falls behind.** In the {reference} ({replications} replications), "
             + (", ".join(f"{r.name} {_fmt(r.p, r.ci95_low, r.ci95_high)}" for r in likely.itertuples())
                + " fall behind in most histories (the whole interval above one half)." if len(likely)
                else "no named vendor falls behind in most histories.")]
    if len(unsure):
        lines.append("The model cannot call " + ", ".join(f"{r.name} {_fmt(r.p, r.ci95_low, r.ci95_high)}"
                                                         for r in unsure.itertuples())
                     + ": their intervals straddle one half.")
    if len(unlikely):
        lines.append("Those who hold on: " + ", ".join(f"{r.name} {r.p:.2f}" for r in unlikely.itertuples())
                     + " (intervals below one half).")
    if len(tail):
        lines.append(f"Of the long tail, a mean share of {tail['p'].iloc[0]:.2f} falls behind.")
    lev = leaving[(leaving["scenario"] == reference) & (leaving["median_month_left"] != "")]
    early = lev[lev["left_in_2024"] >= 0.25]
    if len(early):
        lines.append("Most of the falling behind is decided early: " + ", ".join(
            f"{r.name} has left the race by the end of 2024 in {r.left_in_2024:.0%} of histories "
            f"(median {r.median_month_left})"
            for r in early.itertuples()) + ".")
    lines.append("")
    if "parameter_share" in ref:
        lines.append("**How sure.** Replications draw their parameters from the calibration's posterior; intervals "
                     "are 95% cluster-bootstrap intervals over posterior draws, so they cover the runs' randomness "
                     "and the parameters' uncertainty together. " + " ".join(
                         dominance_sentence(r.name, r.parameter_share) for r in ref.itertuples()))
    else:
        lines.append(f"**How sure.** Intervals are 95% Wilson intervals over {replications} replications (about "
                     f"+/-{Z95 * 0.5 / np.sqrt(replications):.2f} at worst); they cover the model's randomness, "
                     "not its assumptions: the scenarios below show how far the answer moves when the world "
                     "changes in 2025.")
    lines.append("")
    lines.append("**What drives it** (change in P(falls behind) against the baseline, same 2024 histories; "
                 "only changes whose 95% interval excludes zero):")
    sig = changes[changes["significant"]]
    for scenario in changes["scenario"].unique():
        s = sig[sig["scenario"] == scenario].sort_values("change")
        if s.empty:
            lines.append(f"- {scenario}: moves no vendor measurably.")
        else:
            lines.append(f"- {scenario}: " + ", ".join(
                f"{r.name} {r.change:+.2f} ({r.ci95_low:+.2f} to {r.ci95_high:+.2f})" for r in s.itertuples()) + ".")
    if len(sig):
        top = sig.loc[sig["change"].abs().groupby(sig["vendor"]).idxmax()]
        lines.append("")
        lines.append("Per vendor, the scenario that moves it most: " + "; ".join(
            f"{r.name}: {r.scenario} ({r.change:+.2f})" for r in top.sort_values("change").itertuples()) + ".")
    return "\n".join(lines)


def headline_table(table: pd.DataFrame, scenarios: list[str]) -> pd.DataFrame:
    """vendor x scenario: 'p (lo-hi)'."""
    cell = table.assign(cell=[f"{p:.2f} ({lo:.2f}-{hi:.2f})" for p, lo, hi in
                              zip(table["p"], table["ci95_low"], table["ci95_high"])])
    wide = cell.pivot(index="name", columns="scenario", values="cell")
    return wide.reindex(index=list(dict.fromkeys(table["name"])), columns=scenarios).reset_index().rename(
        columns={"name": "vendor"})


# ------------------------------------------------------------------------------------- writers
def write_report(exp, out: Path) -> Path:
    """Write the report files into `out` (figures/, CSV tables, report.md): staged in a
    temporary directory and moved in only when all of them are written."""
    with atomic_directory(out, merge=True) as staging:
        if exp.kind == "sweep":
            _write_sweep_report(exp, out, staging)
        else:
            _write_scenario_report(exp, out, staging)
    return out / "report.md"


def _write_scenario_report(exp, out: Path, staging: Path) -> None:
    scenarios = list(exp.scenarios)
    cfg = yaml.safe_load((out / "configs" / f"{exp.reference}.yaml").read_text())
    names = {vid: v["name"] for vid, v in cfg["vendors"].items()}
    outcomes = _outcomes(out)
    table = falls_behind_by_scenario(outcomes, names, scenarios)
    changes = paired_changes(outcomes, names, exp.reference)
    ranks = rank_distribution(outcomes, names)
    leaving = leaving_months(outcomes, names, scenarios)
    months = [month_label(cfg["run"]["start"], i) for i in range(cfg["run"]["months"])]

    fig_dir = staging / "figures"
    fig_dir.mkdir()
    figs = {"falls_behind": dot_whisker_figure(table, scenarios), "ranks": rank_figure(ranks, names, exp.reference),
            "leaving": leaving_figure(outcomes, names, exp.reference, months)}
    for key, fig in figs.items():
        fig.savefig(fig_dir / f"{key}.png", dpi=110)
    table.to_csv(staging / "falls_behind.csv", index=False)
    changes.to_csv(staging / "changes_vs_reference.csv", index=False)
    leaving.to_csv(staging / "leaving_months.csv", index=False)
    median_rank = ranks.groupby(["scenario", "vendor"])["rank"].median().unstack("scenario")
    median_rank = median_rank.reindex(index=list(names), columns=scenarios)
    median_rank.index = [names[v] for v in median_rank.index]
    median_rank.to_csv(staging / "median_rank.csv")

    lev_ref = leaving[leaving["scenario"] == exp.reference][
        ["name", "left_in_2024", "left_in_2025", "median_month_left"]]
    md = [f"# {exp.name}", "", f"*{exp.question}*", "",
          f"{len(scenarios)} scenarios x {exp.replications} replications, base seed {exp.seed}, common seeds "
          "(replication r has the same seed in every scenario; scenarios change the world from 2025-01, so each "
          "replication's 2024 is the same history in all of them).", "",
          "## Answer", "", plain_answer(table, changes, leaving, exp.reference, exp.replications), "",
          *caveat_sections(out, staging, scenarios, outcomes, names, changes, exp.reference, months),
          "## P(falls behind by the end of 2025), 95% intervals", "",
          dataframe_table(headline_table(table, scenarios)), "",
          "![P(falls behind)](figures/falls_behind.png)", "",
          "## Change against the baseline (paired, 95% interval)", "",
          dataframe_table(changes.pivot(index="name", columns="scenario", values="change")
                    .reindex(index=[names[v] for v in names], columns=[s for s in scenarios if s != exp.reference])
                    .reset_index().rename(columns={"name": "vendor"})), "",
          "Intervals and significance per cell: `changes_vs_reference.csv`.", "",
          "## Ranks", "", "Median rank by consumer + enterprise share at the horizon (1 = largest):", "",
          dataframe_table(median_rank.reset_index().rename(columns={"index": "vendor"})), "",
          f"![ranks]({'figures/ranks.png'})", "",
          "## When vendors leave the race", "",
          f"Share of replications in which each vendor pivoted, was acquired or exited ({exp.reference}); "
          "all scenarios in `leaving_months.csv`:", "", dataframe_table(lev_ref.rename(columns={"name": "vendor"})), "",
          "![leaving](figures/leaving.png)", "",
          "Files: `falls_behind.csv`, `changes_vs_reference.csv`, `median_rank.csv`, `leaving_months.csv`, "
          "`chunks/` (per run and vendor), `configs/` (each scenario as run)."]
    (staging / "report.md").write_text("\n".join(md) + "\n")


def _write_sweep_report(exp, out: Path, staging: Path) -> None:
    tables = engine.load_results(out / "sweep")
    runs, vendors = tables["runs"], tables["vendors"]
    v = vendors[vendors["vendor"] == exp.focus_vendor].merge(runs[["run_id", exp.x, exp.y]], on="run_id")
    g = v.groupby([exp.y, exp.x])
    stats = pd.DataFrame({"consumer_share_mean": g["final_consumer_share"].mean(),
                          "consumer_share_sd": g["final_consumer_share"].std(ddof=1),
                          "p_falls_behind": g["falls_behind"].mean(), "replications": g.size()}).reset_index()
    stats.to_csv(staging / f"{exp.focus_vendor}_by_{exp.x}_{exp.y}.csv", index=False)
    fig = Figure(figsize=(11, 4.5))
    axes = fig.subplots(1, 2)
    for ax, col, title, cmap in ((axes[0], "consumer_share_mean", "mean consumer share at the horizon", "viridis"),
                                 (axes[1], "p_falls_behind", "P(falls behind)", "Reds")):
        grid = stats.pivot(index=exp.y, columns=exp.x, values=col)
        im = annotated_heatmap(ax, grid.to_numpy(), [f"{c:g}" for c in grid.columns], [f"{r:g}" for r in grid.index],
                               cmap=cmap, fmt="{:.3f}" if col.startswith("consumer") else "{:.2f}",
                               tick_fontsize=None, text_colour=lambda _: "white")
        ax.set_xlabel(exp.x)
        ax.set_ylabel(exp.y)
        ax.set_title(f"{exp.focus_vendor}: {title}", fontsize=10)
        fig.colorbar(im, ax=ax)
    fig.tight_layout()
    (staging / "figures").mkdir()
    fig.savefig(staging / "figures" / "focus_heatmap.png", dpi=110)
    # the effect of each axis, averaged over the other (with the spread across the other axis)
    by_x = stats.groupby(exp.x)["consumer_share_mean"].agg(["mean", "min", "max"])
    by_y = stats.groupby(exp.y)["consumer_share_mean"].agg(["mean", "min", "max"])
    lo_x, hi_x = by_x["mean"].iloc[0], by_x["mean"].iloc[-1]
    lo_y, hi_y = by_y["mean"].iloc[0], by_y["mean"].iloc[-1]
    n = int(stats["replications"].min())
    grid_mean = stats.pivot(index=exp.y, columns=exp.x, values="consumer_share_mean")
    md = [f"# {exp.name}", "", f"*{exp.question}*", "",
          f"{len(stats)} grid points x {n} replications; sweep files in `sweep/`.", "",
          "## Answer", "",
          f"Across {exp.x} from {by_x.index[0]:g} to {by_x.index[-1]:g}, {exp.focus_vendor}'s mean consumer share at "
          f"the horizon goes from {lo_x:.4f} to {hi_x:.4f} (averaged over {exp.y}); across {exp.y} from "
          f"{by_y.index[0]:g} to {by_y.index[-1]:g}, from {lo_y:.4f} to {hi_y:.4f} (averaged over {exp.x}). "
          f"Largest cell: {grid_mean.max().max():.4f}; smallest: {grid_mean.min().min():.4f}.", "",
          f"## {exp.focus_vendor}: mean consumer share at the horizon", "",
          dataframe_table(grid_mean.reset_index().rename(columns={exp.y: f"{exp.y} \\ {exp.x}"}), digits=4), "",
          f"## {exp.focus_vendor}: P(falls behind)", "",
          dataframe_table(stats.pivot(index=exp.y, columns=exp.x, values="p_falls_behind").reset_index()
                    .rename(columns={exp.y: f"{exp.y} \\ {exp.x}"})), "",
          "![heatmap](figures/focus_heatmap.png)", ""]
    (staging / "report.md").write_text("\n".join(md) + "\n")
