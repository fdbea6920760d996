"""MarketModel: the month of the LLM market, in order.

    dated changes -> exogenous paths and the frontier's compute -> releases -> prices
    -> enterprise tokens -> consumer assistants -> talent -> accounts -> financing -> indicators

State lives in per-kind tables (agents/) and the market state (state.py); the rules are pure
functions in mechanisms/; set-up is in build.py and event wording in events.py. This module
orders the month and books each mechanism's result into the state.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from mesa import DataCollector

from . import build
from .agents import BIG_TECH, FOCUSED, NOT_ENTERED, SELF_FUNDED, STARTUP, add_mesa_agents
from .agents.base import TableBackedModel
from .calendar import month_label
from .config import FEATURES, LIVE_VENDOR_KEYS, Config, apply_change
from .events import EventLog
from .features import FeatureSpace
from .mechanisms import adoption, catchup, entry, financing, pricing, procurement, talent
from .mechanisms.indicators import hhi, price_index, shares
from .mechanisms.paths import path_value
from .parameters import DEFAULT_CONFIG, MODEL_REPORTERS, PARAMETER_KEYS, config_from  # noqa: F401 (public)
from .records import Recorder
from .state import MarketState
from .streams import SETUP, RandomStreams

QUALITY = FEATURES.index("quality")


class HorizonReached(RuntimeError):
    """A step was asked past the run's last month (the records end there)."""


class MarketModel(TableBackedModel):
    """The LLM vendor market, one step per month.

    Args:
        config: path to a YAML config, a dict, or a Config (default: configs/baseline_2024.yaml).
        rng: seed or numpy Generator for this run (default: the config's run.seed).
        **params: plain keyword overrides, e.g. price_war_intensity=0.5 or
            consumers__bass_q=0.1 (see PARAMETER_KEYS).
    """

    def __init__(self, config: str | Path | dict | Config | None = None, rng: Any = None, **params: Any):
        cfg = config_from(config, params)
        super().__init__(rng=cfg.run.seed if rng is None else rng)
        self.cfg = cfg
        self.start, self.horizon = cfg.run.start, cfg.run.months
        self.features = FeatureSpace(cfg.features, self.start)
        self.streams = RandomStreams.from_generator(self.rng)  # one stream per mechanism and month
        self.vendors = build.build_vendors(cfg, self.features, self.streams.generator("vendors"))
        self.investors = build.build_investors(cfg, self.vendors.size)
        self.buyers = build.build_buyers(cfg, self.vendors, self.streams.generator("buyers"))
        self.consumers = build.build_consumers(cfg, self.vendors, self.streams.generator("consumers"))
        self.sector_needs = build.sector_needs(cfg, self.features)
        self.sectors = list(cfg.enterprises.sectors)
        pool = int(cfg.talent.initial_pool)
        self.market = MarketState(talent_pool=pool)
        self.events = EventLog(self.start, self.vendors.ids, self.vendors.names)
        self.scheduled = build.scheduled_releases(cfg)
        self.scheduled_prices = build.scheduled_prices(cfg)
        self.scheduled_rounds = build.scheduled_rounds(cfg)
        self.marketing_paths = build.marketing_paths(cfg)
        self.superapp_owners = build.superapp_owners(self.vendors)
        self.changes = build.dated_changes(cfg)
        self.recorder = Recorder(self.horizon, self.vendors.size, len(FEATURES), len(self.sectors))
        self._begin_month()
        self.follow_exogenous_paths(0)
        self.buy_tokens(0, stream_month=SETUP)  # portfolios held when the simulation starts (from 2023)
        self._begin_month()
        self.take_stock(initial=True)
        self.datacollector = DataCollector(model_reporters=MODEL_REPORTERS)

    def _add_mesa_agents(self) -> None:
        add_mesa_agents(self, self.vendors, self.investors, self.buyers, self.consumers)

    def _draws(self, mechanism: str, t: int, purpose: int = 0, row: int = -1) -> np.random.Generator:
        """The random stream of `mechanism` in month t (see streams.py)."""
        return self.streams.generator(mechanism, t, purpose, row)

    # ------------------------------------------------------------------ the month
    def step(self) -> None:
        if self.month >= self.horizon:
            self.running = False
            raise HorizonReached(f"the run ends after month {self.horizon} ({self.month_label}); "
                                 "start a new model (Reset, in the app) to simulate again")
        t = self.month
        self._begin_month()
        self.apply_changes(t)
        self.follow_exogenous_paths(t)
        self.enter_market(t)
        self.vendors.gpus[:] = catchup.compute_after_growth(  # racing vendors keep pace with the frontier's compute
            self.vendors.gpus, self.vendors.racing, self.cfg.market.frontier_compute_doubling_months)
        self.release_features(t)
        self.set_api_prices(t)
        self.buy_tokens(t)
        self.use_assistants(t)
        self.move_talent(t)
        self.settle_accounts()
        self.finance(t)
        self.take_stock()
        self.recorder.record(t, self.vendors, self.market)
        self.market.month += 1
        self.datacollector.collect(self)  # after the increment: month_label is the month just simulated
        if self.month >= self.horizon:
            self.running = False

    @property
    def month(self) -> int:
        """Months since start: the month being simulated (the number of months done)."""
        return self.market.month

    @property
    def month_label(self) -> str:
        """The last simulated month (YYYY-MM); before the first step, the month before start."""
        return month_label(self.start, self.month - 1)

    def _begin_month(self) -> None:
        """This month's flows start at zero."""
        self.vendors.start_month()
        self.buyers.spend[:] = 0.0

    def follow_exogenous_paths(self, t: int) -> None:
        """The global frontier, the funding climate and unit serving costs of month t."""
        paths = self.cfg.market
        self.market.frontier = self.features.frontier_at(t)
        self.market.funding_climate = paths.funding_climate_scale * path_value(paths.funding_climate, self.start, t)
        self.vendors.unit_cost[:] = pricing.unit_serving_cost(
            t, paths.unit_cost.initial_rmb_per_mtok, paths.unit_cost.halving_months, self.vendors.cost_efficiency)
        for row, plan in self.marketing_paths.items():   # dated ad budgets (inputs), after cuts and pivots
            planned = build.marketing_plan_at(plan, self.start, t)
            self.vendors.marketing[row] = planned * self.vendors.marketing_factor[row]

    def enter_market(self, t: int) -> None:
        """Named entrants on their dated month; small vendors by the entry process."""
        v, tail = self.vendors, self.cfg.long_tail
        waiting = v.status == NOT_ENTERED
        for row in np.flatnonzero(waiting & ~v.long_tail & (v.entry_month == t)):
            self.market.talent_pool -= v.enter(row, t, self.market.talent_pool)
            self.events.entry(t, row)
        free = np.flatnonzero(waiting & v.long_tail)
        if free.size == 0:
            return
        m = self.recorder.v
        revenue = m["enterprise_revenue_rmb"].sum(axis=1) + m["consumer_revenue_rmb"].sum(axis=1)
        expected = entry.expected_entrants(tail.entry_rate_per_month, self.market.funding_climate,
                                           entry.revenue_growth(revenue, t), tail.entry_profit_elasticity)
        count = entry.entrant_count(self._draws("entry", t).random(), expected, free.size)
        rows = free[:count]
        best, _ = catchup.best_public_level(v.capability, v.active)
        best_open, _ = catchup.best_public_level(v.capability, v.active & v.open_weights)
        start_from = np.where(np.isfinite(best_open), best_open, best)
        v.capability[rows] = entry.entrant_capability(start_from, v.behind_at_entry[rows],
                                                      self.features.growth_per_month)
        for row in rows:
            self.market.talent_pool -= v.enter(row, t, self.market.talent_pool)
            self.events.entry(t, row)

    def apply_changes(self, t: int) -> None:
        """Dated changes (scenarios from 2025): the config sections read every month take the
        new values; a vendor's strategy is written to its row. A vendor out of the race does
        not take up a share ambition again."""
        for change in self.changes.get(t, []):
            self.cfg = apply_change(self.cfg, change)
            self.vendors.set_strategy({key: value for key, value in change.set.items() if key.startswith("vendors.")},
                                      LIVE_VENDOR_KEYS)
            self.events.change(t, change.why, change.set)

    def gaps(self) -> np.ndarray:
        """(vendors x features) months of frontier growth behind the best active vendor."""
        best, _ = catchup.best_public_level(self.vendors.capability, self.vendors.active)
        return catchup.gap_months(self.vendors.capability, best, self.features.growth_per_month)

    # ------------------------------------------------------------------ 1. feature catch-up
    def release_features(self, t: int) -> None:
        v, rules, fs = self.vendors, self.cfg.catch_up, self.features
        best_before, _ = catchup.best_public_level(v.capability, v.active)
        best_open, _ = catchup.best_public_level(v.capability, v.active & v.open_weights)
        v.capability[:], released = catchup.scheduled_levels(v.capability, v.active, self.scheduled.get(t, []),
                                                             v.row_of, fs)
        v.capability[:], innovated, copied = catchup.month_of_releases(
            self._draws("catch_up", t, 0), self._draws("catch_up", t, 1), v.capability, best_before, best_open,
            v.active, v.status == FOCUSED, v.headcount, v.skill, v.gpus,
            v.open_weights, self.market.frontier, fs, rules)
        released |= innovated | copied
        headline = catchup.headlines(released, v.capability, best_before, v.active)
        v.hype[:] = catchup.hype_after(v.hype, released, headline, rules.hype_decay_per_month,
                                       rules.hype_per_release, rules.hype_per_headline)
        self.events.releases(t, released & (headline | copied), headline, v.capability, fs)

    # ------------------------------------------------------------------ 2. price war
    def set_api_prices(self, t: int) -> None:
        v, war, fin, ent = self.vendors, self.cfg.price_war, self.cfg.financing, self.cfg.enterprises
        gap = self.gaps()[:, QUALITY]
        token_share = shares(v.last_enterprise_tokens)
        old = v.api_price.copy()
        subsidy = pricing.affordable_subsidy(v.kind == BIG_TECH, v.max_subsidy, v.runway,
                                             fin.pivot_runway_months, fin.raise_trigger_runway_months)
        v.api_price[:] = pricing.next_prices(
            old, v.unit_cost, subsidy, gap, pricing.followed_rivals(v.active, token_share, war.min_rival_share),
            ent.beta_capability / max(ent.beta_price, 1e-9), np.clip(war.intensity * v.aggressiveness, 0.0, 1.0),
            war.undercut, war.max_markup,
            pricing.takes_initiative(v.share_ambition, token_share, gap, war.ambition_ready_gap_months, v.racing),
            war.tolerance, v.active)
        for price in self.scheduled_prices.get(t, []):  # dated prices: other firms' decisions, as inputs
            row = v.row_of[price.vendor]
            if v.active[row]:
                v.api_price[row] = price.price_rmb_per_mtok
        self.events.price_cuts(t, v.active & (v.api_price < old * (1.0 - war.cut_event_threshold)), old, v.api_price)

    # ------------------------------------------------------------------ 3. enterprise buyers
    def buy_tokens(self, t: int, stream_month: int | None = None) -> None:
        b, ent, v = self.buyers, self.cfg.enterprises, self.vendors
        fit = -(self.sector_needs @ self.gaps().T)           # sectors x vendors
        risk = financing.failure_risk(v.kind == STARTUP, v.runway, v.status == FOCUSED)
        utility = partial(self._buyer_utility, fit, risk, b.portfolio.copy())  # switching: the garden at the start
        draws = self._draws("procurement", t if stream_month is None else stream_month)
        b.portfolio[:], b.next_review[:] = procurement.review_portfolios(
            draws, t, utility, b.portfolio, b.next_review, v.active, ent)
        # tokens are re-split within the garden every month at current prices and capabilities
        everyone = slice(None)  # every buyer (a view: no copies of their columns)
        b.weights[:] = procurement.garden_weights(utility(everyone, b.portfolio), b.portfolio, ent.spend_softmax_scale)
        paid = procurement.portfolio_price(b.portfolio, b.weights, v.api_price)
        demand = procurement.token_demand(b.base_demand, ent.demand_growth_per_month, t, paid,
                                          ent.reference_price_rmb_per_mtok, ent.price_elasticity)
        b.spend[:], v.api_revenue[:], v.enterprise_tokens[:], self.market.sector_revenue = procurement.monthly_spend(
            demand, b.portfolio, b.weights, v.api_price, b.sector, len(self.sectors), v.size)
        v.last_enterprise_tokens[:] = v.enterprise_tokens

    def _buyer_utility(self, fit: np.ndarray, risk: np.ndarray, garden: np.ndarray, rows: np.ndarray | slice,
                       vendors: np.ndarray | None = None) -> np.ndarray:
        """Utility to buyers `rows` of every vendor, or of `vendors` (rows x k), given the
        sectors' capability fit and the vendors' failure risk; `garden` is what each buyer held
        when the month began."""
        v, ent, b = self.vendors, self.cfg.enterprises, self.buyers
        return procurement.buyer_utility(
            b.sector[rows], b.home_cloud[rows], b.risk_aversion[rows], garden[rows], v.api_price, fit, v.focus_sector,
            risk, ent.beta_price, ent.beta_capability, ent.beta_cloud, ent.beta_focus, ent.beta_risk,
            ent.switching_cost, vendors)

    # ------------------------------------------------------------------ 4. consumers
    def use_assistants(self, t: int) -> None:
        c, rules, v = self.consumers, self.cfg.consumers, self.vendors
        available = v.active & (v.consumer_launch <= t)
        ads, apps = adoption.discovery_hazards(rules.marketing_effect, v.marketing, self.cfg.scale.consumer_population,
                                               rules.superapp_effect, self.superapp_owners, available)
        retention = adoption.assistant_utility(v.capability, [getattr(rules, f"beta_{f}") for f in FEATURES],
                                               self.features.consumer_saturation, np.zeros(v.size), 0.0, v.marketing,
                                               rules.beta_marketing)
        c.vendor[:], moved = adoption.month_of_use(self._draws("adoption", t), c.vendor, c.neighbours, c.weight,
                                                   c.on_superapp, self.superapp_owners, c.orphaned, retention,
                                                   available, ads, apps, rules, rules.beta_hype * v.hype)
        c.since[moved] = t
        c.orphaned[:] = False
        v.mau[:] = adoption.weighted_counts(c.vendor, c.weight, v.size)
        v.consumer_revenue[:] = v.mau * rules.paying_share * rules.plan_price_rmb_per_month
        v.consumer_tokens[:] = v.mau * rules.tokens_per_user_month / 1e6  # million tokens

    # ------------------------------------------------------------------ 5. talent
    def move_talent(self, t: int) -> None:
        v, m = self.vendors, self.market
        month = talent.month_of_moves(self._draws("talent", t), v.headcount, v.skill, v.capability, v.salary, v.gpus,
                                      financing.rank_score(v.capability[:, QUALITY], v.active), v.active, v.racing,
                                      m.talent_pool, m.pool_skill, self.cfg.talent)
        v.skill[:], v.capability[:], v.headcount[:] = month["skill"], month["capability"], month["headcount"]
        v.talent_moved += month["moves"]
        v.talent_out += month["moves"].sum(axis=1)
        v.talent_in += month["moves"].sum(axis=0) + month["hires"]
        m.talent_pool -= int(month["hires"].sum())
        self.events.key_hires(t, month["key"])

    # ------------------------------------------------------------------ 6. accounts
    def settle_accounts(self) -> None:
        self.vendors.settle_accounts(self.cfg.market.gpu_cost_rmb_per_month)

    # ------------------------------------------------------------------ 7. financing
    def finance(self, t: int) -> None:
        self._parents_fund_big_techs(t)
        self._scheduled_rounds(t)
        self._startups_raise(t)
        self._parents_pay_for_stakes()
        self.vendors.update_runway()  # distress is judged on the runway after this month's rounds
        self._startups_decide(t)
        self.vendors.update_runway()
        self.investors.dry_powder += financing.fund_refill(self.cfg.financing.investor_dry_powder_rmb,
                                                           self.market.funding_climate)

    def _parents_fund_big_techs(self, t: int) -> None:
        """Big techs' parents cover their losses; self-funded labs' owners up to their budget."""
        v, rules = self.vendors, self.cfg.big_tech_finance
        big = (v.kind == BIG_TECH) & v.active
        owned = (v.kind == SELF_FUNDED) & v.active
        top_up, v.losses_streak[:] = financing.parents_cover(big, owned, v.costs, v.revenue, v.owner_budget,
                                                             rules.loss_tolerance_rmb_per_month, v.losses_streak)
        v.funding += top_up
        v.cash += top_up
        # losses that outlast the parent's patience (an owner's: beyond its budget): it cuts
        # compute, marketing and subsidies
        for row in np.flatnonzero((big | owned) & (v.losses_streak >= rules.patience_months) & ~v.budget_cut):
            v.cut_budget(row, rules.budget_cut_factor)
            self.events.budget_cut(t, row, rules.patience_months)

    def _parents_pay_for_stakes(self) -> None:
        """A big tech's strategic stakes are paid by its parent, not out of the AI unit's
        operating cash (booked as funding: cash nets to zero, the stake is recorded)."""
        v = self.vendors
        stake_money = np.where(v.kind == BIG_TECH, v.invested, 0.0)
        v.funding += stake_money
        v.cash += stake_money

    def _scheduled_rounds(self, t: int) -> None:
        """Dated rounds (inputs): the big techs named pay their part from their cash; the funds
        the rest from dry powder (as far as it goes: a fund cannot pay money it has not got)."""
        v, funds = self.vendors, self.investors
        for r in self.scheduled_rounds.get(t, []):
            row = v.row_of[r.vendor]
            if not v.active[row]:
                continue
            strategic = np.zeros(v.size)
            for investor, rmb in r.strategic.items():
                strategic[v.row_of[investor]] = rmb
            deal = financing.dated_round(r.amount_rmb, r.post_money_rmb, strategic, v.stakes[:, row],
                                         funds.stakes[:, row], funds.dry_powder)
            v.stakes[:, row], funds.stakes[:, row] = deal["big_tech_stakes"], deal["fund_stakes"]
            v.cash -= strategic
            v.invested += strategic
            funds.dry_powder -= deal["fund_rmb"]
            amount = deal["amount"]
            v.cash[row] += amount
            v.funding[row] += amount
            v.valuation[row] = r.post_money_rmb
            v.last_raise_month[row] = t
            self.events.round(t, row, amount, r.post_money_rmb)

    def _startups_raise(self, t: int) -> None:
        v, rules, funds, climate = self.vendors, self.cfg.financing, self.investors, self.market.funding_climate
        due = financing.raise_due((v.kind == STARTUP) & v.active, v.runway, rules.raise_trigger_runway_months, t,
                                  v.last_raise_month, rules.raise_cooldown_months)
        p, ask = financing.round_odds(v.mau, v.api_revenue, v.capability[:, QUALITY], v.active, v.burn, climate, rules)
        rounds = financing.raise_rounds(partial(self._draws, "financing", t, 0), due, p, ask,
                                        v.strategic_investor & v.racing, v.stakes, funds.stakes,
                                        funds.dry_powder, rules.strategic_share_of_round, rules.dilution)
        v.last_raise_month[due] = t
        v.raise_failed[:] = rounds["failed"]
        v.stakes[:], funds.stakes[:], funds.dry_powder[:] = (rounds["big_tech_stakes"], rounds["fund_stakes"],
                                                             rounds["dry_powder"])
        closed = rounds["amount"] > 0
        v.valuation[closed] = rounds["post_money"][closed]
        v.cash += rounds["amount"] - rounds["strategic_paid"]  # a big tech pays its stake from its cash
        v.funding += rounds["amount"]
        v.invested += rounds["strategic_paid"]
        self.events.rounds(t, due, rounds["failed_to_close"], rounds["amount"], rounds["post_money"])

    def _startups_decide(self, t: int) -> None:
        """Race or focus: each startup weighs the next months in the race against a segment."""
        v, rules = self.vendors, self.cfg.financing
        startups = (v.kind == STARTUP) & v.active
        focused_costs = v.focused_costs(self.cfg.market.gpu_cost_rmb_per_month, rules.focused_cost_factor,
                                        self.cfg.talent.layoff_share_on_pivot)
        gap = catchup.expected_quality_gap(self.gaps()[:, QUALITY], v.capability, v.active, v.open_weights,
                                           v.headcount, v.skill, v.gpus, self.features, self.cfg.catch_up,
                                           rules.decision_horizon_months, QUALITY)
        worth_focusing = financing.value_of_focusing(v.revenue, v.costs, focused_costs, gap,
                                                     np.maximum(v.valuation, v.cash), rules)
        action, cause, v.focus_streak[:] = financing.startup_decisions(
            startups, v.racing, worth_focusing, v.costs, v.runway, v.raise_failed, v.cash, v.focus_streak, rules)
        v.status_cause[action > 0] = cause[action > 0]
        for row in np.flatnonzero(action == 1):
            self._pivot(t, row)
        for row in np.flatnonzero(action == 2):
            self._exit(t, row)

    def _pivot(self, t: int, row: int) -> None:
        """Subtraction: stop pretraining, narrow to the focus segment, lay off part of the staff."""
        v = self.vendors
        self.market.talent_pool += v.focus(row, t, self.cfg.financing.focused_cost_factor,
                                           self.cfg.talent.layoff_share_on_pivot)
        if v.focus_sector[row] < 0:
            v.focus_sector[row] = int(np.argmax(self.sector_needs[:, QUALITY]))
        self.events.pivot(t, row, self.sectors[v.focus_sector[row]], v.status_cause[row] == financing.MONEY)

    def _exit(self, t: int, row: int) -> None:
        """Acquisition (talent and know-how go to the acquirer) or shutdown (to the pool)."""
        v, c = self.vendors, self.consumers
        acquirer = financing.choose_acquirer(self._draws("exit", t, 0, row),
                                             np.flatnonzero((v.kind == BIG_TECH) & v.racing),
                                             v.stakes[:, row], self.cfg.financing.acquisition_probability)
        skill = talent.merged_skill(v.skill[acquirer], v.headcount[acquirer], v.skill[row], v.headcount[row])
        moved = v.leave(row, t, acquirer, skill if acquirer >= 0 else 0.0)
        if acquirer >= 0:
            self.events.acquisition(t, row, acquirer)
        else:
            self.market.talent_pool += moved
            self.events.shutdown(t, row)
        c.orphaned |= c.vendor == row
        c.vendor[c.vendor == row] = -1

    # ------------------------------------------------------------------ indicators
    def take_stock(self, initial: bool = False) -> None:
        """Shares, gaps and market indicators at the end of the month."""
        v, m, fs = self.vendors, self.market, self.features
        if initial:
            v.mau[:] = adoption.weighted_counts(self.consumers.vendor, self.consumers.weight, v.size)
        v.consumer_share[:] = shares(v.mau)
        v.enterprise_share[:] = shares(v.api_revenue)
        v.gap_quality_months[:] = self.gaps()[:, QUALITY]
        v.gap_global_quality_months[:] = (np.maximum(m.frontier[QUALITY] - v.capability[:, QUALITY], 0.0)
                                          / max(fs.growth_per_month[QUALITY], 1e-9))
        m.hhi_consumer, m.hhi_enterprise = hhi(v.consumer_share), hhi(v.enterprise_share)
        m.total_mau = float(v.mau.sum())
        m.enterprise_spend = float(v.api_revenue.sum())
        m.price_index = price_index(v.api_price, v.enterprise_tokens, v.active)
        m.n_frontier = int(v.racing.sum())

    def outcomes(self) -> pd.DataFrame:
        """Per-vendor outcome at the last simulated month (falls behind? why? when it left the
        race), read from the records without building the monthly tables."""
        return self.recorder.outcomes(self.start, self.vendors.ids, self.cfg.falls_behind)

    def tables(self):
        """(vendor-month, market-month, events) DataFrames of the months simulated so far."""
        return (self.recorder.vendor_frame(self.start, self.vendors, self.features, self.sectors),
                self.market_table(), self.events.frame())

    def market_table(self) -> pd.DataFrame:
        """The market-month DataFrame of the months simulated so far."""
        return self.recorder.market_frame(self.start, self.features)
