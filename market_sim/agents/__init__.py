"""Agent kinds. State lives in per-kind column tables; see base.py for why."""

from .buyers import BuyerTable, EnterpriseBuyer
from .consumers import Consumer, ConsumerTable
from .investors import Investor, InvestorTable
from .vendors import (
    ACQUIRED,
    BIG_TECH,
    EXITED,
    FOCUSED,
    FRONTIER,
    KIND_NAMES,
    NOT_ENTERED,
    SELF_FUNDED,
    STARTUP,
    STATUS_NAMES,
    BigTech,
    SelfFundedLab,
    Startup,
    Vendor,
    VendorTable,
)


def add_mesa_agents(model, vendors: VendorTable, investors: InvestorTable, buyers: BuyerTable,
                    consumers: ConsumerTable) -> None:
    """Create the Mesa face of the tables (model.agents_by_type, batch_run, the app): one
    agent object per row, a view holding no state of its own."""
    for row in range(vendors.size):
        {BIG_TECH: BigTech, SELF_FUNDED: SelfFundedLab}.get(int(vendors.kind[row]), Startup)(model, vendors, row)
    for table, kind in ((investors, Investor), (buyers, EnterpriseBuyer), (consumers, Consumer)):
        for row in range(table.size):
            kind(model, table, row)


__all__ = [
    "ACQUIRED", "BIG_TECH", "EXITED", "FOCUSED", "FRONTIER", "KIND_NAMES", "NOT_ENTERED", "SELF_FUNDED", "STARTUP",
    "STATUS_NAMES", "SelfFundedLab",
    "BigTech", "BuyerTable", "Consumer", "ConsumerTable", "EnterpriseBuyer", "Investor", "InvestorTable", "Startup",
    "Vendor", "VendorTable", "add_mesa_agents",
]
