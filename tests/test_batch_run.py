"""The model under mesa.batch_run, with plain keyword parameters."""

import mesa

from market_sim import MarketModel

from .conftest import SMALL


def test_batch_run_with_plain_keyword_parameters():
    results = mesa.batch_run(
        MarketModel,
        parameters={"config": str(SMALL), "n_consumers": 300, "n_enterprises": 40, "months": 6,
                    "price_war_intensity": [0.2, 1.0], "rng": [1, 2]},
        iterations=1, max_steps=100, number_processes=1, data_collection_period=1, display_progress=False,
    )
    assert len(results) == 4 * 6  # 2 x 2 parameter points, 6 months each
    row = results[-1]
    assert {"price_index", "hhi_consumer", "frontier_vendors", "price_war_intensity"} <= set(row)
    assert [r["month"] for r in results[:6]] == ["2024-01", "2024-02", "2024-03", "2024-04", "2024-05", "2024-06"]
    assert 0 <= row["hhi_consumer"] <= 1


def test_keyword_parameters_map_onto_config_keys():
    m = MarketModel(SMALL, rng=1, n_consumers=123, talent_mobility=0.07, consumers__bass_q=0.2)
    assert m.cfg.scale.consumers == 123
    assert m.cfg.talent.mobility == 0.07
    assert m.cfg.consumers.bass_q == 0.2
