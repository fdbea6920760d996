"""Vendors: big techs and startups (the named ones and the generated long tail)."""

from __future__ import annotations

import numpy as np

from .base import ColumnTable, TableAgent, column

# status codes, in order of how far out of the frontier race a vendor is
FRONTIER, FOCUSED, ACQUIRED, EXITED = 0, 1, 2, 3
STATUS_NAMES = ("frontier", "focused", "acquired", "exited")
BIG_TECH, STARTUP = 0, 1
KIND_NAMES = ("big_tech", "startup")


class VendorTable(ColumnTable):
    """State of all vendors; capability is (vendors x features) in internal units
    (log10 of the unit for log-scale features)."""

    def __init__(self, ids: list[str], names: list[str], n_features: int):
        n = len(ids)
        super().__init__(n)
        self.ids = list(ids)
        self.names = list(names)
        self.kind = np.zeros(n, np.int8)
        self.status = np.zeros(n, np.int8)
        self.status_month = np.full(n, -1, np.int32)       # month index of the last status change
        self.long_tail = np.zeros(n, bool)
        self.capability = np.zeros((n, n_features))         # internal units
        self.hype = np.zeros(n)                              # consumer-choice bonus from recent releases
        self.headcount = np.zeros(n, np.int64)               # researchers
        self.skill = np.ones(n)                              # mean researcher skill (1 = reference)
        self.gpus = np.zeros(n)                              # GPU-equivalents under contract
        self.cash = np.zeros(n)                              # RMB
        self.api_price = np.zeros(n)                         # RMB per million tokens
        self.cost_efficiency = np.ones(n)                    # unit serving cost multiplier
        self.salary = np.zeros(n)                            # RMB per researcher-month
        self.marketing = np.zeros(n)                         # RMB per month
        self.other_revenue = np.zeros(n)                     # RMB per month from outside the modelled market
        self.aggressiveness = np.zeros(n)                    # 0 refuses to cut, 1 matches in a month
        self.max_subsidy = np.zeros(n)                       # share of unit cost it will give away
        self.share_ambition = np.zeros(n)                    # enterprise share it buys with price
        self.open_weights = np.zeros(n, bool)
        self.cloud_share = np.zeros(n)                       # big tech: share of enterprises on its cloud
        self.superapp_reach = np.zeros(n)                    # big tech: share of people on its super-app
        self.strategic_investor = np.zeros(n, bool)
        self.focus_sector = np.full(n, -1, np.int16)         # sector index, -1 none (one focus kept)
        self.last_raise_month = np.full(n, -100, np.int32)
        self.valuation = np.zeros(n)                         # RMB, post-money of the last round
        self.losses_streak = np.zeros(n, np.int32)           # big tech: months of loss beyond tolerance
        self.behind_streak = np.zeros(n, np.int32)           # startup: months far behind with a small share
        self.budget_cut = np.zeros(n, bool)                  # big tech: parent has cut the budget
        self.acquirer = np.full(n, -1, np.int32)


class Vendor(TableAgent):
    """A model vendor. Attributes read and write its row of the model's VendorTable."""

    status = column("0 frontier, 1 focused, 2 acquired, 3 exited")
    api_price = column("API price, RMB per million tokens")
    cash = column("cash, RMB")
    headcount = column("researchers")
    skill = column("mean researcher skill")
    gpus = column("GPU-equivalents")
    marketing = column("marketing spend, RMB per month")

    @property
    def vendor_id(self) -> str:
        return self.table.ids[self.row]

    @property
    def name(self) -> str:
        return self.table.names[self.row]

    @property
    def status_name(self) -> str:
        return STATUS_NAMES[int(self.status)]

    @property
    def capability(self) -> np.ndarray:
        return self.table.capability[self.row]

    @property
    def active(self) -> bool:
        return self.status in (FRONTIER, FOCUSED)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.vendor_id} {self.status_name}>"


class BigTech(Vendor):
    """A big tech: owns a cloud (MaaS channel) and super-apps, a parent funds its losses
    within limited patience, and it may take stakes in startups."""

    cloud_share = column("share of enterprises whose home cloud this is")
    superapp_reach = column("share of people who use its super-apps")


class Startup(Vendor):
    """A startup: lives on its cash; raises rounds from investors when runway runs short."""

    valuation = column("post-money valuation of the last round, RMB")
