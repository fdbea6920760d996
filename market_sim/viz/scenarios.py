"""The scenarios the app offers: configs/*.yaml and configs/scenarios/*.yaml, each described by
its own leading comments (the question it asks) and the month its changes start."""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path

import numpy as np
import yaml

from market_sim.config import load_config
from market_sim.viz.app_paths import CONFIG_ENV

CONFIG_DIR = Path(__file__).resolve().parents[2] / "configs"
DEFAULT_CONSUMERS = 5_000  # keeps a step well under the frame budget (docs/performance.md)


def scenario_files() -> dict[str, Path]:
    """Scenario name -> config file: the baseline, configs/scenarios/*.yaml, and the config
    given to `market-sim viz` (if any), first."""
    found = {p.stem: p for p in sorted(CONFIG_DIR.glob("*.yaml"))}
    found.update({f"scenarios/{p.stem}": p for p in sorted((CONFIG_DIR / "scenarios").glob("*.yaml"))})
    given = os.environ.get(CONFIG_ENV)
    if given:
        path = Path(given).resolve()
        name = next((k for k, v in found.items() if v.resolve() == path), path.stem)
        found = {name: path, **{k: v for k, v in found.items() if k != name}}
    return found


def _leading_comment(text: str) -> str:
    lines = []
    for line in text.splitlines():
        if not line.startswith("#") or (lines and not line.lstrip("#").strip()):
            break  # the first paragraph only
        lines.append(line.lstrip("#").strip())
    return " ".join(lines)


@functools.cache
def _describe_file(path: Path) -> tuple[str, str]:
    text = path.read_text()
    comment = _leading_comment(text)
    data = yaml.safe_load(text) or {}
    months = sorted({str(c.get("month")) for c in data.get("changes") or [] if c.get("month")})
    return comment, ", ".join(months)


def change_months(name: str) -> list[str]:
    """The months a scenario's own changes start (empty for the baseline)."""
    files = scenario_files()
    if name not in files:
        return []
    _, months = _describe_file(files[name])
    return [m for m in months.split(", ") if m]


def describe(name: str) -> str:
    """One paragraph: the file's question and when its changes start."""
    files = scenario_files()
    if name not in files:
        return ""
    comment, months = _describe_file(files[name])
    if not comment:
        comment = "The 2024 baseline: the market as observed, carried on through 2025."
    comment = re.sub(r"\s+", " ", comment)
    if months:
        comment += f" **Changes start in {months}**: until then it follows the baseline."
    return comment


def default_scenario() -> str:
    return next(iter(scenario_files()))


def _get(cfg, dotted: str) -> float:
    node = cfg
    for part in dotted.split("."):
        node = getattr(node, part)
    return float(node)


def parse_seed(seed: int | str) -> int:
    """A seed is a whole number >= 0; anything else is refused (never silently 0)."""
    text = str(seed).strip()
    if not text.isdigit():
        raise ValueError(f"seed must be a whole number >= 0, not {str(seed)!r}")
    return int(text)


def build_config(scenario: str | None = None, price_war_x: float = 1.0, copy_lag_x: float = 1.0,
                 talent_mobility_x: float = 1.0, funding_climate_x: float = 1.0, consumers: int = DEFAULT_CONSUMERS):
    """The resolved Config for the app's controls (also what the ensemble's workers run)."""
    scenario = scenario or default_scenario()
    cfg = load_config(scenario_files()[scenario])
    consumers = int(consumers)
    scaled = {  # key -> (multiplier, lower bound, upper bound)
        "price_war.intensity": (price_war_x, 0.0, 5.0),
        "catch_up.copy_lag_months": (copy_lag_x, 0.05, None),
        "talent.mobility": (talent_mobility_x, 0.0, 1.0),
        "market.funding_climate_scale": (funding_climate_x, 0.0, None),
    }

    def times(key: str, value: float) -> float:
        x, lo, hi = scaled[key]
        return float(np.clip(value * x, lo, hi))

    overrides = {key: times(key, _get(cfg, key)) for key in scaled}
    overrides.update({"scale.consumers": consumers, "scale.enterprises": max(consumers // 10, 50)})
    # a scenario's dated changes are scaled too: the slider multiplies the scenario's value before and after 2025-01
    changes = [{**c.model_dump(), "set": {k: (times(k, v) if k in scaled else v) for k, v in c.set.items()}}
               for c in cfg.changes]
    if changes:
        overrides["changes"] = changes
    return load_config(cfg, overrides)
