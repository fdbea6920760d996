"""Measures of the targets from the 2024 supplement facts file (consumer MAU ranks, tokens,
revenue, losses, reasoning answers, hiring, the long tail, second price cuts). Same contract as
validation.py: measure(vm, events, ctx, **params) -> (value, met?) for one replication; `ctx`
holds the run's start month, the list prices before the run and the replication's
market-month table (ctx["market"]).

Every measure tolerates vendors that are absent from some months (entrants have no rows, or
status "not_entered", before they enter) and months past the run's horizon (value NaN, not met)."""

from __future__ import annotations

import numpy as np
import pandas as pd

BIG_TECHS = ("bytedance", "alibaba", "baidu", "tencent")
NOT_ENTERED = "not_entered"
NAN_FAIL = (np.nan, False)


def _present(vm: pd.DataFrame) -> pd.DataFrame:
    return vm[vm["status"] != NOT_ENTERED]


def _cached(ctx: dict | None, vm: pd.DataFrame, key: tuple, build):
    """`build()`, kept in the replication's `ctx` (several measures read the same wide table;
    the calibration measures every history) for as long as it is asked about the same `vm`.
    The measures only read what it returns."""
    if ctx is None:
        return build()
    tables = ctx.setdefault("_tables", {})
    hit = tables.get(key)
    if hit is None or hit[0] is not vm:
        hit = tables[key] = (vm, build())
    return hit[1]


def _wide(vm: pd.DataFrame, col: str, named_only: bool = False, ctx: dict | None = None) -> pd.DataFrame:
    """month x vendor table of `col` over the vendors present (NaN where a vendor has no row);
    with the replication's `ctx`, built once per table."""
    def build():
        v = _present(vm)
        if named_only:
            v = v[~v["long_tail"].astype(bool)]
        return v.pivot(index="month", columns="vendor", values=col).sort_index()
    return _cached(ctx, vm, ("wide", col, named_only), build)


def _at(wide: pd.DataFrame, month: str, vendor: str) -> float:
    if month not in wide.index or vendor not in wide.columns:
        return np.nan
    return float(wide.at[month, vendor])


def _ratio(a: float, b: float) -> float:
    """a / b, NaN where b is 0 or not finite (a vendor with no users or no price yet)."""
    return float(a) / float(b) if np.isfinite(b) and b != 0 else np.nan


def _year(vm: pd.DataFrame, year: int) -> pd.DataFrame:
    p = _present(vm)
    return p[p["month"].str.startswith(str(year))]


def _in_band(x: float, low: float | None, high: float | None) -> bool:
    return bool(np.isfinite(x) and (low is None or x >= low) and (high is None or x <= high))


# ---- consumer MAU: ranks and ratios (model MAU counts people on any platform; QuestMobile counts app MAU)


def mau_leader_months(vm, events, ctx, vendor, start, end, min_share):
    """Share of the months start..end in which `vendor` has the most MAU of all vendors."""
    mau = _wide(vm, "mau", ctx=ctx)
    mau = mau[(mau.index >= start) & (mau.index <= end)]
    if mau.empty or vendor not in mau:
        return NAN_FAIL
    share = float((mau[vendor] >= mau.max(axis=1)).mean())
    return share, share >= min_share


def lead_widens(vm, events, ctx, vendor, early, late, min_widening):
    """How much `vendor`'s lead (its MAU over the largest rival's) grows from `early` to `late`;
    met if it grows by at least `min_widening` and `vendor` leads at `late`."""
    mau = _wide(vm, "mau", ctx=ctx)

    def lead(month):
        if month not in mau.index or vendor not in mau:
            return np.nan
        rivals = mau.loc[month].drop(vendor).max()
        return mau.at[month, vendor] / rivals if rivals > 0 else np.nan

    widening = _ratio(lead(late), lead(early))
    return float(widening), bool(np.isfinite(widening) and widening >= min_widening and lead(late) > 1)


def flat_against(vm, events, ctx, vendor, reference, start, end, max_growth, min_gap):
    """`vendor`'s MAU growth start -> end; met if at most `max_growth` and `reference` grew at
    least `min_gap` times as much."""
    mau = _wide(vm, "mau", ctx=ctx)
    g = _ratio(_at(mau, end, vendor), _at(mau, start, vendor))
    g_ref = _ratio(_at(mau, end, reference), _at(mau, start, reference))
    return float(g), bool(_in_band(g, None, max_growth) and np.isfinite(g_ref) and g_ref >= min_gap * g)


def rank_in_month(vm, events, ctx, vendor, month, column="mau", min_rank=1, max_rank=None):
    """`vendor`'s rank (1 = largest) by `column` among the named vendors present in `month`."""
    wide = _wide(vm, column, named_only=True, ctx=ctx)
    if month not in wide.index or not np.isfinite(_at(wide, month, vendor)):
        return NAN_FAIL
    row = wide.loc[month].dropna()
    rank = int((row > row[vendor]).sum()) + 1
    return float(rank), _in_band(rank, min_rank, max_rank)


def growth(vm, events, ctx, vendor, column, start, end, min_growth, max_growth=None, lag_months=0):
    """`vendor`'s `column` at `end` (or its best over the `lag_months` after) over its value at `start`."""
    wide = _wide(vm, column, ctx=ctx)
    if vendor not in wide or start not in wide.index or end not in wide.index:
        return NAN_FAIL
    i = wide.index.get_loc(end)
    later = wide[vendor].iloc[i:i + lag_months + 1].max()
    g = later / wide.at[start, vendor] if wide.at[start, vendor] > 0 else np.nan
    return float(g), _in_band(g, min_growth, max_growth)


def gain_ranking(vm, events, ctx, order, start, end, exact_top, within_top):
    """Rank the named vendors by MAU gained start -> end (a vendor absent at `start` gained all
    its MAU). Value: how many of `order` hold their exact rank. Met if the first `exact_top`
    hold their exact ranks and all of `order` are within the top `within_top`."""
    mau = _wide(vm, "mau", named_only=True, ctx=ctx)
    if end not in mau.index or start not in mau.index:
        return NAN_FAIL
    gain = (mau.loc[end] - mau.loc[start].fillna(0.0)).dropna().sort_values(ascending=False, kind="stable")
    ranks = {v: i + 1 for i, v in enumerate(gain.index)}
    exact = [ranks.get(v) == i + 1 for i, v in enumerate(order)]
    top = all(ranks.get(v, len(ranks) + 1) <= within_top for v in order)
    return float(sum(exact)), bool(all(exact[:exact_top]) and top)


def tail_small(vm, events, ctx, month, max_consumer_share, min_tail_share):
    """Share of the long-tail vendors present in `month` with a consumer share under `max_consumer_share`."""
    m = _present(vm)
    m = m[(m["month"] == month) & m["long_tail"].astype(bool)]
    if m.empty:
        return NAN_FAIL
    share = float((m["consumer_share"] < max_consumer_share).mean())
    return share, share >= min_tail_share


def vendors_present_growth(vm, events, ctx, start, end, min_growth):
    """Vendors present (entered; exited ones included, as filings are cumulative) at `end` over `start`."""
    m = _present(vm)
    n0, n1 = m.loc[m["month"] == start, "vendor"].nunique(), m.loc[m["month"] == end, "vendor"].nunique()
    if n0 == 0 or n1 == 0:
        return NAN_FAIL
    return n1 / n0, n1 / n0 >= min_growth


# ---- enterprise, revenue and losses


def half_year_ratio(vm, events, ctx, column, year, min_ratio):
    """Market `column` (market-month table) summed over H2 of `year` over H1."""
    mm = ctx["market"]
    y = mm[mm["month"].str.startswith(str(year))]
    if y["month"].nunique() < 12:
        return NAN_FAIL
    h1 = y.loc[y["month"] <= f"{year}-06", column].sum()
    h2 = y.loc[y["month"] > f"{year}-06", column].sum()
    ratio = h2 / h1 if h1 > 0 else np.nan
    return float(ratio), _in_band(ratio, min_ratio, None)


def only_startup_in_top(vm, events, ctx, vendor, column, year, top_n):
    """`vendor`'s rank by `column` summed over `year`; met if it is in the top `top_n` and the
    only startup there."""
    y = _year(vm, year)
    total = y.groupby("vendor")[column].sum().sort_values(ascending=False, kind="stable")
    if vendor not in total.index:
        return NAN_FAIL
    kind = y.groupby("vendor")["kind"].first()
    top = total.index[:top_n]
    rank = float(list(total.index).index(vendor) + 1)
    return rank, bool(vendor in top and (kind[top] == "startup").sum() == 1)


def _market_revenue(vm, year):
    y = _year(vm, year)
    return y["enterprise_revenue_rmb"].sum(), y["consumer_revenue_rmb"].sum(), y


def market_revenue(vm, events, ctx, year, low, high):
    """Enterprise + consumer revenue of all vendors over `year`, RMB."""
    ent, con, y = _market_revenue(vm, year)
    if y["month"].nunique() < 12:
        return NAN_FAIL
    return float(ent + con), _in_band(ent + con, low, high)


def consumer_revenue_share(vm, events, ctx, year, low, high):
    """Consumer revenue's share of enterprise + consumer revenue over `year`."""
    ent, con, y = _market_revenue(vm, year)
    share = con / (ent + con) if ent + con > 0 else np.nan
    return float(share), _in_band(share, low, high)


def max_revenue_share(vm, events, ctx, year, max_share):
    """The largest vendor's share of enterprise + consumer revenue over `year`."""
    y = _year(vm, year)
    rev = (y["enterprise_revenue_rmb"] + y["consumer_revenue_rmb"]).groupby(y["vendor"]).sum()
    if rev.sum() <= 0:
        return NAN_FAIL
    share = float(rev.max() / rev.sum())
    return share, share <= max_share


def revenue(vm, events, ctx, vendor, year, low, high=None):
    """`vendor`'s total revenue (revenue_rmb) over `year`, RMB."""
    y = _year(vm, year)
    y = y[y["vendor"] == vendor]
    if y.empty:
        return NAN_FAIL
    r = float(y["revenue_rmb"].sum())
    return r, _in_band(r, low, high)


def loss_ratio(vm, events, ctx, vendor, year, low, high):
    """`vendor`'s (costs - revenue) / revenue over `year`."""
    y = _year(vm, year)
    y = y[y["vendor"] == vendor]
    rev = y["revenue_rmb"].sum()
    if y.empty or rev <= 0:
        return NAN_FAIL
    ratio = float((y["costs_rmb"].sum() - rev) / rev)
    return ratio, _in_band(ratio, low, high)


# ---- capabilities, talent


def frontier_reached(vm, events, ctx, feature, frontier_month, by_month, min_count, named_only=True):
    """Vendors (named ones only, by default) whose `feature` reaches the global frontier level of
    `frontier_month` (from the market-month table) in a month after it, up to `by_month`."""
    mm = ctx["market"]
    level = mm.loc[mm["month"] == frontier_month, f"frontier_{feature}"]
    m = _present(vm)
    if named_only:
        m = m[~m["long_tail"].astype(bool)]
    m = m[(m["month"] > frontier_month) & (m["month"] <= by_month)]
    if level.empty or by_month not in set(vm["month"]):
        return NAN_FAIL
    n = int(m.loc[m[f"capability_{feature}"] >= float(level.iloc[0]), "vendor"].nunique())
    return float(n), n >= min_count


def leads_sum(vm, events, ctx, vendor, column, start, end):
    """`vendor`'s `column` summed over start..end against the largest other vendor's; met above 1."""
    m = _present(vm)
    m = m[(m["month"] >= start) & (m["month"] <= end)]
    total = m.groupby("vendor")[column].sum()
    others = total.drop(vendor, errors="ignore")
    if vendor not in total.index or others.empty or others.max() <= 0:
        return NAN_FAIL
    ratio = float(total[vendor] / others.max())
    return ratio, ratio > 1.0


# ---- prices (one price per vendor: a cut is a fall of that one price)


def _relative_prices(vm, ctx):
    def build():
        price = _wide(vm, "api_price", ctx=ctx)
        before = pd.Series(ctx.get("initial_price", {}), dtype=float).reindex(price.columns)
        first = price.bfill().iloc[0]  # each vendor's first price (NaN if it never had one)
        return price, price / before.fillna(first)
    return _cached(ctx, vm, ("relative_prices",), build)


def cuts_with_wave(vm, events, ctx, vendor, cut_to, within_months):
    """The first wave: the first month a big tech is at `cut_to` of its list price or below.
    Value: `vendor`'s price `within_months` after that month over its price the month before
    (its list price if the wave is in the first month); met at `cut_to` or below."""
    price, rel = _relative_prices(vm, ctx)
    hit = rel[[b for b in BIG_TECHS if b in rel]].le(cut_to).any(axis=1)
    if not hit.any() or vendor not in price:
        return NAN_FAIL
    t0 = price.index.get_loc(hit.idxmax())
    before = price[vendor].iloc[t0 - 1] if t0 > 0 else ctx.get("initial_price", {}).get(vendor, np.nan)
    after = price[vendor].iloc[min(t0 + within_months, len(price) - 1)]
    ratio = _ratio(after, before)
    return float(ratio), _in_band(ratio, None, cut_to)


def second_cut(vm, events, ctx, vendor, first_cut_to, window, second_cut_to):
    """`vendor`'s first cut: the first month at `first_cut_to` of its list price or below, which
    must come before `window`. Value: its lowest price within `window` over its price in that
    first-cut month; met at `second_cut_to` or below."""
    price, rel = _relative_prices(vm, ctx)
    if vendor not in price or window[1] not in price.index:
        return NAN_FAIL
    hits = rel.index[rel[vendor] <= first_cut_to]
    if not len(hits) or hits[0] >= window[0]:
        return NAN_FAIL
    inside = price.loc[(price.index >= window[0]) & (price.index <= window[1]), vendor]
    ratio = inside.min() / price.at[hits[0], vendor]
    return float(ratio), _in_band(ratio, None, second_cut_to)


def cascade_after_shock(vm, events, ctx, shock_vendor, cut_to, min_big_techs, within_months):
    """The cascade: the month `min_big_techs` big techs are at `cut_to` of their list price or
    below (the war is on), against the first month `shock_vendor`'s price is at `cut_to` of its
    list price or below (the shock). Value: war month - shock month (negative: the war came
    first); met when the war is on within `within_months` after the shock, not before it."""
    price, rel = _relative_prices(vm, ctx)
    if shock_vendor not in rel:
        return NAN_FAIL
    shock = rel.index[rel[shock_vendor] <= cut_to]
    firsts = sorted(rel.index.get_loc(rel.index[rel[b] <= cut_to][0])
                    for b in BIG_TECHS if b in rel and (rel[b] <= cut_to).any())
    if not len(shock) or len(firsts) < min_big_techs:
        return NAN_FAIL
    lag = firsts[min_big_techs - 1] - rel.index.get_loc(shock[0])
    return float(lag), 0 <= lag <= within_months


SUPPLEMENT_MEASURES = {f.__name__: f for f in (
    mau_leader_months, lead_widens, flat_against, rank_in_month, growth, gain_ranking, tail_small,
    vendors_present_growth, half_year_ratio, only_startup_in_top, market_revenue, consumer_revenue_share,
    max_revenue_share, revenue, loss_ratio, frontier_reached, leads_sum, cuts_with_wave, second_cut,
    cascade_after_shock)}
