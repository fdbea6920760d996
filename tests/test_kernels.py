"""The compiled kernels (market_sim/kernels.py) give their numpy references' numbers bit for bit.

Each kernel is compared with the numpy expression it stands for on varied inputs, mostly through
the public mechanism functions run with `kernels.use(False)` (the reference) and
`kernels.use(True)`, with exact equality (same dtype, shape, values and sign of zero); then whole
consumer and buyer months, and the model's four tables over a few seeds, a fully mixed
population and scenarios.

A difference of one ulp rarely changes a draw, so the tests of kernels that return only picks
(discovery source, adoption, logit choice) put most uniforms exactly on the reference's
cumulative shares or probabilities, or one ulp either side: there any difference in the sums
flips a pick. Values of mixed signs and magnitudes make every sum depend on the order of its
additions (`mixed_floats`).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from market_sim import kernels, load_config, streams
from market_sim.mechanisms import adoption, catchup, financing, pricing, procurement, talent
from market_sim.numerics import softmax
from market_sim.runner import simulate

from .conftest import ROOT, SMALL

SEEDS = st.integers(0, 2**32 - 1)
WIDE = st.one_of(st.integers(1, 10), st.integers(120, 300))   # row lengths: blocks of 8, and > 128 (halved)


# ------------------------------------------------------------------ helpers
def assert_identical(got, ref) -> None:
    """Same dtype, shape and values (NaN where NaN), and the same sign of every zero."""
    got, ref = np.asarray(got), np.asarray(ref)
    np.testing.assert_array_equal(got, ref, strict=True)
    if ref.dtype.kind == "f":
        numbers = ~np.isnan(ref)
        np.testing.assert_array_equal(np.signbit(got[numbers]), np.signbit(ref[numbers]))


def counted(ref):
    """A bincount result of the reference: float64 even when nothing was counted (np.bincount
    of no entries returns int64 zeros; the reference casts)."""
    ref = np.asarray(ref)
    assert ref.dtype == np.float64
    return ref


def both_paths_drawing(fn, seed, *args, **kwargs):
    """fn(rng, ...)'s results followed by the generator's next uniform (so the draws used are
    compared too), for a generator seeded `seed`, on the reference path and on the compiled
    path, numpy's floating-point warnings off: (reference, compiled)."""
    out = []
    for on in (False, True):
        rng = np.random.default_rng(seed)
        with kernels.use(on), np.errstate(all="ignore"):
            out.append((*fn(rng, *args, **kwargs), rng.random()))
    return out


def both_paths(fn, *args, **kwargs):
    """fn's result on the numpy reference path and on the compiled path: (reference, compiled)."""
    with kernels.use(False):
        ref = fn(*args, **kwargs)
    with kernels.use(True):
        got = fn(*args, **kwargs)
    return ref, got


def mixed_floats(rng: np.random.Generator, shape, spread: int = 6) -> np.ndarray:
    """Both signs, magnitudes 10^-spread .. 10^spread: their sums depend on the order of additions."""
    return rng.standard_normal(shape) * 10.0 ** rng.integers(-spread, spread + 1, shape)


def rates(rng: np.random.Generator, shape, zeros: float = 0.2) -> np.ndarray:
    """Non-negative rates over six orders of magnitude, a share of them exactly 0."""
    x = rng.random(shape) * 10.0 ** rng.integers(-6, 1, shape)
    return np.where(rng.random(shape) < zeros, 0.0, x)


def on_boundaries(rng: np.random.Generator, uniform: np.ndarray, cumulative: np.ndarray) -> np.ndarray:
    """`uniform` with about 80% of its rows moved onto one of the reference's cumulative values
    in that row (exactly, or one ulp below or above): where a kernel's value differs from the
    reference by an ulp either way, `cumulative < u` differs and so does the pick."""
    m, k = cumulative.shape
    if m == 0 or k == 0:
        return uniform
    edge = cumulative[np.arange(m), rng.integers(0, k, m)]
    nudge = rng.integers(-1, 2, m)
    edge = np.where(nudge < 0, np.nextafter(edge, -np.inf), np.where(nudge > 0, np.nextafter(edge, np.inf), edge))
    return np.where(rng.random(m) < 0.8, edge, uniform)


def gardens(rng: np.random.Generator, m: int, n_vendors: int, slots: int, empty: float = 0.3) -> np.ndarray:
    """(m x slots) int32 portfolios of distinct vendor rows; -1 in a share `empty` of the slots
    (anywhere), in every slot past n_vendors, and in every slot of about a tenth of the rows."""
    order = np.argsort(rng.random((m, n_vendors)), axis=1)[:, :slots]
    portfolio = np.full((m, slots), -1, np.int32)
    portfolio[:, :order.shape[1]] = order
    portfolio[rng.random((m, slots)) < empty] = -1
    portfolio[rng.random(m) < 0.1] = -1
    return portfolio


def buyers(rng: np.random.Generator, m: int, n_vendors: int, n_sectors: int, slots: int) -> SimpleNamespace:
    """Random buyer and vendor arrays with the model's dtypes, and procurement coefficients."""
    return SimpleNamespace(
        sector=rng.integers(0, n_sectors, m).astype(np.int16),
        home_cloud=rng.integers(-1, n_vendors, m).astype(np.int32),
        risk_aversion=rng.random(m) * 3.0,
        portfolio=gardens(rng, m, n_vendors, slots),
        price=np.where(rng.random(n_vendors) < 0.2, 0.0, rates(rng, n_vendors, 0.0) * 100.0),
        fit=mixed_floats(rng, (n_sectors, n_vendors), 2),
        focus_sector=rng.integers(-1, n_sectors, n_vendors).astype(np.int16),
        failure_risk=rng.random(n_vendors),
        betas=tuple(mixed_floats(rng, 6, 1)),
    )


def utility_of(b: SimpleNamespace, garden: np.ndarray):
    """The model's `utility_of(rows, vendors)` (MarketModel._buyer_utility) over buyers `b`."""
    def utility(rows, vendors=None):
        return procurement.buyer_utility(b.sector[rows], b.home_cloud[rows], b.risk_aversion[rows], garden[rows],
                                         b.price, b.fit, b.focus_sector, b.failure_risk, *b.betas, vendors=vendors)
    return utility


# ------------------------------------------------------------------ numpy's pairwise summation
def test_pairwise_sums_every_row_length_0_to_300_as_numpy_does():
    rng = np.random.default_rng(0)
    for n in range(301):
        x = mixed_floats(rng, (4, n))
        flat = x.reshape(-1)
        got = np.array([kernels._pairwise(flat, r * n, n) for r in range(4)])
        assert_identical(got, x.sum(axis=1))


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 300), st.integers(0, 5), st.integers(0, 17), SEEDS)
@example(n=0, rows=1, lo=3, seed=0)
@example(n=129, rows=2, lo=5, seed=1)
@example(n=257, rows=2, lo=1, seed=2)
def test_pairwise_sum_of_any_run_equals_numpys(n, rows, lo, seed):
    rng = np.random.default_rng(seed)
    x = mixed_floats(rng, (rows, n))
    flat = x.reshape(-1)
    assert_identical(np.array([kernels._pairwise(flat, r * n, n) for r in range(rows)]), x.sum(axis=1))
    a = mixed_floats(rng, lo + n + 5)                      # a run that starts and ends inside the array
    assert_identical(np.float64(kernels._pairwise(a, lo, n)), a[lo:lo + n].sum())


# ------------------------------------------------------------------ consumers (adoption.py)
@settings(max_examples=60, deadline=None)
@given(st.integers(0, 30), st.integers(0, 300), SEEDS)
@example(n=3, apps=0, seed=0)
@example(n=4, apps=300, seed=1)
def test_superapp_hazard_is_numpys_row_sum(n, apps, seed):
    rng = np.random.default_rng(seed)
    on = rng.random((n, apps)) < rng.random()
    hazard = mixed_floats(rng, apps)
    assert_identical(kernels.superapp_hazard(on, hazard, np.arange(n)), (on * hazard[None, :]).sum(axis=1))
    rows = np.flatnonzero(rng.random(n) < 0.5)
    assert_identical(kernels.superapp_hazard(on, hazard, rows), (on[rows] * hazard[None, :]).sum(axis=1))


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 300), st.floats(0.0, 1.0), st.floats(0.0, 1.0), SEEDS)
@example(n=0, using=0.5, orphaned_share=0.5, seed=0)
def test_consumer_groups(n, using, orphaned_share, seed):
    """Users, those who can adopt and the orphaned, in row order, as three flatnonzero give
    them (an orphaned person still holding a vendor counts as a user and as orphaned)."""
    rng = np.random.default_rng(seed)
    vendor = np.where(rng.random(n) < using, rng.integers(0, 9, n), -1).astype(np.int32)
    orphaned = rng.random(n) < orphaned_share
    ref, got = both_paths(adoption.consumer_groups, vendor, orphaned)
    for r, g in zip(ref, got, strict=True):
        assert_identical(g, r)
    assert_identical(ref[0], np.flatnonzero(vendor >= 0))


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 300), st.integers(1, 12), st.integers(1, 9), SEEDS)
def test_neighbour_adopted_share(n, degree, n_vendors, seed):
    rng = np.random.default_rng(seed)
    vendor = rng.integers(-1, n_vendors, n).astype(np.int32)
    vendor[rng.random(n) < rng.random()] = -1
    neighbours = adoption.random_contacts(rng, n, degree).astype(np.int32)
    ref, got = both_paths(adoption.neighbour_adopted_share, vendor, neighbours)
    assert_identical(got, ref)
    rows = np.flatnonzero(rng.random(n) < 0.5)
    ref_rows, got_rows = both_paths(adoption.neighbour_adopted_share, vendor, neighbours, rows)
    assert_identical(got_rows, ref_rows)
    assert_identical(got_rows, got[rows])


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 60), st.integers(0, 150), st.integers(0, 150), SEEDS)
@example(n=5, n_ads=0, n_apps=0, seed=0)
@example(n=5, n_ads=140, n_apps=140, seed=1)
def test_discovery_source(n, n_ads, n_apps, seed):
    rng = np.random.default_rng(seed)
    on_superapp = rng.random((n, n_apps)) < rng.random()
    app_hazard = rates(rng, n_apps)
    ads = rates(rng, n_ads, zeros=0.05)
    newcomers = np.flatnonzero(rng.random(n) < 0.7)
    organic = rates(rng, newcomers.size)
    apps = on_superapp[newcomers] * app_hazard[None, :]
    # where the uniforms go: on the reference's cumulative shares (its own arithmetic)
    table = np.ascontiguousarray(np.column_stack([organic, np.broadcast_to(ads, (newcomers.size, n_ads)), apps]))
    total = table.sum(axis=1, keepdims=True)
    uniform = on_boundaries(rng, rng.random(newcomers.size), np.cumsum(table / np.where(total > 0, total, 1.0), axis=1))
    assert_identical(kernels.discovery_source(uniform, organic, ads, on_superapp, newcomers, app_hazard),
                     adoption.discovery_source(uniform, organic, ads, apps))


def test_discovery_source_with_one_super_app():
    """Two newcomers, six advertisers, one super-app: np.column_stack of (m x 1), a broadcast
    (m x 6) and (m x 1) comes out Fortran-ordered, and numpy adds an F-ordered row in order
    (total 1.0 here), not pairwise (1.0000000000000007); the reference makes its table C-ordered,
    so both paths add pairwise and draw the uniform between the two sums alike. (Found by this
    file: the reference used to depend on the layout.)"""
    organic, ads, app_hazard = np.array([1.0, 1.0]), np.full(6, 1e-16), np.array([1e-16])
    on_superapp, newcomers, uniform = np.ones((2, 1), bool), np.array([0, 1]), np.array([1 - 2**-53, 0.5])
    assert_identical(kernels.discovery_source(uniform, organic, ads, on_superapp, newcomers, app_hazard),
                     adoption.discovery_source(uniform, organic, ads, on_superapp[newcomers] * app_hazard[None, :]))


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 300), st.floats(0.0, 2.0), SEEDS)
@example(n=10, q=0.0, seed=0)
@example(n=10, q=5e-324, seed=1)
def test_adopters(n, q, seed):
    rng = np.random.default_rng(seed)
    p = rates(rng, n)
    share = np.where(rng.random(n) < 0.1, rng.integers(0, 2, n).astype(float), rng.random(n))  # some exactly 0, 1
    candidate = rng.random(n) < 0.7
    prob = adoption.adoption_probability(p, q, share)
    uniform = on_boundaries(rng, rng.random(n), prob[:, None])
    reference = candidate & (uniform < prob)
    ref, got = both_paths(adoption.adopters, uniform, candidate, p, q, share)
    assert_identical(ref, reference)
    assert_identical(got, reference)


def consumers(rng: np.random.Generator, n: int, n_vendors: int, n_apps: int, degree: int) -> SimpleNamespace:
    """Random consumer arrays with the model's dtypes; at least one vendor available."""
    available = rng.random(n_vendors) < 0.7
    available[rng.integers(n_vendors)] = True
    vendor = rng.integers(-1, n_vendors, n).astype(np.int32)
    vendor[rng.random(n) < 0.3] = -1
    return SimpleNamespace(
        vendor=vendor, neighbours=adoption.random_contacts(rng, n, degree).astype(np.int32),
        on_superapp=rng.random((n, n_apps)) < rng.random(n_apps),
        superapp_owner=rng.integers(0, n_vendors, n_apps),    # repeated owners too
        available=available, vendor_utility=mixed_floats(rng, n_vendors, 1),
        betas=tuple(rng.normal(0.0, 2.0, 3)))


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 200), st.integers(1, 12), st.integers(0, 5), st.integers(1, 10), st.booleans(), SEEDS,
       st.sampled_from(["finite"] * 3 + ["awkward"]))
def test_chooser_logit_arguments_and_pick_equal_month_of_uses_numpy_path(n, n_vendors, n_apps, degree, hyped, seed,
                                                                         values):
    """With "awkward" utilities (infinities and NaN), the row maximum is np.max's: NaN if any
    entry is NaN (then the row's arguments are all NaN), inf - inf NaN where inf is the max."""
    rng = np.random.default_rng(seed)
    c = consumers(rng, n, n_vendors, n_apps, degree)
    if values == "awkward":
        c.vendor_utility[rng.random(n_vendors) < 0.4] = rng.choice([np.nan, np.inf, -np.inf])
    cols = np.flatnonzero(c.available)
    col_of = np.full(n_vendors + 1, -1)
    col_of[cols] = np.arange(cols.size)
    apps_on = c.available[c.superapp_owner]
    choosers = rng.permutation(n)[:rng.integers(1, n + 1)]
    hype = mixed_floats(rng, n_vendors, 1)[cols] if hyped else np.zeros(cols.size)
    n_hyped = int(rng.integers(0, choosers.size + 1)) if hyped else 0
    # month_of_use's numpy path
    contacts = adoption.neighbour_vendor_share(c.vendor, c.neighbours, choosers, n_vendors)[:, cols]
    u = adoption.chooser_utility(c.vendor_utility[cols], c.on_superapp[choosers][:, apps_on],
                                 col_of[c.superapp_owner[apps_on]], contacts, col_of[c.vendor[choosers]], *c.betas)
    if hyped:
        u[:n_hyped] += hype[None, :]
    exponent = kernels.chooser_logit_arguments(choosers, c.vendor, c.neighbours, cols, col_of, c.vendor_utility,
                                               c.on_superapp, np.flatnonzero(apps_on),
                                               col_of[c.superapp_owner[apps_on]], *c.betas, hype, n_hyped)
    with np.errstate(invalid="ignore"):                                # inf - inf, when awkward
        assert_identical(exponent, u - u.max(axis=1, keepdims=True))  # the softmax's argument of exp
    if values == "awkward":
        return
    everything = np.ones(cols.size, bool)
    uniform = on_boundaries(rng, rng.random(choosers.size), np.cumsum(adoption.logit_shares(u, everything), axis=1))
    assert_identical(kernels.inverse_cdf_pick(np.exp(exponent), uniform, cols.size - 1),
                     adoption.logit_choice(uniform, u, everything))


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 40), WIDE, SEEDS)
@example(m=3, k=300, seed=0)
def test_inverse_cdf_pick_over_wide_rows(m, k, seed):
    rng = np.random.default_rng(seed)
    u = mixed_floats(rng, (m, k), 1)
    everything = np.ones(k, bool)
    uniform = on_boundaries(rng, rng.random(m), np.cumsum(adoption.logit_shares(u, everything), axis=1))
    assert_identical(kernels.inverse_cdf_pick(np.exp(u - u.max(axis=1, keepdims=True)), uniform, k - 1),
                     adoption.logit_choice(uniform, u, everything))


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 500), st.integers(1, 20), SEEDS)
def test_weighted_counts(n, n_vendors, seed):
    rng = np.random.default_rng(seed)
    vendor = rng.integers(-1, n_vendors, n).astype(np.int32)
    weight = np.abs(mixed_floats(rng, n))
    ref, got = both_paths(adoption.weighted_counts, vendor, weight, n_vendors)
    assert_identical(got, counted(ref))


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 400), st.integers(1, 10), st.integers(0, 4), st.integers(1, 8),
       st.sampled_from(["network", "mixed"]), st.booleans(), SEEDS)
def test_month_of_use_is_the_same_on_both_paths(n, n_vendors, n_apps, degree, word_of_mouth, hyped, seed):
    rng = np.random.default_rng(seed)
    c = consumers(rng, n, n_vendors, n_apps, degree)
    orphaned = (c.vendor >= 0) & ~c.available[np.maximum(c.vendor, 0)] & (rng.random(n) < 0.8)
    weight = rng.uniform(0.5, 2.0, n)
    ads, apps = rates(rng, n_vendors, 0.4) * 0.05 * c.available, rates(rng, n_apps) * 0.2
    rules = SimpleNamespace(churn=rng.uniform(0, 0.2), switch_rate=rng.uniform(0, 0.4), bass_p=rng.uniform(0, 0.05),
                            bass_q=rng.uniform(0, 0.8), word_of_mouth=word_of_mouth, beta_superapp=c.betas[0],
                            beta_word_of_mouth=c.betas[1], beta_incumbent=c.betas[2])
    hype = mixed_floats(rng, n_vendors, 1) if hyped else None
    out = {}
    for on in (False, True):
        with kernels.use(on):
            vendor, moved = adoption.month_of_use(np.random.default_rng(seed + 1), c.vendor, c.neighbours, weight,
                                                  c.on_superapp, c.superapp_owner, orphaned, c.vendor_utility,
                                                  c.available, ads, apps, rules, hype)
            out[on] = vendor, moved, counted(adoption.weighted_counts(vendor, weight, n_vendors))
    for got, ref in zip(out[True], out[False]):
        assert_identical(got, ref)
    vendor, moved = out[True][:2]      # who moved: everyone now using a vendor other than before
    assert_identical(moved, np.flatnonzero((vendor != c.vendor) & (vendor >= 0)))


# ------------------------------------------------------------------ buyers (procurement.py)
@settings(max_examples=60, deadline=None)
@given(st.integers(0, 60), st.integers(1, 15), st.integers(1, 6), st.integers(0, 30), SEEDS)
def test_due_for_review(m, n_vendors, slots, month, seed):
    rng = np.random.default_rng(seed)
    portfolio = gardens(rng, m, n_vendors, slots)
    next_review = rng.integers(0, 30, m)
    available = rng.random(n_vendors) < 0.7
    ref, got = both_paths(procurement.due_for_review, portfolio, next_review, available, month)
    for r, g in zip(ref, got, strict=True):
        assert_identical(g, r)


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 60), st.integers(1, 15), st.integers(1, 5), st.integers(1, 6), st.integers(1, 15),
       st.booleans(), SEEDS)
def test_buyer_utility_of_given_vendors(m, n_vendors, n_sectors, slots, k, broadcast, seed):
    rng = np.random.default_rng(seed)
    b = buyers(rng, m, n_vendors, n_sectors, slots)
    if broadcast:   # as review_portfolios asks: every available vendor's row (int64), the same for each buyer
        cols = np.flatnonzero(rng.random(n_vendors) < 0.7)
        vendors = np.broadcast_to(cols, (m, cols.size))
    else:           # as garden_weights' caller asks: each buyer's garden, -1 allowed
        vendors = rng.integers(-1, n_vendors, (m, k)).astype(np.int32)
    utility = utility_of(b, b.portfolio)
    rows = np.arange(m)
    ref, got = both_paths(utility, rows, vendors)
    assert_identical(got, ref)
    # each entry is the full matrix's (the -1 entries are meaningless; masked)
    full = utility(rows)
    scored = vendors >= 0
    gathered = np.take_along_axis(full, np.maximum(vendors, 0), axis=1)
    assert_identical(got[scored], gathered[scored])
    assert_identical(ref[scored], gathered[scored])


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 40), st.integers(0, 14), st.integers(1, 10), SEEDS)
@example(m=3, n=0, size=3, seed=0)
@example(m=3, n=2, size=5, seed=1)
def test_choose_portfolio(m, n, size, seed):
    rng = np.random.default_rng(seed)
    utility = mixed_floats(rng, (m, n), 1)
    utility[rng.random((m, n)) < 0.1] = -np.inf
    available = rng.random(n) < 0.7
    uniform = rng.random((m, n))
    uniform[rng.random((m, n)) < 0.05] = rng.choice([0.0, 1.0])       # clipped: Gumbel noise stays finite
    ref, got = both_paths(procurement.choose_portfolio, uniform, utility, available, size)
    assert_identical(got, ref)


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 30), st.integers(0, 12), st.integers(1, 12), SEEDS)
def test_top_k_columns_with_ties_and_infinities(m, n, k, seed):
    """Ties go to the lower column, infinite scores to -1, as choose_portfolio's numpy path when
    it sorts whole rows (k >= columns); with fewer wanted than columns numpy's argpartition
    orders tied scores arbitrarily, so those get distinct scores (and -inf, masked anyway)."""
    rng = np.random.default_rng(seed)
    if k >= n:
        score = rng.integers(-2, 3, (m, n)).astype(float)
        score[rng.random((m, n)) < 0.15] = np.inf
    else:
        score = mixed_floats(rng, (m, n), 1)
    score[rng.random((m, n)) < 0.15] = -np.inf
    top = procurement._top_k(score, min(k, n))
    reference = np.where(np.isfinite(np.take_along_axis(score, top, axis=1)), top, -1).astype(np.int32)
    reference = np.pad(reference, ((0, 0), (0, k - reference.shape[1])), constant_values=-1)
    assert_identical(kernels.top_k_columns(score, k), reference)


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 60), WIDE, st.floats(1e-3, 1e3), SEEDS)
@example(m=4, slots=3, scale=1.0, seed=0)
def test_garden_weights(m, slots, scale, seed):
    rng = np.random.default_rng(seed)
    utility = mixed_floats(rng, (m, slots), 3)
    odd = rng.random((m, slots))
    utility[odd < 0.03] = -np.inf
    utility[(odd >= 0.03) & (odd < 0.06)] = -1e305        # below numpy's initial max of -1e300
    portfolio = gardens(rng, m, slots + 2, slots)
    ref, got = both_paths(procurement.garden_weights, utility, portfolio, scale)
    assert_identical(got, ref)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 60), WIDE, st.booleans(), SEEDS)
@example(m=5, slots=9, softmax_weights=False, seed=0)
@example(m=5, slots=300, softmax_weights=True, seed=1)
def test_portfolio_price(m, slots, softmax_weights, seed):
    rng = np.random.default_rng(seed)
    n_vendors = int(rng.integers(1, 2 * slots + 8))       # wide rows mostly held, narrow ones often not
    portfolio = gardens(rng, m, n_vendors, slots)
    weights = (procurement.garden_weights(mixed_floats(rng, (m, slots), 1), portfolio, 1.0) if softmax_weights
               else np.abs(mixed_floats(rng, (m, slots))))
    price = np.where(rng.random(n_vendors) < 0.2, 0.0, np.abs(mixed_floats(rng, n_vendors, 3)))
    ref, got = both_paths(procurement.portfolio_price, portfolio, weights, price)
    assert_identical(got, ref)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 60), st.integers(1, 5), WIDE, SEEDS)
@example(m=5, n_sectors=2, slots=9, seed=0)
@example(m=5, n_sectors=2, slots=300, seed=1)
def test_spend_tables(m, n_sectors, slots, seed):
    rng = np.random.default_rng(seed)
    n_vendors = int(rng.integers(1, 2 * slots + 8))
    portfolio = gardens(rng, m, n_vendors, slots)
    weights = np.abs(mixed_floats(rng, (m, slots), 2))
    price = np.where(rng.random(n_vendors) < 0.2, 0.0, np.abs(mixed_floats(rng, n_vendors, 3)))
    demand = np.abs(mixed_floats(rng, m, 4))
    sector = rng.integers(0, n_sectors, m).astype(np.int16)
    ref, got = both_paths(procurement.spend_by_vendor, demand, portfolio, weights, price, n_vendors)
    ref = (ref[0], counted(ref[1]), counted(ref[2]))
    for g, r in zip(got, ref, strict=True):
        assert_identical(g, r)
    ref_sector, got_sector = both_paths(procurement.sector_revenue, demand, portfolio, weights, price, sector,
                                        n_sectors, n_vendors)
    ref_sector = counted(ref_sector)
    assert_identical(got_sector, ref_sector)
    ref_month, got_month = both_paths(procurement.monthly_spend, demand, portfolio, weights, price, sector,
                                      n_sectors, n_vendors)
    for g, r in zip(got_month, (*ref, ref_sector), strict=True):
        assert_identical(g, r)
    for r, expected in zip(ref_month, (*ref, ref_sector), strict=True):
        assert_identical(counted(r), expected)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 80), st.integers(1, 12), st.integers(1, 4), st.integers(1, 5), st.integers(0, 24), SEEDS)
def test_buyers_month_is_the_same_on_both_paths(m, n_vendors, n_sectors, size, month, seed):
    """MarketModel.buy_tokens' arrays: review_portfolios (buyer_utility, top_k_columns),
    garden_weights, portfolio_price, token_demand and monthly_spend."""
    rng = np.random.default_rng(seed)
    b = buyers(rng, m, n_vendors, n_sectors, size)
    available = rng.random(n_vendors) < 0.75
    available[rng.integers(n_vendors)] = True      # the model always has an active vendor (review_portfolios needs one)
    next_review = rng.integers(0, 30, m).astype(np.int32)
    rules = SimpleNamespace(portfolio_size=size, review_months=rng.uniform(1.0, 24.0))
    base_demand, scale = np.abs(mixed_floats(rng, m, 3)), rng.uniform(0.05, 5.0)

    def buy_tokens():
        utility = utility_of(b, b.portfolio)
        portfolio, next_month = procurement.review_portfolios(np.random.default_rng(seed + 1), month, utility,
                                                              b.portfolio, next_review, available, rules)
        weights = procurement.garden_weights(utility(np.arange(m), portfolio), portfolio, scale)
        paid = procurement.portfolio_price(portfolio, weights, b.price)
        demand = procurement.token_demand(base_demand, 0.05, month, paid, 20.0, 0.8)
        spend, revenue, tokens, by_sector = procurement.monthly_spend(demand, portfolio, weights, b.price, b.sector,
                                                                      n_sectors, n_vendors)
        return (portfolio, next_month, weights, paid, demand, spend, counted(revenue), counted(tokens),
                counted(by_sector))

    ref, got = both_paths(buy_tokens)
    for g, r in zip(got, ref, strict=True):
        assert_identical(g, r)


# ------------------------------------------------------------------ random streams (streams.py)
ENTROPY = st.one_of(st.just(0), st.integers(1, 2**32 - 1), st.integers(2**32, 2**64 - 1), st.integers(2**64, 2**70),
                    st.integers(2**96, 2**128 - 1), st.integers(2**128, 2**200))
KEY = st.lists(st.integers(0, 2**32 - 1), max_size=6)


def assembled_words(entropy: int, spawn_key) -> np.ndarray:
    """The SeedSequence's entropy words as RandomStreams assembles them (streams._words, run
    entropy padded to the pool size of 4, then the spawn key's words)."""
    run = streams._words(entropy)
    run = np.concatenate([run, np.zeros(max(4 - run.size, 0), np.uint64)])
    return np.concatenate([run, streams._words(list(spawn_key))])


@settings(max_examples=100, deadline=None)
@given(ENTROPY, KEY)
@example(entropy=0, key=[])
@example(entropy=2**128 - 1, key=[2**32 - 1] * 6)
@example(entropy=2**64, key=[0, 0, 0, 0])
def test_seed_sequence_state(entropy, key):
    reference = np.random.SeedSequence(entropy, spawn_key=tuple(key)).generate_state(4, np.uint64)
    assert_identical(kernels.seed_sequence_state(assembled_words(entropy, key)), reference)


@settings(max_examples=60, deadline=None)
@given(ENTROPY, st.lists(st.integers(0, 2**32 - 1), max_size=2), st.sampled_from(streams.MECHANISMS),
       st.integers(-1, 2**32 - 2), st.integers(0, 2**32 - 1), st.integers(-1, 2**32 - 2))
@example(entropy=7, key=[], mechanism="adoption", month=-1, purpose=0, row=-1)
def test_random_streams_draw_the_same_numbers(entropy, key, mechanism, month, purpose, row):
    s = streams.RandomStreams(np.random.SeedSequence(entropy, spawn_key=tuple(key)))
    ref, got = both_paths(s.generator, mechanism, month, purpose, row)
    assert isinstance(got.bit_generator.seed_seq, streams._SeedState)         # the compiled hash was used
    assert isinstance(ref.bit_generator.seed_seq, np.random.SeedSequence)
    assert got.bit_generator.state == ref.bit_generator.state
    assert_identical(got.random(5), ref.random(5))
    assert_identical(got.integers(0, 2**63, 3), ref.integers(0, 2**63, 3))


# ------------------------------------------------------------------ uniforms read where needed
def sparse_reads(seed, shape, densities, before, rows_at_once=False):
    """Read rows of `rng.random(shape)` through SparseUniforms at random positions (each row's
    density from `densities`), after `before` draws ("none", "doubles": 7 doubles, "half": a
    float32, which leaves half of a 64-bit word buffered); return the values read, the
    positions, and the generator's state and next draws after the block."""
    rng = np.random.Generator(np.random.PCG64(seed))
    if before == "doubles":
        rng.random(7)
    elif before == "half":
        rng.random(dtype=np.float32)
    pick = np.random.default_rng(seed + 1)
    values, where = [], []
    with streams.SparseUniforms(rng, shape) as u:
        if rows_at_once:                                       # a rows x columns block
            rows = np.flatnonzero(pick.random(shape[0]) < densities[0])
            cols = np.flatnonzero(pick.random(shape[1]) < densities[-1])
            values.append(u.at(rows, cols))
            where.append(np.ix_(rows, cols))
        else:
            for r in range(shape[0]):
                cols = np.flatnonzero(pick.random(shape[1]) < densities[r % len(densities)])
                values.append(u.at(r, cols))
                where.append((r, cols))
    return values, where, rng.bit_generator.state, rng.random(3), rng.random(dtype=np.float32)


@settings(max_examples=80, deadline=None)
@given(SEEDS, st.integers(1, 5), st.one_of(st.integers(1, 40), st.integers(200, 3000)),
       st.lists(st.sampled_from([0.0, 0.001, 0.02, 0.3, 0.7, 1.0]), min_size=1, max_size=5),
       st.sampled_from(["none", "doubles", "half"]), st.booleans())
@example(seed=1, rows=2, cols=2000, densities=[0.0], before="none", rows_at_once=False)
@example(seed=2, rows=5, cols=2000, densities=[1.0], before="half", rows_at_once=True)
def test_sparse_uniforms_read_what_the_whole_draw_gives(seed, rows, cols, densities, before, rows_at_once):
    """The values read are the dense draw's at those places, and the generator ends where the
    dense draw leaves it (later draws the same, a buffered 32-bit half kept), on both paths.
    Catches a wrong multiplier, jump table or output function (values), a wrong end state
    (later draws), and a dropped buffered half (the float32 draw after the block)."""
    shape = (rows, cols)
    dense_rng = np.random.Generator(np.random.PCG64(seed))
    if before == "doubles":
        dense_rng.random(7)
    elif before == "half":
        dense_rng.random(dtype=np.float32)
    dense = dense_rng.random(shape)
    after = dense_rng.bit_generator.state, dense_rng.random(3), dense_rng.random(dtype=np.float32)
    for on in (True, False):
        with kernels.use(on):
            values, where, *end = sparse_reads(seed, shape, densities, before, rows_at_once)
        for got, at in zip(values, where):
            assert_identical(got, dense[at])
        assert end[0] == after[0]
        assert_identical(end[1], after[1])
        assert_identical(end[2], after[2])


def test_sparse_uniforms_far_jumps_and_order():
    """Reads far apart (jumps by powers of two, beyond the table of short jumps) and a read
    out of order (values put back in place); reading backwards, out of range or after the
    block is refused rather than answered wrong."""
    n = 3_000_000
    dense = np.random.Generator(np.random.PCG64(5)).random(n)
    rng = np.random.Generator(np.random.PCG64(5))
    with kernels.use(True), streams.SparseUniforms(rng, n) as u:
        assert_identical(u.at(np.array([0, 257, 258, 100_000, 2_999_998])), dense[[0, 257, 258, 100_000, 2_999_998]])
        with pytest.raises(IndexError):
            u.at(np.array([5]))                                 # already passed
        with pytest.raises(IndexError):
            u.at(np.array([n]))                                 # beyond the draw
        assert_identical(u.at(np.array([2_999_999])), dense[[2_999_999]])
    assert_identical(rng.random(2), np.random.Generator(np.random.PCG64(5)).random(n + 2)[n:])
    with pytest.raises(RuntimeError):
        u.at(np.array([0]))
    rng = np.random.Generator(np.random.PCG64(6))
    dense = np.random.Generator(np.random.PCG64(6)).random((3, 50))
    with kernels.use(True), streams.SparseUniforms(rng, (3, 50)) as u:
        assert_identical(u.at(1, np.array([40, 3, 17])), dense[1, [40, 3, 17]])


# ------------------------------------------------------------------ the model's tables
TABLES = ("vendor_month", "market_month", "events", "outcomes")
SCALE = {"scale.consumers": 1500, "scale.enterprises": 150}


def assert_same_tables(cfg, seed) -> None:
    ref, got = both_paths(simulate, cfg, seed)
    assert set(ref) == set(got) == set(TABLES)
    for name in TABLES:
        assert len(ref[name]), name
        pd.testing.assert_frame_equal(got[name], ref[name], check_exact=True, obj=name)


@pytest.mark.parametrize("key", range(3))
def test_model_tables_are_the_same_with_and_without_kernels(small_config, key):
    assert_same_tables(small_config, np.random.SeedSequence(7, spawn_key=(key,)))


def test_model_tables_fully_mixed():
    assert_same_tables(load_config(SMALL, {"consumers.word_of_mouth": "mixed"}), np.random.SeedSequence(11))


@pytest.mark.parametrize("scenario", ["funding_winter", "price_war_deepens"])
def test_model_tables_of_a_scenario(scenario):
    cfg = load_config(ROOT / "configs" / "scenarios" / f"{scenario}.yaml", SCALE)
    assert_same_tables(cfg, np.random.SeedSequence(20240101, spawn_key=(1,)))


KERNELS = ("consumer_groups", "neighbour_adopted_share", "superapp_hazard", "discovery_source", "adopts",
           "chooser_logit_arguments",
           "inverse_cdf_pick", "weighted_counts", "due_for_review", "buyer_utility", "top_k_columns",
           "garden_softmax_arguments",
           "garden_shares", "portfolio_price", "spend_tables", "keyed_seed_state", "pcg64_uniforms_at",
           "best_public_level",
           "poisson_quantile", "round_shares", "choice_round", "round_payments", "vendor_runway", "catch_up",
           "gap_months", "beyond_frontier_arguments", "innovated_levels", "release_terms",
           "steady_quality_lags", "relaxed_gap", "quality_differences", "cheapest_adjusted_price",
           "startup_decisions", "parents_cover", "headlines", "hype_after",
           "rank_score", "traction_arguments", "round_odds_arguments", "round_odds", "focused_costs",
           "prospect_exponent", "focusing_value", "round_lead", "book_round",
           "talent_logits", "talent_draws", "talent_after_moves")   # softmax_shares: inside talent_draws


def test_the_model_uses_every_kernel_with_them_on_and_none_with_them_off(small_config, monkeypatch):
    """The table comparisons above compare something: a run with the kernels on calls each of them."""
    calls = dict.fromkeys(KERNELS, 0)

    def counting(name, fn):
        def wrapper(*args):
            calls[name] += 1
            return fn(*args)
        return wrapper

    for name in KERNELS:
        monkeypatch.setattr(kernels, name, counting(name, getattr(kernels, name)))
    seed = np.random.SeedSequence(7, spawn_key=(0,))
    with kernels.use(False):
        simulate(small_config, seed)
    assert not any(calls.values()), calls
    with kernels.use(True):
        simulate(small_config, seed)
    assert all(calls.values()), calls


# ------------------------------------------------------------------ talent (talent.py)
def generators(seed: int) -> tuple[np.random.Generator, np.random.Generator]:
    """Two generators in the same state (one for each path)."""
    return np.random.default_rng(seed), np.random.default_rng(seed)


def talent_inputs(rng: np.random.Generator, n: int, hiring: str, look: str, pool: int):
    """month_of_moves' arguments after rng, with the model's dtypes: `hiring` is how many
    vendors are open to hiring ("none", "one", "some"), `look` the share who look around
    ("none": mobility 0, "all": mobility 1 and no friction, "some")."""
    active = rng.random(n) < 0.85
    open_ = {"none": np.zeros(n, bool), "one": np.arange(n) == rng.integers(n),
             "some": active & (rng.random(n) < 0.6)}[hiring]
    mobility, friction = {"none": (0.0, rng.random()), "all": (1.0, 0.0),
                          "some": (rng.uniform(0.0, 0.5), rng.random())}[look]
    headcount = np.where(rng.random(n) < 0.15, 0, rng.integers(0, 3000, n)).astype(np.int64)
    rules = SimpleNamespace(pay_weight=rng.uniform(0, 2), compute_weight=rng.uniform(0, 2),
                            momentum_weight=rng.uniform(0, 30), mobility=mobility, noncompete_friction=friction,
                            hiring_rate=rng.random(), key_hire_rate=rng.uniform(0.0, 1.5),
                            knowhow_transfer=rng.random())
    return (headcount, rng.uniform(0.3, 1.7, n), mixed_floats(rng, (n, 4), 2), rng.uniform(1e4, 3e5, n),
            np.where(rng.random(n) < 0.1, 0.0, rng.uniform(0, 2e4, n)), rng.random(n), active, open_, pool,
            rng.uniform(0.3, 1.5), rules)


@settings(max_examples=60, deadline=None)
@given(st.one_of(st.integers(1, 12), st.integers(60, 140)), st.booleans(), st.integers(0, 4), SEEDS)
@example(n=1, any_open=True, zeros=0, seed=0)      # one vendor: staying is the only destination
@example(n=9, any_open=False, zeros=4, seed=1)     # nobody open to hiring: no pool logits
def test_talent_softmax_shares(n, any_open, zeros, seed):
    """talent_logits then exp then softmax_shares give destination_probabilities' rows and
    the pool's softmax, bit for bit (the row sums in numpy's pairwise order), also for the
    reference's rows (those with anyone looking, any subset of talent_logits' rows): numpy's
    exp of a row does not depend on the other rows in the array."""
    rng = np.random.default_rng(seed)
    log_attr = mixed_floats(rng, n, 1)
    open_ = (rng.random(n) < 0.6) & any_open
    active = rng.random(n) < 0.8
    headcount = np.where(rng.integers(0, 5, n) < zeros, 0, rng.integers(1, 50, n)).astype(np.int64)
    rows, logits, pool_logits = kernels.talent_logits(headcount, active, log_attr, open_)
    assert_identical(rows, np.flatnonzero(active & (headcount > 0)).astype(np.int64))
    shares = kernels.softmax_shares(np.exp(logits))
    assert_identical(shares, talent.destination_probabilities(log_attr, open_, rows))
    looking = rng.random(rows.size) < 0.6
    assert_identical(shares[looking], talent.destination_probabilities(log_attr, open_, rows[looking]))
    if open_.any():
        pool = kernels.softmax_shares(np.exp(pool_logits).reshape(1, n))[0]
        assert_identical(pool, softmax(np.where(open_, log_attr, -np.inf)))
    else:
        assert pool_logits.size == 0


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 3000), st.integers(1, 90), st.sampled_from(["spread", "dominant", "zeros"]), SEEDS)
@example(people=0, d=5, shape="spread", seed=0)          # nobody: no draw at all
@example(people=40, d=1, shape="spread", seed=1)         # one category takes everyone, no draw
@example(people=1000, d=12, shape="dominant", seed=2)    # p near 1 (and ratios rounded above 1)
def test_multinomial_draws_as_numpy(people, d, shape, seed):
    """kernels._multinomial_into draws numpy's Generator.multinomial: the same counts and the
    generator left in the same state."""
    rng = np.random.default_rng(seed)
    logits = mixed_floats(rng, d, 1)
    if shape == "dominant":
        logits[rng.integers(d)] = 60.0
    elif shape == "zeros":
        logits[rng.random(d) < 0.5] = -np.inf
        logits[rng.integers(d)] = 0.0
    pvals = softmax(logits)
    ref_rng, got_rng = generators(seed + 1)
    ref = ref_rng.multinomial(people, pvals)
    got = np.zeros(d, np.int64)
    kernels._multinomial_into(got_rng, np.int64(people), pvals, got)
    assert_identical(got, ref)
    assert got_rng.bit_generator.state == ref_rng.bit_generator.state


@settings(max_examples=60, deadline=None)
@given(st.one_of(st.integers(1, 12), st.integers(60, 140)), st.sampled_from(["none", "one", "some"]),
       st.sampled_from(["none", "all", "some", "some"]), st.sampled_from([0, 1, 500]), SEEDS)
@example(n=1, hiring="one", look="all", pool=500, seed=0)     # a single vendor, everyone looks (p = 1)
@example(n=20, hiring="some", look="none", pool=0, seed=1)    # zero movers, empty pool
@example(n=20, hiring="one", look="all", pool=500, seed=2)    # a single destination, p = 1
@example(n=20, hiring="none", look="some", pool=500, seed=3)  # nobody hiring: only stayers, no pool hires
def test_talent_month_is_the_same_on_both_paths(n, hiring, look, pool, seed):
    """talent.month_of_moves: moves, hires, key hires, skill, capability and headcount equal
    on both paths, and the generator left in the same state."""
    args = talent_inputs(np.random.default_rng(seed), n, hiring, look, pool)
    ref_rng, got_rng = generators(seed + 1)
    with kernels.use(False):
        ref = talent.month_of_moves(ref_rng, *args)
    with kernels.use(True):
        got = talent.month_of_moves(got_rng, *args)
    assert set(got) == set(ref)
    for name in ref:
        assert_identical(got[name], ref[name])
    assert got_rng.bit_generator.state == ref_rng.bit_generator.state


@pytest.mark.parametrize("bad", ["negative_headcount", "nan_salary", "nan_skill", "nan_mobility"])
def test_talent_month_raises_where_numpy_raises(bad):
    """Invalid inputs raise ValueError on both paths (numpy's checks of n and p), rather than
    the compiled path drawing from them (a NaN p would never end its rejection loop)."""
    n = 12
    args = list(talent_inputs(np.random.default_rng(3), n, "some", "all", 500))
    args[6][:] = True                           # every vendor active and hiring: every row draws
    args[7][:] = True
    args[0][:] = 100
    if bad == "negative_headcount":
        args[0][4] = -1
    elif bad == "nan_salary":
        args[3][4] = np.nan
    elif bad == "nan_skill":
        args[1][4] = np.nan
    else:
        args[10] = SimpleNamespace(**{**vars(args[10]), "mobility": np.nan})
    for on in (False, True):
        with kernels.use(on), pytest.raises(ValueError):
            talent.month_of_moves(np.random.default_rng(0), *args)


# ------------------------------------------------------------------ finance and releases
def awkward_levels(rng: np.random.Generator, shape) -> np.ndarray:
    """Capability levels with ties (a few distinct values), zeros of both signs, infinities
    and the odd NaN: which row np.argmax picks depends on all of them."""
    pool = np.array([-np.inf, -1.5, -0.0, 0.0, 0.25, 1.5, 3.0, np.inf, np.nan])
    weights = np.array([1, 3, 2, 2, 3, 3, 3, 1, 0.3])
    x = rng.choice(pool, size=shape, p=weights / weights.sum())
    return np.where(rng.random(shape) < 0.3, mixed_floats(rng, shape, 2), x)


@settings(max_examples=120, deadline=None)
@given(st.integers(1, 90), st.integers(1, 5), st.floats(0.0, 1.0), st.booleans(), SEEDS)
@example(1, 4, 0.0, False, 0)       # nobody active: -inf, row 0
@example(3, 2, 1.0, True, 1)
def test_best_public_level(n, f, share_active, with_nan, seed):
    rng = np.random.default_rng(seed)
    capability = awkward_levels(rng, (n, f))
    if not with_nan:
        capability = np.where(np.isnan(capability), 0.5, capability)
    active = rng.random(n) < share_active
    (ref_best, ref_leader), (got_best, got_leader) = both_paths(catchup.best_public_level, capability, active)
    assert_identical(got_best, ref_best)
    assert_identical(got_leader, ref_leader)


@settings(max_examples=120, deadline=None)
@given(st.integers(0, 40), st.integers(1, 5), st.sampled_from(["small", "large", "signed"]), SEEDS)
def test_poisson_quantile(n, f, kind, seed):
    """Rates from 0 to hundreds (long loops), and negative or NaN ones (a cdf that falls
    again must not stop an entry early: the reference loops while any entry is below)."""
    rng = np.random.default_rng(seed)
    rate = rates(rng, (n, f)) * (500.0 if kind == "large" else 3.0)
    if kind == "signed":
        rate = np.where(rng.random((n, f)) < 0.3, -rate, rate)
        rate = np.where(rng.random((n, f)) < 0.05, np.nan, rate)
    pmf = np.exp(-rate)                         # the reference's cdf terms 0 .. 39, where a pick flips
    terms = [pmf]
    with np.errstate(invalid="ignore"):
        for k in range(1, 40):
            pmf = pmf * rate / k
            terms.append(terms[-1] + pmf)
    on_term = np.take_along_axis(np.stack(terms, axis=-1), rng.integers(0, 40, (n, f, 1)), axis=-1)[..., 0]
    uniform = np.where(rng.random((n, f)) < 0.7, on_term, rng.random((n, f)))
    uniform = np.where(rng.random((n, f)) < 0.1, np.nextafter(uniform, 1.0), uniform)
    ref, got = both_paths(catchup.poisson_quantile, uniform, rate)
    assert_identical(got, ref)
    ref, got = both_paths(catchup.poisson_quantile, uniform[:, 0], np.broadcast_to(3.0, (n,)))
    assert_identical(got, ref)


def funds(rng: np.random.Generator, n: int) -> np.ndarray:
    """Dry powder of n funds: a share of them empty (0 or negative), the rest over twelve orders
    of magnitude, some of them equal."""
    x = rng.random(n) * 10.0 ** rng.integers(-3, 10, n)
    x = np.where(rng.random(n) < 0.2, x[0] if n else 0.0, x)
    return np.where(rng.random(n) < 0.25, rng.choice([0.0, -0.0, -5.0], n), x)


def split_both_ways(amount, dry_powder, seed, max_investors):
    """split_round on each path from the same generator state, and the next number each
    generator gives after it (the same only if both drew as many numbers)."""
    out = []
    for on in (False, True):
        rng = np.random.default_rng(seed)
        with kernels.use(on):
            put = financing.split_round(amount, dry_powder.copy(), rng, max_investors)
        out.append((put, rng.random()))
    return out


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 30), st.integers(1, 6), st.sampled_from([0.0, -1.0, 1.0, 1e6, 1e9, 1e12, np.inf, np.nan]),
       SEEDS)
@example(4, 3, 1e9, 0)
@example(1, 3, 1e9, 1)
def test_split_round_draws_as_numpys_choice(n, max_investors, amount, seed):
    rng = np.random.default_rng(seed)
    dry_powder = funds(rng, n)
    (ref, ref_next), (got, got_next) = split_both_ways(amount, dry_powder, seed, max_investors)
    assert_identical(got, ref)
    assert got_next == ref_next


@pytest.mark.parametrize("dry_powder", [[1.0, np.inf, 2.0], [5e-324, 1.0, 2.0], [1e308, 1e308, 1.0]])
def test_split_round_refuses_what_numpys_choice_refuses(dry_powder):
    """p with NaN (an infinite fund), fewer positive entries than picks (a share that rounds to
    0), or a sum that overflows: the compiled path hands over to the reference, which raises
    as numpy does."""
    dry_powder = np.array(dry_powder)
    outcomes = []
    for on in (False, True):
        with kernels.use(on), np.errstate(all="ignore"):
            try:
                outcomes.append(financing.split_round(1e6, dry_powder, np.random.default_rng(3)))
            except ValueError as error:
                outcomes.append(str(error))
    assert isinstance(outcomes[0], str)
    assert outcomes[1] == outcomes[0]


@settings(max_examples=60, deadline=None)
@given(SEEDS, st.integers(0, 3))
def test_split_round_with_a_draw_exactly_on_a_cumulative_share(seed, empty):
    """The first uniform drawn lands exactly on the first fund's cumulative share: numpy's
    searchsorted(side="right") passes over that fund (a '<=' search would pick it)."""
    x0 = np.random.default_rng(seed).random()
    dry_powder = np.concatenate([np.zeros(empty), [x0, 1.0 - x0]])
    if not (0.0 < x0 and dry_powder.sum() == 1.0):
        return
    (ref, ref_next), (got, got_next) = split_both_ways(1.0, dry_powder, seed, 1)
    assert ref[-1] > 0 and ref[-2] == 0
    assert_identical(got, ref)
    assert got_next == ref_next


def test_numpys_maximum_and_minimum_give_the_second_of_two_equal_zeros():
    """kernels._maximum and _minimum assume it (the sign of a zero is part of the tables): of
    -0.0 and +0.0, numpy returns the second operand, in every layout the mechanisms use."""
    for n in (1, 3, 4, 7, 8, 9, 31, 81, 324):
        for fn in (np.maximum, np.minimum):
            neg, pos = np.full((n, 4), -0.0), np.zeros((n, 4))
            for a, b in ((neg, pos), (pos, neg), (neg, 0.0), (0.0, neg), (pos, -0.0), (neg[:, :1], pos[0]),
                         (neg[::2], pos[::2]), (neg, pos[:, 0][:, None]), (-0.0, 0.0), (0.0, -0.0)):
                second = np.broadcast_to(np.asarray(b, float), np.shape(fn(a, b)))
                assert_identical(fn(a, b), second)


def special_floats(rng: np.random.Generator, shape, spread: int = 3) -> np.ndarray:
    """mixed_floats with zeros of both signs, infinities and NaN among them."""
    x = mixed_floats(rng, shape, spread)
    odd = rng.choice(np.array([0.0, -0.0, np.inf, -np.inf, np.nan]), size=shape)
    return np.where(rng.random(shape) < 0.25, odd, x)


@settings(max_examples=120, deadline=None)
@given(st.integers(1, 40), SEEDS)
def test_vendor_runway(n, seed):
    from market_sim.agents.vendors import VendorTable
    rng = np.random.default_rng(seed)
    v = VendorTable([f"v{i}" for i in range(n)], [f"v{i}" for i in range(n)], 4)
    v.kind[:] = rng.integers(0, 3, n)
    v.cash[:], v.burn[:], v.owner_budget[:] = (special_floats(rng, n) for _ in range(3))
    v.burn[:] = np.where(rng.random(n) < 0.3, v.owner_budget, v.burn)          # b exactly 0
    v.cash[:] = np.where(rng.random(n) < 0.2, 120.0 * v.burn, v.cash)          # exactly at the cap
    runways = []
    for on in (False, True):
        v.runway[:] = np.nan
        with kernels.use(on), np.errstate(all="ignore"):
            v.update_runway()
        runways.append(v.runway.copy())
    assert_identical(runways[1], runways[0])


def catch_up_inputs(rng: np.random.Generator, n: int, f: int, opens: str, odd: bool) -> dict:
    """catchup.catch_up's arguments: levels with ties between vendors, the best and the frontier
    (zeros of both signs, and with `odd` infinities and NaN), lags from 1e-12 (a sure copy) to
    1e3 months; published weights for none, some or all features."""
    levels = rng.choice(np.array([-0.0, 0.0, 0.5, 1.0, 2.0]), size=(n, f))
    capability = np.where(rng.random((n, f)) < 0.5, levels, mixed_floats(rng, (n, f), 1))
    best = capability.max(axis=0)
    best_public = np.where(rng.random(f) < 0.7, best, best + rng.random(f))
    frontier = np.where(rng.random(f) < 0.3, best_public, best_public + rng.standard_normal(f))
    if odd:
        capability = np.where(rng.random((n, f)) < 0.1, special_floats(rng, (n, f)), capability)
        frontier = np.where(rng.random(f) < 0.2, special_floats(rng, f), frontier)
    best_open = None
    if opens != "none":
        best_open = np.where(rng.random(f) < 0.5, best_public, best_public - rng.random(f))
        best_open = np.where(rng.random(f) < (1.0 if opens == "nobody" else 0.4), -np.inf, best_open)
        if odd:
            best_open = np.where(rng.random(f) < 0.2, special_floats(rng, f), best_open)
    lags = 10.0 ** rng.uniform(-12, 3, (2, n, f))
    return {"capability": capability, "best_public": best_public, "frontier": frontier,
            "expected_lag_months": lags[0], "leapfrog": rng.choice(np.array([0.0, 0.3, 2.0]), size=f),
            "can_copy": rng.random(n) < 0.8,
            "copy_share": None if rng.random() < 0.3 else rng.choice(np.array([0.0, 0.5, 1.0]), size=f),
            "diffuses": rng.random(f) < 0.4, "best_open": best_open,
            "open_lag_months": None if best_open is None else lags[1]}


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 40), st.integers(1, 5), st.sampled_from(["none", "nobody", "some"]), st.booleans(), SEEDS)
def test_catch_up(n, f, opens, odd, seed):
    args = catch_up_inputs(np.random.default_rng(seed), n, f, opens, odd)
    ref, got = both_paths_drawing(catchup.catch_up, seed, **args)      # (level, copied, next uniform)
    for g, r in zip(got, ref, strict=True):
        assert_identical(g, r)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 40), st.integers(1, 5), SEEDS)
def test_gap_months(n, f, seed):
    """Levels at, above and below the reference (zeros of both signs, infinities, NaN);
    growth from NaN and -1 to 1 (floored at 1e-9)."""
    rng = np.random.default_rng(seed)
    reference = special_floats(rng, f, 1)
    capability = np.where(rng.random((n, f)) < 0.3, reference, special_floats(rng, (n, f), 1))
    growth = rng.choice(np.array([np.nan, -1.0, 0.0, -0.0, 1e-12, 0.03, 1.0]), size=f)
    with np.errstate(all="ignore"):
        ref, got = both_paths(catchup.gap_months, capability, reference, growth)
    assert_identical(got, ref)


@settings(max_examples=120, deadline=None)
@given(st.integers(1, 40), st.integers(1, 5), st.booleans(), st.booleans(), SEEDS)
def test_innovate(n, f, per_vendor_rate, damped, seed):
    """Levels below, at and past the frontier (zeros of both signs), rates from 0 to 30 a
    month (per vendor or per vendor and feature), steps and damping scales 0 or over six
    orders of magnitude (0: divisions by zero, inf and NaN as numpy gives them)."""
    rng = np.random.default_rng(seed)
    frontier = rng.choice(np.array([-0.0, 0.0, 1.0, 50.0]), size=f)
    capability = frontier + np.where(rng.random((n, f)) < 0.3, rng.choice(np.array([-0.0, 0.0]), (n, f)),
                                     mixed_floats(rng, (n, f), 1))
    rate = rates(rng, n if per_vendor_rate else (n, f)) * 30.0
    step = np.where(rng.random(f) < 0.1, 0.0, 10.0 ** rng.uniform(-3, 3, f))
    scale = np.where(rng.random(f) < 0.1, 0.0, 10.0 ** rng.uniform(-3, 3, f)) if damped else None
    ref, got = both_paths_drawing(catchup.innovate, seed, capability, frontier, rate, step, scale)
    for g, r in zip(got, ref, strict=True):                          # (level, released, next uniform)
        assert_identical(g, r)


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 40), st.integers(1, 5), st.booleans(), SEEDS)
def test_month_of_releases(n, f, anyone_publishes, seed):
    """A whole month of releases (release_terms, then innovate and catch_up) on both paths:
    labs from none to thousands of researchers, some out of the race or gone."""
    rng = np.random.default_rng(seed)
    features = SimpleNamespace(release_rate_factor=rng.uniform(0.2, 3.0, f),
                               innovation_step=10.0 ** rng.uniform(-2, 1, f),
                               beyond_frontier_scale=10.0 ** rng.uniform(-2, 1, f),
                               copy_lag_factor=rng.choice(np.array([0.5, 1.0, 3.0]), size=f),
                               leapfrog=rng.choice(np.array([0.0, 0.3]), size=f), copy_share=rng.uniform(0.0, 1.0, f),
                               diffuses=rng.random(f) < 0.4)
    rules = SimpleNamespace(talent_elasticity=rng.uniform(0.2, 1.0), compute_elasticity=rng.uniform(0.0, 0.6),
                            innovation_rate=rng.uniform(0.1, 5.0), focused_innovation_factor=rng.uniform(0.0, 1.0),
                            copy_lag_months=rng.uniform(1.0, 24.0), open_weights_lag_factor=rng.uniform(0.1, 1.0))
    capability = rng.choice(np.array([-0.0, 0.0, 1.0, 2.0]), size=(n, f)) + np.where(
        rng.random((n, f)) < 0.5, 0.0, rng.standard_normal((n, f)))
    active = rng.random(n) < 0.8
    open_weights = rng.random(n) < (0.5 if anyone_publishes else 0.0)
    with kernels.use(False):
        best_public, _ = catchup.best_public_level(capability, active)
        best_open, _ = catchup.best_public_level(capability, active & open_weights)
    frontier = best_public + rng.choice(np.array([0.0, 0.5]), size=f)
    headcount = np.where(rng.random(n) < 0.2, 0, rng.integers(1, 3000, n))
    state = (capability, best_public, best_open, active, rng.random(n) < 0.3, headcount, rng.uniform(0.5, 2.0, n),
             rng.uniform(0.0, 1e5, n), open_weights, frontier, features, rules)
    out = []
    for on in (False, True):
        draws = np.random.default_rng(seed), np.random.default_rng(seed + 1)
        with kernels.use(on), np.errstate(all="ignore"):
            out.append(catchup.month_of_releases(*draws, *state) + tuple(g.random() for g in draws))
    for got, ref in zip(out[1], out[0]):
        assert_identical(got, ref)


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 40), st.integers(1, 5), SEEDS)
def test_release_terms_are_release_rates_and_expected_copy_lag(n, f, seed):
    """The rates and lags themselves (a rate an ulp off seldom changes a Poisson count)."""
    rng = np.random.default_rng(seed)
    strength = np.where(rng.random(n) < 0.2, 0.0, mixed_floats(rng, n, 3) ** 2)
    focused, active = rng.random(n) < 0.3, rng.random(n) < 0.8
    rate_factor, lag_factor = mixed_floats(rng, f, 2), mixed_floats(rng, f, 2)
    terms = rng.uniform(0.1, 5.0), rng.uniform(0.0, 1.0), rng.uniform(1.0, 24.0), rng.uniform(0.1, 1.0)
    got = kernels.release_terms(strength, np.sqrt(np.maximum(strength, 1e-6)), terms[0], focused, terms[1], active,
                                rate_factor, terms[2], terms[3], lag_factor)
    ref = (catchup.release_rates(strength, terms[0], focused, terms[1], active, rate_factor),
           catchup.expected_copy_lag(terms[2], strength, np.zeros(f, bool), terms[3]) * lag_factor[None, :],
           catchup.expected_copy_lag(terms[2], strength, np.ones(f, bool), terms[3]) * lag_factor[None, :],
           active & (strength > 0))
    for g, r in zip(got, ref):
        assert_identical(g, r)


@settings(max_examples=120, deadline=None)
@given(st.integers(1, 40), st.integers(1, 4), st.sampled_from([0, 6, 12.0, 36.5]), st.booleans(), SEEDS)
def test_expected_quality_gap(n, f, horizon, anyone_publishes, seed):
    """Gaps now of both signs and none; labs without researchers (strength 0) or with NaN
    compute; published weights at the best, behind it, or nowhere (open_behind inf); levels
    inf or NaN now and then (open_behind NaN); a zero horizon (0 / 0)."""
    rng = np.random.default_rng(seed)
    features = SimpleNamespace(copy_lag_factor=rng.choice(np.array([0.5, 1.0, 3.0]), size=f),
                               growth_per_month=rng.choice(np.array([0.0, 0.05, 1.0]), size=f))
    rules = SimpleNamespace(talent_elasticity=rng.uniform(0.2, 1.0), compute_elasticity=rng.uniform(0.0, 0.6),
                            copy_lag_months=rng.uniform(0.0, 24.0), open_weights_lag_factor=rng.uniform(0.0, 1.0))
    capability = rng.choice(np.array([-0.0, 0.0, 1.0, 2.0]), size=(n, f)) + np.where(
        rng.random((n, f)) < 0.5, 0.0, rng.standard_normal((n, f)))
    capability = np.where(rng.random((n, f)) < 0.05, rng.choice(np.array([np.inf, np.nan]), (n, f)), capability)
    gap_now = np.where(rng.random(n) < 0.3, rng.choice(np.array([0.0, -0.0]), n), mixed_floats(rng, n, 2))
    headcount = np.where(rng.random(n) < 0.2, 0, rng.integers(1, 3000, n))
    gpus = np.where(rng.random(n) < 0.05, np.nan, rng.uniform(0.0, 1e5, n))
    args = (gap_now, capability, rng.random(n) < 0.8, rng.random(n) < (0.4 if anyone_publishes else 0.0), headcount,
            rng.uniform(0.5, 2.0, n), gpus, features, rules, horizon, int(rng.integers(0, f)))
    with np.errstate(all="ignore"):
        ref, got = both_paths(catchup.expected_quality_gap, *args)
    assert_identical(got, ref)


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 40), st.sampled_from([0.0, 0.3, 50.0]), st.booleans(), SEEDS)
def test_quality_adjusted_rival_price(n, value_per_month, odd, seed):
    """Prices and quality gaps with ties, zeros of both signs, exp overflowing to inf and
    underflowing to 0 (with `odd`: infinities and NaN); followed by none, some or all. Rows
    with zeros of both signs go to the reference (whose reduction order sets the sign)."""
    rng = np.random.default_rng(seed)
    price = rng.choice(np.array([0.0, 1.0, 2.5, 10.0]), size=n) * rng.choice(np.array([1.0, 1.0, 1.0, -1.0]), size=n)
    quality = np.where(rng.random(n) < 0.4, rng.choice(np.array([0.0, 3.0]), n), mixed_floats(rng, n, 2))
    if odd:
        price = np.where(rng.random(n) < 0.1, special_floats(rng, n), price)
        quality = np.where(rng.random(n) < 0.1, special_floats(rng, n), quality)
    followed = rng.random(n) < rng.choice(np.array([0.0, 0.5, 1.0]))
    with np.errstate(all="ignore"):
        ref, got = both_paths(pricing.quality_adjusted_rival_price, price, quality, followed, value_per_month)
    assert_identical(got, ref)


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 40), st.sampled_from([np.int32, np.int64]), SEEDS)
def test_startup_decisions(n, streak_dtype, seed):
    """Values on every threshold (focus value at the inertia, streak at the patience, runway
    at the pivot and exit lines, cash 0 of both signs) and NaN."""
    rng = np.random.default_rng(seed)
    params = SimpleNamespace(pivot_inertia_months=float(rng.choice([0.0, 3.0])), decision_patience_months=3,
                             pivot_runway_months=6.0, exit_runway_months=2.0)
    costs = rng.choice(np.array([0.0, 1.0, 5.0]), n)
    focus_value = np.where(rng.random(n) < 0.4, params.pivot_inertia_months * costs, special_floats(rng, n, 1))
    runway = rng.choice(np.array([0.0, 1.0, 2.0, 5.0, 6.0, 7.0, 120.0, np.nan]), n)
    cash = rng.choice(np.array([-1.0, -0.0, 0.0, 1.0, np.nan]), n)
    focus_streak = rng.integers(0, 5, n).astype(streak_dtype)
    args = (rng.random(n) < 0.7, rng.random(n) < 0.7, focus_value, costs, runway, rng.random(n) < 0.5, cash,
            focus_streak, params)
    ref, got = both_paths(financing.startup_decisions, *args)
    for g, r in zip(got, ref):
        assert_identical(g, r)


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 40), st.sampled_from([np.int32, np.int64]), SEEDS)
def test_parents_cover(n, streak_dtype, seed):
    """Losses and budgets with zeros of both signs, ties at the tolerance, infinities and NaN;
    big techs, self-funded labs, others and vendors gone."""
    rng = np.random.default_rng(seed)
    costs = special_floats(rng, n, 2)
    revenue = np.where(rng.random(n) < 0.3, costs, special_floats(rng, n, 2))
    with np.errstate(invalid="ignore"):
        owner_budget = np.where(rng.random(n) < 0.3, costs - revenue, special_floats(rng, n, 2))
    kind = rng.integers(0, 3, n)
    active = rng.random(n) < 0.8
    args = ((kind == 0) & active, (kind == 2) & active, costs, revenue, owner_budget, float(rng.choice([0.0, 1.0])),
            rng.integers(0, 5, n).astype(streak_dtype))
    with np.errstate(all="ignore"):
        ref, got = both_paths(financing.parents_cover, *args)
    for g, r in zip(got, ref):
        assert_identical(g, r)


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 12), st.integers(0, 30), st.sampled_from([0.0, -0.0, 1e6, np.nan]), st.floats(0.0, 1.0),
       SEEDS)
def test_issue_shares_of_a_venture_round(n_big, n_funds, strategic, dilution, seed):
    """kernels._issue_shares (book_round's cap table) against the reference: stakes and fund
    money with zeros of both signs; strategic money 0 of either sign, some or NaN; dilution 0
    (post-money inf) to 1; the lead first, last or -1."""
    rng = np.random.default_rng(seed)
    big = np.where(rng.random(n_big) < 0.3, rng.choice(np.array([0.0, -0.0]), n_big), rng.random(n_big))
    funds = np.where(rng.random(n_funds) < 0.3, rng.choice(np.array([0.0, -0.0]), n_funds), rng.random(n_funds))
    fund_rmb = np.where(rng.random(n_funds) < 0.4, rng.choice(np.array([0.0, -0.0, -1.0]), n_funds),
                        mixed_floats(rng, n_funds, 3) ** 2)
    lead = int(rng.choice([0, n_big - 1, -1]))
    with np.errstate(all="ignore"):
        ref = financing.issue_shares(big, funds, strategic, lead, fund_rmb, dilution)
        got = kernels._issue_shares(big, funds, strategic, lead, fund_rmb, dilution)
    for g, r in zip(got, ref):
        assert_identical(g, r)


@settings(max_examples=120, deadline=None)
@given(st.integers(1, 40), st.integers(1, 5), SEEDS)
def test_headlines_and_hype_after(n, f, seed):
    """Bests that rose, stayed (ties) or fell, with NaN and infinities; leaders that did and did
    not release; hype and its parameters with zeros of both signs."""
    rng = np.random.default_rng(seed)
    capability = np.where(rng.random((n, f)) < 0.5, rng.choice(np.array([0.0, 1.0, 2.0]), (n, f)),
                          special_floats(rng, (n, f), 1))
    active = rng.random(n) < 0.8
    with kernels.use(False):
        best, _ = catchup.best_public_level(capability, active)
    best_before = np.where(rng.random(f) < 0.5, best, special_floats(rng, f, 1))
    released = rng.random((n, f)) < 0.5
    ref, got = both_paths(catchup.headlines, released, capability, best_before, active)
    assert_identical(got, ref)
    hype = np.where(rng.random(n) < 0.2, rng.choice(np.array([0.0, -0.0]), n), mixed_floats(rng, n, 2))
    params = [float(x) for x in rng.choice(np.array([0.0, -0.0, 0.1, 0.5, 1.0]), 3)]
    ref, got = both_paths(catchup.hype_after, hype, released, ref, *params)
    assert_identical(got, ref)


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 60), st.floats(0.0, 1.0), st.booleans(), SEEDS)
def test_rank_score(n, share_active, odd, seed):
    """Qualities with many ties (zeros of both signs among them); with `odd` infinities and
    NaN, whose places numpy's stable argsort sets."""
    rng = np.random.default_rng(seed)
    quality = rng.choice(np.array([-0.0, 0.0, 1.0, 2.0, 3.5]), size=n)
    quality = np.where(rng.random(n) < 0.3, mixed_floats(rng, n, 2), quality)
    if odd:
        quality = np.where(rng.random(n) < 0.2, rng.choice(np.array([np.nan, np.inf, -np.inf]), n), quality)
    ref, got = both_paths(financing.rank_score, quality, rng.random(n) < share_active)
    assert_identical(got, ref)


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 40), st.sampled_from([0.0, 0.6, 1.3]), SEEDS)
def test_round_odds(n, climate, seed):
    """Users and revenue with totals of zero (no shares), zeros of both signs, NaN; burn of
    both signs; traction past both ends of its clip; weights of both signs."""
    rng = np.random.default_rng(seed)
    mau = np.where(rng.random(n) < 0.4, rng.choice(np.array([0.0, -0.0, np.nan]), n), rng.random(n) * 1e6)
    api = np.where(rng.random(n) < 0.5, rng.choice(np.array([0.0, -0.0]), n), rng.random(n) * 1e4)
    if rng.random() < 0.3:
        mau = np.zeros(n)
    quality = np.where(rng.random(n) < 0.5, rng.choice(np.array([0.0, 1.0]), n), rng.random(n))
    burn = np.where(rng.random(n) < 0.3, rng.choice(np.array([0.0, -0.0, -1e6]), n), mixed_floats(rng, n, 6))
    params = SimpleNamespace(success_intercept=float(rng.uniform(-3, 1)),
                             success_traction_weight=float(rng.uniform(-1, 3)),
                             success_rank_weight=float(rng.uniform(0, 2)),
                             success_climate_weight=float(rng.uniform(0, 2)),
                             round_size_months_of_burn=float(rng.choice([18.0, 24.0])))
    with np.errstate(all="ignore"):
        ref, got = both_paths(financing.round_odds, mau, api, quality, rng.random(n) < 0.8, burn, climate, params)
    for g, r in zip(got, ref):
        assert_identical(g, r)


def test_clip_maximum_minimum_of_one_float_are_numpys():
    """The scalar helpers the kernels use, on every pair of special values."""
    values = np.array([-np.inf, -1.0, -0.0, 0.0, 0.5, 1.0, np.inf, np.nan])
    for x in values:
        assert_identical(kernels._clip(x, 0.0, 1.0), np.clip(np.array([x]), 0.0, 1.0)[0])
        for y in values:
            assert_identical(kernels._maximum(x, y), np.maximum(np.array([x]), np.array([y]))[0])
            assert_identical(kernels._minimum(x, y), np.minimum(np.array([x]), np.array([y]))[0])


@settings(max_examples=120, deadline=None)
@given(st.integers(0, 40), SEEDS)
def test_focused_costs_and_value_of_focusing(n, seed):
    """Costs, revenue, stakes and gaps of mixed signs and magnitudes, zeros of both signs,
    infinities and NaN; gaps past the horizon's prospect scale and below zero."""
    from market_sim.agents.vendors import VendorTable
    rng = np.random.default_rng(seed)
    v = VendorTable([f"v{i}" for i in range(n)], [f"v{i}" for i in range(n)], 4)
    v.headcount[:] = rng.integers(0, 3000, n)
    for name in ("salary", "gpus", "marketing", "enterprise_tokens", "consumer_tokens", "unit_cost"):
        getattr(v, name)[:] = special_floats(rng, n, 4)
    settings_ = (float(rng.uniform(0, 1e5)), float(rng.uniform(0, 1)), float(rng.choice([0.0, 0.3])))
    with np.errstate(all="ignore"):
        ref, got = both_paths(v.focused_costs, *settings_)
    assert_identical(got, ref)
    params = SimpleNamespace(decision_horizon_months=int(rng.choice([6, 12])),
                             prospect_gap_months=float(rng.uniform(0.5, 12)),
                             focus_revenue_retained=float(rng.uniform(0, 1)),
                             focus_value_share=float(rng.uniform(0, 1)))
    gap = np.where(rng.random(n) < 0.3, rng.choice(np.array([0.0, -0.0, -1.0]), n), special_floats(rng, n, 2))
    args = (special_floats(rng, n, 6), special_floats(rng, n, 6), ref, gap, special_floats(rng, n, 8), params)
    with np.errstate(all="ignore"):
        ref, got = both_paths(financing.value_of_focusing, *args)
    assert_identical(got, ref)


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 30), st.integers(0, 8), st.sampled_from([0.0, 0.2]), SEEDS)
def test_raise_rounds(n, n_funds, strategic_share, seed):
    """A month of rounds on both paths: startups due or not, sure, impossible and even chances;
    asks of zero, negative, tiny (rounds nobody can fill), large and NaN; big techs with equal
    stakes (the first leads), ready or not; funds with no money left."""
    rng = np.random.default_rng(seed)
    stakes = np.where(rng.random((n, n)) < 0.3, rng.choice(np.array([0.05, 0.1]), (n, n)), 0.0)
    fund_stakes = np.where(rng.random((n_funds, n)) < 0.3, rng.random((n_funds, n)) * 0.1, 0.0)
    dry_powder = np.where(rng.random(n_funds) < 0.3, 0.0, 10.0 ** rng.uniform(0, 10, n_funds))
    ask = rng.choice(np.array([0.0, -1.0, 1e-300, 1e6, 1e9, np.nan]), n)
    args = (rng.random(n) < 0.7, rng.choice(np.array([0.0, 0.5, 1.0]), n), ask, rng.random(n) < 0.5, stakes,
            fund_stakes, dry_powder, strategic_share, float(rng.uniform(0.05, 0.3)))
    out = []
    for on in (False, True):
        with kernels.use(on), np.errstate(all="ignore"):
            out.append(financing.raise_rounds(lambda row: np.random.default_rng([seed, int(row)]), *args))
    assert set(out[0]) == set(out[1])
    for name in out[0]:
        assert_identical(out[1][name], out[0][name])
