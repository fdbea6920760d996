"""Per-month records: filled into preallocated arrays each month, turned into DataFrames
once, at the end (no per-step DataFrame construction)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .agents import KIND_NAMES, STATUS_NAMES
from .config import month_label

VENDOR_COLUMNS = {
    # name: unit / meaning (documented in docs/ODD.md, section 7)
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
MARKET_COLUMNS = [
    "price_index", "mean_list_price", "leader_price", "total_mau", "enterprise_spend_rmb",
    "hhi_consumer", "hhi_enterprise", "n_frontier", "n_focused", "n_acquired", "n_exited",
    "funding_climate", "funding_rmb", "talent_pool", "total_talent", "unit_cost_reference",
]


class Recorder:
    def __init__(self, months: int, vendors, features: tuple[str, ...]):
        n = vendors.size
        self.features = features
        self.months_done = 0
        self.v = {c: np.zeros((months, n)) for c in VENDOR_COLUMNS}
        self.capability = np.zeros((months, n, len(features)))
        self.status = np.zeros((months, n), np.int8)
        self.frontier = np.zeros((months, len(features)))
        self.sector_share = None  # (months x sectors x vendors), sized at the first record
        self.m = {c: np.zeros(months) for c in MARKET_COLUMNS}

    def record(self, model, t: int) -> None:
        vt = model.vendors
        v = self.v
        c_share, e_share = model._combined_shares()
        v["mau"][t] = model.mau
        v["consumer_share"][t] = c_share
        v["enterprise_revenue_rmb"][t] = model.api_revenue
        v["enterprise_share"][t] = e_share
        v["tokens_mtok"][t] = model.tokens
        v["api_price"][t] = vt.api_price
        v["unit_cost"][t] = model.unit_cost
        v["consumer_revenue_rmb"][t] = model.consumer_revenue
        v["revenue_rmb"][t] = model.revenue
        v["costs_rmb"][t] = model.costs
        v["funding_rmb"][t] = model.funding
        v["cash_start_rmb"][t] = model.cash_start
        v["cash_rmb"][t] = vt.cash
        v["runway_months"][t] = model.runway
        v["headcount"][t] = vt.headcount
        v["skill"][t] = vt.skill
        v["talent_in"][t] = model.talent_in
        v["talent_out"][t] = model.talent_out
        v["gpus"][t] = vt.gpus
        v["hype"][t] = vt.hype
        qi = self.features.index("quality")
        v["gap_quality_months"][t] = model.gap_to_domestic_best()[:, qi]
        v["gap_global_quality_months"][t] = np.maximum(model.frontier[qi] - vt.capability[:, qi], 0.0) / max(model.feature_growth[qi], 1e-9)
        sec = model.sector_revenue
        if self.sector_share is None:
            self.sector_share = np.zeros((self.v["mau"].shape[0], *sec.shape))
        totals = sec.sum(axis=1, keepdims=True)
        self.sector_share[t] = np.divide(sec, totals, out=np.zeros_like(sec), where=totals > 0)
        self.capability[t] = vt.capability
        self.status[t] = vt.status
        self.frontier[t] = model.frontier
        m = self.m
        active = model.active
        m["price_index"][t] = model.price_index
        m["mean_list_price"][t] = vt.api_price[active].mean() if active.any() else np.nan
        m["leader_price"][t] = vt.api_price[active].min() if active.any() else np.nan
        m["total_mau"][t] = model.total_mau
        m["enterprise_spend_rmb"][t] = model.enterprise_spend
        m["hhi_consumer"][t] = model.hhi_consumer
        m["hhi_enterprise"][t] = model.hhi_enterprise
        for code, name in enumerate(STATUS_NAMES):
            m[f"n_{name}"][t] = (vt.status == code).sum()
        m["funding_climate"][t] = model.climate
        m["funding_rmb"][t] = model.funding.sum()
        m["talent_pool"][t] = model.talent_pool
        m["total_talent"][t] = vt.headcount.sum() + model.talent_pool
        m["unit_cost_reference"][t] = model.unit_cost[0] / max(vt.cost_efficiency[0], 1e-12)
        self.months_done = t + 1

    def frames(self, model) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        T, vt = self.months_done, model.vendors
        n = vt.size
        labels = [month_label(model.start, t) for t in range(T)]
        vendor = pd.DataFrame({
            "month_index": np.repeat(np.arange(T), n).astype(np.int32),
            "month": np.repeat(labels, n),
            "vendor": np.tile(vt.ids, T),
            "name": np.tile(vt.names, T),
            "kind": np.tile([KIND_NAMES[k] for k in vt.kind], T),
            "long_tail": np.tile(vt.long_tail, T),
            "status": [STATUS_NAMES[s] for s in self.status[:T].ravel()],
        })
        for c, arr in self.v.items():
            vendor[c] = arr[:T].ravel()
        for c in ("headcount", "talent_in", "talent_out"):
            vendor[c] = vendor[c].astype(np.int64)
        for i, f in enumerate(self.features):
            vendor[f"capability_{f}"] = model.to_unit(i, self.capability[:T, :, i]).ravel()
        for s, name in enumerate(model.cfg.enterprises.sectors):  # each vendor's share of a sector's API spend
            vendor[f"sector_share_{name}"] = self.sector_share[:T, s, :].ravel() if T else np.zeros(0)
        market = pd.DataFrame({"month_index": np.arange(T, dtype=np.int32), "month": labels})
        for c, arr in self.m.items():
            market[c] = arr[:T]
        for i, f in enumerate(self.features):
            market[f"frontier_{f}"] = model.to_unit(i, self.frontier[:T, i])
        events = pd.DataFrame(model.events, columns=["month_index", "month", "vendor", "event", "detail", "value"])
        events["month_index"] = events["month_index"].astype(np.int32)
        return vendor, market, events
