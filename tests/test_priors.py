"""Priors of the assumed parameters (market_sim/priors.py): ranges that contain the default and
that the config accepts at both ends, found from the schema, shown by `market-sim schema
--priors`, and docs/priors.md in step with the code."""

import math

import pytest
from typer.testing import CliRunner

from market_sim.cli import app
from market_sim.config import load_config
from market_sim.priors import FIXED, Prior, priors, priors_markdown, priors_table

from .conftest import BASELINE, ROOT

PRIORS = priors()


def test_every_prior_contains_its_default_and_has_a_reason():
    assert len(PRIORS) > 50
    for p in PRIORS:
        assert p.low <= p.default <= p.high, p
        assert p.low < p.high, p
        assert p.why.strip(), p.key
        assert p.scale in ("uniform", "log-uniform"), p


def test_the_schema_default_is_inside_the_range_too():
    # where the baseline overrides a default, the range holds both
    from market_sim.config.schema import Config

    def schema_default(key):
        model, *parts = Config, *key.split(".")
        for part in parts[:-1]:
            model = model.model_fields[part].annotation
        return model.model_fields[parts[-1]].default

    for p in PRIORS:
        assert p.low <= schema_default(p.key) <= p.high, p


@pytest.mark.parametrize("p", PRIORS, ids=lambda p: p.key)
def test_the_config_accepts_both_ends_of_every_range(p):
    for end in (p.low, p.high):
        cfg = load_config(BASELINE, {p.key: p.sample_to_value(end)})
        section, *rest = p.key.split(".")
        value = getattr(cfg, section)
        for part in rest:
            value = getattr(value, part)
        assert value == end


def test_priors_are_found_from_the_schema():
    keys = [p.key for p in PRIORS]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    for key in ("financing.prospect_gap_months", "long_tail.entry_rate_per_month", "consumers.beta_hype",
                "price_war.intensity", "catch_up.copy_lag_months", "talent.mobility", "consumers.bass_q",
                "enterprises.beta_risk", "big_tech_finance.patience_months", "financing.success_intercept"):
        assert key in keys, key
    for key in ("price_war.cut_event_threshold", "run.months", "scale.consumers",
                "financing.raise_trigger_runway_months", "enterprises.demand_growth_per_month"):
        assert key not in keys, key
    assert not any(k.startswith(("vendors.", "features.", "enterprises.sectors.")) for k in keys)


def test_the_default_is_the_given_configs_value(small_config):
    by_key = {p.key: p for p in PRIORS}
    assert by_key["financing.success_intercept"].default == -2.5  # the baseline overrides the schema's -1
    assert by_key["price_war.tolerance"].default == 2.0
    small = {p.key: p.default for p in priors(small_config)}
    assert small["price_war.intensity"] == small_config.price_war.intensity
    assert [p.key for p in priors(small_config)] == [p.key for p in PRIORS]


def test_fixed_parameters_exist_and_have_no_prior():
    data = load_config(BASELINE).model_dump()
    keys = {p.key for p in PRIORS}
    for listed, why in FIXED.items():
        assert why.strip()
        for key in listed.split(", "):
            node = data
            for part in key.split("."):
                if part == "*" or "*" in part:
                    break
                assert part in node, key
                node = node[part]
            else:
                assert key not in keys, key


def test_log_uniform_rule_and_integer_rounding():
    by_key = {p.key: p for p in PRIORS}
    for p in PRIORS:
        assert (p.scale == "log-uniform") == (p.low > 0 and p.high / p.low >= 4), p
    assert by_key["financing.prospect_gap_months"].scale == "log-uniform"  # 3-12
    assert by_key["financing.dilution"].scale == "uniform"  # 0.1-0.25
    assert by_key["financing.pivot_inertia_months"].scale == "uniform"  # low 0
    patience = by_key["financing.decision_patience_months"]
    assert patience.integer and not by_key["financing.dilution"].integer
    assert patience.sample_to_value(2.6) == 3 and isinstance(patience.sample_to_value(2.6), int)
    assert patience.sample_to_value(-5.0) == patience.low and patience.sample_to_value(99.0) == patience.high
    p = Prior("a.b", 1.0, 0.5, 2.0, "log-uniform", False, "x")
    assert p.sample_to_value(1.2345) == 1.2345 and p.sample_to_value(7.0) == 2.0 and p.sample_to_value(0.0) == 0.5
    assert all(isinstance(q.sample_to_value(q.default), int) for q in PRIORS if q.integer)
    assert all(math.isclose(q.sample_to_value(q.default), q.default) for q in PRIORS)


def test_table_and_markdown():
    table = priors_table()
    assert list(table.columns) == ["key", "default", "low", "high", "scale", "integer", "why"]
    assert len(table) == len(PRIORS)
    page = priors_markdown()
    assert "log-uniform" in page and "price_war.cut_event_threshold" in page
    assert "features.*.beyond_frontier_scale" in page and "not sampled (per-feature multiplier" in page
    assert page.count("\n| `") == len(PRIORS)


def test_docs_priors_page_is_up_to_date():
    doc = ROOT / "docs" / "priors.md"
    assert doc.read_text() == priors_markdown(), "docs/priors.md is out of date: run tools/write_priors_doc.py"


def test_cli_schema_priors():
    runner = CliRunner()
    r = runner.invoke(app, ["schema", "--priors"])
    assert r.exit_code == 0, r.output
    assert "financing.prospect_gap_months" in r.output and "log-uniform" in r.output
    assert "price_war.cut_event_threshold" not in r.output
    r = runner.invoke(app, ["schema", "--priors", "--markdown"])
    assert r.exit_code == 0 and r.output == priors_markdown()
    r = runner.invoke(app, ["schema", "--markdown"])
    assert r.exit_code == 2
