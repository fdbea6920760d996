"""MarketModel: the month of the LLM market, in order.

    releases -> prices -> enterprise tokens -> consumer assistants -> talent -> accounts -> financing

State lives in per-kind column tables (see agents/base.py); the mechanisms are pure
functions in mechanisms/. This module only orders them and books the money.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from mesa import DataCollector, Model

from .agents import (
    ACQUIRED,
    BIG_TECH,
    EXITED,
    FOCUSED,
    FRONTIER,
    STARTUP,
    BigTech,
    BuyerTable,
    Consumer,
    ConsumerTable,
    EnterpriseBuyer,
    Investor,
    Startup,
    VendorTable,
)
from .config import (
    FEATURES,
    LIVE_VENDOR_KEYS,
    Config,
    changed_config,
    load_config,
    month_index,
    month_label,
    overrides_from,
)
from .mechanisms import adoption, catchup, financing, pricing, procurement, talent
from .mechanisms.paths import path_value
from .records import Recorder

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "configs" / "baseline_2024.yaml"

# Plain keyword parameters (for mesa.batch_run and the browser app) -> config keys.
# Any other keyword written a__b__c maps onto the config key a.b.c.
PARAMETER_KEYS = {
    "months": "run.months",
    "n_consumers": "scale.consumers",
    "n_enterprises": "scale.enterprises",
    "price_war_intensity": "price_war.intensity",
    "copy_lag_months": "catch_up.copy_lag_months",
    "talent_mobility": "talent.mobility",
    "noncompete_friction": "talent.noncompete_friction",
    "funding_climate_scale": "market.funding_climate_scale",
    "bass_p": "consumers.bass_p",
    "bass_q": "consumers.bass_q",
}


def _overrides_from_params(params: dict[str, Any]) -> list[str]:
    return overrides_from({PARAMETER_KEYS.get(k, k.replace("__", ".")): v for k, v in params.items()})


class MarketModel(Model):
    """The LLM vendor market, one step per month.

    Args:
        config: path to a YAML config, a dict, or a Config (default: configs/baseline_2024.yaml).
        rng: seed or numpy Generator for this run (default: the config's run.seed).
        **params: plain keyword overrides, e.g. price_war_intensity=0.5 or
            consumers__bass_q=0.1 (see PARAMETER_KEYS).
    """

    def __init__(self, config: str | Path | dict | Config | None = None, rng: Any = None, **params: Any):
        cfg = load_config(config if config is not None else DEFAULT_CONFIG, _overrides_from_params(params))
        super().__init__(rng=cfg.run.seed if rng is None else rng)
        self.cfg = cfg
        self.start = cfg.run.start
        self.horizon = cfg.run.months
        self.month = 0  # months since start; the month being simulated
        self.events: list[dict] = []
        self._setup_features()
        self._setup_vendors()
        self._setup_investors()
        self._setup_buyers()
        self._setup_consumers()
        self.changes: dict[int, list] = {}
        for c in cfg.changes:
            self.changes.setdefault(month_index(c.month, self.start), []).append(c)
        self.recorder = Recorder(self.horizon, self.vendors, FEATURES)
        self._reset_month_flows()
        self._exogenous_paths(0)
        self.buy_tokens(0)          # portfolios held when the simulation starts (from 2023)
        self._reset_month_flows()
        self._update_market_indicators(initial=True)
        self.datacollector = DataCollector(model_reporters={
            "month": "month_label", "price_index": "price_index", "hhi_consumer": "hhi_consumer",
            "hhi_enterprise": "hhi_enterprise", "frontier_vendors": "n_frontier",
            "total_mau": "total_mau", "enterprise_spend_rmb": "enterprise_spend",
        })

    # ------------------------------------------------------------------ the month
    def step(self) -> None:
        t = self.month
        self._reset_month_flows()
        self.apply_changes(t)
        self._exogenous_paths(t)
        self._grow_frontier_compute()
        self.release_features(t)
        self.set_api_prices(t)
        self.buy_tokens(t)
        self.use_assistants(t)
        self.move_talent(t)
        self.settle_accounts(t)
        self.finance(t)
        self._update_market_indicators()
        self.recorder.record(self, t)
        self.month += 1
        self.datacollector.collect(self)  # after the increment: month_label is the month just simulated
        if self.month >= self.horizon:
            self.running = False

    @property
    def month_label(self) -> str:
        """The last simulated month (YYYY-MM); before the first step, the month before start."""
        return month_label(self.start, self.month - 1)

    def apply_changes(self, t: int) -> None:
        """Dated changes (scenarios from 2025): the sections read every month take the new
        config; a vendor's strategy is written to its row. A vendor out of the race does not
        take up a share ambition again."""
        for change in self.changes.get(t, []):
            self.cfg = changed_config(self.cfg, change)
            for key, value in change.set.items():
                parts = key.split(".")
                if parts[0] != "vendors":
                    continue
                row, attr = self.vendor_rows[parts[1]], LIVE_VENDOR_KEYS[parts[2]]
                if attr == "share_ambition" and not self.racing[row]:
                    continue
                getattr(self.vendors, attr)[row] = value
            self.log_event(t, -1, "change", change.why or ", ".join(f"{k} = {v}" for k, v in change.set.items()))

    # ------------------------------------------------------------------ set-up
    def _setup_features(self) -> None:
        fc = self.cfg.features
        self.log_scale = np.array([fc[f].log_scale for f in FEATURES])
        self.feature_step = np.array([fc[f].innovation_step for f in FEATURES])
        self.feature_leapfrog = np.array([fc[f].leapfrog for f in FEATURES])
        self.feature_growth = np.array([fc[f].frontier_growth_per_month for f in FEATURES])
        self.feature_copy_lag = np.array([fc[f].copy_lag_factor for f in FEATURES])
        self.feature_copy_share = np.array([fc[f].copy_share for f in FEATURES])
        self.feature_diffuses = np.array([fc[f].catch_up == "diffusion" for f in FEATURES])
        self.feature_release_rate = np.array([fc[f].release_rate_factor for f in FEATURES])
        self.frontier = self._frontier_at(0)

    def to_internal(self, f: int, level: float) -> float:
        return float(np.log10(level)) if self.log_scale[f] else float(level)

    def to_unit(self, f: int, internal: np.ndarray) -> np.ndarray:
        return 10.0 ** internal if self.log_scale[f] else internal

    def _frontier_at(self, t: float) -> np.ndarray:
        out = []
        for i, f in enumerate(FEATURES):
            fc = self.cfg.features[f]
            pts = {m: self.to_internal(i, v) for m, v in fc.frontier.items()}
            out.append(path_value(pts, self.start, t, fc.frontier_growth_per_month))
        return np.array(out)

    def _setup_vendors(self) -> None:
        cfg = self.cfg
        named = list(cfg.vendors.items())
        lt = cfg.long_tail
        ids = [vid for vid, _ in named] + [f"tail_{i + 1:02d}" for i in range(lt.count)]
        names = [v.name for _, v in named] + [f"Tail-{i + 1:02d}" for i in range(lt.count)]
        n, nf = len(ids), len(FEATURES)
        vt = VendorTable(ids, names, nf)
        sectors = list(cfg.enterprises.sectors)
        for row, (_, v) in enumerate(named):
            vt.kind[row] = BIG_TECH if v.kind == "big_tech" else STARTUP
            vt.capability[row] = [self.to_internal(i, v.capability[f]) for i, f in enumerate(FEATURES)]
            vt.headcount[row] = v.headcount
            vt.skill[row] = v.skill
            vt.gpus[row] = v.gpus
            vt.cash[row] = v.cash_rmb
            vt.api_price[row] = v.api_price_rmb_per_mtok
            vt.cost_efficiency[row] = v.cost_efficiency
            vt.salary[row] = v.salary_rmb_per_month
            vt.marketing[row] = v.marketing_rmb_per_month
            vt.other_revenue[row] = v.other_revenue_rmb_per_month
            vt.aggressiveness[row] = v.aggressiveness
            vt.max_subsidy[row] = v.max_subsidy
            vt.share_ambition[row] = v.share_ambition
            vt.open_weights[row] = v.open_weights
            vt.cloud_share[row] = v.cloud_share
            vt.superapp_reach[row] = v.superapp_reach
            vt.strategic_investor[row] = v.strategic_investor
            vt.focus_sector[row] = sectors.index(v.focus_sectors[0]) if v.focus_sectors else -1
        k = len(named)
        if lt.count:
            rng = self.rng
            startups = [r for r in range(k) if vt.kind[r] == STARTUP] or list(range(k))
            weakest = vt.capability[startups].min(axis=0)
            behind = rng.uniform(*lt.capability_behind_months, size=(lt.count, 1))
            vt.capability[k:] = weakest[None, :] - behind * self.feature_growth[None, :]
            vt.kind[k:] = STARTUP
            vt.long_tail[k:] = True
            vt.headcount[k:] = rng.integers(lt.headcount_range[0], lt.headcount_range[1] + 1, lt.count)
            vt.gpus[k:] = rng.uniform(*lt.gpus_range, lt.count)
            vt.cash[k:] = rng.uniform(*lt.cash_rmb_range, lt.count)
            vt.api_price[k:] = lt.api_price_rmb_per_mtok
            vt.cost_efficiency[k:] = lt.cost_efficiency
            vt.salary[k:] = 40_000.0
            vt.aggressiveness[k:] = lt.aggressiveness
            vt.focus_sector[k:] = rng.integers(0, len(sectors), lt.count)
        self.vendors = vt
        self.n_vendors = n
        for row in range(n):
            (BigTech if vt.kind[row] == BIG_TECH else Startup)(self, vt, row)
        self.vendor_rows = {vid: i for i, vid in enumerate(ids)}
        self.talent_pool = int(cfg.talent.initial_pool)
        self.pool_skill = 0.8  # assumption: the free pool is somewhat less skilled than lab staff
        self.total_talent = int(vt.headcount.sum()) + self.talent_pool
        self.talent_flows = np.zeros((n, n), np.int64)  # cumulative researchers moved (source x destination)
        # strategic stakes (investor big tech row, startup row) -> share
        self.stakes = np.zeros((n, n))
        for s in cfg.strategic_stakes:
            self.stakes[self.vendor_rows[s.investor], self.vendor_rows[s.vendor]] = s.stake
        self.scheduled = {}
        for r in cfg.scheduled_releases:
            self.scheduled.setdefault(month_index(r.month, self.start), []).append(r)
        self.runway = np.full(n, financing.RUNWAY_CAP_MONTHS)
        self.burn = np.zeros(n)
        self.tokens_last = np.zeros(n)  # enterprise tokens of the last month (price-war ambition)

    def _setup_investors(self) -> None:
        fc = self.cfg.financing
        self.funds = [Investor(self, f"Fund-{i + 1:02d}", fc.investor_dry_powder_rmb) for i in range(fc.investors)]

    def _setup_buyers(self) -> None:
        cfg, rng = self.cfg, self.rng
        ec = cfg.enterprises
        n, k = cfg.scale.enterprises, ec.portfolio_size
        bt = BuyerTable(n, k)
        sectors = list(ec.sectors.values())
        sw = np.array([s.weight for s in sectors])
        bt.sector[:] = rng.choice(len(sectors), size=n, p=sw / sw.sum())
        cloud = self.vendors.cloud_share
        bt.home_cloud[:] = rng.choice(self.n_vendors, size=n, p=cloud / cloud.sum())
        # each agent stands for enterprise_population / n enterprises
        per_agent = cfg.scale.enterprise_population / n
        mean_demand = np.array([s.demand_mtok_per_month for s in sectors])[bt.sector]
        bt.base_demand[:] = per_agent * mean_demand * rng.lognormal(-0.5, 1.0, n)  # lognormal with mean 1
        bt.risk_aversion[:] = rng.uniform(0.0, 1.0, n)
        bt.next_review[:] = 0
        self.buyers = bt
        self.sector_needs = np.array([[s.needs.get(f, 0.0) for f in FEATURES] for s in sectors])
        for row in range(n):
            EnterpriseBuyer(self, bt, row)

    def _setup_consumers(self) -> None:
        cfg, rng = self.cfg, self.rng
        n = cfg.scale.consumers
        cc = cfg.consumers
        degree = min(cc.network_degree, max(n - 1, 1))
        ct = ConsumerTable(n, degree)
        ct.weight[:] = cfg.scale.consumer_population / n
        # word-of-mouth contacts: `degree` others drawn uniformly (a random k-out graph)
        nb = rng.integers(0, max(n - 1, 1), size=(n, degree))
        ct.neighbours[:] = nb + (nb >= np.arange(n)[:, None])  # skip self
        if n == 1:
            ct.neighbours[:] = 0
        # super-app users: each person's main super-app, in proportion to reach
        reach = self.vendors.superapp_reach
        total = min(reach.sum(), 1.0)
        if total > 0:
            p = np.append(reach / reach.sum() * total, 1.0 - total)
            choice = rng.choice(self.n_vendors + 1, size=n, p=p)
            ct.superapp[:] = np.where(choice < self.n_vendors, choice, -1)
        # initial users: named vendors' shares; the rest spread over the long tail
        share = np.zeros(self.n_vendors)
        for vid, v in cfg.vendors.items():
            share[self.vendor_rows[vid]] = v.consumer_share
        tail = self.vendors.long_tail
        if tail.any():
            share[tail] = max(1.0 - share.sum(), 0.0) / tail.sum()
        adopters = rng.random(n) < cfg.scale.initial_adoption
        if share.sum() > 0:
            ct.vendor[adopters] = rng.choice(self.n_vendors, size=int(adopters.sum()), p=share / share.sum())
        self.consumers = ct
        self._orphans = np.zeros(n, bool)
        for row in range(n):
            Consumer(self, ct, row)

    # ------------------------------------------------------------------ helpers
    @property
    def active(self) -> np.ndarray:
        """Vendors still selling (frontier or focused)."""
        return self.vendors.status <= FOCUSED

    @property
    def racing(self) -> np.ndarray:
        return self.vendors.status == FRONTIER

    def log_event(self, t: int, row: int, kind: str, detail: str, value: float = np.nan) -> None:
        self.events.append({
            "month_index": t, "month": month_label(self.start, t),
            "vendor": self.vendors.ids[row] if row >= 0 else "", "event": kind,
            "detail": detail, "value": float(value),
        })

    def _reset_month_flows(self) -> None:
        n = self.n_vendors
        self.api_revenue = np.zeros(n)
        self.consumer_revenue = np.zeros(n)
        self.costs = np.zeros(n)
        self.funding = np.zeros(n)
        self.tokens = np.zeros(n)          # million tokens served to enterprises
        self.talent_in = np.zeros(n, np.int64)
        self.talent_out = np.zeros(n, np.int64)
        self.buyer_spend = np.zeros(self.buyers.size)
        self.cash_start = self.vendors.cash.copy()

    def _exogenous_paths(self, t: int) -> None:
        self.frontier = self._frontier_at(t)
        m = self.cfg.market
        self.climate = m.funding_climate_scale * path_value(m.funding_climate, self.start, t)
        self.unit_cost = pricing.unit_serving_cost(
            t, m.unit_cost.initial_rmb_per_mtok, m.unit_cost.halving_months, self.vendors.cost_efficiency)

    def _grow_frontier_compute(self) -> None:
        """Racing vendors add GPUs to keep pace with the frontier's compute (and pay for them)."""
        doubling = self.cfg.market.frontier_compute_doubling_months
        if doubling:
            self.vendors.gpus[:] = np.where(self.racing, self.vendors.gpus * 2.0 ** (1.0 / doubling), self.vendors.gpus)

    def gap_to_domestic_best(self) -> np.ndarray:
        """(vendors x features) months of frontier growth behind the best active vendor."""
        best, _ = catchup.best_public_level(self.vendors.capability, self.active)
        return catchup.gap_months(self.vendors.capability, best, self.feature_growth)

    def _feature_text(self, f: int, internal: float) -> str:
        fc = self.cfg.features[FEATURES[f]]
        level = float(self.to_unit(f, np.array(internal)))
        if fc.unit == "tokens":
            return f"{FEATURES[f]} {level / 1e6:.1f}M tokens" if level >= 1e6 else f"{FEATURES[f]} {level / 1e3:.0f}k tokens"
        return f"{FEATURES[f]} {level:.1f} {fc.unit}"

    # ------------------------------------------------------------------ 1. feature catch-up
    def release_features(self, t: int) -> None:
        vt, cc = self.vendors, self.cfg.catch_up
        before = vt.capability.copy()
        prev_best, leader = catchup.best_public_level(before, self.active)
        # dated releases given as inputs (e.g. Kimi's 2M-character context, 2024-03)
        released = np.zeros_like(before, bool)
        for r in self.scheduled.get(t, []):
            row, f = self.vendor_rows[r.vendor], FEATURES.index(r.feature)
            if self.active[row]:
                vt.capability[row, f] = max(vt.capability[row, f], self.to_internal(f, r.level))
                released[row, f] = True
        strength = catchup.rd_strength(vt.headcount, vt.skill, vt.gpus, cc.talent_elasticity, cc.compute_elasticity)
        rate = cc.innovation_rate * strength * np.where(vt.status == FOCUSED, cc.focused_innovation_factor, 1.0)
        rate = np.where(self.active, rate, 0.0)[:, None] * self.feature_release_rate[None, :]
        # past the global frontier, progress is damped on the scale of a month of releases
        vt.capability[:], innovated = catchup.innovate(self.rng, vt.capability, self.frontier, rate, self.feature_step,
                                                       self.feature_step * self.feature_release_rate)
        lag = catchup.expected_copy_lag(cc.copy_lag_months, strength, vt.open_weights[leader],
                                        cc.open_weights_lag_factor) * self.feature_copy_lag[None, :]
        can_copy = self.active & (strength > 0)
        innovated_level = vt.capability.copy()
        vt.capability[:], copied = catchup.imitate(self.rng, innovated_level, prev_best, self.frontier, lag,
                                                   self.feature_leapfrog, can_copy, self.feature_copy_share)
        # general capability diffuses (no release, no headline); engineering features are copied
        diffused = catchup.diffuse(innovated_level, prev_best, lag, can_copy)
        vt.capability[:] = np.where(self.feature_diffuses[None, :], diffused, vt.capability)
        copied &= ~self.feature_diffuses[None, :]
        released |= innovated | copied
        new_best = released & (vt.capability > prev_best[None, :])
        vt.hype[:] = catchup.hype_after(vt.hype, released, new_best, cc.hype_decay_per_month,
                                        cc.hype_per_release, cc.hype_per_headline)
        # dated events: headline releases (a new domestic best) and copies that match it
        for row, f in zip(*np.nonzero(released & (new_best | copied))):
            verb = "sets a new domestic best" if new_best[row, f] else "matches the domestic best"
            self.log_event(t, row, "release", f"{vt.names[row]} {verb}: {self._feature_text(f, vt.capability[row, f])}",
                           float(self.to_unit(f, np.array(vt.capability[row, f]))))

    # ------------------------------------------------------------------ 2. price war
    def set_api_prices(self, t: int) -> None:
        vt, pw, fc = self.vendors, self.cfg.price_war, self.cfg.financing
        subsidy = np.where(
            vt.kind == BIG_TECH, vt.max_subsidy,
            pricing.startup_subsidy(vt.max_subsidy, self.runway, fc.pivot_runway_months, fc.raise_trigger_runway_months))
        floor = pricing.price_floor(self.unit_cost, subsidy)
        gap = self.gap_to_domestic_best()[:, FEATURES.index("quality")]
        ec = self.cfg.enterprises
        ent_share = self._share(self.tokens_last)
        # vendors answer rivals that matter: those with a real share of enterprise tokens
        followed = self.active & (ent_share >= pw.min_rival_share)
        rival_ref = pricing.quality_adjusted_rival_price(vt.api_price, -gap, followed,
                                                         ec.beta_capability / max(ec.beta_price, 1e-9))
        initiative = (vt.share_ambition > ent_share) & (gap <= pw.ambition_ready_gap_months) & self.racing
        old = vt.api_price.copy()
        aggressiveness = np.clip(pw.intensity * vt.aggressiveness, 0.0, 1.0)
        new = pricing.reprice(old, self.unit_cost, floor, rival_ref, aggressiveness,
                              pw.undercut, pw.max_markup, initiative, pw.tolerance)
        vt.api_price[:] = np.where(self.active, new, old)
        cut = self.active & (new < old * (1.0 - pw.cut_event_threshold))
        for row in np.flatnonzero(cut):
            pct = 100.0 * (1.0 - new[row] / old[row])
            self.log_event(t, row, "price_cut", f"{vt.names[row]} cuts API price {pct:.0f}% to {new[row]:.2f} RMB/M tokens", new[row])

    @staticmethod
    def _share(x: np.ndarray) -> np.ndarray:
        total = x.sum()
        return x / total if total > 0 else np.zeros_like(x, dtype=float)

    # ------------------------------------------------------------------ 3. enterprise buyers
    def _buyer_utility(self) -> np.ndarray:
        vt, ec, bt = self.vendors, self.cfg.enterprises, self.buyers
        fit = -(self.sector_needs @ self.gap_to_domestic_best().T)           # sectors x vendors
        risk = financing.failure_risk(vt.kind == STARTUP, self.runway, vt.status == FOCUSED)
        return procurement.buyer_utility(
            bt.sector, bt.home_cloud, bt.risk_aversion, bt.portfolio, vt.api_price, fit, vt.focus_sector,
            risk, ec.beta_price, ec.beta_capability, ec.beta_cloud, ec.beta_focus, ec.beta_risk, ec.switching_cost)

    def buy_tokens(self, t: int) -> None:
        bt, ec, vt = self.buyers, self.cfg.enterprises, self.vendors
        utility = self._buyer_utility()
        # portfolios lose vendors that left the market; those buyers review now
        held = bt.portfolio >= 0
        gone = held & ~self.active[np.maximum(bt.portfolio, 0)]
        bt.portfolio[gone] = -1
        review = (bt.next_review <= t) | gone.any(axis=1)
        if review.any():
            rows = np.flatnonzero(review)
            bt.portfolio[rows], _ = procurement.choose_portfolio(
                self.rng, utility[rows], self.active, ec.portfolio_size, ec.spend_softmax_scale)
            bt.next_review[rows] = t + 1 + self.rng.geometric(1.0 / ec.review_months, rows.size) - 1
        # tokens are re-split within the garden every month at current prices and capabilities
        held = bt.portfolio >= 0
        u = np.where(held, np.take_along_axis(utility, np.maximum(bt.portfolio, 0), axis=1), -np.inf)
        z = (u - np.max(u, axis=1, keepdims=True, initial=-1e300)) / ec.spend_softmax_scale
        w = np.where(held, np.exp(z), 0.0)
        s = w.sum(axis=1, keepdims=True)
        bt.weights[:] = np.divide(w, s, out=np.zeros_like(w), where=s > 0)
        paid = procurement.portfolio_price(bt.portfolio, bt.weights, vt.api_price)
        demand = procurement.token_demand(bt.base_demand, ec.demand_growth_per_month, t, paid,
                                          ec.reference_price_rmb_per_mtok, ec.price_elasticity)
        self.buyer_spend, self.api_revenue, self.tokens = procurement.spend_by_vendor(
            demand, bt.portfolio, bt.weights, vt.api_price, self.n_vendors)
        self.sector_revenue = procurement.sector_revenue(demand, bt.portfolio, bt.weights, vt.api_price, bt.sector,
                                                         len(self.cfg.enterprises.sectors), self.n_vendors)
        self.tokens_last = self.tokens

    # ------------------------------------------------------------------ 4. consumers
    def _consumer_vendor_utility(self) -> np.ndarray:
        vt, cc = self.vendors, self.cfg.consumers
        cap = vt.capability
        f = {name: i for i, name in enumerate(FEATURES)}
        sat = self.cfg.features["context"].consumer_saturation
        ctx = cap[:, f["context"]]
        if sat is not None:
            ctx = np.minimum(ctx, self.to_internal(f["context"], sat))
        return (cc.beta_quality * cap[:, f["quality"]] + cc.beta_context * ctx
                + cc.beta_multimodal * cap[:, f["multimodal"]] + cc.beta_reasoning * cap[:, f["reasoning"]]
                + cc.beta_hype * vt.hype + cc.beta_marketing * np.log1p(vt.marketing / 1e6))

    def use_assistants(self, t: int) -> None:
        ct, cc, vt = self.consumers, self.cfg.consumers, self.vendors
        rng, n_v = self.rng, self.n_vendors
        adopted = ct.vendor >= 0
        # churn: people stop using any assistant (novelty wears off)
        churned = adopted & (rng.random(ct.size) < cc.churn)
        ct.vendor[churned] = -1
        # Bass adoption among those who were not using one at the start of the month
        candidates = ~adopted & ~self._orphans
        if cc.word_of_mouth == "network":
            a_share = adoption.neighbour_adopted_share(ct.vendor, ct.neighbours)
        else:
            a_share = adoption.population_adopted_share(ct.vendor, ct.weight)
        people = self.cfg.scale.consumer_population
        p = cc.bass_p + cc.marketing_effect * vt.marketing[self.active].sum() / people
        p = p + cc.superapp_effect * (ct.superapp >= 0)
        new = candidates & (rng.random(ct.size) < adoption.adoption_probability(p, cc.bass_q, a_share))
        switching = (ct.vendor >= 0) & (rng.random(ct.size) < cc.switch_rate)
        choosers = np.flatnonzero(new | switching | self._orphans)
        if choosers.size and self.active.any():
            u = np.broadcast_to(self._consumer_vendor_utility()[None, :], (choosers.size, n_v)).copy()
            u += cc.beta_superapp * (ct.superapp[choosers, None] == np.arange(n_v)[None, :])
            u += cc.beta_word_of_mouth * adoption.neighbour_vendor_share(ct.vendor, ct.neighbours, choosers, n_v)
            u += cc.beta_incumbent * (ct.vendor[choosers, None] == np.arange(n_v)[None, :])
            pick = adoption.logit_choice(rng, u, self.active)
            changed = pick != ct.vendor[choosers]
            ct.since[choosers[changed]] = t
            ct.vendor[choosers] = pick
        self._orphans[:] = False
        self.mau = adoption.weighted_counts(ct.vendor, ct.weight, n_v)
        self.consumer_revenue = self.mau * cc.paying_share * cc.plan_price_rmb_per_month
        self.consumer_tokens = self.mau * cc.tokens_per_user_month / 1e6  # million tokens

    # ------------------------------------------------------------------ 5. talent
    def move_talent(self, t: int) -> None:
        vt, tc = self.vendors, self.cfg.talent
        rank = financing.rank_score(vt.capability[:, FEATURES.index("quality")], self.active)
        attr = talent.log_attractiveness(vt.salary, vt.gpus, vt.headcount, rank,
                                         tc.pay_weight, tc.compute_weight, tc.momentum_weight)
        open_ = self.racing
        moves = talent.talent_moves(self.rng, vt.headcount, self.active, attr, open_, tc.mobility, tc.noncompete_friction)
        hires = talent.pool_hires(self.rng, self.talent_pool, tc.hiring_rate, attr, open_)
        key = talent.key_hires(self.rng, moves, vt.skill, tc.key_hire_rate)
        vt.skill[:] = talent.skill_after_moves(vt.headcount, vt.skill, moves, hires, self.pool_skill)
        vt.capability[:] = talent.knowhow_transfer(vt.capability, key, tc.knowhow_transfer)
        self.talent_flows += moves
        out, into = moves.sum(axis=1), moves.sum(axis=0)
        vt.headcount[:] = vt.headcount - out + into + hires
        self.talent_pool -= int(hires.sum())
        self.talent_out += out
        self.talent_in += into + hires
        for src, dst in zip(*np.nonzero(key)):
            self.log_event(t, dst, "key_hire", f"{vt.names[dst]} hires {key[src, dst]} key researcher(s) from {vt.names[src]}",
                           key[src, dst])

    # ------------------------------------------------------------------ 6. accounts
    def settle_accounts(self, t: int) -> None:
        vt, m = self.vendors, self.cfg.market
        served = self.tokens + self.consumer_tokens
        costs = (vt.headcount * vt.salary + vt.gpus * m.gpu_cost_rmb_per_month
                 + served * self.unit_cost + vt.marketing)
        self.costs = np.where(self.active, costs, 0.0)
        self.api_revenue = np.where(self.active, self.api_revenue, 0.0)
        self.consumer_revenue = np.where(self.active, self.consumer_revenue, 0.0)
        self.other_revenue = np.where(self.active, vt.other_revenue, 0.0)
        self.revenue = self.api_revenue + self.consumer_revenue + self.other_revenue
        vt.cash += self.revenue - self.costs
        self.burn = self.costs - self.revenue
        self._update_runway()

    def _update_runway(self) -> None:
        """Startups: cash / burn. Big techs: the parent covers losses, so no runway limit."""
        vt = self.vendors
        self.runway = np.where(vt.kind == BIG_TECH, financing.RUNWAY_CAP_MONTHS,
                               financing.runway_months(vt.cash, self.burn))

    # ------------------------------------------------------------------ 7. financing
    def finance(self, t: int) -> None:
        self._parents_fund_big_techs(t)
        self._startups_raise(t)
        self._startups_in_distress(t)
        self._update_runway()
        # funds raise new money as the climate allows (2% of initial dry powder a month at climate 1)
        refill = 0.02 * self.cfg.financing.investor_dry_powder_rmb * self.climate
        for fund in self.funds:
            fund.dry_powder += refill

    def _parents_fund_big_techs(self, t: int) -> None:
        vt, bc = self.vendors, self.cfg.big_tech_finance
        big = (vt.kind == BIG_TECH) & self.active
        loss = np.where(big, self.costs - self.revenue, 0.0)
        # the parent covers the AI unit's losses...
        top_up = np.where(big, np.maximum(loss, 0.0), 0.0)
        self.funding += top_up
        vt.cash += top_up
        # ...until they outlast its patience: then it cuts compute, marketing and subsidies
        vt.losses_streak[:] = financing.parent_patience(loss, bc.loss_tolerance_rmb_per_month, vt.losses_streak)
        for row in np.flatnonzero(big & (vt.losses_streak >= bc.patience_months) & ~vt.budget_cut):
            vt.budget_cut[row] = True
            f = bc.budget_cut_factor
            vt.gpus[row] *= f
            vt.marketing[row] *= f
            vt.max_subsidy[row] *= f
            vt.share_ambition[row] = 0.0
            self.log_event(t, row, "budget_cut", f"{vt.names[row]}'s parent cuts the AI budget after {bc.patience_months} months of losses")

    def _combined_shares(self) -> tuple[np.ndarray, np.ndarray]:
        return self._share(self.mau), self._share(self.api_revenue)

    def _startups_raise(self, t: int) -> None:
        vt, fc = self.vendors, self.cfg.financing
        self.raise_failed = np.zeros(self.n_vendors, bool)
        due = ((vt.kind == STARTUP) & self.active & (self.runway < fc.raise_trigger_runway_months)
               & (t - vt.last_raise_month >= fc.raise_cooldown_months))
        if not due.any():
            return
        c_share, e_share = self._combined_shares()
        traction = financing.traction_score(c_share, e_share)
        rank = financing.rank_score(vt.capability[:, FEATURES.index("quality")], self.active)
        p = financing.raise_probability(traction, rank, self.climate, fc.success_intercept,
                                        fc.success_traction_weight, fc.success_rank_weight, fc.success_climate_weight)
        ask = financing.round_size(self.burn, fc.round_size_months_of_burn, self.climate, traction)
        for row in np.flatnonzero(due):
            vt.last_raise_month[row] = t
            if not (self.rng.random() < p[row]) or ask[row] <= 0:
                self.raise_failed[row] = True
                self.log_event(t, row, "raise_failed", f"{vt.names[row]} fails to close a round")
                continue
            # a strategic big tech already holding a stake takes part of the round
            strategic = np.flatnonzero(vt.strategic_investor & self.racing & (self.stakes[:, row] > 0))
            amount_strategic = 0.0
            if strategic.size:
                lead = strategic[np.argmax(self.stakes[strategic, row])]
                amount_strategic = fc.strategic_share_of_round * ask[row]
            powder = np.array([f.dry_powder for f in self.funds])
            vc = financing.split_round(ask[row] - amount_strategic, powder, self.rng)
            amount = amount_strategic + vc.sum()
            if amount <= 0:
                self.raise_failed[row] = True
                continue
            post_money = amount / fc.dilution
            self.stakes[:, row] *= 1.0 - fc.dilution
            for fund in self.funds:
                if row in fund.stakes:
                    fund.stakes[row] *= 1.0 - fc.dilution
            for fund, put in zip(self.funds, vc):
                if put > 0:
                    fund.dry_powder -= put
                    fund.stakes[row] = fund.stakes.get(row, 0.0) + put / post_money
            if amount_strategic:
                self.stakes[lead, row] += amount_strategic / post_money
            vt.valuation[row] = post_money
            vt.cash[row] += amount
            self.funding[row] += amount
            self.log_event(t, row, "round", f"{vt.names[row]} raises {amount / 1e9:.2f}B RMB at {post_money / 1e9:.1f}B post-money", amount)

    def _startups_in_distress(self, t: int) -> None:
        vt, fc = self.vendors, self.cfg.financing
        startups = (vt.kind == STARTUP) & self.active
        gap = self.gap_to_domestic_best()[:, FEATURES.index("quality")]
        c_share, e_share = self._combined_shares()
        far_behind = startups & (gap > fc.strategic_pivot_gap_months) & (c_share + e_share < fc.strategic_pivot_max_share)
        vt.behind_streak[:] = financing.streak(far_behind, vt.behind_streak)
        action = financing.distress_action(self.runway, self.raise_failed, gap, self.racing,
                                           fc.pivot_runway_months, fc.exit_runway_months, fc.pivot_gap_months,
                                           vt.behind_streak, fc.strategic_pivot_patience_months)
        action = np.where(startups, action, 0)
        action[startups & (vt.cash <= 0)] = 2
        for row in np.flatnonzero(action == 1):
            self._pivot(t, row)
        for row in np.flatnonzero(action == 2):
            self._exit(t, row)

    def _pivot(self, t: int, row: int) -> None:
        """Subtraction: stop pretraining, narrow to the focus segment, lay off part of the staff."""
        vt, fc, tc = self.vendors, self.cfg.financing, self.cfg.talent
        vt.status[row] = FOCUSED
        vt.status_month[row] = t
        vt.gpus[row] *= fc.focused_cost_factor
        vt.marketing[row] *= fc.focused_cost_factor
        vt.share_ambition[row] = 0.0
        laid_off = int(round(vt.headcount[row] * tc.layoff_share_on_pivot))
        vt.headcount[row] -= laid_off
        self.talent_pool += laid_off
        self.talent_out[row] += laid_off
        if vt.focus_sector[row] < 0:
            vt.focus_sector[row] = int(np.argmax(self.sector_needs[:, FEATURES.index("quality")]))
        sector = list(self.cfg.enterprises.sectors)[vt.focus_sector[row]]
        self.log_event(t, row, "pivot", f"{vt.names[row]} stops pretraining and narrows to {sector}")

    def _exit(self, t: int, row: int) -> None:
        """Acquisition (talent and know-how go to the acquirer) or shutdown (to the pool)."""
        vt, fc = self.vendors, self.cfg.financing
        buyers = np.flatnonzero((vt.kind == BIG_TECH) & self.racing)
        acquirer = -1
        if buyers.size and self.rng.random() < fc.acquisition_probability:
            stake = self.stakes[buyers, row]
            acquirer = int(buyers[np.argmax(stake)]) if stake.max() > 0 else int(self.rng.choice(buyers))
        moved = int(vt.headcount[row])
        vt.headcount[row] = 0
        self.talent_out[row] += moved
        vt.status_month[row] = t
        if acquirer >= 0:
            vt.status[row] = ACQUIRED
            vt.acquirer[row] = acquirer
            vt.skill[acquirer] = (vt.skill[acquirer] * vt.headcount[acquirer] + vt.skill[row] * moved) / max(vt.headcount[acquirer] + moved, 1)
            vt.headcount[acquirer] += moved
            self.talent_in[acquirer] += moved
            self.talent_flows[row, acquirer] += moved
            vt.capability[acquirer] = np.maximum(vt.capability[acquirer], vt.capability[row])
            self.log_event(t, row, "acquisition", f"{vt.names[row]} is acquired by {vt.names[acquirer]}")
        else:
            vt.status[row] = EXITED
            self.talent_pool += moved
            self.log_event(t, row, "exit", f"{vt.names[row]} shuts down")
        self._orphans |= self.consumers.vendor == row
        self.consumers.vendor[self.consumers.vendor == row] = -1

    # ------------------------------------------------------------------ market indicators
    def _update_market_indicators(self, initial: bool = False) -> None:
        vt = self.vendors
        if initial:
            self.mau = adoption.weighted_counts(self.consumers.vendor, self.consumers.weight, self.n_vendors)
            self.tokens = np.zeros(self.n_vendors)
        c_share = self._share(self.mau)
        e_share = self._share(self.api_revenue)
        self.hhi_consumer = float((c_share ** 2).sum())
        self.hhi_enterprise = float((e_share ** 2).sum())
        self.total_mau = float(self.mau.sum())
        self.enterprise_spend = float(self.api_revenue.sum())
        tok = self.tokens.sum()
        self.price_index = float((vt.api_price * self.tokens).sum() / tok) if tok > 0 else float(np.mean(vt.api_price[self.active]))
        self.n_frontier = int((vt.status == FRONTIER).sum())

    def tables(self):
        """(vendor-month, market-month, events) DataFrames of the months simulated so far."""
        return self.recorder.frames(self)
