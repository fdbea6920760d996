"""The experiment report states its limits: scenario changes, mechanisms, paired-difference
plot, caveats generated from the numbers (synthetic outcomes, and one tiny experiment)."""

import pandas as pd
from typer.testing import CliRunner

from market_sim.cli import app
from market_sim.experiment_caveats import caveats, mechanisms

from .conftest import ROOT

NAMES = {"zhipu": "Zhipu", "moonshot": "Moonshot"}


def _outcomes(rows):
    return pd.DataFrame(rows, columns=["scenario", "replication", "vendor", "falls_behind", "reason", "final_status",
                                       "left_race_month"])


def _changes(rows=()):
    return pd.DataFrame(list(rows), columns=["scenario", "vendor", "name", "change", "ci95_low", "ci95_high",
                                             "significant"])


def test_horizon_bunching_and_early_settlement_are_flagged():
    rows = [("baseline", r, "zhipu", True, "status", "focused", "2025-12") for r in range(8)]
    rows += [("baseline", r, "zhipu", False, "", "frontier", "") for r in range(8, 10)]
    rows += [("baseline", r, "moonshot", True, "status", "focused", "2024-06") for r in range(7)]
    rows += [("baseline", r, "moonshot", False, "", "frontier", "") for r in range(7, 10)]
    text = " ".join(caveats(_outcomes(rows), NAMES, _changes(), "baseline", "2025-01", "2025-12"))
    assert "Horizon effect" in text and "Zhipu" in text
    assert "Settled before the scenarios start" in text and "Moonshot" in text and "70%" in text


def test_a_harsher_world_lowering_risk_is_flagged_not_stated():
    rows = [("baseline", r, "zhipu", False, "", "frontier", "") for r in range(5)]
    changes = _changes([("price_war_deepens", "moonshot", "Moonshot", -0.2, -0.3, -0.1, True),
                        ("open_weights", "zhipu", "Zhipu", -0.2, -0.3, -0.1, True)])
    text = " ".join(caveats(_outcomes(rows), NAMES, changes, "baseline", "2025-01", "2025-12"))
    assert "Not yet explained" in text and "price_war_deepens" in text and "open_weights" not in text


def test_mechanisms_come_from_the_reason_and_final_status():
    rows = [("baseline", 0, "zhipu", True, "status", "focused", "2025-03"),
            ("baseline", 1, "zhipu", True, "small_and_behind", "frontier", ""),
            ("baseline", 2, "zhipu", False, "", "frontier", "")]
    m = mechanisms(_outcomes(rows), NAMES, "baseline")
    assert m.loc[0, "falls"] == 2 and "pivoted" in m.loc[0, "how (share of its falls)"]
    assert "small and far behind" in m.loc[0, "how (share of its falls)"]


def test_the_report_has_the_new_sections(tmp_path):
    out = tmp_path / "exp"
    r = CliRunner().invoke(app, ["experiment", str(ROOT / "tests" / "data" / "experiments" / "two_scenarios.yaml"),
                                 "--out", str(out), "--workers", "1", "--quiet"])
    assert r.exit_code == 0, r.output
    assert "## Answer" in r.output and "Who falls behind" in r.output  # the CLI prints its answer
    report = (out / "report.md").read_text()
    for needle in ("## What each scenario changes", "## How each vendor falls", "## Caveats (computed",
                   "figures/paired_changes.png"):
        assert needle in report
    assert (out / "figures" / "paired_changes.png").stat().st_size > 5_000
