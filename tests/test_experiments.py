"""`market-sim experiment`: scenario experiments with common seeds, reports, resume, bad input."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from market_sim.cli import app
from market_sim.experiments import EXPERIMENTS_DIR, load_experiment
from market_sim.sweep import engine

from .conftest import ROOT

EXP = ROOT / "tests" / "data" / "experiments" / "two_scenarios.yaml"


def invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    out = tmp_path_factory.mktemp("exp") / "out"
    r = invoke("experiment", EXP, "--out", out, "--workers", 1, "--quiet")
    assert r.exit_code == 0, r.output
    return out


@pytest.mark.slow
def test_report_answers_with_intervals(finished):
    report = (finished / "report.md").read_text()
    for needle in ("## Answer", "**Who falls behind.**", "**How sure.**", "**What drives it**", "95%"):
        assert needle in report
    for fig in ("falls_behind.png", "ranks.png", "leaving.png"):
        assert (finished / "figures" / fig).stat().st_size > 10_000
    table = pd.read_csv(finished / "falls_behind.csv")
    assert set(table["scenario"]) == {"baseline", "deeper"}
    assert (table["ci95_low"] <= table["p"]).all() and (table["p"] <= table["ci95_high"]).all()
    assert (table.loc[table["vendor"] != "long tail", "replications"] == 4).all()


@pytest.mark.slow
def test_common_seeds_give_each_replication_the_same_history_before_the_change(finished):
    from market_sim.config import load_config
    from market_sim.runner import replication_seeds, simulate

    # replication r of each scenario is child r of the experiment's seed; before 2024-07 they agree
    seeds = replication_seeds(5, 4)
    base = simulate(load_config(EXP.parent.parent / "small.yaml").model_dump(), seeds[2])["vendor_month"]
    deeper = simulate(load_config(EXP.parent / "small_price_war.yaml").model_dump(), seeds[2])["vendor_month"]
    early = [t[t["month"] < "2024-07"].reset_index(drop=True) for t in (base, deeper)]
    pd.testing.assert_frame_equal(*early)
    # and the experiment's stored outcomes are those of the same runs
    vendors = engine.load_results(finished)["vendors"]
    runs = engine.load_results(finished)["runs"]
    run_id = int(runs[(runs["scenario"] == "baseline") & (runs["replication"] == 2)]["run_id"].iloc[0])
    stored = vendors[vendors["run_id"] == run_id].set_index("vendor")["final_consumer_share"]
    last = base[base["month_index"] == base["month_index"].max()].set_index("vendor")["consumer_share"]
    pd.testing.assert_series_equal(stored.sort_index(), last.sort_index(), check_names=False)


def _stored_falls_behind(directory) -> pd.DataFrame:
    """vendor x (scenario, replication) -> falls behind (0/1), from the stored per-run tables."""
    tables = engine.load_results(directory)
    runs = tables["runs"][["run_id", "scenario", "replication"]]
    merged = tables["vendors"].merge(runs, on="run_id")
    return merged.pivot_table(index="vendor", columns=["scenario", "replication"], values="falls_behind",
                              aggfunc="first").astype(float)


@pytest.mark.slow
def test_paired_changes_are_recomputed_from_the_stored_runs(finished):
    from market_sim.stats import Z95

    changes = pd.read_csv(finished / "changes_vs_reference.csv").set_index("vendor")
    assert set(changes["scenario"]) == {"deeper"}
    wide = _stored_falls_behind(finished).loc[changes.index]
    # replication r of "deeper" minus replication r of "baseline", per vendor
    diff = wide["deeper"] - wide["baseline"]
    assert diff.shape[1] == 4
    expected = diff.mean(axis=1)
    half = Z95 * diff.std(axis=1, ddof=1) / np.sqrt(diff.shape[1])
    assert expected.abs().sum() > 0, "the test data must move someone, or this test cannot catch a zeroed difference"
    np.testing.assert_allclose(changes["change"], expected, atol=1e-12)
    np.testing.assert_allclose(changes["ci95_low"], expected - half, atol=1e-12)
    np.testing.assert_allclose(changes["ci95_high"], expected + half, atol=1e-12)
    assert (changes["replications"] == 4).all()
    assert (changes["significant"] == ((expected - half > 0) | (expected + half < 0))).all()
    # and the per-scenario probabilities are the stored runs' means too
    table = pd.read_csv(finished / "falls_behind.csv")
    for scenario in ("baseline", "deeper"):
        p = table[(table["scenario"] == scenario) & table["vendor"].isin(changes.index)].set_index("vendor")["p"]
        np.testing.assert_allclose(p.loc[changes.index], wide[scenario].mean(axis=1), atol=1e-12)


@pytest.mark.slow
def test_an_interrupted_experiment_completes_on_the_same_command(tmp_path, finished):
    out = tmp_path / "out"
    # a partial result: copy the definition and the first runs chunk of a finished experiment
    import shutil

    shutil.copytree(finished, out)
    chunks = sorted((out / "chunks").glob("runs-*.parquet"))
    for p in chunks[1:]:
        seq = p.stem.split("-")[1]
        for q in (out / "chunks").glob(f"*-{seq}.parquet"):
            q.unlink()
    kept = len(pd.read_parquet(chunks[0]))
    r = invoke("experiment", EXP, "--out", out, "--workers", 1, "--quiet")
    assert r.exit_code == 0, r.output
    assert f"{8 - kept} ran now" in r.output
    runs = engine.load_results(out)["runs"]
    assert sorted(runs["run_id"]) == list(range(8))
    pd.testing.assert_frame_equal(pd.read_csv(out / "falls_behind.csv"), pd.read_csv(finished / "falls_behind.csv"))


@pytest.mark.slow
def test_a_directory_with_other_results_is_refused(tmp_path, finished):
    out = tmp_path / "other"
    out.mkdir()
    (out / "something.txt").write_text("x")
    r = invoke("experiment", EXP, "--out", out, "--quiet")
    assert r.exit_code == 2 and "holds other results" in r.output


@pytest.mark.parametrize("body,needles", [
    ("name: x\nquestion: q\nkind: scenarios\nscenarios: {baseline: ../small.yaml}\n", ["at least two scenarios"]),
    ("name: x\nquestion: q\nkind: scenarios\nreference: base\nscenarios: {baseline: ../small.yaml, b: ../small.yaml}\n",
     ["reference 'base'"]),
    ("name: x\nquestion: q\nkind: scenarios\nscenarios: {baseline: ../small.yaml, b: nope.yaml}\n",
     ["scenarios.b", "not found"]),
    ("name: x\nquestion: q\nkind: scenarios\nreplications: 0\nscenarios: {baseline: ../small.yaml, b: ../small.yaml}\n",
     ["replications", "0"]),
    ("name: x\nquestion: q\nkind: survey\n", ["kind", "survey"]),
])
def test_bad_experiments_are_rejected_before_anything_is_written(tmp_path, body, needles):
    src = tmp_path / "bad.yaml"
    src.write_text(body.replace("../small.yaml", str(EXP.parent.parent / "small.yaml")))
    out = tmp_path / "out"
    r = invoke("experiment", src, "--out", out, "--quiet")
    assert r.exit_code == 2, r.output
    for needle in needles:
        assert needle in r.output, (needle, r.output)
    assert not out.exists()


def test_unknown_experiment_name_lists_the_known_ones():
    r = invoke("experiment", "who_falls_behind_2052")
    assert r.exit_code == 2 and "who_falls_behind_2025" in r.output


@pytest.mark.parametrize("path", sorted(EXPERIMENTS_DIR.glob("*.yaml")), ids=lambda p: p.stem)
def test_shipped_experiments_are_valid(path: Path):
    exp, configs = load_experiment(path)
    assert exp.name == path.stem
    if exp.kind == "scenarios":
        assert exp.replications >= 100 and len(configs) == 7


@pytest.mark.slow
def test_sweep_experiment_maps_the_focus_vendor(tmp_path):
    out = tmp_path / "focus"
    r = invoke("experiment", EXP.parent / "focus.yaml", "--out", out, "--workers", 1, "--quiet")
    assert r.exit_code == 0, r.output
    table = pd.read_csv(out / "moonshot_by_features.context.copy_lag_factor_catch_up.hype_decay_per_month.csv")
    assert len(table) == 4 and (table["replications"] == 2).all()
    assert (out / "figures" / "focus_heatmap.png").stat().st_size > 10_000
    assert "moonshot's mean consumer share" in (out / "report.md").read_text()
    # the same command again finds every run done and only rewrites the report
    r = invoke("experiment", EXP.parent / "focus.yaml", "--out", out, "--workers", 1, "--quiet")
    assert r.exit_code == 0 and "0 ran now" in r.output, r.output


def test_sweep_experiment_axis_must_be_a_sweep_parameter(tmp_path):
    src = tmp_path / "bad_axis.yaml"
    src.write_text((EXP.parent / "focus.yaml").read_text()
                   .replace("x: features.context.copy_lag_factor", "x: price_war.intensity")
                   .replace("sweep: small_sweep.yaml", f"sweep: {EXP.parent / 'small_sweep.yaml'}"))
    r = invoke("experiment", src, "--out", tmp_path / "o", "--quiet")
    assert r.exit_code == 2 and "x: " in r.output and "price_war.intensity" in r.output, r.output
    assert not (tmp_path / "o").exists()


def test_a_failed_run_leaves_no_report(tmp_path):
    from market_sim.experiments import run_experiment

    from .faults import FailingRuns

    # scenario runs have seed key = replication: replication 1 fails in both scenarios
    exp, out, outcome = run_experiment(EXP, tmp_path / "x", workers=1, progress=False,
                                       simulate=FailingRuns(frozenset({1})))
    assert (outcome.done, outcome.failed) == (6, 2)
    assert not (out / "report.md").exists()
