"""The rules that used to live inside MarketModel, now mechanism functions: each tested alone.

Each test names the bug it catches in its docstring where that is not obvious."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from market_sim.config.schema import (
    CatchUpConfig,
    ConsumerConfig,
    EnterpriseConfig,
    FinancingConfig,
    TalentConfig,
)
from market_sim.mechanisms import adoption, catchup, financing, indicators, procurement, talent

# ---------------------------------------------------------------- consumers


def test_random_contacts_never_include_self_and_cover_everyone_else():
    rng = np.random.default_rng(0)
    contacts = adoption.random_contacts(rng, 50, 8)
    assert contacts.shape == (50, 8)
    assert not (contacts == np.arange(50)[:, None]).any()
    assert set(np.unique(contacts)) == set(range(50))          # uniform over the others: all get drawn
    assert (adoption.random_contacts(rng, 1, 1) == 0).all()


def test_discovery_hazards_bring_users_to_the_advertiser_and_the_app_owner_only_when_available():
    # catches ads counted market-wide (everyone's adoption rose with anyone's ads) or a
    # hazard for a vendor whose assistant is not available yet
    on = np.array([[False, True], [True, True]])
    ads, apps = adoption.discovery_hazards(0.5, np.array([2.0e6, 0.0, 4.0e6]), 1.0e6, 0.02, np.array([0, 2]),
                                           np.array([True, True, False]))
    np.testing.assert_allclose(ads, [1.0, 0.0, 0.0])
    np.testing.assert_allclose(on * apps[None, :], [[0.0, 0.0], [0.02, 0.0]])


def test_assistant_utility_weights_features_caps_saturated_ones_and_counts_hype_and_ads():
    capability = np.array([[10.0, 7.0], [10.0, 6.0]])
    betas = [0.5, 2.0]
    no_cap = np.array([np.inf, np.inf])
    u = adoption.assistant_utility(capability, betas, no_cap, np.zeros(2), 1.0, np.zeros(2), 0.3)
    assert u[0] - u[1] == pytest.approx(2.0)                   # one unit of feature 1 at beta 2
    capped = adoption.assistant_utility(capability, betas, np.array([np.inf, 6.0]), np.zeros(2), 1.0, np.zeros(2), 0.3)
    assert capped[0] == capped[1]                              # past saturation, more is worth nothing
    hype = adoption.assistant_utility(capability, betas, no_cap, np.array([0.0, 3.0]), 1.0, np.zeros(2), 0.3)
    assert hype[1] - hype[0] == pytest.approx(3.0 - 2.0)
    ads = adoption.assistant_utility(capability, betas, no_cap, np.zeros(2), 1.0, np.array([0.0, 1e6]), 0.3)
    assert ads[1] - u[1] == pytest.approx(0.3 * np.log(2.0))


def test_chooser_utility_adds_superapp_word_of_mouth_and_incumbency_to_the_right_vendor():
    base = np.zeros(3)
    on = np.array([[True], [False]])                       # one super-app, owned by vendor 2
    u = adoption.chooser_utility(base, on, np.array([2]), np.array([[0.5, 0.0, 0.0], [0.0, 0.0, 0.0]]),
                                 np.array([-1, 1]), 1.5, 2.0, 1.0)
    np.testing.assert_allclose(u, [[1.0, 0.0, 1.5], [0.0, 1.0, 0.0]])


def _consumers(n=2000, seed=0):
    rng = np.random.default_rng(seed)
    return rng, adoption.random_contacts(rng, n, 8), np.ones(n), np.full(n, -1)


def _use(rng, vendor, contacts, orphaned, utility, available, rules, ads=None, on_app=None, owners=None):
    n = vendor.size
    on_app = np.zeros((n, 0), bool) if on_app is None else on_app
    owners = np.zeros(0, int) if owners is None else owners
    apps = rules.superapp_effect * available[owners].astype(float)
    ads = np.zeros(available.size) if ads is None else ads
    return adoption.month_of_use(rng, vendor, contacts, np.ones(n), on_app, owners, orphaned, utility, available,
                                 ads, apps, rules)


def test_month_of_use_orphans_all_choose_an_available_vendor():
    rng, contacts, weight, _ = _consumers()
    vendor = np.full(2000, -1)
    orphaned = np.zeros(2000, bool)
    orphaned[:300] = True                   # their vendor just left
    rules = ConsumerConfig(churn=0.0, switch_rate=0.0, bass_p=0.0, bass_q=0.0)
    after, moved = _use(rng, vendor, contacts, orphaned, np.zeros(3), np.array([True, False, True]), rules)
    assert (after[:300] >= 0).all() and not np.isin(after[:300], [1]).any()
    assert (after[300:] == -1).all()        # nobody else adopts with p = q = 0
    assert set(moved) == set(range(300))


def test_month_of_use_full_churn_and_no_adoption_empties_the_market():
    rng, contacts, weight, _ = _consumers()
    rules = ConsumerConfig(churn=1.0, switch_rate=0.0, bass_p=0.0, bass_q=0.0)
    after, _ = _use(rng, np.zeros(2000, int), contacts, np.zeros(2000, bool), np.zeros(2), np.ones(2, bool), rules)
    assert (after == -1).all()


def test_month_of_use_with_nothing_available_changes_no_choice():
    rng, contacts, weight, _ = _consumers()
    rules = ConsumerConfig(churn=0.0, bass_p=1.0, bass_q=0.0)
    after, moved = _use(rng, np.full(2000, -1), contacts, np.zeros(2000, bool), np.zeros(2), np.zeros(2, bool), rules)
    assert (after == -1).all() and moved.size == 0


def test_month_of_use_higher_utility_wins_more_choosers():
    rng, contacts, weight, _ = _consumers()
    rules = ConsumerConfig(churn=0.0, switch_rate=0.0, bass_p=1.0, bass_q=0.0, beta_word_of_mouth=0.0)
    after, _ = _use(rng, np.full(2000, -1), contacts, np.zeros(2000, bool), np.array([0.0, 1.0]), np.ones(2, bool),
                    rules)
    share = (after == 1).mean() / (after >= 0).mean()
    assert share == pytest.approx(np.e / (1 + np.e), abs=0.04)   # logit shares


def test_month_of_use_ads_and_superapps_bring_newcomers_to_their_vendor_whatever_its_utility():
    # catches discovery mixed into choice: the advertiser's newcomers went to the best product
    rng, contacts, weight, _ = _consumers(4000)
    rules = ConsumerConfig(churn=0.0, switch_rate=0.0, bass_p=0.0, bass_q=0.0, superapp_effect=0.5)
    utility = np.array([10.0, 0.0, 0.0])    # vendor 0 is far better
    after, _ = _use(rng, np.full(4000, -1), contacts, np.zeros(4000, bool), utility, np.ones(3, bool), rules,
                    ads=np.array([0.0, 0.5, 0.0]))
    assert (after[after >= 0] == 1).all() and (after >= 0).mean() > 0.3
    on = np.zeros((4000, 1), bool)
    on[:2000] = True                        # half are on vendor 2's super-app
    after, _ = _use(rng, np.full(4000, -1), contacts, np.zeros(4000, bool), utility, np.ones(3, bool), rules,
                    on_app=on, owners=np.array([2]))
    assert (after[2000:] == -1).all() and set(after[:2000]) <= {-1, 2} and (after[:2000] == 2).mean() > 0.3
    # source shares follow the hazards: word of mouth (bass_p) vs ads 1:1
    rules = ConsumerConfig(churn=0.0, switch_rate=0.0, bass_p=0.2, bass_q=0.0, beta_word_of_mouth=0.0)
    after, _ = _use(rng, np.full(4000, -1), contacts, np.zeros(4000, bool), utility, np.ones(3, bool), rules,
                    ads=np.array([0.0, 0.2, 0.0]))
    adopted = after[after >= 0]
    assert (adopted == 1).mean() == pytest.approx(0.5, abs=0.05)
    assert (adopted == 0).mean() == pytest.approx(0.5, abs=0.05)


# ---------------------------------------------------------------- enterprise buyers


def test_garden_weights_softmax_over_held_vendors_only():
    utility = np.array([[1.0, 0.0, 5.0], [0.0, 0.0, 0.0]])   # of each slot's vendor
    portfolio = np.array([[0, 1, -1], [-1, -1, -1]])
    w = procurement.garden_weights(utility, portfolio, 1.0)
    np.testing.assert_allclose(w[0], [np.e / (1 + np.e), 1 / (1 + np.e), 0.0])
    np.testing.assert_allclose(w[1], 0.0)                      # an empty garden spends nothing
    hot = procurement.garden_weights(utility, portfolio, 100.0)
    assert abs(hot[0, 0] - hot[0, 1]) < abs(w[0, 0] - w[0, 1])  # a higher temperature spreads spend


def test_review_drops_vendors_that_left_and_only_due_buyers_review():
    rng = np.random.default_rng(1)
    utility = np.tile([3.0, 2.0, 1.0, 0.0], (3, 1))
    portfolio = np.array([[0, 1], [0, 1], [2, 3]])
    next_review = np.array([5, 0, 5])
    available = np.array([True, False, True, True])
    rules = EnterpriseConfig(sectors={}, portfolio_size=2, review_months=6.0)
    asked = []

    def utility_of(rows, vendors):
        asked.extend(rows)
        assert not np.isin(vendors, [1]).any()               # only the available vendors are scored
        return np.take_along_axis(utility[rows], vendors, axis=1)
    new, when = procurement.review_portfolios(rng, 0, utility_of, portfolio, next_review, available, rules)
    assert sorted(asked) == [0, 1]                             # only reviewing buyers score every vendor
    assert not np.isin(new, [1]).any()                         # the vendor that left is gone everywhere
    assert (new[2] == [2, 3]).all() and when[2] == 5           # not due, lost nothing: untouched
    assert (when[:2] >= 1).all()                               # reviewed now, next review later
    assert (portfolio == [[0, 1], [0, 1], [2, 3]]).all()       # inputs are not modified


def test_review_intervals_have_the_configured_mean():
    draws = procurement.review_months(np.random.default_rng(2).random(20_000), 6.0)
    assert draws.min() >= 1 and draws.mean() == pytest.approx(6.0, rel=0.03)


# ---------------------------------------------------------------- releases and catch-up


def test_release_rates_scale_with_strength_and_stop_when_out_or_gone():
    rates = catchup.release_rates(np.array([1.0, 2.0, 2.0, 2.0]), 0.5, np.array([False, False, True, False]), 0.2,
                                  np.array([True, True, True, False]), np.array([1.0, 3.0]))
    np.testing.assert_allclose(rates, [[0.5, 1.5], [1.0, 3.0], [0.2, 0.6], [0.0, 0.0]])


def test_catch_up_diffusing_features_never_pass_the_best_and_copies_do_not_lower_capability():
    rng = np.random.default_rng(3)
    capability = np.array([[0.0, 0.0], [10.0, 10.0], [12.0, 12.0]])
    best = np.array([12.0, 12.0])
    new, copied = catchup.catch_up(rng, capability, best, np.array([20.0, 20.0]), np.full((3, 2), 1e-6),
                                   np.array([0.0, 1.0]), np.ones(3, bool), np.ones(2), np.array([True, False]))
    np.testing.assert_allclose(new[:2, 0], 12.0)               # diffusion with a tiny lag closes the gap
    assert not copied[:, 0].any()                              # ... and is no release
    assert (new >= capability).all() and copied[:2, 1].all()   # copies: behind vendors catch up
    assert new[2, 0] == 12.0 and not copied[2].any()           # the leader copies nobody


def test_month_of_releases_leaves_inactive_vendors_alone():
    from market_sim.config import load_config
    from market_sim.features import FeatureSpace

    from .conftest import SMALL

    cfg = load_config(SMALL)
    fs = FeatureSpace(cfg.features, cfg.run.start)
    rng = np.random.default_rng(4)
    capability = np.tile(fs.frontier_at(0), (3, 1)) - np.array([[0.0], [5.0], [5.0]])
    active = np.array([True, True, False])
    best, leader = catchup.best_public_level(capability, active)
    new, innovated, copied = catchup.month_of_releases(
        rng, rng, capability, best, leader, active, np.zeros(3, bool), np.full(3, 500), np.ones(3), np.full(3, 5000.0),
        np.zeros(3, bool), fs.frontier_at(0), fs, CatchUpConfig(innovation_rate=3.0, copy_lag_months=0.1))
    assert (new[2] == capability[2]).all() and not innovated[2].any() and not copied[2].any()
    assert (new[1] > capability[1]).any()


def test_compute_grows_only_for_racing_vendors_and_doubles_on_schedule():
    gpus = np.array([100.0, 100.0])
    after = gpus
    for _ in range(12):
        after = catchup.compute_after_growth(after, np.array([True, False]), 12.0)
    np.testing.assert_allclose(after, [200.0, 100.0])
    np.testing.assert_allclose(catchup.compute_after_growth(gpus, np.ones(2, bool), None), gpus)


# ---------------------------------------------------------------- talent


def test_month_of_moves_conserves_researchers_and_only_hiring_vendors_gain():
    rng = np.random.default_rng(5)
    head = np.array([500, 300, 200, 0])
    hiring = np.array([True, True, False, False])
    rules = TalentConfig(mobility=0.3, noncompete_friction=0.0, hiring_rate=0.5)
    out = talent.month_of_moves(rng, head, np.ones(4), np.zeros((4, 2)), np.full(4, 6e4), np.full(4, 5e3),
                                np.zeros(4), np.array([True, True, True, False]), hiring, 100, 0.8, rules)
    assert out["headcount"].sum() == head.sum() + out["hires"].sum()
    assert out["moves"][:, 2].sum() == 0 and out["hires"][2:].sum() == 0   # not hiring: nobody joins
    assert out["moves"][:, 0].sum() + out["moves"][:, 1].sum() > 0


def test_merged_skill_is_the_headcount_weighted_mean():
    assert talent.merged_skill(1.0, 300, 2.0, 100) == pytest.approx(1.25)
    assert talent.merged_skill(1.0, 0, 2.0, 0) == 0.0


# ---------------------------------------------------------------- financing


def test_parent_tops_up_only_big_tech_losses():
    loss, top_up = financing.parent_top_up(np.array([True, True, False]), np.array([5.0, 1.0, 9.0]),
                                           np.array([2.0, 3.0, 0.0]))
    np.testing.assert_allclose(loss, [3.0, -2.0, 0.0])
    np.testing.assert_allclose(top_up, [3.0, 0.0, 0.0])


def test_raise_is_due_on_short_runway_after_the_cooldown():
    due = financing.raise_due(np.array([True, True, True, False]), np.array([5.0, 5.0, 20.0, 5.0]), 12.0, 10,
                              np.array([0, 8, 0, 0]), 6)
    np.testing.assert_array_equal(due, [True, False, False, False])


def test_issue_shares_dilutes_old_holders_and_prices_new_money_at_post_money():
    big, funds, post = financing.issue_shares(np.array([0.2, 0.0]), np.array([0.1, 0.0, 0.0]), 30.0, 0,
                                              np.array([0.0, 50.0, 20.0]), 0.2)
    assert post == pytest.approx(100.0 / 0.2)
    np.testing.assert_allclose(big, [0.2 * 0.8 + 30 / 500, 0.0])
    np.testing.assert_allclose(funds, [0.1 * 0.8, 50 / 500, 20 / 500])
    assert big.sum() + funds.sum() - (0.3 * 0.8) == pytest.approx(0.2)   # the new money bought `dilution`


def test_dated_round_pays_each_strategic_part_and_the_funds_the_rest_at_the_given_post_money():
    # catches a dated round whose funds pay more than they have, strategic money that buys no
    # stake, or a post-money recomputed instead of the input's
    deal = financing.dated_round(100.0, 400.0, np.array([20.0, 10.0, 0.0]), np.array([0.1, 0.0, 0.0]),
                                 np.array([0.2, 0.0]), np.array([60.0, 20.0]))
    np.testing.assert_allclose(deal["fund_rmb"], [52.5, 17.5])            # 70 RMB split 3:1
    assert deal["amount"] == pytest.approx(100.0)
    np.testing.assert_allclose(deal["big_tech_stakes"], [0.1 * 0.75 + 20 / 400, 10 / 400, 0.0])
    np.testing.assert_allclose(deal["fund_stakes"], [0.2 * 0.75 + 52.5 / 400, 17.5 / 400])
    short = financing.dated_round(100.0, 400.0, np.zeros(3), np.zeros(3), np.zeros(2), np.array([30.0, 10.0]))
    np.testing.assert_allclose(short["fund_rmb"], [30.0, 10.0])           # the round shrinks to what funds have
    assert short["amount"] == pytest.approx(40.0) and short["fund_stakes"].sum() == pytest.approx(40.0 / 400)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(0.0, 1.0), st.floats(0.05, 0.5))
def test_raise_rounds_pay_every_rmb_from_someone_and_keep_cap_tables_whole(seed, strategic_share, dilution):
    rng = np.random.default_rng(seed)
    n, funds = 6, 4
    due = rng.random(n) < 0.7
    big_stakes = np.zeros((n, n))
    big_stakes[0, 3] = 0.1
    fund_stakes = np.zeros((funds, n))
    powder = rng.uniform(0, 1e9, funds)
    rounds = financing.raise_rounds(lambda row: rng, due, rng.random(n), rng.uniform(0, 2e9, n),
                                    np.eye(n, dtype=bool)[0], big_stakes, fund_stakes, powder, strategic_share,
                                    dilution)
    fund_money = powder - rounds["dry_powder"]
    assert (fund_money >= -1e-6).all()
    strategic_money = rounds["amount"].sum() - fund_money.sum()
    assert strategic_money >= -1e-3
    # every RMB of the strategic part is paid by a big tech (row 0 holds the only stake)
    assert rounds["strategic_paid"].sum() == pytest.approx(strategic_money, abs=1e-3)
    assert (rounds["strategic_paid"][1:] == 0).all()
    assert strategic_money <= 1e-3 or rounds["big_tech_stakes"][0, 3] > 0.1 * (1 - dilution)
    assert (rounds["amount"][~due] == 0).all()
    held = rounds["big_tech_stakes"].sum(axis=0) + rounds["fund_stakes"].sum(axis=0)
    assert (held <= 1.0 + 1e-9).all()
    assert (rounds["failed"] | (rounds["amount"] > 0) | ~due).all()


def test_startup_decisions_exit_when_cash_is_gone_and_leave_others_alone():
    rules = FinancingConfig()
    action, cause, streak = financing.startup_decisions(
        np.array([True, True, False]), np.ones(3, bool), np.zeros(3), np.full(3, 1e8), np.full(3, 60.0),
        np.zeros(3, bool), np.array([-1.0, 1e9, -1.0]), np.zeros(3, int), rules)
    np.testing.assert_array_equal(action, [2, 0, 0])
    np.testing.assert_array_equal(cause, [financing.MONEY, 0, 0])
    np.testing.assert_array_equal(streak, [0, 0, 0])


def test_choose_acquirer_prefers_the_largest_holder_and_sometimes_nobody():
    rng = np.random.default_rng(6)
    stakes = np.array([0.0, 0.3, 0.1, 0.0])
    assert financing.choose_acquirer(rng, np.array([0, 1, 2]), stakes, 1.0) == 1
    assert financing.choose_acquirer(rng, np.array([0, 1, 2]), stakes, 0.0) == -1
    assert financing.choose_acquirer(rng, np.array([], int), stakes, 1.0) == -1
    picks = {financing.choose_acquirer(rng, np.array([0, 3]), stakes, 1.0) for _ in range(50)}
    assert picks == {0, 3}                                    # no holder: a racing big tech at random


def test_funds_refill_with_the_climate():
    assert financing.fund_refill(2e9, 0.5) == pytest.approx(0.02 * 2e9 * 0.5)
    assert financing.fund_refill(2e9, 0.0) == 0.0


# ---------------------------------------------------------------- indicators


def test_shares_hhi_and_price_index():
    np.testing.assert_allclose(indicators.shares(np.array([1.0, 3.0])), [0.25, 0.75])
    np.testing.assert_allclose(indicators.shares(np.zeros(2)), [0.0, 0.0])
    assert indicators.hhi(np.array([1.0, 0.0])) == 1.0 and indicators.hhi(np.full(4, 0.25)) == 0.25
    active = np.array([True, True, False])
    assert indicators.price_index(np.array([1.0, 3.0, 9.0]), np.array([3.0, 1.0, 0.0]), active) == pytest.approx(1.5)
    assert indicators.price_index(np.array([1.0, 3.0, 9.0]), np.zeros(3), active) == pytest.approx(2.0)


def test_month_of_use_reports_only_those_who_picked_another_vendor():
    """`moved` dates a user's current vendor (`since`): a user who reconsiders and stays
    must not be reported."""
    rng, contacts, weight, _ = _consumers()
    rules = ConsumerConfig(churn=0.0, switch_rate=1.0, bass_p=0.0, bass_q=0.0, beta_incumbent=50.0)
    vendor = np.where(np.arange(2000) < 1000, 0, 1)
    after, moved = _use(rng, vendor, contacts, np.zeros(2000, bool), np.zeros(2), np.ones(2, bool), rules)
    assert (after == vendor).all() and moved.size == 0


def test_buyer_utility_of_a_garden_equals_the_full_matrix_entries():
    """The month scores only reviewing buyers fully and everyone else on their garden: the two
    must be the same numbers, or results depend on who reviews."""
    rng = np.random.default_rng(7)
    n_b, n_v, n_s = 50, 9, 3
    args = (rng.integers(0, n_s, n_b), rng.integers(0, n_v, n_b), rng.random(n_b),
            np.where(rng.random((n_b, 3)) < 0.8, rng.integers(0, n_v, (n_b, 3)), -1), rng.uniform(0.1, 20, n_v),
            rng.normal(size=(n_s, n_v)), rng.integers(-1, n_s, n_v), rng.random(n_v), 1.0, 0.1, 1.5, 1.5, 2.0, 1.0)
    full = procurement.buyer_utility(*args)
    garden = np.where(rng.random((n_b, 3)) < 0.9, rng.integers(0, n_v, (n_b, 3)), -1)
    slots = procurement.buyer_utility(*args, vendors=garden)
    held = garden >= 0
    np.testing.assert_array_equal(slots[held], np.take_along_axis(full, np.maximum(garden, 0), axis=1)[held])


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 6), st.integers(1, 12), st.floats(0.0, 1.0))
def test_top_k_picks_what_a_full_sort_picks(seed, k, n, unavailable):
    """The partial sort must choose the same garden, in the same order, as a full stable sort
    (or portfolios, and so every later draw, would change)."""
    rng = np.random.default_rng(seed)
    score = np.where(rng.random((30, n)) < unavailable, -np.inf, rng.gumbel(size=(30, n)))
    top = procurement._top_k(score, min(k, n))
    full = np.argsort(-score, axis=1, kind="stable")[:, :min(k, n)]
    finite = np.isfinite(np.take_along_axis(score, full, axis=1))
    np.testing.assert_array_equal(np.where(finite, top, -1), np.where(finite, full, -1))


def test_scheduled_releases_raise_active_vendors_levels_only():
    from types import SimpleNamespace

    from market_sim.config import load_config
    from market_sim.features import FeatureSpace

    from .conftest import SMALL

    cfg = load_config(SMALL)
    fs = FeatureSpace(cfg.features, cfg.run.start)
    c = fs.index["context"]
    capability = np.zeros((3, 4))
    capability[:, c] = fs.to_internal(c, 1_000_000.0)
    releases = [SimpleNamespace(vendor=v, feature="context", level=level)
                for v, level in (("a", 2_000_000.0), ("b", 500_000.0), ("c", 2_000_000.0))]
    new, released = catchup.scheduled_levels(capability, np.array([True, True, False]), releases,
                                             {"a": 0, "b": 1, "c": 2}, fs)
    assert fs.to_unit(c, new[0, c]) == pytest.approx(2_000_000.0)
    assert new[1, c] == capability[1, c] and released[1, c]    # a release below its level: no fall
    assert new[2, c] == capability[2, c] and not released[2].any()   # out of the market: nothing
    assert capability[0, c] == fs.to_internal(c, 1_000_000.0)  # input untouched
