"""The market in the browser: Mesa SolaraViz with market-sim's own components.

    market-sim viz [CONFIG]                  # or: solara run market_sim/viz/app.py

The app only draws: the model steps as it does in a batch run, and the charts read its
record arrays (charts.py). Controls: a scenario picker over configs/ (the baseline and
configs/scenarios/), the seed, and multipliers of the scenario's price-war intensity, copy
lag, talent mobility and funding climate (multipliers, so that a scenario's own values
survive a reset), and the number of consumer agents.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import solara
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter

from market_sim.config import load_config
from market_sim.model import MarketModel
from market_sim.viz import charts
from market_sim.viz.app_paths import CONFIG_ENV  # set by `market-sim viz CONFIG`
from market_sim.viz.offline_assets import ensure_cdn_aliases

ensure_cdn_aliases()  # also when started as plain `solara run market_sim/viz/app.py`

CONFIG_DIR = Path(__file__).resolve().parents[2] / "configs"
DEFAULT_CONSUMERS = 5_000  # keeps a step well under the frame budget (docs/performance.md)


def scenario_files() -> dict[str, Path]:
    """Scenario name -> config file: the baseline, configs/scenarios/*.yaml, and the config
    given to `market-sim viz` (if any)."""
    found = {p.stem: p for p in sorted(CONFIG_DIR.glob("*.yaml"))}
    found.update({f"scenarios/{p.stem}": p for p in sorted((CONFIG_DIR / "scenarios").glob("*.yaml"))})
    given = os.environ.get(CONFIG_ENV)
    if given:
        path = Path(given).resolve()
        name = next((k for k, v in found.items() if v.resolve() == path), path.stem)
        found = {name: path, **{k: v for k, v in found.items() if k != name}}
    return found


def default_scenario() -> str:
    return next(iter(scenario_files()))


def _get(cfg, dotted: str) -> float:
    node = cfg
    for part in dotted.split("."):
        node = getattr(node, part)
    return float(node)


class VizMarketModel(MarketModel):
    """MarketModel built from the app's controls (SolaraViz resets with these keywords)."""

    def __init__(self, scenario: str | None = None, seed: int | str = 1, price_war_x: float = 1.0,
                 copy_lag_x: float = 1.0, talent_mobility_x: float = 1.0, funding_climate_x: float = 1.0,
                 consumers: int = DEFAULT_CONSUMERS):
        scenario = scenario or default_scenario()
        cfg = load_config(scenario_files()[scenario])
        consumers = int(consumers)
        scaled = {  # key -> (multiplier, lower bound, upper bound)
            "price_war.intensity": (price_war_x, 0.0, 5.0),
            "catch_up.copy_lag_months": (copy_lag_x, 0.05, None),
            "talent.mobility": (talent_mobility_x, 0.0, 1.0),
            "market.funding_climate_scale": (funding_climate_x, 0.0, None),
        }

        def times(key: str, value: float) -> float:
            x, lo, hi = scaled[key]
            return float(np.clip(value * x, lo, hi))

        overrides = {key: times(key, _get(cfg, key)) for key in scaled}
        overrides.update({"scale.consumers": consumers, "scale.enterprises": max(consumers // 10, 50)})
        # a scenario's dated changes are scaled too: the slider multiplies the scenario's value before and after 2025-01
        changes = [{**c.model_dump(), "set": {k: (times(k, v) if k in scaled else v) for k, v in c.set.items()}}
                   for c in cfg.changes]
        if changes:
            overrides["changes"] = changes
        try:
            rng = int(str(seed).strip() or 0)
        except ValueError:
            rng = 0
        super().__init__(config=load_config(cfg, overrides), rng=rng)
        self.scenario = scenario


_SPECS: dict = {}  # (chart, model, structure) -> Vega-Lite spec without data


def _chart(name: str, model, build) -> None:
    """Draw a chart: its spec is built once per model and structure (charts.spec_with_data),
    each frame sends only the data. The spec goes to Solara's Vega-Lite widget directly:
    solara.FigureAltair would validate and rebuild it every frame (55-125 ms a chart)."""
    spec = charts.spec_with_data(_SPECS, (name, *charts.structure_key(model)), build)
    solara.widgets.VegaLite.element(spec=spec)


@solara.component
def MonthHeader(model):
    update_counter.get()
    label = model.month_label if model.month > 0 else f"{model.month_label} (start)"
    racing = int((model.vendors.status == 0).sum())
    price = model.market.price_index
    with solara.Column(gap="2px"):
        solara.HTML(tag="div", unsafe_innerHTML=(
            f"<span style='font-size:1.6em;font-weight:600' id='market-month' class='market-month'>"
            f"Month {label}</span>"))
        solara.Text(f"Scenario: {getattr(model, 'scenario', '?')}  |  month {model.month} of {model.horizon}")
        solara.Text(f"{racing} vendors racing  |  API price index {price:.3g} RMB per million tokens  |  "
                    f"{model.market.total_mau / 1e6:.0f}M assistant users  |  "
                    f"enterprise spend {model.market.enterprise_spend / 1e6:.0f}M RMB a month")


@solara.component
def SharesChart(model):
    update_counter.get()
    _chart("shares", model, lambda data: charts.shares_chart(model, data))


@solara.component
def PricesChart(model):
    update_counter.get()
    _chart("prices", model, lambda data: charts.prices_chart(model, data))


@solara.component
def CapabilityChart(model):
    update_counter.get()
    feature, set_feature = solara.use_state("context")
    solara.ToggleButtonsSingle(value=feature, values=["quality", "context", "multimodal", "reasoning"],
                               on_value=set_feature)
    _chart(f"capability-{feature}", model, lambda data: charts.capability_chart(model, feature, data))


@solara.component
def CashChart(model):
    update_counter.get()
    _chart("cash", model, lambda data: charts.cash_chart(model, data))


@solara.component
def NetworkChart(model):
    update_counter.get()
    _chart("network", model, lambda data: charts.network_chart(model, data))


def _num(x: float, fmt: str) -> str:
    """Blank for NaN (rows where a number means nothing, e.g. the long tail's price)."""
    return "" if x != x else format(x, fmt)


def status_table_html(rows: list[dict]) -> str:
    cells = []
    for r in rows:
        cells.append(
            f"<tr><td><span style='color:{r['colour']}'>&#9632;</span> {r['vendor']}</td><td>{r['status']}</td>"
            f"<td>{r['since']}</td><td>{_num(100 * r['consumer'], '.1f')}</td>"
            f"<td>{_num(100 * r['enterprise'], '.1f')}</td>"
            f"<td>{_num(r['price'], '.3g')}</td><td>{_num(r['cash_b'], '.2f')}</td><td>{_num(r['runway'], '.0f')}</td>"
            f"<td>{r['headcount']}</td></tr>")
    return ("<style>.status-board td, .status-board th {padding: 2px 8px; white-space: nowrap}</style>"
            "<table class='status-board' style='font-size:0.85em;border-collapse:collapse'>"
            "<tr><th align='left'>vendor</th><th>status</th><th>since</th><th>consumers %</th><th>enterprise %</th>"
            "<th>price RMB/M</th><th>cash B RMB</th><th>runway mo</th><th>researchers</th></tr>"
            + "".join(cells) + "</table>")


@solara.component
def StatusBoard(model):
    update_counter.get()
    solara.HTML(tag="div", unsafe_innerHTML=status_table_html(charts.status_rows(model)))


@solara.component
def EventFeed(model):
    update_counter.get()
    events = charts.latest_events(model, 14)
    if not events:
        solara.Text("No events yet: press Step.")
        return
    items = "".join(f"<li><b>{e['month']}</b> {e['detail']}</li>" for e in events)
    solara.HTML(tag="div", unsafe_innerHTML=f"<ul class='event-feed' style='font-size:0.85em;margin:0'>{items}</ul>")


model_params = {
    "scenario": {"type": "Select", "value": default_scenario(), "values": list(scenario_files()), "label": "Scenario"},
    "seed": {"type": "InputText", "value": "1", "label": "Seed"},
    "price_war_x": {"type": "SliderFloat", "value": 1.0, "min": 0.0, "max": 3.0, "step": 0.1,
                    "label": "Price-war intensity (x scenario)"},
    "copy_lag_x": {"type": "SliderFloat", "value": 1.0, "min": 0.25, "max": 8.0, "step": 0.25,
                   "label": "Copy lag (x scenario)"},
    "talent_mobility_x": {"type": "SliderFloat", "value": 1.0, "min": 0.0, "max": 5.0, "step": 0.25,
                          "label": "Talent mobility (x scenario)"},
    "funding_climate_x": {"type": "SliderFloat", "value": 1.0, "min": 0.0, "max": 3.0, "step": 0.1,
                          "label": "Funding climate (x scenario)"},
    "consumers": {"type": "SliderInt", "value": DEFAULT_CONSUMERS, "min": 1_000, "max": 50_000, "step": 1_000,
                  "label": "Consumer agents"},
}

COMPONENTS = [MonthHeader, EventFeed, SharesChart, StatusBoard, PricesChart, NetworkChart, CapabilityChart, CashChart]

page = SolaraViz(VizMarketModel(), components=COMPONENTS, model_params=model_params,
                 name="market-sim: who falls behind?", play_interval=300)
