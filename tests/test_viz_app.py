"""The app without a browser: it builds its model from the controls, refuses a step past the
horizon and a bad seed, every panel renders, every chart is a valid Vega-Lite spec, the
falls-behind panel follows the model's rule, the ensemble's statistics and the export."""

import io
import warnings
import zipfile

import numpy as np
import pytest
import yaml

solara = pytest.importorskip("solara")

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from market_sim.viz import app, behind, charts, ensemble, export, panels, scenarios


@pytest.fixture(scope="module")
def model():
    return app.VizMarketModel(consumers=1_000)


def test_controls_map_onto_the_scenario_config():
    base = app.VizMarketModel(consumers=1_000)
    m = app.VizMarketModel(scenario="scenarios/funding_winter", seed="7", price_war_x=0.5, copy_lag_x=2.0,
                           talent_mobility_x=3.0, funding_climate_x=0.5, consumers=2_000)
    assert m.cfg.price_war.intensity == pytest.approx(0.5 * base.cfg.price_war.intensity)
    assert m.cfg.catch_up.copy_lag_months == pytest.approx(2.0 * base.cfg.catch_up.copy_lag_months)
    assert m.cfg.talent.mobility == pytest.approx(3.0 * base.cfg.talent.mobility)
    assert m.cfg.market.funding_climate_scale == pytest.approx(0.5)
    assert m.cfg.changes[0].set["market.funding_climate"]["2025-12"] == 0.2  # the scenario's own change survives
    assert m.cfg.scale.consumers == 2_000 and m.scenario == "scenarios/funding_winter" and m.seed == 7


def test_sliders_scale_a_scenarios_dated_changes_too():
    m = app.VizMarketModel(scenario="scenarios/price_war_deepens", price_war_x=0.5, consumers=1_000)
    assert m.cfg.changes[0].set["price_war.intensity"] == pytest.approx(0.75)  # 1.5 from 2025-01, x0.5
    assert m.cfg.changes[0].set["price_war.undercut"] == 0.15  # not a slider: as the scenario says


@pytest.mark.parametrize("bad", ["abc", "-1", "1.5", ""])
def test_a_bad_seed_is_refused_not_turned_into_0(bad):
    with pytest.raises(ValueError, match="seed must be a whole number"):
        app.VizMarketModel(seed=bad, consumers=1_000)
    assert app.control_error({**app.default_controls(), "seed": bad})


def test_a_step_past_the_horizon_is_refused_clearly():
    m = app.VizMarketModel(consumers=1_000)
    for _ in range(m.horizon):
        m.step()
    assert not m.running and m.month == m.horizon
    with pytest.raises(app.HorizonReached, match="Reset"):
        m.step()
    assert m.month == m.horizon and m.recorder.months_done == m.horizon  # nothing moved


def test_scenario_list_descriptions_and_change_months():
    names = list(app.scenario_files())
    assert names[0] == "baseline_2024"
    assert {"scenarios/funding_winter", "scenarios/talent_war"} <= set(names)
    assert "funding climate keeps cooling" in scenarios.describe("scenarios/funding_winter")
    assert "Changes start in 2025-01" in scenarios.describe("scenarios/funding_winter")
    assert scenarios.change_months("baseline_2024") == []


def test_every_component_and_the_page_render_before_and_after_steps(model):
    for months in (0, 3):
        for _ in range(months):
            model.step()
        for component in app.COMPONENTS:
            box, rc = solara.render(component(model), handle_error=False)
            rc.close()
    box, rc = solara.render(app.Page(), handle_error=False)
    rc.close()


def test_charts_are_valid_vega_lite(model):
    for _ in range(2):
        model.step()
    for chart in (charts.shares_chart(model), charts.prices_chart(model), charts.cash_chart(model),
                  charts.network_chart(model), *(charts.capability_chart(model, f) for f in ("quality", "context"))):
        spec = chart.to_dict()  # validates against the Vega-Lite schema (the app skips this per frame)
        assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/v5")


def test_placeholders_keep_their_text_at_the_start():
    m = app.VizMarketModel(consumers=1_000)
    spec = charts.spec_with_data({}, ("prices", *charts.structure_key(m)), lambda data: charts.prices_chart(m, data))
    texts = [r.get("text") for rows in spec["datasets"].values() for r in rows]
    assert any("press Step" in str(t) for t in texts)


def test_falls_behind_rows_follow_the_models_rule(model):
    rows = behind.rows(model)
    assert [r["vendor"] for r in rows] == [model.vendors.names[i] for i in np.flatnonzero(~model.vendors.long_tail)]
    fb = model.cfg.falls_behind
    for r in rows:
        out_of_race = r["status"] in fb.statuses
        small_behind = r["share"] < fb.max_combined_share and r["gap_months"] > fb.min_gap_months
        assert r["falls_behind"] == (out_of_race or small_behind)
        assert r["cause"]
    assert "falls behind if" in behind.definition(model.cfg)


def test_event_log_keeps_history_and_filters(model):
    for _ in range(4):
        model.step()
    everything = panels.log_items(model, "all", limit=10_000)
    assert {e["month_index"] for e in everything} >= {0, model.month - 1}  # not only this month
    headlines = panels.log_items(model, "headlines")
    assert all(e["event"] in panels.HEADLINE_EVENTS for e in headlines)
    one = panels.log_items(model, "all", "Moonshot", limit=10_000)
    assert one and all(e["vendor"] == "moonshot" for e in one)


def test_wilson_interval_and_paired_difference():
    assert ensemble.wilson(0, 20) == (0.0, pytest.approx(0.1611, abs=1e-3))
    lo, hi = ensemble.wilson(10, 20)
    assert lo < 0.5 < hi
    a = [{"index": i, "vendors": ["X"], "falls_behind": [i < 5]} for i in range(10)]
    b = [{"index": i, "vendors": ["X"], "falls_behind": [i < 8]} for i in range(10)]
    d = ensemble.paired(a, b)
    assert d["diff"].iloc[0] == pytest.approx(0.3) and d["lo"].iloc[0] < 0.3 < d["hi"].iloc[0]


def test_one_replication_matches_the_apps_run():
    """Replication 0 of the ensemble is the run the app shows (same seed derivation as `market-sim run`)."""
    from market_sim.execution import child_seeds

    m = app.VizMarketModel(consumers=1_000)
    while m.running:
        m.step()
    res = ensemble.run_replication(m.initial_cfg, child_seeds(1, 1)[0], "a", 0)
    assert res["falls_behind"] == [r["falls_behind"] for r in behind.rows(m)]
    table = ensemble.summary([res])
    assert list(table["vendor"]) == res["vendors"] and set(table["n"]) == {1}


def test_export_has_tables_config_and_command(model):
    z = zipfile.ZipFile(io.BytesIO(export.export_zip(model)))
    assert {"vendor_month.csv", "vendor_month.parquet", "market_month.csv", "events.parquet", "config.yaml",
            "COMMAND.txt"} <= set(z.namelist())
    cfg = yaml.safe_load(z.read("config.yaml"))
    assert cfg["scale"]["consumers"] == 1_000
    assert "market-sim run config.yaml --seed 1" in z.read("COMMAND.txt").decode()


def test_exported_config_reruns_the_same_history(tmp_path):
    """The config is the one the run started with, not the one after the scenario's change."""
    from market_sim.config import load_config
    from market_sim.execution import child_seeds
    from market_sim.model import MarketModel

    m = app.VizMarketModel(scenario="scenarios/price_war_deepens", consumers=1_000)
    for _ in range(14):
        m.step()
    z = zipfile.ZipFile(io.BytesIO(export.export_zip(m)))
    (tmp_path / "config.yaml").write_bytes(z.read("config.yaml"))
    again = MarketModel(config=load_config(tmp_path / "config.yaml"), rng=np.random.default_rng(child_seeds(1, 1)[0]))
    for _ in range(14):
        again.step()
    assert np.allclose(again.recorder.v["consumer_share"][:14], m.recorder.v["consumer_share"][:14])


def test_status_board_lists_every_named_vendor(model):
    rows = charts.status_rows(model)
    assert [r["vendor"] for r in rows[:10]] == [model.vendors.names[i] for i in range(10)]
    assert "long tail" in rows[-1]["vendor"]
    assert panels.status_table_html(rows).count("<tr>") == len(rows) + 1


def test_colours_are_the_same_in_every_chart(model):
    scale = charts.colour_scale(model).to_dict()
    assert scale["domain"][0] == "ByteDance" and scale["range"][0] == "#1f77b4"


def test_cached_specs_are_valid_and_readable_in_dark_mode(model):
    from altair.utils.schemapi import validate_jsonschema
    from altair.vegalite.v5.schema import core

    schema = core.load_schema()
    cache: dict = {}
    for name, build in {"shares": charts.shares_chart, "prices": charts.prices_chart, "cash": charts.cash_chart,
                        "network": charts.network_chart, "capability": charts.capability_chart}.items():
        spec = charts.spec_with_data(cache, (name, *charts.structure_key(model)), lambda d, b=build: b(model, data=d))
        validate_jsonschema(spec, schema)
        assert spec["config"]["background"] == "transparent" and spec["datasets"], name
