"""The posterior behind every answer: draws that depend on (base seed, draw index) only, weights
respected, bad posterior directories refused before any work, runs whose parameters really are
the draws (and --set / swept values winning over them), the variance decomposition, and the CLI."""

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from market_sim.cli import app
from market_sim.config import ConfigError, load_config
from market_sim.posterior import (
    POSTERIOR_SPAWN_KEY,
    choose_particle,
    draw_of_replication,
    draw_seed,
    load_posterior,
    with_precedence,
)
from market_sim.runner import replication_seeds
from market_sim.runner import run as run_replications
from market_sim.stats import cluster_bootstrap_interval, posterior_falls_behind_table, variance_decomposition

from .conftest import SMALL

TINY = {"scale.consumers": 500, "scale.enterprises": 100, "run.months": 13}
TINY_SET = [f"{k}={v}" for k, v in TINY.items()]
GAP, HYPE, PATIENCE = "financing.prospect_gap_months", "consumers.beta_hype", "financing.decision_patience_months"


def invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def write_posterior(directory, weights=(0.1, 0.2, 0.3, 0.4, 0.0), **columns):
    directory.mkdir(parents=True, exist_ok=True)
    n = len(weights)
    data = {"particle": np.arange(n, dtype=np.int64), "weight": np.asarray(weights, float)}
    data.update(columns or {GAP: np.linspace(3.0, 12.0, n), HYPE: np.linspace(0.25, 2.0, n),
                            PATIENCE: np.linspace(1.0, 6.0, n).round()})
    pd.DataFrame(data).to_parquet(directory / "posterior.parquet", index=False)
    return directory


@pytest.fixture(scope="module")
def small():
    return load_config(SMALL, TINY)


@pytest.fixture(scope="module")
def post(tmp_path_factory, small):
    return load_posterior(write_posterior(tmp_path_factory.mktemp("post") / "p"), small)


# ------------------------------------------------------------------------------------------ draws
def test_the_draw_seed_never_equals_a_replication_seed():
    keys = {tuple(s.spawn_key) for s in replication_seeds(5, 1000)}
    assert tuple(draw_seed(5, 0).spawn_key) == (POSTERIOR_SPAWN_KEY, 0)
    assert not keys & {tuple(draw_seed(5, j).spawn_key) for j in range(1000)}


def test_same_seed_same_draws_and_draws_do_not_depend_on_how_many_run(post):
    a = post.draws_table(7, 20)
    b = post.draws_table(7, 5)
    pd.testing.assert_frame_equal(a.head(5), b)
    pd.testing.assert_frame_equal(a, post.draws_table(7, 20))
    # replication i's draw is draw i // runs_per_draw, whatever the number of replications
    assert [draw_of_replication(i, 4) for i in range(9)] == [0, 0, 0, 0, 1, 1, 1, 1, 2]
    assert post.for_replication(7, 13, 4) == post.draw_for(7, 3)
    assert not post.draws_table(8, 20).equals(a)  # another seed, other draws


def test_integer_keys_come_out_as_ints(post):
    draw = post.draw_for(7, 0)
    assert isinstance(draw[PATIENCE], int) and isinstance(draw[GAP], float)


def test_a_particle_of_weight_zero_is_never_drawn(post):
    picked = {post.particle_for(3, j) for j in range(2000)}
    assert 4 not in picked and picked == {0, 1, 2, 3}
    assert choose_particle(np.array([0.0, 1.0, 0.0]), 0.0) == 1
    assert choose_particle(np.array([0.0, 1.0, 0.0]), 0.999999) == 1


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(0.0, 10.0), min_size=2, max_size=6).filter(lambda w: sum(w) > 0.5),
       st.integers(0, 2**32 - 1))
def test_draw_frequencies_follow_the_weights(weights, seed):
    w = np.asarray(weights) / sum(weights)
    rng = np.random.default_rng(seed)
    n = 4000
    counts = np.bincount([choose_particle(w, u) for u in rng.random(n)], minlength=len(w))
    # each frequency within 5 binomial standard deviations (and never a weight-0 particle)
    assert np.all(np.abs(counts / n - w) <= 5 * np.sqrt(w * (1 - w) / n) + 1e-12)
    assert np.all(counts[w == 0] == 0)


def test_set_and_swept_values_win_over_the_draw(small):
    from market_sim.sweep.engine import ParameterPoints, RunSpec

    assert with_precedence({GAP: 3.0, HYPE: 2.0}, {HYPE: 0.5}) == {GAP: 3.0, HYPE: 0.5}
    spec = RunSpec(run_id=0, params={HYPE: 0.5}, posterior_draw=0, draw={GAP: 11.0, HYPE: 2.0})
    cfg = ParameterPoints(small.model_dump(mode="json")).config_for(spec)
    assert cfg.consumers.beta_hype == 0.5 and cfg.financing.prospect_gap_months == 11.0


# ------------------------------------------------------------------------------------ bad posteriors
def _bad(tmp_path, case):
    d = tmp_path / "bad"
    if case == "missing":
        return d, ["not found"]
    if case == "no_parquet":
        d.mkdir()
        return d, ["no posterior.parquet"]
    if case == "unreadable":
        d.mkdir()
        (d / "posterior.parquet").write_text("not parquet")
        return d, ["posterior.parquet", "unreadable"]
    if case == "negative_weight":
        return write_posterior(d, weights=(0.5, -0.1, 0.6)), ["posterior.parquet", "weight", "-0.1", ">= 0"]
    if case == "zero_sum":
        return write_posterior(d, weights=(0.0, 0.0)), ["posterior.parquet", "weight", "sum to 0"]
    if case == "no_parameter":
        return _only_weights(d), ["no parameter column"]
    if case == "unknown_key":
        return write_posterior(d, weights=(0.5, 0.5), **{"financing.prospect_gap_month": [4.0, 5.0]}), [
            "posterior.parquet", "financing.prospect_gap_month", "not a config key", "prospect_gap_months"]
    if case == "out_of_range":
        return write_posterior(d, weights=(0.5, 0.5), **{PATIENCE: [2, 0]}), [
            "posterior.parquet", "particle 1", PATIENCE, "got 0"]
    if case == "fractional_int":
        return write_posterior(d, weights=(0.5, 0.5), **{PATIENCE: [2.0, 2.5]}), [
            "posterior.parquet", "particle 1", PATIENCE, "2.5"]
    raise AssertionError(case)


def _only_weights(d):
    d.mkdir()
    pd.DataFrame({"particle": [0, 1], "weight": [0.5, 0.5]}).to_parquet(d / "posterior.parquet")
    return d


BAD = ["missing", "no_parquet", "unreadable", "negative_weight", "zero_sum", "no_parameter", "unknown_key",
       "out_of_range", "fractional_int"]


@pytest.mark.parametrize("case", BAD)
def test_bad_posteriors_are_config_errors(tmp_path, small, case):
    d, needles = _bad(tmp_path, case)
    with pytest.raises(ConfigError) as e:
        load_posterior(d, small)
    for needle in needles:
        assert needle in str(e.value), (needle, str(e.value))
    assert len(str(e.value).splitlines()) == 1


@pytest.mark.parametrize("command", ["run", "validate"])
@pytest.mark.parametrize("case", ["unreadable", "negative_weight", "unknown_key", "out_of_range"])
def test_bad_posterior_exits_2_before_any_work(tmp_path, command, case):
    d, needles = _bad(tmp_path, case)
    out = tmp_path / "out"
    r = invoke(command, SMALL, "-n", 2, "--out", out, "--posterior", d, *[x for s in TINY_SET for x in ("--set", s)])
    assert r.exit_code == 2, r.output
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "posterior.parquet" in lines[0], r.output
    for needle in needles:
        assert needle in lines[0]
    assert not out.exists()


def test_bad_posterior_refused_by_sweep_and_experiment(tmp_path):
    d, _ = _bad(tmp_path, "unknown_key")
    sweep = write_tiny_sweep(tmp_path)
    r = invoke("sweep", sweep, "--out", tmp_path / "s", "--posterior", d, "--quiet")
    assert r.exit_code == 2 and "financing.prospect_gap_month" in r.output, r.output
    assert not (tmp_path / "s").exists()
    r = invoke("experiment", write_tiny_experiment(tmp_path), "--out", tmp_path / "e", "--posterior", d, "--quiet")
    assert r.exit_code == 2 and "financing.prospect_gap_month" in r.output, r.output
    assert not (tmp_path / "e").exists()


# ----------------------------------------------------------------------------------- statistics
def test_variance_decomposition_all_draws_alike_is_randomness():
    rng = np.random.default_rng(1)
    k = rng.binomial(50, 0.4, size=200)  # 200 draws with the same P = 0.4, 50 runs each
    dec = variance_decomposition(k, np.full(200, 50))
    assert dec["parameter_share"] < 0.05
    assert dec["total"] == pytest.approx(0.24, abs=0.02)


def test_variance_decomposition_draws_at_0_and_1_is_parameters():
    k = np.array([0, 4, 4, 0, 4, 0, 0, 4])
    dec = variance_decomposition(k, np.full(8, 4))
    assert dec["parameter_share"] == pytest.approx(1.0)
    assert dec["within"] == 0.0 and dec["between"] == pytest.approx(np.var([0, 1, 1, 0, 1, 0, 0, 1], ddof=1))


def test_variance_decomposition_recovers_a_known_split():
    # P per draw uniform on {0.2, 0.8}: between = 0.09, within = E[p(1-p)] = 0.16, share 0.36
    rng = np.random.default_rng(2)
    p = rng.choice([0.2, 0.8], size=4000)
    dec = variance_decomposition(rng.binomial(4, p), np.full(4000, 4))
    assert dec["parameter_share"] == pytest.approx(0.36, abs=0.04)


def test_cluster_bootstrap_covers_the_parameter_spread():
    k, n = np.array([0, 4, 0, 4, 0, 4, 0, 4]), np.full(8, 4)
    lo, hi = cluster_bootstrap_interval(k, n, 3)
    assert lo < 0.5 < hi and hi - lo > 0.4   # runs alone (32 of them, P 0.5) would give ~0.33
    assert (lo, hi) == cluster_bootstrap_interval(k, n, 3)
    same = cluster_bootstrap_interval(np.full(8, 2), n, 3)
    assert same == (0.5, 0.5)


def test_posterior_table_on_synthetic_outcomes():
    rep = np.arange(16)
    draw = rep // 4
    a = pd.DataFrame({"replication": rep, "posterior_draw": draw, "vendor": "a", "falls_behind": draw % 2 == 1})
    b = pd.DataFrame({"replication": rep, "posterior_draw": draw, "vendor": "b", "falls_behind": rep % 2 == 1})
    outcomes = pd.concat([a, b], ignore_index=True).assign(final_status="racing")
    t = posterior_falls_behind_table(outcomes).set_index("vendor")
    assert t.loc["a", "dominant"] == "parameters" and t.loc["a", "parameter_share"] == pytest.approx(1.0)
    assert (t.loc["a", "draw_p05"], t.loc["a", "draw_p95"]) == (0.0, 1.0)
    assert t.loc["b", "dominant"] == "randomness" and t.loc["b", "parameter_share"] == 0.0
    assert t.loc["b", "draws"] == 4 and (t.loc["b", "post_ci95_low"], t.loc["b", "post_ci95_high"]) == (0.5, 0.5)


# ------------------------------------------------------------------------------------ model runs
@pytest.mark.slow
def test_runs_with_a_posterior_are_the_draws_and_do_not_depend_on_workers(tmp_path, small):
    post = load_posterior(write_posterior(tmp_path / "p", weights=(0.0, 1.0, 0.0, 0.0, 1.0)), small)
    one = run_replications(small, replications=4, seed=9, posterior=post, runs_per_draw=2)
    two = run_replications(small, replications=4, seed=9, workers=2, posterior=post, runs_per_draw=2)
    for name in ("vendor_month", "market_month", "events", "outcomes"):
        pd.testing.assert_frame_equal(getattr(one, name), getattr(two, name), check_exact=True, obj=name)
    assert one.outcomes.groupby("replication")["posterior_draw"].first().tolist() == [0, 0, 1, 1]
    # replications 2-3 (draw 1) are the same runs as --set with that draw's values
    draw = post.draw_for(9, 1)
    pinned = run_replications(load_config(small, draw), replications=4, seed=9)
    for name in ("vendor_month", "outcomes"):
        got = getattr(one, name)
        got = got[got["replication"] >= 2].drop(columns=["posterior_draw"], errors="ignore").reset_index(drop=True)
        want = getattr(pinned, name)
        pd.testing.assert_frame_equal(got, want[want["replication"] >= 2].reset_index(drop=True), check_exact=True)
    # and the draws really change the runs: draw 0 with other parameters gives another history
    other = load_config(small, post.draw_for(9, 0))
    assert other.financing.prospect_gap_months != load_config(small, draw).financing.prospect_gap_months
    assert "posterior_draw" not in pinned.outcomes


@pytest.mark.slow
def test_set_pins_a_parameter_over_the_posterior(tmp_path, small):
    post = load_posterior(write_posterior(tmp_path / "p"), small)
    a = run_replications(SMALL, replications=2, seed=4, overrides={**TINY, GAP: 4.5}, posterior=post)
    b = run_replications(SMALL, replications=2, seed=4, overrides={**TINY, GAP: 4.5, HYPE: post.draw_for(4, 0)[HYPE],
                                                                   PATIENCE: post.draw_for(4, 0)[PATIENCE]})
    pd.testing.assert_frame_equal(a.vendor_month, b.vendor_month, check_exact=True)


@pytest.mark.slow
def test_cli_run_validate_and_rerun_with_a_posterior(tmp_path):
    d = write_posterior(tmp_path / "p")
    out = tmp_path / "res"
    sets = [x for s in TINY_SET for x in ("--set", s)]
    r = invoke("run", SMALL, "-n", 4, "--runs-per-draw", 2, "--seed", 3, "--out", out, "--quiet", "--no-figures",
               "--posterior", d, *sets)
    assert r.exit_code == 0, r.output
    assert "parameter share" in r.output and "cluster bootstrap over draws" in r.output
    lines = r.output.splitlines()  # one sentence says, for every vendor, which part dominates or that none can be told
    assert all(any(name in line and ("dominates" in line or "cannot be told" in line) for line in lines)
               for name in ("DeepSeek", "Moonshot"))
    draws = pd.read_csv(out / "posterior_draws.csv")
    assert draws["draw"].tolist() == [0, 1] and list(draws.columns) == ["draw", "particle", GAP, HYPE, PATIENCE]
    info = json.loads((out / "run.json").read_text())
    assert info["posterior"]["path"] == str(d.resolve()) and info["posterior"]["runs_per_draw"] == 2
    outcomes = pd.read_parquet(out / "outcomes.parquet")
    assert sorted(outcomes["posterior_draw"].unique()) == [0, 1]
    table = pd.read_csv(out / "falls_behind.csv")
    assert {"post_ci95_low", "post_ci95_high", "draw_p05", "draw_p95", "parameter_share", "dominant"} <= set(table)
    assert "calibration's posterior" in (out / "report.md").read_text()
    # rerun finds the posterior at its recorded path and repeats the run byte for byte
    r = invoke("rerun", out, "--out", tmp_path / "again", "--quiet")
    assert r.exit_code == 0 and "reproduced" in r.output, r.output
    # ... and refuses, with exit 2, when it is gone
    shutil.move(d, tmp_path / "moved")
    r = invoke("rerun", out, "--out", tmp_path / "again2", "--quiet")
    assert r.exit_code == 2 and str(d.resolve()) in r.output and "not there" in r.output, r.output
    assert not (tmp_path / "again2").exists()
    # validate takes it too
    shutil.move(tmp_path / "moved", d)
    r = invoke("validate", SMALL, "-n", 2, "--workers", 1, "--out", tmp_path / "val", "--posterior", d,
               "--runs-per-draw", 1, *sets)
    assert r.exit_code in (0, 1), r.output
    assert (tmp_path / "val" / "posterior_draws.csv").exists()


def write_tiny_sweep(tmp_path):
    f = tmp_path / "tiny_sweep.yaml"
    f.write_text(f"name: tiny\nbase: {SMALL}\nset: {{scale.consumers: 400, scale.enterprises: 50, run.months: 6, "
                 "long_tail.count: 4}\ndesign:\n  kind: grid\n  parameters:\n    consumers.beta_hype: [0.5, 1.5]\n"
                 "replications: 4\nseed: 11\nseeds: common\nchunk_runs: 3\n")
    return f


def write_tiny_experiment(tmp_path):
    base = tmp_path / "tiny_base.yaml"
    base.write_text(f"extends: {SMALL}\nscale: {{consumers: 400, enterprises: 50}}\nrun: {{months: 8}}\n")
    other = tmp_path / "tiny_war.yaml"
    other.write_text(f"extends: {base}\nprice_war: {{intensity: 1.5}}\n")
    f = tmp_path / "tiny_exp.yaml"
    f.write_text(f"name: tiny_exp\nquestion: q\nkind: scenarios\nreference: baseline\n"
                 f"scenarios: {{baseline: {base}, war: {other}}}\nreplications: 4\nseed: 5\nchunk_runs: 3\n")
    return f


@pytest.mark.slow
def test_sweep_with_a_posterior_records_draws_and_resume_checks_it(tmp_path):
    from market_sim.sweep import load_results

    d = write_posterior(tmp_path / "p")
    sweep = write_tiny_sweep(tmp_path)
    r = invoke("sweep", sweep, "--out", tmp_path / "s", "--posterior", d, "--runs-per-draw", 2, "--quiet")
    assert r.exit_code == 0, r.output
    runs = load_results(tmp_path / "s")["runs"].sort_values("run_id")
    assert runs["posterior_draw"].tolist() == [0, 0, 1, 1] * 2
    assert (tmp_path / "s" / "posterior_draws.csv").exists()
    # resuming with another posterior is refused; with none, the stored one is used
    other = write_posterior(tmp_path / "q", weights=(1.0, 0.0, 0.0, 0.0, 0.0))
    r = invoke("sweep", "--resume", tmp_path / "s", "--posterior", other, "--quiet")
    assert r.exit_code == 2 and "was started with posterior" in r.output, r.output
    r = invoke("sweep", "--resume", tmp_path / "s", "--quiet")
    assert r.exit_code == 0 and "0 ran now" in r.output, r.output


@pytest.mark.slow
def test_experiment_with_a_posterior_and_its_resume_identity(tmp_path):
    from market_sim.sweep import load_results

    d = write_posterior(tmp_path / "p")
    exp = write_tiny_experiment(tmp_path)
    out = tmp_path / "e"
    r = invoke("experiment", exp, "--out", out, "--workers", 1, "--posterior", d, "--runs-per-draw", 2, "--quiet")
    assert r.exit_code == 0, r.output
    runs = load_results(out)["runs"].sort_values("run_id")
    assert runs["posterior_draw"].tolist() == [0, 0, 1, 1] * 2   # the same draws in both scenarios
    report = (out / "report.md").read_text()
    assert "cluster-bootstrap intervals over posterior draws" in report  # not the Wilson intervals' sentence
    assert "Wilson intervals over" not in report
    r = invoke("experiment", exp, "--out", out, "--workers", 1, "--quiet")
    assert r.exit_code == 2 and "was started with posterior" in r.output, r.output
    r = invoke("experiment", exp, "--out", out, "--workers", 1, "--posterior", d, "--runs-per-draw", 2, "--quiet")
    assert r.exit_code == 0 and "0 ran now" in r.output, r.output


def test_experiment_refuses_a_posterior_over_a_key_a_scenario_changes(tmp_path):
    d = write_posterior(tmp_path / "p", weights=(0.5, 0.5), **{"price_war.intensity": [0.5, 1.0]})
    r = invoke("experiment", write_tiny_experiment(tmp_path), "--out", tmp_path / "e", "--posterior", d, "--quiet")
    assert r.exit_code == 2 and "price_war.intensity" in r.output and "'war'" in r.output, r.output
    assert not (tmp_path / "e").exists()



def test_scenario_runs_apply_the_draw(small):
    from market_sim.sweep.engine import RunSpec, ScenarioRuns

    job = ScenarioRuns({"baseline": small})
    spec = RunSpec(run_id=0, params={"scenario": "baseline"}, posterior_draw=0, draw={GAP: 11.0})
    assert job.config_for(spec).financing.prospect_gap_months == 11.0
    assert job.config_for(RunSpec(run_id=0, params={"scenario": "baseline"})) is small
