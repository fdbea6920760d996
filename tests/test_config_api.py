"""The config API other modules code against: dict overrides, apply_change, --set parsing in
the CLI only, the shared seed scheme and numerical helpers."""

import numpy as np
import pytest

from market_sim.calendar import month_index, month_label
from market_sim.config import ConfigError, apply_change, load_config

from .conftest import BASELINE, ROOT, SMALL

SCENARIOS = sorted((ROOT / "configs" / "scenarios").glob("*.yaml"))


def _reference_changed_config(cfg, change):
    """What a dated change did before apply_change: validate the whole config again."""
    return load_config(cfg.model_dump(), dict(change.set))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_apply_change_equals_revalidating_the_whole_config(path):
    cfg = load_config(path)
    for change in cfg.changes:
        after = apply_change(cfg, change)
        assert after == _reference_changed_config(cfg, change)
        assert after.model_dump() == _reference_changed_config(cfg, change).model_dump()
        cfg = after


def test_apply_change_coerces_values_and_shares_what_it_does_not_change():
    cfg = load_config(SMALL, {"changes": [{"month": "2024-07", "set": {
        "price_war.tolerance": 0, "vendors.baidu.share_ambition": 1, "market.funding_climate_scale": 2}}]})
    after = apply_change(cfg, cfg.changes[0])
    assert after.price_war.tolerance == 0.0 and isinstance(after.price_war.tolerance, float)
    assert after.vendors["baidu"].share_ambition == 1.0 and cfg.vendors["baidu"].share_ambition != 1.0
    assert after.market.funding_climate_scale == 2.0
    assert after.catch_up is cfg.catch_up and after.vendors["moonshot"] is cfg.vendors["moonshot"]
    assert cfg.price_war.tolerance != 0.0  # the original is untouched


def test_overrides_are_typed_values_with_the_same_checks():
    cfg = load_config(BASELINE, {"price_war.intensity": 0.5, "vendors.moonshot.capability.quality": 60})
    assert cfg.price_war.intensity == 0.5 and cfg.vendors["moonshot"].capability["quality"] == 60
    with pytest.raises(ConfigError, match="did you mean 'intensity'"):
        load_config(BASELINE, {"price_war.intensty": 0.5})
    with pytest.raises(ConfigError, match="price_war.intensity"):
        load_config(BASELINE, {"price_war.intensity": 9})
    with pytest.raises(TypeError):
        load_config(BASELINE, ["price_war.intensity=0.5"])  # strings are the CLI's business


def test_set_options_are_parsed_in_the_cli():
    from market_sim.cli import parse_set_option, set_options

    assert parse_set_option("price_war.intensity=0.5") == ("price_war.intensity", 0.5)
    assert parse_set_option("vendors.baidu.name=Baidu 2") == ("vendors.baidu.name", "Baidu 2")
    assert set_options(["a.b=1", "c=x", "a.b=2"]) == {"c": "x", "a.b": 2}
    with pytest.raises(ConfigError, match="expected dotted.key=value"):
        parse_set_option("price_war.intensity")


def test_calendar():
    assert month_index("2025-03", "2024-01") == 14
    assert month_label("2024-01", 14) == "2025-03"
    assert all(month_index(month_label("2023-11", k), "2023-11") == k for k in range(40))


def test_one_seed_scheme_for_replications_sweeps_and_experiments():
    from market_sim.execution import child_seed, child_seeds

    spawned = np.random.SeedSequence(7).spawn(5)
    for key, (ours, theirs) in enumerate(zip(child_seeds(7, 5), spawned)):
        assert ours.generate_state(8).tolist() == theirs.generate_state(8).tolist()
        assert child_seed(7, key).generate_state(8).tolist() == theirs.generate_state(8).tolist()


def test_softmax():
    from market_sim.numerics import softmax

    x = np.array([[1.0, 2.0, 3.0], [1000.0, 1000.0, -np.inf]])
    p = softmax(x)
    np.testing.assert_allclose(p.sum(axis=-1), 1.0)
    np.testing.assert_allclose(p[1], [0.5, 0.5, 0.0])
    np.testing.assert_allclose(p[0], np.exp(x[0]) / np.exp(x[0]).sum())
    masked = softmax(x[:1], where=np.array([[True, False, True]]))
    total = np.exp(1) + np.exp(3)
    np.testing.assert_allclose(masked[0], [np.exp(1) / total, 0.0, np.exp(3) / total])
    assert (softmax(x[:1], where=np.zeros((1, 3), bool)) == 0).all()
