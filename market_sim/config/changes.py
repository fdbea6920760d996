"""Dated changes (`changes:` in a config): checked once when the config is loaded, applied
mid-run by `apply_change` without validating the whole config again."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ..calendar import month_index
from .errors import ConfigError
from .loading import apply_override, key_parts, validate_config
from .schema import Change, Config

# A dated change may only set what the model reads afresh every month: these sections, less
# what is fixed at set-up or defined as a path from the start (a new cost-halving time would
# make the unit cost jump), plus a vendor's strategy.
LIVE_SECTIONS = ("market", "price_war", "catch_up", "talent", "financing", "big_tech_finance")
NOT_LIVE = ("market.unit_cost", "financing.investors", "financing.investor_dry_powder_rmb")
# config key of a vendor -> the VendorTable column the model updates
LIVE_VENDOR_KEYS = {"aggressiveness": "aggressiveness", "max_subsidy": "max_subsidy",
                    "share_ambition": "share_ambition", "open_weights": "open_weights",
                    "salary_rmb_per_month": "salary", "marketing_rmb_per_month": "marketing"}


def is_live_key(key: str) -> bool:
    """May a dated change set this dotted key?"""
    parts = key.split(".")
    if parts[0] == "vendors":
        return len(parts) == 3 and parts[2] in LIVE_VENDOR_KEYS
    return parts[0] in LIVE_SECTIONS and not any(key == k or key.startswith(k + ".") for k in NOT_LIVE)


def check_changes(cfg: Config, data: dict, file: str | Path | None) -> None:
    """Each dated change must fall inside the run, set only keys the model reads every month,
    and leave a valid config (checked by applying it to the loaded data and validating)."""
    for i, change in enumerate(cfg.changes):
        where = f"changes.{i}"
        t = month_index(change.month, cfg.run.start)
        if not 0 <= t < cfg.run.months:
            raise ConfigError(f"got {change.month!r}; expected a month inside the run "
                              f"({cfg.run.start} plus {cfg.run.months} months)",
                              file=file, path=f"{where}.month", value=change.month)
        after = copy.deepcopy(data)
        for key, value in change.set.items():
            if not is_live_key(key):
                raise ConfigError(
                    f"a dated change can set keys under {list(LIVE_SECTIONS)} (not {list(NOT_LIVE)}) or "
                    f"vendors.<id>.<{'|'.join(LIVE_VENDOR_KEYS)}>", file=file, path=f"{where}.set.{key}", value=value)
            try:
                apply_override(after, key, value, file)
            except ConfigError as e:
                raise ConfigError(e.message, file=file, path=f"{where}.set.{e.path}", value=e.value) from None
        try:
            validate_config(after, file)
        except ConfigError as e:
            raise ConfigError(e.message, file=file, path=f"{where}.set") from None


def apply_change(cfg: Config, change: Change) -> Config:
    """The config in force after a dated change: a new Config in which only the keys the change
    sets differ (the rest is shared with `cfg`). The change was checked when `cfg` was loaded;
    only each new value is validated (and coerced) against its field."""
    for key, value in change.set.items():
        cfg = _replaced(cfg, key_parts(key), value)
    return cfg


def _replaced(node: Any, parts: list[str], value: Any) -> Any:
    """A copy of `node` (a model or a dict) with node[parts] = value."""
    head, rest = parts[0], parts[1:]
    if isinstance(node, BaseModel):
        if not rest:  # a field of this model: validated on assignment (Strict models)
            new = node.model_copy()
            setattr(new, head, value)
            return new
        child = getattr(node, head)
        if isinstance(child, dict) and len(rest) == 1:  # an entry of a dict-typed field
            new = node.model_copy()
            setattr(new, head, {**child, rest[0]: value})
            return new
        return node.model_copy(update={head: _replaced(child, rest, value)})
    if isinstance(node, dict):
        return {**node, head: _replaced(node[head], rest, value)}
    raise ConfigError("cannot descend into a non-mapping value", path=".".join(parts), value=node)
