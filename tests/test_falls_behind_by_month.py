"""Falls behind by month and its cause: the rule on every recorded month (hand-built records),
money vs race from the runway and cash, the table twin equal to the records path on a real run,
P by month equal to a hand count, and the run directory's by-month table and figure."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from market_sim.calendar import month_label
from market_sim.config.sections import FallsBehindConfig
from market_sim.mechanisms.falls_behind import NOT_ENTERED, behind_counts, outcomes_from_table
from market_sim.records import STATUS_NAMES, Recorder
from market_sim.stats import (
    falls_behind_by_month_from_outcomes,
    falls_behind_by_month_table,
    falls_behind_table,
)

from .conftest import BASELINE

RULE = FallsBehindConfig()  # focused/acquired/exited; share < 0.02 and gap > 6 months; money under 6 months
START = "2024-01"
BIG = {"consumer_share": 0.3, "enterprise_share": 0.2, "gap_quality_months": 0.0, "runway_months": 40.0,
       "cash_rmb": 1e9}
SMALL_BEHIND = {"consumer_share": 0.001, "enterprise_share": 0.002, "gap_quality_months": 10.0}


def _recorder(months: int, vendors: int) -> Recorder:
    """A recorder of `months` recorded months, every vendor racing with a big share, no gap,
    40 months of runway and cash in hand; tests then set what they need."""
    rec = Recorder(months, vendors, n_features=1, n_sectors=1)
    rec.months_done = months
    for c, value in BIG.items():
        rec.v[c][:] = value
    return rec


def _set(rec: Recorder, months, vendor: int, **values) -> None:
    for c, value in values.items():
        if c == "status":
            rec.status[months, vendor] = STATUS_NAMES.index(value)
        else:
            rec.v[c][months, vendor] = value


def _vendor_month(rec: Recorder, ids: list[str], status_names: np.ndarray | None = None) -> pd.DataFrame:
    """The recorder as a vendor-month table (the columns the rule reads), optionally with other
    status names (e.g. not_entered, which the model core does not record yet)."""
    T, n = rec.months_done, len(ids)
    status = np.asarray(STATUS_NAMES, dtype=object)[rec.status] if status_names is None else status_names
    return pd.DataFrame({
        "month_index": np.repeat(np.arange(T), n), "month": np.repeat([month_label(START, t) for t in range(T)], n),
        "vendor": np.tile(ids, T), "status": status.ravel(),
        **{c: rec.v[c].ravel() for c in BIG},
    })


def _outcomes(rec: Recorder, ids: list[str], rule=RULE) -> pd.DataFrame:
    return rec.outcomes(START, ids, rule).set_index("vendor")


def test_behind_from_the_month_it_falls_behind_and_not_after_it_recovers():
    rec = _recorder(6, 3)
    _set(rec, slice(3, None), 0, status="exited")                  # a: out of the race from month 3 on
    _set(rec, slice(1, 3), 1, **SMALL_BEHIND)                      # b: small and behind in months 1-2 ...
    # ... and from month 3 it has its share back (c stays big throughout)
    ids = ["a", "b", "c"]
    counts = behind_counts(_vendor_month(rec, ids), RULE)
    behind = counts.pivot(index="month", columns="vendor", values="falls_behind")
    assert behind["a"].tolist() == [0, 0, 0, 1, 1, 1]
    assert behind["b"].tolist() == [0, 1, 1, 0, 0, 0]
    assert behind["c"].tolist() == [0] * 6
    table = falls_behind_by_month_table(counts, {"a": "A"})
    assert list(table.columns) == ["month", "vendor", "name", "p_falls_behind", "ci95_low", "ci95_high",
                                   "falls_behind", "replications"]
    a = table[table["vendor"] == "a"]
    assert a["p_falls_behind"].tolist() == [0, 0, 0, 1, 1, 1] and (a["name"] == "A").all()
    assert (a["ci95_low"] <= a["p_falls_behind"]).all() and (a["p_falls_behind"] <= a["ci95_high"]).all()
    # the outcomes: a fell behind in month 3 (for good); b was behind once but is not at the horizon
    out = _outcomes(rec, ids)
    assert out.loc["a", "falls_behind"] and out.loc["a", "fell_behind_month"] == "2024-04"
    assert out.loc["a", "first_behind_month"] == "2024-04" and out.loc["a", "reason"] == "status"
    assert not out.loc["b", "falls_behind"] and out.loc["b", "fell_behind_month"] == ""
    assert out.loc["b", "first_behind_month"] == "2024-02" and out.loc["b", "cause"] == ""
    assert out.loc["c", "first_behind_month"] == "" and out.loc["c", "cause"] == ""


def test_fell_behind_month_is_the_start_of_the_spell_that_reaches_the_horizon():
    rec = _recorder(6, 1)
    _set(rec, [1, 4, 5], 0, **SMALL_BEHIND)                         # behind, recovers, behind again for good
    out = _outcomes(rec, ["a"])
    assert out.loc["a", "first_behind_month"] == "2024-02" and out.loc["a", "fell_behind_month"] == "2024-05"


def test_cause_money_or_race_from_the_runway_and_cash_before_falling_behind():
    rec = _recorder(6, 5)
    for v in range(5):
        _set(rec, slice(3, None), v, status="focused")               # all pivot in month 3
    _set(rec, 2, 0, runway_months=2.0)                              # short of money the month before
    _set(rec, 2, 1, runway_months=40.0)                             # could still pay: race
    _set(rec, 3, 2, runway_months=1.0)                              # runway short only once out: still race
    _set(rec, 3, 3, cash_rmb=-5.0)                                  # cash ran out in the month it fell: money
    _set(rec, 2, 4, runway_months=6.0)                              # exactly the threshold is not under it: race
    out = _outcomes(rec, list("abcde"))
    assert out["cause"].tolist() == ["money", "race", "race", "money", "race"]
    assert (out["fell_behind_month"] == "2024-04").all()
    assert (out["reason"] == "status").all()                        # the old column, unchanged
    money = _outcomes(rec, list("abcde"), FallsBehindConfig(money_runway_months=41.0))  # configurable
    assert money.loc["b", "cause"] == "money"


def test_behind_from_the_first_month_reads_that_months_own_runway():
    rec = _recorder(3, 2)
    _set(rec, slice(None), 0, **SMALL_BEHIND)
    _set(rec, 0, 0, runway_months=3.0)
    _set(rec, slice(None), 1, **SMALL_BEHIND)
    out = _outcomes(rec, ["a", "b"])
    assert out["fell_behind_month"].tolist() == ["2024-01", "2024-01"]
    assert out["cause"].tolist() == ["money", "race"]


def test_vendors_not_yet_in_the_market_are_not_behind_and_left_out_of_p():
    rec = _recorder(4, 2)
    _set(rec, slice(None), 0, **SMALL_BEHIND)                       # a enters in month 2, small and behind
    _set(rec, slice(None, 2), 0, runway_months=0.0, cash_rmb=0.0)   # (no money before it exists)
    status = np.asarray(STATUS_NAMES, dtype=object)[rec.status]
    status[:2, 0] = NOT_ENTERED
    vm = _vendor_month(rec, ["a", "b"], status)
    counts = behind_counts(vm, RULE)
    a = counts[counts["vendor"] == "a"]
    assert a["falls_behind"].tolist() == [0, 0, 1, 1] and a["replications"].tolist() == [0, 0, 1, 1]
    table = falls_behind_by_month_table(counts)
    assert table.loc[table["vendor"] == "a", "p_falls_behind"].isna().tolist() == [True, True, False, False]
    out = outcomes_from_table(vm, RULE).set_index("vendor")
    assert out.loc["a", "fell_behind_month"] == "2024-03"
    assert out.loc["a", "cause"] == "race"                          # its first month in the market: 40 months
    assert out.loc["a", "left_race_month"] == ""                    # not entering is not leaving the race
    # a vendor never in the market in a replication is left out of the horizon P too
    never = out.reset_index().assign(replication=0, final_status=NOT_ENTERED)
    both = pd.concat([out.reset_index().assign(replication=1), never], ignore_index=True)
    t = falls_behind_table(both).set_index("vendor")
    assert t.loc["a", "replications"] == 1 and t.loc["a", "p_falls_behind"] == 1.0


def test_falls_behind_table_splits_p_by_cause():
    outcomes = pd.DataFrame({
        "replication": [0, 1, 2, 3], "vendor": ["a"] * 4, "falls_behind": [True, True, True, False],
        "cause": ["money", "race", "race", ""], "final_status": ["exited", "focused", "frontier", "frontier"],
        "final_consumer_share": [0.0] * 4, "final_enterprise_share": [0.0] * 4})
    t = falls_behind_table(outcomes, {"a": "A"}).iloc[0]
    assert (t["p_falls_behind"], t["p_race"], t["p_money"]) == (0.75, 0.5, 0.25)
    cols = list(falls_behind_table(outcomes).columns)
    assert cols[:6] == ["vendor", "p_falls_behind", "ci95_low", "ci95_high", "p_race", "p_money"]


def test_p_by_month_from_the_outcomes_alone():
    outcomes = pd.DataFrame({"replication": [0, 1, 2, 3], "vendor": ["a"] * 4,
                             "fell_behind_month": ["2024-02", "", "2024-03", "2024-02"]})
    t = falls_behind_by_month_from_outcomes(outcomes, ["2024-01", "2024-02", "2024-03"])
    assert t["p_falls_behind"].tolist() == [0.0, 0.5, 0.75] and (t["replications"] == 4).all()


def test_table_and_records_paths_agree_on_a_real_run(small_run, small_config):
    vendor, _, _ = small_run.tables()
    causes = set()
    # the configured rule, and one that calls more vendors short of money (so both causes occur)
    for rule in (small_config.falls_behind, small_config.falls_behind.model_copy(update={"money_runway_months": 60})):
        from_records = small_run.recorder.outcomes(small_run.start, small_run.vendors.ids, rule)
        pd.testing.assert_frame_equal(from_records, outcomes_from_table(vendor, rule))
        causes |= set(from_records["cause"])
    assert causes == {"", "race", "money"}                          # not trivially equal
    from_records = small_run.outcomes()
    assert (from_records["falls_behind"] == (from_records["fell_behind_month"] != "")).all()
    assert (from_records["falls_behind"] == (from_records["cause"] != "")).all()
    # the by-month state: behind in every month from fell_behind_month on, and at the horizon = falls_behind
    counts = behind_counts(vendor, small_config.falls_behind)
    state = counts.pivot(index="month", columns="vendor", values="falls_behind")
    for _, row in from_records.iterrows():
        col = state[row["vendor"]]
        assert col.iloc[-1] == int(row["falls_behind"])
        if row["fell_behind_month"]:
            assert (col[col.index >= row["fell_behind_month"]] == 1).all()
        if row["first_behind_month"]:
            assert (col[col.index < row["first_behind_month"]] == 0).all() and col[row["first_behind_month"]] == 1


def _hand_behind(row, rule) -> bool:
    if row["status"] in rule.statuses:
        return True
    return (row["status"] == "frontier" and row["consumer_share"] + row["enterprise_share"] < rule.max_combined_share
            and row["gap_quality_months"] > rule.min_gap_months)


def test_p_by_month_of_two_replications_is_the_hand_count(small_config):
    from market_sim.runner import run

    res = run(small_config, replications=2, seed=5)
    table = res.falls_behind_by_month()
    rule = small_config.falls_behind
    vm = res.vendor_month
    hand = {}
    for _, row in vm.iterrows():
        key = (row["month"], row["vendor"])
        hand[key] = hand.get(key, 0) + int(_hand_behind(row, rule))
    got = {(r.month, r.vendor): r.falls_behind for r in table.itertuples()}
    assert got == hand
    present = vm[vm["status"] != "not_entered"].groupby(["month", "vendor"]).size()
    counted = table.set_index(["month", "vendor"])["replications"]
    assert (counted.reindex(present.index) == present).all()      # not-yet-entered histories are left out
    assert (counted.drop(present.index, errors="ignore") == 0).all()
    both = table[table["replications"] == 2]
    assert len(both) and np.allclose(both["p_falls_behind"], both["falls_behind"] / 2)
    assert 0 < table["p_falls_behind"].mean() < 1
    # at the horizon, P by month is the horizon P of falls_behind.csv
    last = table[table["month"] == table["month"].max()].set_index("vendor")["p_falls_behind"]
    horizon = res.falls_behind().set_index("vendor")["p_falls_behind"]
    pd.testing.assert_series_equal(last.sort_index(), horizon.sort_index(), check_names=False)


@pytest.mark.slow
def test_cli_run_writes_the_by_month_table_and_figure(tmp_path):
    out = tmp_path / "res"
    exe = Path(sys.executable).parent / "market-sim"
    p = subprocess.run([str(exe), "run", str(BASELINE), "-n", "2", "--set", "scale.consumers=2000",
                        "--set", "scale.enterprises=200", "--out", str(out), "--quiet"],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    by_month = pd.read_parquet(out / "falls_behind_by_month.parquet")
    assert list(by_month.columns) == ["month", "vendor", "name", "p_falls_behind", "ci95_low", "ci95_high",
                                      "falls_behind", "replications"]
    from market_sim.config import load_config
    cfg = load_config(BASELINE)
    rows = len(cfg.vendors) + cfg.long_tail.count + cfg.long_tail.entrants_max   # entrants' rows included
    assert by_month["month"].nunique() == 24 and by_month["vendor"].nunique() == rows
    pd.testing.assert_frame_equal(pd.read_csv(out / "falls_behind_by_month.csv"), by_month, check_dtype=False)
    assert (out / "figures" / "falls_behind_by_month.png").stat().st_size > 10_000
    report = (out / "report.md").read_text()
    assert "figures/falls_behind_by_month.png" in report and "of which: money" in report
    fb = pd.read_csv(out / "falls_behind.csv")
    assert np.allclose(fb["p_race"] + fb["p_money"], fb["p_falls_behind"])
    summary = json.loads((out / "summary.json").read_text())
    assert {"p_race", "p_money"} <= set(summary["falls_behind"][0])
    assert summary["falls_behind_rule"]["money_runway_months"] == 6.0
    assert len(summary["falls_behind_by_month"]["long_tail_share"]) == 24
    outcomes = pd.read_parquet(out / "outcomes.parquet")
    assert set(outcomes["cause"]) <= {"", "race", "money"}
    assert {"fell_behind_month", "first_behind_month", "reason"} <= set(outcomes.columns)
