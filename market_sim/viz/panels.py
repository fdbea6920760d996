"""The app's panels: the month header, the falls-behind panel, the status board, the event log,
the chart panels, the glossary and the export. Each is a Solara component of the session's
model that re-renders on Mesa's update counter."""

from __future__ import annotations

import html

import solara
from mesa.visualization.utils import update_counter

from market_sim.palette import vendor_colour
from market_sim.viz import behind, charts
from market_sim.viz.export import export_zip, run_command

CSS = """
.ms-page {display: flex; gap: 14px; align-items: flex-start; width: 100%; box-sizing: border-box}
.ms-sidebar {flex: 0 0 290px; width: 290px; box-sizing: border-box; position: sticky; top: 0;
             max-height: 100vh; overflow-y: auto; padding-right: 4px}
.ms-main {flex: 1 1 auto; min-width: 0}
.ms-grid {display: grid; grid-template-columns: repeat(auto-fill, minmax(610px, 1fr)); gap: 12px; margin-top: 8px}
.ms-panel {border: 1px solid rgba(128,128,128,0.35); border-radius: 6px; padding: 8px; min-width: 0;
           box-sizing: border-box; overflow-x: auto}
.ms-panel h3 {font-size: 1.05em; margin: 0 0 4px 0}
.ms-table {font-size: 0.8em; border-collapse: collapse}
.ms-table td, .ms-table th {padding: 2px 5px; text-align: right; vertical-align: top}
.ms-table td:first-child, .ms-table th:first-child {text-align: left; white-space: nowrap}
.ms-table td.cause {text-align: left; max-width: 230px}
.ms-behind {font-weight: 600; color: #c0392b}
.ms-log {max-height: 300px; overflow-y: auto; font-size: 0.82em; margin: 0; padding-left: 18px}
.ms-headline {font-weight: 600}
.ms-note {font-size: 0.8em; opacity: 0.8}
.ms-slider-label {font-size: 0.85em; margin-bottom: -14px}
.ms-controls .v-input__slot {margin-bottom: 0}
"""

HEADLINE_EVENTS = {"pivot", "exit", "acquisition", "round", "raise_failed", "budget_cut", "change"}
LOG_FILTERS = {"headlines": HEADLINE_EVENTS, "releases": {"release"}, "prices": {"price_cut"},
               "talent": {"key_hire"}, "all": None}


def _num(x: float, fmt: str) -> str:
    """Blank for NaN (rows where a number means nothing, e.g. the long tail's price)."""
    return "" if x != x else format(x, fmt)


def _swatch(colour: str) -> str:
    return f"<span style='color:{colour}'>&#9632;</span>"


@solara.component
def Panel(title: str, classes: list[str] | None = None, children=None):
    with solara.Div(classes=["ms-panel", *(classes or [])]) as main:
        solara.HTML(tag="h3", unsafe_innerHTML=html.escape(title))
        solara.Column(children=children or [], gap="4px")
    return main


@solara.component
def MonthHeader(model):
    update_counter.get()
    label = model.month_label if model.month > 0 else f"{model.month_label} (start)"
    racing = int((model.vendors.status == 0).sum())
    spend = (f" | enterprise API spend {model.market.enterprise_spend / 1e6:,.1f}M RMB last month" if model.month
             else " | press Step or Play to simulate the first month")
    solara.HTML(tag="div", classes=["ms-header"], unsafe_innerHTML=(
        f"<span style='font-size:1.5em;font-weight:600' id='market-month' class='market-month'>Month {label}</span>"
        f" <span class='ms-note' id='market-progress'>month {model.month} of {model.horizon}, "
        f"scenario {html.escape(model.scenario)}, seed {model.seed}</span><br>"
        f"<span class='ms-note'>{racing} vendors still in the frontier race | API price index "
        f"{model.market.price_index:.3g} RMB per million tokens | {model.market.total_mau / 1e6:.0f}M assistant "
        f"users{spend}</span>"))


def falls_behind_html(rows: list[dict], cfg) -> str:
    cells = []
    for r in rows:
        verdict = "<span class='ms-behind'>falls behind</span>" if r["falls_behind"] else "in"
        cells.append(
            f"<tr class='fb-row' data-vendor='{html.escape(r['vendor'])}'><td>{_swatch(vendor_colour(r['id']))} "
            f"{html.escape(r['vendor'])}</td><td>{r['status']}</td><td>{_num(r['gap_months'], '.1f')}</td>"
            f"<td>{_num(100 * r['share'], '.1f')}</td><td>{_num(r['runway'], '.0f')}</td><td>{verdict}</td>"
            f"<td class='cause'>{html.escape(r['cause'])}</td></tr>")
    fb = cfg.falls_behind
    return ("<table class='ms-table falls-behind'><tr><th>vendor</th><th>status</th>"
            f"<th>months behind<br>(line {fb.min_gap_months:g})</th><th>cons.+ent. share %<br>(line "
            f"{100 * fb.max_combined_share:.0f})</th><th>runway mo<br>(pivot {cfg.financing.pivot_runway_months:g})"
            "</th><th>now</th><th>cause</th></tr>" + "".join(cells) + "</table>")


@solara.component
def FallsBehindPanel(model):
    update_counter.get()
    rows = behind.rows(model)
    with Panel("Who falls behind (this run, this month)", classes=["ms-falls-behind"]):
        solara.HTML(tag="div", unsafe_innerHTML=f"<p class='ms-note'>{html.escape(behind.definition(model.cfg))} "
                    "One run is one possible history: use the ensemble below for probabilities.</p>")
        solara.HTML(tag="div", unsafe_innerHTML=falls_behind_html(rows, model.cfg))


def status_table_html(rows: list[dict]) -> str:
    cells = []
    for r in rows:
        cells.append(
            f"<tr><td>{_swatch(r['colour'])} {html.escape(r['vendor'])}</td><td>{r['status']}</td>"
            f"<td>{r['since']}</td><td>{_num(100 * r['consumer'], '.1f')}</td>"
            f"<td>{_num(100 * r['enterprise'], '.1f')}</td><td>{_num(r['price'], '.3g')}</td>"
            f"<td>{_num(r['cash_b'], '.2f')}</td><td>{_num(r['runway'], '.0f')}</td><td>{r['headcount']}</td></tr>")
    return ("<table class='ms-table status-board'><tr><th>vendor</th><th>status</th><th>since</th>"
            "<th>consumers %</th><th>enterprise %</th><th>price RMB/M</th><th>cash B RMB</th><th>runway mo</th>"
            "<th>researchers</th></tr>" + "".join(cells) + "</table>")


@solara.component
def StatusBoard(model):
    update_counter.get()
    with Panel("Status board", classes=["ms-status"]):
        solara.HTML(tag="div", unsafe_innerHTML=status_table_html(charts.status_rows(model)))


def log_items(model, kind: str = "headlines", vendor: str = "all vendors", limit: int = 200) -> list[dict]:
    """The run's whole history (newest first), filtered by kind and vendor."""
    kinds = LOG_FILTERS[kind]
    names = dict(zip(model.vendors.ids, model.vendors.names))
    out = []
    for e in reversed(charts.feed_events(model)):
        if kinds is not None and e["event"] not in kinds:
            continue
        if vendor != "all vendors" and names.get(e["vendor"]) != vendor:
            continue
        out.append(e)
        if len(out) == limit:
            break
    return out


@solara.component
def EventLog(model):
    update_counter.get()
    kind, set_kind = solara.use_state("headlines")
    vendor, set_vendor = solara.use_state("all vendors")
    items = log_items(model, kind, vendor)
    named = [model.vendors.names[r] for r in charts._named_rows(model)]
    with Panel("Event log (whole run, newest first)", classes=["ms-events"]):
        with solara.Row(gap="8px"):
            solara.ToggleButtonsSingle(value=kind, values=list(LOG_FILTERS), on_value=set_kind, dense=True)
            solara.Select("vendor", value=vendor, values=["all vendors", *named], on_value=set_vendor,
                          style={"max-width": "170px"})
        if not items:
            solara.HTML(tag="p", unsafe_innerHTML=(
                f"No {kind} events yet{' (press Step or Play)' if model.month == 0 else ''}. Headlines are pivots, "
                "exits, acquisitions, funding rounds, failed raises, budget cuts and scenario changes; "
                "'all' shows releases, price cuts and key hires too."), classes=["ms-note"])
            return
        lis = "".join(f"<li class='{'ms-headline' if e['event'] in HEADLINE_EVENTS else ''}'><b>{e['month']}</b> "
                      f"{html.escape(e['detail'])}</li>" for e in items)
        solara.HTML(tag="ul", unsafe_innerHTML=lis, classes=["ms-log", "event-feed"])


_SPECS: dict = {}  # (chart, model, structure) -> Vega-Lite spec without data


def _chart(name: str, model, build) -> None:
    """Draw a chart: its spec is built once per model and structure (charts.spec_with_data),
    each frame sends only the data (solara.FigureAltair would rebuild it every frame)."""
    spec = charts.spec_with_data(_SPECS, (name, *charts.structure_key(model)), build)
    solara.widgets.VegaLite.element(spec=spec)


def _chart_panel(title: str, css_class: str, name: str, draw):
    """A panel holding one chart, `draw(model, data)`, redrawn every month."""
    @solara.component
    def ChartPanel(model):
        update_counter.get()
        with Panel(title, classes=[css_class]):
            _chart(name, model, lambda data: draw(model, data))

    return ChartPanel


SharesPanel = _chart_panel("Market shares (stacked; long tail in light grey)", "ms-shares", "shares",
                           charts.shares_chart)
PricesPanel = _chart_panel("API prices", "ms-prices", "prices", charts.prices_chart)
CashPanel = _chart_panel("Startups' cash and runway", "ms-cash", "cash", charts.cash_chart)
NetworkPanel = _chart_panel("Talent moves and strategic stakes", "ms-network", "network", charts.network_chart)


@solara.component
def CapabilityPanel(model):
    update_counter.get()
    feature, set_feature = solara.use_state("quality")
    with Panel("Capabilities", classes=["ms-capability"]):
        solara.ToggleButtonsSingle(value=feature, values=["quality", "context", "multimodal", "reasoning"],
                                   on_value=set_feature, dense=True)
        _chart(f"capability-{feature}", model, lambda data: charts.capability_chart(model, feature, data))


@solara.component
def Glossary(model):
    items = "".join(f"<li><b>{k}</b>: {v}</li>" for k, v in behind.STATUS_GLOSSARY.items())
    solara.HTML(tag="div", unsafe_innerHTML=f"<details class='ms-note'><summary>Statuses</summary><ul>{items}</ul>"
                "</details>")


@solara.component
def ExportPanel(model):
    update_counter.get()
    with Panel("Export this run", classes=["ms-export"]):
        solara.HTML(tag="p", unsafe_innerHTML=("Tables (CSV and Parquet), the resolved config and the command that "
                    f"reproduces it:<br><code class='ms-command'>{html.escape(run_command(model))}</code>"),
                    classes=["ms-note"])
        solara.FileDownload(lambda: export_zip(model), filename=f"market-sim-{model.month_label}.zip",
                            label="Download run (zip)")


COMPONENTS = [MonthHeader, FallsBehindPanel, SharesPanel, EventLog, StatusBoard, PricesPanel, CapabilityPanel,
              CashPanel, NetworkPanel, ExportPanel]
