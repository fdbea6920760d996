"""The parts of a scenario experiment's report that state its own limits: what each scenario
changes, the mechanism behind each vendor's falls (from the falls-behind reason and the status
it ends in), a plot of paired differences, and caveats generated from the numbers (falls
bunched at the horizon, outcomes settled before the scenarios start, harsher worlds that lower
a vendor's risk, which the model cannot yet explain)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from matplotlib.figure import Figure

from .reporting import dataframe_table

HARSHER = ("price_war", "funding_winter", "compute_constrained", "talent_war")  # scenario names that make it harder
MECHANISMS = {"focused": "pivoted (stopped pretraining: a segment worth more than the race, or too little runway)",
              "acquired": "acquired by a big tech", "exited": "shut down (cash ran out after a failed round)",
              "small_and_behind": "still racing but small and far behind the domestic best"}


def scenario_changes(out: Path, scenarios: list[str]) -> pd.DataFrame:
    """What each scenario changes, from its resolved config: month, why, and the keys set."""
    rows = []
    for name in scenarios:
        cfg = yaml.safe_load((out / "configs" / f"{name}.yaml").read_text())
        changes = cfg.get("changes") or []
        if not changes:
            rows.append({"scenario": name, "from": "", "what changes": "nothing (the reference world)", "keys": ""})
        for c in changes:
            rows.append({"scenario": name, "from": c.get("month", ""), "what changes": c.get("why", ""),
                         "keys": ", ".join(sorted(c.get("set", {})))})
    return pd.DataFrame(rows)


def mechanisms(outcomes: pd.DataFrame, names: dict[str, str], reference: str) -> pd.DataFrame:
    """Per named vendor (reference scenario): how its falls happen, as shares of its falls."""
    fell = outcomes[(outcomes["scenario"] == reference) & outcomes["falls_behind"] & outcomes["vendor"].isin(names)]
    why = np.where(fell["reason"] == "status", fell["final_status"], fell["reason"])
    counts = pd.crosstab(fell["vendor"], why)
    rows = []
    for v in names:
        if v not in counts.index:
            continue
        c = counts.loc[v]
        c = c[c > 0].sort_values(ascending=False)
        rows.append({"vendor": names[v], "falls": int(c.sum()),
                     "how (share of its falls)": "; ".join(f"{MECHANISMS.get(k, k)} {n / c.sum():.0%}"
                                                           for k, n in c.items())})
    return pd.DataFrame(rows)


def paired_figure(changes: pd.DataFrame) -> Figure:
    """Change in P(falls behind) against the reference per vendor and scenario, with 95% intervals."""
    scenarios = list(dict.fromkeys(changes["scenario"]))
    vendors = list(dict.fromkeys(changes["name"]))
    fig = Figure(figsize=(3.0 * len(scenarios) + 1, 0.3 * len(vendors) + 1.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(scenarios), sharey=True, squeeze=False)[0])
    y = np.arange(len(vendors))[::-1]
    for ax, s in zip(axes, scenarios):
        t = changes[changes["scenario"] == s].set_index("name").reindex(vendors)
        sig = t["significant"].fillna(False).to_numpy(bool)
        err = np.vstack([t["change"] - t["ci95_low"], t["ci95_high"] - t["change"]])
        ax.errorbar(t["change"], y, xerr=err, fmt="none", ecolor="#555555", capsize=2)
        ax.scatter(t["change"], y, c=np.where(sig, "#000000", "#ffffff"), edgecolors="#000000", zorder=3, s=28)
        ax.axvline(0, color="#999999", lw=0.8)
        ax.set_title(s, fontsize=9)
        ax.set_xlim(-1.05, 1.05)
    axes[0].set_yticks(y)
    axes[0].set_yticklabels(vendors, fontsize=8)
    fig.supxlabel("change in P(falls behind) against the reference, paired, 95% interval (filled: excludes 0)",
                  fontsize=9)
    return fig


def caveats(outcomes: pd.DataFrame, names: dict[str, str], changes: pd.DataFrame, reference: str,
            start_month: str, last_month: str) -> list[str]:
    """Caveats computed from the numbers, one bullet each."""
    ref = outcomes[(outcomes["scenario"] == reference) & outcomes["vendor"].isin(names)]
    left = ref[ref["left_race_month"] != ""]
    out = []
    for v, g in left.groupby("vendor", sort=False):
        last = float((g["left_race_month"] == last_month).mean())
        if len(g) >= 5 and last >= 0.3:
            out.append(f"**Horizon effect**: {last:.0%} of {names[v]}'s departures from the race fall in the last "
                       f"month ({last_month}); its P(falls behind) depends on where the run stops.")
        early = float((g["left_race_month"] < start_month).sum()) / max(int((ref["vendor"] == v).sum()), 1)
        if early >= 0.5:
            out.append(f"**Settled before the scenarios start**: {names[v]} has left the race before {start_month} "
                       f"in {early:.0%} of histories, so no scenario (all change the world from {start_month}) can "
                       "move most of its outcome.")
    tail = outcomes[(outcomes["scenario"] == reference) & ~outcomes["vendor"].isin(names)]
    tail_left = tail[tail["left_race_month"] != ""]
    if len(tail) and len(tail_left) / len(tail) > 0.5:
        median = sorted(tail_left["left_race_month"])[len(tail_left) // 2]
        out.append(f"**The long tail is settled early**: {len(tail_left) / len(tail):.0%} of its vendors leave the "
                   f"race, by {median} at the median, before any scenario starts.")
    sig = changes[changes["significant"] & (changes["change"] < 0)]
    for r in sig.itertuples():
        if any(h in r.scenario for h in HARSHER):
            out.append(f"**Not yet explained**: in {r.scenario}, a harsher world, {r.name}'s P(falls behind) falls by "
                       f"{-r.change:.2f} ({r.ci95_low:+.2f} to {r.ci95_high:+.2f}); the model's mechanisms may "
                       "reward it indirectly (rivals leave first, their users and researchers move); treat it as a "
                       "question for the model, not a finding.")
    if not out:
        out.append("No horizon bunching, early settlement or unexplained signs were found in these numbers.")
    return out


def sections(out: Path, staging: Path, scenarios: list[str], outcomes: pd.DataFrame, names: dict[str, str],
             changes: pd.DataFrame, reference: str, months: list[str], start_month: str = "2025-01") -> list[str]:
    """The report's Markdown for these parts (and figures/paired_changes.png in `staging`)."""
    if len(changes):
        paired_figure(changes).savefig(staging / "figures" / "paired_changes.png", dpi=110)
    table = scenario_changes(out, scenarios)
    start_month = min([m for m in table["from"] if m] or [start_month])
    table.to_csv(staging / "scenario_changes.csv", index=False)
    mech = mechanisms(outcomes, names, reference)
    return ["## What each scenario changes", "", dataframe_table(table), "",
            "## Paired differences against the reference", "",
            "![paired differences](figures/paired_changes.png)", "",
            f"## How each vendor falls ({reference})", "",
            "From the falls-behind rule's reason and the status the vendor ends in:", "",
            dataframe_table(mech) if len(mech) else "No named vendor falls behind.", "",
            "## Caveats (computed from these numbers)", "",
            *[f"- {c}" for c in caveats(outcomes, names, changes, reference, start_month, months[-1])], ""]
