"""Fault injection for engine tests: a picklable `simulate` that fails chosen runs. Spawned
workers get the parent's sys.path, so they import this module by name."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FailingRuns:
    """runner.simulate, except that the runs whose seed key is in `run_ids` raise (with
    seeds: per_run a run's seed key is its run id)."""

    run_ids: frozenset[int]

    def __call__(self, config, seed: np.random.SeedSequence) -> dict:
        from market_sim.runner import simulate

        key = seed.spawn_key[-1]
        if key in self.run_ids:
            raise RuntimeError(f"injected failure for run {key}")
        return simulate(config, seed)


@dataclass(frozen=True)
class FlakyRuns:
    """runner.simulate, except that the runs whose seed key is in `run_ids` fail on their first
    attempt (a marker file in `marker_dir` records the attempt, so it works across processes)."""

    run_ids: frozenset[int]
    marker_dir: str

    def __call__(self, config, seed: np.random.SeedSequence) -> dict:
        from pathlib import Path

        from market_sim.runner import simulate

        key = seed.spawn_key[-1]
        marker = Path(self.marker_dir) / f"attempted-{key}"
        if key in self.run_ids and not marker.exists():
            marker.touch()
            raise RuntimeError(f"injected transient failure for run {key}")
        return simulate(config, seed)


@dataclass(frozen=True)
class KillsWorker:
    """runner.simulate, except that the worker running one of `run_ids` for the first time is
    killed with SIGKILL mid-run (a marker file in `marker_dir` records the attempt)."""

    run_ids: frozenset[int]
    marker_dir: str

    def __call__(self, config, seed: np.random.SeedSequence) -> dict:
        import os
        import signal
        from pathlib import Path

        from market_sim.runner import simulate

        key = seed.spawn_key[-1]
        marker = Path(self.marker_dir) / f"killed-{key}"
        if key in self.run_ids and not marker.exists():
            marker.touch()
            os.kill(os.getpid(), signal.SIGKILL)
        return simulate(config, seed)
