"""History-friendly validation: measure each target of validation/targets.yaml in every
replication's tables. Each measure returns (value, met?) for one replication."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from .calendar import month_index
from .validation_measures_2024 import SUPPLEMENT_MEASURES

ROOT = Path(__file__).resolve().parent.parent
TARGETS_FILE = ROOT / "validation" / "targets.yaml"
# the facts files a target's `fact` comes from, by the target's `source` (default: facts)
FACTS_DIR = ROOT.parent / "shared" / "facts"
FACTS_FILES = {"facts": FACTS_DIR / "market_facts_2023_2024.yaml",
               "supplement": FACTS_DIR / "market_facts_2024_supplement.yaml"}
BIG_TECHS = ("bytedance", "alibaba", "baidu", "tencent")


def _named_startups(vm: pd.DataFrame) -> list[str]:
    s = vm[(vm["kind"] == "startup") & ~vm["long_tail"]]
    return list(dict.fromkeys(s["vendor"]))


def context_catch_up(vm, events, ctx, level_tokens, within_months, min_big_techs):
    """Big techs at or above the first 1M+ domestic context release within `within_months`."""
    ctx = vm.pivot(index="month_index", columns="vendor", values="capability_context")
    above = (ctx >= level_tokens)
    if not above.any().any():
        return 0.0, False
    t0 = int(above.any(axis=1).idxmax())
    first = above.loc[t0]
    leader_level = ctx.loc[t0, first[first].index].max()
    window = ctx.loc[t0:t0 + within_months, [b for b in BIG_TECHS if b in ctx]]
    caught = int((window >= leader_level).any(axis=0).sum())
    return float(caught), caught >= min_big_techs


def price_war_cluster(vm, events, ctx, cut_to, min_big_techs, spread_months, window, startup_cut_to,
                      startup_refuse_above):
    price = vm.pivot(index="month_index", columns="vendor", values="api_price")
    # relative to the list price before the simulation (a cut in the first month counts)
    before = pd.Series(ctx.get("initial_price", {})).reindex(price.columns).fillna(price.iloc[0])
    rel = price / before
    firsts = {}
    for b in BIG_TECHS:
        hit = rel.index[rel[b] <= cut_to] if b in rel else []
        if len(hit):
            firsts[b] = int(hit[0])
    if len(firsts) < min_big_techs:
        return np.nan, False
    months = sorted(firsts.values())[:min_big_techs]
    t0 = months[0]
    lo, hi = month_index(window[0], ctx["start"]), month_index(window[1], ctx["start"])
    clustered = months[-1] - t0 <= spread_months and lo <= t0 <= hi
    later = rel.loc[t0:t0 + 3, _named_startups(vm)]
    split = bool((later.min() <= startup_cut_to).any() and (later.min() >= startup_refuse_above).any())
    return float(t0), bool(clustered and split)


def leader_discount(vm, events, ctx, month, min_discount):
    m = vm[vm["month"] == month]
    active = m[m["status"].isin(["frontier", "focused"])]
    leader = m.loc[m["status"] == "frontier", "api_price"].min()
    discount = 1.0 - leader / active["api_price"].mean()
    return float(discount), discount >= min_discount


def startups_focused(vm, events, ctx, month, min_count):
    m = vm[(vm["month"] == month) & vm["vendor"].isin(_named_startups(vm))]
    n = int((m["status"] != "frontier").sum())
    return float(n), n >= min_count


def net_talent(vm, events, ctx, vendor, year):
    m = vm[(vm["vendor"] == vendor) & vm["month"].str.startswith(str(year))]
    net = int(m["talent_in"].sum() - m["talent_out"].sum())
    return float(net), net > 0


def sector_leader_among_startups(vm, events, ctx, vendor, sector, year, min_share):
    col = f"sector_share_{sector}"
    m = vm[vm["month"].str.startswith(str(year)) & vm["vendor"].isin(_named_startups(vm))]
    share = m.groupby("vendor")[col].mean()
    return float(share.get(vendor, 0.0)), bool(share.idxmax() == vendor and share[vendor] >= min_share)


def shakeout(vm, events, ctx, month, first_tier_min, first_tier_max, min_combined_share, tail_gone_share):
    m = vm[vm["month"] == month]
    tier = m[(m["status"] == "frontier") & (m["consumer_share"] + m["enterprise_share"] >= min_combined_share)]
    tail = m[m["long_tail"]]
    gone = float((tail["status"] != "frontier").mean()) if len(tail) else 1.0
    n = len(tier)
    return float(n), bool(first_tier_min <= n <= first_tier_max and gone >= tail_gone_share)


MEASURES = {f.__name__: f for f in (context_catch_up, price_war_cluster, leader_discount, startups_focused,
                                    net_talent, sector_leader_among_startups, shakeout)} | SUPPLEMENT_MEASURES


def fact_ids(facts_files: dict[str, Path]) -> dict[str, set[str]] | None:
    """The fact ids of each facts file; None when a file is missing (a copy of the repository
    without the project's shared/ folder: nothing to check against)."""
    if not all(Path(f).is_file() for f in facts_files.values()):
        return None
    return {src: {f["id"] for f in yaml.safe_load(Path(path).read_text())["facts"]}
            for src, path in facts_files.items()}


def load_targets(path: Path = TARGETS_FILE, facts_files: dict[str, Path] | None = None) -> list[dict]:
    """The targets, each with a known measure, a known `source` (facts file) and a `fact` id
    that exists in that facts file (checked when the facts files are there)."""
    facts_files = FACTS_FILES if facts_files is None else facts_files
    targets = yaml.safe_load(path.read_text())["targets"]
    ids = fact_ids(facts_files)
    for t in targets:
        t.setdefault("source", "facts")
        if t["measure"] not in MEASURES:
            raise ValueError(f"{path}: target {t['id']}: unknown measure {t['measure']!r}")
        if t["source"] not in facts_files:
            raise ValueError(f"{path}: target {t['id']}: unknown source {t['source']!r} "
                             f"(one of {', '.join(facts_files)})")
        if ids is not None and t["fact"] not in ids[t["source"]]:
            where = [s for s, known in ids.items() if t["fact"] in known]
            hint = f" (it is in {where[0]}: set source: {where[0]})" if where else ""
            raise ValueError(f"{path}: target {t['id']}: fact {t['fact']!r} is not in "
                             f"{facts_files[t['source']]}{hint}")
    return targets


def measure_context(cfg, market: pd.DataFrame) -> dict:
    """What a measure reads besides one replication's vendor-month and event tables: the start
    month, the list prices before the run, and that replication's market-month table."""
    return {"start": cfg.run.start, "market": market,
            "initial_price": {vid: v.api_price_rmb_per_mtok for vid, v in cfg.vendors.items()}}


def validate(results, targets: list[dict] | None = None) -> pd.DataFrame:
    """One row per target: expected, simulated mean and 90% range, share of replications that
    meet it, pass/fail."""
    targets = targets or load_targets()
    cfg = results.config
    reps = [(vm, results.events[results.events["replication"] == rep],
             measure_context(cfg, results.market_month[results.market_month["replication"] == rep]))
            for rep, vm in results.vendor_month.groupby("replication")]
    rows = []
    for t in targets:
        values, met = [], []
        for vm, ev, rep_ctx in reps:
            v, ok = MEASURES[t["measure"]](vm, ev, rep_ctx, **t.get("params", {}))
            values.append(v)
            met.append(ok)
        vals = np.array(values, float)
        finite = vals[np.isfinite(vals)]
        share = float(np.mean(met))
        rows.append({
            "target": t["id"], "source": t.get("source", "facts"), "fact": t["fact"], "expected": t["what"],
            "measure": t["measure"], "simulated_mean": float(finite.mean()) if finite.size else np.nan,
            "simulated_p05": float(np.percentile(finite, 5)) if finite.size else np.nan,
            "simulated_p95": float(np.percentile(finite, 95)) if finite.size else np.nan,
            "share_met": share, "pass_share": t["pass_share"], "passed": share >= t["pass_share"],
        })
    return pd.DataFrame(rows)


SOURCE_TITLES = {"facts": "market_facts_2023_2024.yaml", "supplement": "market_facts_2024_supplement.yaml"}


def _by_source(table: pd.DataFrame):
    for source, part in table.groupby("source", sort=False):
        yield SOURCE_TITLES.get(source, source), part


def validation_markdown(table: pd.DataFrame, title: str) -> str:
    """validate()'s table as Markdown: one section per facts file."""
    from .reporting import markdown_table

    parts = [f"# {title}\n"]
    for name, part in _by_source(table):
        rows = [(r.target, r.expected, f"{r.simulated_mean:.3g}", f"{r.simulated_p05:.3g} - {r.simulated_p95:.3g}",
                 f"{r.share_met:.2f} (needs {r.pass_share:.2f})", "pass" if r.passed else "FAIL")
                for r in part.itertuples()]
        parts.append(f"## Targets from {name} ({int(part['passed'].sum())} of {len(part)} pass)\n\n" + markdown_table(
            ["target", "expected", "simulated mean", "90% range", "share of replications met", "pass"], rows) + "\n")
    return "\n".join(parts)


def validation_text(table: pd.DataFrame) -> str:
    """validate()'s table for the terminal: one block per facts file."""
    width = max(27, int(table["target"].str.len().max()))
    lines = []
    for name, part in _by_source(table):
        lines += [f"\n{name}: {int(part['passed'].sum())} of {len(part)} pass",
                  f"{'target':<{width}} {'simulated mean':>14} {'90% range':>21} {'met':>6} {'needs':>6}  result"]
        lines += [f"{r.target:<{width}} {r.simulated_mean:>14.3g} {r.simulated_p05:>9.3g} - {r.simulated_p95:<9.3g} "
                  f"{r.share_met:>6.2f} {r.pass_share:>6.2f}  {'pass' if r.passed else 'FAIL'}"
                  for r in part.itertuples()]
    return "\n".join(lines)
