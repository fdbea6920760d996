"""Issue 11: every bad input refused before any work, with one line and exit status 2, and
`check` agreeing with `run`. (Faults during work: test_fault_injection.py.)"""

import resource
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from market_sim.cli import app

from .conftest import BASELINE, SMALL

runner = CliRunner()
TINY = ["--set", "scale.consumers=50", "--set", "scale.enterprises=10", "--set", "run.months=2",
        "--set", "long_tail.count=2"]


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def assert_refused(r, *words: str) -> str:
    """Exit 2 with one line on stderr starting 'error:', naming `words`; no traceback."""
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    assert r.exit_code == 2, r.output
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    assert "Traceback" not in r.output
    for w in words:
        assert w in lines[0], (w, lines[0])
    return lines[0]


def scenario(tmp_path: Path, text: str, name: str = "c.yaml") -> Path:
    f = tmp_path / name
    f.write_text(f"extends: {SMALL}\n{text}")
    return f


# ------------------------------------------------------------------ check agrees with run
@pytest.mark.parametrize("override, key", [
    ("enterprises.review_months=0.5", "enterprises.review_months"),
    ("long_tail.headcount_range=[120, 20]", "long_tail.headcount_range"),
    ("long_tail.gpus_range=[900, 100]", "long_tail.gpus_range"),
    ("long_tail.headcount_range=[0, 20]", "long_tail.headcount_range"),
])
def test_check_refuses_what_run_would_crash_on(override, key):
    assert_refused(invoke("check", SMALL, "--set", override), key)


def test_run_refuses_it_before_any_work(tmp_path):
    out = tmp_path / "res"
    assert_refused(invoke("run", SMALL, "--set", "enterprises.review_months=0.5", "--out", out, "--quiet"),
                   "review_months")
    assert not out.exists()


# ------------------------------------------------------------------ YAML loader
def test_duplicate_keys_are_refused_not_silently_merged(tmp_path):
    f = scenario(tmp_path, "price_war:\n  intensity: 0.5\nrun:\n  months: 3\nprice_war:\n  undercut: 0.1\n")
    line = assert_refused(invoke("check", f), "duplicate key 'price_war'", "line 6", "line 2")
    assert str(f) in line


def test_duplicate_nested_keys_are_refused(tmp_path):
    f = scenario(tmp_path, "price_war:\n  intensity: 0.5\n  intensity: 0.7\n")
    assert_refused(invoke("check", f), "duplicate key 'intensity'")


def test_yaml_merge_keys_still_work(tmp_path):
    f = scenario(tmp_path, "x_defaults: &d {intensity: 0.5}\n", "unused.yaml")
    f.write_text(f"extends: {SMALL}\nprice_war:\n  <<: {{intensity: 0.5, undercut: 0.1}}\n  undercut: 0.2\n")
    r = invoke("check", f)
    assert r.exit_code == 0, r.output


BOMB = """a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def _limit_memory():  # the old loader expanded this to 23 GB: keep a regression from taking the machine
    resource.setrlimit(resource.RLIMIT_AS, (2 * 2**30, 2 * 2**30))


def test_alias_bomb_is_refused_within_bounded_memory(tmp_path):
    f = tmp_path / "bomb.yaml"
    f.write_text(BOMB)
    proc = subprocess.run([sys.executable, "-m", "market_sim.cli", "check", str(f)], capture_output=True,
                          text=True, timeout=120, preexec_fn=_limit_memory)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert len(proc.stderr.strip().splitlines()) == 1 and "alias" in proc.stderr, proc.stderr[-2000:]


# ------------------------------------------------------------------ resource limits
def test_a_billion_consumers_is_refused_by_check_and_run(tmp_path):
    line = assert_refused(invoke("check", SMALL, "--set", "scale.consumers=1000000000"), "memory", "--allow-large")
    assert "GiB" in line
    out = tmp_path / "res"
    assert_refused(invoke("run", SMALL, "--set", "scale.consumers=1000000000", "--out", out), "memory")
    assert not out.exists()


def test_replications_count_towards_the_memory_estimate(tmp_path):
    assert_refused(invoke("run", SMALL, "-n", 100_000_000, "--out", tmp_path / "r", *TINY), "memory")


# ------------------------------------------------------------------ unreadable inputs
def _bad_files(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    d = tmp_path / "adir"
    d.mkdir()
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR")
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes("run:\n  start: '2024-01'  # caf\xe9\n".encode("latin-1"))
    return {"directory": (d, "is a directory"), "binary": (binary, "binary file"),
            "latin1": (latin1, "not UTF-8")}


@pytest.mark.parametrize("kind", ["directory", "binary", "latin1"])
def test_unreadable_config_is_one_line(tmp_path, kind):
    path, words = _bad_files(tmp_path)[kind]
    assert_refused(invoke("check", path), words, str(path))


@pytest.mark.parametrize("kind", ["directory", "binary", "latin1"])
def test_unreadable_extends_target_is_one_line(tmp_path, kind):
    path, words = _bad_files(tmp_path)[kind]
    f = tmp_path / "child.yaml"
    f.write_text(f"extends: {path}\n")
    assert_refused(invoke("check", f), words)


@pytest.mark.parametrize("command", ["sweep", "experiment"])
def test_unreadable_sweep_or_experiment_file_is_one_line(tmp_path, command):
    path, words = _bad_files(tmp_path)["binary"]
    assert_refused(invoke(command, path, "--out", tmp_path / "o"), words)
    assert not (tmp_path / "o").exists()


# ------------------------------------------------------------------ the wrong kind of file
def test_a_scenario_config_given_to_sweep_is_named_as_such(tmp_path):
    r = invoke("sweep", BASELINE, "--out", tmp_path / "s")
    assert_refused(r, "scenario file, not a sweep file", "market-sim run")
    assert len(r.output) < 500, len(r.output)  # it used to print 32 KB of config
    assert not (tmp_path / "s").exists()


def test_a_sweep_file_given_to_run_is_named_as_such(tmp_path):
    sweep = Path(__file__).resolve().parent.parent / "configs" / "sweeps"
    f = sorted(sweep.glob("*.yaml"))[0]
    assert_refused(invoke("run", f, "--out", tmp_path / "r"), "sweep file", "market-sim sweep")
    assert_refused(invoke("experiment", f, "--out", tmp_path / "e"), "sweep file", "market-sim sweep")


def test_a_scenario_config_given_to_experiment_is_named_as_such(tmp_path):
    assert_refused(invoke("experiment", BASELINE, "--out", tmp_path / "e"), "scenario file, not an")


# ------------------------------------------------------------------ output directory
def test_unwritable_out_is_refused_before_the_first_run(tmp_path, read_only_dir):
    r = invoke("run", SMALL, "-n", 8, "--out", read_only_dir / "res", "--quiet")
    assert_refused(r, "cannot write", str(read_only_dir))


@pytest.fixture
def read_only_dir(tmp_path):
    """A read-only directory that root cannot write either: a read-only tmpfs when mounting is
    allowed, else /sys (read-only for everyone)."""
    mnt = tmp_path / "ro"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(mnt)],
                      capture_output=True).returncode != 0:
        yield Path("/sys")
        return
    try:
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], capture_output=True)
