"""Feature catch-up: innovation, imitation (copy or leapfrog) and hype.

Capabilities are (vendors x features) in internal units: index points, or log10 tokens for
context. The global frontier is an exogenous path; the domestic best is whatever the best
active vendor has released. R&D strength scales with talent (skill x headcount^0.5, as
density beats headcount) and compute per researcher.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from .. import kernels


def rd_strength(headcount: np.ndarray, skill: np.ndarray, gpus: np.ndarray,
                talent_elasticity: float, compute_elasticity: float,
                reference_headcount: float = 500.0, reference_gpus_per_head: float = 10.0) -> np.ndarray:
    """R&D strength relative to a reference lab (500 researchers of skill 1 with 10 GPUs each)."""
    h = np.maximum(np.asarray(headcount, float), 0.0)
    talent = skill * (h / reference_headcount) ** talent_elasticity
    per_head = np.asarray(gpus, float) / np.maximum(h, 1.0)
    compute = (np.maximum(per_head, 1e-3) / reference_gpus_per_head) ** compute_elasticity
    return np.where(h > 0, talent * compute, 0.0)


def innovate(rng: np.random.Generator, capability: np.ndarray, frontier: np.ndarray,
             release_rate: np.ndarray, step: np.ndarray,
             damping_scale: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Own R&D. Vendor v makes Poisson(release_rate[v, f]) releases on feature f in a month
    (`release_rate` is per vendor, or vendors x features), each adding step[f] x
    Exponential(1): the month's effort is step x Gamma(releases), so expected progress is
    rate x step however high the rate (a one-release-a-month draw would saturate). Past the
    global frontier progress is harder (`past_frontier`): effort turns into level at the rate
    exp(-ahead / scale), scale `damping_scale[f]` (default: step). Returns (new capability,
    released mask)."""
    v, f = capability.shape
    rate = np.asarray(release_rate, float)
    if rate.shape != (v, f):  # (a broadcast view costs more than the draws it feeds)
        rate = np.broadcast_to(rate if rate.ndim == 2 else rate[:, None], (v, f))
    count_u, size_u = rng.random((2, v, f))  # fixed count: a vendor's rate never shifts another's draws
    releases = poisson_quantile(count_u, rate)
    scale = step if damping_scale is None else np.asarray(damping_scale, float)
    if (kernels.enabled() and capability.dtype == np.float64
            and np.shape(step) == np.shape(scale) == np.shape(frontier) == (f,)):
        # the same numbers by kernels around numpy's logarithms (past_frontier's arithmetic)
        start, ratio, past, effort = kernels.beyond_frontier_arguments(
            capability, gamma_quantile(size_u, releases), np.asarray(step, float), np.asarray(frontier, float),
            scale)
        with np.errstate(divide="ignore"):
            log_sum = np.logaddexp(start, np.log(ratio))
        return (kernels.innovated_levels(capability, effort, past, log_sum, np.asarray(frontier, float), scale,
                                         releases), releases > 0)
    effort = step[None, :] * gamma_quantile(size_u, releases)
    released = releases > 0
    return np.where(released, past_frontier(capability, effort, frontier, scale), capability), released


def past_frontier(capability: np.ndarray, effort: np.ndarray, frontier: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Level after `effort` (internal units) when progress past the global frontier F slows
    as d(level)/d(effort) = exp(-(level - F) / scale): effort counts in full up to F; past it,
    a level a above F after effort e' is scale x ln(exp(a0 / scale) + e' / scale). So no
    single lucky month can carry a lab far past the state of the art, from below or above."""
    ahead = capability - frontier[None, :]
    room = np.maximum(-ahead, 0.0)                    # effort that counts in full (below F)
    past = np.maximum(effort - room, 0.0)              # effort spent past F
    s = np.broadcast_to(np.asarray(scale, float)[None, :], capability.shape)
    start = np.maximum(ahead, 0.0) / s
    with np.errstate(divide="ignore"):
        beyond = s * np.logaddexp(start, np.log(past / s))
    return np.where(past > 0, frontier[None, :] + beyond, capability + effort)


def poisson_quantile(uniform: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """Poisson(rate) draws by inverse CDF, one uniform each: the smallest k with
    P(K <= k) >= u (the pmf is built up term by term, pmf_k = pmf_(k-1) rate / k)."""
    rate = np.asarray(rate, float)
    pmf = np.exp(-rate)
    if kernels.enabled() and np.shape(uniform) == rate.shape and np.asarray(uniform).dtype == np.float64:
        return kernels.poisson_quantile(np.asarray(uniform).ravel(), rate.ravel(), pmf.ravel()).reshape(rate.shape)
    cdf = pmf.copy()
    k = np.zeros(rate.shape, np.int64)
    for n in range(1, 200):  # 200 terms cover any monthly release rate the config allows (<= 500 per month)
        below = cdf < uniform
        if not below.any():
            break
        k += below
        pmf = pmf * rate / n
        cdf = cdf + pmf
    return k


def gamma_quantile(uniform: np.ndarray, shape: np.ndarray) -> np.ndarray:
    """Gamma(shape, 1) draws by inverse CDF, one uniform each (0 where shape is 0)."""
    shape = np.asarray(shape, float)
    out = np.zeros(shape.shape)
    pos = shape > 0
    if pos.any():
        out[pos] = special.gammaincinv(shape[pos], uniform[pos])
    return out


def best_public_level(capability: np.ndarray, active: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per feature, the best level released by an active vendor and which vendor holds it."""
    if (kernels.enabled() and capability.ndim == 2 and capability.shape[0] and capability.dtype == np.float64
            and np.shape(active) == capability.shape[:1]):
        return kernels.best_public_level(capability, np.asarray(active, bool))
    masked = np.where(active[:, None], capability, -np.inf)
    leader = np.argmax(masked, axis=0)
    return masked[leader, np.arange(capability.shape[1])], leader


def copy_probability(expected_lag_months: np.ndarray) -> np.ndarray:
    """Monthly probability of closing the gap to the public best, for an exponential lag."""
    return 1.0 - np.exp(-1.0 / np.maximum(expected_lag_months, 1e-9))


def imitate(rng: np.random.Generator, capability: np.ndarray, best_public: np.ndarray,
            frontier: np.ndarray, expected_lag_months: np.ndarray, leapfrog: np.ndarray,
            can_copy: np.ndarray, copy_share: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Copy or leapfrog: a vendor behind the public best (as released last month) catches up
    with probability `copy_probability(lag)`, landing at the best level plus an overshoot
    (uniform on 0..2 x leapfrog[f], mean `leapfrog`) that never carries it past the global
    frontier: a copy lands at most at max(best, frontier). So copying can close a gap to the
    state of the art but cannot set a record; only own R&D (`innovate`) goes beyond it, and
    a race of copies cannot ratchet the best up month after month.
    `expected_lag_months` is (vendors x features). `copy_share[f]` (default 1) is the share of
    the gap one copy closes: a closed general model cannot be copied whole (absorptive
    capacity). Two uniforms per vendor and feature (copy?, overshoot), whatever the state.
    Returns (new capability, copied mask)."""
    copy_u, overshoot_u = rng.random((2,) + capability.shape)
    behind = (capability < best_public[None, :]) & can_copy[:, None]
    copied = behind & (copy_u < copy_probability(expected_lag_months))
    share = np.ones_like(best_public) if copy_share is None else np.asarray(copy_share, float)
    target = capability + share[None, :] * (best_public[None, :] - capability)
    ceiling = np.maximum(best_public, frontier)
    landed = np.minimum(target + 2.0 * leapfrog[None, :] * overshoot_u, ceiling[None, :])
    return np.where(copied, np.maximum(capability, landed), capability), copied


def diffuse(capability: np.ndarray, best_public: np.ndarray, expected_lag_months: np.ndarray,
            can_copy: np.ndarray) -> np.ndarray:
    """Nelson-Phelps catch-up: a follower closes 1 - exp(-1/lag) of its gap to the public best
    every month (spillovers from papers, open weights, hires and distillation), so the gap
    decays with time constant `lag` months. Deterministic; nobody passes the best this way."""
    gap = np.maximum(best_public[None, :] - capability, 0.0)
    closed = (1.0 - np.exp(-1.0 / np.maximum(expected_lag_months, 1e-9))) * gap
    return capability + np.where(can_copy[:, None], closed, 0.0)


def expected_copy_lag(base_lag_months: float, strength: np.ndarray, leader_open_weights: np.ndarray,
                      open_weights_factor: float) -> np.ndarray:
    """(vendors x features) expected lag: shorter for stronger labs and for open-weights leaders."""
    lag = base_lag_months / np.sqrt(np.maximum(strength, 1e-6))
    factor = np.where(leader_open_weights, open_weights_factor, 1.0)
    return lag[:, None] * factor[None, :]


def headlines(released: np.ndarray, capability: np.ndarray, best_before: np.ndarray,
              active: np.ndarray) -> np.ndarray:
    """(vendors x features) releases that make the news: the one release per feature that
    sets this month's new domestic best (above last month's best and above every other
    release of the month). A copier that merely passes last month's best is no headline."""
    if (kernels.enabled() and np.ndim(capability) == 2 and capability.shape[0] and capability.dtype == np.float64
            and np.shape(released) == capability.shape and np.shape(active) == capability.shape[:1]
            and np.shape(best_before) == capability.shape[1:]):
        return kernels.headlines(np.asarray(released, bool), capability, np.asarray(best_before, float),
                                 np.asarray(active, bool))
    best_now, leader = best_public_level(capability, active)
    news = np.zeros(capability.shape, bool)
    features = np.flatnonzero(best_now > best_before)
    news[leader[features], features] = True
    return news & released


def hype_after(hype: np.ndarray, released: np.ndarray, new_domestic_best: np.ndarray,
               decay: float, per_release: float, per_headline: float) -> np.ndarray:
    """Hype decays by `decay` a month; each release adds `per_release`, and each release that
    sets a new domestic best adds `per_headline` more (the headline effect)."""
    if (kernels.enabled() and np.ndim(released) == 2 and np.shape(new_domestic_best) == np.shape(released)
            and np.shape(hype) == np.shape(released)[:1]):
        return kernels.hype_after(np.asarray(hype, float), np.asarray(released, bool),
                                  np.asarray(new_domestic_best, bool), float(decay), float(per_release),
                                  float(per_headline))
    gain = per_release * released.sum(axis=1) + per_headline * (released & new_domestic_best).sum(axis=1)
    return hype * (1.0 - decay) + gain


def gap_months(capability: np.ndarray, reference: np.ndarray, growth_per_month: np.ndarray) -> np.ndarray:
    """(vendors x features) distance behind `reference` in months of frontier growth (>= 0)."""
    if (kernels.enabled() and np.ndim(capability) == 2 and capability.dtype == np.float64
            and np.shape(reference) == np.shape(growth_per_month) == capability.shape[1:]):
        return kernels.gap_months(capability, np.asarray(reference, float), np.asarray(growth_per_month, float))
    return np.maximum(reference[None, :] - capability, 0.0) / np.maximum(growth_per_month, 1e-9)[None, :]


def release_rates(strength: np.ndarray, innovation_rate: float, focused: np.ndarray, focused_factor: float,
                  active: np.ndarray, feature_rate_factor: np.ndarray) -> np.ndarray:
    """(vendors x features) expected releases per month: innovation_rate x R&D strength,
    times `focused_factor` for a vendor out of the race (no pretraining), times each
    feature's release-rate factor; zero for a vendor no longer selling."""
    rate = innovation_rate * strength * np.where(focused, focused_factor, 1.0)
    return np.where(active, rate, 0.0)[:, None] * feature_rate_factor[None, :]


def catch_up(rng: np.random.Generator, capability: np.ndarray, best_public: np.ndarray, frontier: np.ndarray,
             expected_lag_months: np.ndarray, leapfrog: np.ndarray, can_copy: np.ndarray,
             copy_share: np.ndarray, diffuses: np.ndarray, best_open: np.ndarray | None = None,
             open_lag_months: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Followers close in on last month's public best: features that diffuse (general
    quality) by Nelson-Phelps `diffuse`, the others by a dated copy (`imitate`). Published
    weights are a second, nearer target: every follower also closes in on `best_open` (the
    best level anyone has published weights for) at the shorter `open_lag_months`, whoever
    published them; a vendor ends at the better of the two. Returns (new capability, copied
    mask: copy releases only)."""
    n, f = capability.shape
    if (kernels.enabled() and capability.dtype == np.float64 and np.shape(expected_lag_months) == (n, f)
            and np.shape(can_copy) == (n,)
            and all(np.shape(x) == (f,) for x in (best_public, frontier, leapfrog, diffuses))
            and (copy_share is None or np.shape(copy_share) == (f,))
            and (best_open is None or (np.shape(best_open) == (f,) and np.shape(open_lag_months) == (n, f)))):
        return _compiled_catch_up(rng, capability, best_public, frontier, expected_lag_months, leapfrog, can_copy,
                                  copy_share, diffuses, best_open, open_lag_months)
    copied_level, copied = imitate(rng, capability, best_public, frontier, expected_lag_months, leapfrog,
                                   can_copy, copy_share)
    diffused = diffuse(capability, best_public, expected_lag_months, can_copy)
    if best_open is not None and np.isfinite(best_open).any():
        has_open = np.isfinite(best_open)[None, :]    # -inf where nobody publishes weights
        open_level, open_copied = imitate(rng, capability, np.where(has_open[0], best_open, 0.0), frontier,
                                          open_lag_months, leapfrog, can_copy, copy_share)
        copied_level = np.where(has_open, np.maximum(copied_level, open_level), copied_level)
        copied |= open_copied & has_open & (open_level > capability)
        diffused = np.maximum(diffused, diffuse(capability, best_open, open_lag_months, can_copy))  # no gap to -inf
    return np.where(diffuses[None, :], diffused, copied_level), copied & ~diffuses[None, :]


def _compiled_catch_up(rng, capability, best_public, frontier, expected_lag_months, leapfrog, can_copy, copy_share,
                       diffuses, best_open, open_lag_months):
    """catch_up by kernels.catch_up: the same uniforms drawn in the same order (imitate's
    (copy, overshoot) pair toward the public best, then toward published weights if anyone
    publishes), the copy probabilities by numpy."""
    copy_u, overshoot_u = rng.random((2,) + capability.shape)
    prob = copy_probability(expected_lag_months)
    if best_open is not None and np.isfinite(best_open).any():
        open_copy_u, open_overshoot_u = rng.random((2,) + capability.shape)
        best_open, open_prob = np.asarray(best_open, float), copy_probability(open_lag_months)
    else:
        best_open, open_prob = np.zeros(0), np.zeros((0, 0))
        open_copy_u = open_overshoot_u = open_prob
    share = np.ones_like(best_public) if copy_share is None else np.asarray(copy_share, float)
    return kernels.catch_up(capability, np.asarray(best_public, float), np.asarray(frontier, float), prob, copy_u,
                            overshoot_u, np.asarray(leapfrog, float), np.asarray(can_copy, bool), share,
                            np.asarray(diffuses, bool), best_open, open_prob, open_copy_u, open_overshoot_u)


def month_of_releases(innovation_rng: np.random.Generator, imitation_rng: np.random.Generator,
                      capability: np.ndarray, best_public: np.ndarray, best_open: np.ndarray,
                      active: np.ndarray, focused: np.ndarray, headcount: np.ndarray, skill: np.ndarray,
                      gpus: np.ndarray, open_weights: np.ndarray, frontier: np.ndarray, features,
                      rules) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A month of own R&D (`innovate`, at `release_rates` from `rd_strength`) and then
    catch-up toward last month's public best and its best published weights (`catch_up`, with
    lags from `expected_copy_lag`, shorter toward published weights). `features` is the run's
    FeatureSpace, `rules` the catch_up config section. Own R&D and imitation draw from
    separate generators: how many numbers the Poisson and gamma draws of R&D use depends on
    the release rates, and must not shift the copy draws. Returns (capability, innovated
    mask, copied mask)."""
    strength = rd_strength(headcount, skill, gpus, rules.talent_elasticity, rules.compute_elasticity)
    n_features = capability.shape[1]
    if kernels.enabled() and np.shape(strength) == capability.shape[:1]:
        rate, lag, open_lag, can_copy = kernels.release_terms(
            strength, np.sqrt(np.maximum(strength, 1e-6)), float(rules.innovation_rate), np.asarray(focused, bool),
            float(rules.focused_innovation_factor), np.asarray(active, bool), features.release_rate_factor,
            float(rules.copy_lag_months), float(rules.open_weights_lag_factor), features.copy_lag_factor)
    else:
        rate = release_rates(strength, rules.innovation_rate, focused, rules.focused_innovation_factor, active,
                             features.release_rate_factor)
        lag = expected_copy_lag(rules.copy_lag_months, strength, np.zeros(n_features, bool),
                                rules.open_weights_lag_factor) * features.copy_lag_factor[None, :]
        open_lag = expected_copy_lag(rules.copy_lag_months, strength, np.ones(n_features, bool),
                                     rules.open_weights_lag_factor) * features.copy_lag_factor[None, :]
        can_copy = active & (strength > 0)
    # past the global frontier, progress is damped on the scale of a month of releases
    capability, innovated = innovate(innovation_rng, capability, frontier, rate, features.innovation_step,
                                     features.beyond_frontier_scale)
    capability, copied = catch_up(imitation_rng, capability, best_public, frontier, lag, features.leapfrog,
                                  can_copy, features.copy_share, features.diffuses, best_open, open_lag)
    return capability, innovated, copied


def steady_gap_months(lag_closed: np.ndarray, lag_open: np.ndarray, open_behind_months: float) -> np.ndarray:
    """A follower's long-run gap to the domestic best, in months: closing 1/lag of its gap a
    month while the best moves on, it settles `lag` months behind (Nelson-Phelps); toward
    published weights it settles lag_open behind them, and they are `open_behind_months`
    behind the best (inf: nothing published). The nearer of the two routes."""
    return np.minimum(lag_closed, lag_open + open_behind_months)


def expected_gap_months(gap_now: np.ndarray, steady_gap: np.ndarray, horizon_months: float) -> np.ndarray:
    """Mean gap over the next `horizon_months` as it relaxes from `gap_now` toward
    `steady_gap` with time constant `steady_gap` (= the lag):
        L + (g0 - L) (L / H) (1 - exp(-H / L))."""
    lag = np.maximum(np.asarray(steady_gap, float), 1e-9)
    return lag + (np.asarray(gap_now, float) - lag) * (lag / horizon_months) * -np.expm1(-horizon_months / lag)


def expected_quality_gap(gap_now: np.ndarray, capability: np.ndarray, active: np.ndarray, open_weights: np.ndarray,
                         headcount: np.ndarray, skill: np.ndarray, gpus: np.ndarray, features, rules,
                         horizon_months: float, quality: int = 0) -> np.ndarray:
    """The quality gap (months) each vendor can expect over the decision horizon, given how
    fast it catches up (`steady_gap_months`, `expected_gap_months`): a lab that copies
    published weights quickly expects to close much of today's gap."""
    strength = rd_strength(headcount, skill, gpus, rules.talent_elasticity, rules.compute_elasticity)
    factor = features.copy_lag_factor[quality]
    best, _ = best_public_level(capability, active)
    best_open, _ = best_public_level(capability, active & open_weights)
    growth = max(features.growth_per_month[quality], 1e-9)
    open_behind = (best[quality] - best_open[quality]) / growth if np.isfinite(best_open[quality]) else np.inf
    if kernels.enabled() and np.shape(gap_now) == np.shape(strength) == capability.shape[:1]:
        lag, exponent = kernels.steady_quality_lags(np.sqrt(np.maximum(strength, 1e-6)), float(rules.copy_lag_months),
                                                    float(rules.open_weights_lag_factor), float(factor),
                                                    float(open_behind), -float(horizon_months))
        return kernels.relaxed_gap(np.asarray(gap_now, float), lag, float(horizon_months), np.expm1(exponent))
    lag_closed = expected_copy_lag(rules.copy_lag_months, strength, np.array([False]), 1.0)[:, 0] * factor
    lag_open = expected_copy_lag(rules.copy_lag_months, strength, np.array([True]),
                                 rules.open_weights_lag_factor)[:, 0] * factor
    return expected_gap_months(gap_now, steady_gap_months(lag_closed, lag_open, open_behind), horizon_months)


def compute_after_growth(gpus: np.ndarray, racing: np.ndarray, doubling_months: float | None) -> np.ndarray:
    """GPUs after a month in which racing vendors keep pace with the frontier's compute,
    doubling every `doubling_months` (None or 0: compute stays fixed)."""
    if not doubling_months:
        return gpus.copy()
    return np.where(racing, gpus * 2.0 ** (1.0 / doubling_months), gpus)


def scheduled_levels(capability: np.ndarray, active: np.ndarray, releases: list, row_of: dict[str, int],
                     features) -> tuple[np.ndarray, np.ndarray]:
    """Dated releases given as inputs (e.g. Kimi's 2M-character context, 2024-03): an active
    vendor's level rises to the released one (never falls). `releases` are the config's
    scheduled releases of this month; `features` the run's FeatureSpace. Returns (capability,
    released mask)."""
    capability = capability.copy()
    released = np.zeros(capability.shape, bool)
    for r in releases:
        row, f = row_of[r.vendor], features.index[r.feature]
        if active[row]:
            capability[row, f] = max(capability[row, f], features.to_internal(f, r.level))
            released[row, f] = True
    return capability, released
