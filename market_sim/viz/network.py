"""The talent and stakes network chart (split from charts.py, which it shares helpers with)."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from .charts import LONG_TAIL, Datasets, _data, _named_rows, _spec_cached, colour_scale, colours

MIN_SHARE_OF_TOP = 0.15  # smaller talent flows are left out: 24 months of every move is a tangle


def talent_edges(agg: dict[tuple[int, int], int], pos: dict) -> tuple[list[dict], list[dict]]:
    """Talent-move edges (the larger flows) and an arrowhead at 70% of each, pointing from
    source to destination (Vega's angle: degrees clockwise from up)."""
    top = max(agg.values(), default=1)
    edges, arrows = [], []
    for (a, b), n in agg.items():
        if n < MIN_SHARE_OF_TOP * top:
            continue
        (x1, y1), (x2, y2) = pos[a], pos[b]
        label = f"{n} researchers"
        edges.append({"x": x1, "y": y1, "x2": x2, "y2": y2, "width": 0.3 + 5 * n / top, "kind": "talent",
                      "colour": "#999999", "label": label})
        arrows.append({"x": x1 + 0.7 * (x2 - x1), "y": y1 + 0.7 * (y2 - y1),
                       "angle": float(np.degrees(np.arctan2(x2 - x1, y2 - y1))) % 360, "label": label})
    return edges, arrows


def network_chart(model, data: Datasets | None = None) -> alt.LayerChart:
    """Vendors on a fixed circle (so the picture does not jump between frames); grey edges
    are cumulative talent moves (width by researchers moved), coloured edges strategic stakes
    (width by stake); labels give each vendor's net researchers gained by moves. Long-tail
    vendors are one node."""
    vt = model.vendors
    named = list(_named_rows(model))
    keys = named + [-1]
    angle = np.linspace(np.pi / 2, np.pi / 2 + 2 * np.pi, len(keys), endpoint=False)
    pos = {k: (float(np.cos(a)), float(np.sin(a))) for k, a in zip(keys, angle)}
    node_of = np.where(vt.long_tail, -1, np.arange(vt.size))
    flows = vt.talent_moved
    agg: dict[tuple[int, int], int] = {}
    for s, d in zip(*np.nonzero(flows)):
        a, b = int(node_of[s]), int(node_of[d])
        if a != b:
            agg[(a, b)] = agg.get((a, b), 0) + int(flows[s, d])
    edges, arrows = talent_edges(agg, pos)
    cols = colours(model)
    for i, j in zip(*np.nonzero(vt.stakes)):
        a, b = int(node_of[i]), int(node_of[j])
        edges.append({"x": pos[a][0], "y": pos[a][1], "x2": pos[b][0], "y2": pos[b][1],
                      "width": 1 + 14 * float(vt.stakes[i, j]), "kind": "stake", "colour": cols[i],
                      "label": f"{100 * vt.stakes[i, j]:.0f}% stake"})
    net = flows.sum(axis=0) - flows.sum(axis=1)
    nodes = []
    for k in keys:
        if k == -1:
            tail = vt.long_tail
            nodes.append({"x": pos[k][0], "y": pos[k][1], "name": LONG_TAIL, "size": 300, "opacity": 1.0,
                          "label": f"long tail ({int((tail & (vt.status <= 1)).sum())} left)"})
            continue
        nodes.append({"x": pos[k][0], "y": pos[k][1], "name": vt.names[k],
                      "size": 80 + 700 * float(vt.headcount[k]) / max(float(vt.headcount.max()), 1.0),
                      "opacity": 0.3 if vt.status[k] >= 2 else 1.0, "label": f"{vt.names[k]} ({int(net[k]):+d})"})
    edge_data = _data(data, "edges",
                      pd.DataFrame(edges, columns=["x", "y", "x2", "y2", "width", "kind", "colour", "label"]))
    nd = _data(data, "nodes", pd.DataFrame(nodes))
    arrow_data = _data(data, "arrows", pd.DataFrame(arrows, columns=["x", "y", "angle", "label"]))
    if _spec_cached(data):
        return None
    ax = alt.Axis(labels=False, ticks=False, grid=False, domain=False, title=None)
    xs, ys = alt.Scale(domain=[-1.4, 1.4]), alt.Scale(domain=[-1.35, 1.3])
    e = (alt.Chart(edge_data)
         .mark_rule(opacity=0.55)
         .encode(x=alt.X("x:Q", scale=xs, axis=ax), y=alt.Y("y:Q", scale=ys, axis=ax), x2="x2:Q", y2="y2:Q",
                 strokeWidth=alt.StrokeWidth("width:Q", scale=None), color=alt.Color("colour:N", scale=None),
                 tooltip=["kind:N", "label:N"]))
    n = (alt.Chart(nd).mark_circle(stroke="black", strokeWidth=0.8)
         .encode(x=alt.X("x:Q", scale=xs, axis=ax), y=alt.Y("y:Q", scale=ys, axis=ax),
                 size=alt.Size("size:Q", scale=None), opacity=alt.Opacity("opacity:Q", scale=None),
                 color=alt.Color("name:N", scale=colour_scale(model), legend=None), tooltip=["label:N"]))
    text = (alt.Chart(nd).mark_text(dy=22, fontSize=10)
            .encode(x=alt.X("x:Q", scale=xs, axis=ax), y=alt.Y("y:Q", scale=ys, axis=ax), text="label:N"))
    heads = (alt.Chart(arrow_data).mark_point(shape="triangle", filled=True, size=60, color="#666666", opacity=0.8)
             .encode(x=alt.X("x:Q", scale=xs, axis=ax), y=alt.Y("y:Q", scale=ys, axis=ax),
                     angle=alt.Angle("angle:Q", scale=None), tooltip=["label:N"]))
    title = ["Talent moves (grey, arrows: direction; flows of 15%+ of the largest; net researchers in brackets)",
             "and strategic stakes (coloured by investor)"]
    return (e + heads + n + text).properties(width=380, height=340, title=title).configure_view(stroke=None)
