"""Enterprise buyers: the API side of the market."""

from __future__ import annotations

import numpy as np

from .base import ColumnTable, TableAgent, column


class BuyerTable(ColumnTable):
    """State of all enterprise buyers. `portfolio` holds vendor rows (-1 empty) and
    `weights` the share of the buyer's tokens each portfolio slot gets."""

    def __init__(self, n: int, portfolio_size: int):
        super().__init__(n)
        self.sector = np.zeros(n, np.int16)
        self.home_cloud = np.zeros(n, np.int32)               # vendor row of its cloud provider
        self.base_demand = np.zeros(n)                        # million tokens per month at reference price
        self.risk_aversion = np.zeros(n)
        self.portfolio = np.full((n, portfolio_size), -1, np.int32)
        self.weights = np.zeros((n, portfolio_size))
        self.next_review = np.zeros(n, np.int32)              # month index of the next review
        self.spend = np.zeros(n)                              # RMB spent on tokens this month


class EnterpriseBuyer(TableAgent):
    """An enterprise (standing for a weight of enterprises) buying tokens from a model garden."""

    sector = column("sector index into config.enterprises.sectors")
    home_cloud = column("vendor row of its cloud")
    base_demand = column("million tokens per month at the reference price")
    risk_aversion = column("weight on vendor failure risk")

    @property
    def portfolio(self) -> np.ndarray:
        return self.table.portfolio[self.row]
