"""Sweep configs (configs/sweeps/*.yaml): a base scenario, the parameters and their design,
replications per point, outputs to keep, the base seed. Validated like every config: a bad
sweep is a ConfigError naming file, key path, value and what is allowed."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field, ValidationError, model_validator

from ..config import (
    Config,
    ConfigError,
    Strict,
    apply_override,
    format_validation_error,
    read_yaml,
    resolve_extends,
    validate_config,
)
from ..config.yamlio import refuse_kind

# an interior point of a float range checked at load time: not a whole number for whole-number
# ends, so a float range over an integer key is refused up front
_INTERIOR = 0.4142135623730951


class Range(Strict):
    """A sampled parameter: floats in [min, max], or (kind: int) whole numbers min..max."""

    min: float
    max: float
    kind: Literal["float", "int"] = Field(
        "float", description="int: whole numbers from min to max, each equally likely")

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if not self.max > self.min:
            raise ValueError(f"max ({self.max}) must be greater than min ({self.min})")
        if self.kind == "int" and not (float(self.min).is_integer() and float(self.max).is_integer()):
            raise ValueError(f"an int range needs whole-number ends, got min {self.min}, max {self.max}")
        return self

    def bounds(self) -> tuple[float, float]:
        """Bounds of the unit-scaled samples: an int range samples [min, max + 1) and floors."""
        return (self.min, self.max + 1.0) if self.kind == "int" else (self.min, self.max)

    def values(self, samples: np.ndarray) -> np.ndarray:
        """Samples within bounds() -> parameter values (int: floored, max + 1 kept at max)."""
        if self.kind == "float":
            return np.asarray(samples, float)
        return np.minimum(np.floor(np.asarray(samples, float)), self.max).astype(np.int64)

    def checked_values(self) -> list[float | int]:
        """The values validated against the base config when the sweep is loaded."""
        if self.kind == "int":
            lo, hi = int(self.min), int(self.max)
            return [lo, (lo + hi) // 2, hi]
        return [self.min, self.min + _INTERIOR * (self.max - self.min), self.max]


class Design(Strict):
    kind: Literal["grid", "latin_hypercube", "sobol", "morris"]
    parameters: dict[str, list[Any] | Range] = Field(
        description="config key -> list of values (grid) or {min, max} (sampled)")
    samples: Annotated[int, Field(ge=1, le=100_000)] = Field(
        64, description="LHS: points; Sobol: N (N x (D + 2) points); Morris: trajectories (x (D + 1) points)")
    morris_levels: Annotated[int, Field(ge=2, le=20)] = 4
    seed: Annotated[int, Field(ge=0)] = 0

    @model_validator(mode="after")
    def _shape(self) -> Design:
        if not self.parameters:
            raise ValueError("at least one parameter")
        for key, spec in self.parameters.items():
            if self.kind == "grid" and not isinstance(spec, list):
                raise ValueError(f"parameter {key}: a grid takes a list of values, got {spec!r}")
            if self.kind != "grid" and not isinstance(spec, Range):
                raise ValueError(f"parameter {key}: a {self.kind} design takes {{min, max}}, got {spec!r}")
            if isinstance(spec, list) and not spec:
                raise ValueError(f"parameter {key}: empty list of values")
        if self.kind in ("sobol", "morris") and len(self.parameters) < 2:
            raise ValueError(f"a {self.kind} design needs at least two parameters")
        return self


class Outputs(Strict):
    monthly: bool = Field(False, description="also keep each run's market-month series")


class SweepConfig(Strict):
    name: str
    base: str = Field(description="the scenario config this sweep varies (path relative to the sweep file)")
    set: dict[str, Any] = Field(default_factory=dict, description="fixed overrides for every run (dotted keys)")
    design: Design
    replications: Annotated[int, Field(ge=1, le=10_000)] = 1
    seed: Annotated[int, Field(ge=0)] = 0
    seeds: Literal["per_run", "common"] = Field(
        "per_run", description="per_run: run i gets child i of SeedSequence(seed); common: every design point's "
        "replication r gets child r (common random numbers: points differ only by their parameters, which "
        "variance-based sensitivity indices need)")
    outputs: Outputs = Outputs()
    chunk_runs: Annotated[int, Field(ge=1, le=10_000)] = Field(50, description="runs per Parquet chunk")


def load_sweep(path: str | Path) -> tuple[SweepConfig, Config, dict]:
    """Load a sweep file; return (sweep, base config with the fixed overrides, base as dict).
    Every parameter must be an existing config key, and its values (a range: its ends and an
    interior point) must give a valid config."""
    path = Path(path)
    raw = read_yaml(path)  # missing file, malformed YAML, not a mapping: ConfigError
    refuse_kind(raw, path, "sweep")  # a scenario config given here would dump a page of unknown keys
    try:
        sweep = SweepConfig.model_validate(raw)
    except ValidationError as e:
        raise ConfigError(format_validation_error(e, raw, SweepConfig), file=path) from None
    base_path = (path.parent / sweep.base) if not Path(sweep.base).is_absolute() else Path(sweep.base)
    if not base_path.exists():
        raise ConfigError(f"base file {base_path} not found", file=path, path="base", value=sweep.base)
    base = resolve_extends(base_path)
    for key, value in sweep.set.items():
        try:
            apply_override(base, key.split("."), value, path)
        except ConfigError as e:
            raise ConfigError(str(e).split(": ", 1)[-1], file=path, path=f"set.{key}") from None
    base_cfg = validate_config(base, base_path)
    base_dict = base_cfg.model_dump()
    # each parameter: an existing key, and its values valid (a range: both ends and an interior point)
    for key, spec in sweep.design.parameters.items():
        values = spec if isinstance(spec, list) else spec.checked_values()
        for v in values:
            trial = copy.deepcopy(base_dict)
            try:
                apply_override(trial, key.split("."), v, path)
                validate_config(trial, path)
            except ConfigError as e:
                msg = str(e).split("\n")[0].split(": ", 1)[-1]
                if isinstance(spec, Range) and spec.kind == "float" and "integer" in msg:
                    msg += " (a range over a whole-number key needs kind: int)"
                raise ConfigError(f"value {v!r} does not give a valid config: {msg}", file=path,
                                  path=f"design.parameters.{key}") from None
    return sweep, base_cfg, base_dict
