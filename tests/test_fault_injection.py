"""Issue 11: the fault-injection suite. SIGKILL at random points of run, sweep and experiment
(writes included), a full disk, read-only output, missing and corrupt chunks, failing runs,
concurrent writers, unreachable Dask, Ctrl-C. Each asserts that nothing finished is lost,
nothing is reported that was not computed, and every refusal is one line with exit status 2."""

import os
import random
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

from .conftest import SMALL
from .faults import FlakyRuns
from .test_bad_inputs import assert_refused

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent
runner = CliRunner()
TINY = "{scale.consumers: 300, scale.enterprises: 40, run.months: 4, long_tail.count: 3}"
TINY_SET = ["--set", "scale.consumers=300", "--set", "scale.enterprises=40", "--set", "run.months=4",
            "--set", "long_tail.count=3"]
GRID = """design:
  kind: grid
  parameters:
    price_war.intensity: [0.5, 1.0, 1.5]
    market.funding_climate_scale: [0.5, 1.5]"""
RUNS = 12  # 6 points x 2 replications
RNG = random.Random(11)  # the "random" kill points, fixed so that a failure can be reproduced


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def write_sweep(tmp_path: Path, chunk_runs: int = 2, design: str = GRID, replications: int = 2) -> Path:
    f = tmp_path / "s.yaml"
    f.write_text(f"name: s\nbase: {SMALL}\nset: {TINY}\n{design}\nreplications: {replications}\nseed: 3\n"
                 f"chunk_runs: {chunk_runs}\noutputs: {{monthly: true}}\n")
    return f


def tables(directory: Path) -> dict[str, pd.DataFrame]:
    res = load_results(directory)
    return {k: v.drop(columns=[c for c in ("seconds",) if c in v]) for k, v in res.items()}


def assert_same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for k in a:
        pd.testing.assert_frame_equal(a[k], b[k])


def assert_every_run_once(directory: Path, total: int = RUNS) -> None:
    t = load_results(directory)
    assert sorted(t["runs"]["run_id"]) == list(range(total))
    assert (t["runs"]["status"] == "ok").all()
    assert set(t["vendors"]["run_id"]) == set(range(total))
    assert not t["vendors"].duplicated(["run_id", "vendor"]).any()


@pytest.fixture(scope="module")
def whole(tmp_path_factory) -> Path:
    """The sweep run once without faults: what every repaired sweep must equal."""
    d = tmp_path_factory.mktemp("whole")
    outcome = run_sweep(write_sweep(d), d / "out", workers=1, progress=False)
    assert outcome.done == RUNS
    return d / "out"


# ------------------------------------------------------------------ missing and corrupt chunks
def test_deleted_chunk_is_reported_not_silently_skipped_and_resume_reruns_it(tmp_path, whole):
    f = write_sweep(tmp_path)
    out = tmp_path / "out"
    run_sweep(f, out, workers=1, progress=False)
    (out / "chunks" / "vendors-000003.parquet").unlink()
    r = invoke("report", out)
    assert_refused(r, "vendors-000003.parquet is missing", "--resume")
    assert not (out / "report").exists()
    r = invoke("sweep", "--resume", out, "--quiet")
    assert r.exit_code == 0, r.output
    assert "repaired" in r.stderr and "vendors-000003" in r.stderr
    assert_every_run_once(out)
    assert_same(tables(out), tables(whole))


def test_truncated_chunk_is_reported_and_resume_repairs_it(tmp_path, whole):
    f = write_sweep(tmp_path)
    out = tmp_path / "out"
    run_sweep(f, out, workers=1, progress=False)
    chunk = out / "chunks" / "runs-000002.parquet"
    os.truncate(chunk, chunk.stat().st_size // 2)
    assert_refused(invoke("report", out), "runs-000002.parquet is corrupt", "--resume")
    r = invoke("sweep", "--resume", out, "--quiet")
    assert r.exit_code == 0, r.output
    assert_every_run_once(out)
    assert_same(tables(out), tables(whole))
    assert invoke("report", out).exit_code == 0


def test_corrupt_bytes_inside_a_chunk_are_caught_by_the_checksum(tmp_path, whole):
    out = tmp_path / "out"
    run_sweep(write_sweep(tmp_path), out, workers=1, progress=False)
    chunk = out / "chunks" / "vendors-000005.parquet"
    data = bytearray(chunk.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte, same size
    chunk.write_bytes(bytes(data))
    assert_refused(invoke("report", out), "vendors-000005.parquet is corrupt")
    assert invoke("sweep", "--resume", out, "--quiet").exit_code == 0
    assert_same(tables(out), tables(whole))


# ------------------------------------------------------------------ failing runs
def test_transient_failures_are_retried_and_recorded_once(tmp_path, whole):
    outcome = run_sweep(write_sweep(tmp_path), tmp_path / "out", workers=2, progress=False,
                        simulate=FlakyRuns(frozenset({1, 4}), str(tmp_path)))
    assert (outcome.done, outcome.failed) == (RUNS, 0)
    assert_every_run_once(tmp_path / "out")
    assert_same(tables(tmp_path / "out"), tables(whole))


def test_remaining_failures_give_exit_1_and_resume_runs_them_again(tmp_path, whole, monkeypatch):
    import market_sim.runner

    f = write_sweep(tmp_path)
    out = tmp_path / "out"
    real = market_sim.runner.simulate_outcomes

    def failing(config, seed):  # what `market-sim sweep` runs in-process with one worker
        if seed.spawn_key[-1] in (1, 4):
            raise RuntimeError(f"injected failure for run {seed.spawn_key[-1]}")
        return real(config, seed)

    monkeypatch.setattr(market_sim.runner, "simulate_outcomes", failing)
    r = invoke("sweep", f, "--out", out, "--quiet")  # default: 2 retries
    assert r.exit_code == 1, r.output
    assert "2 run(s) failed after every retry" in r.stderr and "--resume" in r.stderr
    runs = load_results(out)["runs"]
    assert sorted(runs.loc[runs["status"] == "failed", "run_id"]) == [1, 4]
    monkeypatch.setattr(market_sim.runner, "simulate_outcomes", real)  # the cause is fixed
    r = invoke("sweep", "--resume", out, "--quiet")
    assert r.exit_code == 0, r.output
    assert_every_run_once(out)
    assert_same(tables(out), tables(whole))


# ------------------------------------------------------------------ disk full
def test_disk_full_during_a_sweep_keeps_committed_runs_and_resume_completes(tmp_path, whole, monkeypatch):
    """ENOSPC simulated at the fourth chunk file written (works without mount rights)."""
    import errno

    f = write_sweep(tmp_path)
    out = tmp_path / "out"
    real = pd.DataFrame.to_parquet
    calls = {"n": 0}

    def to_parquet(self, path, *a, **k):
        if str(path).endswith(".parquet.tmp"):
            calls["n"] += 1
            if calls["n"] >= 4:
                Path(path).write_bytes(b"PAR1 partial")
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return real(self, path, *a, **k)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", to_parquet)
    r = invoke("sweep", f, "--out", out, "--quiet")
    assert r.exit_code == 1, r.output
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "No space left on device" in lines[0] and "--resume" in lines[0], r.stderr
    assert not list((out / "chunks").glob("*.tmp"))
    kept = load_results(out)["runs"]
    assert 0 < len(kept) < RUNS  # what was committed is readable and nothing else is claimed
    monkeypatch.setattr(pd.DataFrame, "to_parquet", real)
    assert invoke("sweep", "--resume", out, "--quiet").exit_code == 0
    assert_same(tables(out), tables(whole))


@pytest.fixture
def small_fs(tmp_path):
    """A 160 KB tmpfs (skipped where mounting is not allowed)."""
    mnt = tmp_path / "fs"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=160k", "tmpfs", str(mnt)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def test_disk_full_on_a_real_small_filesystem(tmp_path, small_fs, whole):
    f = write_sweep(tmp_path, design=GRID)
    out = small_fs / "out"
    r = invoke("sweep", f, "--out", out, "--quiet")
    if r.exit_code == 0:
        pytest.skip("the sweep fitted in the small filesystem")
    assert r.exit_code == 1 and "No space left" in r.stderr, r.output
    kept = load_results(out)["runs"]
    assert kept["run_id"].is_unique and len(kept) < RUNS
    subprocess.run(["mount", "-o", "remount,size=20m", str(small_fs)], check=True)
    assert invoke("sweep", "--resume", out, "--quiet").exit_code == 0
    assert_same(tables(out), tables(whole))


def test_disk_full_while_writing_run_results_leaves_nothing(tmp_path, small_fs):
    out = small_fs / "res"
    r = invoke("run", SMALL, "-n", 2, "--out", out, "--quiet", *TINY_SET)
    assert r.exit_code == 1, r.output
    assert "could not write the results" in r.stderr and "No space left" in r.stderr
    assert not out.exists() and not [p for p in small_fs.iterdir() if p.name.startswith(".res")]


# ------------------------------------------------------------------ read-only output
def test_read_only_out_refuses_sweep_and_experiment_before_work(tmp_path):
    ro = Path("/sys")  # read-only for everyone, root included
    f = write_sweep(tmp_path)
    assert_refused(invoke("sweep", f, "--out", ro / "sweep-out"), "cannot write")
    exp = write_experiment(tmp_path)
    assert_refused(invoke("experiment", exp, "--out", ro / "exp-out"), "cannot write")


# ------------------------------------------------------------------ unreachable Dask
@pytest.mark.dask
def test_unreachable_dask_fails_fast_with_one_line_and_nothing_written(tmp_path):
    f = write_sweep(tmp_path)
    started = time.monotonic()
    r = invoke("sweep", f, "--dask", "tcp://127.0.0.1:1", "--out", tmp_path / "out")
    assert time.monotonic() - started < 10
    assert_refused(r, "cannot reach a Dask scheduler", "tcp://127.0.0.1:1")
    assert not (tmp_path / "out").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]


# ------------------------------------------------------------------ concurrent writers
def _start(args: list, **kw) -> subprocess.Popen:
    return subprocess.Popen([str(BIN / "market-sim"), *[str(a) for a in args]], start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def _wait_for(predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _wait_until_running(proc: subprocess.Popen, lock: Path, seconds: float = 4.0) -> None:
    """Until the writer holds its lock (or, for code without one, `seconds` after its start)."""
    deadline = time.monotonic() + seconds
    while not lock.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "the first writer finished too early"


def test_two_runs_into_one_out_the_second_is_refused(tmp_path):
    out = tmp_path / "res"
    first = _start(["run", SMALL, "-n", 6, "--out", out, "--quiet"])
    _wait_until_running(first, tmp_path / ".res.lock")
    r = invoke("run", SMALL, "--out", out, "--quiet", *TINY_SET)
    assert_refused(r, "being written by", str(out))
    assert first.wait(timeout=300) == 0, first.stderr.read()
    assert pd.read_parquet(out / "outcomes.parquet")["replication"].nunique() == 6  # the first one's results


def test_a_second_sweep_writer_is_refused(tmp_path):
    f = write_sweep(tmp_path, chunk_runs=1)
    out = tmp_path / "out"
    first = _start(["sweep", f, "--out", out, "--quiet"])
    _wait_for(lambda: (out / "points.parquet").exists() and (out / "sweep.yaml").exists())
    r = invoke("sweep", "--resume", out, "--quiet")
    if first.poll() is None:
        assert_refused(r, "being written by")
    assert first.wait(timeout=300) == 0, first.stderr.read()
    assert_every_run_once(out)


# ------------------------------------------------------------------ SIGKILL at random points
def _complete_or_absent(out: Path) -> bool:
    """A results directory is either whole or absent (True if whole)."""
    if not out.exists():
        return False
    for name in ("config.yaml", "vendor_month.parquet", "market_month.parquet", "events.parquet",
                 "outcomes.parquet", "summary.json", "report.md"):
        assert (out / name).is_file(), f"partial results directory: {name} missing"
    pd.read_parquet(out / "outcomes.parquet")
    return True


@pytest.mark.parametrize("kill_at", [RNG.uniform(1.5, 4.5) for _ in range(3)], ids=lambda t: f"{t:.2f}s")
def test_sigkill_of_run_at_a_random_point_leaves_whole_results_or_none(tmp_path, kill_at):
    out = tmp_path / "res"
    proc = _start(["run", SMALL, "-n", 3, "--out", out, "--quiet", *TINY_SET])
    time.sleep(kill_at)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    _complete_or_absent(out)
    r = invoke("run", SMALL, "-n", 3, "--out", out, "--quiet", *TINY_SET)
    assert r.exit_code == 0, r.output
    assert _complete_or_absent(out)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".res.")]  # temporaries and lock gone


def test_sigkill_while_writing_results_then_the_next_run_removes_the_temporary_folder(tmp_path):
    out = tmp_path / "res"
    proc = _start(["run", SMALL, "-n", 2, "--out", out, "--quiet", *TINY_SET])
    _wait_for(lambda: any(p.name.startswith(".res.tmp-") for p in tmp_path.iterdir()), timeout=120)
    os.killpg(proc.pid, signal.SIGKILL)  # mid-write: the temporary folder exists
    proc.wait()
    assert not _complete_or_absent(out)
    assert invoke("run", SMALL, "-n", 2, "--out", out, "--quiet", *TINY_SET).exit_code == 0
    assert _complete_or_absent(out)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".res.")]


def test_a_killed_writes_temporary_folder_is_removed_by_the_next_run(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    stale = tmp_path / f".res.tmp-{dead}"
    (stale / "figures").mkdir(parents=True)
    (stale / "vendor_month.parquet").write_bytes(b"half")
    assert invoke("run", SMALL, "--out", tmp_path / "res", "--quiet", *TINY_SET).exit_code == 0
    assert not stale.exists()


@pytest.mark.parametrize("kill_at", [RNG.uniform(0.5, 4.0) for _ in range(2)], ids=lambda t: f"{t:.2f}s")
def test_sigkill_of_sweep_at_a_random_point_then_resume_loses_and_repeats_nothing(tmp_path, whole, kill_at):
    f = write_sweep(tmp_path, chunk_runs=1)
    out = tmp_path / "out"
    proc = _start(["sweep", f, "--out", out, "--quiet", "--workers", "2"])
    time.sleep(kill_at)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    if out.exists() and (out / "points.parquet").exists():
        committed = load_results(out).get("runs", pd.DataFrame({"run_id": []}))  # killed before a chunk: none
        assert committed["run_id"].is_unique  # nothing reported twice; what is there was computed
        r = invoke("sweep", "--resume", out, "--quiet")
    else:  # killed before the sweep directory was made: start again
        import shutil

        shutil.rmtree(out, ignore_errors=True)
        r = invoke("sweep", f, "--out", out, "--quiet")
    assert r.exit_code == 0, r.output
    assert_every_run_once(out)
    assert_same(tables(out), tables(whole))


KILL_A_WORKER = """
import sys
from pathlib import Path
sys.path.insert(0, {root!r})
from tests.faults import KillsWorker
if __name__ == "__main__":
    from market_sim.sweep import run_sweep
    d = Path({tmp!r})
    outcome = run_sweep(d / "s.yaml", d / "out", workers=2, progress=False,
                        simulate=KillsWorker(frozenset({{3, 8}}), str(d)))
    print("done", outcome.done, "failed", outcome.failed, "lost", outcome.lost)
"""


def test_sigkill_of_a_worker_mid_run_loses_no_run(tmp_path, whole):
    """A worker killed inside a run (as the OOM killer would): multiprocessing.Pool would wait
    for its task for ever; the sweep notices within a second and runs what was lost again."""
    write_sweep(tmp_path)
    script = tmp_path / "kill_a_worker.py"
    script.write_text(KILL_A_WORKER.format(root=str(Path(__file__).resolve().parent.parent), tmp=str(tmp_path)))
    try:
        proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        pytest.fail("the sweep hangs after a worker was killed")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "done 12 failed 0 lost 0" in proc.stdout
    assert (tmp_path / "killed-3").exists() and (tmp_path / "killed-8").exists()
    assert_every_run_once(tmp_path / "out")
    assert_same(tables(tmp_path / "out"), tables(whole))


def write_experiment(tmp_path: Path, replications: int = 6, months: int = 4) -> Path:
    for name, intensity in (("base", 1.0), ("war", 2.0)):
        (tmp_path / f"{name}.yaml").write_text(
            f"extends: {SMALL}\nscale: {{consumers: 300, enterprises: 40}}\nrun: {{months: {months}}}\n"
            f"long_tail: {{count: 3}}\nprice_war: {{intensity: {intensity}}}\n")
    f = tmp_path / "exp.yaml"
    f.write_text(f"name: tiny\nquestion: does a fault lose a run?\nkind: scenarios\n"
                 f"scenarios: {{base: base.yaml, war: war.yaml}}\nreference: base\nreplications: {replications}\n"
                 "seed: 4\n"
                 "chunk_runs: 1\n")
    return f


def test_sigkill_of_experiment_then_the_same_command_completes_it(tmp_path):
    # 60 runs of 12 months: long enough that the kill (at most 0.5 s after the second chunk) lands mid-way
    # even on a fast machine; with 12 short runs the whole experiment could finish before the kill.
    f = write_experiment(tmp_path, replications=30, months=12)
    out = tmp_path / "exp"
    proc = _start(["experiment", f, "--out", out, "--quiet", "--workers", "1"])
    _wait_for(lambda: len(list((out / "chunks").glob("runs-*.parquet"))) >= 2 if (out / "chunks").exists()
              else False)
    time.sleep(RNG.uniform(0.0, 0.5))
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    kept = load_results(out)["runs"]
    assert kept["run_id"].is_unique and len(kept) < 60
    r = invoke("experiment", f, "--out", out, "--quiet", "--workers", 1)
    assert r.exit_code == 0, r.output
    assert_every_run_once(out, total=60)
    assert (out / "report.md").exists()


def test_experiment_with_a_deleted_chunk_is_repaired_by_the_same_command(tmp_path):
    f = write_experiment(tmp_path)
    out = tmp_path / "exp"
    assert invoke("experiment", f, "--out", out, "--quiet", "--workers", 1).exit_code == 0
    (out / "chunks" / "vendors-000004.parquet").unlink()
    r = invoke("experiment", f, "--out", out, "--quiet", "--workers", 1)
    assert r.exit_code == 0, r.output
    assert "repaired: chunks/vendors-000004.parquet is missing" in r.stderr
    assert_every_run_once(out, total=12)


# ------------------------------------------------------------------ Ctrl-C
def test_ctrl_c_of_run_says_what_was_kept_and_how_to_go_on(tmp_path):
    out = tmp_path / "res"
    proc = _start(["run", SMALL, "-n", 50, "--out", out])
    _wait_until_running(proc, tmp_path / ".res.lock")
    time.sleep(1.0)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err[-2000:]
    assert "interrupted: nothing was written" in err and "run the same command again" in err
    assert "Traceback" not in err
    assert not out.exists() and not (tmp_path / ".res.lock").exists()
