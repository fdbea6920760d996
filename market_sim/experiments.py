"""Experiments (experiments/*.yaml): named, runnable studies behind `market-sim experiment NAME`.

Two kinds:
    scenarios   every scenario config run with the same replications and common seeds:
                replication r has child r of SeedSequence(seed) in every scenario, so scenarios
                that change the world from 2025-01 share each replication's 2024 history and
                differ only by the change (paired comparisons).
    sweep       a parameter sweep (configs/sweeps/*.yaml) plus a focused report on one vendor.

Runs go through the sweep engine (worker processes, Parquet chunks written atomically), so an
interrupted experiment continues where it stopped when the same command is run again.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated, Literal

import pandas as pd
import yaml
from pydantic import Field, ValidationError, model_validator

from .config import ConfigError, Strict, format_validation_error, load_config, read_yaml
from .config.yamlio import refuse_kind
from .posterior import DEFAULT_RUNS_PER_DRAW, check_same_posterior, load_posterior, write_record
from .sweep import engine

EXPERIMENTS_DIR = Path(__file__).resolve().parent.parent / "experiments"


class ScenarioExperiment(Strict):
    name: str
    question: str
    kind: Literal["scenarios"]
    scenarios: dict[str, str] = Field(description="scenario name -> config file (relative to the experiment file)")
    reference: str = Field("baseline", description="the scenario the others are compared with")
    replications: Annotated[int, Field(ge=2, le=100_000)] = 100
    seed: Annotated[int, Field(ge=0)] = 20241231
    chunk_runs: Annotated[int, Field(ge=1, le=10_000)] = 50

    @model_validator(mode="after")
    def _reference_is_a_scenario(self) -> ScenarioExperiment:
        if len(self.scenarios) < 2:
            raise ValueError("at least two scenarios (a reference and one to compare)")
        if self.reference not in self.scenarios:
            raise ValueError(f"reference {self.reference!r} is not one of the scenarios {list(self.scenarios)}")
        return self


class SweepExperiment(Strict):
    name: str
    question: str
    kind: Literal["sweep"]
    sweep: str = Field(description="a sweep file (relative to the experiment file)")
    focus_vendor: str = Field(description="the vendor whose outcome the report maps")
    x: str = Field(description="sweep parameter on the x axis")
    y: str = Field(description="sweep parameter on the y axis")


Experiment = Annotated[ScenarioExperiment | SweepExperiment, Field(discriminator="kind")]


class _File(Strict):
    experiment: Experiment


def experiment_path(name_or_path: str | Path) -> Path:
    """experiments/NAME.yaml for a bare name, else the path as given."""
    p = Path(name_or_path)
    if p.suffix in (".yaml", ".yml") or p.exists():
        return p
    candidate = EXPERIMENTS_DIR / f"{name_or_path}.yaml"
    if not candidate.exists():
        known = sorted(q.stem for q in EXPERIMENTS_DIR.glob("*.yaml"))
        raise ConfigError(f"no experiment {str(name_or_path)!r}; known: {known}", path="NAME", value=str(name_or_path))
    return candidate


def _relative(path: Path, target: str) -> Path:
    t = Path(target)
    return t if t.is_absolute() else path.parent / t


def load_experiment(path: Path) -> tuple[ScenarioExperiment | SweepExperiment, dict]:
    """Validate an experiment file. Returns (experiment, resolved configs): for scenarios,
    name -> validated config dict; for a sweep, {} (the sweep is validated when it runs)."""
    raw = read_yaml(path)
    refuse_kind(raw, path, "experiment")
    try:
        exp = _File.model_validate({"experiment": raw}).experiment
    except ValidationError as e:
        raise ConfigError(format_validation_error(e, {"experiment": raw}, _File).replace("experiment.", ""),
                          file=path) from None
    configs: dict[str, dict] = {}
    if isinstance(exp, ScenarioExperiment):
        for name, rel in exp.scenarios.items():
            cfg_path = _relative(path, rel)
            if not cfg_path.exists():
                raise ConfigError(f"config file {cfg_path} not found", file=path, path=f"scenarios.{name}", value=rel)
            configs[name] = load_config(cfg_path).model_dump(mode="json")  # as YAML stores it (lists, not tuples)
    else:
        sweep_path = _relative(path, exp.sweep)
        if not sweep_path.exists():
            raise ConfigError(f"sweep file {sweep_path} not found", file=path, path="sweep", value=exp.sweep)
        from .sweep.config import load_sweep

        sweep, base, _ = load_sweep(sweep_path)
        for axis in ("x", "y"):
            key = getattr(exp, axis)
            if key not in sweep.design.parameters:
                raise ConfigError(f"got {key!r}, not a parameter of {sweep_path.name}; "
                                  f"its parameters: {list(sweep.design.parameters)}",
                                  file=path, path=axis, value=key)
        if exp.focus_vendor not in base.vendors:
            raise ConfigError(f"got {exp.focus_vendor!r}, not a vendor of the base config: {list(base.vendors)}",
                              file=path, path="focus_vendor", value=exp.focus_vendor)
    return exp, configs


def scenario_specs(exp: ScenarioExperiment) -> list[engine.RunSpec]:
    """Run i = scenario s, replication r; its seed is child r of SeedSequence(seed) whatever the
    scenario (common random numbers)."""
    specs = []
    for s, name in enumerate(exp.scenarios):
        for r in range(exp.replications):
            specs.append(engine.RunSpec(run_id=s * exp.replications + r, point_id=s, replication=r,
                                        params={"scenario": name}, seed=exp.seed, seed_key=r))
    return specs


def _prepare_scenarios(path: Path, exp: ScenarioExperiment, configs: dict, out: Path) -> bool:
    """Create the experiment directory, or check that an existing one holds this experiment.
    Returns True when resuming."""
    definition = path.read_text()
    if out.exists() and any(out.iterdir()):
        stored = out / "experiment.yaml"
        same = stored.exists() and stored.read_text() == definition and all(
            (out / "configs" / f"{n}.yaml").exists()
            and yaml.safe_load((out / "configs" / f"{n}.yaml").read_text()) == c
            for n, c in configs.items())
        if not same:
            raise ConfigError(f"{out} holds other results (a different experiment or changed configs); "
                              "use another --out or remove it", path="--out", value=str(out))
        return True
    (out / "configs").mkdir(parents=True, exist_ok=True)
    (out / "chunks").mkdir(exist_ok=True)
    shutil.copyfile(path, out / "experiment.yaml")
    for name, cfg in configs.items():
        (out / "configs" / f"{name}.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    pd.DataFrame({"point_id": range(len(configs)), "scenario": list(configs)}).to_parquet(
        out / "points.parquet", index=False)
    return False


def check_scenarios_agree_on(configs: dict[str, dict], keys, reference: str) -> None:
    """Refuse a posterior over a key that a scenario sets differently from the reference: the
    draws would replace the scenario's value (a scenario's dated changes still apply on top)."""
    def value(cfg: dict, key: str):
        node = cfg
        for part in key.split("."):
            node = node[part]
        return node

    for key in keys:
        ref = value(configs[reference], key)
        for name, cfg in configs.items():
            if value(cfg, key) != ref:
                raise ConfigError(f"scenario {name!r} sets it to {value(cfg, key)!r} (reference {reference!r}: "
                                  f"{ref!r}); a posterior over this key would replace the scenario's value; "
                                  "calibrate without it, or change it in the scenario by a dated change",
                                  path=f"--posterior: {key}", value=value(cfg, key))


def run_experiment(name_or_path: str | Path, out: Path | None = None, workers: int = 2,
                   progress: bool = True, simulate: engine.Simulate | None = None,
                   posterior: str | Path | None = None, runs_per_draw: int = DEFAULT_RUNS_PER_DRAW,
                   ) -> tuple[ScenarioExperiment | SweepExperiment, Path, engine.SweepOutcome]:
    """Run (or complete) an experiment and write its report. Raises ConfigError on bad input
    before anything is written. With a `posterior`, replication r (of every scenario, or of every
    sweep point) runs with posterior draw r // runs_per_draw, seeded by the experiment's (or
    sweep's) seed; completing an interrupted experiment needs the same posterior again."""
    path = experiment_path(name_or_path)
    exp, configs = load_experiment(path)
    out = Path(out) if out is not None else Path("results") / "experiments" / exp.name
    if isinstance(exp, SweepExperiment):
        sweep_dir = out / "sweep"
        resume = (sweep_dir / "sweep.yaml").exists()
        if resume:  # the same command again: the same posterior (or none), as the sweep started with
            from .sweep.engine import reopen

            base = reopen(sweep_dir)[1]
            check_same_posterior(sweep_dir, None if posterior is None else load_posterior(posterior, base),
                                 runs_per_draw)
        outcome = engine.run_sweep(None if resume else _relative(path, exp.sweep), sweep_dir, workers=workers,
                                   resume=resume, progress=progress, simulate=simulate, posterior=posterior,
                                   runs_per_draw=runs_per_draw)
    else:
        from .execution import directory_lock

        post = None
        if posterior is not None:
            for cfg in configs.values():
                post = load_posterior(posterior, cfg)
            check_scenarios_agree_on(configs, post.parameters, exp.reference)
        engine.check_writable_dir(out)
        with directory_lock(out):  # one writer at a time
            if _prepare_scenarios(path, exp, configs, out):
                check_same_posterior(out, post, runs_per_draw)
            else:
                write_record(out, post, runs_per_draw, exp.seed, exp.replications)
            job = engine.ScenarioRuns({name: load_config(cfg) for name, cfg in configs.items()})
            specs = engine.with_draws(scenario_specs(exp), post, exp.seed, runs_per_draw)
            outcome = engine.execute_runs(out, job, specs, chunk_runs=exp.chunk_runs, name=exp.name,
                                          workers=workers, progress=progress, simulate=simulate)
    if not outcome.interrupted and outcome.failed == 0 and outcome.lost == 0:
        from .experiment_report import write_report

        write_report(exp, out)
    return exp, out, outcome
