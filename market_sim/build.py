"""Set-up: the agent tables of a run, built from a config and the run's random generator.

Draw order matters for reproducibility: the model calls these in the order vendors,
investors, buyers, consumers, each drawing from the generator it is given.
"""

from __future__ import annotations

import numpy as np

from .agents import BIG_TECH, NOT_ENTERED, SELF_FUNDED, STARTUP, BuyerTable, ConsumerTable, InvestorTable, VendorTable
from .calendar import month_index
from .config import Config
from .features import FeatureSpace
from .mechanisms import adoption, financing
from .mechanisms.paths import path_value

LONG_TAIL_SALARY_RMB_PER_MONTH = 40_000.0  # assumption: small labs pay below the big labs


def build_vendors(cfg: Config, features: FeatureSpace, rng: np.random.Generator) -> VendorTable:
    """The named vendors from the config, then the generated long tail: weaker than the
    weakest named startup by a random 6-18 months of frontier growth, small and cash-poor;
    then `long_tail.entrants_max` rows for small vendors that enter later (their size, cash
    and distance behind are drawn now; their capability when they enter)."""
    named = list(cfg.vendors.items())
    tail = cfg.long_tail
    n_tail = tail.count + tail.entrants_max
    ids = [vid for vid, _ in named] + [f"tail_{i + 1:02d}" for i in range(n_tail)]
    names = [v.name for _, v in named] + [f"Tail-{i + 1:02d}" for i in range(n_tail)]
    vendors = VendorTable(ids, names, len(features.names))
    for row, (_, v) in enumerate(named):
        _fill_named(vendors, row, v, cfg, features)
    k = len(named)
    if n_tail:
        _fill_long_tail(vendors, k, cfg, features, rng)
    for s in cfg.strategic_stakes:
        vendors.stakes[vendors.row_of[s.investor], vendors.row_of[s.vendor]] = s.stake
    vendors.runway[:] = financing.RUNWAY_CAP_MONTHS
    return vendors


KINDS = {"big_tech": BIG_TECH, "startup": STARTUP, "self_funded": SELF_FUNDED}


def _fill_named(vendors: VendorTable, row: int, v, cfg: Config, features: FeatureSpace) -> None:
    sectors = list(cfg.enterprises.sectors)
    vendors.kind[row] = KINDS[v.kind]
    vendors.capability[row] = [features.to_internal(i, v.capability[f]) for i, f in enumerate(features.names)]
    vendors.headcount[row] = v.headcount
    vendors.skill[row] = v.skill
    vendors.gpus[row] = v.gpus
    vendors.cash[row] = v.cash_rmb
    vendors.valuation[row] = (v.valuation_rmb if v.valuation_rmb is not None
                              else v.cash_rmb * cfg.financing.valuation_to_cash) if v.kind == "startup" else 0.0
    vendors.owner_budget[row] = v.owner_budget_rmb_per_month
    vendors.api_price[row] = v.api_price_rmb_per_mtok
    vendors.cost_efficiency[row] = v.cost_efficiency
    vendors.salary[row] = v.salary_rmb_per_month
    vendors.marketing[row] = marketing_plan_at(v.marketing_rmb_per_month, cfg.run.start, 0)
    vendors.other_revenue_plan[row] = v.other_revenue_rmb_per_month
    vendors.aggressiveness[row] = v.aggressiveness
    vendors.max_subsidy[row] = v.max_subsidy
    vendors.share_ambition[row] = v.share_ambition
    vendors.open_weights[row] = v.open_weights
    vendors.cloud_share[row] = v.cloud_share
    vendors.superapp_reach[row] = v.superapp_reach
    vendors.strategic_investor[row] = v.strategic_investor
    vendors.focus_sector[row] = sectors.index(v.focus_sectors[0]) if v.focus_sectors else -1
    if v.enters is not None and month_index(v.enters, cfg.run.start) > 0:
        vendors.status[row] = NOT_ENTERED
        vendors.entry_month[row] = month_index(v.enters, cfg.run.start)
        vendors.headcount_at_entry[row], vendors.headcount[row] = v.headcount, 0
    launch = month_index(v.consumer_launch, cfg.run.start) if v.consumer_launch is not None else 0
    vendors.consumer_launch[row] = max(launch, int(vendors.entry_month[row]))


def _fill_long_tail(vendors: VendorTable, k: int, cfg: Config, features: FeatureSpace,
                    rng: np.random.Generator) -> None:
    tail = cfg.long_tail
    n_tail = tail.count + tail.entrants_max
    startups = [r for r in range(k) if vendors.kind[r] == STARTUP] or list(range(k))
    weakest = vendors.capability[startups].min(axis=0)
    behind = rng.uniform(*tail.capability_behind_months, size=(n_tail, 1))
    vendors.behind_at_entry[k:] = behind[:, 0]
    vendors.capability[k:] = weakest[None, :] - behind * features.growth_per_month[None, :]
    vendors.kind[k:] = STARTUP
    vendors.long_tail[k:] = True
    vendors.headcount[k:] = rng.integers(tail.headcount_range[0], tail.headcount_range[1] + 1, n_tail)
    vendors.gpus[k:] = rng.uniform(*tail.gpus_range, n_tail)
    vendors.cash[k:] = rng.uniform(*tail.cash_rmb_range, n_tail)
    vendors.valuation[k:] = vendors.cash[k:] * cfg.financing.valuation_to_cash
    vendors.api_price[k:] = tail.api_price_rmb_per_mtok
    vendors.cost_efficiency[k:] = tail.cost_efficiency
    vendors.salary[k:] = LONG_TAIL_SALARY_RMB_PER_MONTH
    vendors.aggressiveness[k:] = tail.aggressiveness
    vendors.focus_sector[k:] = rng.integers(0, len(cfg.enterprises.sectors), n_tail)
    entrants = np.arange(k + tail.count, k + n_tail)
    vendors.status[entrants] = NOT_ENTERED
    vendors.headcount_at_entry[entrants] = vendors.headcount[entrants]
    vendors.headcount[entrants] = 0
    vendors.entry_month[entrants] = -1          # set when it enters
    vendors.consumer_launch[entrants] = np.iinfo(np.int32).max


def marketing_plan_at(plan, start: str, t: int) -> float:
    """A vendor's planned marketing RMB a month in month t: a number, or a dated path."""
    return float(plan) if not isinstance(plan, dict) else path_value(plan, start, t)


def marketing_paths(cfg: Config) -> dict[int, dict]:
    """Vendor row -> dated marketing path, for the vendors whose marketing is a path."""
    rows = {vid: row for row, vid in enumerate(cfg.vendors)}
    return {rows[vid]: v.marketing_rmb_per_month for vid, v in cfg.vendors.items()
            if isinstance(v.marketing_rmb_per_month, dict)}


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


def superapp_owners(vendors: VendorTable) -> np.ndarray:
    """Vendor rows that own a super-app (positive reach), in row order."""
    return np.flatnonzero(vendors.superapp_reach > 0)


def build_consumers(cfg: Config, vendors: VendorTable, rng: np.random.Generator) -> ConsumerTable:
    """Consumer agents: a random k-out word-of-mouth graph; each person is on each big tech's
    super-app with probability its reach, independently (reach is a share of people: apps
    overlap, and nobody is given one); the initial adopters spread over vendors by their
    initial consumer shares (the long tail shares the rest equally; not-yet-entered and
    not-yet-launched vendors start with none)."""
    n = cfg.scale.consumers
    degree = min(cfg.consumers.network_degree, max(n - 1, 1))
    consumers = ConsumerTable(n, degree)
    consumers.weight[:] = cfg.scale.consumer_population / n
    consumers.neighbours[:] = adoption.random_contacts(rng, n, degree)
    owners = superapp_owners(vendors)
    consumers.on_superapp = rng.random((n, owners.size)) < vendors.superapp_reach[owners][None, :]
    share = np.zeros(vendors.size)
    for vid, v in cfg.vendors.items():
        share[vendors.row_of[vid]] = v.consumer_share
    tail = vendors.long_tail & (vendors.status != NOT_ENTERED)
    if tail.any():
        share[tail] = max(1.0 - share.sum(), 0.0) / tail.sum()
    share[(vendors.status == NOT_ENTERED) | (vendors.consumer_launch > 0)] = 0.0
    adopters = rng.random(n) < cfg.scale.initial_adoption
    if share.sum() > 0:
        consumers.vendor[adopters] = rng.choice(vendors.size, size=int(adopters.sum()), p=share / share.sum())
    return consumers


def scheduled_releases(cfg: Config) -> dict[int, list]:
    """Dated releases given as inputs, by month index."""
    return _by_month(cfg.scheduled_releases, cfg.run.start)


def scheduled_prices(cfg: Config) -> dict[int, list]:
    """Dated API prices given as inputs, by month index."""
    return _by_month(cfg.scheduled_prices, cfg.run.start)


def scheduled_rounds(cfg: Config) -> dict[int, list]:
    """Dated funding rounds given as inputs, by month index."""
    return _by_month(cfg.scheduled_rounds, cfg.run.start)


def _by_month(items, start: str) -> dict[int, list]:
    out: dict[int, list] = {}
    for item in items:
        out.setdefault(month_index(item.month, start), []).append(item)
    return out


def dated_changes(cfg: Config) -> dict[int, list]:
    """Dated changes (scenarios), by month index."""
    out: dict[int, list] = {}
    for c in cfg.changes:
        out.setdefault(month_index(c.month, cfg.run.start), []).append(c)
    return out
