"""Dated changes: a scenario that shares the baseline's history until its month, then differs."""

import numpy as np
import pandas as pd
import pytest
import yaml

from market_sim.config import ConfigError, load_config
from market_sim.runner import simulate

from .conftest import SMALL

CHANGE_MONTH = "2024-07"  # month index 6 of the small config (12 months from 2024-01)


def _tables(changes):
    cfg = load_config(SMALL, {"changes": yaml.safe_load(changes)} if changes else None)
    return simulate(cfg.model_dump(), np.random.SeedSequence(3))


def test_a_change_leaves_the_history_before_it_alone_and_acts_from_its_month():
    base = _tables(None)["vendor_month"]
    changed = _tables(f'[{{month: "{CHANGE_MONTH}", set: {{vendors.baidu.max_subsidy: 1.0, '
                      f'vendors.baidu.share_ambition: 0.9, price_war.tolerance: 0.0}}}}]')
    before_b, before_c = (t[t["month_index"] < 6].reset_index(drop=True) for t in (base, changed["vendor_month"]))
    pd.testing.assert_frame_equal(before_b, before_c)
    after_b = base[base["month_index"] >= 6]
    after_c = changed["vendor_month"][changed["vendor_month"]["month_index"] >= 6]
    assert not np.allclose(after_b["api_price"], after_c["api_price"])
    ev = changed["events"]
    assert ((ev["event"] == "change") & (ev["month"] == CHANGE_MONTH)).sum() == 1


def test_a_vendor_out_of_the_race_does_not_take_up_share_ambition_again():
    from market_sim import MarketModel
    from market_sim.agents import FOCUSED

    cfg = load_config(SMALL, {"changes": [{"month": CHANGE_MONTH, "set": {"vendors.zeroone.share_ambition": 0.5}}]})
    model = MarketModel(cfg, rng=1)
    row = model.vendors.row_of["zeroone"]
    for _ in range(6):
        model.step()
    model.vendors.status[row] = FOCUSED  # out of the race before the change
    model.step()
    assert model.vendors.share_ambition[row] == 0.0


@pytest.mark.parametrize("changes,needles", [
    ('[{month: "2023-06", set: {price_war.intensity: 1}}]', ["changes.0.month", "2023-06", "inside the run"]),
    ('[{month: "2024-06", set: {vendors.baidu.gpus: 1}}]',
     ["changes.0.set.vendors.baidu.gpus", "a dated change can set"]),
    ('[{month: "2024-06", set: {market.unit_cost.halving_months: 6}}]',
     ["changes.0.set.market.unit_cost", "market.unit_cost"]),
    ('[{month: "2024-06", set: {price_war.intensty: 1}}]',
     ["changes.0.set.price_war.intensty", "did you mean 'intensity'"]),
    ('[{month: "2024-06", set: {talent.mobility: 3}}]', ["changes.0.set", "talent.mobility", "3"]),
])
def test_bad_changes_are_rejected_with_their_key_path(changes, needles):
    with pytest.raises(ConfigError) as e:
        load_config(SMALL, {"changes": yaml.safe_load(changes)})
    for needle in needles:
        assert needle in str(e.value), (needle, str(e.value))
