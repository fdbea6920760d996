"""Limits of the mechanisms added for the 2024 market: entry, self-funded labs, dated prices
and rounds, prices that can rise. Each test names the bug it catches."""

from __future__ import annotations

import numpy as np
import pytest

from market_sim.agents import NOT_ENTERED, SELF_FUNDED
from market_sim.config import load_config
from market_sim.mechanisms import entry, pricing
from market_sim.model import MarketModel

from .conftest import SMALL


# ---------------------------------------------------------------- entry process
def test_no_money_or_a_shrinking_market_means_no_entry_and_growth_draws_more():
    # catches entry that ignores the funding climate or the profits on offer
    assert entry.expected_entrants(3.0, 0.0, 2.0, 1.0) == 0.0
    assert entry.expected_entrants(3.0, 1.0, 0.0, 1.0) == 0.0
    assert entry.expected_entrants(3.0, 0.5, 2.0, 1.0) == pytest.approx(3.0)
    assert entry.expected_entrants(3.0, 0.5, 2.0, 0.0) == pytest.approx(1.5)     # elasticity 0: profits ignored
    revenue = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 0.0])
    assert entry.revenue_growth(revenue, 3) == 1.0                                # no six-month history yet
    assert entry.revenue_growth(revenue, 8) == pytest.approx(2.0)


def test_entrant_count_is_poisson_and_capped_by_the_rows_left():
    u = np.random.default_rng(0).random(20_000)
    counts = np.array([entry.entrant_count(x, 2.0, 100) for x in u])
    assert counts.mean() == pytest.approx(2.0, rel=0.03) and counts.var() == pytest.approx(2.0, rel=0.06)
    assert max(entry.entrant_count(x, 50.0, 3) for x in u[:200]) == 3
    assert entry.entrant_count(0.999, 0.0, 10) == 0


def test_entrants_start_behind_what_they_start_from():
    cap = entry.entrant_capability(np.array([100.0, 6.0]), np.array([6.0, 18.0]), np.array([1.5, 0.015]))
    np.testing.assert_allclose(cap, [[91.0, 5.91], [73.0, 5.73]])


def test_entrants_enter_hire_from_the_pool_and_never_before_their_row_is_used():
    # catches entrants present from the start, researchers created from nothing on entry,
    # or entry with the funding climate at zero
    cfg = load_config(SMALL, {"long_tail.entrants_max": 6, "long_tail.entry_rate_per_month": 4.0})
    m = MarketModel(cfg, rng=2)
    v = m.vendors
    reserved = np.flatnonzero(v.status == NOT_ENTERED)
    assert reserved.size == 6 and (v.headcount[reserved] == 0).all()
    people = v.headcount.sum() + m.market.talent_pool
    while m.running:
        m.step()
        assert v.headcount.sum() + m.market.talent_pool == people
    entered = reserved[v.status[reserved] != NOT_ENTERED]
    assert entered.size > 0 and (v.entry_month[entered] >= 0).all()
    cold = MarketModel(load_config(SMALL, {"long_tail.entrants_max": 6, "long_tail.entry_rate_per_month": 4.0,
                                           "market.funding_climate_scale": 0.0}), rng=2)
    while cold.running:
        cold.step()
    assert (cold.vendors.status[reserved] == NOT_ENTERED).all()


# ---------------------------------------------------------------- kinds, dated inputs
def _finished(cfg, rng: int = 1) -> MarketModel:
    model = MarketModel(cfg, rng=rng)
    while model.running:
        model.step()
    return model


@pytest.fixture(scope="module")
def small_run():
    """The small market run to its horizon once: (config, model, vendor-month, events)."""
    cfg = load_config(SMALL)
    m = _finished(cfg)
    vm, _, events = m.tables()
    return cfg, m, vm, events


def test_a_self_funded_lab_is_covered_by_its_owner_up_to_the_budget_and_raises_no_round(small_run):
    # catches the owner paying without limit, or a self-funded lab going to investors
    cfg, m, vm, events = small_run
    lab = vm[vm["kind"] == "self_funded"]
    assert len(lab) and (lab["vendor"] == "deepseek").all()
    budget = cfg.vendors["deepseek"].owner_budget_rmb_per_month
    loss = (lab["costs_rmb"] - lab["revenue_rmb"]).clip(lower=0)
    np.testing.assert_allclose(lab["funding_rmb"], np.minimum(loss, budget), rtol=1e-9)
    assert not ((events["vendor"] == "deepseek") & events["event"].isin(["round", "raise_failed"])).any()
    assert m.vendors.kind[m.vendors.row_of["deepseek"]] == SELF_FUNDED


def test_an_owner_whose_budget_is_outrun_cuts_the_labs_compute_after_its_patience():
    # catches a self-funded lab burning past its owner's budget for ever (its cash went to
    # -420M RMB by 2025-12 with nobody deciding anything)
    cfg = load_config(SMALL, {"vendors.deepseek.owner_budget_rmb_per_month": 1.0e6,
                              "big_tech_finance.patience_months": 3})
    row = list(cfg.vendors).index("deepseek")            # named vendors take the first rows, in config order
    gpus = cfg.vendors["deepseek"].gpus
    m = _finished(cfg)
    _, _, events = m.tables()
    cut = events[(events["vendor"] == "deepseek") & (events["event"] == "budget_cut")]
    assert len(cut) == 1 and cut["month_index"].iloc[0] == 2          # the third month over budget
    assert m.vendors.gpus[row] < gpus * 2 ** (12 / 18)                  # below where growth alone takes it


def test_the_baseline_owner_does_not_cut_in_2024(small_run):
    events = small_run[3]                                 # the baseline's budget and patience
    assert not ((events["vendor"] == "deepseek") & (events["event"] == "budget_cut")).any()


def test_dated_price_and_round_are_applied_and_paid_for(small_run):
    # catches a dated price the rule then overrides in the same month, and a dated round whose
    # strategic part is paid by nobody or whose post-money is ignored
    _, _, vm, events = small_run
    ds = vm[(vm["vendor"] == "deepseek") & (vm["month"] == "2024-05")]
    assert ds["api_price"].iloc[0] == pytest.approx(1.25)
    feb = vm[vm["month"] == "2024-02"].set_index("vendor")
    assert feb.loc["moonshot", "funding_rmb"] == pytest.approx(7.2e9, rel=1e-6)
    assert feb.loc["alibaba", "invested_rmb"] == pytest.approx(3.6e9)
    # the parent pays for the stake: booked as funding, the AI unit's cash is not drained by it
    jan = vm[vm["month"] == "2024-01"].set_index("vendor")
    loss = max(feb.loc["alibaba", "costs_rmb"] - feb.loc["alibaba", "revenue_rmb"], 0.0)
    assert feb.loc["alibaba", "funding_rmb"] == pytest.approx(3.6e9 + loss)
    assert feb.loc["alibaba", "cash_rmb"] >= jan.loc["alibaba", "cash_rmb"] - 1e-3   # losses and stake covered
    rounds = events[(events["event"] == "round") & (events["vendor"] == "moonshot") & (events["month"] == "2024-02")]
    assert len(rounds) == 1


def test_prices_rise_when_cost_or_the_subsidy_a_startup_can_afford_says_so():
    # catches prices that can only fall: a startup whose runway shrinks can no longer sell
    # below cost, and a price below a risen unit cost moves up to the floor
    floor_rich = pricing.price_floor(np.array([2.0]), pricing.startup_subsidy(np.array([0.5]), np.array([30.0]), 6, 12))
    floor_poor = pricing.price_floor(np.array([2.0]), pricing.startup_subsidy(np.array([0.5]), np.array([6.0]), 6, 12))
    assert floor_rich[0] == pytest.approx(1.0) and floor_poor[0] == pytest.approx(2.0)
    new = pricing.reprice(np.array([1.0]), np.array([2.0]), floor_poor, np.array([np.inf]), np.array([1.0]), 0.05,
                          29.0)
    assert new[0] == pytest.approx(2.0)                 # up from 1.0 to the floor
    risen = pricing.reprice(np.array([1.0]), np.array([3.0]), np.array([3.0]), np.array([np.inf]), np.array([0.0]),
                            0.05, 29.0)
    assert risen[0] == pytest.approx(3.0)              # even a vendor that never cuts
