"""Figures of a results set (PNG). Built on matplotlib.figure.Figure, not pyplot, so they
are safe in threads (the browser app) and leave no global state behind."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .palette import LONG_TAIL_COLOUR, vendor_colour


def _median_by_month(vm: pd.DataFrame, value: str) -> pd.DataFrame:
    """month x vendor table of the median over replications."""
    return vm.groupby(["month", "vendor"], sort=False)[value].median().unstack("vendor")


def _named(vm: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(vm.loc[~vm["long_tail"], "vendor"]))


def _share_panel(ax, vm: pd.DataFrame, value: str, title: str, names: dict[str, str]) -> None:
    # means, not medians: mean shares still add up to 1 across vendors
    med = vm.groupby(["month", "vendor"], sort=False)[value].mean().unstack("vendor")
    named = _named(vm)
    tail_cols = [c for c in med.columns if c not in named]
    data = [med[v].to_numpy() for v in named] + [med[tail_cols].sum(axis=1).to_numpy()]
    labels = [names.get(v, v) for v in named] + ["long tail"]
    colours = [vendor_colour(v) for v in named] + [LONG_TAIL_COLOUR]
    x = np.arange(len(med.index))
    ax.stackplot(x, np.vstack(data), labels=labels, colors=colours, alpha=0.9)
    _month_axis(ax, list(med.index))
    ax.set_ylim(0, max(1.0, float(np.vstack(data).sum(axis=0).max())))
    ax.set_ylabel("share (mean over replications)")
    ax.set_title(title)


def _month_axis(ax, months: list[str]) -> None:
    ticks = list(range(0, len(months), max(1, len(months) // 8)))
    ax.set_xticks(ticks)
    ax.set_xticklabels([months[i] for i in ticks], rotation=45, ha="right", fontsize=8)
    ax.set_xlim(0, max(len(months) - 1, 1))


def shares_figure(vm: pd.DataFrame, names: dict[str, str]) -> Figure:
    fig = Figure(figsize=(12, 5), layout="constrained")
    a, b = fig.subplots(1, 2)
    _share_panel(a, vm, "consumer_share", "Consumer share (MAU)", names)
    _share_panel(b, vm, "enterprise_share", "Enterprise share (API spend)", names)
    b.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8)
    return fig


def prices_figure(vm: pd.DataFrame, mm: pd.DataFrame, names: dict[str, str]) -> Figure:
    fig = Figure(figsize=(10, 5), layout="constrained")
    ax = fig.subplots()
    med = _median_by_month(vm, "api_price")
    x = np.arange(len(med.index))
    for v in _named(vm):
        ax.plot(x, np.maximum(med[v].to_numpy(), 1e-3), color=vendor_colour(v), label=names.get(v, v), lw=1.8)
    idx = mm.groupby("month", sort=False)["price_index"].median()
    cost = mm.groupby("month", sort=False)["unit_cost_reference"].median()
    ax.plot(x, np.maximum(idx.to_numpy(), 1e-3), "k--", lw=1.5, label="token-weighted price index")
    ax.plot(x, cost.to_numpy(), ":", color="grey", lw=1.5, label="reference unit serving cost")
    ax.set_yscale("log")
    ax.set_ylabel("RMB per million tokens (log)")
    ax.set_title("API prices (median over replications; free tiers drawn at 0.001)")
    _month_axis(ax, list(med.index))
    ax.legend(fontsize=8, ncol=2)
    return fig


def capability_figure(vm: pd.DataFrame, mm: pd.DataFrame, names: dict[str, str]) -> Figure:
    fig = Figure(figsize=(12, 5), layout="constrained")
    axes = fig.subplots(1, 2)
    for ax, feature, log in zip(axes, ("quality", "context"), (False, True)):
        med = _median_by_month(vm, f"capability_{feature}")
        x = np.arange(len(med.index))
        for v in _named(vm):
            ax.plot(x, med[v].to_numpy(), color=vendor_colour(v), label=names.get(v, v), lw=1.5)
        front = mm.groupby("month", sort=False)[f"frontier_{feature}"].median()
        ax.plot(x, front.to_numpy(), "k--", lw=2, label="global frontier")
        if log:
            ax.set_yscale("log")
        ax.set_title(f"{feature} vs the global frontier" + (" (tokens, log)" if log else " (index)"))
        _month_axis(ax, list(med.index))
    axes[1].legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8)
    return fig


def cash_figure(vm: pd.DataFrame, names: dict[str, str]) -> Figure:
    fig = Figure(figsize=(12, 5), layout="constrained")
    a, b = fig.subplots(1, 2)
    startups = vm[(vm["kind"] == "startup") & ~vm["long_tail"]]
    cash = _median_by_month(startups, "cash_rmb") / 1e9
    runway = _median_by_month(startups, "runway_months")
    x = np.arange(len(cash.index))
    for v in _named(startups):
        a.plot(x, cash[v].to_numpy(), color=vendor_colour(v), label=names.get(v, v), lw=1.5)
        b.plot(x, runway[v].to_numpy(), color=vendor_colour(v), label=names.get(v, v), lw=1.5)
    a.set_title("Startup cash (billion RMB, median)")
    b.set_title("Startup runway (months at current burn, median; 120 = profitable)")
    b.set_yscale("symlog", linthresh=12)
    for ax in (a, b):
        _month_axis(ax, list(cash.index))
    b.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8)
    return fig


def falls_behind_figure(table: pd.DataFrame) -> Figure:
    """Dot-and-whisker: P(falls behind) per vendor with its 95% interval."""
    t = table.iloc[::-1]
    fig = Figure(figsize=(8, 0.3 * len(t) + 1.5), layout="constrained")
    ax = fig.subplots()
    y = np.arange(len(t))
    colours = [vendor_colour(v) for v in t["vendor"]]
    p = t["p_falls_behind"].to_numpy()
    err = np.vstack([p - t["ci95_low"].to_numpy(), t["ci95_high"].to_numpy() - p])
    ax.errorbar(p, y, xerr=err, fmt="none", ecolor="grey", capsize=3)
    ax.scatter(p, y, c=colours, zorder=3, s=40)
    labels = t["name"] if "name" in t else t["vendor"]
    ax.set_yticks(y)
    ax.set_yticklabels(labels, fontsize=8)
    ax.set_xlim(-0.02, 1.02)
    n = int(t["replications"].max()) if len(t) else 0
    ax.set_xlabel(f"P(falls behind by the horizon), 95% Wilson interval, {n} replications")
    ax.grid(axis="x", alpha=0.3)
    return fig


def write_figures(results, table: pd.DataFrame, out: Path) -> dict[str, str]:
    """Write every figure into out/figures; return {key: relative path}."""
    figs = out / "figures"
    figs.mkdir(parents=True, exist_ok=True)
    names = results.names
    vm, mm = results.vendor_month, results.market_month
    named_table = table[table["vendor"].isin(_named(vm))]
    made = {
        "shares": shares_figure(vm, names),
        "prices": prices_figure(vm, mm, names),
        "capability": capability_figure(vm, mm, names),
        "cash_runway": cash_figure(vm, names),
        "falls_behind": falls_behind_figure(named_table),
    }
    paths = {}
    for key, fig in made.items():
        fig.savefig(figs / f"{key}.png", dpi=110)
        paths[key] = f"figures/{key}.png"
    return paths
