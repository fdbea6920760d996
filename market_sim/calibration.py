"""Calibration by approximate Bayesian computation, sequential Monte Carlo (ABC-SMC; pyabc).

What is fitted. The parameters with a prior (`market_sim.priors`: every `assumed(...)` key of the
schema, uniform or log-uniform over its range) against the history-friendly targets of
validation/targets.yaml whose months lie in the calibration window (2024: the model runs
`CALIBRATION_MONTHS` months from 2024-01 and sees nothing later; a target measured after the
window, such as a forecast made in 2024 about 2025, is left out and listed as such).

Summary statistics. For a parameter set theta the model runs `k` replications (independent seeds)
and each target t gives its met share s_t(theta) in [0, 1]: the share of the k histories in which
the pattern holds. The observed value o_t is 1 for every fact (it happened), or, for a synthetic
test, the pattern's 0/1 value in one history simulated at a known theta* (reality is one history).

Distance (dimensionless, in [0, 1]): the weighted root-mean-square miss

    d(theta) = sqrt( sum_t w_t (s_t - o_t)^2 / sum_t w_t ),   w_t = 1 / (sigma_t^2 + 1 / (4 k))

sigma_t is the fact's measurement noise on the 0-1 scale: the chance that the recorded pattern
is misread from its source (`FACT_NOISE`: 0.15 for a sourced fact, 0.30 for one its facts file
marks UNVERIFIED); 1 / (4k) is the largest variance of a met share over k histories (binomial,
p = 1/2), so a target's weight also reflects how noisily k runs can show it.

Determinism. pyabc's own parallel samplers evaluate particles in whatever order workers finish.
`SeededBatchSampler` evaluates candidates in batches; candidate i of generation t seeds numpy's
global generator (which pyabc's priors and transitions draw from) with
SeedSequence(seed, spawn_key=(t + 1, i)); the first n accepted in candidate order make the
population. So the same seed gives the same posterior on 1 or 2 workers or on Dask, and a resumed
calibration continues as if it had not stopped.
"""

from __future__ import annotations

import math
import multiprocessing
import random
import time
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyabc
from pyabc.sampler import Sampler

from .calendar import MONTH_RE
from .execution import start_worker
from .priors import Prior
from .runner import simulate
from .validation import MEASURES, measure_context

CALIBRATION_MONTHS = 12
FACT_NOISE = {"sourced": 0.15, "unverified": 0.30}


# --------------------------------------------------------------------------------------
# targets and distance (pure functions)


@dataclass(frozen=True)
class CalibrationTarget:
    id: str
    measure: str
    params: dict
    source: str
    fact: str
    noise: float


def months_in(params: Any) -> list[str]:
    """Every 'YYYY-MM' string in a target's params (nested lists included)."""
    if isinstance(params, dict):
        return [m for v in params.values() for m in months_in(v)]
    if isinstance(params, list | tuple):
        return [m for v in params for m in months_in(v)]
    if isinstance(params, str) and MONTH_RE.match(params):
        return [params]
    return []


def within_window(target: dict, last_month: str, last_year: int) -> bool:
    """A target is measured inside the calibration window when every month it names is at or
    before `last_month` and every `year` it names is at or before `last_year`."""
    params = target.get("params", {})
    year = params.get("year")
    return all(m <= last_month for m in months_in(params)) and (year is None or int(year) <= last_year)


def fact_noise(fact: dict | None) -> float:
    """sigma_t of a fact: FACT_NOISE['unverified'] if its entry says UNVERIFIED, else 'sourced'."""
    text = " ".join(str(v) for v in (fact or {}).values())
    return FACT_NOISE["unverified"] if "UNVERIFIED" in text else FACT_NOISE["sourced"]


def target_weights(noise: Sequence[float], replications: int) -> np.ndarray:
    """w_t = 1 / (sigma_t^2 + 1/(4k)), normalised to sum 1."""
    w = 1.0 / (np.asarray(noise, float) ** 2 + 1.0 / (4.0 * replications))
    return w / w.sum()


def weighted_miss(simulated: np.ndarray, observed: np.ndarray, weights: np.ndarray) -> float:
    """d = sqrt(sum w (s - o)^2 / sum w): 0 when every pattern matches in every history."""
    s, o, w = (np.asarray(a, float) for a in (simulated, observed, weights))
    return float(np.sqrt(np.sum(w * (s - o) ** 2) / np.sum(w)))


class TargetDistance:
    """pyabc distance over dicts of met shares (picklable for worker processes)."""

    def __init__(self, ids: Sequence[str], weights: np.ndarray):
        self.ids = list(ids)
        self.weights = np.asarray(weights, float)

    def __call__(self, x: dict, x_0: dict) -> float:
        return weighted_miss(np.array([x[i] for i in self.ids]), np.array([x_0[i] for i in self.ids]), self.weights)


# --------------------------------------------------------------------------------------
# parameters. A prior is uniform in its own coordinate c (the value, or log10 of it for a
# log-uniform prior) over [c_low, c_high]; u = (c - c_low) / (c_high - c_low) is uniform on
# [0, 1]. pyabc works in z = logit(u), whose prior is the standard logistic distribution: an
# unbounded space, so its Gaussian perturbation kernels never propose outside the box (with 70
# bounded parameters almost every proposal would leave it: 0.8^70 ~ 1e-7 inside).


def prior_coordinate(prior: Prior, value: float) -> float:
    return math.log10(value) if prior.scale == "log-uniform" else float(value)


def to_unit(prior: Prior, value: float) -> float:
    """u in [0, 1]: where a value lies in its prior, in the prior's coordinate."""
    lo, hi = prior_coordinate(prior, prior.low), prior_coordinate(prior, prior.high)
    return (prior_coordinate(prior, value) - lo) / (hi - lo)


def from_unit(prior: Prior, u: float) -> float | int:
    lo, hi = prior_coordinate(prior, prior.low), prior_coordinate(prior, prior.high)
    c = lo + float(np.clip(u, 0.0, 1.0)) * (hi - lo)
    return prior.sample_to_value(10.0 ** c if prior.scale == "log-uniform" else c)


def logit(u: float) -> float:
    u = float(np.clip(u, 1e-12, 1.0 - 1e-12))
    return math.log(u / (1.0 - u))


def sigmoid(z: float | np.ndarray) -> float | np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(z, float)))


def to_internal(prior: Prior, value: float) -> float:
    """z = logit(u): the coordinate pyabc samples in."""
    return logit(to_unit(prior, value))


def to_value(prior: Prior, internal: float) -> float | int:
    return from_unit(prior, float(sigmoid(internal)))


def pyabc_prior(priors: Sequence[Prior]) -> pyabc.Distribution:
    """Standard logistic on z = logit(u) for every parameter: uniform u, i.e. the prior."""
    return pyabc.Distribution(**{p.key: pyabc.RV("logistic", 0.0, 1.0) for p in priors})


def transition(priors: Sequence[Prior]) -> pyabc.AggregatedTransition:
    """One Gaussian kernel per parameter (the proposal is the product of the marginals' kernels):
    a joint kernel in 70 dimensions needs more particles than dimensions to estimate its
    covariance, and its density underflows to 0 away from the particles, which breaks the
    importance weights. Correlations between parameters are still in the posterior (the
    particles carry them); only the proposal ignores them."""
    return pyabc.AggregatedTransition({p.key: pyabc.MultivariateNormalTransition() for p in priors})


def overrides_of(priors: Sequence[Prior], internal: dict) -> dict[str, float | int]:
    """Config overrides (natural units, integers rounded) of one particle."""
    return {p.key: to_value(p, internal[p.key]) for p in priors}


# --------------------------------------------------------------------------------------
# the simulated histories of one parameter set


UNIT_PREFIX = "u:"  # summary-statistic key of a parameter proposed from its prior: its u in [0, 1]


@dataclass
class HistoryModel:
    """theta -> met share of each target over `replications` histories of the calibration window.

    `adaptive` parameters come from pyabc's particle (z coordinates); `free` ones are drawn from
    their prior for every candidate (u uniform on [0, 1]) and returned in the summary statistics
    under UNIT_PREFIX + key, so the accepted histories carry them: a proposal equal to the prior
    for those coordinates leaves the importance weights unchanged, and the joint posterior is
    still sampled exactly (only the proposal does not adapt to them).

    Called by pyabc with a particle; its randomness comes from numpy's global generator, which
    the sampler seeds per candidate. A parameter set the schema refuses (a combination its
    validators reject) meets nothing (`refused` = 1) and the distance rejects it."""

    config: dict
    adaptive: list[Prior]
    free: list[Prior]
    targets: list[CalibrationTarget]
    replications: int

    def __call__(self, particle) -> dict[str, float]:
        seed = int(np.random.randint(0, 2**31 - 1))
        units = np.random.uniform(size=len(self.free))
        overrides = overrides_of(self.adaptive, dict(particle)) | {
            p.key: from_unit(p, u) for p, u in zip(self.free, units)}
        stats = self.met_shares(overrides, np.random.SeedSequence(seed))
        return stats | {UNIT_PREFIX + p.key: float(u) for p, u in zip(self.free, units)}

    def met_shares(self, overrides: dict, seed: np.random.SeedSequence) -> dict[str, float]:
        from .config import ConfigError, load_config

        try:
            cfg = load_config(self.config, overrides)
        except ConfigError:
            return {t.id: 0.0 for t in self.targets} | {"refused": 1.0}
        met = np.zeros(len(self.targets))
        for child in seed.spawn(self.replications):
            met += history_patterns(cfg, child, self.targets)
        return dict(zip([t.id for t in self.targets], (met / self.replications).tolist())) | {"refused": 0.0}


def history_patterns(cfg, seed: np.random.SeedSequence, targets: Sequence[CalibrationTarget]) -> np.ndarray:
    """1/0 per target: does the pattern hold in one simulated history?"""
    out = simulate(cfg, seed)
    ctx = measure_context(cfg, out["market_month"])
    return np.array([bool(MEASURES[t.measure](out["vendor_month"], out["events"], ctx, **t.params)[1])
                     for t in targets], float)


# --------------------------------------------------------------------------------------
# screening: which parameters the proposal adapts to


SCREEN_SPAWN_KEY = 2**31 - 41  # the pilot's candidates: never a generation's key (t + 1 >= 0, small)


def screen_seed(seed: int, index: int) -> int:
    return int(np.random.SeedSequence(seed, spawn_key=(SCREEN_SPAWN_KEY, index)).generate_state(1)[0])


def influence(units: np.ndarray, distances: np.ndarray) -> np.ndarray:
    """|Spearman rank correlation| of each parameter's u (columns) with the distance (0 where
    either does not vary)."""
    from scipy.stats import spearmanr

    with np.errstate(invalid="ignore", divide="ignore"):
        rho = spearmanr(np.column_stack([units, distances])).statistic[-1, :-1]
    return np.abs(np.nan_to_num(rho))


def choose_adaptive(influences: np.ndarray, n: int, most: int) -> np.ndarray:
    """Indices of the parameters whose |rho| with the distance exceeds 3 / sqrt(n) (about the
    0.3% level of a rank correlation under no association), the `most` strongest at most (and the
    strongest one if none does)."""
    order = np.argsort(-influences, kind="stable")
    keep = [i for i in order if influences[i] > 3.0 / np.sqrt(n)][:most] or list(order[:1])  # pyabc needs one
    return np.array(sorted(keep), dtype=int)


# --------------------------------------------------------------------------------------
# a deterministic parallel sampler


def candidate_seed(seed: int, generation: int, index: int) -> int:
    """numpy global seed of candidate `index` in `generation` (pyabc's calibration sample is
    generation -1, hence the + 1)."""
    return int(np.random.SeedSequence(seed, spawn_key=(generation + 1, index)).generate_state(1)[0])


_SIMULATE_ONE: Callable | None = None


def _evaluate(seeds: list[int], simulate_one: Callable | None = None) -> list:
    simulate_one = simulate_one or _SIMULATE_ONE
    particles = []
    for s in seeds:
        np.random.seed(s)
        random.seed(s)
        particles.append(simulate_one())
    return particles


def _evaluate_pickled(simulate_one_bytes: bytes, seeds: list[int]) -> list:
    import cloudpickle

    return _evaluate(seeds, cloudpickle.loads(simulate_one_bytes))


def _epsilon(ana_vars, t: int) -> float | None:
    try:
        return float(ana_vars.eps(t))
    except Exception:  # noqa: BLE001 - no epsilon yet (the prior sample) or an epsilon without a value for t
        return None


def progress_line(label: str, accepted: int, n: int, evaluated: int, seconds: float) -> str:
    """'generation 3 (epsilon 0.41): 120/200 accepted of 390 evaluated (31%), 95 s, about 63 s left'."""
    rate = accepted / evaluated if evaluated else 0.0
    left = (n - accepted) / rate * seconds / evaluated if accepted else float("nan")
    eta = f", about {left:.0f} s left" if accepted < n and np.isfinite(left) else ""
    return f"  {label}: {accepted}/{n} accepted of {evaluated} evaluated ({rate:.0%}), {seconds:.0f} s{eta}"


class SeededBatchSampler(Sampler):
    """A pyabc sampler whose populations depend only on the seed (see the module docstring).

    Candidates are evaluated in batches sized to the last acceptance rate (batch size changes
    only the wasted work, never the result) on `workers` forked processes or a Dask cluster."""

    def __init__(self, seed: int, workers: int = 1, dask_client=None, chunk: int = 4,
                 report: Callable[[str], None] | None = None):
        super().__init__()
        self.seed, self.workers, self.dask_client, self.chunk = int(seed), int(workers), dask_client, int(chunk)
        self.report = report or (lambda line: None)
        self.report_seconds = 20.0
        self.acceptance_rate = 0.5

    def sample_until_n_accepted(self, n, simulate_one, t, *, max_eval=np.inf, all_accepted=False, ana_vars=None):
        started = last_report = time.perf_counter()
        epsilon = _epsilon(ana_vars, t)
        label = "prior sample" if t < 0 else f"generation {t} (epsilon {epsilon:.3f})" if epsilon else f"generation {t}"
        sample = self._create_empty_sample()
        accepted, used, next_index = 0, 0, 0
        with self.evaluator(simulate_one) as evaluate:
            while accepted < n and next_index < max_eval:
                rate = 1.0 if all_accepted else max(self.acceptance_rate, 0.01)
                size = int(min(max(math.ceil(1.1 * (n - accepted) / rate), self.workers * self.chunk), 4 * n + 64))
                seeds = [candidate_seed(self.seed, t, i) for i in range(next_index, next_index + size)]
                next_index += size
                for particle in evaluate(seeds):  # in candidate order
                    sample.append(particle)
                    used += 1
                    accepted += bool(particle.accepted)
                    now = time.perf_counter()
                    if accepted >= n or now - last_report >= self.report_seconds:
                        last_report = now
                        self.report(progress_line(label, accepted, n, used, now - started))
                    if accepted >= n:
                        break
        self.nr_evaluations_ = used
        if not all_accepted and used:
            self.acceptance_rate = accepted / used
        if accepted < n:
            sample.ok = False
        return sample

    @contextmanager
    def evaluator(self, simulate_one):
        """A function seeds -> the candidates' results, in candidate order, as they come: on the
        Dask cluster, on forked workers (which inherit `simulate_one`) or in this process."""
        global _SIMULATE_ONE
        chunking = self.chunk

        def chunks(seeds):
            return [seeds[i:i + chunking] for i in range(0, len(seeds), chunking)]

        def flatten(parts):
            for part in parts:
                yield from part

        if self.dask_client is not None:
            import cloudpickle

            client = self.dask_client
            payload = client.scatter(cloudpickle.dumps(simulate_one), broadcast=True)
            yield lambda seeds: flatten(f.result() for f in client.map(
                _evaluate_pickled, [payload] * len(chunks(seeds)), chunks(seeds), pure=False))
        elif self.workers > 1:
            _SIMULATE_ONE = simulate_one  # inherited by the forked workers
            pool = multiprocessing.get_context("fork").Pool(self.workers, initializer=start_worker)
            try:
                yield lambda seeds: flatten(pool.imap(_evaluate, chunks(seeds)))
            finally:
                pool.terminate()
                pool.join()
                _SIMULATE_ONE = None
        else:
            yield lambda seeds: flatten(_evaluate(c, simulate_one) for c in chunks(seeds))
