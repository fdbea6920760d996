"""The ensemble panel: run N replications of the current run's settings (and optionally a
second scenario on the same seeds) in worker processes; P(falls behind) per vendor with 95%
intervals and fan charts of consumer shares fill in as replications finish."""

from __future__ import annotations

import html
import time

import altair as alt
import pandas as pd
import solara

from market_sim.calendar import month_label
from market_sim.execution import child_seeds
from market_sim.palette import vendor_colour
from market_sim.viz import ensemble
from market_sim.viz.charts import readable_in_dark_mode
from market_sim.viz.scenarios import build_config, scenario_files

SCENARIO_COLOURS = ["#222222", "#cc00cc"]  # not vendor colours: scenarios are not vendors
NONE = "(none)"


def _vendor_scale(names: list[str], ids: list[str]) -> alt.Scale:
    return alt.Scale(domain=names, range=[vendor_colour(i) for i in ids])


def probability_chart(table: pd.DataFrame) -> alt.Chart:
    """P(falls behind) with its 95% interval per vendor, one colour per scenario."""
    base = alt.Chart(table).encode(
        y=alt.Y("vendor:N", sort=None, title=None),
        yOffset=alt.YOffset("scenario:N"),
        color=alt.Color("scenario:N", scale=alt.Scale(range=SCENARIO_COLOURS),
                        legend=alt.Legend(orient="bottom", title=None)))
    bars = base.mark_rule(strokeWidth=2).encode(x=alt.X("lo:Q", scale=alt.Scale(domain=[0, 1]),
                                                        axis=alt.Axis(format="%"), title="P(falls behind), 95% CI"),
                                                x2="hi:Q")
    points = base.mark_point(filled=True, size=50).encode(
        x="p:Q", tooltip=["scenario:N", "vendor:N", alt.Tooltip("p:Q", format=".0%"), alt.Tooltip("lo:Q", format=".0%"),
                          alt.Tooltip("hi:Q", format=".0%"), "n:Q", "main_reason:N"])
    return (bars + points).properties(width=420, height=260)


def fan_chart(frame: pd.DataFrame, months: list[str], names: list[str]) -> alt.FacetChart:
    """Small multiples: each named vendor's consumer share, median line and 10-90% band."""
    x = alt.X("month:O", scale=alt.Scale(domain=months), axis=alt.Axis(values=months[::12], labelAngle=0), title=None)
    colour = alt.Color("scenario:N", scale=alt.Scale(range=SCENARIO_COLOURS), legend=alt.Legend(orient="bottom",
                                                                                                 title=None))
    band = alt.Chart().mark_area(opacity=0.25).encode(x=x, y=alt.Y("lo:Q", axis=alt.Axis(format="%"), title=None),
                                                      y2="hi:Q", color=colour)
    line = alt.Chart().mark_line().encode(x=x, y="median:Q", color=colour)
    return (alt.layer(band, line, data=frame).properties(width=100, height=70)
            .facet(facet=alt.Facet("vendor:N", sort=names, title=None), columns=5)
            .resolve_scale(y="independent"))


def _labels(model) -> list[str]:
    return [month_label(model.start, i) for i in range(model.horizon)]


def summaries(results: dict[str, list[dict]], order: list[str]) -> pd.DataFrame:
    frames = [ensemble.summary(results[name]).assign(scenario=name) for name in order if results.get(name)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def paired_html(table: pd.DataFrame, a: str, b: str) -> str:
    rows = "".join(f"<tr><td>{html.escape(r.vendor)}</td><td>{r.p_a:.0%}</td><td>{r.p_b:.0%}</td>"
                   f"<td>{r.diff:+.0%}</td><td>{r.lo:+.0%} to {r.hi:+.0%}</td></tr>" for r in table.itertuples())
    return (f"<table class='ms-table ms-paired'><tr><th>vendor</th><th>P {html.escape(a)}</th><th>P "
            f"{html.escape(b)}</th><th>difference</th><th>95% CI (paired, {int(table['n'].max())} seeds)</th></tr>"
            + rows + "</table>")


@solara.component
def EnsemblePanel(model):
    n, set_n = solara.use_state(20)
    other, set_other = solara.use_state(NONE)
    run_id, set_run_id = solara.use_state(0)
    results, set_results = solara.use_state({})  # scenario -> list of replication results
    status, set_status = solara.use_state("")
    params = dict(model.params)

    def work(cancel):
        if run_id == 0:
            return
        started = time.monotonic()
        seeds = child_seeds(int(params["seed"]), n)
        names = [params["scenario"]] + ([other] if other != NONE and other != params["scenario"] else [])
        jobs = []
        for name in names:
            cfg = build_config(**{**{k: v for k, v in params.items() if k != "seed"}, "scenario": name})
            jobs += [(cfg, s, name, i) for i, s in enumerate(seeds)]
        acc: dict[str, list[dict]] = {name: [] for name in names}
        set_results(dict(acc))
        done = 0
        for res in ensemble.stream(jobs, cancelled=cancel.is_set):
            acc[res["tag"]].append(res)
            done += 1
            set_results({k: list(v) for k, v in acc.items()})
            set_status(f"{done} of {len(jobs)} replications finished ({time.monotonic() - started:.1f} s)")
        if not cancel.is_set():
            set_status(f"{done} of {len(jobs)} replications finished in {time.monotonic() - started:.1f} s "
                       f"(scenario {', '.join(names)}, seed {params['seed']})")

    solara.use_thread(work, dependencies=[run_id], intrusive_cancel=False)
    running = status and "finished in" not in status and run_id > 0
    with solara.Div(classes=["ms-panel", "ms-ensemble"]):
        solara.HTML(tag="h3", unsafe_innerHTML="Ensemble: how likely is each vendor to fall behind?")
        solara.HTML(tag="p", classes=["ms-note"], unsafe_innerHTML=(
            "Runs N replications of the current run's settings (its scenario, sliders and seed; replication 1 is "
            "the run above) in worker processes, to the horizon, and applies the rule at the horizon. Dots are "
            "P(falls behind), bars 95% Wilson intervals; the fan charts show each vendor's consumer share "
            "(median, 10-90% of replications). A second scenario runs on the same seeds (paired)."))
        with solara.Row(gap="8px", style={"align-items": "center", "flex-wrap": "wrap"}):
            with solara.Div(style={"min-width": "200px"}):
                solara.SliderInt(f"replications: {n}", value=n, min=5, max=100, step=5, on_value=set_n)
            solara.Select("compare with", value=other, values=[NONE, *scenario_files()], on_value=set_other,
                          style={"max-width": "260px"})
            solara.Button("Run ensemble", on_click=lambda: (set_status("starting workers"), set_run_id(run_id + 1)),
                          disabled=bool(running), color="primary", classes=["ms-run-ensemble"])
        solara.HTML(tag="div", unsafe_innerHTML=f"<span id='ensemble-status'>{html.escape(status)}</span>",
                    classes=["ms-note"])
        order = list(results)
        if not any(results.values()):
            return
        table = summaries(results, order)
        counts = "; ".join(f"{name}: {len(results[name])} replications" for name in order)
        solara.HTML(tag="div", unsafe_innerHTML=f"<span class='ms-ensemble-n'>Estimates from {html.escape(counts)}"
                    "</span>", classes=["ms-note"])
        solara.widgets.VegaLite.element(spec=readable_in_dark_mode(probability_chart(table).to_dict(validate=False)))
        if len(order) == 2 and results[order[1]]:
            diff = ensemble.paired(results[order[0]], results[order[1]])
            solara.HTML(tag="div", unsafe_innerHTML=paired_html(diff, order[0], order[1]))
        fans = pd.concat([ensemble.fan(results[name], _labels(model)).assign(scenario=name)
                          for name in order if results[name]], ignore_index=True)
        names = table["vendor"].drop_duplicates().tolist()
        fan = fan_chart(fans, _labels(model), names).to_dict(validate=False)
        solara.widgets.VegaLite.element(spec=readable_in_dark_mode(fan))
