"""Parameter sweeps: designs (grid, Latin hypercube, Sobol/Saltelli, Morris via SALib), local
or Dask execution streaming to Parquet chunks with resume, and the sweep report."""

from .config import SweepConfig, load_sweep
from .engine import load_results, run_sweep

__all__ = ["SweepConfig", "load_results", "load_sweep", "run_sweep"]
