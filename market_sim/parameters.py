"""The model's Mesa interface: plain keyword parameters (mesa.batch_run, the browser app),
the config they stand for, and what the DataCollector reports each month."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from .config import Config, load_config

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "configs" / "baseline_2024.yaml"

# Plain keyword parameters -> config keys. Any other keyword written a__b__c maps onto a.b.c.
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


def config_from(config: str | Path | dict | Config | None, params: dict[str, Any]) -> Config:
    """The run's config: a validated Config with no keyword parameters is used as it is;
    anything else goes through load_config with the parameters as overrides."""
    if isinstance(config, Config) and not params:
        return config
    overrides = {PARAMETER_KEYS.get(k, k.replace("__", ".")): v for k, v in params.items()}
    return load_config(config if config is not None else DEFAULT_CONFIG, overrides)


def _market_value(indicator: str, model) -> float:
    return getattr(model.market, indicator)


# what mesa.batch_run and the DataCollector see each month (partials of a module-level
# function, so that they pickle)
MODEL_REPORTERS = {"month": "month_label"} | {
    name: partial(_market_value, indicator) for name, indicator in (
        ("price_index", "price_index"), ("hhi_consumer", "hhi_consumer"), ("hhi_enterprise", "hhi_enterprise"),
        ("frontier_vendors", "n_frontier"), ("total_mau", "total_mau"), ("enterprise_spend_rmb", "enterprise_spend"))}
