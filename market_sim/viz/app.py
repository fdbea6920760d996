"""The market in the browser: who falls behind?

    market-sim viz [CONFIG]                  # or: solara run market_sim/viz/app.py

One model per browser session (a reload starts afresh), built from the controls: a scenario
over configs/ (the baseline and configs/scenarios/), the seed, multipliers of the scenario's
price-war intensity, copy lag, talent mobility and funding climate (multipliers, so that a
scenario's own values survive), and the number of consumer agents. Controls apply on Reset.
The model is a Mesa model stepped here (Mesa's SolaraViz page shared one model between
sessions and could not be laid out or worded for this question); the charts read its record
arrays (charts.py), the panels its vendor table (panels.py), the ensemble runs in worker
processes (ensemble.py, ensemble_panel.py).
"""

from __future__ import annotations

import time

import numpy as np
import solara
from mesa.visualization.utils import update_counter

from market_sim.execution import child_seeds
from market_sim.model import HorizonReached, MarketModel
from market_sim.viz import panels
from market_sim.viz.ensemble_panel import EnsemblePanel
from market_sim.viz.offline_assets import ensure_cdn_aliases
from market_sim.viz.scenarios import (  # noqa: F401 (re-exported)
    CONFIG_DIR,
    DEFAULT_CONSUMERS,
    build_config,
    default_scenario,
    describe,
    parse_seed,
    scenario_files,
)

ensure_cdn_aliases()  # also when started as plain `solara run market_sim/viz/app.py`

PLAY_INTERVAL_S = 0.3


class VizMarketModel(MarketModel):
    """MarketModel built from the app's controls (keyword arguments, as Mesa's Reset expects)."""

    def __init__(self, scenario: str | None = None, seed: int | str = 1, price_war_x: float = 1.0,
                 copy_lag_x: float = 1.0, talent_mobility_x: float = 1.0, funding_climate_x: float = 1.0,
                 consumers: int = DEFAULT_CONSUMERS):
        scenario = scenario or default_scenario()
        rng = parse_seed(seed)
        cfg = build_config(scenario, price_war_x, copy_lag_x, talent_mobility_x, funding_climate_x, consumers)
        # replication 0 of `market-sim run --seed rng`: the exported command reproduces this run
        super().__init__(config=cfg, rng=np.random.default_rng(child_seeds(rng, 1)[0]))
        self.initial_cfg = cfg  # apply_change replaces self.cfg from the scenario's change month
        self.scenario = scenario
        self.seed = rng
        self.params = {"scenario": scenario, "seed": str(rng), "price_war_x": float(price_war_x),
                       "copy_lag_x": float(copy_lag_x), "talent_mobility_x": float(talent_mobility_x),
                       "funding_climate_x": float(funding_climate_x), "consumers": int(consumers)}


DEFAULTS = {"scenario": None, "seed": "1", "price_war_x": 1.0, "copy_lag_x": 1.0, "talent_mobility_x": 1.0,
            "funding_climate_x": 1.0, "consumers": DEFAULT_CONSUMERS}


def default_controls() -> dict:
    return {**DEFAULTS, "scenario": default_scenario()}


def control_error(controls: dict) -> str:
    """Why the controls cannot build a model ("" if they can)."""
    try:
        parse_seed(controls["seed"])
    except ValueError as e:
        return str(e)
    return ""


SLIDERS = [  # key, label, min, max, step
    ("price_war_x", "Price-war intensity", 0.0, 3.0, 0.1),
    ("copy_lag_x", "Copy lag", 0.25, 8.0, 0.25),
    ("talent_mobility_x", "Talent mobility", 0.0, 5.0, 0.25),
    ("funding_climate_x", "Funding climate", 0.0, 3.0, 0.1),
]


@solara.component
def Controls(controls: dict, set_controls, model, on_reset, on_step, playing: bool, set_playing, error: str):
    def put(key):
        return lambda value: set_controls({**controls, key: value})

    pending = {k: v for k, v in controls.items() if str(v) != str(model.params.get(k))}
    bad = control_error(controls)
    at_end = not model.running
    with solara.Column(gap="6px", classes=["ms-controls"]):
        with solara.Row(gap="6px"):
            solara.Button("Step", on_click=on_step, disabled=playing or at_end, color="primary",
                          classes=["ms-step"])
            solara.Button("Pause" if playing else "Play", on_click=lambda: set_playing(not playing),
                          disabled=at_end and not playing, color="primary", classes=["ms-play"])
            solara.Button("Reset", on_click=on_reset, disabled=bool(bad), color="warning" if pending else None,
                          classes=["ms-reset"])
        if at_end:
            solara.Info(f"Month {model.month} of {model.horizon}: the run is complete. Reset to start again.",
                        dense=True, classes=["ms-horizon"])
        if error:
            solara.Error(error, dense=True, classes=["ms-error"])
        if pending and not bad:
            solara.Warning(f"Changed: {', '.join(pending)}. Press Reset to apply (the run restarts).", dense=True,
                           classes=["ms-pending"])
        solara.Select("Scenario", value=controls["scenario"], values=list(scenario_files()),
                      on_value=put("scenario"))
        solara.Markdown(describe(controls["scenario"]), style={"font-size": "0.85em"})
        solara.InputText("Seed (whole number)", value=str(controls["seed"]), on_value=put("seed"),
                         continuous_update=True, error=bad or False, classes=["ms-seed"])
        for key, label, lo, hi, step in SLIDERS:
            solara.HTML(tag="div", unsafe_innerHTML=f"{label}: <b>x{controls[key]:.2f}</b> the scenario's value",
                        classes=["ms-slider-label"])
            solara.SliderFloat("", value=controls[key], min=lo, max=hi, step=step, on_value=put(key),
                               thumb_label=False)
        solara.HTML(tag="div", unsafe_innerHTML=f"Consumer agents: <b>{controls['consumers']:,}</b>",
                    classes=["ms-slider-label"])
        solara.SliderInt("", value=controls["consumers"], min=1_000, max=50_000, step=1_000,
                         on_value=put("consumers"), thumb_label=False)


@solara.component
def Page():
    solara.Title("market-sim: who falls behind?")
    solara.Style(panels.CSS)
    first = solara.use_memo(lambda: VizMarketModel(**default_controls()), [])  # per session: a reload is fresh
    model, set_model = solara.use_state(first)
    controls, set_controls = solara.use_state(first.params)
    playing, set_playing = solara.use_state(False)
    error, set_error = solara.use_state("")
    update_counter.get()

    def do_step():
        try:
            model.step()
            set_error("")
        except HorizonReached as e:
            set_error(str(e))
        update_counter.value += 1

    def do_reset():
        set_playing(False)
        try:
            set_model(VizMarketModel(**controls))
            set_error("")
        except (ValueError, KeyError) as e:
            set_error(f"cannot reset: {e}")
        update_counter.value += 1

    def play(cancel):
        while playing and model.running and not cancel.is_set():
            t0 = time.monotonic()
            model.step()
            update_counter.value += 1
            time.sleep(max(0.0, PLAY_INTERVAL_S - (time.monotonic() - t0)))
        if not cancel.is_set():
            set_playing(False)

    solara.use_thread(play, dependencies=[playing, model], intrusive_cancel=False)

    with solara.Div(classes=["ms-page"]):
        with solara.Div(classes=["ms-sidebar"]):
            solara.HTML(tag="h2", unsafe_innerHTML="Who falls behind?", classes=["ms-title"])
            Controls(controls, set_controls, model, do_reset, do_step, playing, set_playing, error)
            panels.Glossary(model)
        with solara.Div(classes=["ms-main"]):
            panels.MonthHeader(model)
            with solara.Div(classes=["ms-grid"]):
                panels.FallsBehindPanel(model)
                EnsemblePanel(model)
                panels.SharesPanel(model)
                panels.EventLog(model)
                panels.StatusBoard(model)
                panels.PricesPanel(model)
                panels.CapabilityPanel(model)
                panels.CashPanel(model)
                panels.NetworkPanel(model)
                panels.ExportPanel(model)


page = Page
COMPONENTS = panels.COMPONENTS
