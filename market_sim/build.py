"""Set-up: the agent tables of a run, built from a config and the run's random generator.

Draw order matters for reproducibility: the model calls these in the order vendors,
investors, buyers, consumers, each drawing from the generator it is given.
"""

from __future__ import annotations

import numpy as np

from .agents import BIG_TECH, STARTUP, BuyerTable, ConsumerTable, InvestorTable, VendorTable
from .calendar import month_index
from .config import Config
from .features import FeatureSpace
from .mechanisms import adoption, financing

LONG_TAIL_SALARY_RMB_PER_MONTH = 40_000.0  # assumption: small labs pay below the big labs


def build_vendors(cfg: Config, features: FeatureSpace, rng: np.random.Generator) -> VendorTable:
    """The named vendors from the config, then the generated long tail: weaker than the
    weakest named startup by a random 6-18 months of frontier growth, small and cash-poor."""
    named = list(cfg.vendors.items())
    tail = cfg.long_tail
    ids = [vid for vid, _ in named] + [f"tail_{i + 1:02d}" for i in range(tail.count)]
    names = [v.name for _, v in named] + [f"Tail-{i + 1:02d}" for i in range(tail.count)]
    vendors = VendorTable(ids, names, len(features.names))
    sectors = list(cfg.enterprises.sectors)
    for row, (_, v) in enumerate(named):
        vendors.kind[row] = BIG_TECH if v.kind == "big_tech" else STARTUP
        vendors.capability[row] = [features.to_internal(i, v.capability[f]) for i, f in enumerate(features.names)]
        vendors.headcount[row] = v.headcount
        vendors.skill[row] = v.skill
        vendors.gpus[row] = v.gpus
        vendors.cash[row] = v.cash_rmb
        vendors.api_price[row] = v.api_price_rmb_per_mtok
        vendors.cost_efficiency[row] = v.cost_efficiency
        vendors.salary[row] = v.salary_rmb_per_month
        vendors.marketing[row] = v.marketing_rmb_per_month
        vendors.other_revenue_plan[row] = v.other_revenue_rmb_per_month
        vendors.aggressiveness[row] = v.aggressiveness
        vendors.max_subsidy[row] = v.max_subsidy
        vendors.share_ambition[row] = v.share_ambition
        vendors.open_weights[row] = v.open_weights
        vendors.cloud_share[row] = v.cloud_share
        vendors.superapp_reach[row] = v.superapp_reach
        vendors.strategic_investor[row] = v.strategic_investor
        vendors.focus_sector[row] = sectors.index(v.focus_sectors[0]) if v.focus_sectors else -1
    k = len(named)
    if tail.count:
        startups = [r for r in range(k) if vendors.kind[r] == STARTUP] or list(range(k))
        weakest = vendors.capability[startups].min(axis=0)
        behind = rng.uniform(*tail.capability_behind_months, size=(tail.count, 1))
        vendors.capability[k:] = weakest[None, :] - behind * features.growth_per_month[None, :]
        vendors.kind[k:] = STARTUP
        vendors.long_tail[k:] = True
        vendors.headcount[k:] = rng.integers(tail.headcount_range[0], tail.headcount_range[1] + 1, tail.count)
        vendors.gpus[k:] = rng.uniform(*tail.gpus_range, tail.count)
        vendors.cash[k:] = rng.uniform(*tail.cash_rmb_range, tail.count)
        vendors.api_price[k:] = tail.api_price_rmb_per_mtok
        vendors.cost_efficiency[k:] = tail.cost_efficiency
        vendors.salary[k:] = LONG_TAIL_SALARY_RMB_PER_MONTH
        vendors.aggressiveness[k:] = tail.aggressiveness
        vendors.focus_sector[k:] = rng.integers(0, len(sectors), tail.count)
    for s in cfg.strategic_stakes:
        vendors.stakes[vendors.row_of[s.investor], vendors.row_of[s.vendor]] = s.stake
    vendors.runway[:] = financing.RUNWAY_CAP_MONTHS
    return vendors


def build_investors(cfg: Config, n_vendors: int) -> InvestorTable:
    """Venture funds, each with the same dry powder."""
    fin = cfg.financing
    return InvestorTable([f"Fund-{i + 1:02d}" for i in range(fin.investors)], n_vendors, fin.investor_dry_powder_rmb)


def build_buyers(cfg: Config, vendors: VendorTable, rng: np.random.Generator) -> BuyerTable:
    """Enterprise buyers: a sector by the sectors' weights, a home cloud by the big techs'
    cloud shares, lognormal token demand (mean 1 x the sector's) and a risk aversion."""
    ent = cfg.enterprises
    n = cfg.scale.enterprises
    buyers = BuyerTable(n, ent.portfolio_size)
    sectors = list(ent.sectors.values())
    weights = np.array([s.weight for s in sectors])
    buyers.sector[:] = rng.choice(len(sectors), size=n, p=weights / weights.sum())
    cloud = vendors.cloud_share
    buyers.home_cloud[:] = rng.choice(vendors.size, size=n, p=cloud / cloud.sum())
    per_agent = cfg.scale.enterprise_population / n   # enterprises each agent stands for
    mean_demand = np.array([s.demand_mtok_per_month for s in sectors])[buyers.sector]
    buyers.base_demand[:] = per_agent * mean_demand * rng.lognormal(-0.5, 1.0, n)  # lognormal with mean 1
    buyers.risk_aversion[:] = rng.uniform(0.0, 1.0, n)
    buyers.next_review[:] = 0
    return buyers


def sector_needs(cfg: Config, features: FeatureSpace) -> np.ndarray:
    """(sectors x features) weight of each feature in each sector's choice."""
    return np.array([[s.needs.get(f, 0.0) for f in features.names] for s in cfg.enterprises.sectors.values()])


def build_consumers(cfg: Config, vendors: VendorTable, rng: np.random.Generator) -> ConsumerTable:
    """Consumer agents: a random k-out word-of-mouth graph, a main super-app in proportion to
    reach, and the initial adopters spread over vendors by their initial consumer shares."""
    n = cfg.scale.consumers
    degree = min(cfg.consumers.network_degree, max(n - 1, 1))
    consumers = ConsumerTable(n, degree)
    consumers.weight[:] = cfg.scale.consumer_population / n
    consumers.neighbours[:] = adoption.random_contacts(rng, n, degree)
    reach = vendors.superapp_reach
    total = min(reach.sum(), 1.0)
    if total > 0:
        p = np.append(reach / reach.sum() * total, 1.0 - total)
        choice = rng.choice(vendors.size + 1, size=n, p=p)
        consumers.superapp[:] = np.where(choice < vendors.size, choice, -1)
    share = np.zeros(vendors.size)
    for vid, v in cfg.vendors.items():
        share[vendors.row_of[vid]] = v.consumer_share
    tail = vendors.long_tail
    if tail.any():
        share[tail] = max(1.0 - share.sum(), 0.0) / tail.sum()
    adopters = rng.random(n) < cfg.scale.initial_adoption
    if share.sum() > 0:
        consumers.vendor[adopters] = rng.choice(vendors.size, size=int(adopters.sum()), p=share / share.sum())
    return consumers


def scheduled_releases(cfg: Config) -> dict[int, list]:
    """Dated releases given as inputs, by month index."""
    out: dict[int, list] = {}
    for r in cfg.scheduled_releases:
        out.setdefault(month_index(r.month, cfg.run.start), []).append(r)
    return out


def dated_changes(cfg: Config) -> dict[int, list]:
    """Dated changes (scenarios), by month index."""
    out: dict[int, list] = {}
    for c in cfg.changes:
        out.setdefault(month_index(c.month, cfg.run.start), []).append(c)
    return out
