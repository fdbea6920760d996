"""Invariants over a whole run, month by month, read from the public tables only
(`MarketModel.tables()`): accounting, talent, shares, statuses, no NaN.

Two runs: the small market, and a distressed one (thin long-tail cash, a cold funding climate)
in which startups pivot, raise, exit and are acquired, so that the talent and cash moves of
every financing branch are exercised."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from market_sim import MarketModel, load_config
from market_sim.agents import BigTech, Consumer, EnterpriseBuyer, SelfFundedLab, Startup

from .conftest import SMALL

RUNS = {
    "small": {},
    "distressed": {"long_tail.cash_rmb_range": [1.0e6, 3.0e7], "market.funding_climate_scale": 0.2,
                   "financing.acquisition_probability": 0.5},
}


@pytest.fixture(scope="module", params=sorted(RUNS))
def run(request):
    cfg = load_config(SMALL, RUNS[request.param])
    m = MarketModel(cfg, rng=4)  # a history in which every financing branch occurs (checked: exit, acquisition)
    # researchers before the first month: the vendors' Mesa agents plus the configured free pool
    initial_talent = sum(a.headcount for kind in (BigTech, Startup, SelfFundedLab)
                         for a in m.agents_by_type[kind]) + cfg.talent.initial_pool
    while m.running:
        m.step()
    vendor, market, events = m.tables()
    return SimpleNamespace(cfg=cfg, model=m, vendor=vendor.sort_values(["vendor", "month_index"]),
                           market=market.sort_values("month_index"), events=events,
                           initial_talent=int(initial_talent))


def _by_vendor(vendor, col):
    """(vendors x months) array of a column."""
    return vendor.pivot(index="vendor", columns="month_index", values=col).to_numpy()


def _active_at_start(vendor):
    """Selling at the start of the month (a vendor that exits books that month's accounts), or
    entering during it (an entrant books the month it enters)."""
    status = vendor["status"]
    first = status.where(status == "not_entered", "frontier")  # present vendors start racing
    before = vendor.groupby("vendor")["status"].shift(1).fillna(first)
    entered = (before == "not_entered") & (status != "not_entered")
    return (before.isin(["frontier", "focused"]) | entered).to_numpy()


def test_distressed_run_exercises_every_financing_branch(run):
    cfg = run.cfg
    vendor = run.vendor
    events = run.events
    if cfg.long_tail.cash_rmb_range[1] < 1e8:
        assert {"exit", "acquisition", "pivot", "round", "raise_failed"} <= set(events["event"])
    assert (vendor["funding_rmb"] > 0).any()


def test_cash_moves_only_by_revenue_costs_and_funding(run):
    # catches a revenue stream, a cost or a funding (round, parent top-up) that changes cash
    # without being booked, or booked without reaching cash; and a strategic stake paid
    # with money from nowhere
    vendor = run.vendor
    np.testing.assert_allclose(vendor["cash_rmb"] - vendor["cash_start_rmb"],
                               vendor["revenue_rmb"] - vendor["costs_rmb"] + vendor["funding_rmb"]
                               - vendor["invested_rmb"], rtol=1e-9, atol=1e-3)
    # and nothing happens to cash between months (a month starts with the last month's cash)
    cash, start = _by_vendor(vendor, "cash_rmb"), _by_vendor(vendor, "cash_start_rmb")
    np.testing.assert_allclose(start[:, 1:], cash[:, :-1], rtol=1e-12, atol=1e-6)


def test_revenue_is_the_sum_of_its_streams(run):
    # catches a stream left out of total revenue (and so out of cash): enterprise API revenue,
    # consumer subscriptions, other revenue; each priced as configured; nothing when gone
    cfg = run.cfg
    vendor = run.vendor
    active = _active_at_start(vendor)
    other = vendor["vendor"].map({vid: v.other_revenue_rmb_per_month for vid, v in cfg.vendors.items()}).fillna(0.0)
    np.testing.assert_allclose(vendor["revenue_rmb"],
                               vendor["enterprise_revenue_rmb"] + vendor["consumer_revenue_rmb"] + other * active,
                               rtol=1e-9, atol=1e-3)
    cc = cfg.consumers
    np.testing.assert_allclose(vendor["consumer_revenue_rmb"],
                               vendor["mau"] * cc.paying_share * cc.plan_price_rmb_per_month * active, rtol=1e-9)
    # every million tokens served to enterprises is billed at the vendor's API price
    np.testing.assert_allclose(vendor["enterprise_revenue_rmb"], vendor["tokens_mtok"] * vendor["api_price"],
                               rtol=1e-9, atol=1e-3)
    assert (vendor.loc[~active, ["revenue_rmb", "costs_rmb"]] == 0).all().all()
    assert (vendor.loc[active, "costs_rmb"] > 0).all()


def test_market_totals_are_sums_of_vendors(run):
    vendor = run.vendor
    market = run.market
    sums = vendor.groupby("month_index")[["enterprise_revenue_rmb", "funding_rmb", "mau"]].sum()
    m = market.set_index("month_index")
    np.testing.assert_allclose(m["enterprise_spend_rmb"], sums["enterprise_revenue_rmb"], rtol=1e-9)
    np.testing.assert_allclose(m["funding_rmb"], sums["funding_rmb"], rtol=1e-9)
    np.testing.assert_allclose(m["total_mau"], sums["mau"], rtol=1e-9)


def test_talent_is_neither_created_nor_destroyed(run):
    # catches a move, pool hire, layoff, exit or acquisition that creates or loses researchers
    vendor = run.vendor
    market = run.market
    head = _by_vendor(vendor, "headcount")
    pool = market["talent_pool"].to_numpy()
    total = market["total_talent"].to_numpy()
    np.testing.assert_array_equal(total, head.sum(axis=0) + pool)
    assert (total == run.initial_talent).all(), (run.initial_talent, total)
    # each vendor's headcount changes by exactly its recorded flows...
    t_in, t_out = _by_vendor(vendor, "talent_in"), _by_vendor(vendor, "talent_out")
    np.testing.assert_array_equal(np.diff(head, axis=1), (t_in - t_out)[:, 1:])
    # ...and what the vendors gain on net the pool loses
    np.testing.assert_array_equal((t_in - t_out).sum(axis=0)[1:], -np.diff(pool))
    assert (head >= 0).all() and (pool >= 0).all()


def test_tables_shares_in_unit_interval_and_no_nan(run):
    vendor = run.vendor
    market = run.market
    for col in ("consumer_share", "enterprise_share"):
        assert vendor[col].between(0, 1).all()
        sums = vendor.groupby("month_index")[col].sum()
        assert np.allclose(sums[sums > 0], 1.0)
    np.testing.assert_allclose(vendor["consumer_share"],
                               vendor["mau"] / vendor.groupby("month_index")["mau"].transform("sum"), rtol=1e-9)
    numeric = vendor.select_dtypes("number")
    assert not numeric.isna().any().any()
    assert np.isfinite(numeric.to_numpy(float)).all()
    assert not market.drop(columns=["month"]).isna().any().any()
    assert (vendor["api_price"] >= 0).all() and (vendor["runway_months"] >= 0).all()


def test_exits_are_final_and_silent(run):
    vendor = run.vendor
    events = run.events
    for vid, g in vendor.groupby("vendor"):
        status = g["status"].tolist()
        if "exited" in status or "acquired" in status:
            first = min(i for i, s in enumerate(status) if s in ("exited", "acquired"))
            assert set(status[first:]) == {status[first]}, vid
            # no staff from the exit on; no users, revenue or costs from the next month on
            assert (g["headcount"].iloc[first:] == 0).all(), vid
            after = g.iloc[first + 1:]
            assert (after[["revenue_rmb", "costs_rmb", "mau", "headcount"]] == 0).all().all(), vid
            assert vid in set(events.loc[events["event"].isin(["exit", "acquisition"]), "vendor"])
    # a focused vendor never races again
    for vid, g in vendor.groupby("vendor"):
        status = g["status"].tolist()
        if "focused" in status:
            assert "frontier" not in status[status.index("focused"):], vid


def test_agents_are_mesa_agents_viewing_their_rows(run):
    cfg = run.cfg
    model = run.model
    vendor = run.vendor
    by_type = model.agents_by_type
    assert len(by_type[Consumer]) == cfg.scale.consumers
    assert len(by_type[EnterpriseBuyer]) == cfg.scale.enterprises
    assert len(by_type[BigTech]) + len(by_type[Startup]) + len(by_type[SelfFundedLab]) == vendor["vendor"].nunique()
    last = vendor[vendor["month_index"] == vendor["month_index"].max()].set_index("vendor")
    v = by_type[Startup].select(lambda a: a.vendor_id == "moonshot")[0]
    assert v.name == "Moonshot" and v.cash == pytest.approx(last.loc["moonshot", "cash_rmb"])
    # the consumer agents' own choices add up to each vendor's users in the table
    row_to_id = {a.row: a.vendor_id for kind in (BigTech, Startup, SelfFundedLab) for a in by_type[kind]}
    users = {vid: 0.0 for vid in row_to_id.values()}
    for c in by_type[Consumer]:
        if c.vendor >= 0:
            users[row_to_id[int(c.vendor)]] += c.weight
    # (a vendor that left in the last month served its users that month; they are now orphaned)
    selling = last.index[last["status"].isin(["frontier", "focused"])]
    np.testing.assert_allclose(pd.Series(users).reindex(selling), last.loc[selling, "mau"], rtol=1e-9)


def test_long_tail_mostly_smaller_than_named_vendors(run):
    vendor = run.vendor
    first = vendor[vendor["month_index"] == 0]
    assert first.loc[first["long_tail"], "headcount"].mean() < first.loc[~first["long_tail"], "headcount"].mean()
