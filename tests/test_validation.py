"""The validation measures on hand-made tables, and `market-sim validate`."""

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from market_sim.cli import app
from market_sim.validation import MEASURES, load_targets

from .conftest import SMALL

VENDORS = ["bytedance", "alibaba", "baidu", "tencent", "zhipu", "baichuan"]
CTX = {"start": "2024-01"}  # no initial prices: measured from the first recorded month


def table(months=6, **cols) -> pd.DataFrame:
    """A vendor-month table: every column constant unless given as {vendor: [per month]}."""
    rows = []
    for t in range(months):
        for v in VENDORS:
            row = {"month_index": t, "month": f"2024-{t + 1:02d}", "vendor": v, "long_tail": False,
                   "kind": "startup" if v in ("zhipu", "baichuan") else "big_tech", "status": "frontier",
                   "api_price": 10.0, "capability_context": 1e5, "consumer_share": 0.1, "enterprise_share": 0.1,
                   "talent_in": 0, "talent_out": 0, "sector_share_government": 0.1}
            for c, per_vendor in cols.items():
                if v in per_vendor:
                    row[c] = per_vendor[v][t]
            rows.append(row)
    return pd.DataFrame(rows)


def test_every_target_fact_has_a_known_measure():
    targets = load_targets()
    assert {t["fact"] for t in targets if t["source"] == "facts"} == {
        "long_context_copied_fast", "price_war_may_2024", "price_war_dec_2024", "startup_subtraction_2024",
        "talent_demand", "zhipu_government_tenders", "shakeout_prediction"}
    assert all(t["measure"] in MEASURES for t in targets)


def test_context_catch_up_counts_big_techs_within_the_window():
    ctx = {"zhipu": [1e5, 2e6, 2e6, 2e6, 2e6, 2e6], "baidu": [1e5, 1e5, 1e7, 1e7, 1e7, 1e7],
           "alibaba": [1e5, 1e5, 1e5, 3e6, 3e6, 3e6], "tencent": [1e5] * 5 + [5e6]}
    value, ok = MEASURES["context_catch_up"](table(capability_context=ctx), None, CTX, 1e6, 2, 2)
    assert (value, ok) == (2.0, True)  # Baidu and Alibaba within two months; Tencent too late


def test_price_war_needs_a_cluster_in_the_window_and_a_startup_split():
    cut = [10, 10, 10, 4, 1, 1]
    prices = {b: cut for b in ("bytedance", "alibaba", "baidu")} | {"zhipu": [10, 10, 10, 10, 4, 4]}
    ok = MEASURES["price_war_cluster"](table(api_price=prices), None, CTX, 0.5, 3, 1, ["2024-03", "2024-07"], 0.5, 0.7)
    assert ok == (3.0, True)  # first cut in 2024-04 (index 3); Zhipu cuts, Baichuan keeps its price
    early = {b: [4, 4, 4, 4, 4, 4] for b in ("bytedance", "alibaba", "baidu")} | {"zhipu": prices["zhipu"]}
    early = {b: [10] + v[1:] for b, v in early.items()}
    measure = MEASURES["price_war_cluster"]
    assert measure(table(api_price=early), None, CTX, 0.5, 3, 1, ["2024-03", "2024-07"], 0.5, 0.7)[1] is False


def test_price_war_counts_a_cut_in_the_first_month_against_the_list_price():
    # ByteDance cuts in month 0 already: relative to its pre-simulation list price (12) that is a 99% cut
    prices = {"bytedance": [0.1] * 6, "alibaba": [20, 20, 8, 1, 1, 1], "baidu": [30, 30, 10, 1, 1, 1],
              "tencent": [30] * 6, "zhipu": [50, 50, 20, 20, 20, 20], "baichuan": [40] * 6}
    ctx = {"start": "2024-01", "initial_price": {"bytedance": 12, "alibaba": 20, "baidu": 30, "tencent": 30,
                                                 "zhipu": 50, "baichuan": 40}}
    t = table(api_price=prices)
    assert MEASURES["price_war_cluster"](t, None, ctx, 0.5, 3, 2, ["2024-01", "2024-07"], 0.5, 0.7) == (0.0, True)
    # measured from the first recorded month instead, ByteDance never cuts: too few big techs
    value, ok = MEASURES["price_war_cluster"](t, None, CTX, 0.5, 3, 2, ["2024-01", "2024-07"], 0.5, 0.7)
    assert np.isnan(value) and not ok


def test_net_talent_and_government_leader():
    t = table(talent_in={"bytedance": [5] * 6}, talent_out={"bytedance": [2] * 6},
              sector_share_government={"zhipu": [0.3] * 6, "baichuan": [0.05] * 6})
    assert MEASURES["net_talent"](t, None, CTX, "bytedance", 2024) == (18.0, True)
    assert MEASURES["sector_leader_among_startups"](t, None, CTX, "zhipu", "government", 2024, 0.05)[1]
    assert not MEASURES["sector_leader_among_startups"](t, None, CTX, "baichuan", "government", 2024, 0.05)[1]


def test_validate_command_writes_the_table_and_exits_1_on_failure(tmp_path):
    r = CliRunner().invoke(app, ["validate", str(SMALL), "-n", "2", "--workers", "1", "--out", str(tmp_path)])
    # a 12-month, small market cannot show the 2025 shakeout: at least one target fails
    assert r.exit_code == 1, r.output
    text = (tmp_path / "validation.md").read_text()
    assert "shakeout_prediction" in text and "FAIL" in text
    table = pd.read_csv(tmp_path / "validation.csv")
    assert table["target"].nunique() == len(load_targets())
    assert set(table["source"]) == {"facts", "supplement"} and "## Targets from market_facts_2024_supplement" in text
