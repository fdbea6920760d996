"""The capability dimensions (quality, context, multimodality, reasoning) and their units.

A level is stored internally in the feature's own unit (index points), or as log10 of it for
log-scale features (context, in tokens), so that releases, copies and gaps are additive.
"""

from __future__ import annotations

import numpy as np

from .config import FEATURES
from .mechanisms.paths import path_value


class FeatureSpace:
    """Per-feature parameters as arrays over FEATURES (fixed for a run: dated changes cannot
    reach `features`), unit conversion, the global frontier path and how a level reads."""

    def __init__(self, feature_configs: dict, start: str):
        specs = [feature_configs[f] for f in FEATURES]
        self.names = FEATURES
        self.index = {name: i for i, name in enumerate(FEATURES)}
        self.start = start
        self.units = [s.unit for s in specs]
        self.log_scale = np.array([s.log_scale for s in specs])
        self.innovation_step = np.array([s.innovation_step for s in specs])
        self.leapfrog = np.array([s.leapfrog for s in specs])
        self.growth_per_month = np.array([s.frontier_growth_per_month for s in specs])
        self.copy_lag_factor = np.array([s.copy_lag_factor for s in specs])
        self.copy_share = np.array([s.copy_share for s in specs])
        self.diffuses = np.array([s.catch_up == "diffusion" for s in specs])
        self.release_rate_factor = np.array([s.release_rate_factor for s in specs])
        # past the global frontier, own R&D's gains fall by e over this distance (internal units)
        self.beyond_frontier_scale = np.array([
            s.innovation_step * s.release_rate_factor if s.beyond_frontier_scale is None else s.beyond_frontier_scale
            for s in specs])
        # consumers value no more than this level (internal units; inf: no cap)
        self.consumer_saturation = np.array([
            np.inf if s.consumer_saturation is None else self.to_internal(i, s.consumer_saturation)
            for i, s in enumerate(specs)])
        self._frontier_points = [{m: self.to_internal(i, v) for m, v in s.frontier.items()}
                                 for i, s in enumerate(specs)]

    def to_internal(self, f: int, level: float) -> float:
        """A level in the feature's unit -> internal units."""
        return float(np.log10(level)) if self.log_scale[f] else float(level)

    def to_unit(self, f: int, internal: np.ndarray) -> np.ndarray:
        """Internal units -> the feature's unit."""
        return 10.0 ** internal if self.log_scale[f] else internal

    def frontier_at(self, t: float) -> np.ndarray:
        """The global frontier (internal units) at month index t: the dated path, then linear
        growth of `frontier_growth_per_month`."""
        return np.array([path_value(points, self.start, t, growth)
                         for points, growth in zip(self._frontier_points, self.growth_per_month)])

    def describe(self, f: int, internal: float) -> str:
        """'context 2.0M tokens', 'quality 71.3 index points'. `describe_many` says the same of
        many levels at once (tests/test_event_wording.py holds the two to the same strings)."""
        level = float(self.to_unit(f, np.array(internal)))
        name, unit = self.names[f], self.units[f]
        if unit == "tokens":
            return f"{name} {level / 1e6:.1f}M tokens" if level >= 1e6 else f"{name} {level / 1e3:.0f}k tokens"
        return f"{name} {level:.1f} {unit}"

    def describe_many(self, f: int, internal: np.ndarray) -> list[str]:
        """[describe(f, x) for x in internal], the same strings: the unit conversion is done on
        the whole array (numpy's elementwise power gives each value the bits it gives the value
        alone), the formatting by Python's format, per value."""
        levels = self.to_unit(f, np.asarray(internal, dtype=float)).tolist()
        name, unit = self.names[f], self.units[f]
        if unit == "tokens":
            return [f"{name} {level / 1e6:.1f}M tokens" if level >= 1e6 else f"{name} {level / 1e3:.0f}k tokens"
                    for level in levels]
        return [f"{name} {level:.1f} {unit}" for level in levels]
