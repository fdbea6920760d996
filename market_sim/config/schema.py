"""The config schema: `Config`, the whole experiment configuration assembled from the section
models of sections.py, with its cross-reference checks (every vendor, feature and sector a
config names must exist)."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from .errors import CrossReferenceError
from .sections import (  # noqa: F401  (re-exported: the schema's public names)
    FEATURES,
    MAX_GPUS,
    MAX_HEADCOUNT,
    BigTechFinanceConfig,
    CatchUpConfig,
    Change,
    ConsumerConfig,
    EnterpriseConfig,
    FallsBehindConfig,
    FeatureConfig,
    FinancingConfig,
    Fraction,
    LongTailConfig,
    MarketConfig,
    Month,
    NonNeg,
    Pos,
    PriceWarConfig,
    RunConfig,
    ScaleConfig,
    ScheduledPrice,
    ScheduledRelease,
    ScheduledRound,
    SectorConfig,
    Stake,
    TalentConfig,
    UnitCostConfig,
    VendorConfig,
)
from .strict import Strict, suggest


class Config(Strict):
    """The whole experiment configuration (see configs/baseline_2024.yaml)."""

    run: RunConfig = RunConfig()
    scale: ScaleConfig = ScaleConfig()
    features: dict[str, FeatureConfig]
    market: MarketConfig = MarketConfig()
    price_war: PriceWarConfig = PriceWarConfig()
    catch_up: CatchUpConfig = CatchUpConfig()
    talent: TalentConfig = TalentConfig()
    financing: FinancingConfig = FinancingConfig()
    big_tech_finance: BigTechFinanceConfig = BigTechFinanceConfig()
    consumers: ConsumerConfig = ConsumerConfig()
    enterprises: EnterpriseConfig
    vendors: dict[str, VendorConfig]
    long_tail: LongTailConfig = LongTailConfig()
    scheduled_releases: list[ScheduledRelease] = Field(default_factory=list)
    scheduled_prices: list[ScheduledPrice] = Field(default_factory=list)
    scheduled_rounds: list[ScheduledRound] = Field(default_factory=list)
    strategic_stakes: list[Stake] = Field(default_factory=list)
    falls_behind: FallsBehindConfig = FallsBehindConfig()
    changes: list[Change] = Field(
        default_factory=list, description="dated changes of policy or environment (scenarios from 2025)")

    @field_validator("features")
    @classmethod
    def _features_known(cls, features: dict[str, FeatureConfig]) -> dict[str, FeatureConfig]:
        missing = [feature for feature in FEATURES if feature not in features]
        if missing:
            raise ValueError(f"missing features {missing}; the model needs all of {list(FEATURES)}")
        extra = [feature for feature in features if feature not in FEATURES]
        if extra:
            raise ValueError(f"unknown features {extra}; allowed: {list(FEATURES)}")
        return features

    @model_validator(mode="after")
    def _references(self) -> Config:
        # Cross-references: every vendor, feature and sector a config names must exist.
        vendor_ids = set(self.vendors)
        big_techs = {vid for vid, vendor in self.vendors.items() if vendor.kind == "big_tech"}
        if not big_techs:
            raise CrossReferenceError("vendors", "", "at least one big_tech vendor (it hosts a cloud)")
        for vid, vendor in self.vendors.items():
            self._check_vendor(vid, vendor)
        self._check_shares(big_techs)
        self._check_releases(vendor_ids)
        self._check_dated_inputs(vendor_ids, big_techs)
        self._check_stakes(vendor_ids, big_techs)
        self._check_sector_needs()
        return self

    def _check_vendor(self, vid: str, vendor: VendorConfig) -> None:
        # One vendor's features and sectors exist; cloud, super-app and investor only on a big_tech.
        sectors = set(self.enterprises.sectors)
        for feature in vendor.capability:
            if feature not in FEATURES:
                raise CrossReferenceError(
                    f"vendors.{vid}.capability.{feature}", feature, f"a feature in {list(FEATURES)}"
                )
        for feature in FEATURES:
            if feature not in vendor.capability:
                raise CrossReferenceError(
                    f"vendors.{vid}.capability", None,
                    f"a level for every feature {list(FEATURES)}; '{feature}' is missing",
                )
        for sector in vendor.focus_sectors:
            if sector not in sectors:
                raise CrossReferenceError(
                    f"vendors.{vid}.focus_sectors", sector,
                    f"a sector defined under enterprises.sectors {sorted(sectors)}",
                )
        if vendor.kind != "big_tech" and (vendor.cloud_share or vendor.superapp_reach or vendor.strategic_investor):
            raise CrossReferenceError(
                f"vendors.{vid}", vendor.kind,
                "cloud_share, superapp_reach and strategic_investor only on big_tech vendors",
            )

    def _check_shares(self, big_techs: set[str]) -> None:
        # Some big_tech hosts a cloud; initial consumer shares sum to at most 1.
        if sum(self.vendors[vid].cloud_share for vid in big_techs) <= 0:
            raise CrossReferenceError("vendors.*.cloud_share", 0, "a positive cloud_share on at least one big_tech")
        consumer_shares = sum(vendor.consumer_share for vendor in self.vendors.values())
        if consumer_shares > 1.0 + 1e-9:
            raise CrossReferenceError(
                "vendors.*.consumer_share", consumer_shares, "initial consumer shares summing to at most 1"
            )

    def _check_releases(self, vendor_ids: set[str]) -> None:
        for i, release in enumerate(self.scheduled_releases):
            if release.vendor not in vendor_ids:
                raise CrossReferenceError(
                    f"scheduled_releases[{i}].vendor", release.vendor,
                    f"a vendor defined under vendors {suggest(release.vendor, vendor_ids)}",
                )
            if release.feature not in FEATURES:
                raise CrossReferenceError(
                    f"scheduled_releases[{i}].feature", release.feature, f"a feature in {list(FEATURES)}"
                )

    def _check_dated_inputs(self, vendor_ids: set[str], big_techs: set[str]) -> None:
        for i, price in enumerate(self.scheduled_prices):
            if price.vendor not in vendor_ids:
                raise CrossReferenceError(f"scheduled_prices[{i}].vendor", price.vendor,
                                          f"a vendor defined under vendors {suggest(price.vendor, vendor_ids)}")
        for i, r in enumerate(self.scheduled_rounds):
            if r.vendor not in vendor_ids or self.vendors[r.vendor].kind != "startup":
                raise CrossReferenceError(f"scheduled_rounds[{i}].vendor", r.vendor,
                                          f"a startup defined under vendors {suggest(r.vendor, vendor_ids)}")
            for investor in r.strategic:
                if investor not in big_techs:
                    raise CrossReferenceError(f"scheduled_rounds[{i}].strategic.{investor}", investor,
                                              f"a big_tech vendor {suggest(investor, big_techs)}")
            if sum(r.strategic.values()) > r.amount_rmb:
                raise CrossReferenceError(f"scheduled_rounds[{i}].strategic", sum(r.strategic.values()),
                                          f"at most the round's amount_rmb ({r.amount_rmb:g})")
            if r.post_money_rmb < r.amount_rmb:
                raise CrossReferenceError(f"scheduled_rounds[{i}].post_money_rmb", r.post_money_rmb,
                                          f"at least the round's amount_rmb ({r.amount_rmb:g})")

    def _check_stakes(self, vendor_ids: set[str], big_techs: set[str]) -> None:
        for i, stake in enumerate(self.strategic_stakes):
            if stake.investor not in big_techs:
                raise CrossReferenceError(
                    f"strategic_stakes[{i}].investor", stake.investor,
                    f"a big_tech vendor {suggest(stake.investor, big_techs)}",
                )
            if stake.vendor not in vendor_ids or self.vendors[stake.vendor].kind != "startup":
                raise CrossReferenceError(
                    f"strategic_stakes[{i}].vendor", stake.vendor,
                    f"a startup defined under vendors {suggest(stake.vendor, vendor_ids)}",
                )

    def _check_sector_needs(self) -> None:
        for name, sector_config in self.enterprises.sectors.items():
            for feature in sector_config.needs:
                if feature not in FEATURES:
                    raise CrossReferenceError(
                        f"enterprises.sectors.{name}.needs.{feature}", feature, f"a feature in {list(FEATURES)}"
                    )
