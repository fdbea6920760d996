"""Consumer adoption: the Bass limit, and the logit choice."""

import numpy as np
import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from market_sim import MarketModel
from market_sim.mechanisms import adoption

from .conftest import BASELINE

P, Q = 0.01, 0.15  # monthly Bass coefficients for the tests


def simulate_bass_mixed(n, p, q, months, rng):
    """Arrays only: fully mixed population, one vendor, no churn."""
    vendor = np.full(n, -1)
    weight = np.ones(n)
    shares = []
    for _ in range(months):
        a = adoption.population_adopted_share(vendor, weight)
        new = (vendor < 0) & (rng.random(n) < adoption.adoption_probability(p, q, a))
        vendor[new] = 0
        shares.append(adoption.population_adopted_share(vendor, weight))
    return np.array(shares)


def test_bass_closed_form_p_only_is_exact_exponential():
    t = np.arange(1, 61)
    np.testing.assert_allclose(adoption.bass_closed_form(0.02, 0.0, t), 1 - np.exp(-0.02 * t))


def assert_mean_path_is_bass(paths, p, q):
    """The mean adoption path over independent runs equals the Bass closed form within four
    standard errors measured across the runs (early noise shifts a whole S-curve in time, so
    single paths wander more than binomial noise; a biased step, e.g. the plain Euler step
    with error 0.045 at these p, q, fails this by far)."""
    paths = np.asarray(paths)
    exact = adoption.bass_closed_form(p, q, np.arange(1, paths.shape[1] + 1))
    mean = paths.mean(axis=0)
    se = paths.std(axis=0, ddof=1) / np.sqrt(paths.shape[0])
    assert np.all(np.abs(mean - exact) <= 4 * se + 1e-3), np.max(np.abs(mean - exact))


def test_mechanism_reproduces_bass_closed_form():
    rng = np.random.default_rng(3)
    assert_mean_path_is_bass([simulate_bass_mixed(20_000, P, Q, 60, rng) for _ in range(10)], P, Q)


def _one_vendor_config(word_of_mouth="mixed", consumers=20_000):
    data = yaml.safe_load(BASELINE.read_text())
    keep = "baidu"
    data["vendors"] = {keep: data["vendors"][keep]}
    data["vendors"][keep]["consumer_share"] = 1.0
    data["strategic_stakes"] = []
    data["scheduled_releases"] = []
    data["scheduled_prices"] = []
    data["scheduled_rounds"] = []
    data["long_tail"].update(count=0, entrants_max=0)
    data["run"]["months"] = 48
    data["scale"].update(consumers=consumers, enterprises=50, initial_adoption=0.0)
    data["consumers"].update(bass_p=P, bass_q=Q, word_of_mouth=word_of_mouth, churn=0.0,
                             marketing_effect=0.0, superapp_effect=0.0)
    return data


@pytest.mark.slow
def test_model_with_one_vendor_no_churn_full_mixing_reproduces_bass():
    paths = []
    for seed in range(6):
        model = MarketModel(_one_vendor_config(), rng=seed)
        shares = []
        while model.running:
            model.step()
            shares.append(model.market.total_mau / model.cfg.scale.consumer_population)
        paths.append(shares)
    assert_mean_path_is_bass(paths, P, Q)
    assert min(p[-1] for p in paths) > 0.9  # and it really went through the S-curve


def _mau_path(word_of_mouth, seed=5):
    model = MarketModel(_one_vendor_config(word_of_mouth, consumers=5000), rng=seed)
    while model.running:
        model.step()
    _, market, _ = model.tables()
    return market["total_mau"].to_numpy() / model.cfg.scale.consumer_population


def test_network_word_of_mouth_also_saturates_but_differs_from_mixed():
    # the network rule draws no random numbers of its own, so with the same seed the two runs
    # are identical if the model ignored consumers.word_of_mouth (the bug this catches)
    network, mixed = _mau_path("network"), _mau_path("mixed")
    assert network[-1] > 0.9
    assert not np.array_equal(network, mixed)


def _two_clusters(n_per, degree, rng):
    """Agents 0..n_per-1 (cluster A) and n_per..2n_per-1 (cluster B); every contact of an
    agent is drawn from its own cluster (no self-contacts)."""
    n = 2 * n_per
    own = np.arange(n) // n_per
    nb = rng.integers(0, n_per - 1, size=(n, degree))
    local = np.arange(n)[:, None] % n_per
    nb = nb + (nb >= local)                   # skip self
    return nb + own[:, None] * n_per, own


def test_neighbour_share_is_local_while_population_share_is_uniform():
    # cluster A: half its members adopted; cluster B: nobody. Network word of mouth sees the
    # cluster, full mixing sees one number for everybody (catches neighbour_adopted_share
    # replaced by the population share, or reading the wrong agents' contacts)
    rng = np.random.default_rng(0)
    nb, cluster = _two_clusters(100, 8, rng)
    vendor = np.full(200, -1)
    vendor[:100:2] = 0                        # every other member of A
    own = adoption.neighbour_adopted_share(vendor, nb)
    np.testing.assert_allclose(own, (vendor[nb] >= 0).mean(axis=1))
    assert own[cluster == 1].max() == 0.0
    assert own[cluster == 0].mean() == pytest.approx(0.5, abs=0.05)
    # a hand-made case, exactly
    np.testing.assert_allclose(adoption.neighbour_adopted_share(np.array([0, -1, 0, -1]),
                                                                np.array([[2, 3], [3, 3], [0, 1], [1, 1]])),
                               [0.5, 0.0, 0.5, 0.0])
    mixed = adoption.population_adopted_share(vendor, np.ones(200))
    assert mixed == pytest.approx(0.25)
    weighted = adoption.population_adopted_share(vendor, np.where(cluster == 0, 3.0, 1.0))
    assert weighted == pytest.approx(0.5 * 300 / 400)  # people-weighted, not agent-counted


def _spread(word_of_mouth, months, rng, n_per=3000, degree=10, p=0.002, q=0.6):
    """Arrays only: a seeded cluster A (10% adopters), an unseeded cluster B; new adopters
    per cluster (seeds excluded) after `months` of Bass adoption."""
    nb, cluster = _two_clusters(n_per, degree, rng)
    vendor = np.full(2 * n_per, -1)
    vendor[rng.random(2 * n_per) < 0.1 * (cluster == 0)] = 0
    seeded = vendor >= 0
    weight = np.ones(2 * n_per)
    for _ in range(months):
        if word_of_mouth == "network":
            a = adoption.neighbour_adopted_share(vendor, nb)
        else:
            a = adoption.population_adopted_share(vendor, weight)
        new = (vendor < 0) & (rng.random(vendor.size) < adoption.adoption_probability(p, q, a))
        vendor[new] = 0
    adopted = (vendor >= 0) & ~seeded
    return adopted[cluster == 0].sum() / (~seeded[cluster == 0]).sum(), adopted[cluster == 1].mean()


def test_network_word_of_mouth_spreads_faster_inside_the_seeded_cluster():
    # under network word of mouth a clustered seed spreads inside its cluster and barely
    # reaches the other; fully mixed, both clusters hear the same and adopt alike
    rng = np.random.default_rng(1)
    net_a, net_b = _spread("network", 4, rng)
    mix_a, mix_b = _spread("mixed", 4, rng)
    assert net_a > 0.15 and net_a > 5 * net_b
    assert mix_a == pytest.approx(mix_b, abs=0.05)  # ~4 standard errors
    assert net_a > mix_a  # a seeded cluster hears more from its contacts than from the population


def test_monthly_step_has_no_discretisation_error():
    # the expected-share recursion of monthly steps equals the continuous closed form
    f = 0.0
    for t in range(1, 61):
        f = f + (1 - f) * adoption.adoption_probability(P, Q, f)
        assert abs(f - adoption.bass_closed_form(P, Q, t)) < 1e-12


@settings(max_examples=200, deadline=None)
@given(st.floats(0.0, 0.2), st.floats(0.0, 1.0), st.floats(0.0, 1.0))
@example(p=0.0, q=5e-324, a=0.9375)  # denormal q: an earlier formula returned 1 here
def test_adoption_probability_is_a_probability_and_q0_is_exponential(p, q, a):
    prob = float(adoption.adoption_probability(p, q, a))
    assert 0.0 <= prob <= 1.0
    if q == 0.0:
        assert abs(prob - (1 - np.exp(-p))) < 1e-12
    # more word of mouth never lowers the chance of adopting
    assert float(adoption.adoption_probability(p, q, min(a + 0.1, 1.0))) >= prob - 1e-12


def test_logit_choice_frequencies_match_softmax():
    rng = np.random.default_rng(0)
    u = np.array([[0.0, 1.0, 2.0, -np.inf]])
    available = np.array([True, True, True, False])
    picks = adoption.logit_choice(rng.random(100_000), np.repeat(u, 100_000, axis=0), available)
    freq = np.bincount(picks, minlength=4) / picks.size
    expected = adoption.logit_shares(u, available)[0]
    np.testing.assert_allclose(freq, expected, atol=0.01)
    assert freq[3] == 0


def test_unavailable_vendor_is_never_chosen():
    rng = np.random.default_rng(1)
    u = rng.normal(size=(1000, 5))
    available = np.array([True, False, True, False, True])
    assert set(adoption.logit_choice(rng.random(1000), u, available)) <= {0, 2, 4}


@settings(max_examples=50, deadline=None)
@given(st.integers(5, 60), st.integers(1, 10), st.integers(0, 2**31 - 1))
def test_neighbour_vendor_shares_are_shares(n, degree, seed):
    rng = np.random.default_rng(seed)
    vendor = rng.integers(-1, 4, n)
    neighbours = rng.integers(0, n, (n, degree))
    rows = np.arange(n)
    s = adoption.neighbour_vendor_share(vendor, neighbours, rows, 4)
    assert np.all(s >= 0) and np.all(s <= 1)
    np.testing.assert_allclose(s.sum(axis=1), adoption.neighbour_adopted_share(vendor, neighbours))


def test_neighbour_vendor_share_counts_each_contacts_vendor():
    # catches shares read from the wrong rows or non-users counted as users of vendor 0
    vendor = np.array([0, 1, -1, 1])
    neighbours = np.array([[1, 3], [2, 0], [0, 1], [2, 2]])
    s = adoption.neighbour_vendor_share(vendor, neighbours, np.array([0, 1, 3]), 2)
    np.testing.assert_allclose(s, [[0.0, 1.0], [0.5, 0.0], [0.0, 0.0]])
