"""`market-sim calibrate`: the distance and its weights, the calibration window, the seeded
sampler (same posterior on 1 or 2 workers, after a resume and after a kill), a toy problem
whose posterior is known, the synthetic test's products, and bad input."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyabc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from market_sim import calibration as m
from market_sim.calibration_run import Settings, calibration_config, calibration_targets, check_out
from market_sim.cli import app
from market_sim.config import ConfigError
from market_sim.priors import Prior, priors
from market_sim.validation import TARGETS_FILE

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "configs" / "baseline_2024.yaml"
TINY = ["--set", "scale.consumers=300", "--set", "scale.enterprises=60", "--population", "6", "-k", "1",
        "--screening", "12", "--seed", "11"]


# --------------------------------------------------------------------------------------
# distance and weights


def test_distance_is_zero_on_a_match_and_one_on_a_full_miss():
    w = m.target_weights([0.15, 0.3, 0.15], 2)
    assert m.weighted_miss(np.ones(3), np.ones(3), w) == 0.0
    assert m.weighted_miss(np.zeros(3), np.ones(3), w) == pytest.approx(1.0)


def test_a_noisier_fact_weighs_less_and_one_miss_costs_sqrt_of_its_weight():
    w = m.target_weights([0.15, 0.30], 3)
    assert w[0] > w[1] and w.sum() == pytest.approx(1.0)
    # w_t = 1 / (sigma^2 + 1/(4k)) before normalising
    raw = 1 / (np.array([0.15, 0.30]) ** 2 + 1 / 12)
    assert w == pytest.approx(raw / raw.sum())
    assert m.weighted_miss(np.array([0.0, 1.0]), np.ones(2), w) == pytest.approx(np.sqrt(w[0]))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=30), st.integers(1, 10))
def test_distance_lies_in_0_1_and_falls_as_shares_rise(shares, k):
    s = np.array(shares)
    w = m.target_weights([0.15] * len(s), k)
    d = m.weighted_miss(s, np.ones_like(s), w)
    assert 0.0 <= d <= 1.0 + 1e-12
    assert m.weighted_miss(np.minimum(s + 0.1, 1.0), np.ones_like(s), w) <= d + 1e-12


def test_unverified_facts_get_the_larger_noise():
    assert m.fact_noise({"what": "x", "note": "UNVERIFIED: one blog"}) == m.FACT_NOISE["unverified"]
    assert m.fact_noise({"what": "x", "source": "https://example.org"}) == m.FACT_NOISE["sourced"]


# --------------------------------------------------------------------------------------
# the window: 2024 only


def test_targets_after_2024_are_left_out_and_all_others_used():
    cfg = calibration_config(BASELINE, {})
    assert cfg.run.months == m.CALIBRATION_MONTHS
    used, left_out = calibration_targets([TARGETS_FILE], cfg)
    ids = {t.id for t in used}
    assert "shakeout_prediction" in {x["target"] for x in left_out}  # measured at 2025-12
    assert {"price_war_may_2024", "doubao_mau_leader_2024", "deepseek_cascade_2024"} <= ids
    assert len(used) + len(left_out) == 32


def test_within_window_reads_months_lists_and_years():
    assert m.within_window({"params": {"window": ["2024-03", "2024-07"]}}, "2024-12", 2024)
    assert not m.within_window({"params": {"month": "2025-01"}}, "2024-12", 2024)
    assert not m.within_window({"params": {"year": 2025}}, "2024-12", 2024)


# --------------------------------------------------------------------------------------
# parameters and seeds


def test_log_uniform_and_integer_priors_round_trip():
    log = Prior("a.b", 0.01, 0.002, 0.05, "log-uniform", False, "r")
    whole = Prior("a.c", 3, 1, 6, "uniform", True, "r")
    # 0.01 is at u = (log10 0.01 - log10 0.002) / (log10 0.05 - log10 0.002) on the log scale
    u = (np.log10(0.01) - np.log10(0.002)) / (np.log10(0.05) - np.log10(0.002))
    assert m.to_unit(log, 0.01) == pytest.approx(u)
    assert m.to_value(log, m.to_internal(log, 0.02)) == pytest.approx(0.02)
    assert m.to_value(whole, m.to_internal(whole, 3.4)) == 3
    assert isinstance(m.to_value(whole, 0.3), int)


@settings(max_examples=200, deadline=None)
@given(st.floats(-40, 40))
def test_every_internal_value_maps_inside_the_prior_range(z):
    for p in (Prior("a.b", 0.01, 0.002, 0.05, "log-uniform", False, "r"), Prior("a.c", 3, 1, 6, "uniform", True, "r"),
              Prior("a.d", -2.5, -4.0, -1.0, "uniform", False, "r")):
        assert p.low - 1e-12 <= m.to_value(p, z) <= p.high + 1e-12


def test_candidate_seeds_differ_by_generation_and_index():
    seeds = {m.candidate_seed(5, t, i) for t in range(-1, 4) for i in range(200)}
    assert len(seeds) == 5 * 200
    assert m.candidate_seed(5, 2, 7) == m.candidate_seed(5, 2, 7) != m.candidate_seed(6, 2, 7)


# --------------------------------------------------------------------------------------
# the sampler on a toy problem with a known answer (no market model: fast)


def _toy(workers: int, seed: int = 3):
    def model(p):
        return {"x": p["theta"] + 0.05 * np.random.normal()}

    sampler = m.SeededBatchSampler(seed, workers=workers)
    abc = pyabc.ABCSMC(model, pyabc.Distribution(theta=pyabc.RV("uniform", 0, 1)),
                       lambda x, y: abs(x["x"] - y["x"]), population_size=60, sampler=sampler)
    abc.new("sqlite://", {"x": 0.7})
    np.random.seed(seed)
    history = abc.run(max_nr_populations=4)
    df, w = history.get_distribution(m=0, t=history.max_t)
    return df["theta"].to_numpy(), w


def test_toy_posterior_concentrates_on_the_truth():
    theta, w = _toy(1)
    median = pyabc.weighted_statistics.weighted_quantile(theta, weights=w, alpha=0.5)
    q05, q95 = (pyabc.weighted_statistics.weighted_quantile(theta, weights=w, alpha=a) for a in (0.05, 0.95))
    assert abs(median - 0.7) < 0.05
    assert q95 - q05 < 0.3  # the prior's 90% interval is 0.9 wide


def test_toy_posterior_is_the_same_on_one_or_two_workers_and_differs_with_the_seed():
    a, wa = _toy(1)
    b, wb = _toy(2)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(wa, wb)
    c, _ = _toy(1, seed=4)
    assert not np.array_equal(a, c)


# --------------------------------------------------------------------------------------
# settings and the output directory


def _settings(**kw):
    base = dict(config="c.yaml", overrides={}, targets_files=["t.yaml"], population=10, generations=2,
                replications=1, seed=1, min_acceptance_rate=0.02, synthetic=False, screening=20, adaptive_max=3)
    return Settings(**(base | kw))


def test_out_refuses_other_content_and_resume_with_other_settings(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "file.txt").write_text("mine")
    with pytest.raises(ConfigError, match="not empty"):
        check_out(tmp_path / "x", _settings(), resume=False)
    with pytest.raises(ConfigError, match="holds no calibration"):
        check_out(tmp_path / "x", _settings(), resume=True)
    done = tmp_path / "done"
    done.mkdir()
    (done / "calibration.json").write_text(json.dumps({"settings": json.loads(json.dumps(_settings().__dict__))}))
    with pytest.raises(ConfigError, match="seed"):
        check_out(done, _settings(seed=2), resume=True)
    # the stopping rule may change on resume
    assert check_out(done, _settings(generations=5, min_acceptance_rate=0.1), resume=True) is False


def test_the_logistic_prior_on_z_is_the_uniform_prior_on_u():
    z = m.pyabc_prior([Prior("a.b", 0.5, 0.0, 1.0, "uniform", False, "r")]).rvs()  # noqa: F841 (samples at all)
    rng = np.random.default_rng(0)
    u = m.sigmoid(rng.logistic(0.0, 1.0, 20_000))
    assert np.histogram(u, bins=10, range=(0, 1))[0] == pytest.approx(np.full(10, 2_000), rel=0.1)
    for p in priors():
        assert m.to_value(p, m.to_internal(p, p.default)) == pytest.approx(p.default, abs=1e-9)


# --------------------------------------------------------------------------------------
# end to end (the market model, tiny)


def _calibrate(out: Path, *extra: str):
    return CliRunner().invoke(app, ["calibrate", str(BASELINE), *TINY, "--out", str(out), *extra])


@pytest.fixture(scope="module")
def straight(tmp_path_factory):
    """A tiny calibration, two generations on one worker, never interrupted."""
    out = tmp_path_factory.mktemp("calibration") / "straight"
    r = _calibrate(out, "--generations", "2", "--workers", "1")
    assert r.exit_code == 0, r.output
    return out


@pytest.mark.slow
def test_same_posterior_on_two_workers(tmp_path, straight):
    r = _calibrate(tmp_path / "w2", "--generations", "2", "--workers", "2")
    assert r.exit_code == 0, r.output
    a, b = (pd.read_parquet(d / "posterior.parquet") for d in (straight, tmp_path / "w2"))
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert np.isclose(a["weight"].sum(), 1.0) and len(a) == 6
    assert len(a.columns) == 2 + len(priors())
    for name in ("generations.png", "marginals.png", "pairs.png", "narrowing.csv", "predictive.csv"):
        assert (straight / "diagnostics" / name).stat().st_size > 0
    predictive = pd.read_csv(straight / "diagnostics" / "predictive.csv")
    assert predictive["posterior_predictive"].between(0, 1).all() and len(predictive) == 31


def _generations_done(db: Path) -> int:
    if not db.is_file():
        return 0
    try:
        with sqlite3.connect(db) as con:
            return int(con.execute("select count(*) from populations where t >= 0").fetchone()[0])
    except sqlite3.Error:
        return 0


@pytest.mark.slow
def test_a_killed_calibration_resumes_without_losing_a_generation(tmp_path, straight):
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "market_sim.cli", "calibrate", str(BASELINE), *TINY, "--out", str(out),
           "--generations", "2"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 300
    while _generations_done(out / "abc.db") < 1 and proc.poll() is None and time.time() < deadline:
        time.sleep(0.2)
    assert proc.poll() is None, "finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    kept = _generations_done(out / "abc.db")
    assert kept >= 1 and not (out / "posterior.parquet").exists()
    resumed = _calibrate(out, "--generations", "2", "--workers", "2", "--resume")
    assert resumed.exit_code == 0, resumed.output
    assert f"{kept} generation(s) done" in resumed.output
    pd.testing.assert_frame_equal(pd.read_parquet(out / "posterior.parquet"),
                                  pd.read_parquet(straight / "posterior.parquet"), check_exact=True)


@pytest.mark.slow
def test_synthetic_calibration_reports_the_known_values_and_their_coverage(tmp_path):
    r = _calibrate(tmp_path / "syn", "--generations", "1", "--synthetic")
    assert r.exit_code == 0, r.output
    meta = json.loads((tmp_path / "syn" / "calibration.json").read_text())
    truth = meta["truth"]
    assert set(truth) == {p.key for p in priors()}
    assert {t["observed"] for t in meta["targets"]} <= {0.0, 1.0}
    narrowing = pd.read_csv(tmp_path / "syn" / "diagnostics" / "narrowing.csv")
    assert {"true_value", "covered_90"} <= set(narrowing.columns)
    assert "known values inside the posterior 90% interval" in r.output


def test_bad_out_is_refused_with_exit_2_and_nothing_written(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep")
    r = _calibrate(tmp_path / "mine", "--generations", "1")
    assert r.exit_code == 2 and "not empty" in r.output
    assert sorted(p.name for p in (tmp_path / "mine").iterdir()) == ["notes.txt"]
    r = _calibrate(tmp_path / "new", "--targets", str(tmp_path / "missing.yaml"))
    assert r.exit_code == 2 and "missing.yaml" in r.output and not (tmp_path / "new").exists()


@pytest.mark.slow
def test_an_unreachable_dask_scheduler_is_refused_before_anything_is_written(tmp_path):
    r = _calibrate(tmp_path / "new", "--dask", "tcp://127.0.0.1:9", "--generations", "1")
    assert r.exit_code == 2 and "--dask" in r.output, r.output
    assert not (tmp_path / "new").exists()


# --------------------------------------------------------------------------------------
# screening


def test_screening_finds_the_parameter_the_distance_depends_on():
    rng = np.random.default_rng(2)
    units = rng.uniform(size=(400, 6))
    distance = 0.8 * units[:, 3] + 0.2 * rng.uniform(size=400)
    rho = m.influence(units, distance)
    assert np.argmax(rho) == 3 and rho[3] > 0.8
    assert m.choose_adaptive(rho, 400, most=4).tolist() == [3]
    # no association anywhere: still one parameter (pyabc needs one), the strongest
    flat = m.influence(units, rng.uniform(size=400))
    assert len(m.choose_adaptive(flat, 400, most=4)) >= 1


def test_choose_adaptive_keeps_the_strongest_up_to_the_cap():
    rho = np.array([0.5, 0.05, 0.4, 0.3, 0.2])
    assert m.choose_adaptive(rho, 400, most=2).tolist() == [0, 2]   # threshold 3/20 = 0.15
    assert m.choose_adaptive(rho, 400, most=10).tolist() == [0, 2, 3, 4]


@pytest.mark.slow
@pytest.mark.dask
def test_same_posterior_on_a_local_dask_cluster(tmp_path, straight):
    r = _calibrate(tmp_path / "dask", "--generations", "2", "--dask", "local")
    assert r.exit_code == 0, r.output
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "dask" / "posterior.parquet"),
                                  pd.read_parquet(straight / "posterior.parquet"), check_exact=True)
