"""The "falls behind" rule (SPEC 3.3), evaluated on every simulated month, and its cause.

A vendor is behind in a month if its status is one of `statuses` (by default focused, acquired or
exited: out of the frontier race), or if it is still racing but small, with consumer share +
enterprise share below `max_combined_share`, and more than `min_gap_months` of general-quality
progress behind the domestic best. A vendor that has not entered the market yet (status
"not_entered") is never behind, and is left out of the probabilities. The horizon outcome
(`falls_behind`) is the rule at the last month.

The month it fell behind (`fell_behind_month`) is the first month of the unbroken run of behind
months that reaches the horizon ("" if it is not behind at the horizon); `first_behind_month` is
the first month the rule held at all (it may have recovered since). The cause of falling behind
is read from the state, not from the status a decision rule set: `money` if the vendor's runway
in the month before it fell behind was under `money_runway_months`, or its cash was gone (at or
below 0) in that month or the month it fell behind; otherwise `race` (it fell behind on
capability and share while it could still pay). A vendor behind from the first recorded month (or
from the month it entered) has no month before: that month's own state is used.

All functions work on (months x vendors) arrays, so one run is one vectorised call; the
replications of a results set are (replications x months x vendors) arrays.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

REASONS = ("", "status", "small_and_behind")
CAUSES = ("", "race", "money")
NOT_ENTERED = "not_entered"          # a vendor that enters later: not behind, not counted
IN_RACE = ("frontier", NOT_ENTERED)  # statuses that are not "left the race"
# the vendor-month columns the rule and the cause read
STATE_COLUMNS = ("status", "consumer_share", "enterprise_share", "gap_quality_months", "runway_months", "cash_rmb")


def falls_behind(status_name: np.ndarray, consumer_share: np.ndarray, enterprise_share: np.ndarray,
                 gap_months: np.ndarray, statuses: list[str], max_combined_share: float,
                 min_gap_months: float) -> tuple[np.ndarray, np.ndarray]:
    """Returns (falls behind?, reason), elementwise over arrays of any (equal) shape."""
    status_name = np.asarray(status_name)
    entered = status_name != NOT_ENTERED
    by_status = np.isin(status_name, list(statuses))
    small = (np.asarray(consumer_share) + np.asarray(enterprise_share)) < max_combined_share
    behind = small & (np.asarray(gap_months) > min_gap_months) & ~by_status & entered
    reason = np.where(by_status, "status", np.where(behind, "small_and_behind", ""))
    return by_status | behind, reason


def behind_by_month(status_name: np.ndarray, consumer_share: np.ndarray, enterprise_share: np.ndarray,
                    gap_months: np.ndarray, rule) -> tuple[np.ndarray, np.ndarray]:
    """(behind, entered) for every cell of (..., months, vendors) arrays under the `rule` (the
    falls_behind config section)."""
    behind, _ = falls_behind(status_name, consumer_share, enterprise_share, gap_months, rule.statuses,
                             rule.max_combined_share, rule.min_gap_months)
    return behind, np.asarray(status_name) != NOT_ENTERED


def first_month(mask: np.ndarray) -> np.ndarray:
    """Per vendor, the first month index where `mask` (months x vendors) holds; -1 if never."""
    return np.where(mask.any(axis=0), np.argmax(mask, axis=0), -1)


def fell_behind_index(behind: np.ndarray) -> np.ndarray:
    """Per vendor, the first month of the unbroken run of behind months (months x vendors) that
    reaches the last month; -1 if not behind at the last month."""
    months = behind.shape[0]
    not_behind = ~behind
    last_not = months - 1 - np.argmax(not_behind[::-1], axis=0)
    start = np.where(not_behind.any(axis=0), last_not + 1, 0)
    return np.where(behind[-1], start, -1)


def causes(fell: np.ndarray, runway: np.ndarray, cash: np.ndarray, entered: np.ndarray,
           money_runway_months: float) -> np.ndarray:
    """Per vendor: "money", "race", or "" (not behind), given the month index it fell behind
    (`fell`, -1 if not) and its recorded runway, cash and entered? (months x vendors)."""
    cols = np.arange(fell.size)
    at = np.maximum(fell, 0)
    before = np.maximum(at - 1, 0)
    before = np.where(entered[before, cols], before, at)   # no month before: the month itself
    short = runway[before, cols] < money_runway_months
    broke = (cash[before, cols] <= 0) | (cash[at, cols] <= 0)
    return np.where(fell < 0, "", np.where(short | broke, "money", "race"))


def _labels(index: np.ndarray, month_labels) -> np.ndarray:
    labels = np.asarray(month_labels, dtype=object)
    return np.where(index >= 0, labels[np.maximum(index, 0)], "").astype(object)


def outcomes_from_records(vendor_ids: list[str], month_labels: list[str], status_names: np.ndarray,
                          consumer_share: np.ndarray, enterprise_share: np.ndarray, gap_months: np.ndarray,
                          runway: np.ndarray, cash: np.ndarray, cfg) -> pd.DataFrame:
    """Per-vendor outcome of one run from its recorded (months x vendors) arrays: falls behind at
    the horizon? why (`reason`: by status or small and behind)? from which month, and `cause`
    (money or race)? Also the month it left the race ("" if it did not)."""
    status_names = np.asarray(status_names)
    behind, entered = behind_by_month(status_names, consumer_share, enterprise_share, gap_months, cfg)
    _, reason = falls_behind(status_names[-1], consumer_share[-1], enterprise_share[-1], gap_months[-1],
                             cfg.statuses, cfg.max_combined_share, cfg.min_gap_months)
    fell = fell_behind_index(behind)
    left = first_month(~np.isin(status_names, IN_RACE))
    return pd.DataFrame({
        "vendor": np.asarray(vendor_ids, dtype=object),
        "left_race_month": _labels(left, month_labels),
        "falls_behind": behind[-1],
        "reason": reason,
        "cause": causes(fell, runway, cash, entered, cfg.money_runway_months).astype(object),
        "fell_behind_month": _labels(fell, month_labels),
        "first_behind_month": _labels(first_month(behind), month_labels),
        "final_status": status_names[-1].astype(object),
        "final_consumer_share": consumer_share[-1],
        "final_enterprise_share": enterprise_share[-1],
        "final_gap_quality_months": gap_months[-1],
    })


def table_arrays(vendor_month: pd.DataFrame, columns=STATE_COLUMNS) -> tuple[dict[str, np.ndarray], list, list]:
    """The vendor-month table as (replications x months x vendors) arrays, one per column (a
    table without a `replication` column is one replication); a missing cell is a vendor that
    has not entered. Returns (arrays, month labels, vendor ids), in the table's order."""
    reps = vendor_month["replication"] if "replication" in vendor_month else pd.Series(0, index=vendor_month.index)
    r, rep_keys = pd.factorize(reps, sort=True)
    v, vendors = pd.factorize(vendor_month["vendor"], sort=False)
    m = vendor_month["month_index"].to_numpy()
    shape = (len(rep_keys), int(m.max()) + 1, len(vendors))
    arrays = {}
    for c in columns:
        values = vendor_month[c].to_numpy()
        arr = np.full(shape, NOT_ENTERED, dtype=object) if c == "status" else np.full(shape, np.nan)
        arr[r, m, v] = values
        arrays[c] = arr
    labels = vendor_month.groupby("month_index", sort=True)["month"].first().reindex(range(shape[1])).fillna("")
    return arrays, list(labels), list(vendors)


def outcomes_from_table(vendor_month: pd.DataFrame, cfg) -> pd.DataFrame:
    """The same table as `outcomes_from_records`, from the vendor-month table of one run."""
    a, labels, vendors = table_arrays(vendor_month)
    return outcomes_from_records(vendors, labels, a["status"][0], a["consumer_share"][0], a["enterprise_share"][0],
                                 a["gap_quality_months"][0], a["runway_months"][0], a["cash_rmb"][0], cfg)


def behind_counts(vendor_month: pd.DataFrame, cfg) -> pd.DataFrame:
    """Per month and vendor over the replications of a vendor-month table: how many had it
    behind (`falls_behind`) and how many had it in the market (`replications`)."""
    a, labels, vendors = table_arrays(vendor_month, STATE_COLUMNS[:4])
    behind, entered = behind_by_month(a["status"], a["consumer_share"], a["enterprise_share"],
                                      a["gap_quality_months"], cfg)
    months, n = behind.shape[1], behind.shape[2]
    return pd.DataFrame({
        "month": np.repeat(np.asarray(labels, dtype=object), n),
        "vendor": np.tile(np.asarray(vendors, dtype=object), months),
        "falls_behind": behind.sum(axis=0).ravel().astype(np.int64),
        "replications": entered.sum(axis=0).ravel().astype(np.int64),
    })
