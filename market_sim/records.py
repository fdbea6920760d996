"""Per-month records: filled into preallocated arrays each month from the vendor table and
the market state, turned into DataFrames once, at the end (no per-step DataFrame
construction)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .agents import KIND_NAMES, STATUS_NAMES, VendorTable
from .calendar import month_label
from .mechanisms.falls_behind import outcomes_from_records
from .state import MarketState

VENDOR_COLUMNS = {
    # output column: unit / meaning (documented in docs/ODD.md, section 7)
    "mau": "people using the vendor's assistant",
    "consumer_share": "share of assistant users",
    "enterprise_revenue_rmb": "API revenue from enterprise buyers, RMB",
    "enterprise_share": "share of enterprise API spend",
    "tokens_mtok": "million tokens served to enterprises",
    "api_price": "API price, RMB per million tokens",
    "unit_cost": "unit serving cost, RMB per million tokens",
    "consumer_revenue_rmb": "consumer subscription revenue, RMB",
    "revenue_rmb": "total revenue, RMB",
    "costs_rmb": "payroll + compute + inference + marketing, RMB",
    "funding_rmb": "money raised (rounds) or parent top-ups, RMB",
    "invested_rmb": "paid into other vendors' rounds (strategic stakes), RMB",
    "cash_start_rmb": "cash at the start of the month, RMB",
    "cash_rmb": "cash at the end of the month, RMB",
    "runway_months": "cash / burn (capped at 120 for profitable vendors)",
    "headcount": "researchers",
    "skill": "mean researcher skill",
    "talent_in": "researchers joined (moves, pool hires, acquisitions)",
    "talent_out": "researchers left (moves, layoffs, exits)",
    "gpus": "GPU-equivalents",
    "hype": "consumer-choice bonus from recent releases",
    "gap_quality_months": "months of quality growth behind the domestic best",
    "gap_global_quality_months": "months of quality growth behind the global frontier",
}
# output column -> VendorTable column, where the names differ
VENDOR_SOURCE = {"enterprise_revenue_rmb": "api_revenue", "tokens_mtok": "enterprise_tokens",
                 "consumer_revenue_rmb": "consumer_revenue", "revenue_rmb": "revenue", "costs_rmb": "costs",
                 "funding_rmb": "funding",
                 "invested_rmb": "invested", "cash_start_rmb": "cash_start", "cash_rmb": "cash",
                 "runway_months": "runway", "unit_cost": "unit_cost"}
MARKET_COLUMNS = [
    "price_index", "mean_list_price", "leader_price", "total_mau", "enterprise_spend_rmb",
    "hhi_consumer", "hhi_enterprise", "n_frontier", "n_focused", "n_acquired", "n_exited", "n_not_entered",
    "funding_climate", "funding_rmb", "talent_pool", "total_talent", "unit_cost_reference",
]


class Recorder:
    """Preallocated (months x vendors) arrays of the VENDOR_COLUMNS, capability, status and
    sector shares, and (months) arrays of the MARKET_COLUMNS."""

    def __init__(self, months: int, n_vendors: int, n_features: int, n_sectors: int):
        self.months_done = 0
        self.v = {c: np.zeros((months, n_vendors)) for c in VENDOR_COLUMNS}
        self.capability = np.zeros((months, n_vendors, n_features))
        self.status = np.zeros((months, n_vendors), np.int8)
        self.frontier = np.zeros((months, n_features))
        self.sector_share = np.zeros((months, n_sectors, n_vendors))
        self.m = {c: np.zeros(months) for c in MARKET_COLUMNS}

    def record(self, t: int, vendors: VendorTable, market: MarketState) -> None:
        """Month t, from the state at its end."""
        for c, arr in self.v.items():
            arr[t] = getattr(vendors, VENDOR_SOURCE.get(c, c))
        sec = market.sector_revenue
        totals = sec.sum(axis=1, keepdims=True)
        self.sector_share[t] = np.divide(sec, totals, out=np.zeros_like(sec), where=totals > 0)
        self.capability[t] = vendors.capability
        self.status[t] = vendors.status
        self.frontier[t] = market.frontier
        m = self.m
        active = vendors.active
        m["price_index"][t] = market.price_index
        m["mean_list_price"][t] = vendors.api_price[active].mean() if active.any() else np.nan
        m["leader_price"][t] = vendors.api_price[active].min() if active.any() else np.nan
        m["total_mau"][t] = market.total_mau
        m["enterprise_spend_rmb"][t] = market.enterprise_spend
        m["hhi_consumer"][t] = market.hhi_consumer
        m["hhi_enterprise"][t] = market.hhi_enterprise
        for code, name in enumerate(STATUS_NAMES):
            m[f"n_{name}"][t] = (vendors.status == code).sum()
        m["funding_climate"][t] = market.funding_climate
        m["funding_rmb"][t] = vendors.funding.sum()
        m["talent_pool"][t] = market.talent_pool
        m["total_talent"][t] = vendors.headcount.sum() + market.talent_pool
        m["unit_cost_reference"][t] = vendors.unit_cost[0] / max(vendors.cost_efficiency[0], 1e-12)
        self.months_done = t + 1

    def vendor_frame(self, start: str, vendors: VendorTable, features, sectors: list[str]) -> pd.DataFrame:
        """The vendor-month DataFrame of the months recorded so far (built in one go from a dict
        of columns); `features` is the run's FeatureSpace (capabilities in their own units)."""
        T, n = self.months_done, vendors.size
        labels = [month_label(start, t) for t in range(T)]
        month_of_row, vendor_of_row = np.repeat(np.arange(T), n), np.tile(np.arange(n), T)
        columns = {
            "month_index": month_of_row.astype(np.int32),
            "month": _text_column(np.asarray(labels), month_of_row),
            "vendor": _text_column(np.asarray(vendors.ids), vendor_of_row),
            "name": _text_column(np.asarray(vendors.names), vendor_of_row),
            "kind": _text_column(np.asarray([KIND_NAMES[k] for k in vendors.kind]), vendor_of_row),
            "long_tail": np.tile(vendors.long_tail, T),
            "status": _text_column(np.asarray(STATUS_NAMES, dtype=object), self.status[:T].ravel()),
        }
        for c, arr in self.v.items():
            columns[c] = arr[:T].ravel()
        for c in ("headcount", "talent_in", "talent_out"):
            columns[c] = columns[c].astype(np.int64)
        for i, f in enumerate(features.names):
            columns[f"capability_{f}"] = features.to_unit(i, self.capability[:T, :, i]).ravel()
        for s, name in enumerate(sectors):  # each vendor's share of a sector's API spend
            columns[f"sector_share_{name}"] = self.sector_share[:T, s, :].ravel()
        return pd.DataFrame(columns)

    def market_frame(self, start: str, features) -> pd.DataFrame:
        """The market-month DataFrame of the months recorded so far."""
        T = self.months_done
        columns = {"month_index": np.arange(T, dtype=np.int32), "month": [month_label(start, t) for t in range(T)]}
        for c, arr in self.m.items():
            columns[c] = arr[:T]
        for i, f in enumerate(features.names):
            columns[f"frontier_{f}"] = features.to_unit(i, self.frontier[:T, i])
        return pd.DataFrame(columns)

    def outcomes(self, start: str, vendor_ids: list[str], rule) -> pd.DataFrame:
        """Per-vendor outcome under the falls-behind `rule` (the config section), read from the
        recorded (months x vendors) arrays: behind at the last recorded month? since which month,
        and why (cause: money or race)? and the month each vendor left the race."""
        T = self.months_done
        if T == 0:
            raise ValueError("no month has been simulated yet: outcomes are read at the last simulated month")
        v = {c: self.v[c][:T] for c in ("consumer_share", "enterprise_share", "gap_quality_months", "runway_months",
                                         "cash_rmb")}
        return outcomes_from_records(vendor_ids, [month_label(start, t) for t in range(T)],
                                     np.asarray(STATUS_NAMES)[self.status[:T]], v["consumer_share"],
                                     v["enterprise_share"], v["gap_quality_months"], v["runway_months"],
                                     v["cash_rmb"], rule)


def _text_column(values: np.ndarray, index: np.ndarray):
    """values[index] as a DataFrame column: the same strings and dtype, but the distinct
    strings are converted to pandas' string type once and then picked, rather than converted
    one per row. An empty column is values[index] itself (its dtype is numpy's)."""
    if index.size == 0:
        return values[index]
    return pd.Series(values).array.take(index)
