"""The "falls behind" rule (SPEC 3.3), evaluated on the last simulated month.

A vendor falls behind if its status is one of `statuses` (by default focused, acquired or
exited: out of the frontier race), or if it is still racing but small, with consumer share +
enterprise share below `max_combined_share`, and more than `min_gap_months` of general-quality
progress behind the domestic best.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

REASONS = ("", "status", "small_and_behind")


def falls_behind(status_name: np.ndarray, consumer_share: np.ndarray, enterprise_share: np.ndarray,
                 gap_months: np.ndarray, statuses: list[str], max_combined_share: float,
                 min_gap_months: float) -> tuple[np.ndarray, np.ndarray]:
    """Returns (falls behind?, reason) per vendor."""
    by_status = np.isin(np.asarray(status_name), list(statuses))
    small = (np.asarray(consumer_share) + np.asarray(enterprise_share)) < max_combined_share
    behind = small & (np.asarray(gap_months) > min_gap_months) & ~by_status
    reason = np.where(by_status, "status", np.where(behind, "small_and_behind", ""))
    return by_status | behind, reason


def outcomes_from_table(vendor_month: pd.DataFrame, cfg) -> pd.DataFrame:
    """Per-vendor outcome at the horizon from a vendor-month table of one replication."""
    last = vendor_month[vendor_month["month_index"] == vendor_month["month_index"].max()]
    fb, reason = falls_behind(
        last["status"].to_numpy(), last["consumer_share"].to_numpy(),
        last["enterprise_share"].to_numpy(), last["gap_quality_months"].to_numpy(),
        cfg.statuses, cfg.max_combined_share, cfg.min_gap_months,
    )
    # the month a vendor left the race (pivot, acquisition or exit; "" if still racing)
    out = vendor_month[vendor_month["status"] != "frontier"].sort_values("month_index")
    left = out.groupby("vendor")["month"].first()
    return pd.DataFrame({
        "vendor": last["vendor"].to_numpy(),
        "left_race_month": left.reindex(last["vendor"]).fillna("").to_numpy(),
        "falls_behind": fb,
        "reason": reason,
        "final_status": last["status"].to_numpy(),
        "final_consumer_share": last["consumer_share"].to_numpy(),
        "final_enterprise_share": last["enterprise_share"].to_numpy(),
        "final_gap_quality_months": last["gap_quality_months"].to_numpy(),
    })


def outcomes_from_records(vendor_ids: list[str], status_names: np.ndarray, month_labels: list[str],
                          consumer_share: np.ndarray, enterprise_share: np.ndarray, gap_months: np.ndarray,
                          cfg) -> pd.DataFrame:
    """The same table as `outcomes_from_table`, straight from the recorded arrays of one run:
    `status_names` (months x vendors) and the last month's shares and quality gap (vendors)."""
    fb, reason = falls_behind(status_names[-1], consumer_share, enterprise_share, gap_months,
                              cfg.statuses, cfg.max_combined_share, cfg.min_gap_months)
    out = status_names != "frontier"
    first = np.argmax(out, axis=0)
    left = np.where(out.any(axis=0), np.asarray(month_labels, dtype=object)[first], "")
    return pd.DataFrame({
        "vendor": np.asarray(vendor_ids, dtype=object),
        "left_race_month": left.astype(object),
        "falls_behind": fb,
        "reason": reason,
        "final_status": status_names[-1].astype(object),
        "final_consumer_share": consumer_share,
        "final_enterprise_share": enterprise_share,
        "final_gap_quality_months": gap_months,
    })
