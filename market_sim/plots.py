"""Figures of a results set (PNG). Built on matplotlib.figure.Figure, not pyplot, so they
are safe in threads (the browser app) and leave no global state behind."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from .palette import LONG_TAIL_COLOUR, vendor_colour
from .stats import pooled_share_by_month

NON_VENDOR = {"index": "#000000", "cost": "#8b0000", "frontier": "#000000"}  # never a vendor colour
RUNWAY_TICKS = [0, 2, 6, 12, 24, 60, 120]


def _median_by_month(vm: pd.DataFrame, value: str) -> pd.DataFrame:
    """month x vendor table of the median over replications."""
    return vm.groupby(["month", "vendor"], sort=False)[value].median().unstack("vendor")


def _quantiles(vm: pd.DataFrame, value: str, vendor: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(10%, median, 90%) over replications of one vendor's monthly value."""
    one = vm[vm["vendor"] == vendor].pivot_table(index="month", columns="replication", values=value, sort=False)
    q = np.nanquantile(one.to_numpy(dtype=float), [0.1, 0.5, 0.9], axis=1)
    return q[0], q[1], q[2]


def _band(ax, vm: pd.DataFrame, value: str, vendor: str, label: str, colour: str, scale: float = 1.0,
          floor: float | None = None, **line) -> None:
    """Median line and 10-90% band across replications."""
    lo, mid, hi = (a / scale for a in _quantiles(vm, value, vendor))
    if floor is not None:
        lo, mid, hi = (np.maximum(a, floor) for a in (lo, mid, hi))
    x = np.arange(len(mid))
    ax.fill_between(x, lo, hi, color=colour, alpha=0.15, lw=0)
    ax.plot(x, mid, color=colour, label=label, **{"lw": 1.6, **line})


def _named(vm: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(vm.loc[~vm["long_tail"], "vendor"]))


def _months(vm: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(vm["month"]))


def _month_axis(ax, months: list[str], labels: bool = True) -> None:
    ticks = list(range(0, len(months), max(1, len(months) // 8)))
    ax.set_xticks(ticks)
    ax.set_xticklabels([months[i] for i in ticks] if labels else [], rotation=45, ha="right", fontsize=7)
    ax.set_xlim(0, max(len(months) - 1, 1))


def _grid(n: int, width: float = 13, per_row: int = 4) -> tuple[Figure, list]:
    rows = -(-n // per_row)
    fig = Figure(figsize=(width, 2.3 * rows + 0.8), layout="constrained")
    axes = fig.subplots(rows, per_row, squeeze=False).ravel()
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, list(axes[:n])


def shares_figure(vm: pd.DataFrame, names: dict[str, str]) -> Figure:
    """Small multiples, one per named vendor (and the long tail summed): consumer share (solid)
    and enterprise share (dashed), median and 10-90% band over replications, own y scale."""
    named, months = _named(vm), _months(vm)
    tail = (vm[vm["long_tail"]].groupby(["replication", "month"], sort=False)[["consumer_share", "enterprise_share"]]
            .sum().reset_index().assign(vendor="long tail"))
    frame = pd.concat([vm[vm["vendor"].isin(named)], tail], ignore_index=True)
    fig, axes = _grid(len(named) + 1)
    for i, (ax, v) in enumerate(zip(axes, named + ["long tail"])):
        colour = vendor_colour(v) if v != "long tail" else LONG_TAIL_COLOUR
        _band(ax, frame, "consumer_share", v, "consumer", colour)
        _band(ax, frame, "enterprise_share", v, "enterprise", colour, ls="--")
        ax.set_title(names.get(v, v), fontsize=9)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=None))  # decimals from the axis range
        ax.set_ylim(bottom=0)
        _month_axis(ax, months, labels=i >= len(axes) - 4)
    axes[0].legend(fontsize=7, loc="upper right")
    fig.suptitle("Shares: consumer (solid) and enterprise API spend (dashed); median and 10-90% of replications",
                 fontsize=10)
    return fig


def prices_figure(vm: pd.DataFrame, mm: pd.DataFrame, names: dict[str, str]) -> Figure:
    fig = Figure(figsize=(11, 5), layout="constrained")
    ax = fig.subplots()
    months = _months(vm)
    for v in _named(vm):
        _band(ax, vm, "api_price", v, names.get(v, v), vendor_colour(v), floor=1e-3)
    for col, label, key, style in (("price_index", "token-weighted price index", "index", "--"),
                                   ("unit_cost_reference", "reference unit serving cost", "cost", ":")):
        q = mm.groupby("month", sort=False)[col].quantile([0.1, 0.5, 0.9]).unstack()
        x = np.arange(len(q))
        ax.fill_between(x, np.maximum(q[0.1], 1e-3), np.maximum(q[0.9], 1e-3), color=NON_VENDOR[key], alpha=0.1, lw=0)
        ax.plot(x, np.maximum(q[0.5].to_numpy(), 1e-3), style, color=NON_VENDOR[key], lw=1.8, label=label)
    ax.set_yscale("log")
    ax.set_ylabel("RMB per million tokens (log)")
    ax.set_title("API prices: median and 10-90% of replications (free tiers drawn at 0.001)")
    _month_axis(ax, months)
    ax.legend(fontsize=8, ncol=2, loc="center left", bbox_to_anchor=(1.01, 0.5))
    return fig


def capability_figure(vm: pd.DataFrame, mm: pd.DataFrame, names: dict[str, str]) -> Figure:
    """Quality against the global frontier; context against the domestic best (the configured
    global context frontier sits far below what the vendors release, so it is not a reference)."""
    fig = Figure(figsize=(13, 5), layout="constrained")
    axes = fig.subplots(1, 2)
    months = _months(vm)
    for ax, feature, log in zip(axes, ("quality", "context"), (False, True)):
        for v in _named(vm):
            _band(ax, vm, f"capability_{feature}", v, names.get(v, v), vendor_colour(v), lw=1.3)
        if feature == "quality":
            q = mm.groupby("month", sort=False)["frontier_quality"].median()
            ax.plot(np.arange(len(q)), q.to_numpy(), "--", color=NON_VENDOR["frontier"], lw=2, label="global frontier")
            ax.set_title("quality (index) vs the global frontier (dashed)")
        else:
            ax.set_title("context window (tokens, log); bands: 10-90% of replications")
        if log:
            ax.set_yscale("log")
        _month_axis(ax, months)
    axes[0].legend(fontsize=7, ncol=2)
    return fig


def cash_figure(vm: pd.DataFrame, names: dict[str, str]) -> Figure:
    """Small multiples per named startup: cash (left axis) and runway (right axis, with the
    pivot line), median and 10-90% band."""
    startups = vm[(vm["kind"] == "startup") & ~vm["long_tail"]]
    named, months = _named(startups), _months(vm)
    fig, axes = _grid(len(named), per_row=3)
    for i, (ax, v) in enumerate(zip(axes, named)):
        colour = vendor_colour(v)
        _band(ax, startups, "cash_rmb", v, "cash, B RMB", colour, scale=1e9)
        ax.set_ylim(bottom=0)
        ax.set_ylabel("cash, B RMB", fontsize=7)
        right = ax.twinx()
        _band(right, startups, "runway_months", v, "runway, months", NON_VENDOR["cost"], lw=1.0, ls="--")
        right.set_yscale("symlog", linthresh=12)
        right.set_yticks(RUNWAY_TICKS)
        right.set_yticklabels([str(t) for t in RUNWAY_TICKS], fontsize=7)
        right.set_ylim(0, 130)
        right.set_ylabel("runway, months (dashed)", fontsize=7)
        ax.set_title(names.get(v, v), fontsize=9)
        _month_axis(ax, months, labels=i >= len(axes) - 3)
    fig.suptitle("Startups: cash (solid, vendor colour) and runway (dashed; 120 = profitable), median and 10-90% of "
                 "replications", fontsize=10)
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


def falls_behind_by_month_figure(by_month: pd.DataFrame, named: list[str], names: dict[str, str]) -> Figure:
    """Small multiples, one per named vendor: P(behind) in each month with its 95% Wilson
    interval as a band; a last panel for the long tail: the share of its vendors behind."""
    months = list(dict.fromkeys(by_month["month"]))
    x = np.arange(len(months))
    fig, axes = _grid(len(named) + 1)
    for i, (ax, v) in enumerate(zip(axes, named + ["long tail"])):
        if v == "long tail":
            tail = [u for u in dict.fromkeys(by_month["vendor"]) if u not in set(named)]
            share = pooled_share_by_month(by_month, tail).reindex(months)
            ax.plot(x, share.to_numpy(dtype=float), color=LONG_TAIL_COLOUR, lw=2.2)
            ax.set_title(f"long tail ({len(tail)}): share fallen behind", fontsize=9)
        else:
            one = by_month[by_month["vendor"] == v].set_index("month").reindex(months)
            colour = vendor_colour(v)
            ax.fill_between(x, one["ci95_low"].to_numpy(dtype=float), one["ci95_high"].to_numpy(dtype=float),
                            color=colour, alpha=0.2, lw=0)
            ax.plot(x, one["p_falls_behind"].to_numpy(dtype=float), color=colour, lw=1.6)
            ax.set_title(names.get(v, v), fontsize=9)
        ax.set_ylim(-0.02, 1.02)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.grid(axis="y", alpha=0.3)
        _month_axis(ax, months, labels=i >= len(axes) - 4)
    n = int(by_month["replications"].max()) if len(by_month) else 0
    fig.suptitle(f"P(fallen behind) in each month, 95% Wilson interval (band), {n} replications", fontsize=10)
    return fig


def write_figures(results, table: pd.DataFrame, out: Path, by_month: pd.DataFrame | None = None) -> dict[str, str]:
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
    if by_month is not None:
        made["falls_behind_by_month"] = falls_behind_by_month_figure(by_month, _named(vm), names)
    paths = {}
    for key, fig in made.items():
        fig.savefig(figs / f"{key}.png", dpi=110)
        paths[key] = f"figures/{key}.png"
    return paths
