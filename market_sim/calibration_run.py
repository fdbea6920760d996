"""Running a calibration (`market-sim calibrate`): settings, the pyabc history on disk, resume,
the synthetic (identifiability) test, and the products written at the end. The method and its
pure pieces are in calibration.py; tables and figures in calibration_report.py."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import yaml

from . import calibration as abc_method
from .config import ConfigError, load_config
from .priors import Prior, priors

SYNTHETIC_SPAWN_KEY = 2**31 - 29  # never a replication's or a candidate's spawn key
SETTINGS_FILE = "calibration.json"
STOPPING_RULE = ("generations", "min_acceptance_rate")
HISTORY_FILE = "abc.db"


@dataclass(frozen=True)
class Settings:
    """Everything that decides the posterior: a resumed calibration must match it exactly."""

    config: str
    overrides: dict
    targets_files: list[str]
    population: int
    generations: int
    replications: int
    seed: int
    min_acceptance_rate: float
    synthetic: bool
    screening: int
    adaptive_max: int


def calibration_config(config_path: Path, overrides: dict):
    """The config a calibration runs: the window is 2024 (CALIBRATION_MONTHS from the start)."""
    return load_config(config_path, {**overrides, "run.months": abc_method.CALIBRATION_MONTHS})


def calibration_targets(targets_files: list[Path], cfg) -> tuple[list[abc_method.CalibrationTarget], list[dict]]:
    """Targets measured inside the window (used) and the others (left out, with why)."""
    from .calendar import month_label
    from .validation import FACTS_FILES, load_targets

    last_month = month_label(cfg.run.start, cfg.run.months - 1)
    facts = {src: {f["id"]: f for f in yaml.safe_load(Path(p).read_text())["facts"]}
             for src, p in FACTS_FILES.items() if Path(p).is_file()}
    used, left_out = [], []
    for path in targets_files:
        for t in load_targets(path):
            if not abc_method.within_window(t, last_month, int(last_month[:4])):
                why = f"measured after the calibration window (ends {last_month})"
                left_out.append({"target": t["id"], "why": why})
                continue
            fact = facts.get(t["source"], {}).get(t["fact"])
            used.append(abc_method.CalibrationTarget(t["id"], t["measure"], t.get("params", {}), t["source"],
                                                     t["fact"], abc_method.fact_noise(fact)))
    return used, left_out


def synthetic_truth(prior_list: list[Prior], seed: int) -> dict[str, float | int]:
    """A known parameter set drawn from the prior (seeded apart from everything else)."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(SYNTHETIC_SPAWN_KEY,)))
    return {p.key: abc_method.from_unit(p, rng.uniform()) for p in prior_list}


def check_out(out: Path, settings: Settings, resume: bool) -> bool:
    """True when an earlier calibration with the same settings is to be continued. Refuses
    (ConfigError) a directory that holds something else, or a different calibration."""
    saved = out / SETTINGS_FILE
    if resume:
        if not saved.is_file():
            if out.exists() and any(out.iterdir()):
                raise ConfigError(f"--resume: {out} holds no calibration ({SETTINGS_FILE} missing)", path="--out")
            return False
        before = json.loads(saved.read_text())["settings"]
        now = json.loads(json.dumps(asdict(settings)))
        # the stopping rule may change: generations done so far do not depend on it
        diff = sorted(k for k in now if k not in STOPPING_RULE and before.get(k) != now[k])
        if diff:
            raise ConfigError(f"--resume: {out} is a calibration with other settings ({', '.join(diff)}: "
                              f"{[before.get(k) for k in diff]} there, {[now[k] for k in diff]} now); "
                              "use the same options or another --out", path="--out")
        return (out / HISTORY_FILE).is_file()
    if out.exists() and any(out.iterdir()):
        hint = " (an earlier calibration: --resume continues it)" if saved.is_file() else ""
        raise ConfigError(f"--out {out}: exists and is not empty{hint}; choose another directory", path="--out")
    return False


def run_calibration(config_path: Path, out: Path, *, overrides: dict | None = None,
                    targets_files: list[Path] | None = None, population: int = 200, generations: int = 8,
                    replications: int = 3, seed: int = 0, workers: int = 1, dask_address: str | None = None,
                    min_acceptance_rate: float = 0.02, synthetic: bool = False, resume: bool = False,
                    screening: int = 400, adaptive_max: int = 12, say: Callable[[str], None] = print) -> dict:
    """Calibrate, then write the posterior and diagnostics into `out`. Returns the summary."""
    from .validation import TARGETS_FILE

    overrides = dict(overrides or {})
    targets_files = [Path(p) for p in (targets_files or [TARGETS_FILE])]
    settings = Settings(str(config_path), overrides, [str(p) for p in targets_files], population, generations,
                        replications, seed, min_acceptance_rate, synthetic, screening, adaptive_max)
    cfg = calibration_config(config_path, overrides)
    prior_list = priors(cfg)
    if not prior_list:
        raise ConfigError(f"{config_path}: no parameter has a prior range", path="(schema)")
    targets, left_out = calibration_targets(targets_files, cfg)
    if not targets:
        raise ConfigError(f"{', '.join(map(str, targets_files))}: no target inside the calibration window",
                          path="targets")
    continuing = check_out(out, settings, resume)
    dask_client = _dask_client(dask_address)  # before anything is written: a bad address is refused
    out.mkdir(parents=True, exist_ok=True)

    config_data = cfg.model_dump(mode="json")
    ids = [t.id for t in targets]
    truth = synthetic_truth(prior_list, seed) if synthetic else None
    if synthetic:
        one_history = np.random.SeedSequence(seed, spawn_key=(SYNTHETIC_SPAWN_KEY, 1))
        observed = dict(zip(ids, abc_method.history_patterns(load_config(config_data, truth), one_history,
                                                             targets).tolist()))
    else:
        observed = {i: 1.0 for i in ids}
    weights = abc_method.target_weights([t.noise for t in targets], replications)
    meta = {"settings": asdict(settings), "priors": [asdict(p) for p in prior_list],
            "targets": [asdict(t) | {"weight": float(w), "observed": observed[t.id]} for t, w in zip(targets, weights)],
            "left_out": left_out, "truth": truth}
    before = json.loads((out / SETTINGS_FILE).read_text()) if (out / SETTINGS_FILE).is_file() else {}
    meta["started_at"] = before.get("started_at") or datetime.now().isoformat(timespec="seconds")

    logging.getLogger("ABC").setLevel(logging.ERROR)  # its per-proposal warnings would flood the terminal
    np.random.seed(seed % 2**32)
    sampler = abc_method.SeededBatchSampler(seed, workers=workers, dask_client=dask_client, report=say)
    distance = abc_method.TargetDistance(ids, weights)
    if "screening" in before:
        meta["screening"] = before["screening"]
    else:
        say(f"screening: {screening} parameter sets from the prior, to choose the parameters the proposal adapts to")
        meta["screening"] = screen(out, config_data, prior_list, targets, replications, screening, adaptive_max,
                                   seed, sampler, distance, observed)
    (out / SETTINGS_FILE).write_text(json.dumps(meta, indent=1, default=str))  # on resume too: the stopping rule
    adaptive = [p for p in prior_list if p.key in meta["screening"]["adaptive"]]
    free = [p for p in prior_list if p.key not in meta["screening"]["adaptive"]]
    model = abc_method.HistoryModel(config_data, adaptive, free, targets, replications)
    abc = abc_method.pyabc.ABCSMC(model, abc_method.pyabc_prior(adaptive), distance, population_size=population,
                                  transitions=abc_method.transition(adaptive), sampler=sampler)
    db = f"sqlite:///{(out / HISTORY_FILE).resolve()}"
    if continuing:
        abc.load(db, 1)
        done = abc.history.max_t + 1
        say(f"resuming {out}: {done} generation(s) done")
    else:
        abc.new(db, observed)
        done = 0
    started = time.perf_counter()
    remaining = generations - done
    if remaining > 0 and not _stopped_early(abc.history, min_acceptance_rate):
        say(f"calibrating {len(prior_list)} parameters ({len(adaptive)} adapted, {len(free)} proposed from their "
            f"prior) against {len(targets)} targets: population {population}, up to {generations} generations, "
            f"{replications} histories per particle, {workers} worker(s)")
        abc.run(max_nr_populations=remaining, min_acceptance_rate=min_acceptance_rate)
    seconds = time.perf_counter() - started

    from .calibration_report import write_products

    summary = write_products(out, abc.history, adaptive, free, targets, meta, seconds)
    _close_dask(sampler.dask_client)
    return summary


def screen(out: Path, config_data: dict, prior_list: list[Prior], targets, replications: int, n: int,
           adaptive_max: int, seed: int, sampler, distance, observed: dict) -> dict:
    """A pilot from the prior: every parameter drawn from its prior for `n` candidates (seeded by
    calibration.screen_seed), each parameter's |Spearman rho| with the distance, and the
    parameters the proposal will adapt to (calibration.choose_adaptive). Writes screening.parquet."""
    import pandas as pd

    pilot = abc_method.HistoryModel(config_data, [], prior_list, targets, replications)
    seeds = [abc_method.screen_seed(seed, i) for i in range(n)]
    with sampler.evaluator(lambda: pilot({})) as evaluate:
        stats = list(evaluate(seeds))
    units = np.array([[st[abc_method.UNIT_PREFIX + p.key] for p in prior_list] for st in stats])
    d = np.array([distance(st, observed) for st in stats])
    rho = abc_method.influence(units, d)
    chosen = abc_method.choose_adaptive(rho, n, adaptive_max)
    table = pd.DataFrame(units, columns=[p.key for p in prior_list]).assign(distance=d)
    table.to_parquet(out / "screening.parquet", index=False)
    return {"candidates": n, "threshold": 3.0 / np.sqrt(n), "adaptive_max": adaptive_max,
            "influence": {p.key: float(r) for p, r in zip(prior_list, rho)},
            "adaptive": [prior_list[i].key for i in chosen]}


def _stopped_early(history, min_acceptance_rate: float) -> bool:
    """A finished calibration whose last generation fell below the acceptance floor is done."""
    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0]
    if pops.empty:
        return False
    last = pops.iloc[-1]
    return bool(last["particles"] / max(last["samples"], 1) < min_acceptance_rate)


def _dask_client(address: str | None):
    if not address:
        return None
    from distributed import Client, LocalCluster

    if address == "local":
        return Client(LocalCluster(n_workers=2, threads_per_worker=1, processes=True))
    try:
        return Client(address, timeout=10)
    except (OSError, ValueError, TypeError) as e:
        raise ConfigError(f"--dask {address}: cannot connect to a Dask scheduler there ({e})", path="--dask") from e


def _close_dask(client) -> None:
    if client is None:
        return
    cluster = getattr(client, "cluster", None)
    client.close()
    if cluster is not None:
        cluster.close()

