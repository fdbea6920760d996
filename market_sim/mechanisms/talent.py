"""Talent moves: researchers flow toward vendors that offer more.

Each month a share `mobility x (1 - noncompete_friction)` of every active vendor's
researchers looks around. Each of them picks a destination (possibly staying) by a logit over
log attractiveness, a weighted sum of log pay, log compute per researcher and momentum (the
vendor's quality rank among active vendors, 0 worst to 1 best).
The free pool (people released by pivots and shutdowns) is hired the same way. Moves are
integer multinomial draws, so no researcher is created or destroyed by a move. A share of
movers are key hires who carry know-how: the destination closes part of its capability
gap to the source.
"""

from __future__ import annotations

import numpy as np

from .. import kernels
from ..numerics import softmax


def log_attractiveness(salary: np.ndarray, gpus: np.ndarray, headcount: np.ndarray,
                       momentum: np.ndarray, pay_weight: float, compute_weight: float,
                       momentum_weight: float) -> np.ndarray:
    per_head = np.asarray(gpus, float) / np.maximum(np.asarray(headcount, float), 1.0)
    return (pay_weight * np.log(np.maximum(salary, 1.0) / 60_000.0)
            + compute_weight * np.log(np.maximum(per_head, 0.1) / 10.0)
            + momentum_weight * momentum)


def destination_probabilities(log_attr: np.ndarray, open_to_hire: np.ndarray,
                              sources: np.ndarray | None = None) -> np.ndarray:
    """(sources x vendors): row i is where a researcher of source i who looks around ends up
    (its own column is staying). Only vendors open to hiring are destinations; staying is
    always possible for an active source. `sources`: vendor rows (default: every vendor)."""
    n = log_attr.shape[0]
    sources = np.arange(n) if sources is None else np.asarray(sources)
    u = np.where(open_to_hire[None, :], log_attr[None, :], -np.inf)
    u = np.broadcast_to(u, (sources.size, n)).copy()
    u[np.arange(sources.size), sources] = log_attr[sources]
    return softmax(u, axis=1)


def talent_moves(rng: np.random.Generator, headcount: np.ndarray, active: np.ndarray,
                 log_attr: np.ndarray, open_to_hire: np.ndarray, mobility: float,
                 friction: float) -> np.ndarray:
    """Integer (source x destination) moves this month; the diagonal is zero."""
    n = headcount.shape[0]
    looking = rng.binomial(np.where(active, headcount, 0).astype(np.int64),
                           np.clip(mobility * (1.0 - friction), 0.0, 1.0))
    # rows with nobody looking draw no random numbers (numpy's multinomial of 0), so drawing
    # only the others takes the same numbers in the same order
    moves = np.zeros((n, n), np.int64)
    rows = np.flatnonzero(looking > 0)
    moves[rows] = rng.multinomial(looking[rows], destination_probabilities(log_attr, open_to_hire, rows))
    moves[np.arange(n), np.arange(n)] = 0
    return moves


def pool_hires(rng: np.random.Generator, pool: int, hiring_rate: float, log_attr: np.ndarray,
               open_to_hire: np.ndarray) -> np.ndarray:
    """Researchers hired from the free pool by each vendor this month."""
    n_hired = rng.binomial(int(pool), hiring_rate) if pool > 0 else 0
    if n_hired == 0 or not open_to_hire.any():
        return np.zeros(log_attr.shape[0], np.int64)
    return rng.multinomial(n_hired, softmax(np.where(open_to_hire, log_attr, -np.inf)))


def skill_after_moves(headcount: np.ndarray, skill: np.ndarray, moves: np.ndarray,
                      hires: np.ndarray, pool_skill: float) -> np.ndarray:
    """Mean skill after moves: stayers keep theirs, newcomers bring their source's."""
    stay = headcount - moves.sum(axis=1)
    incoming_skill = moves.T @ skill + hires * pool_skill
    new_head = stay + moves.sum(axis=0) + hires
    total = stay * skill + incoming_skill
    return np.divide(total, new_head, out=skill.astype(float).copy(), where=new_head > 0)


def key_hires(rng: np.random.Generator, moves: np.ndarray, skill: np.ndarray,
              key_hire_rate: float) -> np.ndarray:
    """(source x destination) number of key hires among the movers."""
    p = np.clip(key_hire_rate * skill, 0.0, 1.0)[:, None]
    # a binomial of 0 draws no random numbers: drawing the movers' cells only, in the same
    # (row-major) order, takes the same numbers
    key = np.zeros(moves.shape, np.int64)
    cells = moves > 0
    key[cells] = rng.binomial(moves[cells], np.broadcast_to(p, moves.shape)[cells])
    return key


def knowhow_transfer(capability: np.ndarray, key: np.ndarray, transfer: float) -> np.ndarray:
    """Each destination with key hires closes `transfer` of its gap to the best source it
    hired a key person from, feature by feature."""
    out = capability.copy()
    for dst in np.flatnonzero(key.sum(axis=0)):
        sources = np.flatnonzero(key[:, dst])
        lead = np.maximum(capability[sources] - capability[dst], 0.0).max(axis=0)
        out[dst] = capability[dst] + transfer * lead
    return out


def merged_skill(skill: float, headcount: int, joining_skill: float, joining: int) -> float:
    """Mean skill of a team of `headcount` at `skill` after `joining` people at `joining_skill`
    arrive (an acquisition)."""
    return (skill * headcount + joining_skill * joining) / max(headcount + joining, 1)


def month_of_moves(rng: np.random.Generator, headcount: np.ndarray, skill: np.ndarray, capability: np.ndarray,
                   salary: np.ndarray, gpus: np.ndarray, momentum: np.ndarray, active: np.ndarray,
                   hiring: np.ndarray, pool: int, pool_skill: float, rules) -> dict[str, np.ndarray]:
    """The talent market's month: researchers of active vendors look around and move
    (`talent_moves`), the free pool is hired (`pool_hires`), some movers are key hires who
    carry know-how (`key_hires`, `knowhow_transfer`). Only `hiring` vendors take people.
    `rules` is the talent config section. Returns new arrays: moves (source x destination),
    hires, key (source x destination), headcount, skill, capability."""
    attraction = log_attractiveness(salary, gpus, headcount, momentum, rules.pay_weight, rules.compute_weight,
                                    rules.momentum_weight)
    if kernels.enabled() and headcount.dtype == np.int64 and skill.dtype == capability.dtype == np.float64:
        return _compiled_month(rng, headcount, skill, capability, attraction, active, hiring, pool, pool_skill, rules)
    moves = talent_moves(rng, headcount, active, attraction, hiring, rules.mobility, rules.noncompete_friction)
    hires = pool_hires(rng, pool, rules.hiring_rate, attraction, hiring)
    key = key_hires(rng, moves, skill, rules.key_hire_rate)
    return {"moves": moves, "hires": hires, "key": key,
            "skill": skill_after_moves(headcount, skill, moves, hires, pool_skill),
            "capability": knowhow_transfer(capability, key, rules.knowhow_transfer),
            "headcount": headcount - moves.sum(axis=1) + moves.sum(axis=0) + hires}


def _compiled_month(rng, headcount, skill, capability, attraction, active, hiring, pool, pool_skill, rules):
    """month_of_moves with the compiled kernels (kernels.talent_logits, talent_draws,
    talent_after_moves): the same draws in the same order and the same numbers. The
    softmaxes' exp and the product moves.T @ skill stay numpy's (exp on every row that
    could have anyone looking, the reference's rows among them)."""
    active = np.asarray(active, bool)
    rows, logits, pool_logits = kernels.talent_logits(headcount, active, attraction, np.asarray(hiring, bool))
    looking_p = min(max(float(rules.mobility * (1.0 - rules.noncompete_friction)), 0.0), 1.0)  # np.clip's value
    moves, hires, key = kernels.talent_draws(rng, headcount, active, looking_p, rows, np.exp(logits), int(pool),
                                             float(rules.hiring_rate), np.exp(pool_logits),
                                             float(rules.key_hire_rate), skill)
    new_skill, new_capability, new_head = kernels.talent_after_moves(
        headcount, skill, capability, moves, hires, moves.T @ skill, float(pool_skill), key,
        float(rules.knowhow_transfer))
    return {"moves": moves, "hires": hires, "key": key, "skill": new_skill, "capability": new_capability,
            "headcount": new_head}
