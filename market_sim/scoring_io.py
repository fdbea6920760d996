"""`market-sim score OBSERVED.yaml RESULTS_DIR`: the observations file, the results directory
read for scoring, the score table and its outputs (scores.csv, summary.json, reliability.png).
The scores themselves are pure functions in scoring.py; docs/scoring.md has the definitions.

Observations file (YAML)::

    observations:
      - id: moonshot_state_2025_06      # unique name of the observation
        kind: state                     # a vendor's state at a month
        vendor: moonshot                # a vendor id of the results (vendor_month.parquet)
        month: "2025-06"                # a month of the results, YYYY-MM
        state: racing                   # racing (model status frontier), focused, acquired or exited
        happened: true                  # optional (default true): false records that it did not happen
        note: "..."                     # optional free text (source, caveat)
      - id: consumer_rank_2025_12
        kind: rank                      # a rank order of vendors by a measure at a month
        measure: consumer_share         # a numeric column of vendor_month.parquet
        month: "2025-12"
        order: [bytedance, moonshot]    # the top k, highest first
        among: [bytedance, moonshot, alibaba, baidu]   # optional: the vendors ranked (default: all)
      - id: price_range
        kind: range                     # a measure's value at a month within [low, high]
        vendor: deepseek                # optional: without it, a column of market_month.parquet
        measure: api_price
        month: "2025-06"
        low: 0.5                        # in the measure's own units (here RMB per million tokens)
        high: 2.0

The event each kind forecasts, in one replication:
    state   the vendor's model status maps to `state` (scoring.STATE_OF_STATUS; not_entered: no state)
    rank    the vendors of `order` are the top k of `among` by `measure`, in this order, strictly
            (a tie is not an order)
    range   low <= value <= high (a missing value: no)
The forecast probability is the share of replications in which the event holds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import pandas as pd
from pydantic import Field, ValidationError, model_validator

from . import scoring
from .calendar import MONTH_RE
from .config import ConfigError, Strict, read_yaml
from .config.errors import _describe_allowed, _loc_path
from .config.sections import Month
from .config.strict import suggest
from .config.yamlio import refuse_kind
from .execution import atomic_directory

FORECASTERS = ("model", "uniform", "status_quo")
REFERENCES = ("uniform", "status_quo")
DEFAULT_STATUS_QUO_MONTH = "2024-12"
SCORES_MARKER = "scores.csv"  # a directory holding this (and summary.json) is a scores directory of ours
BINS = 10
NOT_MEASURES = {"replication", "month_index", "long_tail"}  # numeric columns that are not measures

Id = Annotated[str, Field(min_length=1)]


class _Observation(Strict):
    id: Id
    month: Month
    happened: bool = Field(True, description="false: the event was recorded as not having happened (outcome 0)")
    note: str = ""


class StateObservation(_Observation):
    """The vendor's state at `month` is `state`."""

    kind: Literal["state"]
    vendor: Id
    state: Literal["racing", "focused", "acquired", "exited"]


class RankObservation(_Observation):
    """The vendors of `order` are the top k of `among` by `measure` at `month`, in this order."""

    kind: Literal["rank"]
    measure: Id
    order: Annotated[list[Id], Field(min_length=1)]
    among: list[Id] | None = None

    @model_validator(mode="after")
    def _distinct(self) -> RankObservation:
        if len(set(self.order)) != len(self.order):
            raise ValueError(f"order {self.order}: a vendor is listed twice")
        if self.among is not None:
            if len(set(self.among)) != len(self.among):
                raise ValueError(f"among {self.among}: a vendor is listed twice")
            missing = [v for v in self.order if v not in self.among]
            if missing:
                raise ValueError(f"order lists {missing}, not in among {self.among}")
        return self


class RangeObservation(_Observation):
    """`measure` (of `vendor`, or of the market without one) at `month` is within [low, high]."""

    kind: Literal["range"]
    vendor: Id | None = None
    measure: Id
    low: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> RangeObservation:
        if self.low > self.high:
            raise ValueError(f"low {self.low} > high {self.high}; expected low <= high")
        return self


Observation = Annotated[StateObservation | RankObservation | RangeObservation, Field(discriminator="kind")]
KINDS = {"state": StateObservation, "rank": RankObservation, "range": RangeObservation}


class ObservationsFile(Strict):
    observations: Annotated[list[Observation], Field(min_length=1)]


# --------------------------------------------------------------------------------------
# reading the observations file


def _format_errors(err: ValidationError, data: dict) -> str:
    """One line per problem: key path (without pydantic's union tag), value, what is allowed."""
    lines = []
    for e in err.errors():
        loc = tuple(p for p in e["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        kind_model = None
        if len(loc) >= 3 and loc[0] == "observations" and isinstance(loc[1], int) and loc[2] in KINDS:
            kind_model, loc = KINDS[loc[2]], loc[:2] + loc[3:]
        path = _loc_path(loc)
        value = e.get("input")
        ctx_error = (e.get("ctx") or {}).get("error")
        if e["type"] in ("union_tag_invalid", "union_tag_not_found"):
            got = value.get("kind") if isinstance(value, dict) else None
            lines.append(f"{path}.kind: got {got!r}; expected one of {list(KINDS)}")
        elif e["type"] == "extra_forbidden":
            allowed = sorted(kind_model.model_fields) if kind_model else ["observations"]
            lines.append(f"{path}: unknown key {suggest(loc[-1], allowed)}; allowed keys: {allowed}")
        elif isinstance(ctx_error, Exception):
            lines.append(f"{path}: {ctx_error}")
        elif e["type"] == "missing":
            lines.append(f"{path}: missing; expected a value (this key is required)")
        elif e["type"] == "too_short" and loc == ("observations",):
            lines.append(f"{path}: got {value!r}; expected a list of at least one observation")
        else:
            lines.append(f"{path}: got {value!r}; expected {_describe_allowed(e)}")
    return "\n".join(lines)


def load_observations(path: str | Path) -> list[StateObservation | RankObservation | RangeObservation]:
    """Validate an observations file; a ConfigError (one line per problem, naming the file, the
    key path, the value and what is allowed) on any problem."""
    path = Path(path)
    data = read_yaml(path)
    refuse_kind(data, path, "observations")
    try:
        observations = ObservationsFile.model_validate(data).observations
    except ValidationError as e:
        raise ConfigError(_format_errors(e, data), file=path) from None
    first: dict[str, int] = {}
    for i, o in enumerate(observations):
        if o.id in first:
            raise ConfigError(f"got {o.id!r}, the id of observations[{first[o.id]}]; expected unique ids",
                              file=path, path=f"observations[{i}].id", value=o.id)
        first[o.id] = i
    return observations


# --------------------------------------------------------------------------------------
# the results directory


@dataclass
class ScoredResults:
    """The tables of a `market-sim run` results directory that scoring reads, with accessors
    returning (replications x ...) arrays in the order of `replications` and `vendors`."""

    directory: Path
    vm: pd.DataFrame
    mm: pd.DataFrame

    def __post_init__(self) -> None:
        self.replications = sorted(self.vm["replication"].unique().tolist())
        self.months = list(dict.fromkeys(self.vm["month"]))
        self.vendors = list(dict.fromkeys(self.vm["vendor"]))
        self.vendor_measures = _numeric(self.vm)
        self.market_measures = _numeric(self.mm)
        self._by_month = {m: d for m, d in self.vm.groupby("month", sort=False)}
        self._market_by_month = {m: d for m, d in self.mm.groupby("month", sort=False)}

    def vendor_values(self, measure: str, month: str, vendors: list[str]) -> np.ndarray:
        """(R x len(vendors)) values of a vendor measure at `month` (NaN where a row is missing)."""
        table = self._by_month[month].pivot(index="replication", columns="vendor", values=measure)
        return table.reindex(index=self.replications, columns=vendors).to_numpy(dtype=float)

    def states(self, vendor: str, month: str) -> np.ndarray:
        """(R,) observable states of `vendor` at `month` ("" for none)."""
        rows = self._by_month[month]
        status = rows[rows["vendor"] == vendor].set_index("replication")["status"].reindex(self.replications)
        return scoring.state_of_status(status.fillna("").to_numpy(dtype=object))

    def market_values(self, measure: str, month: str) -> np.ndarray:
        """(R,) values of a market measure at `month`."""
        rows = self._market_by_month.get(month)
        if rows is None:
            return np.full(len(self.replications), np.nan)
        return rows.set_index("replication")[measure].reindex(self.replications).to_numpy(dtype=float)

    def pooled(self, measure: str, market: bool) -> np.ndarray:
        """Every simulated value of a measure: all replications and months, and for a vendor
        measure all vendors in the market (status other than not_entered)."""
        if market:
            return self.mm[measure].to_numpy(dtype=float)
        return self.vm.loc[self.vm["status"] != "not_entered", measure].to_numpy(dtype=float)


def _numeric(df: pd.DataFrame) -> list[str]:
    return [c for c in df.columns if c not in NOT_MEASURES and pd.api.types.is_numeric_dtype(df[c])
            and not pd.api.types.is_bool_dtype(df[c])]


def _is_experiment_or_sweep(d: Path) -> str:
    """What kind of other market-sim directory `d` is ('' if none)."""
    if (d / "experiment.yaml").exists() or (d / "sweep" / "sweep.yaml").exists():
        return "an experiment directory (market-sim experiment)"
    if (d / "sweep.yaml").exists() or (d / "chunks").is_dir():
        return "a sweep directory (market-sim sweep)"
    return ""


def load_results(directory: str | Path) -> ScoredResults:
    """The vendor-month and market-month tables of a run's results directory; a ConfigError
    naming what is missing for anything else (experiment and sweep directories keep each run's
    final outcomes and market months, not each replication's vendor states by month)."""
    d = Path(directory)
    if not d.is_dir():
        raise ConfigError("not found (expected a results directory written by market-sim run)" if not d.exists()
                          else "is a file, not a results directory written by market-sim run", file=d)
    other = _is_experiment_or_sweep(d)
    if other and not (d / "vendor_month.parquet").exists():
        raise ConfigError(f"{other}: it keeps each run's final outcomes (chunks/vendors-*.parquet) and market "
                          "months, not vendor_month.parquet (each replication's vendor states by month), which "
                          "scoring needs; score a results directory of  market-sim run CONFIG -n N --out DIR", file=d)
    for name in ("vendor_month.parquet", "market_month.parquet"):
        if not (d / name).exists():
            raise ConfigError(f"{name} missing: not a results directory written by market-sim run", file=d)
    try:
        vm = pd.read_parquet(d / "vendor_month.parquet")
        mm = pd.read_parquet(d / "market_month.parquet")
    except Exception as e:  # noqa: BLE001 - any unreadable table is the same bad input
        raise ConfigError(f"cannot read its tables ({type(e).__name__}: {e})", file=d) from None
    for name, df, needed in (("vendor_month", vm, ("replication", "month", "vendor", "status")),
                             ("market_month", mm, ("replication", "month"))):
        missing = [c for c in needed if c not in df.columns]
        if missing:
            raise ConfigError(f"{name}.parquet lacks columns {missing}", file=d)
    if vm.empty:
        raise ConfigError("vendor_month.parquet has no rows", file=d)
    return ScoredResults(d, vm, mm)


# --------------------------------------------------------------------------------------
# observations against the results


def _one_of(value: str, allowed: list[str], what: str) -> str | None:
    if value in allowed:
        return None
    return f"got {value!r}; expected {what} {suggest(value, allowed)}"


def _month_problem(month: str, months: list[str]) -> str | None:
    return None if month in months else (f"got {month!r}; expected a month of the results, "
                                         f"{months[0]} .. {months[-1]}")


def check_observations(observations: list, results: ScoredResults, observed: str | Path,
                       status_quo_month: str) -> None:
    """Every vendor, month and measure named by the observations (and then the status-quo
    month) exists in the results; one ConfigError line per problem otherwise."""
    problems: list[str] = []

    def add(path: str, problem: str | None) -> None:
        if problem:
            problems.append(f"{path}: {problem}")

    vendors, months = results.vendors, results.months
    for i, o in enumerate(observations):
        at = f"observations[{i}]"
        add(f"{at}.month", _month_problem(o.month, months))
        if o.kind == "state":
            add(f"{at}.vendor", _one_of(o.vendor, vendors, "a vendor of the results"))
        elif o.kind == "rank":
            add(f"{at}.measure", _one_of(o.measure, results.vendor_measures, "a vendor measure"))
            for j, v in enumerate(o.order):
                add(f"{at}.order[{j}]", _one_of(v, vendors, "a vendor of the results"))
            for j, v in enumerate(o.among or []):
                add(f"{at}.among[{j}]", _one_of(v, vendors, "a vendor of the results"))
        else:
            if o.vendor is not None:
                add(f"{at}.vendor", _one_of(o.vendor, vendors, "a vendor of the results"))
                add(f"{at}.measure", _one_of(o.measure, results.vendor_measures, "a vendor measure"))
            else:
                add(f"{at}.measure", _one_of(o.measure, results.market_measures,
                                             "a market measure (or give a vendor for a vendor measure)"))
    if problems:
        raise ConfigError("\n".join(problems), file=observed)
    sq_problem = (f"got {status_quo_month!r}; expected a month written YYYY-MM" if not MONTH_RE.match(status_quo_month)
                  else _month_problem(status_quo_month, results.months))
    if sq_problem:
        raise ConfigError(sq_problem, path="--status-quo-month", value=status_quo_month)


# --------------------------------------------------------------------------------------
# scoring


def event(o, results: ScoredResults, month: str) -> np.ndarray:
    """(R,) does observation `o`'s event hold at `month` in each replication?"""
    if o.kind == "state":
        return scoring.state_event(results.states(o.vendor, month), o.state)
    if o.kind == "rank":
        among = o.among or results.vendors
        values = results.vendor_values(o.measure, month, among)
        return scoring.rank_event(values, np.array([among.index(v) for v in o.order]))
    values = (results.market_values(o.measure, month) if o.vendor is None
              else results.vendor_values(o.measure, month, [o.vendor])[:, 0])
    return scoring.range_event(values, o.low, o.high)


def uniform_forecast(o, results: ScoredResults) -> float:
    """state: 1/4; rank: (n-k)!/n! over the n vendors ranked; range: the share of the pooled
    simulated values of the measure within [low, high]."""
    if o.kind == "state":
        return 1.0 / len(scoring.STATES)
    if o.kind == "rank":
        return scoring.uniform_rank_probability(len(o.among or results.vendors), len(o.order))
    return scoring.uniform_range_probability(results.pooled(o.measure, market=o.vendor is None), o.low, o.high)


def score_table(observations: list, results: ScoredResults, status_quo_month: str) -> pd.DataFrame:
    """One row per observation and forecaster: p, outcome, Brier and log scores."""
    R = len(results.replications)
    rows = []
    for o in observations:
        forecasts = {"model": scoring.probability(event(o, results, o.month)),
                     "uniform": uniform_forecast(o, results),
                     "status_quo": scoring.probability(event(o, results, status_quo_month))}
        outcome = 1 if o.happened else 0
        for name, p in forecasts.items():
            rows.append({"id": o.id, "kind": o.kind, "month": o.month, "forecaster": name, "p": p,
                         "outcome": outcome, "brier": float(scoring.brier(p, outcome)),
                         "log_score": float(scoring.log_score(p, outcome, R))})
    return pd.DataFrame(rows)


def summarise(table: pd.DataFrame, replications: int, status_quo_month: str, observed: Path,
              results_dir: Path) -> dict:
    """Mean scores per forecaster, the model's skill against each reference, reliability."""
    means = {}
    for name in FORECASTERS:
        t = table[table["forecaster"] == name]
        rel = scoring.reliability_bins(t["p"], t["outcome"], BINS)
        means[name] = {"observations": int(len(t)), "mean_brier": float(t["brier"].mean()),
                       "mean_log_score": float(t["log_score"].mean()),
                       "reliability_error": scoring.reliability_error(t["p"], t["outcome"], BINS),
                       "reliability_bins": {"count": rel["count"].tolist(),
                                            "mean_forecast": _nulls(rel["mean_forecast"]),
                                            "observed_frequency": _nulls(rel["observed"])}}
    skill = {f"model_vs_{ref}": scoring.skill(means["model"]["mean_brier"], means[ref]["mean_brier"])
             for ref in REFERENCES}
    skill["status_quo_vs_uniform"] = scoring.skill(means["status_quo"]["mean_brier"], means["uniform"]["mean_brier"])
    eps = 1.0 / (2 * replications)
    return {"observations_file": str(observed), "results_directory": str(results_dir),
            "replications": replications, "status_quo_month": status_quo_month,
            "log_score_clip": [eps, 1 - eps], "forecasters": means,
            "brier_skill": {k: (None if np.isnan(v) else v) for k, v in skill.items()}}


def _nulls(a: np.ndarray) -> list:
    return [None if not np.isfinite(x) else float(x) for x in a]


# --------------------------------------------------------------------------------------
# outputs


def reliability_figure(table: pd.DataFrame):
    """Forecast probability (binned) against observed frequency for every binary observation:
    the model's bins with their counts, the references' bins in other markers, the diagonal."""
    from matplotlib.figure import Figure

    from .plots import NON_VENDOR

    fig = Figure(figsize=(6.5, 6.5), layout="constrained")
    ax, bars = fig.subplots(2, 1, height_ratios=[3, 1], sharex=True)
    ax.plot([0, 1], [0, 1], ":", color=NON_VENDOR["index"], lw=1, label="perfect reliability")
    styles = {"model": ("o", "-", "#1f77b4"), "uniform": ("s", "none", "#7f7f7f"),
              "status_quo": ("^", "none", "#d62728")}
    width = 1.0 / BINS / 4
    for i, name in enumerate(FORECASTERS):
        t = table[table["forecaster"] == name]
        rel = scoring.reliability_bins(t["p"].to_numpy(), t["outcome"].to_numpy(), BINS)
        keep = rel["count"] > 0
        marker, line, colour = styles[name]
        ax.plot(rel["mean_forecast"][keep], rel["observed"][keep], marker=marker, ls=line, color=colour,
                mfc=colour if name == "model" else "none", ms=6 if name == "model" else 11,
                zorder=3 if name == "model" else 2, label=name.replace("_", "-"))
        if name == "model":
            for x, y, n in zip(rel["mean_forecast"][keep], rel["observed"][keep], rel["count"][keep]):
                ax.annotate(f"n={n}", (x, y), textcoords="offset points", xytext=(-30 if x > 0.85 else 6, -12),
                            fontsize=7, color=colour)
        centres = rel["edges"][:-1] + 1.0 / BINS / 2
        bars.bar(centres + (i - 1) * width, rel["count"], width=width, color=colour, label=name.replace("_", "-"))
    ax.set_xlim(-0.03, 1.03)
    ax.set_ylim(-0.03, 1.03)
    ax.set_ylabel("observed frequency")
    ax.set_title(f"Reliability over {table['id'].nunique()} binary observations ({BINS} bins)", fontsize=10)
    ax.legend(fontsize=8, loc="upper left")
    bars.set_xlabel("forecast probability")
    bars.set_ylabel("observations")
    bars.legend(fontsize=7, ncol=3)
    return fig


def check_scores_dir(out: Path) -> None:
    """Refuse to replace a directory that is not a scores directory of ours."""
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / SCORES_MARKER).exists())):
        raise ConfigError("exists and is not a market-sim scores directory; choose another --out",
                          path="--out", value=str(out))


def _json_safe(value):
    """NaN and infinities as null (JSON has no NaN), recursively."""
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def write_scores(table: pd.DataFrame, summary: dict, out: str | Path) -> dict[str, Path]:
    """scores.csv, summary.json and reliability.png, written atomically into `out`."""
    out = Path(out)
    with atomic_directory(out) as tmp:
        table.to_csv(tmp / SCORES_MARKER, index=False)
        (tmp / "summary.json").write_text(json.dumps(_json_safe(summary), indent=2, allow_nan=False))
        reliability_figure(table).savefig(tmp / "reliability.png", dpi=120)
    return {"scores": out / SCORES_MARKER, "summary": out / "summary.json", "reliability": out / "reliability.png"}


def text_table(table: pd.DataFrame, summary: dict) -> str:
    """The terminal's table: per observation the three forecasts and the model's scores, then
    the mean scores and skills."""
    wide = table.pivot(index="id", columns="forecaster", values="p").reindex(list(dict.fromkeys(table["id"])))
    model = table[table["forecaster"] == "model"].set_index("id")
    width = max(12, *(len(i) for i in wide.index))
    lines = [f"{'observation':<{width}} {'kind':<5} {'month':<7} {'o':>1} {'p model':>8} {'uniform':>8} "
             f"{'status quo':>10} {'Brier':>7} {'log':>7}"]
    for oid, row in wide.iterrows():
        m = model.loc[oid]
        lines.append(f"{oid:<{width}} {m['kind']:<5} {m['month']:<7} {int(m['outcome']):>1} {row['model']:>8.3f} "
                     f"{row['uniform']:>8.3f} {row['status_quo']:>10.3f} {m['brier']:>7.3f} {m['log_score']:>7.3f}")
    lines.append("")
    lines.append(f"{'forecaster':<12} {'mean Brier':>10} {'mean log':>9} {'reliability':>11}")
    for name, s in summary["forecasters"].items():
        lines.append(f"{name:<12} {s['mean_brier']:>10.4f} {s['mean_log_score']:>9.4f} {s['reliability_error']:>11.4f}")
    skills = ", ".join(f"{k.replace('_vs_', ' vs ')} {_fmt(v)}" for k, v in summary["brier_skill"].items())
    lines.append(f"\nBrier skill (1 - Brier / Brier of the reference): {skills}")
    eps = summary["log_score_clip"][0]
    lines.append(f"log score: ln(probability given to the outcome), p clipped to [{eps:.4g}, {1 - eps:.4g}] "
                 f"= [1/(2R), 1-1/(2R)], R = {summary['replications']}; status quo: {summary['status_quo_month']}")
    return "\n".join(lines)


def _fmt(v: float | None) -> str:
    return "n/a (reference perfect)" if v is None else f"{v:+.3f}"


def run_score(observed: Path, results_dir: Path, out: Path | None = None,
              status_quo_month: str = DEFAULT_STATUS_QUO_MONTH) -> tuple[pd.DataFrame, dict, dict[str, Path]]:
    """Validate everything (a ConfigError before any output), score, write. Returns the table,
    the summary and the paths written."""
    observed, results_dir = Path(observed), Path(results_dir)
    observations = load_observations(observed)
    results = load_results(results_dir)
    check_observations(observations, results, observed, status_quo_month)
    out = Path(out) if out is not None else results_dir / "scores"
    check_scores_dir(out)
    table = score_table(observations, results, status_quo_month)
    summary = summarise(table, len(results.replications), status_quo_month, observed, results_dir)
    return table, summary, write_scores(table, summary, out)

