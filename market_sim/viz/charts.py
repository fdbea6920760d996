"""The app's charts, as pure functions of a model: each reads the model's preallocated
record arrays for the months simulated so far and returns an Altair chart. The server only
builds a small Vega-Lite spec (a few hundred rows at most: months x named vendors); the
browser draws it. Matplotlib drew the same five charts in 0.53 s a frame, Altair's specs
take a few ms each (docs/performance.md). Named vendors are drawn one by one, the long
tail as one grey series; colours come from palette.py, as in every figure."""

from __future__ import annotations

import math

import altair as alt
import numpy as np
import pandas as pd

from ..agents import STATUS_NAMES
from ..calendar import month_label
from ..config import FEATURES
from ..palette import LONG_TAIL_COLOUR, vendor_colour

WIDTH, HEIGHT = 500, 170
LONG_TAIL = "long tail"


class Datasets:
    """Collects a chart's data under stable names. The app builds a chart's Vega-Lite spec once
    and per frame swaps in only these rows (`spec_with_data`); when the spec is cached
    (`need_spec` False) the chart functions return after collecting their data, without
    building Altair objects (their construction cost ~25 ms a chart). Without a collector,
    charts carry their data inline."""

    def __init__(self, need_spec: bool = True):
        self.need_spec = need_spec
        self.values: dict[str, list[dict]] = {}

    def __call__(self, name: str, df: pd.DataFrame):
        records = df.to_dict(orient="records")
        for r in records:  # NaN and inf are not JSON
            for k, v in r.items():
                if isinstance(v, float) and not math.isfinite(v):
                    r[k] = None
        self.values[name] = records
        return alt.NamedData(name)


def _data(data: Datasets | None, name: str, df: pd.DataFrame):
    return df if data is None else data(name, df)


def _spec_cached(data: Datasets | None) -> bool:
    return data is not None and not data.need_spec


def structure_key(model) -> tuple:
    """What changes a chart's structure (not only its data): no month yet, or just one."""
    t = model.recorder.months_done
    return (id(model), t == 0, t == 1)


MID_GREY = "#8a8a8a"  # readable on a white page and on a dark one


def readable_in_dark_mode(spec: dict) -> dict:
    """No white box and mid-grey text, so a chart reads in the light and the dark theme."""
    config = spec.setdefault("config", {})
    config["background"] = "transparent"
    for part in ("axis", "legend", "title", "header"):
        config.setdefault(part, {}).update({"labelColor": MID_GREY, "titleColor": MID_GREY} if part != "title"
                                           else {"color": MID_GREY})
    config["axis"].update({"domainColor": MID_GREY, "tickColor": MID_GREY, "gridColor": "#8a8a8a40"})
    config.setdefault("view", {})["stroke"] = MID_GREY
    return spec


def spec_with_data(cache: dict, key: tuple, build) -> dict:
    """`build(data)` -> chart (or None once its spec is cached); its spec is computed once per
    key, its data every call."""
    data = Datasets(need_spec=key not in cache)
    chart = build(data)
    if key not in cache:
        if len(cache) > 64:  # old models' specs
            cache.clear()
        cache[key] = readable_in_dark_mode(chart.to_dict(validate=False))
    # a chart's inline data (placeholders) sits in the spec's own datasets: keep it
    return {**cache[key], "datasets": {**cache[key].get("datasets", {}), **data.values}}


def _months(model) -> tuple[int, list[str]]:
    t = model.recorder.months_done
    return t, [month_label(model.start, i) for i in range(t)]


def _x(model) -> alt.X:
    """Months on x, the whole run from the start (the chart fills in towards the horizon)."""
    labels = [month_label(model.start, i) for i in range(model.horizon)]
    return alt.X("month:O", scale=alt.Scale(domain=labels), axis=alt.Axis(values=labels[::3], labelAngle=-45),
                 title=None)


def _markers(model) -> alt.Chart:
    """A dotted rule at each month a scenario's changes start (labelled)."""
    months = sorted({c.month for c in getattr(model, "initial_cfg", model.cfg).changes})
    df = pd.DataFrame({"month": months, "label": ["scenario starts"] * len(months)})
    base = alt.Chart(df).encode(x=_x(model))
    return base.mark_rule(strokeDash=[3, 3], color="#555555") + base.mark_text(
        align="left", dx=3, dy=-4, y=0, fontSize=9, color="#555555").encode(text="label:N")


def _legend(columns: int = 5) -> alt.Legend:
    return alt.Legend(orient="bottom", columns=columns, title=None, symbolSize=60, labelFontSize=10)


def _named_rows(model) -> np.ndarray:
    return np.flatnonzero(~model.vendors.long_tail)


def colours(model) -> list[str]:
    return [vendor_colour(v, i) for i, v in enumerate(model.vendors.ids)]


def colour_scale(model, with_tail: bool = True) -> alt.Scale:
    """Vendor name -> its colour, identical in every chart."""
    rows = _named_rows(model)
    names = [model.vendors.names[r] for r in rows]
    cols = [colours(model)[r] for r in rows]
    if with_tail:
        names, cols = names + [LONG_TAIL], cols + [LONG_TAIL_COLOUR]
    return alt.Scale(domain=names, range=cols)


def _placeholder(title: str, width: int = WIDTH) -> alt.Chart:
    note = pd.DataFrame({"text": ["no months simulated yet: press Step or Play"]})
    return (alt.Chart(note).mark_text(size=14, color="grey")
            .encode(text="text:N", x=alt.value(width / 2), y=alt.value(HEIGHT / 2))
            .properties(width=width, height=HEIGHT, title=title))


def _long(model, series: np.ndarray, value: str, with_tail_sum: bool) -> pd.DataFrame:
    """(months x vendors) array -> long frame of named vendors (+ the long tail summed)."""
    t, labels = _months(model)
    rows = _named_rows(model)
    data = series[:t][:, rows]
    names = [model.vendors.names[r] for r in rows]
    if with_tail_sum and model.vendors.long_tail.any():
        data = np.column_stack([data, series[:t][:, model.vendors.long_tail].sum(axis=1)])
        names = names + [LONG_TAIL]
    return pd.DataFrame({"month": np.repeat(labels, len(names)), "vendor": np.tile(names, t),
                         value: data.ravel(), "order": np.tile(np.arange(len(names)), t)})


def _share_chart(model, key: str, title: str, data: Datasets | None) -> alt.Chart:
    t = model.recorder.months_done
    if t == 0:
        return _placeholder(title, WIDTH // 2 - 20)
    df = _data(data, key, _long(model, model.recorder.v[key], "share", with_tail_sum=True))
    if _spec_cached(data):
        return None
    # One month: an area has no width.
    mark = alt.Chart(df, title=title).mark_bar() if t == 1 else alt.Chart(df, title=title).mark_area()
    return (mark
            .encode(x=_x(model),
                    y=alt.Y("share:Q", stack="zero", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%"),
                            title=None),
                    color=alt.Color("vendor:N", scale=colour_scale(model), legend=_legend(6)),
                    order=alt.Order("order:Q"), tooltip=["month:O", "vendor:N", alt.Tooltip("share:Q", format=".1%")])
            .properties(width=WIDTH // 2 - 20, height=HEIGHT))


def shares_chart(model, data: Datasets | None = None) -> alt.HConcatChart | None:
    a = _share_chart(model, "consumer_share", "Consumer share (assistant users)", data)
    b = _share_chart(model, "enterprise_share", "Enterprise share (API spend)", data)
    return None if _spec_cached(data) else alt.hconcat(a, b).resolve_legend(color="shared")


def prices_chart(model, data: Datasets | None = None) -> alt.Chart:
    title = "API price, RMB per million tokens (log; free at 0.001; black dashes: unit serving cost)"
    if model.recorder.months_done == 0:
        return _placeholder(title)
    df = _long(model, np.maximum(model.recorder.v["api_price"], 1e-3), "price", with_tail_sum=False)
    t, labels = _months(model)
    cost = pd.DataFrame({"month": labels, "price": model.recorder.m["unit_cost_reference"][:t]})
    df, cost = _data(data, "prices", df), _data(data, "unit_cost", cost)
    if _spec_cached(data):
        return None
    lines = (alt.Chart(df, title=title).mark_line(point=t == 1)
             .encode(x=_x(model), y=alt.Y("price:Q", scale=alt.Scale(type="log"), title=None),
                     color=alt.Color("vendor:N", scale=colour_scale(model, False), legend=_legend()),
                     tooltip=["month:O", "vendor:N", alt.Tooltip("price:Q", format=".3g")]))
    unit = alt.Chart(cost).mark_line(strokeDash=[2, 2], color="black").encode(x=_x(model), y="price:Q")
    return (lines + unit + _markers(model)).properties(width=WIDTH, height=HEIGHT)


def capability_chart(model, feature: str = "quality", data: Datasets | None = None) -> alt.Chart:
    f = FEATURES.index(feature)
    unit = model.cfg.features[feature].unit
    title = f"{feature} vs the global frontier (dashed), {unit}"
    t, labels = _months(model)
    if t == 0:
        return _placeholder(title)
    df = _long(model, model.features.to_unit(f, model.recorder.capability[:, :, f]), "level", with_tail_sum=False)
    front = pd.DataFrame({"month": labels, "level": model.features.to_unit(f, model.recorder.frontier[:t, f])})
    df, front = _data(data, "capability", df), _data(data, "frontier", front)
    if _spec_cached(data):
        return None
    y = alt.Y("level:Q", scale=alt.Scale(type="log" if model.features.log_scale[f] else "linear", zero=False),
              title=None)
    lines = (alt.Chart(df, title=title).mark_line(point=t == 1)
             .encode(x=_x(model), y=y,
                     color=alt.Color("vendor:N", scale=colour_scale(model, False), legend=_legend()),
                     tooltip=["month:O", "vendor:N", alt.Tooltip("level:Q", format=".3g")]))
    frontier = alt.Chart(front).mark_line(strokeDash=[6, 3], color="black", strokeWidth=2).encode(x=_x(model), y=y)
    return (lines + frontier + _markers(model)).properties(width=WIDTH, height=HEIGHT)


def cash_chart(model, data: Datasets | None = None) -> alt.HConcatChart:
    t, _ = _months(model)
    if t == 0:
        return alt.hconcat(_placeholder("Startup cash, billion RMB", WIDTH // 2 - 20),
                           _placeholder("Startup runway, months", WIDTH // 2 - 20))
    startups = model.vendors.kind == 1
    keep = np.zeros(model.vendors.size, bool)
    keep[_named_rows(model)] = True
    keep &= startups
    names = {model.vendors.names[r] for r in np.flatnonzero(keep)}
    cash = _long(model, model.recorder.v["cash_rmb"] / 1e9, "cash", with_tail_sum=False)
    runway = _long(model, model.recorder.v["runway_months"], "runway", with_tail_sum=False)
    cash = _data(data, "cash", cash[cash["vendor"].isin(names)])
    runway = _data(data, "runway", runway[runway["vendor"].isin(names)])
    if _spec_cached(data):
        return None
    colour = alt.Color("vendor:N", scale=colour_scale(model, False), legend=_legend(6))
    a = (alt.Chart(cash, title="Startup cash, billion RMB").mark_line(point=t == 1)
         .encode(x=_x(model), y=alt.Y("cash:Q", title=None), color=colour,
                 tooltip=["month:O", "vendor:N", alt.Tooltip("cash:Q", format=".2f")]))
    b = (alt.Chart(runway, title="Startup runway, months (120 = profitable)").mark_line(point=t == 1)
         .encode(x=_x(model),
                 y=alt.Y("runway:Q", scale=alt.Scale(type="symlog", constant=12), title=None,
                         axis=alt.Axis(values=[0, 2, 6, 12, 24, 60, 120])),
                 color=colour, tooltip=["month:O", "vendor:N", alt.Tooltip("runway:Q", format=".0f")]))
    return alt.hconcat(a.properties(width=WIDTH // 2 - 20, height=HEIGHT),
                       b.properties(width=WIDTH // 2 - 20, height=HEIGHT)).resolve_legend(color="shared")


def status_rows(model) -> list[dict]:
    """One row per named vendor for the status board."""
    vt = model.vendors
    t = model.recorder.months_done
    rows = []
    for r in _named_rows(model):
        since = vt.status_month[r]
        rows.append({
            "vendor": vt.names[r],
            "colour": colours(model)[r],
            "status": STATUS_NAMES[vt.status[r]],
            "since": month_label(model.start, int(since)) if since >= 0 else "start",
            "consumer": float(model.recorder.v["consumer_share"][t - 1, r]) if t else float("nan"),
            "enterprise": float(model.recorder.v["enterprise_share"][t - 1, r]) if t else float("nan"),
            "price": float(vt.api_price[r]),
            "cash_b": float(vt.cash[r]) / 1e9,
            "runway": float(vt.runway[r]),
            "headcount": int(vt.headcount[r]),
        })
    tail = vt.long_tail
    if tail.any():
        rows.append({"vendor": f"long tail ({int(tail.sum())})", "colour": LONG_TAIL_COLOUR,
                     "status": f"{int((tail & (vt.status == 0)).sum())} racing, "
                               f"{int((tail & (vt.status >= 2)).sum())} gone",
                     "since": "",
                     "consumer": float(model.recorder.v['consumer_share'][t - 1, tail].sum()) if t else float("nan"),
                     "enterprise": (float(model.recorder.v['enterprise_share'][t - 1, tail].sum())
                                    if t else float("nan")),
                     "price": float("nan"), "cash_b": float(vt.cash[tail].sum()) / 1e9, "runway": float("nan"),
                     "headcount": int(vt.headcount[tail].sum())})
    return rows


FEED_EVENTS = {"release", "price_cut", "key_hire", "round", "pivot", "exit", "acquisition", "budget_cut"}


def feed_events(model) -> list[dict]:
    """Every event worth the log, oldest first: anything by a named vendor, long-tail exits and
    acquisitions (their routine releases and price moves would flood it), scenario changes."""
    vt = model.vendors
    out = []
    for e in model.events.records:
        if e["event"] == "change":
            out.append(e)
            continue
        row = vt.row_of.get(e["vendor"], -1)
        named = row >= 0 and not vt.long_tail[row]
        if (e["event"] in FEED_EVENTS or e["event"] == "raise_failed") and (
                named or e["event"] in ("exit", "acquisition")):
            out.append(e)
    return out


def latest_events(model, n: int = 12) -> list[dict]:
    """The newest events worth a headline: anything by a named vendor, and long-tail exits
    and acquisitions (their routine releases and price moves would flood the feed)."""
    vt = model.vendors
    out = []
    for e in reversed(model.events.records):
        row = vt.row_of.get(e["vendor"], -1)
        named = row >= 0 and not vt.long_tail[row]
        if e["event"] in FEED_EVENTS and (named or e["event"] in ("exit", "acquisition")):
            out.append(e)
            if len(out) == n:
                break
    return out


from .network import network_chart  # noqa: E402,F401 (drawn from this module's helpers)
