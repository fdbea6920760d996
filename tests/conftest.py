from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "configs" / "baseline_2024.yaml"
SMALL = ROOT / "tests" / "data" / "small.yaml"


@pytest.fixture(scope="session")
def small_config():
    from market_sim import load_config

    return load_config(SMALL)


@pytest.fixture(scope="session")
def small_run(small_config):
    """One small model run to its horizon (shared by the invariant tests)."""
    from market_sim import MarketModel

    model = MarketModel(small_config, rng=11)
    while model.running:
        model.step()
    return model
