"""State tables, their transitions, set-up, features and the event log."""

import numpy as np
import pytest

from market_sim.agents import (
    ACQUIRED,
    BIG_TECH,
    EXITED,
    FOCUSED,
    FRONTIER,
    NOT_ENTERED,
    STARTUP,
    InvestorTable,
    VendorTable,
)
from market_sim.agents.investors import Investor
from market_sim.build import build_buyers, build_consumers, build_vendors, superapp_owners
from market_sim.config import load_config
from market_sim.events import EventLog
from market_sim.features import FeatureSpace
from market_sim.mechanisms.financing import RUNWAY_CAP_MONTHS

from .conftest import SMALL


def _vendors(n=3):
    v = VendorTable([f"v{i}" for i in range(n)], [f"V{i}" for i in range(n)], 2)
    v.kind[:] = STARTUP
    v.headcount[:] = 100
    v.salary[:] = 1000.0
    v.cash[:] = 1e6
    return v


def test_settle_accounts_books_revenue_minus_costs_into_cash_for_active_vendors_only():
    v = _vendors()
    v.status[2] = EXITED
    v.start_month()
    v.api_revenue[:] = [50_000.0, 0.0, 9e9]
    v.consumer_revenue[:] = [1_000.0, 0.0, 9e9]
    v.other_revenue_plan[:] = [500.0, 0.0, 9e9]
    v.gpus[:] = 10.0
    v.enterprise_tokens[:] = 100.0
    v.unit_cost[:] = 2.0
    v.settle_accounts(gpu_cost_rmb_per_month=100.0)
    costs = 100 * 1000.0 + 10 * 100.0 + 100 * 2.0
    np.testing.assert_allclose(v.costs, [costs, costs, 0.0])
    np.testing.assert_allclose(v.revenue, [51_500.0, 0.0, 0.0])
    np.testing.assert_allclose(v.cash - v.cash_start, v.revenue - v.costs)
    assert v.runway[1] == pytest.approx((1e6 - costs) / costs)


def test_big_techs_have_no_runway_limit():
    v = _vendors(2)
    v.kind[0] = BIG_TECH
    v.cash[:] = -1.0
    v.burn[:] = 10.0
    v.update_runway()
    np.testing.assert_allclose(v.runway, [RUNWAY_CAP_MONTHS, 0.0])


def test_start_month_zeroes_flows_and_keeps_stocks():
    v = _vendors()
    v.api_revenue[:] = 5.0
    v.talent_in[:] = 3
    v.last_enterprise_tokens[:] = 7.0
    v.start_month()
    assert (v.api_revenue == 0).all() and (v.talent_in == 0).all()
    assert (v.last_enterprise_tokens == 7.0).all() and (v.cash_start == v.cash).all()


def test_focus_lays_off_and_cuts_costs():
    v = _vendors()
    v.gpus[:] = 1000.0
    v.marketing[:] = 100.0
    v.share_ambition[:] = 0.3
    laid_off = v.focus(1, 7, cost_factor=0.3, layoff_share=0.4)
    assert laid_off == 40 and v.headcount[1] == 60 and v.talent_out[1] == 40
    assert v.status[1] == FOCUSED and v.status_month[1] == 7
    assert v.gpus[1] == pytest.approx(300.0) and v.marketing[1] == pytest.approx(30.0) and v.share_ambition[1] == 0


def test_leave_moves_staff_and_capability_to_the_acquirer_or_releases_them():
    v = _vendors()
    v.capability[:] = [[1.0, 5.0], [3.0, 2.0], [0.0, 0.0]]
    moved = v.leave(1, 4, acquirer=0, merged_skill=1.2)
    assert moved == 100 and v.headcount[0] == 200 and v.headcount[1] == 0
    assert v.status[1] == ACQUIRED and v.acquirer[1] == 0 and v.talent_moved[1, 0] == 100
    np.testing.assert_allclose(v.capability[0], [3.0, 5.0])
    assert v.skill[0] == 1.2
    released = v.leave(2, 4, acquirer=-1)
    assert released == 100 and v.status[2] == EXITED and v.headcount[0] == 200
    assert v.headcount.sum() + released == 300                  # nobody created or lost


def test_cut_budget_keeps_a_factor_of_spend():
    v = _vendors()
    v.gpus[:], v.marketing[:], v.max_subsidy[:], v.share_ambition[:] = 100.0, 10.0, 0.5, 0.4
    v.cut_budget(0, 0.7)
    assert v.budget_cut[0] and not v.budget_cut[1]
    assert (v.gpus[0], v.marketing[0], v.max_subsidy[0], v.share_ambition[0]) == pytest.approx((70.0, 7.0, 0.35, 0.0))


def test_set_strategy_writes_rows_but_no_share_ambition_out_of_the_race():
    v = _vendors()
    v.status[1] = FOCUSED
    v.set_strategy({"vendors.v0.share_ambition": 0.2, "vendors.v1.share_ambition": 0.2,
                    "vendors.v1.aggressiveness": 0.9}, {"share_ambition": "share_ambition",
                                                        "aggressiveness": "aggressiveness"})
    assert v.share_ambition[0] == 0.2 and v.share_ambition[1] == 0.0 and v.aggressiveness[1] == 0.9
    assert (v.status == [FRONTIER, FOCUSED, FRONTIER]).all()


def test_investor_agents_view_their_row():
    table = InvestorTable(["Fund-01", "Fund-02"], 3, 5e8)
    table.stakes[1, 2] = 0.1
    agent = object.__new__(Investor)  # a view: the table and the row are all it stores
    agent.table, agent.row = table, 1
    assert agent.name == "Fund-02" and agent.dry_powder == 5e8 and agent.stakes == {2: 0.1}
    agent.dry_powder = 1.0
    assert table.dry_powder[1] == 1.0


# ---------------------------------------------------------------- set-up, features, events


@pytest.fixture(scope="module")
def cfg():
    return load_config(SMALL)


def test_long_tail_starts_behind_the_weakest_named_startup(cfg):
    fs = FeatureSpace(cfg.features, cfg.run.start)
    v = build_vendors(cfg, fs, np.random.default_rng(0))
    named = ~v.long_tail
    weakest = v.capability[named & (v.kind == STARTUP)].min(axis=0)
    behind = (weakest[None, :] - v.capability[v.long_tail]) / fs.growth_per_month[None, :]
    lo, hi = cfg.long_tail.capability_behind_months
    assert (behind >= lo - 1e-9).all() and (behind <= hi + 1e-9).all()
    present = v.long_tail & (v.status != NOT_ENTERED)
    assert present.sum() == cfg.long_tail.count and (v.runway == RUNWAY_CAP_MONTHS).all()
    assert (v.long_tail & (v.status == NOT_ENTERED)).sum() == cfg.long_tail.entrants_max
    assert (v.headcount[v.status == NOT_ENTERED] == 0).all()       # their researchers are hired when they enter
    for s in cfg.strategic_stakes:
        assert v.stakes[v.row_of[s.investor], v.row_of[s.vendor]] == s.stake


def test_buyers_home_clouds_only_on_clouds_and_consumers_superapps_are_reach_with_overlap(cfg):
    # catches reach normalised across vendors (it summed to 2.4 and gave everyone one app)
    fs = FeatureSpace(cfg.features, cfg.run.start)
    rng = np.random.default_rng(1)
    v = build_vendors(cfg, fs, rng)
    b = build_buyers(cfg, v, rng)
    assert (v.cloud_share[b.home_cloud] > 0).all()
    big = cfg.model_copy(update={"scale": cfg.scale.model_copy(update={"consumers": 40_000})})
    c = build_consumers(big, v, rng)
    owners = superapp_owners(v)
    np.testing.assert_allclose(c.on_superapp.mean(axis=0), v.superapp_reach[owners], atol=0.01)
    both = (c.on_superapp[:, 0] & c.on_superapp[:, 1]).mean()           # independent: apps overlap
    assert both == pytest.approx(v.superapp_reach[owners[0]] * v.superapp_reach[owners[1]], abs=0.01)
    assert (~c.on_superapp.any(axis=1)).mean() == pytest.approx(np.prod(1 - v.superapp_reach[owners]), abs=0.01)


def test_features_round_trip_units_and_describe_levels(cfg):
    fs = FeatureSpace(cfg.features, cfg.run.start)
    c = fs.index["context"]
    assert fs.log_scale[c]
    assert fs.to_unit(c, np.array(fs.to_internal(c, 2_000_000.0))) == pytest.approx(2_000_000.0)
    assert fs.describe(c, fs.to_internal(c, 2_000_000.0)) == "context 2.0M tokens"
    assert fs.describe(c, fs.to_internal(c, 128_000.0)) == "context 128k tokens"
    assert np.isfinite(fs.consumer_saturation[c]) == (cfg.features["context"].consumer_saturation is not None)


def test_event_log_words_events_and_keeps_their_order():
    log = EventLog("2024-01", ["a", "b"], ["Alpha", "Beta"])
    log.price_cuts(2, np.array([False, True]), np.array([10.0, 10.0]), np.array([10.0, 4.0]))
    log.rounds(3, np.array([True, True]), np.array([True, False]), np.array([0.0, 2e9]), np.array([0.0, 1e10]))
    log.key_hires(3, np.array([[0, 2], [0, 0]]))
    frame = log.frame()
    assert list(frame["event"]) == ["price_cut", "raise_failed", "round", "key_hire"]
    assert list(frame["month"]) == ["2024-03", "2024-04", "2024-04", "2024-04"]
    assert frame["detail"][0] == "Beta cuts API price 60% to 4.00 RMB/M tokens"
    assert frame["detail"][2] == "Beta raises 2.00B RMB at 10.0B post-money"
    assert frame["detail"][3] == "Beta hires 2 key researcher(s) from Alpha"
