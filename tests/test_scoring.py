"""`market-sim score` (issue 14, item 5): Brier and log scores, the events of each kind of
observation, the reference forecasters, bad observation files and the outputs.

Everything here is SYNTHETIC: results directories are small hand-made tables (invented
vendors' states and values), and the observations are invented (tests/data/observations_synthetic.yaml);
no test uses a record of what happened after 2024-12."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from market_sim import scoring
from market_sim.cli import app
from market_sim.scoring_io import load_observations, load_results, score_table

from .conftest import BASELINE, ROOT

SYNTHETIC_OBSERVATIONS = ROOT / "tests" / "data" / "observations_synthetic.yaml"
VENDORS = ["bytedance", "alibaba", "moonshot", "deepseek", "zhipu", "minimax", "baichuan", "tail_01"]
MONTHS = ["2024-10", "2024-11", "2024-12", "2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06"]
runner = CliRunner()


# --------------------------------------------------------------------------------------
# synthetic results directories


def synthetic_results(directory: Path, replications: int = 6, *, static_after: str | None = None,
                      seed: int = 0) -> Path:
    """A made-up results directory (vendor_month + market_month Parquet) with random statuses,
    shares and prices per replication and month. static_after="2024-12": every month after it
    repeats that month (the world does not change after the status-quo month)."""
    statuses = np.array(["frontier", "focused", "acquired", "exited", "not_entered"])
    rows, market = [], []
    for r in range(replications):
        for t, month in enumerate(MONTHS):
            source = t if static_after is None or month <= static_after else MONTHS.index(static_after)
            draw = np.random.default_rng([seed, r, source])
            share = draw.dirichlet(np.ones(len(VENDORS)))
            price = draw.lognormal(0.5, 0.8, len(VENDORS))
            status = statuses[draw.choice(5, len(VENDORS), p=[0.5, 0.2, 0.1, 0.1, 0.1])]
            for v, vendor in enumerate(VENDORS):
                rows.append({"replication": r, "month_index": t, "month": month, "vendor": vendor,
                             "long_tail": vendor.startswith("tail_"), "status": status[v],
                             "consumer_share": share[v], "api_price": price[v]})
            market.append({"replication": r, "month_index": t, "month": month,
                           "price_index": float(draw.lognormal(0.0, 0.5)),
                           "n_frontier": int((status == "frontier").sum())})
    directory.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_parquet(directory / "vendor_month.parquet", index=False)
    pd.DataFrame(market).to_parquet(directory / "market_month.parquet", index=False)
    (directory / "summary.json").write_text("{}")
    return directory


@pytest.fixture
def results_dir(tmp_path):
    return synthetic_results(tmp_path / "results")


def write_observations(tmp_path: Path, text: str, name: str = "obs.yaml") -> Path:
    f = tmp_path / name
    f.write_text(text)
    return f


def score_cli(*args):
    return runner.invoke(app, ["score", *[str(a) for a in args]])


# --------------------------------------------------------------------------------------
# the scores


def test_brier_and_log_score_hand_computed():
    assert scoring.brier(0.7, 1) == pytest.approx(0.09)
    assert scoring.brier(0.7, 0) == pytest.approx(0.49)
    assert scoring.brier(0.25, 1) == pytest.approx(0.5625)
    assert scoring.log_score(0.7, 1, 100) == pytest.approx(math.log(0.7))
    assert scoring.log_score(0.7, 0, 100) == pytest.approx(math.log(0.3))
    # clipped to [1/(2R), 1 - 1/(2R)]: R = 10 -> [0.05, 0.95]
    assert scoring.log_score(0.0, 1, 10) == pytest.approx(math.log(0.05))
    assert scoring.log_score(1.0, 1, 10) == pytest.approx(math.log(0.95))
    assert scoring.log_score(1.0, 0, 10) == pytest.approx(math.log(0.05))
    assert scoring.skill(0.1, 0.4) == pytest.approx(0.75)
    assert math.isnan(scoring.skill(0.1, 0.0))


def test_a_certain_forecast_of_what_happened_scores_brier_zero():
    p = scoring.probability(np.ones(25, bool))
    assert p == 1.0
    assert scoring.brier(p, 1) == 0.0
    assert scoring.brier(scoring.probability(np.zeros(25, bool)), 0) == 0.0


@settings(max_examples=200)
@given(p=st.floats(0.0, 1.0), o=st.sampled_from([0, 1]), replications=st.integers(1, 10_000))
def test_brier_within_unit_interval_and_log_score_not_positive(p, o, replications):
    b = float(scoring.brier(p, o))
    s = float(scoring.log_score(p, o, replications))
    assert 0.0 <= b <= 1.0
    assert s <= 0.0 and math.isfinite(s)
    assert s >= math.log(1 / (2 * replications)) - 1e-12  # the clip bounds the worst score


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_a_calibrated_forecaster_has_near_zero_reliability_error(seed):
    rng = np.random.default_rng(seed)
    p = rng.random(20_000)
    o = rng.random(20_000) < p                     # outcomes drawn with the forecast probabilities
    assert scoring.reliability_error(p, o) < 0.002
    overconfident = np.where(p > 0.5, 1.0, 0.0)    # the same outcomes, forecast as certain
    assert scoring.reliability_error(overconfident, o) > 0.05


def test_reliability_bins_hand_computed():
    table = scoring.reliability_bins(np.array([0.05, 0.05, 0.95, 1.0]), np.array([0, 1, 1, 1]), bins=10)
    assert table["count"].tolist() == [2, 0, 0, 0, 0, 0, 0, 0, 0, 2]
    assert table["observed"][0] == 0.5 and table["observed"][9] == 1.0
    assert table["mean_forecast"][9] == pytest.approx(0.975)
    # REL = (2 * (0.05 - 0.5)^2 + 2 * (0.975 - 1)^2) / 4
    assert scoring.reliability_error([0.05, 0.05, 0.95, 1.0], [0, 1, 1, 1]) == pytest.approx(
        (2 * 0.45**2 + 2 * 0.025**2) / 4)


# --------------------------------------------------------------------------------------
# the events


def test_state_event_maps_model_statuses_once():
    states = scoring.state_of_status(np.array(["frontier", "focused", "acquired", "exited", "not_entered"]))
    assert states.tolist() == ["racing", "focused", "acquired", "exited", ""]
    assert scoring.state_event(states, "racing").tolist() == [True, False, False, False, False]


def test_rank_event_hand_made():
    values = np.array([[0.5, 0.3, 0.2],     # order 0 > 1 > 2
                       [0.3, 0.5, 0.2],     # 1 > 0 > 2
                       [0.4, 0.4, 0.2],     # tie at the top: no order
                       [0.5, np.nan, 0.2]])  # vendor 1 missing
    assert scoring.rank_event(values, np.array([0, 1])).tolist() == [True, False, False, False]
    assert scoring.rank_event(values, np.array([0])).tolist() == [True, False, False, True]
    assert scoring.rank_event(values, np.array([1, 0, 2])).tolist() == [False, True, False, False]


@settings(max_examples=100, deadline=None)
@given(n=st.integers(1, 6), k=st.integers(1, 6), seed=st.integers(0, 2**32 - 1))
def test_rank_events_over_all_orderings_partition_the_replications(n, k, seed):
    """With distinct values, exactly one of the n!/(n-k)! top-k orders holds in each
    replication; and the uniform forecaster gives each order 1/(n!/(n-k)!)."""
    k = min(k, n)
    values = np.random.default_rng(seed).random((20, n))
    orders = list(itertools.permutations(range(n), k))
    held = sum(scoring.rank_event(values, np.array(order)).astype(int) for order in orders)
    assert held.tolist() == [1] * 20
    assert len(orders) == math.perm(n, k)
    assert scoring.uniform_rank_probability(n, k) * len(orders) == pytest.approx(1.0)


def test_range_event_and_uniform_range():
    values = np.array([0.4, 0.5, 1.0, 2.0, 2.1, np.nan])
    assert scoring.range_event(values, 0.5, 2.0).tolist() == [False, True, True, True, False, False]
    assert scoring.uniform_range_probability(values, 0.5, 2.0) == pytest.approx(3 / 5)  # NaN left out


# --------------------------------------------------------------------------------------
# forecasters on synthetic results


def test_status_quo_equals_the_model_when_nothing_changes_after_the_status_quo_month(tmp_path):
    static = synthetic_results(tmp_path / "static", static_after="2024-12")
    observations = load_observations(SYNTHETIC_OBSERVATIONS)
    table = score_table(observations, load_results(static), "2024-12")
    p = table.pivot(index="id", columns="forecaster", values="p")
    np.testing.assert_array_equal(p["model"], p["status_quo"])
    # ... and the test can tell: in a world that changes after 2024-12 they differ somewhere
    changing = synthetic_results(tmp_path / "changing", replications=40)
    p = score_table(observations, load_results(changing), "2024-12").pivot(
        index="id", columns="forecaster", values="p")
    assert (p["model"] != p["status_quo"]).any()


def test_forecast_is_the_share_of_replications_with_the_event(results_dir):
    results = load_results(results_dir)
    vm = pd.read_parquet(results_dir / "vendor_month.parquet")
    obs = load_observations(SYNTHETIC_OBSERVATIONS)
    table = score_table(obs, results, "2024-12").set_index(["id", "forecaster"])
    rows = vm[(vm["vendor"] == "moonshot") & (vm["month"] == "2025-06")]
    assert table.loc[("synthetic_moonshot_state_2025_06", "model"), "p"] == pytest.approx(
        (rows["status"] == "frontier").mean())
    assert table.loc[("synthetic_moonshot_state_2025_06", "uniform"), "p"] == 0.25
    assert table.loc[("synthetic_consumer_rank_2025_06", "uniform"), "p"] == pytest.approx(1 / (6 * 5))
    zhipu = table.loc[("synthetic_zhipu_not_exited_2025_06", "model")]
    assert zhipu["outcome"] == 0 and zhipu["brier"] == pytest.approx(zhipu["p"] ** 2)
    price = vm[(vm["vendor"] == "deepseek") & (vm["month"] == "2025-06")]["api_price"]
    assert table.loc[("synthetic_deepseek_price_2025_06", "model"), "p"] == pytest.approx(
        price.between(0.5, 4.0).mean())


# --------------------------------------------------------------------------------------
# the command


def test_cli_end_to_end_on_synthetic_observations(results_dir, tmp_path):
    out = tmp_path / "scores"
    r = score_cli(SYNTHETIC_OBSERVATIONS, results_dir, "--out", out)
    assert r.exit_code == 0, r.output
    assert "synthetic_moonshot_state_2025_06" in r.stdout and "Brier skill" in r.stdout
    scores = pd.read_csv(out / "scores.csv")
    assert len(scores) == 6 * 3 and set(scores["forecaster"]) == {"model", "uniform", "status_quo"}
    assert scores["brier"].between(0, 1).all() and (scores["log_score"] <= 0).all()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["replications"] == 6 and summary["log_score_clip"][0] == pytest.approx(1 / 12)
    model = scores[scores["forecaster"] == "model"]
    assert summary["forecasters"]["model"]["mean_brier"] == pytest.approx(model["brier"].mean())
    png = (out / "reliability.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    # the default --out is RESULTS_DIR/scores; a second run replaces it whole
    assert score_cli(SYNTHETIC_OBSERVATIONS, results_dir).exit_code == 0
    assert (results_dir / "scores" / "reliability.png").stat().st_size > 10_000
    assert score_cli(SYNTHETIC_OBSERVATIONS, results_dir).exit_code == 0
    assert not list(results_dir.glob(".scores.*"))


def test_summary_is_strict_json_when_a_reference_has_no_values(tmp_path):
    """A measure with no finite simulated value: the uniform range forecast is undefined (NaN),
    written as null, not as NaN (which is not JSON)."""
    results = synthetic_results(tmp_path / "results")
    mm = pd.read_parquet(results / "market_month.parquet").assign(leader_price=np.nan)
    mm.to_parquet(results / "market_month.parquet", index=False)
    observed = write_observations(tmp_path, """observations:
  - {id: a, kind: range, measure: leader_price, month: "2025-03", low: 0.1, high: 2}
""")
    r = score_cli(observed, results, "--out", tmp_path / "s")
    assert r.exit_code == 0, r.output

    def refuse(constant):
        raise ValueError(constant)

    summary = json.loads((tmp_path / "s" / "summary.json").read_text(), parse_constant=refuse)
    assert summary["forecasters"]["uniform"]["mean_brier"] is None
    assert summary["forecasters"]["model"]["mean_brier"] == 1.0  # no value is in the range


GOOD = """observations:
  - {id: a, kind: state, vendor: moonshot, month: "2025-03", state: racing}
  - {id: b, kind: range, measure: price_index, month: "2025-03", low: 0.1, high: 2}
"""

BAD = {  # name: (file text, words the one error line must hold)
    "unknown vendor": (GOOD.replace("vendor: moonshot", "vendor: moonshoot"),
                       ["observations[0].vendor", "'moonshoot'", "did you mean 'moonshot'"]),
    "month outside the results": (GOOD.replace('"2025-03", state', '"2026-01", state'),
                                  ["observations[0].month", "'2026-01'", "2024-10 .. 2025-06"]),
    "not a month": (GOOD.replace('"2025-03", state', '"2025-13", state'),
                    ["observations[0].month", "'2025-13'", "YYYY-MM"]),
    "unknown state": (GOOD.replace("state: racing", "state: winning"),
                      ["observations[0].state", "'winning'", "racing"]),
    "unknown measure": (GOOD.replace("measure: price_index", "measure: price_idx"),
                        ["observations[1].measure", "'price_idx'", "did you mean 'price_index'"]),
    "unknown kind": (GOOD.replace("kind: state", "kind: status"), ["observations[0].kind", "'status'", "rank"]),
    "unknown key": (GOOD.replace("state: racing", "state: racing, happend: false"),
                    ["observations[0].happend", "did you mean 'happened'"]),
    "low above high": (GOOD.replace("low: 0.1, high: 2", "low: 3, high: 2"), ["observations[1]", "low 3.0 > high 2.0"]),
    "duplicate id": (GOOD.replace("id: b", "id: a"), ["observations[1].id", "'a'", "unique"]),
    "missing key": (GOOD.replace("vendor: moonshot, ", ""), ["observations[0].vendor", "missing"]),
    "malformed YAML": ("observations:\n  - {id: a, kind: [state\n", ["malformed YAML", "line"]),
    "no observations": ("observations: []\n", ["observations", "[]"]),
    "a scenario config": ("extends: baseline_2024.yaml\nvendors: {}\n", ["scenario file", "not an observations file"]),
}


@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_observations_file_is_refused_with_one_line_and_nothing_written(case, results_dir, tmp_path):
    text, words = BAD[case]
    observed = write_observations(tmp_path, text)
    out = tmp_path / "scores"
    r = score_cli(observed, results_dir, "--out", out)
    assert r.exit_code == 2, r.output
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {observed}: "), r.stderr
    for w in words:
        assert w in lines[0], (w, lines[0])
    assert "Traceback" not in r.output
    assert not out.exists() and not list(tmp_path.glob(".scores*"))
    assert not (results_dir / "scores").exists()


def test_good_file_of_the_bad_cases_is_accepted(results_dir, tmp_path):
    r = score_cli(write_observations(tmp_path, GOOD), results_dir, "--out", tmp_path / "scores")
    assert r.exit_code == 0, r.output


@pytest.mark.parametrize("option, words", [("2023-12", ["--status-quo-month", "'2023-12'", "2024-10 .. 2025-06"]),
                                           ("Dec 2024", ["--status-quo-month", "YYYY-MM"])])
def test_status_quo_month_outside_the_results_is_refused(option, words, results_dir, tmp_path):
    r = score_cli(SYNTHETIC_OBSERVATIONS, results_dir, "--status-quo-month", option, "--out", tmp_path / "s")
    assert r.exit_code == 2 and all(w in r.stderr for w in words), r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and str(SYNTHETIC_OBSERVATIONS) not in r.stderr
    assert not (tmp_path / "s").exists()


def test_an_experiment_directory_is_refused_naming_what_is_missing(tmp_path):
    exp = tmp_path / "exp"
    (exp / "chunks").mkdir(parents=True)
    (exp / "experiment.yaml").write_text("name: x\n")
    r = score_cli(SYNTHETIC_OBSERVATIONS, exp)
    assert r.exit_code == 2
    line = r.stderr.strip()
    assert len(line.splitlines()) == 1 and "experiment directory" in line and "vendor_month.parquet" in line
    assert not (exp / "scores").exists()
    r = score_cli(SYNTHETIC_OBSERVATIONS, tmp_path / "nowhere")
    assert r.exit_code == 2 and "not found" in r.stderr


def test_an_unrelated_out_directory_is_not_replaced(results_dir, tmp_path):
    other = tmp_path / "mine"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    r = score_cli(SYNTHETIC_OBSERVATIONS, results_dir, "--out", other)
    assert r.exit_code == 2 and "--out" in r.stderr
    assert (other / "keep.txt").read_text() == "mine"


@pytest.mark.slow
def test_scores_a_tiny_real_run(tmp_path):
    """One tiny run of the baseline (18 months: 2024-01 .. 2025-06), scored on the synthetic
    observations; forecasts are shares of 3 replications."""
    out = tmp_path / "run"
    r = runner.invoke(app, ["run", str(BASELINE), "-n", "3", "--set", "scale.consumers=500", "--set",
                            "scale.enterprises=100", "--set", "run.months=18", "--no-figures", "--quiet",
                            "--out", str(out)])
    assert r.exit_code == 0, r.output
    r = score_cli(SYNTHETIC_OBSERVATIONS, out)
    assert r.exit_code == 0, r.output
    scores = pd.read_csv(out / "scores" / "scores.csv")
    model = scores[scores["forecaster"] == "model"]
    assert set(np.round(model["p"] * 3, 9)) <= {0.0, 1.0, 2.0, 3.0}
    assert (out / "scores" / "reliability.png").stat().st_size > 0
