"""Consumer adoption (Bass diffusion) and assistant choice (multinomial logit).

Adoption: a non-adopter's hazard of adopting some assistant is p_i + q * A, where p_i is the
innovation coefficient: bass_p plus the vendors' discovery hazards (each vendor's ads, per RMB
a person; each super-app the person is on) and A the share of adopters among its
word-of-mouth contacts (network) or in the whole population (fully mixed). Over a one-month
step A itself rises, so the monthly probability integrates the Bass equation
dA/dt = (p + qA)(1 - A) across the month from the share A seen at its start:
    prob = (F_1(A) - A) / (1 - A) = (p + qA)(1 - e) / (p + qA + q(1 - A)e),
    F_1(A) = (p + qA - p(1-A)e) / (p + qA + q(1-A)e),  e = exp(-(p + q)).
With one vendor, no churn and full mixing this makes the expected adoption path the Bass
(1969) closed form F(t) = (1 - e^{-(p+q)t}) / (1 + (q/p) e^{-(p+q)t}) at every month, with no
discretisation error (tests/test_adoption.py); with q = 0 it is 1 - exp(-p).

Discovery: a newcomer brought by a vendor's ads or super-app tries that vendor; one who came
by word of mouth or on its own (bass_p + qA) chooses by logit, with hype. Retention: users who
reconsider, and those whose vendor left, choose by logit without hype. The logit draw is by
inverse CDF from one uniform per person. A vendor's utility to everyone is
    V_j = sum_f beta_f min(c_jf, saturation_f) + beta_marketing ln(1 + m_j / 1e6)
(capability c in internal units, marketing m in RMB a month); a chooser i adds
    beta_superapp [i is on j's super-app] + beta_wom (share of i's contacts using j)
    + beta_incumbent [i uses j now] (+ beta_hype hype_j for a newcomer).
"""

from __future__ import annotations

import numpy as np

from .. import kernels
from ..numerics import softmax
from ..streams import SparseUniforms


def bass_closed_form(p: float, q: float, t: np.ndarray | float) -> np.ndarray:
    """Cumulative adoption share F(t) of the continuous Bass model."""
    t = np.asarray(t, float)
    e = np.exp(-(p + q) * t)
    return (1.0 - e) / (1.0 + (q / p) * e)


def adoption_probability(p: np.ndarray | float, q: float, adopted_share: np.ndarray | float) -> np.ndarray:
    """Probability that a non-adopter adopts this month, seeing `adopted_share` A at its start:
    (F1(A) - A)/(1 - A) = (p + qA)(1 - e) / (p + qA + q(1 - A)e), e = exp(-(p + q)),
    written without the subtraction so that it stays exact for tiny p, q and for A near 1."""
    p = np.asarray(p, float)
    a = np.asarray(adopted_share, float)
    hazard = p + q * a
    one_minus_e = -np.expm1(-(p + q))
    den = hazard + q * (1.0 - a) * (1.0 - one_minus_e)
    with np.errstate(divide="ignore", invalid="ignore"):
        prob = np.where(den > 0, hazard * one_minus_e / np.where(den > 0, den, 1.0), 0.0)
    return np.clip(prob, 0.0, 1.0)


def neighbour_adopted_share(vendor: np.ndarray, neighbours: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
    """Share of each agent's contacts who use some assistant (of the agents `rows`, or all)."""
    if kernels.enabled():
        return kernels.neighbour_adopted_share(vendor, neighbours, np.arange(vendor.size) if rows is None else rows)
    adopted = vendor >= 0
    return np.count_nonzero(adopted[neighbours if rows is None else neighbours[rows]], axis=1) / neighbours.shape[1]


def consumer_groups(vendor: np.ndarray, orphaned: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows of the people using an assistant, of those who can adopt one (none in use, and
    their vendor did not just leave), and of the orphaned, each in row order."""
    if kernels.enabled():
        return kernels.consumer_groups(vendor, orphaned)
    adopted = vendor >= 0
    return np.flatnonzero(adopted), np.flatnonzero(~(adopted | orphaned)), np.flatnonzero(orphaned)


def adopters(uniform: np.ndarray, candidate: np.ndarray, p: np.ndarray, q: float,
             adopted_share: np.ndarray) -> np.ndarray:
    """Who adopts this month: the candidates whose uniform falls below
    `adoption_probability(p, q, adopted_share)`."""
    if kernels.enabled():
        return kernels.adopts(p, q, adopted_share, -np.expm1(-(p + q)), uniform, candidate)
    return candidate & (uniform < adoption_probability(p, q, adopted_share))


def population_adopted_share(vendor: np.ndarray, weight: np.ndarray) -> float:
    """People-weighted share who use some assistant."""
    return float(weight[vendor >= 0].sum() / weight.sum())


def neighbour_vendor_share(vendor: np.ndarray, neighbours: np.ndarray, rows: np.ndarray,
                           n_vendors: int) -> np.ndarray:
    """(len(rows) x vendors): share of each listed agent's contacts using each vendor."""
    nb = vendor[neighbours[rows]]                              # (m x degree)
    m, k = nb.shape
    flat = np.repeat(np.arange(m), k) * n_vendors + np.where(nb >= 0, nb, 0).ravel()
    counts = np.bincount(flat, weights=(nb >= 0).ravel().astype(float), minlength=m * n_vendors)
    return counts.reshape(m, n_vendors) / k


def logit_choice(uniform: np.ndarray, utility: np.ndarray, available: np.ndarray) -> np.ndarray:
    """Row-wise draw from a multinomial logit over the available columns, by inverse CDF: one
    uniform per row (`uniform`), so the number of random numbers used does not depend on
    the utilities or on how many columns there are."""
    p = logit_shares(utility, available)
    cumulative = np.cumsum(p, axis=1)
    pick = (cumulative < uniform[:, None]).sum(axis=1)
    last = int(np.flatnonzero(available)[-1])  # rounding can leave the total a hair under u
    return np.minimum(pick, last).astype(np.int32)


def logit_shares(utility: np.ndarray, available: np.ndarray) -> np.ndarray:
    """Expected logit choice shares (row-wise softmax over available columns)."""
    return softmax(np.where(available[None, :], utility, -np.inf), axis=1)


def weighted_counts(vendor: np.ndarray, weight: np.ndarray, n_vendors: int) -> np.ndarray:
    """People using each vendor."""
    if kernels.enabled():
        return kernels.weighted_counts(vendor, weight, n_vendors)
    used = vendor >= 0
    return np.bincount(vendor[used], weights=weight[used], minlength=n_vendors).astype(float, copy=False)


def random_contacts(rng: np.random.Generator, n: int, degree: int) -> np.ndarray:
    """(n x degree) word-of-mouth contacts: `degree` others per agent, drawn uniformly with
    replacement and never the agent itself (a random k-out graph)."""
    contacts = rng.integers(0, max(n - 1, 1), size=(n, degree))
    contacts = contacts + (contacts >= np.arange(n)[:, None])  # skip self
    if n == 1:
        contacts[:] = 0
    return contacts


def discovery_hazards(marketing_effect: float, marketing_rmb: np.ndarray, population: float,
                      superapp_effect: float, superapp_owner: np.ndarray,
                      available: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Monthly hazards of trying a vendor's assistant because of that vendor's own reach:
    its ads, marketing_effect x (its marketing RMB per person) (vendors), which reach
    everyone; and its super-apps, superapp_effect for a person on one (apps;
    `superapp_owner` gives each app's vendor row; person i's hazards are
    on_superapp[i] x apps). Zero for a vendor whose assistant is not available. Returns
    (ads, super-apps)."""
    ads = marketing_effect * np.asarray(marketing_rmb, float) / population * available
    apps = superapp_effect * available[superapp_owner].astype(float)
    return ads, apps


def discovery_source(uniform: np.ndarray, organic: np.ndarray, ads: np.ndarray, apps: np.ndarray) -> np.ndarray:
    """Where each new adopter came from, in proportion to the hazards at the start of the
    month (inverse CDF of one uniform each): 0 word of mouth or own initiative (`organic`,
    per adopter), 1..V the ads of vendor 0..V-1, V+1.. the super-app columns of `apps`
    (adopters x apps)."""
    # C order whatever the shapes (np.column_stack returns an F-ordered array for some, and
    # numpy sums an F-ordered row in order, not pairwise): one summation order for every case
    hazards = np.ascontiguousarray(np.column_stack([organic, np.broadcast_to(ads, (organic.size, ads.size)), apps]))
    total = hazards.sum(axis=1, keepdims=True)
    cumulative = np.cumsum(hazards / np.where(total > 0, total, 1.0), axis=1)
    return np.minimum((cumulative < uniform[:, None]).sum(axis=1), hazards.shape[1] - 1)


def assistant_utility(capability: np.ndarray, feature_betas, saturation: np.ndarray, hype: np.ndarray,
                      beta_hype: float, marketing_rmb: np.ndarray, beta_marketing: float) -> np.ndarray:
    """V_j: each vendor's utility to every consumer (see the module docstring). `capability`
    is (vendors x features), internal units; `saturation` (features) caps what consumers
    value (inf: no cap)."""
    valued = np.minimum(capability, saturation[None, :])
    u = feature_betas[0] * valued[:, 0]
    for f in range(1, valued.shape[1]):
        u = u + feature_betas[f] * valued[:, f]
    return u + beta_hype * hype + beta_marketing * np.log1p(marketing_rmb / 1e6)


def chooser_utility(vendor_utility: np.ndarray, on_superapp: np.ndarray, superapp_owner: np.ndarray,
                    contact_share: np.ndarray, current: np.ndarray, beta_superapp: float, beta_word_of_mouth: float,
                    beta_incumbent: float) -> np.ndarray:
    """(choosers x vendors) utility: V_j plus the chooser's super-app terms (an assistant
    built into an app it uses; `on_superapp` choosers x apps, owned by `superapp_owner`),
    word-of-mouth (`contact_share`, choosers x vendors) and incumbency terms."""
    n_v = vendor_utility.shape[0]
    u = np.broadcast_to(vendor_utility[None, :], (current.size, n_v)).copy()
    for app, owner in enumerate(superapp_owner):
        u[:, owner] += beta_superapp * on_superapp[:, app]
    u += beta_word_of_mouth * contact_share
    u += beta_incumbent * (current[:, None] == np.arange(n_v)[None, :])
    return u


def month_of_use(rng: np.random.Generator, vendor: np.ndarray, neighbours: np.ndarray, weight: np.ndarray,
                 on_superapp: np.ndarray, superapp_owner: np.ndarray, orphaned: np.ndarray,
                 vendor_utility: np.ndarray, available: np.ndarray, ads: np.ndarray, apps: np.ndarray,
                 rules, hype_bonus: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The consumers' month. Users churn with probability `rules.churn`. People who used no
    assistant at the start of the month adopt with the Bass probability for
    p_i = bass_p + sum of the vendors' ad hazards + person i's super-app hazards (`ads`,
    `apps` from `discovery_hazards`), q = `rules.bass_q` and word of mouth over the network
    (or fully mixed). Discovery: a new adopter brought by a vendor's ads or super-app tries
    that vendor; one who came by word of mouth or on its own chooses by logit over
    `vendor_utility` + `hype_bonus` (vendors) + its contacts' choices. Retention: users who
    reconsider (`rules.switch_rate`) and users whose vendor left (`orphaned`) choose by logit
    over `vendor_utility` (features and quality), habit and contacts: hype is for newcomers.
    Every consumer draws exactly five uniforms a month (churn, adoption, source, switch,
    choice) whatever its state, so a change elsewhere in the model never shifts whose random
    numbers are whose; each is read only where it decides something (`SparseUniforms`).
    Returns (vendor row used after the month, -1 none; rows that now use a different vendor)."""
    vendor = vendor.copy()
    n = vendor.size
    # the five uniforms, read only where they decide something (SparseUniforms), in their order
    draws = SparseUniforms(rng, (5, n))
    churn, adoption, source, switch, choice = range(5)
    # adoption: only people with no assistant at the start of the month (and not orphaned)
    users, candidates, orphans = consumer_groups(vendor, orphaned)
    churned = draws.at(churn, users) < rules.churn
    vendor[users[churned]] = -1
    users = users[~churned]                               # who may switch: users after churn
    if rules.word_of_mouth == "network":
        adopted_share = neighbour_adopted_share(vendor, neighbours, candidates)
    else:
        adopted_share = np.full(candidates.size, population_adopted_share(vendor, weight))
    if kernels.enabled():
        innovation = rules.bass_p + ads.sum() + kernels.superapp_hazard(on_superapp, apps, candidates)
    else:
        innovation = rules.bass_p + ads.sum() + (on_superapp[candidates] * apps[None, :]).sum(axis=1)
    adopting = adopters(draws.at(adoption, candidates), np.ones(candidates.size, bool), innovation, rules.bass_q,
                        adopted_share)
    newcomers = candidates[adopting]
    before = vendor.copy()
    organic = newcomers[:0]
    if newcomers.size and available.any():
        # only advertisers' columns: a zero hazard can never be drawn (the same picks, fewer columns)
        advertisers = np.flatnonzero(ads > 0)
        organic_hazard = rules.bass_p + rules.bass_q * adopted_share[adopting]   # newcomers' shares
        if kernels.enabled():
            where = kernels.discovery_source(draws.at(source, newcomers), organic_hazard, ads[advertisers],
                                             on_superapp, newcomers, apps)
        else:
            where = discovery_source(draws.at(source, newcomers), organic_hazard, ads[advertisers],
                                     on_superapp[newcomers] * apps[None, :])
        by_ad = (where >= 1) & (where <= advertisers.size)
        by_app = where > advertisers.size
        vendor[newcomers[by_ad]] = advertisers[where[by_ad] - 1]
        vendor[newcomers[by_app]] = superapp_owner[where[by_app] - 1 - advertisers.size]
        organic = newcomers[where == 0]
    # who chooses: the newcomers who came on their own, then in row order the users who
    # reconsider and the orphaned, each once (none of them a newcomer: the orphaned could
    # not adopt, and users who reconsider had an assistant when the month began)
    switchers = users[draws.at(switch, users) < rules.switch_rate]
    retained = np.sort(np.concatenate([switchers, orphans]))
    first = np.ones(retained.size, bool)
    first[1:] = retained[1:] != retained[:-1]
    retained = retained[first]
    choosers = np.concatenate([organic, retained])
    if choosers.size and available.any():
        # the logit over the available vendors' columns only (an unavailable one has probability 0:
        # the same draw on fewer columns; rows reserved for entrants and exited vendors drop out)
        cols = np.flatnonzero(available)
        col_of = np.full(available.size + 1, -1)
        col_of[cols] = np.arange(cols.size)
        apps_on = available[superapp_owner]
        if kernels.enabled():  # the same utilities and draw, compiled (kernels.py)
            hype, hyped = (np.zeros(cols.size), 0) if hype_bonus is None else (hype_bonus[cols], organic.size)
            exponent = kernels.chooser_logit_arguments(
                choosers, vendor, neighbours, cols, col_of, vendor_utility, on_superapp, np.flatnonzero(apps_on),
                col_of[superapp_owner[apps_on]], rules.beta_superapp, rules.beta_word_of_mouth, rules.beta_incumbent,
                hype, hyped)
            picked = kernels.inverse_cdf_pick(np.exp(exponent), draws.at(choice, choosers), cols.size - 1)
        else:
            contacts = neighbour_vendor_share(vendor, neighbours, choosers, available.size)[:, cols]
            u = chooser_utility(vendor_utility[cols], on_superapp[choosers][:, apps_on],
                                col_of[superapp_owner[apps_on]], contacts, col_of[vendor[choosers]],
                                rules.beta_superapp, rules.beta_word_of_mouth, rules.beta_incumbent)
            if hype_bonus is not None:
                u[:organic.size] += hype_bonus[cols][None, :]     # the first rows are the newcomers
            picked = logit_choice(draws.at(choice, choosers), u, np.ones(cols.size, bool))
        vendor[choosers] = cols[picked]
    draws.close()
    # only newcomers and choosers can have taken up a vendor (the churned hold none), and the two
    # groups are apart: who moved is among them, in row order
    moved = np.sort(np.concatenate([newcomers, retained]))
    moved = moved[(vendor[moved] != before[moved]) & (vendor[moved] >= 0)]
    return vendor, moved
