"""Vendors: big techs, venture startups and self-funded labs (the named ones, the generated
long tail and the long tail's later entrants)."""

from __future__ import annotations

import numpy as np

from .. import kernels
from ..mechanisms.financing import RUNWAY_CAP_MONTHS, runway_months
from .base import ColumnTable, TableAgent, column

# status codes, in order of how far out of the frontier race a vendor is; a row reserved for
# a later entrant is NOT_ENTERED until it enters
FRONTIER, FOCUSED, ACQUIRED, EXITED, NOT_ENTERED = 0, 1, 2, 3, 4
STATUS_NAMES = ("frontier", "focused", "acquired", "exited", "not_entered")
BIG_TECH, STARTUP, SELF_FUNDED = 0, 1, 2
KIND_NAMES = ("big_tech", "startup", "self_funded")

# Flows booked anew every month (reset at its start by `start_month`).
MONTHLY_FLOWS = ("api_revenue", "consumer_revenue", "costs", "funding", "invested", "enterprise_tokens",
                 "talent_in", "talent_out")


class VendorTable(ColumnTable):
    """State of all vendors, one row each: what they are, what they have, their strategy, the
    month's flows and the stakes and talent links between them. Capability is
    (vendors x features) in internal units (log10 of the unit for log-scale features)."""

    def __init__(self, ids: list[str], names: list[str], n_features: int):
        n = len(ids)
        super().__init__(n)
        self.ids = list(ids)
        self.names = list(names)
        self.row_of = {vid: i for i, vid in enumerate(ids)}
        # what it is
        self.kind = np.zeros(n, np.int8)
        self.long_tail = np.zeros(n, bool)
        self.status = np.zeros(n, np.int8)
        self.status_month = np.full(n, -1, np.int32)       # month index of the last status change
        self.entry_month = np.zeros(n, np.int32)             # month index it entered (0: present at start)
        self.consumer_launch = np.zeros(n, np.int32)         # month index its assistant app is available from
        self.behind_at_entry = np.zeros(n)                   # long tail: months of frontier growth behind at entry
        self.headcount_at_entry = np.zeros(n, np.int64)      # entrant: researchers it hires from the pool on entry
        self.acquirer = np.full(n, -1, np.int32)
        # what it has
        self.capability = np.zeros((n, n_features))         # internal units
        self.hype = np.zeros(n)                              # consumer-choice bonus from recent releases
        self.headcount = np.zeros(n, np.int64)               # researchers
        self.skill = np.ones(n)                              # mean researcher skill (1 = reference)
        self.gpus = np.zeros(n)                              # GPU-equivalents under contract
        self.cash = np.zeros(n)                              # RMB
        self.valuation = np.zeros(n)                         # RMB, post-money of the last round
        self.cloud_share = np.zeros(n)                       # big tech: share of enterprises on its cloud
        self.superapp_reach = np.zeros(n)                    # big tech: share of people on its super-app
        # strategy and prices
        self.api_price = np.zeros(n)                         # RMB per million tokens
        self.cost_efficiency = np.ones(n)                    # unit serving cost multiplier
        self.salary = np.zeros(n)                            # RMB per researcher-month
        self.marketing = np.zeros(n)                         # RMB per month (plan x factor)
        self.marketing_factor = np.ones(n)                   # share of the plan kept after cuts and pivots
        self.owner_budget = np.zeros(n)                      # self-funded: losses the owner covers, RMB a month
        self.other_revenue_plan = np.zeros(n)                # RMB per month from outside the modelled market
        self.aggressiveness = np.zeros(n)                    # 0 refuses to cut, 1 matches in a month
        self.max_subsidy = np.zeros(n)                       # share of unit cost it will give away
        self.share_ambition = np.zeros(n)                    # enterprise share it buys with price
        self.open_weights = np.zeros(n, bool)
        self.strategic_investor = np.zeros(n, bool)
        self.focus_sector = np.full(n, -1, np.int16)         # sector index, -1 none (one focus kept)
        # finance and patience
        self.last_raise_month = np.full(n, -100, np.int32)
        self.losses_streak = np.zeros(n, np.int32)           # big tech: months of loss beyond tolerance
        self.focus_streak = np.zeros(n, np.int32)            # startup: months in a row focusing looked better
        self.status_cause = np.zeros(n, np.int8)             # why it left the race: 0 -, 1 the race, 2 money
        self.budget_cut = np.zeros(n, bool)                  # big tech: parent has cut the budget
        self.runway = np.zeros(n)                            # months of cash at the current burn (capped)
        self.burn = np.zeros(n)                              # RMB per month, costs - revenue
        self.raise_failed = np.zeros(n, bool)                # tried to raise this month and failed
        # the month's flows (RMB per month unless said)
        self.unit_cost = np.zeros(n)                         # RMB per million tokens served
        self.mau = np.zeros(n)                               # people using its assistant
        self.api_revenue = np.zeros(n)                       # from enterprise buyers
        self.consumer_revenue = np.zeros(n)                  # subscriptions
        self.other_revenue = np.zeros(n)                     # booked from other_revenue_plan while active
        self.revenue = np.zeros(n)
        self.costs = np.zeros(n)                             # payroll + compute + inference + marketing
        self.funding = np.zeros(n)                           # rounds and parent top-ups
        self.invested = np.zeros(n)                          # paid into other vendors' rounds (strategic stakes)
        self.cash_start = np.zeros(n)                        # cash when the month began
        self.enterprise_tokens = np.zeros(n)                 # million tokens served to enterprises
        self.last_enterprise_tokens = np.zeros(n)            # the same, last month (price-war ambition)
        self.consumer_tokens = np.zeros(n)                   # million tokens served to consumers
        self.talent_in = np.zeros(n, np.int64)               # researchers joined
        self.talent_out = np.zeros(n, np.int64)              # researchers left
        # standing at the end of the month
        self.consumer_share = np.zeros(n)                    # of people using an assistant
        self.enterprise_share = np.zeros(n)                  # of enterprise API spend
        self.gap_quality_months = np.zeros(n)                # quality months behind the domestic best
        self.gap_global_quality_months = np.zeros(n)         # quality months behind the global frontier
        # links between vendors
        self.stakes = np.zeros((n, n))                       # share of startup (column) held by big tech (row)
        self.talent_moved = np.zeros((n, n), np.int64)       # cumulative researchers moved (source x destination)

    @property
    def active(self) -> np.ndarray:
        """Still selling (frontier or focused)."""
        return self.status <= FOCUSED

    @property
    def racing(self) -> np.ndarray:
        """In the frontier race."""
        return self.status == FRONTIER

    def start_month(self) -> None:
        """Zero the month's flows; remember the cash the month starts with."""
        for name in MONTHLY_FLOWS:
            getattr(self, name)[:] = 0
        self.cash_start[:] = self.cash

    def set_strategy(self, settings: dict, columns: dict[str, str]) -> None:
        """Dated strategy changes: 'vendors.<id>.<key>' -> value, written to the column
        `columns[key]`. A vendor out of the race does not take up a share ambition again."""
        for key, value in settings.items():
            _, vendor_id, name = key.split(".")
            row, column = self.row_of[vendor_id], columns[name]
            if column == "share_ambition" and not self.racing[row]:
                continue
            getattr(self, column)[row] = value

    # ---- accounts
    def settle_accounts(self, gpu_cost_rmb_per_month: float) -> None:
        """Book the month: costs (payroll + compute + inference + marketing) and revenue (API,
        subscriptions, other) of active vendors; cash changes by revenue - costs."""
        served = self.enterprise_tokens + self.consumer_tokens
        costs = (self.headcount * self.salary + self.gpus * gpu_cost_rmb_per_month
                 + served * self.unit_cost + self.marketing)
        active = self.active
        self.costs[:] = np.where(active, costs, 0.0)
        self.api_revenue[:] = np.where(active, self.api_revenue, 0.0)
        self.consumer_revenue[:] = np.where(active, self.consumer_revenue, 0.0)
        self.other_revenue[:] = np.where(active, self.other_revenue_plan, 0.0)
        self.revenue[:] = self.api_revenue + self.consumer_revenue + self.other_revenue
        self.cash += self.revenue - self.costs
        self.burn[:] = self.costs - self.revenue
        self.update_runway()

    def update_runway(self) -> None:
        """Startups: cash / burn. Self-funded labs: cash / (burn - the owner's budget). Big
        techs: the parent covers losses, so no runway limit."""
        if kernels.enabled():
            kernels.vendor_runway(self.kind, self.cash, self.burn, self.owner_budget, BIG_TECH, SELF_FUNDED,
                                  RUNWAY_CAP_MONTHS, self.runway)
            return
        burn = np.where(self.kind == SELF_FUNDED, self.burn - self.owner_budget, self.burn)
        self.runway[:] = np.where(self.kind == BIG_TECH, RUNWAY_CAP_MONTHS, runway_months(self.cash, burn))

    def enter(self, row: int, month: int, talent_pool: int) -> int:
        """A reserved row enters the market, racing, hiring its researchers from the free pool
        (as many as there are). Returns the researchers hired."""
        self.status[row] = FRONTIER
        self.entry_month[row] = month
        self.consumer_launch[row] = month
        hired = int(min(self.headcount_at_entry[row], max(talent_pool, 0)))
        self.headcount[row] += hired
        self.talent_in[row] += hired
        return hired

    # ---- status changes (the decisions are made in mechanisms/financing.py)
    def cut_budget(self, row: int, factor: float) -> None:
        """A big tech's parent keeps `factor` of compute, marketing and subsidies and drops the
        share ambition."""
        self.budget_cut[row] = True
        self.gpus[row] *= factor
        self.marketing[row] *= factor
        self.marketing_factor[row] *= factor
        self.max_subsidy[row] *= factor
        self.share_ambition[row] = 0.0

    def focused_costs(self, gpu_cost_rmb_per_month: float, cost_factor: float, layoff_share: float) -> np.ndarray:
        """RMB a month each vendor would spend after subtraction (`focus`): the remaining
        researchers' pay, `cost_factor` of compute and marketing, and this month's inference."""
        if kernels.enabled():
            return kernels.focused_costs(self.headcount, self.salary, self.gpus, self.marketing, self.enterprise_tokens,
                                         self.consumer_tokens, self.unit_cost, float(gpu_cost_rmb_per_month),
                                         float(cost_factor), float(layoff_share))
        served = self.enterprise_tokens + self.consumer_tokens
        return (self.headcount * (1.0 - layoff_share) * self.salary
                + cost_factor * (self.gpus * gpu_cost_rmb_per_month + self.marketing) + served * self.unit_cost)

    def focus(self, row: int, month: int, cost_factor: float, layoff_share: float) -> int:
        """Subtraction: out of the frontier race, keeping `cost_factor` of compute and
        marketing and laying off `layoff_share` of the researchers. Returns the layoffs."""
        self.status[row] = FOCUSED
        self.status_month[row] = month
        self.gpus[row] *= cost_factor
        self.marketing[row] *= cost_factor
        self.marketing_factor[row] *= cost_factor
        self.share_ambition[row] = 0.0
        laid_off = int(round(self.headcount[row] * layoff_share))
        self.headcount[row] -= laid_off
        self.talent_out[row] += laid_off
        return laid_off

    def leave(self, row: int, month: int, acquirer: int, merged_skill: float = 0.0) -> int:
        """Exit: acquired by row `acquirer` (staff, know-how and capability move there; the
        acquirer's skill becomes `merged_skill`) or shut down (acquirer -1). Returns the
        researchers who leave the vendor."""
        moved = int(self.headcount[row])
        self.headcount[row] = 0
        self.talent_out[row] += moved
        self.status_month[row] = month
        if acquirer < 0:
            self.status[row] = EXITED
            return moved
        self.status[row] = ACQUIRED
        self.acquirer[row] = acquirer
        self.skill[acquirer] = merged_skill
        self.headcount[acquirer] += moved
        self.talent_in[acquirer] += moved
        self.talent_moved[row, acquirer] += moved
        self.capability[acquirer] = np.maximum(self.capability[acquirer], self.capability[row])
        return moved


class Vendor(TableAgent):
    """A model vendor. Attributes read and write its row of the model's VendorTable."""

    status = column("0 frontier, 1 focused, 2 acquired, 3 exited")
    api_price = column("API price, RMB per million tokens")
    cash = column("cash, RMB")
    headcount = column("researchers")
    skill = column("mean researcher skill")
    gpus = column("GPU-equivalents")
    marketing = column("marketing spend, RMB per month")
    runway = column("months of cash at the current burn")
    mau = column("people using its assistant")

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


class SelfFundedLab(Vendor):
    """A self-funded lab (DeepSeek): an owner's budget covers its losses; it raises no rounds."""

    owner_budget = column("losses the owner covers, RMB a month")
