"""Priors: the range a calibration explores for every assumed parameter of a config.

A parameter is *assumed* when the schema declares it with `config.sections.assumed(default,
low, high, why)`: its JSON Schema then carries `range: [low, high]` and a one-line reason.
`priors()` walks the schema's section models (not the per-vendor, per-feature or per-sector
maps) and returns one `Prior` per such field, with the value the given config uses as its
default. The list of keys is never written down here: a new `assumed(...)` field is a new prior.

A prior is uniform on [low, high], or log-uniform when low > 0 and high / low >= 4 (a range
spanning a factor of 4 or more is a statement about the order of magnitude). Integer fields
are rounded after sampling.

Ranges express generic uncertainty about an assumption (mostly x0.5 to x2 of the default,
widened to contain the baseline's value where the baseline overrides the schema default, or a
literature range such as the Bass coefficients'); none is chosen to fit a target, and none uses
information dated after 2024-12.

Facts, units, counts, accounting constants, the calendar and initial conditions have no range:
they are fixed. The notable fixed ones, with why, are in `FIXED` (and on docs/priors.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

# Notable parameters deliberately left without a prior: dotted key (or pattern) -> why.
FIXED: dict[str, str] = {
    "run.start, run.months, run.seed": "calendar and random seed: the experiment's frame, not behaviour",
    "scale.consumers, scale.enterprises": "agent counts: resolution of the simulation, not behaviour",
    "scale.consumer_population, scale.enterprise_population, scale.initial_adoption":
        "market size and the initial condition (QuestMobile 2024-01 MAU): facts or initial conditions",
    "market.unit_cost.*, market.gpu_cost_rmb_per_month, market.frontier_compute_doubling_months":
        "cost and compute trends: exogenous inputs informed by facts (compute_trend)",
    "market.funding_climate, market.funding_climate_scale": "the dated funding-climate path is an input (a fact's "
        "index); its scale is a scenario lever",
    "price_war.cut_event_threshold": "a reporting threshold (a cut of 20%+ in a month is an event), not behaviour",
    "price_war.max_markup": "a cap that must admit the 2024-01 list prices given as inputs (up to ~25x the "
        "assumed unit cost): lowering it would rewrite the inputs",
    "financing.raise_trigger_runway_months": "tied by a validator to round_size_months_of_burn (x0.75 must exceed "
        "it) and the top of the startups' subsidy ramp (from pivot_runway_months up to it): sampling both would "
        "give invalid or degenerate combinations, so round_size_months_of_burn (17-36) carries the uncertainty of "
        "rounds relative to the trigger",
    "financing.exit_runway_months": "a startup with under 2 months of cash after a failed raise is out of money "
        "(near-accounting); it must stay under pivot_runway_months",
    "financing.investors, financing.investor_dry_powder_rmb": "the venture market's size: informed by a fact "
        "(china_ai_vc_2024)",
    "talent.initial_pool": "an initial condition (researchers outside the modelled labs), not behaviour",
    "consumers.word_of_mouth, consumers.network_degree": "structure of the word-of-mouth network (its strength "
        "is sampled through bass_q and beta_word_of_mouth)",
    "consumers.plan_price_rmb_per_month, consumers.tokens_per_user_month": "a plan's price (fact "
        "consumer_monetisation) and a usage volume: units of revenue and cost, not behaviour",
    "enterprises.demand_growth_per_month": "a fact in the baseline (enterprise_budgets: 2024 budgets 2-5x 2023)",
    "enterprises.portfolio_size, enterprises.reference_price_rmb_per_mtok": "facts (enterprise_budgets: a model "
        "garden; price_war_may_2024: Qwen-Long's list price)",
    "long_tail.count, long_tail.*_range, long_tail.entrants_max": "the long tail's size and initial conditions "
        "(fact model_count); rows reserved for entrants are memory, not behaviour",
    "falls_behind.*": "the definition of the outcome (what 'falls behind' means), not behaviour",
}

# Assumptions the priors do not sample: they live in per-vendor / per-feature / per-sector maps.
NOT_SAMPLED: dict[str, str] = {
    "features.*.beyond_frontier_scale": "not sampled (per-feature multiplier; its range '0.3x-2x default' is "
        "relative to each feature's default)",
    "features.*.* (frontier paths, steps, lags)": "per-feature inputs: not sampled",
    "vendors.*.*": "per-vendor inputs (sizes, prices, strategies): not sampled",
    "enterprises.sectors.*": "per-sector weights, needs and demand: not sampled",
}

LOG_RATIO = 4.0  # log-uniform when low > 0 and high / low >= this


@dataclass(frozen=True)
class Prior:
    key: str          # dotted config key, e.g. "financing.prospect_gap_months" (as load_config overrides / --set)
    default: float    # the value in the given config (baseline YAML value if it overrides the schema default)
    low: float
    high: float
    scale: str        # "uniform" or "log-uniform"; log-uniform when low > 0 and high/low >= 4
    integer: bool     # the field is an int: a sampled value is rounded
    why: str          # the one-line reason

    def sample_to_value(self, x: float) -> float | int:
        """A sampled value as the config takes it: clipped to [low, high], rounded for an int."""
        value = min(max(float(x), self.low), self.high)
        if self.integer:
            return int(min(max(round(value), math.ceil(self.low)), math.floor(self.high)))
        return value


def _scale(low: float, high: float) -> str:
    return "log-uniform" if low > 0 and high / low >= LOG_RATIO else "uniform"


def _numeric_range(extra: Any) -> tuple[float, float] | None:
    rng = extra.get("range") if isinstance(extra, dict) else None
    if (isinstance(rng, (list, tuple)) and len(rng) == 2
            and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in rng)):
        return float(rng[0]), float(rng[1])
    return None  # no range, or a non-numeric one ("0.3x-2x default"): not sampled


def _walk(model: type[BaseModel], value: BaseModel, prefix: str):
    """(key, field info, value) of every field of `model` with a numeric range, recursing into
    nested section models (not into dict- or list-valued fields)."""
    for name, info in model.model_fields.items():
        key = f"{prefix}.{name}" if prefix else name
        sub = getattr(value, name)
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from _walk(annotation, sub, key)
            continue
        rng = _numeric_range(info.json_schema_extra)
        if rng is not None:
            yield key, info, sub, rng


def _config(config: Any):
    from .config import Config, load_config

    if isinstance(config, Config):
        return config
    if config is None:
        from .parameters import DEFAULT_CONFIG  # = market_sim.model.DEFAULT_CONFIG

        config = DEFAULT_CONFIG
    return load_config(config if isinstance(config, dict) else Path(config))


def priors(config: Any = None) -> list[Prior]:
    """Every assumed parameter's prior, ordered by key. `config`: a YAML path, a dict or a
    Config (None: the baseline, market_sim.model.DEFAULT_CONFIG); its values are the defaults."""
    cfg = _config(config)
    out = []
    for key, info, value, (low, high) in _walk(type(cfg), cfg, ""):
        integer = info.annotation is int
        out.append(Prior(key=key, default=int(value) if integer else float(value), low=low, high=high,
                         scale=_scale(low, high), integer=integer, why=info.description or ""))
    return sorted(out, key=lambda p: p.key)


def priors_table(config: Any = None):
    """The priors as a DataFrame: key, default, low, high, scale, integer, why."""
    import pandas as pd

    columns = ["key", "default", "low", "high", "scale", "integer", "why"]
    return pd.DataFrame([{c: getattr(p, c) for c in columns} for p in priors(config)], columns=columns)


def _num(x: float, integer: bool = False) -> str:
    return str(int(x)) if integer else f"{x:g}"


def priors_text(config: Any = None) -> str:
    """A fixed-width text table (what `market-sim schema --priors` prints)."""
    rows = [(p.key, _num(p.default, p.integer), _num(p.low, p.integer), _num(p.high, p.integer), p.scale, p.why)
            for p in priors(config)]
    head = ("key", "default", "low", "high", "scale", "reason")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(5)]
    lines = ["  ".join(cell.ljust(w) if i == 0 or i == 4 else cell.rjust(w)
                       for i, (cell, w) in enumerate(zip(r[:5], widths, strict=True))) + "  " + r[5]
             for r in [head, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths) + "  " + "-" * 6)
    return "\n".join(lines) + f"\n\n{len(rows)} priors (uniform; log-uniform when low > 0 and high/low >= 4)"


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def priors_markdown(config: Any = None) -> str:
    """The priors page (docs/priors.md): what a prior is here, the scale rule, the notable fixed
    parameters with why, then the table."""
    ps = priors(config)
    out = [
        "# Priors of the assumed parameters",
        "",
        "<!-- generated by tools/write_priors_doc.py from market_sim/priors.py and the config schema: "
        "do not edit by hand -->",
        "",
        "A *prior* here is the range a calibration (ABC) explores for a parameter that is an assumption: "
        "the schema declares it with `assumed(default, low, high, why)` (`market-sim schema` shows the range, "
        "`market-sim schema --priors` this table). The default is the baseline's value "
        "(configs/baseline_2024.yaml). Ranges express generic uncertainty about the assumption (mostly x0.5 to "
        "x2 of the default, widened to contain the baseline's value where it overrides the schema default, or "
        "a literature range such as the Bass coefficients'); none is chosen to fit a target, and none uses "
        "information dated after 2024-12.",
        "",
        f"A prior is **uniform** on [low, high], or **log-uniform** when low > 0 and high / low >= {LOG_RATIO:g} "
        "(a range of a factor of 4 or more is about the order of magnitude). Integer parameters are rounded "
        "after sampling (`Prior.sample_to_value`).",
        "",
        "Facts, units, counts, accounting constants, the calendar and initial conditions are **fixed**: they "
        "have no prior. The notable fixed parameters:",
        "",
    ]
    out += [f"- `{key}`: {why}" for key, why in FIXED.items()]
    out += ["", "Not sampled (assumptions in per-feature, per-vendor or per-sector maps):", ""]
    out += [f"- `{key}`: {why}" for key, why in NOT_SAMPLED.items()]
    out += ["", f"## The {len(ps)} priors", "",
            "| key | default | low | high | scale | integer | reason |",
            "|---|---:|---:|---:|---|---|---|"]
    out += [f"| `{p.key}` | {_num(p.default, p.integer)} | {_num(p.low, p.integer)} | {_num(p.high, p.integer)} "
            f"| {p.scale} | {'yes' if p.integer else ''} | {_md(p.why)} |" for p in ps]
    return "\n".join(out) + "\n"
