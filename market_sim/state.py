"""The market's own state (what belongs to no single agent): the month, the exogenous paths,
the free talent pool and the month's indicators. Per-agent state lives in the agent tables
(agents/); `MarketState` and those tables are what the recorder and the app read."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class MarketState:
    month: int = 0                       # months since start: the month being simulated
    frontier: np.ndarray = field(default_factory=lambda: np.zeros(0))   # global frontier, internal units
    funding_climate: float = 1.0         # venture climate index (1 = normal)
    talent_pool: int = 0                 # researchers on the market, not employed
    pool_skill: float = 0.8              # their mean skill (assumption: below lab staff)
    sector_revenue: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # RMB, sectors x vendors
    # indicators of the month just simulated
    price_index: float = 0.0             # token-weighted API price, RMB per million tokens
    hhi_consumer: float = 0.0
    hhi_enterprise: float = 0.0
    total_mau: float = 0.0               # people using an assistant
    enterprise_spend: float = 0.0        # RMB a month on API tokens
    n_frontier: int = 0                  # vendors in the frontier race
