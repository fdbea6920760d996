"""Investors: venture funds whose appetite follows the funding climate."""

from __future__ import annotations

import numpy as np

from .base import ColumnTable, TableAgent, column


class InvestorTable(ColumnTable):
    """State of all venture funds: money left to invest and the share of each vendor held."""

    def __init__(self, names: list[str], n_vendors: int, dry_powder_rmb: float):
        super().__init__(len(names))
        self.names = list(names)
        self.dry_powder = np.full(len(names), float(dry_powder_rmb))   # RMB it can still invest
        self.stakes = np.zeros((len(names), n_vendors))                # share of vendor (column) held


class Investor(TableAgent):
    """A venture fund; its state is a row of the model's InvestorTable."""

    dry_powder = column("RMB it can still invest")

    @property
    def name(self) -> str:
        return self.table.names[self.row]

    @property
    def stakes(self) -> dict[int, float]:
        """Vendor row -> share held: a snapshot (the table holds the state; write there)."""
        row = self.table.stakes[self.row]
        return {int(v): float(row[v]) for v in np.flatnonzero(row)}

    def __repr__(self) -> str:
        return f"<Investor {self.name} {self.dry_powder / 1e9:.2f}B RMB>"
