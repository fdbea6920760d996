"""Investors: venture funds whose appetite follows the funding climate."""

from __future__ import annotations

from mesa import Agent


class Investor(Agent):
    """A venture fund. `dry_powder` (RMB) is what it can still invest; `stakes` maps a
    vendor row to the share of that vendor it holds."""

    def __init__(self, model, name: str, dry_powder: float):
        super().__init__(model)
        self.name = name
        self.dry_powder = float(dry_powder)
        self.stakes: dict[int, float] = {}

    def __repr__(self) -> str:
        return f"<Investor {self.name} {self.dry_powder / 1e9:.2f}B RMB>"
