"""market-sim: an agent-based simulation of the LLM vendor market on Mesa.

    from market_sim import MarketModel, load_config, run
    results = run("configs/baseline_2024.yaml", replications=20, workers=2)
    results.falls_behind()
"""

__version__ = "0.1.0"

from .config import Config, ConfigError, load_config  # noqa: E402
from .model import MarketModel  # noqa: E402
from .runner import Results, run  # noqa: E402

__all__ = ["Config", "ConfigError", "MarketModel", "Results", "__version__", "load_config", "run"]
