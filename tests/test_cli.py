"""The CLI end to end, and every kind of bad input: exit 2, a message naming file, key path,
value and what is allowed, and no results directory."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from market_sim.cli import app

from .conftest import BASELINE, ROOT, SMALL

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.mark.slow
def test_run_end_to_end_writes_results_and_prints_table(tmp_path):
    out = tmp_path / "res"
    r = invoke("run", SMALL, "--replications", 3, "--workers", 2, "--seed", 4, "--out", out, "--quiet")
    assert r.exit_code == 0, r.output
    for name in ("config.yaml", "vendor_month.parquet", "market_month.parquet", "events.parquet",
                 "outcomes.parquet", "summary.json", "report.md", "falls_behind.csv"):
        assert (out / name).is_file(), name
    for fig in ("shares", "prices", "capability", "cash_runway", "falls_behind"):
        assert (out / "figures" / f"{fig}.png").stat().st_size > 10_000
    vm = pd.read_parquet(out / "vendor_month.parquet")
    assert sorted(vm["replication"].unique()) == [0, 1, 2]
    assert vm["month"].nunique() == 12
    summary = json.loads((out / "summary.json").read_text())
    assert summary["replications"] == 3 and summary["base_seed"] == 4
    assert {r["vendor"] for r in summary["falls_behind"]} >= {"bytedance", "moonshot"}
    # the printed table names vendors with probabilities, and the paths written
    assert "P(falls behind)" in r.output and "Moonshot" in r.output and str(out) in r.output
    report = (out / "report.md").read_text()
    assert "figures/falls_behind.png" in report
    # the resolved config is a valid config that reproduces the run's settings
    resolved = yaml.safe_load((out / "config.yaml").read_text())
    assert resolved["scale"]["consumers"] == 2000


@pytest.mark.slow
def test_run_without_figures_writes_the_same_tables_and_a_report_without_images(tmp_path):
    with_figures, without = tmp_path / "with", tmp_path / "without"
    assert invoke("run", SMALL, "-n", 2, "--seed", 3, "--out", with_figures, "--quiet").exit_code == 0
    r = invoke("run", SMALL, "-n", 2, "--seed", 3, "--out", without, "--quiet", "--no-figures")
    assert r.exit_code == 0, r.output
    assert not (without / "figures").exists()
    assert not any(line.split()[:1] == ["figures"] for line in r.output.split("written")[-1].splitlines())
    report = (without / "report.md").read_text()
    assert "![" not in report and "P(falls behind)" in report
    for name in ("vendor_month", "market_month", "events", "outcomes"):
        pd.testing.assert_frame_equal(pd.read_parquet(with_figures / f"{name}.parquet"),
                                      pd.read_parquet(without / f"{name}.parquet"))


@pytest.mark.slow
def test_run_replaces_its_own_results_but_not_other_directories(tmp_path):
    out = tmp_path / "res"
    assert invoke("run", SMALL, "--out", out, "--quiet", "--set", "run.months=2").exit_code == 0
    assert invoke("run", SMALL, "--out", out, "--quiet", "--set", "run.months=3").exit_code == 0
    assert pd.read_parquet(out / "market_month.parquet")["month"].nunique() == 3
    other = tmp_path / "precious"
    other.mkdir()
    (other / "thesis.tex").write_text("do not delete")
    r = invoke("run", SMALL, "--out", other, "--quiet")
    assert r.exit_code == 2 and "not a market-sim results directory" in r.output
    assert (other / "thesis.tex").exists()


@pytest.mark.slow
def test_set_overrides_reach_the_model(tmp_path):
    out = tmp_path / "res"
    r = invoke("run", SMALL, "--out", out, "--quiet", "--set", "run.months=3", "--set", "price_war.intensity=0.25")
    assert r.exit_code == 0, r.output
    resolved = yaml.safe_load((out / "config.yaml").read_text())
    assert resolved["run"]["months"] == 3 and resolved["price_war"]["intensity"] == 0.25


def test_check_and_schema_commands():
    r = invoke("check", BASELINE)
    assert r.exit_code == 0 and "ok" in r.output
    r = invoke("schema")
    assert r.exit_code == 0 and "properties" in json.loads(r.output)


@pytest.mark.slow
def test_console_script_exit_status_is_2_on_bad_input(tmp_path):
    exe = Path(sys.executable).parent / "market-sim"
    bad = tmp_path / "bad.yaml"
    bad.write_text("run: [unclosed\n")
    p = subprocess.run([str(exe), "run", str(bad), "--out", str(tmp_path / "out")], capture_output=True, text=True,
                       cwd=ROOT, env={**os.environ, "COLUMNS": "200"})
    assert p.returncode == 2
    assert "malformed YAML" in p.stderr and str(bad) in p.stderr
    assert not (tmp_path / "out").exists()


def _write(tmp_path, text):
    f = tmp_path / "cfg.yaml"
    f.write_text(text)
    return f


EXT = f"extends: {BASELINE}\n"

BAD_CONFIGS = {
    "malformed_yaml": (EXT + "run: {months: 3\n", ["malformed YAML", "line"]),
    "unknown_key": (EXT + "price_war:\n  intensty: 0.5\n",
                    ["price_war.intensty", "unknown key", "did you mean 'intensity'"]),
    "unknown_section": (EXT + "pricewar: {intensity: 0.5}\n", ["pricewar", "did you mean 'price_war'"]),
    "wrong_type": (EXT + "scale:\n  consumers: many\n", ["scale.consumers", "'many'", "integer"]),
    "negative_price": (EXT + "vendors:\n  moonshot: {api_price_rmb_per_mtok: -3}\n",
                       ["vendors.moonshot.api_price_rmb_per_mtok", "-3", ">= 0"]),
    "share_above_one": (EXT + "vendors:\n  zhipu: {consumer_share: 1.5}\n",
                        ["vendors.zhipu.consumer_share", "1.5", "<= 1"]),
    "zero_consumers": (EXT + "scale:\n  consumers: 0\n", ["scale.consumers", "0", ">= 1"]),
    "bad_month": (EXT + "run:\n  start: 2024-13\n", ["run.start", "YYYY-MM"]),
    "missing_extends": ("extends: nowhere/base.yaml\n", ["extends", "nowhere/base.yaml", "not found"]),
    "undefined_vendor": (EXT + "scheduled_releases:\n"
                         "  - {vendor: moonshoot, month: '2024-03', feature: context, level: 2000000}\n",
                         ["scheduled_releases[0].vendor", "moonshoot", "did you mean 'moonshot'"]),
    "undefined_stake_vendor": (EXT + "strategic_stakes:\n  - {investor: alibaba, vendor: openai, stake: 0.1}\n",
                               ["strategic_stakes[0].vendor", "openai"]),
    "bad_literal": (EXT + "consumers:\n  word_of_mouth: telepathy\n",
                    ["consumers.word_of_mouth", "telepathy", "network", "mixed"]),
    "not_a_mapping": ("- just\n- a list\n", ["top level must be a mapping"]),
}


@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
def test_bad_config_is_rejected_clearly(tmp_path, case):
    text, expected = BAD_CONFIGS[case]
    cfg = _write(tmp_path, text)
    out = tmp_path / "out"
    r = invoke("run", cfg, "--out", out, "--quiet")
    assert r.exit_code == 2, r.output
    assert str(cfg) in r.output or case == "missing_extends" and "cfg.yaml" in r.output
    for needle in expected:
        assert needle in r.output, (needle, r.output)
    assert not out.exists()
    assert not list(tmp_path.glob(".out*"))


@pytest.mark.parametrize("override,expected", [
    ("price_war.intensty=0.5", ["price_war.intensty", "does not exist", "did you mean 'intensity'"]),
    ("vendors.openai.api_price_rmb_per_mtok=1", ["vendors.openai", "does not exist"]),
    ("talent.mobility=2.0", ["talent.mobility", "2.0", "<= 1"]),
    ("price_war.intensity", ["expected dotted.key=value"]),
])
def test_bad_override_is_rejected_clearly(tmp_path, override, expected):
    out = tmp_path / "out"
    r = invoke("run", SMALL, "--out", out, "--quiet", "--set", override)
    assert r.exit_code == 2, r.output
    for needle in expected:
        assert needle in r.output, (needle, r.output)
    assert not out.exists()


def test_missing_config_file(tmp_path):
    r = invoke("run", tmp_path / "nope.yaml", "--out", tmp_path / "out")
    assert r.exit_code == 2 and "nope.yaml" in r.output and "not found" in r.output
    assert not (tmp_path / "out").exists()


def test_bad_cli_values_are_usage_errors(tmp_path):
    r = invoke("run", SMALL, "--replications", 0, "--out", tmp_path / "out")
    assert r.exit_code == 2
    assert not (tmp_path / "out").exists()


def test_viz_rejects_a_bad_config_before_starting_a_server(tmp_path):
    cfg = _write(tmp_path, EXT + "scale:\n  consumers: 0\n")
    r = invoke("viz", cfg, "--port", 1)
    assert r.exit_code == 2 and "scale.consumers" in r.output


@pytest.mark.parametrize("override,get", [
    ("vendors.tencent.capability.quality=88", lambda c: c.vendors["tencent"].capability["quality"]),
    ("features.quality.innovation_step=1.5", lambda c: c.features["quality"].innovation_step),
    ("vendors.zhipu.aggressiveness=0.25", lambda c: c.vendors["zhipu"].aggressiveness),
])
def test_set_reaches_keys_inside_dict_sections(override, get):
    from market_sim.config import load_config
    from market_sim.model import DEFAULT_CONFIG
    value = float(override.split("=")[1])
    assert get(load_config(DEFAULT_CONFIG)) != value
    from market_sim.cli import parse_set_option
    assert get(load_config(DEFAULT_CONFIG, dict([parse_set_option(override)]))) == value


def test_set_on_a_misspelt_key_inside_a_dict_section_is_rejected():
    from market_sim.config import ConfigError, load_config
    from market_sim.model import DEFAULT_CONFIG
    with pytest.raises(ConfigError, match="vendors.tencent.capability.qualty"):
        load_config(DEFAULT_CONFIG, {"vendors.tencent.capability.qualty": 88})
