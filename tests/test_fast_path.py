"""The fast path (no Mesa agent objects, outcomes from the records, no vendor-month or event
tables) gives the same numbers as the full path; and it really skips the agent objects."""

import numpy as np
import pandas as pd
import pytest

from market_sim import MarketModel
from market_sim.agents import Consumer, EnterpriseBuyer, Investor, Startup
from market_sim.mechanisms.falls_behind import outcomes_from_table
from market_sim.runner import simulate, simulate_outcomes


def _full(cfg, seed):
    """Everything built: the agent objects from before the first month, all tables, outcomes
    computed from the vendor-month table."""
    model = MarketModel(cfg, rng=np.random.default_rng(seed))
    assert len(model.agents_by_type[Consumer]) == cfg.scale.consumers
    while model.running:
        model.step()
    vendor, market, events = model.tables()
    return vendor, market, events, outcomes_from_table(vendor, cfg.falls_behind).reset_index(drop=True)


def test_fast_path_tables_equal_the_full_path(small_config):
    for key in range(3):
        seed = np.random.SeedSequence(7, spawn_key=(key,))
        vendor, market, events, outcomes = _full(small_config, seed)
        fast = simulate_outcomes(small_config, seed)
        pd.testing.assert_frame_equal(fast["market_month"], market)
        pd.testing.assert_frame_equal(fast["outcomes"], outcomes)
        full = simulate(small_config, seed)
        pd.testing.assert_frame_equal(full["vendor_month"], vendor)
        pd.testing.assert_frame_equal(full["events"], events)
        pd.testing.assert_frame_equal(full["outcomes"], outcomes)


def test_runs_create_no_agent_objects_until_asked(small_config):
    model = MarketModel(small_config, rng=1)
    for _ in range(3):
        model.step()
    assert len(model._agents) == 0          # Mesa's own registry: nothing was created
    by_type = model.agents_by_type          # first use creates them all, viewing live state
    assert len(by_type[EnterpriseBuyer]) == small_config.scale.enterprises
    assert len(by_type[Investor]) == small_config.financing.investors
    startup = next(iter(by_type[Startup]))
    assert startup.cash == model.vendors.cash[startup.row]
    model.step()
    assert startup.cash == model.vendors.cash[startup.row]   # a view, not a copy
    assert len(model.agents) == len(model._agents)


def test_a_step_past_the_horizon_is_refused_and_changes_nothing(small_config):
    from market_sim.model import HorizonReached

    model = MarketModel(small_config, rng=2)
    while model.running:
        model.step()
    before = model.vendors.cash.copy()
    with pytest.raises(HorizonReached, match="ends after month"):
        model.step()
    assert model.month == model.horizon and (model.vendors.cash == before).all()
