"""The runner frees finished models (Mesa 3.3 keeps them alive through its id registry)."""

import gc

import pytest

from market_sim import MarketModel
from market_sim.agents import Consumer
from market_sim.runner import release_model, replication_seeds, run_replication

from .conftest import SMALL

pytestmark = pytest.mark.slow  # whole replications, and a scan of every live object


def _live_consumers() -> int:
    gc.collect()
    return sum(isinstance(o, Consumer) for o in gc.get_objects())


def test_finished_replications_leave_no_agents_alive(small_config):
    before = _live_consumers()
    cfg = small_config.model_dump()
    for i, s in enumerate(replication_seeds(3, 3)):
        run_replication(cfg, i, s)
    assert _live_consumers() == before


def test_release_model_frees_agents_of_a_model_mesa_keeps():
    before = _live_consumers()
    model = MarketModel(SMALL, rng=1)
    model.step()
    assert len(model.agents) > 0          # the Mesa agents exist once asked for
    assert _live_consumers() == before + model.cfg.scale.consumers
    release_model(model)
    assert _live_consumers() == before
