import os
import socket
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings

# CI runs the property tests on a fixed set of examples (reproducible); locally they explore.
settings.register_profile("ci", derandomize=True, deadline=None)
if os.environ.get("CI"):
    settings.load_profile("ci")
# Tests write nothing into the repository: Hypothesis keeps its example database and constants
# cache (by default .hypothesis/ in the working directory) in the system temporary directory.
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", os.path.join(tempfile.gettempdir(), "market-sim-hypothesis"))

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


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
