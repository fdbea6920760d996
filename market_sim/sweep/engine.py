"""Sweep execution: every run is a pure function of (base config, its parameters, its seed);
runs go to local worker processes or a Dask cluster; finished runs stream to Parquet chunks.

On disk (the sweep directory):
    sweep.yaml          the sweep config as given, plus `base_config.yaml` (resolved base)
    points.parquet      the design points (point_id + parameters)
    chunks/runs-000007.parquet     one row per run: parameters, status, error, market outcomes
    chunks/vendors-000007.parquet  one row per run x vendor: falls behind?, final shares, status
    chunks/market-000007.parquet   (outputs.monthly) one row per run x month
    manifest.json       every committed chunk's run ids and file checksums (chunks.py), the commit

A chunk file is written to a temporary name and renamed, so it is whole or absent; the manifest,
replaced after the chunk's files, commits its runs. `--resume` verifies the committed chunks,
drops missing or corrupt ones and files no manifest lists, and runs only what is missing (and
what failed), so a killed sweep ends with every run exactly once.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from tqdm import tqdm

from ..config import Config, ConfigError, load_config
from ..execution import WorkerLost, child_seed, pool_imap
from ..posterior import (
    DEFAULT_RUNS_PER_DRAW,
    Posterior,
    check_same_posterior,
    draw_of_replication,
    load_posterior,
    stored_posterior,
    with_precedence,
    write_record,
)
from .checks import check_writable_dir, probe_dask
from .chunks import ChunkWriter, load_results, write_json_atomic
from .config import SweepConfig, load_sweep
from .design import design_points

__all__ = ["ChunkWriter", "Job", "ParameterPoints", "RunSpec", "ScenarioRuns", "SweepOutcome", "execute_run",
           "execute_runs", "load_results", "run_sweep", "run_specs"]

# simulate(config, seed) -> {"market_month", "outcomes", ...} tables: runner.simulate_outcomes unless
# a caller (a test) passes another picklable function
Simulate = Callable[[Config, np.random.SeedSequence], dict]
DEFAULT_RETRIES = 2   # a failed run is attempted up to 1 + DEFAULT_RETRIES times


@dataclass(frozen=True)
class ParameterPoints:
    """The runs of a parameter sweep: each is the base config with its point's parameters."""

    base: dict

    def config_for(self, spec: RunSpec) -> Config:
        """The base with the run's posterior draw (if any), then its point's parameters: a swept
        parameter's value wins over the draw's."""
        return load_config(self.base, with_precedence(spec.draw, spec.params))


@dataclass(frozen=True)
class ScenarioRuns:
    """The runs of a scenario experiment: each is one of the named, validated configs."""

    configs: dict[str, Config]

    def config_for(self, spec: RunSpec) -> Config:
        """The scenario's config, with the run's posterior draw (if any) applied."""
        cfg = self.configs[spec.params["scenario"]]
        return load_config(cfg, spec.draw) if spec.draw else cfg


Job = ParameterPoints | ScenarioRuns


@dataclass(frozen=True, kw_only=True)
class RunSpec:
    """One run: its ids, the parameters it records (a sweep's point, or {"scenario": name}),
    and its seed: child `seed_key` of SeedSequence(seed)."""

    run_id: int
    point_id: int = 0
    replication: int = 0
    params: dict = field(default_factory=dict)
    seed: int = 0
    seed_key: int = 0    # run_id (per_run) or replication (common random numbers)
    monthly: bool = False
    posterior_draw: int = -1     # the posterior draw whose parameters `draw` holds (-1: no posterior)
    draw: dict = field(default_factory=dict)


def with_draws(specs: list[RunSpec], posterior: Posterior | None, base_seed: int, runs_per_draw: int) -> list[RunSpec]:
    """The specs with their posterior draws: replication r uses draw r // runs_per_draw of the
    posterior, seeded by `base_seed` (the same draws at every point / in every scenario); unchanged
    without a posterior."""
    if posterior is None:
        return specs
    cache: dict[int, dict] = {}
    out = []
    for s in specs:
        j = draw_of_replication(s.replication, runs_per_draw)
        if j not in cache:
            cache[j] = posterior.draw_for(base_seed, j)
        out.append(replace(s, posterior_draw=j, draw=cache[j]))
    return out


def run_seed(spec: RunSpec) -> np.random.SeedSequence:
    """The run's seed; never the engine, worker or time."""
    return child_seed(spec.seed, spec.seed_key)


def execute_run(job: Job, spec: RunSpec, simulate: Simulate | None = None) -> dict:
    """Run one sweep run. Never raises: a failure is returned as a failed run with its error."""
    if simulate is None:
        from ..runner import simulate_outcomes as simulate

    started = time.perf_counter()
    row = {"run_id": spec.run_id, "point_id": spec.point_id, "replication": spec.replication,
           **({"posterior_draw": spec.posterior_draw} if spec.posterior_draw >= 0 else {}), **spec.params}
    try:
        tables = simulate(job.config_for(spec), run_seed(spec))
        market, outcomes = tables["market_month"], tables["outcomes"]
        last = market.iloc[-1]
        tail = outcomes["vendor"].str.startswith("tail_")
        row.update(status="ok", error="", frontier_vendors=int(last["n_frontier"]),
                   price_index=float(last["price_index"]),
                   hhi_consumer=float(last["hhi_consumer"]), total_mau=float(last["total_mau"]),
                   long_tail_survivors=int((~outcomes.loc[tail, "falls_behind"]).sum()))
        outcomes.insert(0, "run_id", spec.run_id)
        result = {"runs": row, "vendors": outcomes}
        if spec.monthly:
            market.insert(0, "run_id", spec.run_id)
            result["market"] = market
    except Exception as e:  # recorded, not fatal
        tb = traceback.extract_tb(e.__traceback__)
        where = f" at {Path(tb[-1].filename).name}:{tb[-1].lineno}" if tb else ""
        row.update(status="failed", error=f"{type(e).__name__}: {e}{where}")
        result = {"runs": row}
    row["seconds"] = time.perf_counter() - started
    return result


# ---------------------------------------------------------------------------------------- engines
_WORKER_JOB: tuple[Job, Simulate | None] | None = None


def _init_worker(job: Job, simulate: Simulate | None) -> None:
    global _WORKER_JOB
    _WORKER_JOB = (job, simulate)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle


def _run_in_worker(spec: RunSpec) -> dict:
    job, simulate = _WORKER_JOB
    return execute_run(job, spec, simulate)


def _local(job: Job, specs: list[RunSpec], workers: int, simulate: Simulate | None) -> Iterator[dict]:
    if workers <= 1:
        for s in specs:
            yield execute_run(job, s, simulate)
        return
    yield from pool_imap(_run_in_worker, specs, workers, initializer=_init_worker, initargs=(job, simulate))


def _dask(job: Job, specs: list[RunSpec], address: str, workers: int, simulate: Simulate | None) -> Iterator[dict]:
    from distributed import Client, LocalCluster, as_completed

    cluster = None
    if address == "local":
        import dask

        # the workers' statistical profiler samples every 10 ms and made runs 1.27x slower
        with dask.config.set({"distributed.worker.profile.enabled": False}):
            cluster = LocalCluster(n_workers=max(workers, 1), threads_per_worker=1, processes=True,
                                   dashboard_address=None, host="127.0.0.1")
        client = Client(cluster)
    else:
        client = Client(address, timeout="30s")
    try:
        n_workers = max(len(client.scheduler_info().get("workers", {})), 1)
        job_future = client.scatter(job, broadcast=True)
        queue = iter(specs)
        in_flight = 4 * n_workers  # bounded: memory stays flat however many runs the sweep has
        futures = as_completed()
        for spec in queue:
            futures.add(client.submit(execute_run, job_future, spec, simulate, pure=False))
            if futures.count() >= in_flight:
                break
        for fut in futures:
            yield fut.result()
            fut.release()
            nxt = next(queue, None)
            if nxt is not None:
                futures.add(client.submit(execute_run, job_future, nxt, simulate, pure=False))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


# ---------------------------------------------------------------------------------------- driver
@dataclass
class SweepOutcome:
    directory: Path
    total: int
    done: int
    failed: int
    ran_now: int
    seconds: float
    interrupted: bool = False
    errors: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)   # missing or corrupt chunks found, whose runs ran again
    lost: int = 0   # runs neither done nor failed although not interrupted (their worker died every attempt)


def prepare(sweep_path: Path, out: Path) -> tuple[SweepConfig, dict, pd.DataFrame]:
    """Validate the sweep, then create its directory (nothing is written for a bad sweep)."""
    sweep, _, base = load_sweep(sweep_path)
    points = design_points(sweep.design)
    if out.exists() and any(out.iterdir()):
        raise ConfigError(f"{out} exists and is not empty; use --resume {out} to complete it, or another --out",
                          path="--out", value=str(out))
    (out / "chunks").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(sweep_path, out / "sweep.yaml")
    (out / "base_config.yaml").write_text(yaml.safe_dump(base, sort_keys=False))
    points.insert(0, "point_id", np.arange(len(points)))
    points.to_parquet(out / "points.parquet", index=False)
    write_json_atomic(out / "source.json", {"sweep_file": str(sweep_path.resolve())})
    return sweep, base, points


def reopen(out: Path) -> tuple[SweepConfig, dict, pd.DataFrame]:
    """The sweep stored in a sweep directory (for --resume)."""
    if not (out / "sweep.yaml").exists() or not (out / "points.parquet").exists():
        raise ConfigError("not a sweep directory (no sweep.yaml / points.parquet)", file=out)
    sweep = SweepConfig.model_validate(yaml.safe_load((out / "sweep.yaml").read_text()))
    base = yaml.safe_load((out / "base_config.yaml").read_text())
    points = pd.read_parquet(out / "points.parquet")
    return sweep, base, points


def run_specs(sweep: SweepConfig, points: pd.DataFrame) -> list[RunSpec]:
    names = [c for c in points.columns if c != "point_id"]
    specs = []
    for p, values in enumerate(points[names].itertuples(index=False, name=None)):
        params = {n: (v.item() if hasattr(v, "item") else v) for n, v in zip(names, values)}
        for r in range(sweep.replications):
            run_id = p * sweep.replications + r
            key = r if sweep.seeds == "common" else run_id
            specs.append(RunSpec(run_id=run_id, point_id=p, replication=r, params=params, seed=sweep.seed,
                                 seed_key=key, monthly=sweep.outputs.monthly))
    return specs


def run_sweep(sweep_path: str | Path | None, out: str | Path, workers: int = 1, dask: str | None = None,
              resume: bool = False, progress: bool = True, simulate: Simulate | None = None,
              retries: int = DEFAULT_RETRIES, allow_large: bool = False, posterior: str | Path | None = None,
              runs_per_draw: int = DEFAULT_RUNS_PER_DRAW) -> SweepOutcome:
    """Run (or, with resume=True, complete) a sweep into `out`. `simulate` (picklable) replaces
    runner.simulate, for tests. Refuses (ConfigError) before writing anything: a bad sweep, a bad
    posterior, an unreachable Dask scheduler, results that would not fit on the disk, another writer.

    With a `posterior` directory, replication r of every point runs with posterior draw
    r // runs_per_draw (seeded by the sweep's seed), the point's swept values winning over the
    draw's; the sweep directory records it (posterior.json, posterior_draws.csv). A resumed sweep
    uses the posterior it started with; one given on resume must be that one."""
    from ..execution import directory_lock
    from ..limits import check_disk, check_memory

    out = Path(out)
    if dask:
        probe_dask(dask)
    check_writable_dir(out)
    with directory_lock(out):
        if resume:
            sweep, base, points = reopen(out)
            if posterior is not None:
                post = load_posterior(posterior, base)
                check_same_posterior(out, post, runs_per_draw)
            else:
                post, runs_per_draw = stored_posterior(out, base)
        else:
            sweep, base_cfg, _ = load_sweep(Path(sweep_path))
            post = None if posterior is None else load_posterior(posterior, base_cfg)
            check_memory(base_cfg, workers=workers, allow_large=allow_large, file=sweep_path)
            check_disk(len(design_points(sweep.design)) * sweep.replications, base_cfg, out, allow_large=allow_large)
            sweep, base, points = prepare(Path(sweep_path), out)
            write_record(out, post, runs_per_draw, sweep.seed, sweep.replications)
        specs = with_draws(run_specs(sweep, points), post, sweep.seed, runs_per_draw)
        return execute_runs(out, ParameterPoints(base), specs, chunk_runs=sweep.chunk_runs,
                            name=sweep.name, workers=workers, dask=dask, progress=progress, simulate=simulate,
                            retries=retries)


def _engine(job: Job, specs: list[RunSpec], workers: int, dask: str | None, simulate: Simulate | None):
    return _dask(job, specs, dask, workers, simulate) if dask else _local(job, specs, workers, simulate)


def _run_pass(engine, writer: ChunkWriter, bar, hold_failures: bool, seen: set[int]) -> list[int]:
    """Feed one pass's results to the writer (adding their run ids to `seen`); failed runs are
    held back (not written) when they will be retried. Returns the run ids held back."""
    held = []
    try:
        for result in engine:
            seen.add(int(result["runs"]["run_id"]))
            if result["runs"]["status"] == "failed" and hold_failures:
                held.append(int(result["runs"]["run_id"]))
                continue
            writer.add(result)
            bar.update()
            if result["runs"]["status"] == "failed":
                bar.set_postfix(failed=len(writer.failed) + sum(r["runs"]["status"] == "failed" for r in writer.buffer))
    finally:
        engine.close()
    return held


def execute_runs(out: Path, job: Job, specs: list[RunSpec], *, chunk_runs: int, name: str, workers: int = 1,
                 dask: str | None = None, progress: bool = True, simulate: Simulate | None = None,
                 retries: int = DEFAULT_RETRIES) -> SweepOutcome:
    """Run the specs not yet committed as done in `out`'s chunks (all of them the first time; a
    run recorded as failed is run again), stream the results to chunks, and count what is done.
    A failed run is retried up to `retries` times before it is recorded as failed. Ctrl-C stops
    cleanly: what finished is kept."""
    writer = ChunkWriter(out, chunk_runs, len(specs))
    by_id = {s.run_id: s for s in specs}
    pending = [s for s in specs if s.run_id not in writer.done]
    started = time.perf_counter()
    ran = 0
    interrupted = False
    lost_error = ""
    bar = tqdm(total=len(specs), initial=len(specs) - len(pending), desc=name, unit="run", disable=not progress,
               smoothing=0.05)
    clean = False
    try:
        for attempt in range(retries + 1):
            seen: set[int] = set()
            try:
                held = _run_pass(_engine(job, pending, workers, dask, simulate), writer, bar, attempt < retries, seen)
            except WorkerLost as e:  # the runs not finished ok in this pass are run again
                lost_error = str(e)
                ok = writer.done | {int(r["runs"]["run_id"]) for r in writer.buffer if r["runs"]["status"] == "ok"}
                held = [s.run_id for s in pending if s.run_id not in ok]
            ran += len(seen)
            pending = [by_id[i] for i in sorted(held)]
            if not pending:
                break
        clean = True
    except KeyboardInterrupt:
        interrupted = clean = True
    finally:
        bar.close()
        if clean:
            writer.flush()
        else:  # keep what finished if we can; the error in flight (e.g. a full disk) is what counts
            with contextlib.suppress(OSError):
                writer.flush()
    errors = []
    if writer.failed:
        runs = load_results(out)["runs"]
        errors = runs.loc[runs["status"] == "failed", "error"].head(5).tolist()
    lost = 0 if interrupted else len(specs) - len(writer.done) - len(writer.failed)
    if lost:
        errors.append(f"{lost} run(s) lost: {lost_error}")
    return SweepOutcome(out, len(specs), len(writer.done), len(writer.failed), ran, time.perf_counter() - started,
                        interrupted, errors, dropped=writer.dropped, lost=lost)
