"""Issue 11: a results directory records everything needed to re-run it, `market-sim rerun`
reproduces it byte for byte, and the Python API is safe in a script."""

import json
import subprocess
import sys
import textwrap

import pytest
import yaml
from typer.testing import CliRunner

from market_sim.cli import app

from .conftest import ROOT, SMALL

runner = CliRunner()
TINY = ["--set", "scale.consumers=300", "--set", "scale.enterprises=40", "--set", "run.months=3",
        "--set", "long_tail.count=3"]
TABLES = ("vendor_month", "market_month", "events", "outcomes")


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.mark.slow
def test_results_config_records_the_seed_so_rerunning_it_gives_the_same_history(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert invoke("run", SMALL, "--seed", 5, "--out", a, "--quiet", *TINY).exit_code == 0  # SMALL's own: 7
    assert yaml.safe_load((a / "config.yaml").read_text())["run"]["seed"] == 5
    r = invoke("run", a / "config.yaml", "--out", b, "--quiet")
    assert r.exit_code == 0, r.output
    for name in TABLES:
        assert (a / f"{name}.parquet").read_bytes() == (b / f"{name}.parquet").read_bytes(), name


@pytest.mark.slow
def test_rerun_reproduces_a_results_directory_byte_for_byte(tmp_path):
    a = tmp_path / "a"
    assert invoke("run", SMALL, "--seed", 5, "-n", 2, "--out", a, "--quiet", *TINY).exit_code == 0
    info = json.loads((a / "run.json").read_text())
    assert info["base_seed"] == 5 and info["replications"] == 2
    assert info["overrides"]["scale.consumers"] == 300 and info["market_sim_version"]
    r = invoke("rerun", a, "--out", tmp_path / "again", "--quiet")
    assert r.exit_code == 0, r.output
    assert "byte for byte identical" in r.output
    for name in TABLES:
        assert (a / f"{name}.parquet").read_bytes() == (tmp_path / "again" / f"{name}.parquet").read_bytes()


@pytest.mark.slow
def test_rerun_says_when_results_differ(tmp_path):
    a = tmp_path / "a"
    assert invoke("run", SMALL, "--out", a, "--quiet", *TINY).exit_code == 0
    info = json.loads((a / "run.json").read_text())
    info["base_seed"] += 1
    (a / "run.json").write_text(json.dumps(info))
    r = invoke("rerun", a, "--out", tmp_path / "again", "--quiet")
    assert r.exit_code == 1 and "DIFFERENT" in r.output


def test_rerun_refuses_a_directory_that_is_not_a_run(tmp_path):
    r = invoke("rerun", tmp_path)
    assert r.exit_code == 2 and "not a results directory" in r.stderr


SCRIPT = """
from market_sim import run
results = run({config!r}, replications=2, workers=2, overrides={overrides!r})
print("rows", len(results.outcomes))
"""


def _script(tmp_path, guarded: bool):
    overrides = {"scale.consumers": 200, "scale.enterprises": 30, "run.months": 2, "long_tail.count": 2}
    body = SCRIPT.format(config=str(SMALL), overrides=overrides)
    if guarded:
        body = "if __name__ == '__main__':\n" + textwrap.indent(body, "    ")
    f = tmp_path / ("guarded.py" if guarded else "unguarded.py")
    f.write_text(body)
    return f


@pytest.mark.slow
def test_readme_api_snippet_in_an_unguarded_script_fails_fast_naming_the_fix(tmp_path):
    f = _script(tmp_path, guarded=False)
    try:
        proc = subprocess.run([sys.executable, str(f)], capture_output=True, text=True, timeout=60, cwd=ROOT)
    except subprocess.TimeoutExpired:
        pytest.fail("the unguarded script hangs (workers respawn without end)")
    assert proc.returncode != 0
    assert 'if __name__ == "__main__":' in proc.stderr, proc.stderr[-3000:]
    assert proc.stderr.count("Traceback") <= 1  # one error, not a storm of worker tracebacks


@pytest.mark.slow
def test_the_same_snippet_under_a_main_guard_runs(tmp_path):
    f = _script(tmp_path, guarded=True)
    proc = subprocess.run([sys.executable, str(f)], capture_output=True, text=True, timeout=180, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "rows" in proc.stdout
