"""Financing: runway, venture rounds, strategic stakes, subtraction, exit, and the big-tech
parent's patience."""

from __future__ import annotations

import numpy as np

from .. import kernels
from .indicators import shares

RUNWAY_CAP_MONTHS = 120.0  # a vendor that makes money has "120 months" of runway (reported cap)


def runway_months(cash: np.ndarray, monthly_burn: np.ndarray) -> np.ndarray:
    """Months of cash at the current burn (costs - revenue); capped for profitable vendors."""
    burn = np.asarray(monthly_burn, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(burn > 0, np.maximum(cash, 0.0) / burn, RUNWAY_CAP_MONTHS)
    return np.minimum(r, RUNWAY_CAP_MONTHS)


def traction_score(consumer_share: np.ndarray, enterprise_share: np.ndarray) -> np.ndarray:
    """0..1 score of market traction: log-scaled combined share (1 at 50% of a market)."""
    s = np.asarray(consumer_share) + np.asarray(enterprise_share)
    return np.clip(np.log1p(100.0 * s) / np.log1p(50.0), 0.0, 1.0)


def rank_score(quality: np.ndarray, active: np.ndarray) -> np.ndarray:
    """1 for the best active vendor on general quality, 0 for the worst."""
    if (kernels.enabled() and np.ndim(quality) == 1 and np.shape(active) == np.shape(quality)
            and np.asarray(quality).dtype == np.float64):
        return kernels.rank_score(quality, np.asarray(active, bool))
    q = np.where(active, quality, -np.inf)
    order = np.argsort(-q, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(q.size)
    n = max(int(active.sum()) - 1, 1)
    return np.where(active, 1.0 - rank / n, 0.0)


def raise_probability(traction: np.ndarray, rank: np.ndarray, climate: float, intercept: float,
                      w_traction: float, w_rank: float, w_climate: float) -> np.ndarray:
    """Logistic chance that a round closes."""
    z = intercept + w_traction * traction + w_rank * rank + w_climate * climate
    return 1.0 / (1.0 + np.exp(-z))


ROUND_SIZE_SPREAD = (0.75, 1.25)  # months of burn bought, x this for traction 0 .. 1


def round_size(monthly_burn: np.ndarray, months_of_burn: float, traction: np.ndarray) -> np.ndarray:
    """RMB asked for: `months_of_burn` months of burn, x 0.75 with no traction up to x 1.25
    with full traction. The climate sets whether a round closes (`raise_probability`), not its
    size: a round that bought fewer months than the raise trigger would send the startup
    straight back to investors (the config refuses months_of_burn x 0.75 <= the trigger)."""
    low, high = ROUND_SIZE_SPREAD
    return np.maximum(monthly_burn, 0.0) * months_of_burn * (low + (high - low) * np.clip(traction, 0.0, 1.0))


def round_odds(mau: np.ndarray, api_revenue: np.ndarray, quality: np.ndarray, active: np.ndarray,
               monthly_burn: np.ndarray, climate: float, params) -> tuple[np.ndarray, np.ndarray]:
    """Each vendor's chance of closing a round this month and the RMB it would ask for: its
    traction (`traction_score` of its consumer and enterprise shares), its rank on quality
    (`rank_score`), `raise_probability` and `round_size`, with the financing section's
    weights (`params`). Returns (probability, ask)."""
    if (kernels.enabled() and np.ndim(quality) == 1
            and all(np.shape(x) == np.shape(quality) for x in (mau, api_revenue, active, monthly_burn))
            and all(np.asarray(x).dtype == np.float64 for x in (mau, api_revenue, quality, monthly_burn))):
        log_term = np.log1p(kernels.traction_arguments(mau, api_revenue))
        traction, neg_z = kernels.round_odds_arguments(
            log_term, float(np.log1p(50.0)), quality, np.asarray(active, bool), float(params.success_intercept),
            float(params.success_traction_weight), float(params.success_rank_weight),
            float(params.success_climate_weight * climate))
        low, high = ROUND_SIZE_SPREAD
        return kernels.round_odds(np.exp(neg_z), monthly_burn, float(params.round_size_months_of_burn), traction,
                                  low, high - low)
    traction = traction_score(shares(mau), shares(api_revenue))
    rank = rank_score(quality, active)
    p = raise_probability(traction, rank, climate, params.success_intercept, params.success_traction_weight,
                          params.success_rank_weight, params.success_climate_weight)
    return p, round_size(monthly_burn, params.round_size_months_of_burn, traction)


def split_round(amount: float, dry_powder: np.ndarray, rng: np.random.Generator,
                max_investors: int = 3) -> np.ndarray:
    """How much each fund puts in: up to `max_investors` funds with money left, drawn at random
    in proportion to their dry powder, pay in proportion to it; the round shrinks if they
    cannot fill it."""
    if kernels.enabled() and dry_powder.dtype == np.float64 and dry_powder.ndim == 1:
        has, p, k, ok = kernels.round_shares(float(amount), dry_powder, int(max_investors))
        if ok and k == 0:
            return np.zeros(dry_powder.size)
        if ok:  # rng.choice(has, size=k, replace=False, p=p), round by round as numpy draws it
            found, n_found = np.zeros(k, np.int64), 0
            while n_found < k:
                n_found = kernels.choice_round(p, found, n_found, rng.random(k - n_found))
            return kernels.round_payments(float(amount), dry_powder, has[found])
    out = np.zeros_like(dry_powder, dtype=float)
    has = np.flatnonzero(dry_powder > 0)
    if amount <= 0 or has.size == 0:
        return out
    k = min(max_investors, has.size)
    p = dry_powder[has] / dry_powder[has].sum()
    chosen = rng.choice(has, size=k, replace=False, p=p)
    share = dry_powder[chosen] / dry_powder[chosen].sum()
    out[chosen] = np.minimum(amount * share, dry_powder[chosen])
    return out


def streak(condition: np.ndarray, months: np.ndarray) -> np.ndarray:
    """Months in a row a condition has held (0 when it does not hold now)."""
    return np.where(condition, months + 1, 0)


RACE, MONEY = 1, 2  # why a startup left the race: the race was not worth it / it could not pay for it


def value_of_focusing(revenue: np.ndarray, costs: np.ndarray, focused_costs: np.ndarray, gap_months: np.ndarray,
                      stake_rmb: np.ndarray, params) -> np.ndarray:
    """RMB by which focusing on a segment beats staying in the frontier race, over the next
    H = `params.decision_horizon_months` months:

        V_race  = H (R - C)          + W P,        P = exp(-gap / `prospect_gap_months`)
        V_focus = H (phi R - C_focus) + W psi
        V_focus - V_race = H ((phi - 1) R + C - C_focus) + W (psi - P)

    R, C: this month's revenue and costs (RMB a month); C_focus: the costs it would have
    after subtraction (`focused_costs`); phi = `focus_revenue_retained`; W = `stake_rmb`, what
    the owners stand to keep as a frontier lab (its valuation, at least its cash); P: the
    prospect of staying a frontier lab, falling with the gap to the domestic best it expects
    over the horizon (months of quality growth; catchup.expected_quality_gap); psi =
    `focus_value_share`, a niche business's worth as a share of W."""
    h = params.decision_horizon_months
    if (kernels.enabled() and np.ndim(gap_months) == 1
            and all(np.shape(x) == np.shape(gap_months) for x in (revenue, costs, focused_costs, stake_rmb))):
        prospect = np.exp(kernels.prospect_exponent(np.asarray(gap_months, float), float(params.prospect_gap_months)))
        return kernels.focusing_value(np.asarray(revenue, float), np.asarray(costs, float),
                                      np.asarray(focused_costs, float), np.asarray(stake_rmb, float), prospect,
                                      float(h), float(params.focus_revenue_retained), float(params.focus_value_share))
    prospect = np.exp(-np.maximum(gap_months, 0.0) / params.prospect_gap_months)
    saving = h * ((params.focus_revenue_retained - 1.0) * revenue + costs - focused_costs)
    return saving + stake_rmb * (params.focus_value_share - prospect)


def startup_decisions(startup_active: np.ndarray, racing: np.ndarray, focus_value: np.ndarray, costs: np.ndarray,
                      runway: np.ndarray, raise_failed: np.ndarray, cash: np.ndarray, focus_streak: np.ndarray,
                      params) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each active startup's move this month, judged after this month's rounds:
    - exit (2) when its cash is gone, or its runway is under `exit_runway_months` after a
      failed raise;
    - pivot (1) for money (cause MONEY) when a racing startup's runway is under
      `pivot_runway_months`: it cannot pay for the race;
    - pivot (1) for the race (cause RACE) when focusing has been worth more than staying
      (`focus_value`, RMB, from `value_of_focusing`) by more than the pivot's switching cost,
      `pivot_inertia_months` months of costs, for `decision_patience_months` months in a row;
    - otherwise carry on (0).
    Returns (action, cause: 0 none / RACE / MONEY, months in a row focusing was worth more)."""
    if (kernels.enabled() and np.ndim(focus_streak) == 1 and np.asarray(focus_streak).dtype.kind == "i"
            and all(np.shape(x) == np.shape(runway) == np.shape(focus_streak) for x in
                    (startup_active, racing, focus_value, costs, raise_failed, cash))):
        return kernels.startup_decisions(
            np.asarray(startup_active, bool), np.asarray(racing, bool), np.asarray(focus_value, float),
            np.asarray(costs, float), np.asarray(runway, float), np.asarray(raise_failed, bool),
            np.asarray(cash, float),
            focus_streak, float(params.pivot_inertia_months), params.decision_patience_months,
            float(params.pivot_runway_months), float(params.exit_runway_months), RACE, MONEY)
    better = startup_active & racing & (focus_value > params.pivot_inertia_months * costs)
    streak_now = streak(better, focus_streak)
    action = np.zeros(runway.shape, np.int8)
    cause = np.zeros(runway.shape, np.int8)
    by_race = racing & (streak_now >= params.decision_patience_months)
    by_money = racing & (runway < params.pivot_runway_months)
    action[by_race | by_money] = 1
    cause[by_race] = RACE
    cause[by_money] = MONEY
    gone = ((runway < params.exit_runway_months) & raise_failed) | (cash <= 0)
    action[gone] = 2
    cause[gone] = MONEY
    keep = startup_active
    return np.where(keep, action, 0).astype(np.int8), np.where(keep, cause, 0).astype(np.int8), streak_now


def failure_risk(kind_startup: np.ndarray, runway: np.ndarray, focused: np.ndarray) -> np.ndarray:
    """0..1 risk a buyer sees of a vendor failing: none for big techs, rising as a startup's
    runway drops under two years, higher for a vendor out of the frontier race."""
    r = np.where(kind_startup, np.clip(1.0 - runway / 24.0, 0.0, 1.0), 0.0)
    return np.clip(r + 0.3 * focused, 0.0, 1.0)


def parent_patience(loss: np.ndarray, tolerance: float | np.ndarray, months: np.ndarray) -> np.ndarray:
    """Months in a row a big-tech AI unit (or a self-funded lab) has lost more than its parent
    (owner) tolerates."""
    return streak(loss > tolerance, months)


def parent_top_up(big_tech_active: np.ndarray, costs: np.ndarray, revenue: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A big tech's parent covers its AI unit's monthly loss (RMB). Returns (loss, top-up),
    both zero for other vendors."""
    loss = np.where(big_tech_active, costs - revenue, 0.0)
    return loss, np.where(big_tech_active, np.maximum(loss, 0.0), 0.0)


def parents_cover(big_tech_active: np.ndarray, owned_active: np.ndarray, costs: np.ndarray, revenue: np.ndarray,
                  owner_budget: np.ndarray, loss_tolerance: float,
                  losses_streak: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A month of parents' money (RMB): a big tech's parent covers its AI unit's loss
    (`parent_top_up`), a self-funded lab's owner up to `owner_budget` a month; and the months
    in a row each has lost more than its parent tolerates (`parent_patience`): the loss over
    `loss_tolerance` for a big tech, the owner's bill over its budget for a lab. Returns
    (top-up, streak)."""
    if (kernels.enabled() and np.ndim(losses_streak) == 1 and np.asarray(losses_streak).dtype.kind == "i"
            and all(np.shape(x) == np.shape(losses_streak) for x in
                    (big_tech_active, owned_active, costs, revenue, owner_budget))):
        return kernels.parents_cover(np.asarray(big_tech_active, bool), np.asarray(owned_active, bool),
                                     np.asarray(costs, float), np.asarray(revenue, float),
                                     np.asarray(owner_budget, float), float(loss_tolerance), losses_streak)
    loss, top_up = parent_top_up(big_tech_active, costs, revenue)
    _, owner_pays = parent_top_up(owned_active, costs, revenue)
    top_up = top_up + np.minimum(owner_pays, owner_budget)
    tolerance = np.where(owned_active, owner_budget, loss_tolerance)
    return top_up, parent_patience(loss + owner_pays, tolerance, losses_streak)


def raise_due(startup_active: np.ndarray, runway: np.ndarray, trigger_months: float, month: int,
              last_raise_month: np.ndarray, cooldown_months: int) -> np.ndarray:
    """A startup goes to investors when its runway is under `trigger_months` and its last
    attempt is at least `cooldown_months` old."""
    return startup_active & (runway < trigger_months) & (month - last_raise_month >= cooldown_months)


def close_round(rng: np.random.Generator, success_probability: float, ask: float, strategic_lead: bool,
                strategic_share_of_round: float, dry_powder: np.ndarray) -> tuple[float, np.ndarray] | None:
    """One startup's attempt to raise `ask` RMB: it closes with `success_probability`; a
    strategic big tech already holding a stake (`strategic_lead`) then takes
    `strategic_share_of_round`, and venture funds the rest as far as their dry powder goes
    (`split_round`). Returns (strategic RMB, RMB per fund), or None if no round closes."""
    if not (rng.random() < success_probability) or ask <= 0:
        return None
    strategic = strategic_share_of_round * ask if strategic_lead else 0.0
    return strategic, split_round(ask - strategic, dry_powder, rng)


def issue_shares(big_tech_stakes: np.ndarray, fund_stakes: np.ndarray, strategic_rmb: float | np.ndarray, lead: int,
                 fund_rmb: np.ndarray, dilution: float,
                 post_money: float | None = None) -> tuple[np.ndarray, np.ndarray, float]:
    """The cap table after a round of strategic + sum(fund_rmb) RMB selling a `dilution`
    share: post-money = amount / dilution (unless given); earlier holders keep (1 - dilution)
    of their stakes; each new investor gets its RMB / post-money. `big_tech_stakes` (big
    techs) and `fund_stakes` (funds) are the stakes in this startup; `strategic_rmb` is the
    `lead` big tech's RMB, or an array of every big tech's RMB (then `lead` is unused).
    Returns (big-tech stakes, fund stakes, post-money RMB)."""
    strategic = np.asarray(strategic_rmb, float)
    if post_money is None:
        post_money = (strategic.sum() + fund_rmb.sum()) / dilution
    big = big_tech_stakes * (1.0 - dilution)
    funds = fund_stakes * (1.0 - dilution)
    funds = np.where(fund_rmb > 0, funds + fund_rmb / post_money, funds)
    if strategic.ndim:
        big = big + strategic / post_money
    elif strategic:
        big[lead] += strategic / post_money
    return big, funds, post_money


def dated_round(amount_rmb: float, post_money_rmb: float, strategic_rmb: np.ndarray, big_tech_stakes: np.ndarray,
                fund_stakes: np.ndarray, dry_powder: np.ndarray) -> dict[str, np.ndarray | float]:
    """A round given as an input: the big techs pay `strategic_rmb` (per big tech), the funds
    the rest in proportion to their dry powder, each at most what it has; the cap table by
    `issue_shares` at the given post-money. Returns amount (RMB raised), fund_rmb,
    big_tech_stakes and fund_stakes (this startup's)."""
    share = dry_powder / max(dry_powder.sum(), 1e-9)
    fund_rmb = np.minimum(share * (amount_rmb - strategic_rmb.sum()), dry_powder)
    amount = strategic_rmb.sum() + fund_rmb.sum()
    big, funds, _ = issue_shares(big_tech_stakes, fund_stakes, strategic_rmb, -1, fund_rmb, amount / post_money_rmb,
                                 post_money_rmb)
    return {"amount": amount, "fund_rmb": fund_rmb, "big_tech_stakes": big, "fund_stakes": funds}


def choose_acquirer(rng: np.random.Generator, candidates: np.ndarray, stakes_in_target: np.ndarray,
                    acquisition_probability: float) -> int:
    """Who buys an exiting startup: with `acquisition_probability`, one of the racing big techs
    (`candidates`), the largest holder if any holds a stake, else one at random; -1 (a
    shutdown) otherwise."""
    if candidates.size and rng.random() < acquisition_probability:
        stake = stakes_in_target[candidates]
        return int(candidates[np.argmax(stake)]) if stake.max() > 0 else int(rng.choice(candidates))
    return -1


def fund_refill(dry_powder_rmb: float, climate: float, monthly_share: float = 0.02) -> float:
    """RMB each fund raises a month: `monthly_share` of its initial dry powder at climate 1."""
    return monthly_share * dry_powder_rmb * climate


def raise_rounds(rng_of_row, due: np.ndarray, success_probability: np.ndarray, ask: np.ndarray,
                 strategic_ready: np.ndarray, big_tech_stakes: np.ndarray, fund_stakes: np.ndarray,
                 dry_powder: np.ndarray, strategic_share_of_round: float, dilution: float) -> dict[str, np.ndarray]:
    """This month's rounds, startup by startup in row order (funds' dry powder runs down as
    they go): `close_round` then `issue_shares`. A big tech that is `strategic_ready` and
    already holds a stake leads the strategic part (the largest holder). Stakes are
    (big techs or funds) x vendors. `rng_of_row(row)` gives the generator of that startup's
    round this month (its own stream: one startup's round never shifts another's draws).
    Returns new arrays: amount (RMB per vendor), post_money
    (RMB per vendor, 0 where no round), failed and failed_to_close (no round found; failed
    also covers a round nobody could fill), big_tech_stakes, fund_stakes, dry_powder, and
    strategic_paid (RMB each big tech paid in: every RMB of a round is someone's cash)."""
    n = due.size
    out = {"amount": np.zeros(n), "post_money": np.zeros(n), "failed": np.zeros(n, bool), "strategic_paid": np.zeros(n),
           "failed_to_close": np.zeros(n, bool), "big_tech_stakes": big_tech_stakes.copy(),
           "fund_stakes": fund_stakes.copy(), "dry_powder": dry_powder.copy()}
    compiled = (kernels.enabled() and out["big_tech_stakes"].ndim == out["fund_stakes"].ndim == 2
                and out["big_tech_stakes"].shape[1] == out["fund_stakes"].shape[1] == n
                and np.shape(strategic_ready) == out["big_tech_stakes"].shape[:1]
                and out["dry_powder"].shape == out["fund_stakes"].shape[:1] and out["dry_powder"].dtype == np.float64)
    for row in np.flatnonzero(due):
        if compiled:  # the same round by kernels: its lead before the draws, its books after
            lead = kernels.round_lead(np.asarray(strategic_ready, bool), out["big_tech_stakes"], row)
            deal = close_round(rng_of_row(row), success_probability[row], ask[row], lead >= 0,
                               strategic_share_of_round, out["dry_powder"])
            if deal is None or not kernels.book_round(
                    row, float(deal[0]), lead, deal[1], float(dilution), out["amount"], out["post_money"],
                    out["big_tech_stakes"], out["fund_stakes"], out["dry_powder"], out["strategic_paid"]):
                out["failed"][row] = True
                out["failed_to_close"][row] = deal is None
            continue
        holders = np.flatnonzero(strategic_ready & (out["big_tech_stakes"][:, row] > 0))
        deal = close_round(rng_of_row(row), success_probability[row], ask[row], holders.size > 0,
                           strategic_share_of_round, out["dry_powder"])
        if deal is None or deal[0] + deal[1].sum() <= 0:
            out["failed"][row] = True
            out["failed_to_close"][row] = deal is None
            continue
        strategic_rmb, fund_rmb = deal
        lead = int(holders[np.argmax(out["big_tech_stakes"][holders, row])]) if holders.size else -1
        big, funds, out["post_money"][row] = issue_shares(out["big_tech_stakes"][:, row], out["fund_stakes"][:, row],
                                                          strategic_rmb, lead, fund_rmb, dilution)
        out["big_tech_stakes"][:, row], out["fund_stakes"][:, row] = big, funds
        out["dry_powder"] -= fund_rmb
        if lead >= 0:
            out["strategic_paid"][lead] += strategic_rmb
        out["amount"][row] = strategic_rmb + fund_rmb.sum()
    return out
