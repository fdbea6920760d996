"""The config schema's sections: one typed pydantic model per section of a config (schema.py
assembles them into `Config` and checks cross-references between them)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from ..calendar import MONTH_RE
from .errors import CrossReferenceError
from .strict import Strict


def financing_round_low() -> float:
    """The smallest round, in months_of_burn (financing.ROUND_SIZE_SPREAD[0])."""
    from ..mechanisms.financing import ROUND_SIZE_SPREAD
    return ROUND_SIZE_SPREAD[0]

FEATURES = ("quality", "context", "multimodal", "reasoning")


# --------------------------------------------------------------------------------------
# small typed building blocks

Month = Annotated[str, Field(pattern=MONTH_RE.pattern, description="a calendar month, YYYY-MM")]
Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
NonNeg = Annotated[float, Field(ge=0.0)]
Pos = Annotated[float, Field(gt=0.0)]
# upper bounds the model relies on (release rates are Poisson means: they must stay finite)
MAX_HEADCOUNT = 200_000
MAX_GPUS = 1.0e7


def assumed(default: Any, low: float, high: float, why: str, **constraints: Any) -> Any:
    """A parameter that is an assumption: its default, the range a calibration explores (its
    prior; `market-sim schema` shows it) and a one-line reason."""
    return Field(default, description=why, json_schema_extra={"range": [low, high]}, **constraints)


# --------------------------------------------------------------------------------------
# sections


class RunConfig(Strict):
    start: Month = "2024-01"
    months: Annotated[int, Field(ge=1, le=240, description="simulated months")] = 24
    seed: Annotated[int, Field(ge=0)] = 0


class ScaleConfig(Strict):
    consumers: Annotated[int, Field(ge=1, description="consumer agents")] = 20_000
    enterprises: Annotated[int, Field(ge=1, description="enterprise-buyer agents")] = 2_000
    consumer_population: Annotated[float, Field(gt=0, description="people the consumer agents stand for")] = 6.0e8
    enterprise_population: Annotated[float, Field(gt=0, description="enterprises the buyer agents stand for")] = 1.0e5
    initial_adoption: Annotated[
        float, Field(ge=0.0, lt=1.0, description="share of people using an assistant at start")
    ] = 0.05


class FeatureConfig(Strict):
    """A capability dimension. Levels are in the feature's own unit (index points, or tokens
    for context); `log_scale` features are handled internally as log10 of that unit."""

    unit: str
    log_scale: bool = False
    frontier: dict[Month, Pos] = Field(description="global frontier path: month -> level (piecewise linear)")
    frontier_growth_per_month: NonNeg = Field(
        description="growth after the last frontier point, internal units per month")
    innovation_step: Pos = Field(description="mean size of one release, internal units")
    leapfrog: NonNeg = Field(description="mean overshoot past the copied level on imitation, internal units")
    copy_lag_factor: Pos = Field(
        1.0, description="multiplies catch_up.copy_lag_months for this feature (engineering features copy fast, "
        "general quality slowly)")
    copy_share: Annotated[float, Field(gt=0.0, le=1.0)] = Field(
        1.0, description="share of the gap to the public best one copy closes (absorptive capacity; 1: a full copy)")
    catch_up: Literal["copy", "diffusion"] = Field(
        "copy", description="copy: a follower copies in one release, after a random lag, and may leapfrog (engineering "
        "features); diffusion: every month a follower closes 1 - exp(-1/lag) of its gap (Nelson-Phelps catch-up of "
        "general capability)")
    release_rate_factor: Annotated[float, Field(gt=0.0, le=100.0)] = Field(
        1.0, description="multiplies a vendor's release rate on this feature (general quality moves in frequent "
        "small updates)")
    consumer_saturation: Pos | None = Field(
        default=None, description="level past which consumers value no more (unit of the feature)")
    beyond_frontier_scale: Pos | None = Field(
        default=None, description="distance past the global frontier (internal units) over which own R&D's gains "
        "fall by a factor e (default: innovation_step x release_rate_factor, a month of releases); assumption, range "
        "0.3x-2x the default", json_schema_extra={"range": "0.3x-2x default"})


class UnitCostConfig(Strict):
    initial_rmb_per_mtok: Pos = 2.0
    halving_months: Pos = 12.0


class MarketConfig(Strict):
    unit_cost: UnitCostConfig = UnitCostConfig()
    funding_climate: dict[Month, NonNeg] = Field(
        default_factory=lambda: {"2024-01": 0.6},
        description="venture funding climate path: month -> index (1 = normal)")
    funding_climate_scale: NonNeg = Field(1.0, description="multiplies the whole funding-climate path")
    gpu_cost_rmb_per_month: Pos = 10_000.0
    frontier_compute_doubling_months: Pos | None = Field(
        None, description="racing vendors' GPUs double in this many months to keep up with the frontier (None: fixed)")


class PriceWarConfig(Strict):
    intensity: Annotated[float, Field(ge=0.0, le=5.0)] = assumed(
        1.0, 0.5, 2.0, "scales every vendor's aggressiveness (the product is capped at 1); x0.5-x2")
    undercut: Annotated[float, Field(ge=0.0, lt=1.0)] = assumed(
        0.05, 0.025, 0.1, "share by which a follower prices under the rival it answers; x0.5-x2")
    min_rival_share: Fraction = assumed(
        0.0, 0.0, 0.05, "rivals with a smaller share of enterprise tokens are not followed; 0 (all) to 5%, around "
        "the baseline's 2%")
    tolerance: NonNeg = assumed(
        1.0, 0.5, 4.0, "a vendor re-prices only when a rival's quality-adjusted price is below its own "
        "/ (1 + tolerance); x0.5 the schema default to x2 the baseline's 2")
    max_markup: NonNeg = Field(29.0, description="list price never exceeds unit cost x (1 + max_markup)")
    cut_event_threshold: Fraction = 0.2
    ambition_ready_gap_months: NonNeg = assumed(
        4.0, 0.75, 4.0, "a share-seeking vendor cuts to its floor once within this many months of the domestic best; "
        "x0.5 the baseline's 1.5 to the schema default")


class CatchUpConfig(Strict):
    innovation_rate: Annotated[float, Field(ge=0.0, le=5.0)] = assumed(
        0.35, 0.15, 0.7, "monthly release probability of a reference frontier lab; about x0.5-x2")
    copy_lag_months: Pos = assumed(1.5, 0.75, 3.0, "expected imitation lag of a reference lab, months; x0.5-x2")
    open_weights_lag_factor: Pos = assumed(
        0.5, 0.25, 1.0, "copy lag multiplier when the leader publishes weights; x0.5 to 1 (no effect)")
    hype_decay_per_month: Fraction = assumed(
        0.5, 0.25, 0.75, "share of a vendor's hype that wears off each month (novelty); a half-life of 0.5 to 2.4 "
        "months")
    hype_per_release: NonNeg = assumed(0.1, 0.05, 0.2, "hype a routine release adds; x0.5-x2")
    hype_per_headline: NonNeg = assumed(1.0, 0.5, 2.0, "hype a new domestic best adds (it makes the news); x0.5-x2")
    focused_innovation_factor: Fraction = assumed(
        0.2, 0.1, 0.4, "release rate kept after focusing (no pretraining); x0.5-x2")
    # at most 1 (constant returns): larger exponents make release rates overflow for big labs
    talent_elasticity: Annotated[float, Field(ge=0.0, le=1.0)] = assumed(
        0.5, 0.25, 1.0, "elasticity of release rate in (skill-weighted) researchers; decreasing to constant returns")
    compute_elasticity: Annotated[float, Field(ge=0.0, le=1.0)] = assumed(
        0.3, 0.15, 0.6, "elasticity of release rate in GPUs per researcher; x0.5-x2")


class TalentConfig(Strict):
    mobility: Fraction = assumed(0.02, 0.01, 0.04, "share of researchers who consider moving each month; x0.5-x2")
    noncompete_friction: Fraction = assumed(
        0.3, 0.15, 0.6, "share of would-be movers non-competes hold back (mobility x (1 - this) look around); x0.5-x2")
    pay_weight: NonNeg = assumed(1.0, 0.5, 2.0, "weight of salary in a researcher's choice of lab; x0.5-x2")
    compute_weight: NonNeg = assumed(
        0.5, 0.25, 1.0, "weight of GPUs per researcher in a researcher's choice of lab; x0.5-x2")
    momentum_weight: NonNeg = assumed(
        1.0, 0.5, 2.0, "weight of a lab's momentum (its quality rank) in a researcher's choice; x0.5-x2")
    key_hire_rate: Fraction = assumed(0.02, 0.01, 0.04, "share of movers who are key hires; x0.5-x2")
    knowhow_transfer: Fraction = assumed(
        0.3, 0.15, 0.6, "share of the source's capability lead a key hire carries; x0.5-x2")
    initial_pool: Annotated[int, Field(ge=0)] = 2_000
    hiring_rate: Fraction = assumed(
        0.05, 0.025, 0.1, "share of the free pool hired per month, market-wide; x0.5-x2")
    layoff_share_on_pivot: Fraction = assumed(
        0.4, 0.2, 0.8, "share of researchers a startup lays off when it focuses; x0.5-x2")


class FinancingConfig(Strict):
    # fixed (no prior): the validator below ties it to round_size_months_of_burn, and the
    # startups' subsidy ramps from pivot_runway_months up to it (market_sim/priors.py)
    raise_trigger_runway_months: Pos = 12.0
    pivot_runway_months: Pos = assumed(
        6.0, 3.0, 9.0, "runway (months) under which a racing startup pivots for money; x0.5-x1.5, below the 12-month "
        "raise trigger")
    exit_runway_months: Pos = 2.0
    round_size_months_of_burn: Pos = assumed(
        18.0, 17.0, 36.0, "months of burn a round buys at middling traction (x0.75 with none, x1.25 with full); "
        "x0.75 must exceed the raise trigger (12), hence at least 17")
    success_intercept: float = assumed(
        -1.0, -4.0, -1.0, "log-odds of closing a round with no traction, rank or climate; the baseline's -2.5 +- 1.5")
    success_traction_weight: float = assumed(
        2.0, 1.0, 4.0, "log-odds a round gains from traction (0..1); x0.5-x2")
    success_rank_weight: float = assumed(
        2.0, 1.0, 4.0, "log-odds a round gains from the startup's quality rank (0..1); x0.5-x2")
    success_climate_weight: float = assumed(
        2.0, 1.0, 4.0, "log-odds a round gains per unit of the funding climate index; x0.5-x2")
    raise_cooldown_months: Annotated[int, Field(ge=0)] = assumed(
        6, 3, 12, "months before a startup goes back to investors after an attempt; x0.5-x2")
    dilution: Annotated[float, Field(gt=0.0, lt=1.0)] = assumed(
        0.15, 0.1, 0.25, "share of the company a round sells; 10-25%, the usual venture round")
    acquisition_probability: Fraction = assumed(
        0.4, 0.2, 0.8, "chance a racing big tech buys an exiting startup; x0.5-x2")
    # the race-or-focus decision (mechanisms/financing.py value_of_focusing, startup_decisions)
    decision_horizon_months: float = assumed(
        12.0, 6.0, 24.0, "months over which a startup weighs staying in the frontier race against focusing", gt=0.0)
    prospect_gap_months: float = assumed(
        6.0, 3.0, 12.0, "months behind the domestic best at which the prospect of staying a frontier lab falls to 1/e",
        gt=0.0)
    focus_revenue_retained: float = assumed(
        0.8, 0.5, 1.0, "share of its revenue a vendor keeps after narrowing to a segment", ge=0.0, le=1.0)
    focus_value_share: float = assumed(
        0.2, 0.05, 0.5, "worth of a focused niche business as a share of the frontier lab's valuation", ge=0.0, le=1.0)
    pivot_inertia_months: float = assumed(
        3.0, 0.0, 12.0, "switching cost of a pivot (layoffs, write-offs), in months of costs", ge=0.0)
    decision_patience_months: int = assumed(
        3, 1, 6, "months in a row focusing must look better before a startup pivots", ge=1)
    valuation_to_cash: float = assumed(
        4.0, 2.0, 10.0, "valuation of a startup with no round on record, as a multiple of its cash", gt=0.0)
    focused_cost_factor: Fraction = assumed(
        0.3, 0.15, 0.6, "share of compute and marketing kept after focusing (subtraction); x0.5-x2")
    investors: Annotated[int, Field(ge=1, le=10_000, description="venture funds (a market has hundreds at most)")] = 12
    investor_dry_powder_rmb: Pos = 2.0e9
    strategic_share_of_round: Fraction = assumed(
        0.3, 0.15, 0.6, "share of a round a big tech already holding a stake takes; x0.5-x2")

    @model_validator(mode="after")
    def _rounds_outlast_the_trigger(self) -> FinancingConfig:
        # a round smaller than the trigger sends a startup straight back to investors, and one
        # failed raise then means a pivot (the bug this refuses)
        low = financing_round_low() * self.round_size_months_of_burn
        if low <= self.raise_trigger_runway_months:
            raise ValueError(f"round_size_months_of_burn x {financing_round_low()} = {low:g} months must exceed "
                             f"raise_trigger_runway_months ({self.raise_trigger_runway_months:g}): a round would "
                             "not outlast the trigger")
        return self


class BigTechFinanceConfig(Strict):
    patience_months: Annotated[int, Field(ge=1)] = assumed(
        12, 6, 24, "months in a row of losses beyond the tolerance before a parent cuts its AI unit's budget; x0.5-x2")
    loss_tolerance_rmb_per_month: NonNeg = assumed(
        4.0e8, 2.0e8, 2.0e9, "monthly loss (RMB) a parent tolerates in its AI unit; x0.5 the schema default to x2 "
        "the baseline's 1e9")
    budget_cut_factor: Fraction = assumed(
        0.7, 0.4, 0.9, "share of compute, marketing and subsidy a parent keeps when it cuts the budget")


class ConsumerConfig(Strict):
    bass_p: Fraction = assumed(
        0.004, 0.001, 0.016, "Bass innovation coefficient, per month; x0.25-x4 (diffusion meta-analyses: annual p "
        "about 0.01-0.03, i.e. ~0.001-0.0025 a month, faster for free digital products)")
    bass_q: Fraction = assumed(
        0.06, 0.015, 0.24, "Bass imitation coefficient, per month; x0.25-x4 (diffusion meta-analyses: annual q "
        "about 0.3-0.5, i.e. ~0.03-0.04 a month, faster for free digital products)")
    word_of_mouth: Literal["network", "mixed"] = "network"
    network_degree: Annotated[int, Field(ge=1, le=200)] = 8
    marketing_effect: float = assumed(
        0.01, 0.002, 0.05, "monthly hazard of trying a vendor's assistant per RMB a person of its ads (1 / the cost of "
        "a trial in RMB): ads bring users to the advertiser", ge=0.0)
    superapp_effect: float = assumed(
        0.004, 0.001, 0.02, "monthly hazard of trying a big tech's assistant for a person on its super-app", ge=0.0)
    churn: Fraction = assumed(0.02, 0.01, 0.04, "share of users who stop using any assistant each month; x0.5-x2")
    switch_rate: Fraction = assumed(
        0.08, 0.04, 0.16, "share of users who reconsider their assistant each month; x0.5-x2")
    beta_quality: float = assumed(0.08, 0.04, 0.16, "consumer utility per quality index point; x0.5-x2")
    beta_context: float = assumed(0.6, 0.3, 1.2, "consumer utility per log10 token of context; x0.5-x2")
    beta_multimodal: float = assumed(0.03, 0.015, 0.06, "consumer utility per multimodal index point; x0.5-x2")
    beta_reasoning: float = assumed(0.03, 0.015, 0.06, "consumer utility per reasoning index point; x0.5-x2")
    beta_hype: float = assumed(1.0, 0.25, 2.0, "weight of hype (recent releases) in a newcomer's choice (discovery)")
    beta_superapp: float = assumed(
        0.0, 0.0, 1.5, "utility of an assistant built into a super-app the person uses (0: super-apps act through "
        "discovery only)")
    beta_word_of_mouth: float = assumed(
        2.0, 1.0, 4.0, "utility of a vendor per share of a person's contacts using it; x0.5-x2")
    beta_incumbent: float = assumed(1.0, 0.5, 2.0, "utility of staying with the assistant one uses (habit); x0.5-x2")
    beta_marketing: float = assumed(
        0.0, 0.0, 0.5, "brand utility of ads, x ln(1 + RMB a month / 1e6) (0: ads act through discovery only)")
    paying_share: Fraction = assumed(
        0.01, 0.005, 0.02, "share of a vendor's monthly users who pay for a plan (domestic apps mostly free); x0.5-x2")
    plan_price_rmb_per_month: NonNeg = 30.0
    tokens_per_user_month: NonNeg = 2.0e5


class SectorConfig(Strict):
    weight: Pos
    needs: dict[str, NonNeg] = Field(description="feature -> weight in this sector's choice")
    demand_mtok_per_month: Pos


class EnterpriseConfig(Strict):
    sectors: dict[str, SectorConfig]
    portfolio_size: Annotated[int, Field(ge=1, le=10)] = 3
    review_months: Annotated[float, Field(ge=1.0)] = assumed(
        6.0, 3.0, 12.0, "mean months between a buyer's portfolio reviews (a review is at most monthly); x0.5-x2")
    demand_growth_per_month: NonNeg = 0.08
    price_elasticity: NonNeg = assumed(
        0.8, 0.4, 1.6, "constant elasticity of a buyer's token demand in its portfolio price; x0.5-x2")
    reference_price_rmb_per_mtok: Pos = 20.0
    beta_price: NonNeg = assumed(1.0, 0.5, 2.0, "buyer's utility per unit of -log(API price); x0.5-x2")
    beta_capability: NonNeg = assumed(
        0.1, 0.05, 0.2, "buyer's utility per month of (need-weighted) gap to the domestic best; x0.5-x2")
    beta_cloud: NonNeg = assumed(1.5, 0.75, 3.0, "buyer's utility of a vendor that runs its cloud; x0.5-x2")
    beta_focus: NonNeg = assumed(1.5, 0.75, 3.0, "buyer's utility of a vendor focused on its sector; x0.5-x2")
    beta_risk: NonNeg = assumed(2.0, 1.0, 4.0, "buyer's disutility of a vendor's failure risk; x0.5-x2")
    switching_cost: NonNeg = assumed(
        1.0, 0.5, 2.0, "buyer's utility of a vendor already in its portfolio (switching cost); x0.5-x2")
    spend_softmax_scale: Pos = assumed(
        1.0, 0.5, 2.0, "temperature of the softmax that splits a buyer's tokens among its portfolio; x0.5-x2")


class VendorConfig(Strict):
    kind: Literal["big_tech", "startup", "self_funded"] = Field(
        description="finance kind: big_tech (a parent covers losses until its patience ends), startup (venture "
                    "rounds, valuation, runway), self_funded (an owner's budget and no rounds)")
    name: str
    capability: dict[str, Pos] = Field(description="feature -> initial level, in the feature's unit")
    headcount: Annotated[int, Field(ge=1, le=MAX_HEADCOUNT)]
    skill: Annotated[float, Field(gt=0.0, le=100.0)] = 1.0
    gpus: Annotated[float, Field(ge=0.0, le=MAX_GPUS)]
    cash_rmb: NonNeg
    valuation_rmb: NonNeg | None = Field(
        None, description="startup: post-money of its last round before the start (default: cash x "
                          "financing.valuation_to_cash)")
    owner_budget_rmb_per_month: NonNeg = Field(
        0.0, description="self_funded: losses the owner covers each month (beyond it, cash burns)")
    enters: Month | None = Field(None, description="a named entrant: the month it enters (default: present at start)")
    consumer_launch: Month | None = Field(
        None, description="the month its consumer assistant becomes available (default: available at start)")
    api_price_rmb_per_mtok: NonNeg
    cost_efficiency: Pos = Field(1.0, description="unit serving cost multiplier (lower is cheaper)")
    salary_rmb_per_month: Pos = 60_000.0
    marketing_rmb_per_month: NonNeg | dict[Month, NonNeg] = Field(
        0.0, description="user-acquisition spend, RMB a month: a number, or a dated path (month -> RMB, piecewise "
                         "linear, flat beyond its ends)")
    other_revenue_rmb_per_month: NonNeg = Field(
        0.0, description="revenue from outside the modelled market (e.g. overseas apps)")
    consumer_share: Fraction = 0.0
    aggressiveness: Fraction = 0.5
    max_subsidy: Fraction = 0.0
    share_ambition: Fraction = 0.0
    open_weights: bool = False
    focus_sectors: list[str] = Field(default_factory=list)
    # big tech only
    cloud_share: Fraction = 0.0
    superapp_reach: Fraction = 0.0
    strategic_investor: bool = False


class LongTailConfig(Strict):
    count: Annotated[int, Field(ge=0, le=1000)] = 30
    headcount_range: tuple[Annotated[int, Field(ge=1, le=MAX_HEADCOUNT)],
                           Annotated[int, Field(ge=1, le=MAX_HEADCOUNT)]] = (20, 120)
    gpus_range: tuple[Annotated[float, Field(ge=0.0, le=MAX_GPUS)], Annotated[float, Field(ge=0.0, le=MAX_GPUS)]] = (
        100.0, 1_000.0)
    cash_rmb_range: tuple[NonNeg, NonNeg] = (5.0e7, 4.0e8)
    capability_behind_months: tuple[NonNeg, NonNeg] = (6.0, 18.0)
    api_price_rmb_per_mtok: NonNeg = 15.0
    cost_efficiency: Pos = 1.5
    aggressiveness: Fraction = 0.5
    # entry (mechanisms/entry.py): rows reserved for small vendors that enter during the run
    entrants_max: Annotated[int, Field(ge=0, le=1000)] = Field(
        0, description="rows reserved for later entrants (entry stops when they are used up)")
    entry_rate_per_month: float = assumed(
        1.0, 0.0, 4.0, "expected entrants a month at funding climate 1 and a flat market", ge=0.0, le=50.0)
    entry_profit_elasticity: float = assumed(
        1.0, 0.0, 2.0, "how entry follows the profits on offer: (market revenue growth over 6 months)^this",
        ge=0.0, le=5.0)

    @model_validator(mode="after")
    def _ranges_ordered(self) -> LongTailConfig:
        for key in ("headcount_range", "gpus_range", "cash_rmb_range", "capability_behind_months"):
            low, high = getattr(self, key)
            if low > high:
                raise CrossReferenceError(f"long_tail.{key}", [low, high], "[low, high] with low <= high")
        return self


class ScheduledRelease(Strict):
    vendor: str
    month: Month
    feature: str
    level: Pos = Field(description="new level, in the feature's unit")
    note: str = ""


class ScheduledPrice(Strict):
    """A dated API price given as an input (another firm's decision the model does not explain,
    e.g. DeepSeek-V2's price in 2024-05); the vendor's own pricing rule carries on from it."""
    vendor: str
    month: Month
    price_rmb_per_mtok: NonNeg
    note: str = ""


class ScheduledRound(Strict):
    """A dated funding round given as an input (investors' decision): `amount_rmb` at
    `post_money_rmb`; `strategic` names the big techs in it and the RMB each pays from its
    cash, venture funds pay the rest from their dry powder (as far as it goes)."""
    vendor: str
    month: Month
    amount_rmb: Pos
    post_money_rmb: Pos
    strategic: dict[str, NonNeg] = Field(default_factory=dict)
    note: str = ""


class Change(Strict):
    """From `month` on, the keys in `set` (dotted, as --set takes them) have new values: a
    scenario that shares the baseline's history until then."""

    month: Month
    set: dict[str, Any] = Field(min_length=1)
    why: str = ""


class Stake(Strict):
    investor: str
    vendor: str
    stake: Fraction


class FallsBehindConfig(Strict):
    statuses: list[Literal["focused", "acquired", "exited"]] = ["focused", "acquired", "exited"]
    max_combined_share: Fraction = Field(
        0.02, description="consumer + enterprise share below which a vendor is 'small'")
    min_gap_months: NonNeg = Field(
        6.0, description="capability gap to the domestic best above which a small vendor falls behind")
    money_runway_months: NonNeg = Field(
        6.0, description="cause of falling behind: 'money' if the runway in the month before the vendor fell "
                         "behind was under this many months (or its cash was gone), else 'race'")
