"""Agent kinds. State lives in per-kind column tables; see base.py for why."""

from .buyers import BuyerTable, EnterpriseBuyer
from .consumers import Consumer, ConsumerTable
from .investors import Investor
from .vendors import (
    ACQUIRED,
    BIG_TECH,
    EXITED,
    FOCUSED,
    FRONTIER,
    KIND_NAMES,
    STARTUP,
    STATUS_NAMES,
    BigTech,
    Startup,
    Vendor,
    VendorTable,
)

__all__ = [
    "ACQUIRED", "BIG_TECH", "EXITED", "FOCUSED", "FRONTIER", "KIND_NAMES", "STARTUP", "STATUS_NAMES",
    "BigTech", "BuyerTable", "Consumer", "ConsumerTable", "EnterpriseBuyer", "Investor", "Startup",
    "Vendor", "VendorTable",
]
