"""The dated event log: every event the model reports, worded in one place."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .calendar import month_label

COLUMNS = ["month_index", "month", "vendor", "event", "detail", "value"]


class EventLog:
    """Events of one run, in the order they happened. `records` holds one dict per event with
    COLUMNS as keys; the methods below are the only places that word an event."""

    def __init__(self, start: str, vendor_ids: list[str], vendor_names: list[str]):
        self.start = start
        self.ids = vendor_ids
        self.names = vendor_names
        self.records: list[dict] = []

    def __len__(self) -> int:
        return len(self.records)

    def add(self, t: int, row: int, event: str, detail: str, value: float = np.nan) -> None:
        self.records.append({
            "month_index": t, "month": month_label(self.start, t),
            "vendor": self.ids[row] if row >= 0 else "", "event": event,
            "detail": detail, "value": float(value),
        })

    def frame(self) -> pd.DataFrame:
        events = pd.DataFrame(self.records, columns=COLUMNS)
        events["month_index"] = events["month_index"].astype(np.int32)
        return events

    # ---- the events, worded
    def change(self, t: int, why: str, settings: dict) -> None:
        self.add(t, -1, "change", why or ", ".join(f"{k} = {v}" for k, v in settings.items()))

    def releases(self, t: int, reported: np.ndarray, headline: np.ndarray, capability: np.ndarray, features) -> None:
        """One event per (vendor, feature) in `reported`: a headline sets a new domestic best,
        the others match it. `features` is the run's FeatureSpace."""
        for row, f in zip(*np.nonzero(reported)):
            verb = "sets a new domestic best" if headline[row, f] else "matches the domestic best"
            level = capability[row, f]
            self.add(t, row, "release", f"{self.names[row]} {verb}: {features.describe(f, level)}",
                     float(features.to_unit(f, np.array(level))))

    def price_cuts(self, t: int, cut: np.ndarray, old: np.ndarray, new: np.ndarray) -> None:
        for row in np.flatnonzero(cut):
            pct = 100.0 * (1.0 - new[row] / old[row])
            self.add(t, row, "price_cut", f"{self.names[row]} cuts API price {pct:.0f}% to {new[row]:.2f} RMB/M tokens",
                     new[row])

    def key_hires(self, t: int, key: np.ndarray) -> None:
        """`key` is (source x destination) key hires."""
        for source, destination in zip(*np.nonzero(key)):
            self.add(t, destination, "key_hire", f"{self.names[destination]} hires {key[source, destination]} key "
                     f"researcher(s) from {self.names[source]}", key[source, destination])

    def budget_cut(self, t: int, row: int, patience_months: int) -> None:
        self.add(t, row, "budget_cut",
                 f"{self.names[row]}'s parent cuts the AI budget after {patience_months} months of losses")

    def rounds(self, t: int, tried: np.ndarray, failed_to_close: np.ndarray, amount: np.ndarray,
               post_money: np.ndarray) -> None:
        """Each startup that `tried` to raise: a round (amount > 0), or no round found."""
        for row in np.flatnonzero(tried):
            if failed_to_close[row]:
                self.add(t, row, "raise_failed", f"{self.names[row]} fails to close a round")
            elif amount[row] > 0:
                self.add(t, row, "round", f"{self.names[row]} raises {amount[row] / 1e9:.2f}B RMB at "
                         f"{post_money[row] / 1e9:.1f}B post-money", amount[row])

    def pivot(self, t: int, row: int, sector: str) -> None:
        self.add(t, row, "pivot", f"{self.names[row]} stops pretraining and narrows to {sector}")

    def acquisition(self, t: int, row: int, acquirer: int) -> None:
        self.add(t, row, "acquisition", f"{self.names[row]} is acquired by {self.names[acquirer]}")

    def shutdown(self, t: int, row: int) -> None:
        self.add(t, row, "exit", f"{self.names[row]} shuts down")
