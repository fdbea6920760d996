"""Sweeps: identical results whatever the engine, resume after SIGKILL, failed runs recorded,
bad sweep configs rejected, and the report."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from market_sim.cli import app
from market_sim.sweep import load_results, run_sweep

from .conftest import BASELINE, free_port

BIN = Path(sys.executable).parent
runner = CliRunner()
SMALL = "{scale.consumers: 400, scale.enterprises: 50, run.months: 6, long_tail.count: 4}"


def write_sweep(tmp_path, design: str, replications: int = 2, chunk_runs: int = 3, name: str = "t") -> Path:
    f = tmp_path / f"{name}.yaml"
    f.write_text(f"name: {name}\nbase: {BASELINE}\nset: {SMALL}\n{design}\nreplications: {replications}\n"
                 f"seed: 11\nchunk_runs: {chunk_runs}\n")
    return f


GRID = """design:
  kind: grid
  parameters:
    price_war.intensity: [0.5, 1.5]
    market.funding_climate_scale: [0.5, 1.0, 1.5]"""


def _tables(directory):
    res = load_results(directory)
    return {k: v.drop(columns=[c for c in ("seconds",) if c in v]) for k, v in res.items()}


def _assert_same(a, b):
    assert a.keys() == b.keys()
    for k in a:
        pd.testing.assert_frame_equal(a[k], b[k])


@pytest.mark.slow
def test_one_and_two_workers_give_identical_tables(tmp_path):
    f = write_sweep(tmp_path, GRID)
    one = run_sweep(f, tmp_path / "w1", workers=1, progress=False)
    two = run_sweep(f, tmp_path / "w2", workers=2, progress=False)
    assert one.done == two.done == 12 and one.failed == 0
    _assert_same(_tables(tmp_path / "w1"), _tables(tmp_path / "w2"))
    runs = load_results(tmp_path / "w1")["runs"]
    assert runs["run_id"].tolist() == list(range(12))
    assert set(runs["price_war.intensity"]) == {0.5, 1.5}


@pytest.fixture
def dask_cluster(tmp_path):
    """A real cluster: one `dask scheduler` and two `dask worker` processes on 127.0.0.1."""
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs = [subprocess.Popen([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--no-dashboard"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True, cwd=tmp_path)]
    for _ in range(2):
        procs.append(subprocess.Popen([str(BIN / "dask"), "worker", address, "--nworkers", "1", "--nthreads", "1",
                                       "--no-dashboard", "--host", "127.0.0.1"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                                      cwd=tmp_path))
    from distributed import Client

    try:
        with Client(address, timeout="30s") as c:
            c.wait_for_workers(2, timeout=60)
        yield address
    finally:
        for p in procs:
            os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)


@pytest.mark.dask
@pytest.mark.slow
def test_dask_cluster_gives_the_same_tables_as_local_processes(tmp_path, dask_cluster):
    f = write_sweep(tmp_path, GRID)
    local = run_sweep(f, tmp_path / "local", workers=2, progress=False)
    remote = run_sweep(f, tmp_path / "dask", dask=dask_cluster, progress=False)
    assert local.done == remote.done == 12
    _assert_same(_tables(tmp_path / "local"), _tables(tmp_path / "dask"))


def start_sweep_and_wait(sweep_file, out, chunks: int, **popen) -> subprocess.Popen:
    """Start `market-sim sweep` in its own process group; return once `chunks` runs chunks are
    on disk (the sweep still running)."""
    proc = subprocess.Popen([str(BIN / "market-sim"), "sweep", str(sweep_file), "--out", str(out), "--workers", "2",
                             "--quiet"], start_new_session=True, **popen)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if (out / "chunks").exists() and len(list((out / "chunks").glob("runs-*.parquet"))) >= chunks:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the sweep finished before it could be interrupted"
    return proc


@pytest.mark.slow
def test_sigkill_mid_sweep_then_resume_has_every_run_exactly_once(tmp_path):
    design = """design:
  kind: latin_hypercube
  samples: 20
  seed: 5
  parameters:
    price_war.intensity: {min: 0.25, max: 2.0}
    talent.mobility: {min: 0.005, max: 0.08}"""
    f = write_sweep(tmp_path, design, replications=2, chunk_runs=2)
    out = tmp_path / "killed"
    proc = start_sweep_and_wait(f, out, 4, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.killpg(proc.pid, signal.SIGKILL)  # parent and workers, mid-write if it happens
    proc.wait()
    before = load_results(out)["runs"]
    assert 0 < len(before) < 40
    r = runner.invoke(app, ["sweep", "--resume", str(out), "--quiet"])
    assert r.exit_code == 0, r.output
    after = load_results(out)["runs"]
    assert sorted(after["run_id"]) == list(range(40))  # every run exactly once
    assert not list((out / "chunks").glob("*.tmp"))
    # and the resumed sweep equals an uninterrupted one
    run_sweep(f, tmp_path / "whole", workers=1, progress=False)
    _assert_same(_tables(out), _tables(tmp_path / "whole"))


@pytest.mark.slow
def test_failing_runs_are_recorded_not_fatal(tmp_path):
    from .faults import FailingRuns

    f = write_sweep(tmp_path, GRID)
    outcome = run_sweep(f, tmp_path / "out", workers=2, progress=False, simulate=FailingRuns(frozenset({1, 4})))
    assert (outcome.done, outcome.failed) == (10, 2)
    runs = load_results(tmp_path / "out")["runs"].set_index("run_id")
    assert list(runs.index[runs["status"] == "failed"]) == [1, 4]
    assert "injected failure for run 4" in runs.loc[4, "error"]
    assert runs.loc[4, "price_war.intensity"] == 0.5  # with its parameters
    vendors = load_results(tmp_path / "out")["vendors"]
    assert not vendors["run_id"].isin([1, 4]).any()
    r = runner.invoke(app, ["report", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    assert "Failed runs" in (tmp_path / "out" / "report" / "report.md").read_text()


@pytest.mark.slow
def test_report_grid_heatmaps_and_prim(tmp_path):
    f = write_sweep(tmp_path, GRID, replications=3)
    run_sweep(f, tmp_path / "g", workers=2, progress=False)
    r = runner.invoke(app, ["report", str(tmp_path / "g"), "--vendor", "stepfun"])
    assert r.exit_code == 0, r.output
    rep = tmp_path / "g" / "report"
    assert (rep / "figures" / "falls_behind_over_parameters.png").stat().st_size > 20_000
    text = (rep / "report.md").read_text()
    assert "P(falls behind) over the whole sweep" in text and "stepfun" in text
    assert "Scenario discovery" in text


@pytest.mark.slow
def test_report_sobol_indices_with_intervals(tmp_path):
    design = """design:
  kind: sobol
  samples: 8
  seed: 1
  parameters:
    price_war.intensity: {min: 0.25, max: 2.0}
    market.funding_climate_scale: {min: 0.4, max: 1.6}
    talent.mobility: {min: 0.005, max: 0.08}"""
    f = write_sweep(tmp_path, design, replications=1, chunk_runs=10)
    out = run_sweep(f, tmp_path / "s", workers=2, progress=False)
    assert out.done == 8 * (3 + 2)  # Saltelli without second order: N (D + 2)
    r = runner.invoke(app, ["report", str(tmp_path / "s")])
    assert r.exit_code == 0, r.output
    sens = pd.read_csv(tmp_path / "s" / "report" / "sensitivity.csv")
    assert {"S1", "ST"} <= set(sens["index"].dropna()) and (sens["ci95"].dropna() >= 0).all()
    assert (tmp_path / "s" / "report" / "figures" / "sensitivity.png").exists()


@pytest.mark.slow
def test_existing_directory_needs_resume(tmp_path):
    f = write_sweep(tmp_path, GRID)
    run_sweep(f, tmp_path / "o", workers=1, progress=False)
    r = runner.invoke(app, ["sweep", str(f), "--out", str(tmp_path / "o"), "--quiet"])
    assert r.exit_code == 2 and "--resume" in r.output


BAD = {
    "unknown_parameter": ("design:\n  kind: grid\n  parameters:\n    price_war.intensty: [0.5, 1]",
                          ["design.parameters.price_war.intensty", "does not exist", "did you mean 'intensity'"]),
    "out_of_range_value": ("design:\n  kind: grid\n  parameters:\n    price_war.intensity: [0.5, 9]",
                           ["design.parameters.price_war.intensity", "9", "<= 5"]),
    "grid_with_range": ("design:\n  kind: grid\n  parameters:\n    price_war.intensity: {min: 0, max: 1}",
                        ["design", "a grid takes a list of values"]),
    "sampled_with_list": ("design:\n  kind: sobol\n  parameters:\n    price_war.intensity: [0.5, 1]\n"
                          "    talent.mobility: [0.1, 0.2]",
                          ["design", "takes {min, max}"]),
    "min_above_max": ("design:\n  kind: latin_hypercube\n  parameters:\n    price_war.intensity: {min: 2, max: 1}",
                      ["max (1.0) must be greater than min (2.0)"]),
    "unknown_design": ("design:\n  kind: factorial\n  parameters:\n    price_war.intensity: [1]",
                       ["design.kind", "factorial", "grid"]),
}


BAD.update({
    "int_range_outside_schema": ("design:\n  kind: latin_hypercube\n  parameters:\n"
                                 "    financing.raise_cooldown_months: {min: -2, max: 6, kind: int}",
                                 ["design.parameters.financing.raise_cooldown_months", "-2", ">= 0"]),
    "float_range_over_int_key": ("design:\n  kind: latin_hypercube\n  parameters:\n"
                                 "    financing.raise_cooldown_months: {min: 2, max: 12}",
                                 ["design.parameters.financing.raise_cooldown_months", "integer", "kind: int"]),
    "int_range_fractional_ends": ("design:\n  kind: latin_hypercube\n  parameters:\n"
                                  "    financing.raise_cooldown_months: {min: 1.5, max: 6, kind: int}",
                                  ["whole-number ends"]),
})


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_sweep_configs_are_rejected(tmp_path, case):
    design, expected = BAD[case]
    f = write_sweep(tmp_path, design)
    out = tmp_path / "out"
    r = runner.invoke(app, ["sweep", str(f), "--out", str(out), "--quiet"])
    assert r.exit_code == 2, r.output
    assert str(f) in r.output
    for needle in expected:
        assert needle in r.output, (needle, r.output)
    assert not out.exists()


def test_unknown_top_level_key_and_missing_base(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text(f"name: x\nbase: {BASELINE}\nreplicatons: 3\n{GRID}\n")
    r = runner.invoke(app, ["sweep", str(f), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "did you mean 'replications'" in r.output
    f.write_text(f"name: x\nbase: nowhere.yaml\n{GRID}\n")
    r = runner.invoke(app, ["sweep", str(f), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "base" in r.output and "not found" in r.output
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
def test_common_random_numbers_share_a_seed_per_replication(tmp_path):
    # falls_behind.min_gap_months only changes how the horizon is judged, not the dynamics:
    # with common random numbers, every point's replication r must then simulate the same market
    design = """design:
  kind: grid
  parameters:
    falls_behind.min_gap_months: [3.0, 12.0]"""
    f = write_sweep(tmp_path, design, replications=2)
    f.write_text(f.read_text() + "seeds: common\n")
    run_sweep(f, tmp_path / "crn", workers=1, progress=False)
    runs = load_results(tmp_path / "crn")["runs"]
    by_rep = runs.groupby("replication")["total_mau"].nunique()
    assert (by_rep == 1).all()
    first = runs.groupby("replication")["total_mau"].first()
    assert first.loc[0] != first.loc[1]
    # per_run seeds (the default) give every run its own market
    f2 = write_sweep(tmp_path, design, replications=2, name="p")
    run_sweep(f2, tmp_path / "per", workers=1, progress=False)
    # (total users come in steps of the agents' weight, so two markets can tie on it: compare
    # it with the price index too)
    per = load_results(tmp_path / "per")["runs"]
    assert len(per[["total_mau", "price_index"]].drop_duplicates()) == 4


@pytest.mark.slow
def test_ctrl_c_writes_what_is_done_and_resume_completes(tmp_path):
    design = """design:
  kind: latin_hypercube
  samples: 60
  seed: 2
  parameters:
    price_war.intensity: {min: 0.25, max: 2.0}"""
    # 240 runs: the small market runs at 9-22 a second on 2 workers, so 30 could all finish
    # before the interrupt arrived
    f = write_sweep(tmp_path, design, replications=4, chunk_runs=2)
    out = tmp_path / "interrupted"
    proc = start_sweep_and_wait(f, out, 2, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal sends: the whole group
    for _ in range(3):                  # a user presses again if nothing happens (once in CI the first was lost)
        try:
            proc.wait(timeout=2)
            break
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGINT)
    output = proc.communicate(timeout=60)[0].decode()
    assert proc.returncode == 130, output
    assert "--resume" in output
    done = load_results(out)["runs"]
    assert 0 < len(done) < 240 and done["run_id"].is_unique
    r = runner.invoke(app, ["sweep", "--resume", str(out), "--quiet"])
    assert r.exit_code == 0, r.output
    assert sorted(load_results(out)["runs"]["run_id"]) == list(range(240))


def test_a_sampled_sweep_over_an_integer_key_runs(tmp_path):
    design = """design:
  kind: latin_hypercube
  samples: 6
  seed: 3
  parameters:
    financing.raise_cooldown_months: {min: 1, max: 12, kind: int}"""
    f = write_sweep(tmp_path, design, replications=1, chunk_runs=3)
    outcome = run_sweep(f, tmp_path / "int", workers=1, progress=False)
    assert (outcome.done, outcome.failed) == (6, 0), outcome.errors
    runs = load_results(tmp_path / "int")["runs"]
    values = runs["financing.raise_cooldown_months"]
    assert pd.api.types.is_integer_dtype(values) and values.between(1, 12).all()
    assert values.nunique() == 6  # a Latin hypercube: one sample per stratum


def test_int_ranges_sample_every_whole_number_deterministically():
    from market_sim.sweep.config import Design
    from market_sim.sweep.design import design_points

    design = Design.model_validate({"kind": "latin_hypercube", "samples": 400, "seed": 1,
                                    "parameters": {"a": {"min": 0, "max": 3, "kind": "int"}}})
    first, again = design_points(design)["a"], design_points(design)["a"]
    pd.testing.assert_series_equal(first, again)
    assert sorted(first.unique()) == [0, 1, 2, 3] and first.value_counts().min() == 100
