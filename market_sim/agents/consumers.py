"""Consumers: each agent stands for `weight` people."""

from __future__ import annotations

import numpy as np

from .base import ColumnTable, TableAgent, column


class ConsumerTable(ColumnTable):
    def __init__(self, n: int, degree: int):
        super().__init__(n)
        self.vendor = np.full(n, -1, np.int32)               # vendor row of the assistant used, -1 none
        self.weight = np.ones(n)                             # people this agent stands for
        self.on_superapp = np.zeros((n, 0), bool)            # on each super-app (columns: build.superapp_owners)
        self.neighbours = np.zeros((n, degree), np.int32)    # word-of-mouth network (row indices)
        self.since = np.zeros(n, np.int32)                   # month index it adopted its current vendor
        self.orphaned = np.zeros(n, bool)                    # its vendor left the market this month


class Consumer(TableAgent):
    """A group of people choosing (or not) an assistant app."""

    vendor = column("vendor row of the assistant used, -1 none")
    weight = column("people this agent stands for")
    on_superapp = column("on each big tech's super-app (one flag per super-app)")

    @property
    def adopted(self) -> bool:
        return self.vendor >= 0
