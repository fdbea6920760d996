"""The supplement's validation measures on hand-made tables: for each, a table where it must be
met and one where it must not; and load_targets' check of fact ids against the facts files."""

import numpy as np
import pandas as pd
import pytest
import yaml

from market_sim.validation import FACTS_FILES, MEASURES, load_targets

BIG = ("bytedance", "alibaba", "baidu", "tencent")
NAMED = BIG + ("moonshot", "zhipu", "minimax", "zeroone")
MONTHS = [f"2024-{m:02d}" for m in range(1, 13)]
CTX = {"start": "2024-01"}


def table(vendors=NAMED, months=MONTHS, tail=(), absent=None, **cols) -> pd.DataFrame:
    """A vendor-month table; a column is constant unless given as a value for all vendors,
    {vendor: [one value per month]} or {vendor: value}. `absent`: {vendor: first month present}
    (no rows before it)."""
    rows = []
    for t, month in enumerate(months):
        for v in list(vendors) + list(tail):
            if absent and v in absent and month < absent[v]:
                continue
            row = {"month_index": t, "month": month, "vendor": v, "long_tail": v in tail,
                   "kind": "big_tech" if v in BIG else "startup", "status": "frontier", "mau": 1e6,
                   "consumer_share": 0.01, "tokens_mtok": 1.0, "api_price": 10.0, "revenue_rmb": 1e7,
                   "costs_rmb": 1e7, "enterprise_revenue_rmb": 1e7, "consumer_revenue_rmb": 1e6,
                   "talent_in": 1, "capability_reasoning": 100.0}
            for c, per_vendor in cols.items():
                if not isinstance(per_vendor, dict):
                    row[c] = per_vendor
                elif v in per_vendor:
                    x = per_vendor[v]
                    row[c] = x[t] if isinstance(x, list | tuple | np.ndarray) else x
            rows.append(row)
    return pd.DataFrame(rows)


def market(**cols) -> pd.DataFrame:
    mm = pd.DataFrame({"month_index": range(12), "month": MONTHS, "enterprise_spend_rmb": 1e8,
                       "frontier_reasoning": 100.0 + 2 * np.arange(12)})
    for c, values in cols.items():
        mm[c] = values
    return mm


def measure(name, vm, *, mm=None, ctx=None, **params):
    ctx = (ctx or CTX) | {"market": market() if mm is None else mm}
    return MEASURES[name](vm, None, ctx, **params)


def ramp(a, b):
    return list(np.linspace(a, b, 12))


def test_mau_leader_months():
    lead = table(mau={"bytedance": ramp(2e7, 8e7), "baidu": [1.5e7] * 12})
    assert measure("mau_leader_months", lead, vendor="bytedance", start="2024-03", end="2024-12",
                   min_share=0.7) == (1.0, True)
    late = table(mau={"bytedance": ramp(0.5e7, 3e7), "baidu": [2e7] * 12})  # ahead only from 2024-08
    value, ok = measure("mau_leader_months", late, vendor="bytedance", start="2024-03", end="2024-12",
                        min_share=0.7)
    assert value == pytest.approx(0.5) and not ok


def test_lead_widens():
    p = {"vendor": "bytedance", "early": "2024-03", "late": "2024-12", "min_widening": 1.5}
    widening = table(mau={"bytedance": ramp(2e7, 8e7), "moonshot": ramp(1e7, 2e7)})
    value, ok = measure("lead_widens", widening, **p)
    assert ok and value > 1.5
    steady = table(mau={"bytedance": ramp(2e7, 4e7), "moonshot": ramp(1e7, 2e7)})
    assert not measure("lead_widens", steady, **p)[1]


def test_flat_against():
    p = {"vendor": "baidu", "reference": "bytedance", "start": "2024-01", "end": "2024-12",
         "max_growth": 1.66, "min_gap": 2.0}
    assert measure("flat_against", table(mau={"baidu": ramp(1e7, 1.2e7), "bytedance": ramp(1e7, 4e7)}), **p) == (
        pytest.approx(1.2), True)
    assert not measure("flat_against", table(mau={"baidu": ramp(1e7, 3e7), "bytedance": ramp(1e7, 4e7)}), **p)[1]


def test_growth_and_lead_measures_fail_instead_of_raising_when_a_vendor_starts_with_no_users():
    # a small or extreme run (calibration explores the priors' corners) can leave MAU at 0
    zero = table(mau={"baidu": [0.0] * 12, "bytedance": [0.0] * 12, "moonshot": [0.0] * 12})
    value, ok = measure("flat_against", zero, vendor="baidu", reference="bytedance", start="2024-01",
                        end="2024-12", max_growth=1.66, min_gap=2.0)
    assert np.isnan(value) and not ok
    value, ok = measure("lead_widens", zero, vendor="bytedance", early="2024-03", late="2024-12", min_widening=1.5)
    assert np.isnan(value) and not ok


def test_rank_in_month_among_named_vendors_present():
    mau = {"bytedance": 5e7, "moonshot": 2e7, "baidu": 1.5e7, "tencent": 1e7}
    vm = table(mau=mau, tail=("tail_01",)).assign(mau=lambda d: np.where(d.vendor == "tail_01", 9e7, d.mau))
    assert measure("rank_in_month", vm, vendor="moonshot", month="2024-12", max_rank=2) == (2.0, True)  # tail ignored
    assert measure("rank_in_month", vm, vendor="tencent", month="2024-12", min_rank=4) == (4.0, True)
    behind = table(mau=mau | {"baidu": 3e7})
    assert measure("rank_in_month", behind, vendor="moonshot", month="2024-12", max_rank=2) == (3.0, False)
    ahead = table(mau=mau | {"tencent": 4e7})
    assert measure("rank_in_month", ahead, vendor="tencent", month="2024-12", min_rank=4) == (2.0, False)
    # a vendor that has not entered yet has no rank
    late = table(mau=mau, absent={"moonshot": "2025-01"})
    assert np.isnan(measure("rank_in_month", late, vendor="moonshot", month="2024-12", max_rank=2)[0])


def test_growth_with_a_lag_and_a_band():
    p = {"vendor": "moonshot", "column": "mau", "start": "2024-01", "end": "2024-03", "lag_months": 1,
         "min_growth": 2.0}
    surge_in_april = table(mau={"moonshot": [1e6, 1.2e6, 1.5e6, 2.5e6] + [2.5e6] * 8})
    assert measure("growth", surge_in_april, **p) == (2.5, True)
    assert not measure("growth", surge_in_april, **(p | {"lag_months": 0}))[1]
    tokens = {"vendor": "bytedance", "column": "tokens_mtok", "start": "2024-05", "end": "2024-09",
              "min_growth": 5.0, "max_growth": 50.0}
    ten_x = table(tokens_mtok={"bytedance": [1.0] * 5 + [2.0, 4.0, 7.0, 10.0] + [10.0] * 3})
    assert measure("growth", ten_x, **tokens) == (10.0, True)
    hundred_x = table(tokens_mtok={"bytedance": [1.0] * 5 + [10.0, 40.0, 70.0, 100.0] + [100.0] * 3})
    assert measure("growth", hundred_x, **tokens) == (100.0, False)


def test_gain_ranking_counts_an_entrant_from_zero():
    p = {"order": ["bytedance", "moonshot", "baidu", "alibaba"], "start": "2024-01", "end": "2024-12",
         "exact_top": 2, "within_top": 5}
    gains = {"bytedance": ramp(1e7, 6e7), "moonshot": ramp(1e6, 2e7), "baidu": ramp(1e7, 2e7),
             "alibaba": ramp(5e6, 1.2e7)}
    assert measure("gain_ranking", table(mau=gains), **p) == (4.0, True)
    # an entrant absent in January gains all its MAU and pushes Moonshot to #3
    entrant = table(mau=gains | {"zeroone": [3e7] * 12}, absent={"zeroone": "2024-06"})
    value, ok = measure("gain_ranking", entrant, **p)
    assert value == 1.0 and not ok


def test_tail_small():
    p = {"month": "2024-06", "max_consumer_share": 0.0068, "min_tail_share": 0.8}
    tail = tuple(f"tail_{i:02d}" for i in range(1, 11))
    small = table(tail=tail, consumer_share={"tail_01": 0.02} | {t: 0.001 for t in tail[1:]})
    assert measure("tail_small", small, **p) == (0.9, True)
    big = table(tail=tail, consumer_share={t: 0.02 for t in tail[:3]} | {t: 0.001 for t in tail[3:]})
    assert measure("tail_small", big, **p) == (pytest.approx(0.7), False)


def test_vendors_present_growth_counts_entrants_and_keeps_exits():
    p = {"start": "2024-01", "end": "2024-12", "min_growth": 1.1}
    vm = table(tail=("tail_01", "tail_02"), absent={"tail_01": "2024-04", "tail_02": "2024-09"},
               status={"zhipu": ["frontier"] * 6 + ["exited"] * 6})
    assert measure("vendors_present_growth", vm, **p) == (pytest.approx(10 / 8), True)
    # entrants recorded as not_entered before their entry do not count either
    vm = table(tail=("tail_01",), status={"tail_01": ["not_entered"] * 12})
    assert measure("vendors_present_growth", vm, **p) == (1.0, False)


def test_half_year_ratio_reads_the_market_table():
    p = {"column": "enterprise_spend_rmb", "year": 2024, "min_ratio": 2.0}
    vm = table()
    assert measure("half_year_ratio", vm, mm=market(enterprise_spend_rmb=[1e8] * 6 + [3e8] * 6), **p) == (3.0, True)
    assert measure("half_year_ratio", vm, mm=market(enterprise_spend_rmb=ramp(1e8, 1.5e8)), **p)[1] is False


def test_only_startup_in_top():
    p = {"vendor": "zhipu", "column": "enterprise_revenue_rmb", "year": 2024, "top_n": 5}
    rev = {"bytedance": 5e7, "alibaba": 5e7, "baidu": 5e7, "tencent": 5e7, "zhipu": 3e7, "minimax": 1e7}
    assert measure("only_startup_in_top", table(enterprise_revenue_rmb=rev), **p) == (5.0, True)
    two = rev | {"tencent": 1e6, "minimax": 2e7}  # MiniMax joins the top five
    assert measure("only_startup_in_top", table(enterprise_revenue_rmb=two), **p) == (4.0, False)


def test_market_revenue_c_end_share_and_fragmentation():
    even = table(enterprise_revenue_rmb=4.9e7, consumer_revenue_rmb=6e6)  # 8 vendors x 12 months
    value, ok = measure("market_revenue", even, year=2024, low=2.65e9, high=1.06e10)
    assert value == pytest.approx(8 * 12 * 5.5e7) and ok
    assert not measure("market_revenue", table(), year=2024, low=2.65e9, high=1.06e10)[1]  # 1.06e9
    assert measure("consumer_revenue_share", even, year=2024, low=0.057, high=0.226)[1]
    assert not measure("consumer_revenue_share", table(consumer_revenue_rmb=1e7), year=2024, low=0.057,
                       high=0.226)[1]
    assert measure("max_revenue_share", even, year=2024, max_share=0.2) == (0.125, True)
    lopsided = table(enterprise_revenue_rmb={"bytedance": 5e8})
    assert measure("max_revenue_share", lopsided, year=2024, max_share=0.2)[1] is False


def test_revenue_and_loss_ratio():
    zhipu = table(revenue_rmb={"zhipu": 2.6e7}, costs_rmb={"zhipu": 2.34e8})  # 312M a year, loses 8x
    value, ok = measure("revenue", zhipu, vendor="zhipu", year=2024, low=1.56e8, high=6.25e8)
    assert value == pytest.approx(3.12e8) and ok
    assert measure("loss_ratio", zhipu, vendor="zhipu", year=2024, low=4.0, high=16.0) == (pytest.approx(8.0), True)
    small = table(revenue_rmb={"zhipu": 1e6}, costs_rmb={"zhipu": 1.2e6})
    assert not measure("revenue", small, vendor="zhipu", year=2024, low=1.56e8, high=6.25e8)[1]
    assert not measure("loss_ratio", small, vendor="zhipu", year=2024, low=4.0, high=16.0)[1]
    assert measure("revenue", small, vendor="zeroone", year=2024, low=5e7) == (1.2e8, True)  # no upper bound
    assert not measure("revenue", small, vendor="zhipu", year=2024, low=5e7)[1]


def test_frontier_reached_reads_the_frontier_from_the_market_table():
    p = {"feature": "reasoning", "frontier_month": "2024-09", "by_month": "2024-12", "min_count": 3}
    # frontier in 2024-09: 116 (o1 may be a jump in it: only the market table is read)
    answers = {v: [100.0] * 10 + [117.0] * 2 for v in ("moonshot", "alibaba", "zhipu")}
    tail = {"tail_01": [130.0] * 12}
    assert measure("frontier_reached", table(capability_reasoning=answers, tail=("tail_01",)), **p) == (3.0, True)
    jump = market(frontier_reasoning=[100.0] * 8 + [125.0] * 4)
    assert measure("frontier_reached", table(capability_reasoning=answers | tail, tail=("tail_01",)), mm=jump,
                   **p) == (0.0, False)  # the long tail does not count


def test_leads_sum():
    p = {"vendor": "bytedance", "column": "talent_in", "start": "2024-01", "end": "2024-06"}
    assert measure("leads_sum", table(talent_in={"bytedance": 5, "tencent": 4}), **p) == (1.25, True)
    # a tie, or a rival ahead, is not a lead; H2 hires do not count
    assert measure("leads_sum", table(talent_in={"bytedance": [1] * 6 + [50] * 6, "tencent": 2}), **p) == (0.5, False)


LIST = {"start": "2024-01", "initial_price": dict.fromkeys(NAMED, 10.0)}


def test_cuts_with_wave():
    p = {"vendor": "zhipu", "cut_to": 0.5, "within_months": 1}
    wave = [10.0] * 4 + [4.0] * 8  # big techs cut in 2024-05
    prices = dict.fromkeys(BIG, wave)
    cuts = table(api_price=prices | {"zhipu": [6.0] * 4 + [2.0] * 8})  # Zhipu cut early, then in the wave
    assert measure("cuts_with_wave", cuts, ctx=LIST, **p) == (pytest.approx(1 / 3), True)
    slow = table(api_price=prices | {"zhipu": [10.0] * 6 + [3.0] * 6})  # two months late
    assert measure("cuts_with_wave", slow, ctx=LIST, **p) == (1.0, False)


def test_second_cut():
    p = {"vendor": "alibaba", "first_cut_to": 0.5, "window": ["2024-08", "2024-10"], "second_cut_to": 0.5}
    twice = table(api_price={"alibaba": [10.0] * 4 + [4.0] * 4 + [1.0] * 4})
    assert measure("second_cut", twice, ctx=LIST, **p) == (0.25, True)
    once = table(api_price={"alibaba": [10.0] * 4 + [4.0] * 8})
    assert measure("second_cut", once, ctx=LIST, **p) == (1.0, False)
    only_late = table(api_price={"alibaba": [10.0] * 8 + [1.0] * 4})  # no first cut before the window
    assert measure("second_cut", only_late, ctx=LIST, **p)[1] is False


def test_cascade_after_shock():
    # catches a war counted before the shock, or a shock vendor that never cut counted as one
    p = {"shock_vendor": "deepseek", "cut_to": 0.5, "min_big_techs": 3, "within_months": 1}
    names = NAMED + ("deepseek",)
    shock = {"deepseek": [10.0] * 4 + [1.0] * 8}
    follows = table(vendors=names, api_price=dict.fromkeys(BIG, [10.0] * 5 + [4.0] * 7) | shock)
    assert measure("cascade_after_shock", follows, ctx=LIST, **p) == (1.0, True)
    before = table(vendors=names, api_price=dict.fromkeys(BIG, [10.0] * 2 + [4.0] * 10) | shock)
    assert measure("cascade_after_shock", before, ctx=LIST, **p) == (-2.0, False)
    late = table(vendors=names, api_price=dict.fromkeys(BIG, [10.0] * 8 + [4.0] * 4) | shock)
    assert measure("cascade_after_shock", late, ctx=LIST, **p) == (4.0, False)
    two = table(vendors=names, api_price=dict.fromkeys(BIG[:2], [10.0] * 5 + [4.0] * 7) | shock)
    assert measure("cascade_after_shock", two, ctx=LIST, **p)[1] is False


def test_every_new_measure_has_a_test():
    tested = {"cascade_after_shock",
              "mau_leader_months", "lead_widens", "flat_against", "rank_in_month", "growth", "gain_ranking",
              "tail_small", "vendors_present_growth", "half_year_ratio", "only_startup_in_top", "market_revenue",
              "consumer_revenue_share", "max_revenue_share", "revenue", "loss_ratio", "frontier_reached",
              "leads_sum", "cuts_with_wave", "second_cut"}
    from market_sim.validation_measures_2024 import SUPPLEMENT_MEASURES

    assert set(SUPPLEMENT_MEASURES) == tested


# ---- load_targets: every fact id is in its facts file


def write_targets(tmp_path, targets):
    path = tmp_path / "targets.yaml"
    path.write_text(yaml.safe_dump({"targets": targets}))
    return path


@pytest.fixture
def facts_files(tmp_path):
    files = {"facts": tmp_path / "facts.yaml", "supplement": tmp_path / "supplement.yaml"}
    files["facts"].write_text(yaml.safe_dump({"facts": [{"id": "price_war_may_2024", "use": "target"}]}))
    files["supplement"].write_text(yaml.safe_dump({"facts": [{"id": "doubao_daily_tokens_2024", "use": "target"}]}))
    return files


def target(**kw):
    return {"id": "t", "fact": "price_war_may_2024", "what": "w", "measure": "leader_discount", "pass_share": 0.5} | kw


def test_load_targets_accepts_facts_from_either_file(tmp_path, facts_files):
    path = write_targets(tmp_path, [target(), target(id="u", fact="doubao_daily_tokens_2024", source="supplement")])
    assert [t["source"] for t in load_targets(path, facts_files)] == ["facts", "supplement"]


@pytest.mark.parametrize("bad, message", [
    (target(fact="no_such_fact"), "fact 'no_such_fact' is not in"),
    (target(fact="doubao_daily_tokens_2024"), "set source: supplement"),  # in the other file
    (target(source="elsewhere"), "unknown source 'elsewhere'"),
])
def test_load_targets_refuses_an_unknown_fact(tmp_path, facts_files, bad, message):
    with pytest.raises(ValueError, match=message):
        load_targets(write_targets(tmp_path, [bad]), facts_files)


@pytest.mark.skipif(not all(p.is_file() for p in FACTS_FILES.values()), reason="the project's shared/facts is not here")
def test_the_real_targets_name_real_facts():
    targets = load_targets()  # raises on an unknown fact
    supplement = yaml.safe_load(FACTS_FILES["supplement"].read_text())["facts"]
    used = {t["fact"] for t in targets if t["source"] == "supplement"}
    assert used <= {f["id"] for f in supplement if f["use"] == "target"}
    assert all({"id", "fact", "what", "measure", "params", "pass_share", "why"} <= set(t) for t in targets
               if t["source"] == "supplement")


def test_a_replications_wide_tables_are_reused_only_for_that_replications_table():
    # catches a cache keyed by column alone: a second replication measured with the first's
    # table (validate and the calibration keep one ctx per replication, but a ctx reused for
    # another table must rebuild)
    ctx = dict(CTX)
    leads = table(mau={"bytedance": 5e6})
    trails = table(mau={"bytedance": 1e5})
    params = {"vendor": "bytedance", "start": "2024-01", "end": "2024-12", "min_share": 1.0}
    assert MEASURES["mau_leader_months"](leads, [], ctx, **params)[1]
    assert MEASURES["mau_leader_months"](leads, [], ctx, **params)[1]      # from the kept table
    assert not MEASURES["mau_leader_months"](trails, [], ctx, **params)[1]
