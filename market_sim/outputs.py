"""The results directory of a run: resolved config, Parquet tables, summary.json, figures
and report.md. Written into a temporary sibling and renamed into place when complete, so an
interrupted or failed run leaves no partial results directory behind."""

from __future__ import annotations

import json
import tempfile
from collections import defaultdict
from pathlib import Path

import pandas as pd
import yaml

from . import __version__
from .plots import write_figures
from .posterior import DRAWS_FILE, draw_count
from .reporting import atomic_directory, markdown_table
from .runner import Results
from .stats import BOOTSTRAP_RESAMPLES, pooled_share_by_month

MARKER = "summary.json"  # a directory holding this is a market-sim results directory
RUN_FILE = "run.json"    # seed, replications, version and overrides: what `market-sim rerun` needs


class OutputError(Exception):
    pass


def check_output_dir(out: Path) -> None:
    """Refuse, before any run, to replace a directory that is not a results directory of ours,
    and a place where we cannot write (the results are written into a sibling, then renamed)."""
    out = Path(out)
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).exists())):
        raise OutputError(f"{out}: exists and is not a market-sim results directory; choose another --out")
    check_writable(out.parent)
    if out.is_dir():
        check_writable(out)


def check_writable(directory: Path) -> None:
    """Create `directory` if needed and write a probe file in it; an OutputError if we cannot."""
    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".write-probe-"):
            pass
    except OSError as e:
        raise OutputError(f"{directory}: cannot write here ({e.strerror or e}); choose another --out") from None


def tail_summary(outcomes: pd.DataFrame) -> dict:
    tail = outcomes[outcomes["vendor"].str.startswith("tail_")]
    if tail.empty:
        return {}
    per_rep = tail.groupby("replication")
    survivors = per_rep.apply(lambda d: int((~d["falls_behind"]).sum()), include_groups=False)
    return {
        "vendors": int(tail["vendor"].nunique()),
        "share_falling_behind": float(tail["falls_behind"].mean()),
        "median_survivors": float(survivors.median()),
    }


def by_month_summary(by_month: pd.DataFrame, named: list[str]) -> dict:
    """Compact by-month P for summary.json: the named vendors' P(behind) per month, and the
    long tail's share behind per month."""
    months = list(dict.fromkeys(by_month["month"]))
    p = by_month[by_month["vendor"].isin(named)].pivot(index="month", columns="vendor", values="p_falls_behind")
    tail = [v for v in dict.fromkeys(by_month["vendor"]) if v not in set(named)]
    def values(series: pd.Series) -> list:  # null where no replication had the vendor in the market
        return [None if pd.isna(x) else round(float(x), 4) for x in series.reindex(months)]

    return {"months": months, "p_falls_behind": {v: values(p[v]) for v in named if v in p},
            "long_tail_share": values(pooled_share_by_month(by_month, tail))}


def summarise(results: Results, table: pd.DataFrame, by_month: pd.DataFrame | None = None) -> dict:
    vm, mm = results.vendor_month, results.market_month
    last = mm[mm["month_index"] == mm["month_index"].max()]
    named = table[~table["vendor"].str.startswith("tail_")]
    return {
        "market_sim_version": __version__,
        "replications": results.replications,
        "base_seed": results.base_seed,
        "months": f"{vm['month'].iloc[0]} .. {vm['month'].iloc[-1]}",
        "falls_behind_rule": results.config.falls_behind.model_dump(),
        "falls_behind": named.to_dict(orient="records"),
        "long_tail": tail_summary(results.outcomes),
        **({} if by_month is None else
           {"falls_behind_by_month": by_month_summary(by_month, named["vendor"].tolist())}),
        "final_month_medians": {
            "frontier_vendors": float(last["n_frontier"].median()),
            "price_index_rmb_per_mtok": float(last["price_index"].median()),
            "total_mau": float(last["total_mau"].median()),
            "hhi_consumer": float(last["hhi_consumer"].median()),
        },
    }


def _report(results: Results, table: pd.DataFrame, figures: dict[str, str], summary: dict, config_name: str) -> str:
    named = table[~table["vendor"].str.startswith("tail_")]
    rows = markdown_table(
        ["vendor", "P(falls behind)", "95% interval", "of which: race", "of which: money",
         "median final consumer share", "median final enterprise share"],
        [(r["name"], f"{r['p_falls_behind']:.2f}", f"{r['ci95_low']:.2f}-{r['ci95_high']:.2f}",
          f"{r['p_race']:.2f}", f"{r['p_money']:.2f}",
          f"{r['median_consumer_share']:.3f}", f"{r['median_enterprise_share']:.3f}") for _, r in named.iterrows()])
    tail = summary["long_tail"]
    fm = summary["final_month_medians"]
    posterior = _posterior_section(results, named)
    ev = results.events
    counts = ev.groupby("event").size().div(results.replications).round(1).to_dict() if len(ev) else {}
    rule = results.config.falls_behind
    price_index = fm["price_index_rmb_per_mtok"]
    tables = "`vendor_month.parquet`, `market_month.parquet`, `events.parquet`, `outcomes.parquet`"
    return f"""# market-sim results: {config_name}

{results.replications} replications, base seed {results.base_seed}, months {summary['months']}.

## Who falls behind

A vendor *falls behind* if at the horizon its status is one of {rule.statuses}, or it is still
racing with consumer + enterprise share below {rule.max_combined_share} and more than
{rule.min_gap_months} months of quality growth behind the domestic best (docs/ODD.md, 7.7).
The cause is read from the state: *money* if the vendor's runway in the month before it fell behind
was under {rule.money_runway_months} months or its cash was gone, else *race* (it fell behind on capability
and share while it could still pay).

{rows}
{posterior}
Long tail: {tail.get('vendors', 0)} vendors; {100 * tail.get('share_falling_behind', 0):.0f}% of them fall behind;
median survivors per replication {tail.get('median_survivors', 0):.0f}.

![P(falls behind)]({figures['falls_behind']})

The same rule in every month (`falls_behind_by_month.parquet` / `.csv`): P that the vendor is behind
in that month, among the replications in which it was in the market, with its 95% interval.

![P(falls behind) by month]({figures['falls_behind_by_month']})

## The market at the horizon (medians)

Frontier vendors: {fm['frontier_vendors']:.0f}; token-weighted API price index: {price_index:.3f} RMB per
million tokens; assistant users: {fm['total_mau'] / 1e6:.0f}M; consumer HHI: {fm['hhi_consumer']:.3f}.

Events per replication (mean): {', '.join(f'{k} {v}' for k, v in counts.items())}.

![Shares]({figures['shares']})

![Prices]({figures['prices']})

![Capability]({figures['capability']})

![Cash and runway]({figures['cash_runway']})

## Files

- `config.yaml`: the resolved config of this run (its run.seed is the base seed used); `run.json`: replications,
  seed, version and overrides (`market-sim rerun DIR` repeats the run)
- {tables}: tables (column meanings: docs/ODD.md, 8)
- `falls_behind.csv`, `summary.json`: the table above, machine-readable
- `falls_behind_by_month.parquet` / `.csv`: P(falls behind) per month and vendor with its 95% interval
""" + ("" if results.posterior is None else
       "- `posterior_draws.csv`: the posterior draws used (draw, particle, parameters); replication i used draw "
       "i // runs_per_draw; `outcomes.parquet` has each replication's `posterior_draw`\n")


def _posterior_section(results: Results, named: pd.DataFrame) -> str:
    """The report's posterior-predictive part (empty without a posterior)."""
    post = results.posterior
    if post is None:
        return ""
    from .stats import dominance_sentence

    rows = markdown_table(
        ["vendor", "P(falls behind)", "95% interval (runs and parameters)", "P across draws (5th-95th pct)",
         "parameter share of variance", "dominant"],
        [(r["name"], f"{r['p_falls_behind']:.2f}", f"{r['post_ci95_low']:.2f}-{r['post_ci95_high']:.2f}",
          f"{r['draw_p05']:.2f}-{r['draw_p95']:.2f}", f"{r['parameter_share']:.2f}", r["dominant"] or "-")
         for _, r in named.iterrows()])
    sentences = "\n".join(f"- {dominance_sentence(r['name'], r['parameter_share'])}" for _, r in named.iterrows())
    draws = draw_count(results.replications, results.runs_per_draw)
    return f"""
## Behind the answer: the calibration's posterior

Parameters {', '.join(f'`{p}`' for p in post.parameters)} were drawn from the posterior in `{post.directory}`:
{draws} draws, {results.runs_per_draw} replications per draw (replication i used draw i // {results.runs_per_draw};
`posterior_draws.csv`). P(falls behind) above is the posterior predictive; its interval here comes from
a cluster bootstrap over draws ({BOOTSTRAP_RESAMPLES} resamples), so it covers both the runs' randomness and the
parameters' uncertainty (the interval above covers the runs' randomness only). The variance of the
falls-behind indicator splits as Var(Y) = E[Var(Y | parameters)] + Var(E[Y | parameters]); the parameter
share is the second part's share.

{rows}

{sentences}
"""


def resolved_config(results: Results) -> dict:
    """The run's config as run: its run.seed is the base seed used (given by --seed or not), so
    that `market-sim run DIR/config.yaml` gives the same history."""
    data = results.config.model_dump(mode="json")
    data["run"]["seed"] = int(results.base_seed)
    return data


def provenance(results: Results, source: str | Path | None = None, overrides: dict | None = None) -> dict:
    """What `market-sim rerun DIR` needs besides config.yaml (which already holds the overrides)."""
    out = {"market_sim_version": __version__, "source": None if source is None else str(source),
           "overrides": dict(overrides or {}), "base_seed": int(results.base_seed),
           "replications": int(results.replications)}
    if results.posterior is not None:  # absolute path + checksum: rerun finds it and checks it is unchanged
        out["posterior"] = results.posterior.record(results.runs_per_draw)
    return out


def write_results(results: Results, out: str | Path, config_name: str = "", *,
                  source: str | Path | None = None, overrides: dict | None = None,
                  figures: bool = True) -> dict[str, Path]:
    """Write the results directory atomically; return the paths written. figures=False skips
    drawing the PNGs (and their places in the report)."""
    out = Path(out)
    check_output_dir(out)
    with atomic_directory(out) as tmp:
        table = results.falls_behind()
        by_month = results.falls_behind_by_month()
        (tmp / "config.yaml").write_text(yaml.safe_dump(resolved_config(results), sort_keys=False))
        (tmp / RUN_FILE).write_text(json.dumps(provenance(results, source, overrides), indent=2, default=str))
        for name in ("vendor_month", "market_month", "events", "outcomes"):
            getattr(results, name).to_parquet(tmp / f"{name}.parquet", index=False)
        table.to_csv(tmp / "falls_behind.csv", index=False)
        draws = results.posterior_draws()
        if draws is not None:
            draws.to_csv(tmp / DRAWS_FILE, index=False)
        by_month.to_parquet(tmp / "falls_behind_by_month.parquet", index=False)
        by_month.to_csv(tmp / "falls_behind_by_month.csv", index=False)
        drawn = write_figures(results, table, tmp, by_month) if figures else defaultdict(str)
        summary = summarise(results, table, by_month)
        report = _report(results, table, drawn, summary, config_name)
        if not figures:
            report = "\n".join(line for line in report.splitlines() if not line.endswith("]()"))
        (tmp / "report.md").write_text(report)
        (tmp / MARKER).write_text(json.dumps(summary, indent=2, default=float))
    paths = {"directory": out, "report": out / "report.md", "summary": out / MARKER,
             "tables": out / "vendor_month.parquet", "figures": out / "figures"}
    return paths if figures else {k: p for k, p in paths.items() if k != "figures"}
