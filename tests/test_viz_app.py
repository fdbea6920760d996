"""The app without a browser: it imports, builds its model from the controls, and every
component renders; every chart is a valid Vega-Lite spec at the start and after steps."""

import warnings

import pytest

solara = pytest.importorskip("solara")

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Mesa's own SolaraViz trips a solara hooks lint warning
    from market_sim.viz import app, charts


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
    assert m.cfg.scale.consumers == 2_000 and m.scenario == "scenarios/funding_winter"


def test_sliders_scale_a_scenarios_dated_changes_too():
    m = app.VizMarketModel(scenario="scenarios/price_war_deepens", price_war_x=0.5, consumers=1_000)
    assert m.cfg.changes[0].set["price_war.intensity"] == pytest.approx(0.75)  # 1.5 from 2025-01, x0.5
    assert m.cfg.changes[0].set["price_war.undercut"] == 0.15  # not a slider: as the scenario says


def test_scenario_list_has_baseline_and_scenarios():
    names = list(app.scenario_files())
    assert names[0] == "baseline_2024"
    assert {"scenarios/funding_winter", "scenarios/talent_war"} <= set(names)
    assert app.model_params["scenario"]["values"] == names


def test_every_component_renders_before_and_after_steps(model):
    for months in (0, 3):
        for _ in range(months):
            model.step()
        for component in app.COMPONENTS:
            box, rc = solara.render(component(model), handle_error=False)
            rc.close()


def test_charts_are_valid_vega_lite(model):
    for _ in range(2):
        model.step()
    for chart in (charts.shares_chart(model), charts.prices_chart(model), charts.cash_chart(model),
                  charts.network_chart(model), *(charts.capability_chart(model, f) for f in ("quality", "context"))):
        spec = chart.to_dict()  # validates against the Vega-Lite schema (the app skips this per frame)
        assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/v5")


def test_event_feed_shows_named_vendors_and_tail_exits(model):
    for e in charts.latest_events(model, 50):
        row = model.vendors.row_of[e["vendor"]]
        assert not model.vendors.long_tail[row] or e["event"] in ("exit", "acquisition")


def test_status_board_lists_every_named_vendor(model):
    rows = charts.status_rows(model)
    assert [r["vendor"] for r in rows[:10]] == [model.vendors.names[i] for i in range(10)]
    assert "long tail" in rows[-1]["vendor"]
    html = app.status_table_html(rows)
    assert html.count("<tr>") == len(rows) + 1


def test_colours_are_the_same_in_every_chart(model):
    scale = charts.colour_scale(model).to_dict()
    assert scale["domain"][0] == "ByteDance" and scale["range"][0] == "#1f77b4"


def test_cached_specs_with_fresh_data_are_valid_and_current(model):
    from altair.utils.schemapi import validate_jsonschema
    from altair.vegalite.v5.schema import core

    schema = core.load_schema()
    cache: dict = {}
    builders = {"shares": charts.shares_chart, "prices": charts.prices_chart, "cash": charts.cash_chart,
                "network": charts.network_chart, "capability": charts.capability_chart}
    for _ in range(2):
        model.step()
        for name, build in builders.items():
            key = (name, *charts.structure_key(model))
            spec = charts.spec_with_data(cache, key, lambda data, b=build: b(model, data=data))
            validate_jsonschema(spec, schema)
            assert spec["datasets"], name
        # the data is this month's: the shares dataset has one row per vendor series and month
        shares = charts.spec_with_data(cache, ("shares", *charts.structure_key(model)),
                                       lambda data: charts.shares_chart(model, data))["datasets"]["consumer_share"]
        assert {r["month"] for r in shares} == {model.month_label} | {r["month"] for r in shares}
        assert len({r["month"] for r in shares}) == model.recorder.months_done
