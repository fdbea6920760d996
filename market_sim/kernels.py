"""Compiled twins (numba) of the consumers', buyers' and talent's array expressions, and of
the random streams' seeding and reading.

The mechanisms in mechanisms/ are written as numpy expressions, one per equation, and stay
the reference. Where many agents do the same thing each month (20,000 consumers, 2,000
buyers), those expressions spend most of their time on temporaries and fancy indexing; the
functions here compute the same numbers in one pass per agent. Each reproduces its numpy
reference bit for bit: the same IEEE operations in the same order (numba does not fuse a
multiply and an add unless told to), numpy's pairwise summation where numpy sums a row
(`_pairwise`), and no vectorised transcendental function: exp and log over arrays stay in
numpy (whose SIMD versions may round differently from the C library's), so the kernels
only prepare their arguments and use their results. The one exception is the talent
month's binomial draws, which numba makes with numpy's own algorithm and bit generator
and the C library's scalar exp and log, as numpy's C code does (see that section).
Random numbers are numpy's: the streams' seeds are hashed by a copy of numpy's
SeedSequence, and `pcg64_uniforms_at` reads chosen doubles of a PCG64 stream by jumping
its state (streams.SparseUniforms). tests/test_kernels.py checks every kernel against its
reference on varied inputs, and the model's tables with the kernels against the tables
without them.

`enabled()` says whether the mechanisms use them: yes, unless the environment variable
MARKET_SIM_KERNELS is "numpy" (the reference path, for checking and debugging). The first
call compiles a kernel (a few seconds in all); compiled code is cached on disk
(numba's `cache=True`) so that worker processes load it instead.
"""

from __future__ import annotations

import os
from contextlib import contextmanager

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

_ENABLED = os.environ.get("MARKET_SIM_KERNELS", "numba").strip().lower() != "numpy"


def enabled() -> bool:
    """Whether the mechanisms use the compiled kernels (see the module docstring)."""
    return _ENABLED


@contextmanager
def use(on: bool):
    """Run a block with the kernels on or off (tests compare the two paths)."""
    global _ENABLED
    before, _ENABLED = _ENABLED, bool(on)
    try:
        yield
    finally:
        _ENABLED = before


# ------------------------------------------------------------------ shared pieces
@njit(cache=True, nogil=True, inline="always")
def _pairwise_block(a, lo, n):
    """sum(a[lo:lo+n]) for n <= 128 as numpy adds it: in order below 8 entries, else eight
    running sums combined as ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7)), then the rest."""
    if n < 8:
        res = 0.0
        for i in range(n):
            res += a[lo + i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    i = 8
    end = n - n % 8
    while i < end:
        r0 += a[lo + i]
        r1 += a[lo + i + 1]
        r2 += a[lo + i + 2]
        r3 += a[lo + i + 3]
        r4 += a[lo + i + 4]
        r5 += a[lo + i + 5]
        r6 += a[lo + i + 6]
        r7 += a[lo + i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[lo + i]
        i += 1
    return res


@njit(cache=True, nogil=True, inline="always")
def _pairwise(a, lo, n):
    """sum(a[lo:lo+n]) exactly as numpy adds a contiguous run of float64 (its pairwise
    summation): blocks of up to 128 (`_pairwise_block`); a longer run is split at half its
    length rounded down to a multiple of 8 and the two halves' sums added (`_pairwise_long`)."""
    if n <= 128:
        return _pairwise_block(a, lo, n)
    return _pairwise_long(a, lo, n)


@njit(cache=True, nogil=True)
def _pairwise_long(a, lo, n):
    """`_pairwise` of a run longer than 128, its halving walked with an explicit stack
    (numba's on-disk cache does not take recursive functions)."""
    seg_lo = np.empty(64, np.int64)
    seg_n = np.empty(64, np.int64)
    stage = np.zeros(64, np.int64)
    values = np.empty(64)
    seg_lo[0], seg_n[0], stage[0] = lo, n, 0
    depth, filled = 1, 0
    while depth > 0:
        top = depth - 1
        start, size = seg_lo[top], seg_n[top]
        if size <= 128:
            values[filled] = _pairwise_block(a, start, size)
            filled += 1
            depth -= 1
            continue
        half = size // 2
        half -= half % 8
        if stage[top] == 0:       # first the left half
            stage[top] = 1
            seg_lo[depth], seg_n[depth], stage[depth] = start, half, 0
            depth += 1
        elif stage[top] == 1:     # then the right half
            stage[top] = 2
            seg_lo[depth], seg_n[depth], stage[depth] = start + half, size - half, 0
            depth += 1
        else:                     # both done: left + right
            values[filled - 2] = values[filled - 2] + values[filled - 1]
            filled -= 1
            depth -= 1
    return values[0]


# ------------------------------------------------------------------ consumers (adoption.py)
@njit(cache=True, nogil=True)
def neighbour_adopted_share(vendor, neighbours, rows):
    """adoption.neighbour_adopted_share: share of the contacts of each of `rows` who use an assistant."""
    degree = neighbours.shape[1]
    out = np.empty(rows.size)
    for r in range(rows.size):
        i = rows[r]
        count = 0
        for d in range(degree):
            if vendor[neighbours[i, d]] >= 0:
                count += 1
        out[r] = count / degree
    return out


@njit(cache=True, nogil=True)
def consumer_groups(vendor, orphaned):
    """adoption.consumer_groups in one pass: (rows using an assistant, rows with none in use
    and not orphaned, orphaned rows), each ascending."""
    n = vendor.size
    users, candidates, orphans = np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n, np.int64)
    n_users = n_candidates = n_orphans = 0
    for i in range(n):      # each row written to all three, kept where it belongs: no branch to mispredict
        using = np.int64(vendor[i] >= 0)
        lost = np.int64(orphaned[i])
        users[n_users] = i
        n_users += using
        candidates[n_candidates] = i
        n_candidates += (1 - using) & (1 - lost)
        orphans[n_orphans] = i
        n_orphans += lost
    return users[:n_users], candidates[:n_candidates], orphans[:n_orphans]


@njit(cache=True, nogil=True)
def superapp_hazard(on_superapp, app_hazard, rows):
    """(on_superapp[rows] * app_hazard).sum(axis=1): each listed person's hazard from the
    super-apps it is on."""
    apps = on_superapp.shape[1]
    out = np.empty(rows.size)
    if apps < 8:  # numpy adds fewer than 8 in order
        for r in range(rows.size):
            i = rows[r]
            total = 0.0
            for a in range(apps):
                total += (1.0 if on_superapp[i, a] else 0.0) * app_hazard[a]
            out[r] = total
        return out
    row = np.empty(apps)
    for r in range(rows.size):
        i = rows[r]
        for a in range(apps):
            row[a] = (1.0 if on_superapp[i, a] else 0.0) * app_hazard[a]
        out[r] = _pairwise(row, 0, apps)
    return out


@njit(cache=True, nogil=True)
def discovery_source(uniform, organic, ads, on_superapp, newcomers, app_hazard):
    """adoption.discovery_source with the newcomers' super-app hazards
    on_superapp[newcomers] * app_hazard."""
    m, n_ads, apps = newcomers.size, ads.size, app_hazard.size
    width = 1 + n_ads + apps
    hazards = np.empty(width)
    out = np.empty(m, np.int64)
    for r in range(m):
        i = newcomers[r]
        hazards[0] = organic[r]
        for a in range(n_ads):
            hazards[1 + a] = ads[a]
        for a in range(apps):
            hazards[1 + n_ads + a] = (1.0 if on_superapp[i, a] else 0.0) * app_hazard[a]
        total = _pairwise(hazards, 0, width)
        divisor = total if total > 0 else 1.0
        cumulative = 0.0
        pick = 0
        for c in range(width):
            cumulative += hazards[c] / divisor
            if cumulative < uniform[r]:
                pick += 1
        out[r] = min(pick, width - 1)
    return out


@njit(cache=True, nogil=True)
def adopts(p, q, adopted_share, one_minus_e, uniform, candidate):
    """candidate & (uniform < adoption.adoption_probability(p, q, adopted_share)), given
    one_minus_e = -expm1(-(p + q)) computed by numpy."""
    n = p.size
    out = np.zeros(n, np.bool_)
    for i in range(n):
        if not candidate[i]:
            continue
        hazard = p[i] + q * adopted_share[i]
        den = hazard + q * (1.0 - adopted_share[i]) * (1.0 - one_minus_e[i])
        prob = hazard * one_minus_e[i] / den if den > 0 else 0.0
        prob = min(max(prob, 0.0), 1.0)
        out[i] = uniform[i] < prob
    return out


@njit(cache=True, nogil=True)
def chooser_logit_arguments(choosers, vendor, neighbours, cols, col_of, vendor_utility, on_superapp, app_columns,
                            app_owner_column, beta_superapp, beta_word_of_mouth, beta_incumbent, hype, hyped_rows):
    """The choosers' logit utilities minus each row's maximum (the argument of exp in the
    softmax): adoption.chooser_utility over adoption.neighbour_vendor_share's contact shares,
    with `hype` (per column) added to the first `hyped_rows` rows, as month_of_use builds them.
    `cols` are the available vendors' rows, `col_of` maps a vendor row to its column (-1 none;
    one extra entry for -1 itself); `app_columns` are the super-apps whose owner is available
    and `app_owner_column` their owners' columns."""
    m, k = choosers.size, cols.size
    degree = neighbours.shape[1]
    out = np.empty((m, k))
    counts = np.zeros(k, np.int64)
    base = np.empty(k)
    for c in range(k):
        base[c] = vendor_utility[cols[c]]
    # the word-of-mouth and incumbency terms take a few values only: beta x (contacts / degree)
    # for 0..degree contacts, beta x 1.0 and beta x 0.0; looked up, the same numbers
    word_of_mouth = np.empty(degree + 1)
    for j in range(degree + 1):
        word_of_mouth[j] = beta_word_of_mouth * (j / degree)
    incumbent, other = beta_incumbent * 1.0, beta_incumbent * 0.0
    for r in range(m):
        i = choosers[r]
        _contact_counts(counts, vendor, neighbours[i], col_of)
        row = out[r]
        for c in range(k):
            row[c] = base[c]
        for a in range(app_columns.size):
            row[app_owner_column[a]] += beta_superapp * (1.0 if on_superapp[i, app_columns[a]] else 0.0)
        current = col_of[vendor[i]]
        top, nan = -np.inf, False          # the row's maximum as np.max takes it (NaN if any)
        if r < hyped_rows:                  # two copies of one loop: a test inside costs 15%
            for c in range(k):
                u = ((row[c] + word_of_mouth[counts[c]]) + (incumbent if current == c else other)) + hype[c]
                row[c] = u
                top = u if u > top else top
                nan = nan or u != u
        else:
            for c in range(k):
                u = (row[c] + word_of_mouth[counts[c]]) + (incumbent if current == c else other)
                row[c] = u
                top = u if u > top else top
                nan = nan or u != u
        if nan:
            top = np.nan
        for c in range(k):
            row[c] = row[c] - top
    return out


@njit(cache=True, nogil=True, inline="always")
def _contact_counts(counts, vendor, contacts, col_of):
    """counts[c]: how many of `contacts` use the vendor in column c."""
    counts[:] = 0
    for d in range(contacts.size):
        c = col_of[vendor[contacts[d]]]
        if c >= 0:
            counts[c] += 1


@njit(cache=True, nogil=True)
def inverse_cdf_pick(exp_values, uniform, last):
    """adoption.logit_choice's pick given exp_values = exp(utility - row max) from numpy:
    shares = exp / row sum, the count of cumulative shares below the row's uniform, at most
    `last`. The cumulative shares never decrease (each share is >= 0, and rounding a sum
    of non-negative terms never goes below the partial sum), so the count stops at the first
    share at or above the uniform."""
    m, k = exp_values.shape
    flat = exp_values.reshape(-1)
    out = np.empty(m, np.int32)
    for r in range(m):
        total = _pairwise(flat, r * k, k)
        cumulative = 0.0
        pick = 0
        for c in range(k):
            cumulative += exp_values[r, c] / total
            if not cumulative < uniform[r]:
                break
            pick += 1
        out[r] = min(pick, last)
    return out


@njit(cache=True, nogil=True)
def weighted_counts(vendor, weight, n_vendors):
    """adoption.weighted_counts: people using each vendor (np.bincount's order of additions)."""
    out = np.zeros(n_vendors)
    for i in range(vendor.size):
        if vendor[i] >= 0:
            out[vendor[i]] += weight[i]
    return out


# ------------------------------------------------------------------ buyers (procurement.py)
@njit(cache=True, nogil=True)
def buyer_utility(sector, home_cloud, risk_aversion, current_portfolio, price_term, capability_fit, focus_sector,
                  failure_risk, b_cap, b_cloud, b_focus, b_risk, switching_cost, vendors):
    """procurement.buyer_utility for the given `vendors` (rows x k vendor rows, -1 allowed),
    with price_term = -b_price * log(price + floor) from numpy. The terms that depend on
    sector and vendor only are computed once per pair, not once per buyer (the same
    operations on the same numbers; vendor row -1 is the last row, as numpy indexes it)."""
    m, k = vendors.shape
    slots = current_portfolio.shape[1]
    n_sectors, n_vendors = capability_fit.shape
    fit_term = np.empty((n_sectors, n_vendors))       # price_term + b_cap x fit
    focus_term = np.empty((n_sectors, n_vendors))     # b_focus x (the vendor's focus is the sector)
    for s in range(n_sectors):
        for j in range(n_vendors):
            fit_term[s, j] = price_term[j] + b_cap * capability_fit[s, j]
            focus_term[s, j] = b_focus * (1.0 if focus_sector[j] == s else 0.0)
    cloud_yes, cloud_no = b_cloud * 1.0, b_cloud * 0.0
    held_yes, held_no = switching_cost * 1.0, switching_cost * 0.0
    out = np.empty((m, k))
    for i in range(m):
        s = sector[i]
        risk_weight = b_risk * risk_aversion[i]
        cloud = home_cloud[i]
        for c in range(k):
            j = vendors[i, c]
            u = fit_term[s, j] + (cloud_yes if cloud == j else cloud_no)
            u = u + focus_term[s, j]
            u = u - risk_weight * failure_risk[j]
            held = False
            if j >= 0:
                for h in range(slots):
                    if current_portfolio[i, h] == j:
                        held = True
            out[i, c] = u + (held_yes if held else held_no)
    return out


@njit(cache=True, nogil=True)
def due_for_review(portfolio, next_review, available, month):
    """procurement.due_for_review in one pass over the buyers: (slots holding a vendor that
    left, buyers x slots; rows of the buyers whose review is due or who lost a vendor)."""
    m, slots = portfolio.shape
    gone = np.zeros((m, slots), np.bool_)
    review = np.empty(m, np.int64)
    count = 0
    for i in range(m):
        lost = False
        for h in range(slots):
            j = portfolio[i, h]
            if j >= 0 and not available[j]:
                gone[i, h] = True
                lost = True
        review[count] = i
        count += 1 if (next_review[i] <= month or lost) else 0
    return gone, review[:count]


@njit(cache=True, nogil=True)
def top_k_columns(score, k):
    """procurement._top_k then choose_portfolio's mask: the columns of the k highest scores
    per row, best first (ties to the lower column, as a stable sort), -1 where the score is
    not finite or the row has fewer than k columns."""
    m, n = score.shape
    out = np.full((m, k), -1, np.int32)
    best = np.empty(k)
    for r in range(m):
        filled = 0
        for c in range(n):
            x = score[r, c]
            if filled == k and not x > best[k - 1]:
                continue
            pos = filled if filled < k else k - 1
            while pos > 0 and x > best[pos - 1]:
                if pos < k:
                    best[pos] = best[pos - 1]
                    out[r, pos] = out[r, pos - 1]
                pos -= 1
            best[pos] = x
            out[r, pos] = c
            if filled < k:
                filled += 1
        for s in range(filled):
            if not np.isfinite(best[s]):
                out[r, s] = -1
    return out


@njit(cache=True, nogil=True)
def garden_softmax_arguments(slot_utility, portfolio, softmax_scale):
    """procurement.garden_weights up to its exp: for held slots (u - max u) / scale minus the
    row's largest such value (the softmax's own centring), 0 for empty slots."""
    m, k = slot_utility.shape
    out = np.zeros((m, k))
    for r in range(m):
        top_u = -1e300
        for c in range(k):
            if portfolio[r, c] >= 0 and slot_utility[r, c] > top_u:
                top_u = slot_utility[r, c]
        top = -np.inf
        for c in range(k):
            if portfolio[r, c] >= 0:
                x = (slot_utility[r, c] - top_u) / softmax_scale
                out[r, c] = x
                if x > top:
                    top = x
        shift = top if np.isfinite(top) else 0.0
        for c in range(k):
            if portfolio[r, c] >= 0:
                out[r, c] = out[r, c] - shift
    return out


@njit(cache=True, nogil=True)
def garden_shares(exp_values, portfolio):
    """procurement.garden_weights after its exp: exp over the held slots divided by their
    row sum (0 for empty slots, and for a row with none)."""
    m, k = exp_values.shape
    z = np.zeros((m, k))
    flat = z.reshape(-1)
    for r in range(m):
        for c in range(k):
            if portfolio[r, c] >= 0:
                z[r, c] = exp_values[r, c]
        total = _pairwise(flat, r * k, k)
        for c in range(k):
            z[r, c] = z[r, c] / total if total > 0 else 0.0
    return z


@njit(cache=True, nogil=True)
def portfolio_price(portfolio, weights, price):
    """procurement.portfolio_price: the token-weighted price each buyer pays."""
    m, k = portfolio.shape
    paid = np.empty((m, k))
    flat = paid.reshape(-1)
    out = np.empty(m)
    for r in range(m):
        for c in range(k):
            j = portfolio[r, c]
            paid[r, c] = (price[j] if j >= 0 else 0.0) * weights[r, c]
        out[r] = _pairwise(flat, r * k, k)
    return out


@njit(cache=True, nogil=True)
def spend_tables(demand, portfolio, weights, price, sector, n_sectors, n_vendors):
    """procurement.spend_by_vendor and procurement.sector_revenue in one pass: (spend per
    buyer, revenue per vendor, tokens per vendor, sectors x vendors revenue), the bincounts'
    additions in their order (buyer by buyer, slot by slot)."""
    m, k = portfolio.shape
    spend = np.empty((m, k))
    flat = spend.reshape(-1)
    per_buyer = np.empty(m)
    revenue = np.zeros(n_vendors)
    tokens_out = np.zeros(n_vendors)
    by_sector = np.zeros((n_sectors, n_vendors))
    for r in range(m):
        for c in range(k):
            j = portfolio[r, c]
            held = 1.0 if j >= 0 else 0.0
            row = j if j >= 0 else 0
            tokens = demand[r] * weights[r, c] * held
            spend[r, c] = tokens * price[row] * held
            if j >= 0:
                revenue[j] += spend[r, c]
                tokens_out[j] += tokens
                by_sector[sector[r], j] += spend[r, c]
        per_buyer[r] = _pairwise(flat, r * k, k)
    return per_buyer, revenue, tokens_out, by_sector


# ------------------------------------------------------------------ random streams (streams.py)
@njit(cache=True, nogil=True)
def _hashmix(value, hash_const):
    """numpy's SeedSequence hashmix on 32-bit words held in uint64: (hashed value, next constant)."""
    mask, shift = np.uint64(0xFFFFFFFF), np.uint64(16)
    value = value ^ hash_const
    hash_const = (hash_const * np.uint64(0x931E8875)) & mask
    value = (value * hash_const) & mask
    return value ^ (value >> shift), hash_const


@njit(cache=True, nogil=True)
def _mix(x, y):
    mask, shift = np.uint64(0xFFFFFFFF), np.uint64(16)
    result = (np.uint64(0xCA01F9DD) * x - np.uint64(0x4973F715) * y) & mask
    return result ^ (result >> shift)


@njit(cache=True, nogil=True)
def seed_sequence_state(entropy):
    """numpy.random.SeedSequence(...).generate_state(4, np.uint64) (what PCG64 is seeded
    with), given the SeedSequence's assembled entropy as 32-bit words (run entropy padded to
    the pool size of 4, then the spawn key's words; `streams.py` assembles them)."""
    return _seed_sequence_state(entropy)


@njit(cache=True, nogil=True)
def keyed_seed_state(prefix, mechanism, month, purpose, row):
    """seed_sequence_state of the words `prefix` followed by the stream's four key words
    (streams.RandomStreams.generator: no array to assemble per stream)."""
    entropy = np.empty(prefix.size + 4, np.uint64)
    entropy[:prefix.size] = prefix
    entropy[prefix.size] = mechanism
    entropy[prefix.size + 1] = month
    entropy[prefix.size + 2] = purpose
    entropy[prefix.size + 3] = row
    return _seed_sequence_state(entropy)


@njit(cache=True, nogil=True)
def _seed_sequence_state(entropy):
    mask, shift = np.uint64(0xFFFFFFFF), np.uint64(16)
    pool = np.zeros(4, np.uint64)
    hash_const = np.uint64(0x43B0D7E5)
    n = entropy.size
    for i in range(4):
        pool[i], hash_const = _hashmix(entropy[i] if i < n else np.uint64(0), hash_const)
    for src in range(4):
        for dst in range(4):
            if src != dst:
                hashed, hash_const = _hashmix(pool[src], hash_const)
                pool[dst] = _mix(pool[dst], hashed)
    for src in range(4, n):
        for dst in range(4):
            hashed, hash_const = _hashmix(entropy[src], hash_const)
            pool[dst] = _mix(pool[dst], hashed)
    words = np.empty(8, np.uint64)
    hash_const = np.uint64(0x8B51F9DD)
    for i in range(8):
        value = pool[i % 4] ^ hash_const
        hash_const = (hash_const * np.uint64(0x58F38DED)) & mask
        value = (value * hash_const) & mask
        words[i] = value ^ (value >> shift)
    out = np.empty(4, np.uint64)
    for i in range(4):
        out[i] = words[2 * i] | (words[2 * i + 1] << np.uint64(32))
    return out


# ------------------------------------------------------------------ PCG64 read where needed (streams.py)
# numpy's PCG64 (the generator behind every stream) is a 128-bit LCG, s <- A s + inc (mod 2^128),
# whose k-th double is the XSL-RR output of the state after k + 1 steps, (out >> 11) * 2^-53.
# After j steps from s the state is A^j s + inc S(j), S(j) = 1 + A + ... + A^(j-1): one
# 128-bit multiply-add reaches any draw, so a mechanism that reads a few of the uniforms a
# month's `rng.random(shape)` would give pays for those alone. 128-bit numbers are held as
# (high, low) uint64 pairs.
@intrinsic
def _high_word(typingctx, a, b):
    """The high 64 bits of the 128-bit product of two uint64 (one machine multiply)."""
    if a != types.uint64 or b != types.uint64:
        return None

    def codegen(context, builder, signature, args):
        wide = ir.IntType(128)
        product = builder.mul(builder.zext(args[0], wide), builder.zext(args[1], wide))
        return builder.trunc(builder.lshr(product, ir.Constant(wide, 64)), ir.IntType(64))

    return types.uint64(types.uint64, types.uint64), codegen


@njit(cache=True, nogil=True, inline="always")
def _mul128(ahi, alo, bhi, blo):
    """(a * b) mod 2^128."""
    return _high_word(alo, blo) + alo * bhi + ahi * blo, alo * blo


@njit(cache=True, nogil=True, inline="always")
def _add128(ahi, alo, bhi, blo):
    """(a + b) mod 2^128."""
    lo = alo + blo
    return ahi + bhi + (np.uint64(1) if lo < alo else np.uint64(0)), lo


@njit(cache=True, nogil=True)
def _pcg64_jump(hi, lo, inc_hi, inc_lo, steps, pow_mult, pow_sum):
    """The state `steps` steps after (hi, lo): per set bit k of `steps`,
    s <- A^(2^k) s + inc S(2^k) (tables `pow_mult`, `pow_sum`: 128 x (high, low))."""
    k = 0
    while steps > 0:
        if steps & 1:
            hi, lo = _mul128(pow_mult[k, 0], pow_mult[k, 1], hi, lo)
            c_hi, c_lo = _mul128(inc_hi, inc_lo, pow_sum[k, 0], pow_sum[k, 1])
            hi, lo = _add128(hi, lo, c_hi, c_lo)
        steps >>= 1
        k += 1
    return hi, lo


@njit(cache=True, nogil=True)
def pcg64_uniforms_at(state, drawn, size, offset, positions, jump_mult, jump_sum, pow_mult, pow_sum):
    """The doubles at `offset` + `positions` of the stream of a PCG64 whose `state` (uint64[4]:
    state high, low, increment high, low; updated in place) has had `drawn` doubles taken:
    what `rng.random(size)[offset + positions]` gives. `jump_mult`, `jump_sum` ((T + 1) x 2):
    A^j and S(j) for j <= T; longer jumps by powers of two. Returns (values, doubles taken
    after the last one read), or (empty, -1) with `state` untouched if the positions are not
    ascending within [drawn, size)."""
    n = positions.size
    hi, lo, inc_hi, inc_lo = state[0], state[1], state[2], state[3]
    table = jump_mult.shape[0] - 1
    plus = np.empty((table + 1, 2), np.uint64)          # inc S(j) for this stream
    for j in range(1, table + 1):
        plus[j, 0], plus[j, 1] = _mul128(inc_hi, inc_lo, jump_sum[j, 0], jump_sum[j, 1])
    out = np.empty(n)
    s58, s11 = np.uint64(58), np.uint64(11)
    for i in range(n):
        steps = offset + positions[i] + 1 - drawn
        if steps < 1 or offset + positions[i] >= size:    # refused before `state` is written
            return np.empty(0), -1
        if steps > table:                                 # far ahead: by powers of two, then the rest
            hi, lo = _pcg64_jump(hi, lo, inc_hi, inc_lo, steps - table, pow_mult, pow_sum)
            steps = table
        hi, lo = _mul128(jump_mult[steps, 0], jump_mult[steps, 1], hi, lo)
        hi, lo = _add128(hi, lo, plus[steps, 0], plus[steps, 1])
        value = hi ^ lo                                   # XSL-RR output
        rot = hi >> s58
        value = (value >> rot) | (value << ((np.uint64(64) - rot) & np.uint64(63)))
        out[i] = np.float64(value >> s11) * (1.0 / 9007199254740992.0)
        drawn = offset + positions[i] + 1
    state[0], state[1] = hi, lo
    return out, drawn


# ------------------------------------------------------------------ talent (talent.py)
# The talent month draws binomials through numba's Generator.binomial, which calls numpy's own
# bit generator and follows numpy's C `random_binomial` step for step (inversion below 30
# expected successes, else BTPE; nothing drawn when n or p is 0; no check of p, as numpy's C
# does not check it either), so the draws and the generator's end state are numpy's. Its exp
# and log are scalar libm calls like numpy's C ones; the softmaxes' exp stays in numpy.
@njit(cache=True, nogil=True, inline="always")
def _check_probability(p):
    """Generator.binomial's check of p: a ValueError, not a draw, outside [0, 1] or NaN (a NaN
    p would send the draw into an endless rejection loop)."""
    if not (p >= 0.0 and p <= 1.0):
        raise ValueError("p < 0, p > 1 or p is NaN")


@njit(cache=True, nogil=True, error_model="numpy")
def _multinomial_into(rng, n, pvals, out):
    """rng.multinomial(n, pvals) written into `out` (zeros on entry), as numpy's C
    `random_multinomial` draws it: category j takes Binomial(n left, pvals[j] / p left) with
    p left = 1 - pvals[0] - ... - pvals[j-1] subtracted in that order from 1.0; it stops
    when nobody is left, and the last category takes whoever is. (A ratio above 1 from
    rounding takes everyone, as in numpy; error_model="numpy" keeps IEEE division.)"""
    d = pvals.size
    for j in range(d):     # numpy checks them all before any draw
        if not (pvals[j] >= 0.0 and pvals[j] <= 1.0):
            raise ValueError("pvals < 0, pvals > 1 or pvals contains NaNs")
    remaining_p = 1.0
    dn = n
    for j in range(d - 1):
        x = rng.binomial(dn, pvals[j] / remaining_p)
        out[j] = x
        dn = dn - x
        if dn <= 0:
            break
        remaining_p -= pvals[j]
    if dn > 0:
        out[d - 1] = dn


@njit(cache=True, nogil=True, inline="always")
def _centred_logits(row, log_attr, open_to_hire, source):
    """row = log_attr where open_to_hire (and at `source`, -1 for none), -inf elsewhere,
    minus its max (as the softmax centres it)."""
    for c in range(row.size):
        row[c] = log_attr[c] if open_to_hire[c] else -np.inf
    if source >= 0:
        row[source] = log_attr[source]
    top = row[0]
    for c in range(1, row.size):
        top = _maximum(top, row[c])
    for c in range(row.size):
        row[c] = row[c] - top


@njit(cache=True, nogil=True)
def talent_logits(headcount, active, log_attr, open_to_hire):
    """talent.talent_moves and talent.pool_hires up to their softmaxes' exp. Returns (rows
    that can have anyone looking around: active with researchers; their logits minus each
    row's max, destination_probabilities' argument of exp, rows x vendors: log
    attractiveness where a vendor is open to hiring or is the source, -inf elsewhere; the
    pool's logits minus their max, pool_hires' argument of exp over the vendors, -inf where
    closed, empty when no vendor is open). The reference takes the rows with anyone looking,
    a subset of these: numpy's exp is elementwise, so each row's exp is the same either way
    (tests/test_kernels.py checks it)."""
    n = headcount.size
    rows = np.flatnonzero(active & (headcount > 0)).astype(np.int64)
    out = np.empty((rows.size, n))
    for r in range(rows.size):
        _centred_logits(out[r], log_attr, open_to_hire, rows[r])
    pool = np.empty(n if open_to_hire.any() else 0)
    if pool.size:
        _centred_logits(pool, log_attr, open_to_hire, -1)
    return rows, out, pool


@njit(cache=True, nogil=True, inline="always")
def _row_shares(flat, r, k, out):
    """out = row r of a (rows x k) array (flat: its C-order values) divided by the row's
    sum, the sum added as numpy adds a row (`_pairwise`)."""
    total = _pairwise(flat, r * k, k)
    for c in range(k):
        out[c] = flat[r * k + c] / total


@njit(cache=True, nogil=True)
def softmax_shares(exp_values):
    """numerics.softmax after its exp (rows x k): each row divided by its sum (`_row_shares`)."""
    m, k = exp_values.shape
    flat = np.ascontiguousarray(exp_values).reshape(-1)
    out = np.empty((m, k))
    for r in range(m):
        _row_shares(flat, r, k, out[r])
    return out


@njit(cache=True, nogil=True, inline="always")
def _lookers(rng, headcount, active, looking_p):
    """Binomial(headcount if active else 0, looking_p) vendor by vendor, as numpy's vectorised
    binomial draws them, after its checks."""
    _check_probability(looking_p)
    for i in range(headcount.size):
        if active[i] and headcount[i] < 0:
            raise ValueError("n < 0")
    looking = np.empty(headcount.size, np.int64)
    for i in range(headcount.size):
        looking[i] = rng.binomial(headcount[i] if active[i] else 0, looking_p)
    return looking


@njit(cache=True, nogil=True, inline="always")
def _key_hires(rng, moves, key_hire_rate, skill):
    """talent.key_hires: Binomial(moves, clip(key_hire_rate x skill[source], 0, 1)) for each
    cell with movers, row by row, after checking every such p."""
    n = skill.size
    for i in range(n):
        p = _clip(key_hire_rate * skill[i], 0.0, 1.0)
        for j in range(n):
            if moves[i, j] > 0:
                _check_probability(p)
    key = np.zeros((n, n), np.int64)
    for i in range(n):
        p = _clip(key_hire_rate * skill[i], 0.0, 1.0)
        for j in range(n):
            if moves[i, j] > 0:
                key[i, j] = rng.binomial(moves[i, j], p)
    return key


@njit(cache=True, nogil=True)
def talent_draws(rng, headcount, active, looking_p, rows, exp_values, pool, hiring_rate, pool_exp, key_hire_rate,
                 skill):
    """The talent month's draws in the reference's order, given exp_values = exp(
    talent_logits' logits) and pool_exp = exp(its pool logits) from numpy: talent.talent_moves'
    lookers (Binomial(headcount if active else 0, looking_p) vendor by vendor, as numpy's
    vectorised binomial draws them) and multinomials (each vendor with anyone looking
    spreads them over destinations with probabilities `_row_shares` of its row), the
    diagonal then zeroed; talent.pool_hires (n_hired ~ Binomial(pool, hiring_rate) if
    pool > 0, then a multinomial over the shares of pool_exp when anyone is hired and a
    vendor is open); talent.key_hires (Binomial(moves, clip(key_hire_rate x
    skill[source], 0, 1)) for each cell with movers, row by row). Returns (moves, hires,
    key): people, int64. Raises ValueError where numpy's draws would (a negative headcount,
    a probability outside [0, 1] or NaN), before the draw concerned."""
    n = headcount.size
    looking = _lookers(rng, headcount, active, looking_p)
    moves = np.zeros((n, n), np.int64)
    flat = exp_values.reshape(-1)
    shares = np.empty(n)
    for r in range(rows.size):
        source = rows[r]
        if looking[source] > 0:
            _row_shares(flat, r, n, shares)
            _multinomial_into(rng, looking[source], shares, moves[source])
    for i in range(n):
        moves[i, i] = 0
    hires = np.zeros(n, np.int64)
    n_hired = 0
    if pool > 0:
        _check_probability(hiring_rate)
        n_hired = rng.binomial(pool, hiring_rate)
    if n_hired != 0 and pool_exp.size > 0:
        _row_shares(pool_exp, 0, n, shares)
        _multinomial_into(rng, n_hired, shares, hires)
    return moves, hires, _key_hires(rng, moves, key_hire_rate, skill)


@njit(cache=True, nogil=True)
def talent_after_moves(headcount, skill, capability, moves, hires, incoming, pool_skill, key, transfer):
    """talent.skill_after_moves, talent.knowhow_transfer and the new headcount, given
    incoming = moves.T @ skill from numpy (a matrix product: BLAS's order of additions).
    skill' = (stay x skill + incoming + hires x pool_skill) / (stay + movers in + hires),
    unchanged where nobody is left; a destination with key hires gets capability +
    transfer x max over its key-hire sources of max(source - destination, 0), feature by
    feature; headcount' = headcount - movers out + movers in + hires. Returns (skill',
    capability', headcount')."""
    n = headcount.size
    new_skill = skill.astype(np.float64)
    new_head = np.empty(n, np.int64)
    for i in range(n):
        out_i = 0
        in_i = 0
        for j in range(n):
            out_i += moves[i, j]
            in_i += moves[j, i]
        stay = headcount[i] - out_i
        people = stay + in_i + hires[i]
        total = stay * skill[i] + (incoming[i] + hires[i] * pool_skill)
        if people > 0:
            new_skill[i] = total / people
        new_head[i] = headcount[i] - out_i + in_i + hires[i]
    new_capability = capability.copy()
    n_features = capability.shape[1]
    lead = np.empty(n_features)
    for dst in range(n):
        first = True
        for src in range(n):
            if key[src, dst] == 0:
                continue
            for f in range(n_features):
                gap = _maximum(capability[src, f] - capability[dst, f], 0.0)
                lead[f] = gap if first else _maximum(lead[f], gap)
            first = False
        if not first:
            for f in range(n_features):
                new_capability[dst, f] = capability[dst, f] + transfer * lead[f]
    return new_skill, new_capability, new_head


# ------------------------------------------------------------------ finance and releases
# error_model="numpy": a float divided by zero gives inf or NaN as in numpy, not ZeroDivisionError
@njit(cache=True, nogil=True, error_model="numpy")
def _best_public_level(capability, active):
    """catchup.best_public_level: per feature, the level and row of the first maximum of the
    capability column over active rows (inactive rows count as -inf), as np.argmax picks it:
    the first maximum, or the first NaN. Needs at least one row."""
    n, f = capability.shape
    best = np.empty(f)
    leader = np.zeros(f, np.int64)
    for j in range(f):
        top = capability[0, j] if active[0] else -np.inf
        at = 0
        if top == top:
            for i in range(1, n):
                x = capability[i, j] if active[i] else -np.inf
                if x != x:            # NaN: argmax stops at the first one
                    top, at = x, i
                    break
                if x > top:
                    top, at = x, i
        best[j], leader[j] = top, at
    return best, leader


@njit(cache=True, nogil=True, error_model="numpy")
def poisson_quantile(uniform, rate, pmf):
    """catchup.poisson_quantile on flat arrays, `pmf` = exp(-rate) computed by numpy: the same
    loop over terms n = 1 .. 199 for every entry while any entry's cdf is still under its
    uniform, pmf_n = pmf_(n-1) x rate / n, cdf_n = cdf_(n-1) + pmf_n."""
    size = rate.size
    pmf = pmf.copy()
    cdf = pmf.copy()
    k = np.zeros(size, np.int64)
    for n in range(1, 200):
        below = False
        for i in range(size):
            if cdf[i] < uniform[i]:
                below = True
                break
        if not below:
            break
        for i in range(size):
            if cdf[i] < uniform[i]:
                k[i] += 1
            pmf[i] = pmf[i] * rate[i] / n
            cdf[i] = cdf[i] + pmf[i]
    return k


P_ATOL = float(np.sqrt(np.finfo(np.float64).eps))  # numpy's choice: how far p may sum from 1


@njit(cache=True, nogil=True, error_model="numpy")
def _choice_refuses(p, k):
    """Whether numpy's Generator.choice(size=k, replace=False, p=p) raises: p with NaN or a
    negative entry, its Kahan sum off 1 by more than P_ATOL, or fewer than k positive entries."""
    total, c, positive = p[0], 0.0, 0
    for i in range(1, p.size):
        y = p[i] - c
        t = total + y
        c = (t - total) - y
        total = t
    for i in range(p.size):
        if p[i] < 0:
            return True
        if p[i] > 0:
            positive += 1
    return total != total or abs(total - 1.0) > P_ATOL or positive < k


@njit(cache=True, nogil=True, error_model="numpy")
def _searchsorted_right(cdf, x):
    """np.searchsorted(cdf, x, side="right") for a non-decreasing cdf: the first entry above x."""
    lo, hi = 0, cdf.size
    while lo < hi:
        mid = (lo + hi) >> 1
        if x < cdf[mid]:
            hi = mid
        else:
            lo = mid + 1
    return lo


@njit(cache=True, nogil=True, error_model="numpy")
def choice_round(p, found, n_found, x):
    """One round of numpy's Generator.choice(p.size, size=found.size, replace=False, p=p) (p
    valid): with the picks so far (found[:n_found]) set to 0 in p, the cumulative sums of p
    divided by the last; each uniform x's searchsorted(side="right"); the new indices
    appended to `found` in order of first draw. Changes p and found; returns the picks made.
    Numpy draws x = k - n_found uniforms a round until it has k picks."""
    m = p.size
    for j in range(n_found):
        p[found[j]] = 0.0
    cdf = np.empty(m)
    cdf[0] = p[0]
    for i in range(1, m):
        cdf[i] = cdf[i - 1] + p[i]
    last = cdf[m - 1]
    for i in range(m):
        cdf[i] = cdf[i] / last
    start = n_found
    for d in range(x.size):
        pick = _searchsorted_right(cdf, x[d])
        if pick not in found[start:n_found]:
            found[n_found] = pick
            n_found += 1
    return n_found


@njit(cache=True, nogil=True, error_model="numpy")
def round_shares(amount, dry_powder, max_investors):
    """financing.split_round before its draw: the funds with money (`has`), p = their dry
    powder / its sum, and k = min(max_investors, funds). Returns (has, p, k, ok): k is 0
    (nothing to draw) when the amount is not positive or no fund has money; ok is False where
    numpy's choice would refuse p (`_choice_refuses`): the caller then runs the reference,
    which raises as numpy does."""
    has = np.flatnonzero(dry_powder > 0)
    m = has.size
    if amount <= 0 or m == 0:
        return has, np.zeros(0), 0, True
    values = dry_powder[has]
    k = min(max_investors, m)
    p = values / _pairwise(values, 0, m)
    return has, p, k, not (k < 0 or _choice_refuses(p, k))


@njit(cache=True, nogil=True, error_model="numpy")
def round_payments(amount, dry_powder, chosen):
    """financing.split_round after its draw: each chosen fund pays amount x its share of the
    chosen funds' dry powder, at most its dry powder (np.minimum: NaN if the amount is)."""
    out = np.zeros(dry_powder.size)
    powder = dry_powder[chosen]
    total = _pairwise(powder, 0, chosen.size)
    for j in range(chosen.size):
        put = amount * (powder[j] / total)
        out[chosen[j]] = put if (put < powder[j] or put != put) else powder[j]
    return out


@njit(cache=True, nogil=True, inline="always")
def _maximum(a, b):
    """np.maximum of two floats as numpy computes it (every layout checked in the tests): NaN
    if either is NaN, else the larger, and b when they compare equal (+0.0 for (-0.0, +0.0))."""
    return a if (a > b or a != a) else b


@njit(cache=True, nogil=True, inline="always")
def _minimum(a, b):
    """np.minimum of two floats as numpy computes it: NaN if either is, else the smaller, b when
    they compare equal."""
    return a if (a < b or a != a) else b


@njit(cache=True, nogil=True, error_model="numpy")
def vendor_runway(kind, cash, burn, owner_budget, big_tech, self_funded, cap, out):
    """VendorTable.update_runway into `out`: `cap` for a big tech; else
    min(max(cash, 0) / b, cap) where b = burn (- owner_budget for a self-funded lab) is
    positive, `cap` where it is not (financing.runway_months)."""
    for i in range(kind.size):
        if kind[i] == big_tech:
            out[i] = cap
            continue
        b = burn[i] - owner_budget[i] if kind[i] == self_funded else burn[i]
        r = _maximum(cash[i], 0.0) / b if b > 0 else cap
        out[i] = _minimum(r, cap)


@njit(cache=True, nogil=True, inline="always")
def _imitated(c, best, frontier, twice_leapfrog, share, behind, copy_u, overshoot_u, prob):
    """catchup.imitate for one vendor and feature: (level, copied)."""
    copied = behind and copy_u < prob
    if not copied:
        return c, False
    target = c + share * (best - c)
    landed = _minimum(target + twice_leapfrog * overshoot_u, _maximum(best, frontier))
    return _maximum(c, landed), True


@njit(cache=True, nogil=True, error_model="numpy")
def catch_up(capability, best_public, frontier, prob, copy_u, overshoot_u, leapfrog, can_copy, share, diffuses,
             best_open, open_prob, open_copy_u, open_overshoot_u):
    """catchup.catch_up with its two `imitate`s and `diffuse`s in one pass. `prob` and
    `open_prob`: copy_probability of the two lags (numpy's exp; diffuse closes the same share
    of the gap); the uniforms as imitate draws them, (copy, overshoot) toward the public best
    and then toward `best_open`; best_open of size 0 where nobody publishes weights (no second
    draw). Returns (capability, copied)."""
    n, f = capability.shape
    out = np.empty((n, f))
    copied_out = np.zeros((n, f), np.bool_)
    opens = best_open.size > 0
    for j in range(f):
        b, front, twice, sh = best_public[j], frontier[j], 2.0 * leapfrog[j], share[j]
        has_open = opens and np.isfinite(best_open[j])
        ob = best_open[j] if has_open else 0.0
        for i in range(n):
            c = capability[i, j]
            level, copied = _imitated(c, b, front, twice, sh, c < b and can_copy[i], copy_u[i, j], overshoot_u[i, j],
                                      prob[i, j])
            closed = prob[i, j] * _maximum(b - c, 0.0)
            diffused = c + (closed if can_copy[i] else 0.0)
            if opens:
                open_level, open_copied = _imitated(c, ob, front, twice, sh, c < ob and can_copy[i], open_copy_u[i, j],
                                                    open_overshoot_u[i, j], open_prob[i, j])
                if has_open:
                    level = _maximum(level, open_level)
                    copied = copied or (open_copied and open_level > c)
                closed = open_prob[i, j] * _maximum(best_open[j] - c, 0.0)
                diffused = _maximum(diffused, c + (closed if can_copy[i] else 0.0))
            if diffuses[j]:
                out[i, j] = diffused
            else:
                out[i, j] = level
                copied_out[i, j] = copied
    return out, copied_out


@njit(cache=True, nogil=True, error_model="numpy")
def gap_months(capability, reference, growth_per_month):
    """catchup.gap_months: max(reference - level, 0) / max(growth, 1e-9), per vendor and
    feature, with np.maximum's NaN and zero rules (`_maximum`)."""
    n, f = capability.shape
    out = np.empty((n, f))
    for i in range(n):
        for j in range(f):
            out[i, j] = _maximum(reference[j] - capability[i, j], 0.0) / _maximum(growth_per_month[j], 1e-9)
    return out


@njit(cache=True, nogil=True, error_model="numpy")
def beyond_frontier_arguments(capability, gamma_draws, step, frontier, scale):
    """catchup.innovate and past_frontier up to their logarithms: effort = step x the gamma
    draw; ahead = level - frontier; past = max(effort - max(-ahead, 0), 0), the effort spent
    past the frontier; start = max(ahead, 0) / scale. Returns (start, past / scale, past,
    effort), for numpy's logaddexp(start, log(past / scale))."""
    n, f = capability.shape
    start, ratio, past, effort = np.empty((n, f)), np.empty((n, f)), np.empty((n, f)), np.empty((n, f))
    for i in range(n):
        for j in range(f):
            e = step[j] * gamma_draws[i, j]
            ahead = capability[i, j] - frontier[j]
            p = _maximum(e - _maximum(-ahead, 0.0), 0.0)
            start[i, j] = _maximum(ahead, 0.0) / scale[j]
            ratio[i, j] = p / scale[j]
            past[i, j], effort[i, j] = p, e
    return start, ratio, past, effort


@njit(cache=True, nogil=True, error_model="numpy")
def innovated_levels(capability, effort, past, log_sum, frontier, scale, releases):
    """catchup.innovate after the logarithms: where a vendor released, frontier + scale x
    log_sum (= logaddexp(start, log(past / scale))) if it spent effort past the frontier, else
    level + effort; elsewhere the level it had."""
    n, f = capability.shape
    out = np.empty((n, f))
    for i in range(n):
        for j in range(f):
            c = capability[i, j]
            if releases[i, j] > 0:
                out[i, j] = frontier[j] + scale[j] * log_sum[i, j] if past[i, j] > 0 else c + effort[i, j]
            else:
                out[i, j] = c
    return out


@njit(cache=True, nogil=True, error_model="numpy")
def release_terms(strength, root_strength, innovation_rate, focused, focused_factor, active, rate_factor, base_lag,
                  open_factor, lag_factor):
    """catchup.month_of_releases' rates and lags (vendors x features), from R&D strength and
    root_strength = sqrt(max(strength, 1e-6)) (by numpy):
        rate     = (innovation_rate x strength x (focused_factor if focused else 1), 0 if
                   inactive) x rate_factor                        (release_rates)
        lag      = (base_lag / root_strength x 1) x lag_factor    (expected_copy_lag, closed)
        open_lag = (base_lag / root_strength x open_factor) x lag_factor   (toward published weights)
    and who can copy (active, strength > 0)."""
    n, f = strength.size, rate_factor.size
    rate, lag, open_lag = np.empty((n, f)), np.empty((n, f)), np.empty((n, f))
    can_copy = np.empty(n, np.bool_)
    for i in range(n):
        r = innovation_rate * strength[i] * (focused_factor if focused[i] else 1.0)
        r = r if active[i] else 0.0
        per_lab = base_lag / root_strength[i]
        closed, published = per_lab * 1.0, per_lab * open_factor
        for j in range(f):
            rate[i, j] = r * rate_factor[j]
            lag[i, j] = closed * lag_factor[j]
            open_lag[i, j] = published * lag_factor[j]
        can_copy[i] = active[i] and strength[i] > 0
    return rate, lag, open_lag, can_copy


@njit(cache=True, nogil=True, error_model="numpy")
def steady_quality_lags(root_strength, base_lag, open_factor, lag_factor, open_behind, neg_horizon):
    """catchup.expected_quality_gap up to its expm1: each vendor's steady quality gap (months)
        lag = max(min(base_lag / root x 1 x lag_factor, base_lag / root x open_factor x lag_factor
                      + open_behind), 1e-9)
    (steady_gap_months of the two expected_copy_lags; root = sqrt(max(strength, 1e-6))), and
    -horizon / lag, the argument of expected_gap_months' expm1. Returns (lag, -horizon / lag)."""
    n = root_strength.size
    lag, exponent = np.empty(n), np.empty(n)
    for i in range(n):
        per_lab = base_lag / root_strength[i]
        closed, published = per_lab * 1.0 * lag_factor, per_lab * open_factor * lag_factor
        lag[i] = _maximum(_minimum(closed, published + open_behind), 1e-9)
        exponent[i] = neg_horizon / lag[i]
    return lag, exponent


@njit(cache=True, nogil=True, error_model="numpy")
def relaxed_gap(gap_now, lag, horizon, expm1_exponent):
    """catchup.expected_gap_months after its expm1: lag + (gap_now - lag) (lag / horizon)
    x -expm1(-horizon / lag), in numpy's order of operations."""
    n = lag.size
    out = np.empty(n)
    for i in range(n):
        out[i] = lag[i] + (gap_now[i] - lag[i]) * (lag[i] / horizon) * -expm1_exponent[i]
    return out


@njit(cache=True, nogil=True, error_model="numpy")
def quality_differences(value_per_month, quality):
    """pricing.quality_adjusted_rival_price's exponents: value_per_month x (q_i - q_j)."""
    n = quality.size
    out = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            out[i, j] = value_per_month * (quality[i] - quality[j])
    return out


@njit(cache=True, nogil=True, error_model="numpy")
def cheapest_adjusted_price(price, factor, followed):
    """pricing.quality_adjusted_rival_price after its exp (`factor` = exp of the exponents):
    per vendor i, the least price_j x factor_ij over the followed rivals j != i (inf if none;
    NaN if any of them is NaN, as numpy's min). Returns (minimum, ok); ok is False where a row
    holds zeros of both signs, whose order in numpy's reduction decides the sign of the
    result: the caller then runs the reference."""
    n = price.size
    out = np.empty(n)
    for i in range(n):
        low = np.inf
        pos_zero = neg_zero = False
        for j in range(n):
            if j == i or not followed[j]:
                continue
            x = price[j] * factor[i, j]
            if x != x:
                low = x
                break
            if x == 0.0:
                if np.signbit(x):
                    neg_zero = True
                else:
                    pos_zero = True
            if x < low:
                low = x
        if pos_zero and neg_zero:
            return out, False
        out[i] = low
    return out, True


@njit(cache=True, nogil=True, error_model="numpy")
def startup_decisions(startup_active, racing, focus_value, costs, runway, raise_failed, cash, focus_streak,
                      inertia_months, patience_months, pivot_runway, exit_runway, race, money):
    """financing.startup_decisions, vendor by vendor: the streak of months focusing was worth
    more than inertia_months of costs; pivot (1) for the race after patience_months of it or
    for money under pivot_runway (money wins the cause); exit (2, money) with the cash gone
    or under exit_runway after a failed raise; nothing for a vendor that is not an active
    startup. Returns (action int8, cause int8, streak in focus_streak's dtype)."""
    n = runway.size
    action, cause = np.zeros(n, np.int8), np.zeros(n, np.int8)
    streak_now = np.empty_like(focus_streak)
    for i in range(n):
        better = startup_active[i] and racing[i] and focus_value[i] > inertia_months * costs[i]
        streak_now[i] = focus_streak[i] + 1 if better else 0
        if not startup_active[i]:
            continue
        if racing[i] and streak_now[i] >= patience_months:
            action[i], cause[i] = 1, race
        if racing[i] and runway[i] < pivot_runway:
            action[i], cause[i] = 1, money
        if (runway[i] < exit_runway and raise_failed[i]) or cash[i] <= 0:
            action[i], cause[i] = 2, money
    return action, cause, streak_now


@njit(cache=True, nogil=True, error_model="numpy")
def parents_cover(big_tech_active, owned_active, costs, revenue, owner_budget, loss_tolerance, losses_streak):
    """financing.parents_cover, vendor by vendor: loss = costs - revenue; a big tech's parent
    pays max(loss, 0), a self-funded lab's owner min(max(loss, 0), budget); the streak of
    months the loss (big tech) or the owner's bill (lab) beat the tolerance (the lab's: its
    budget). Returns (top-up RMB, streak in losses_streak's dtype)."""
    n = costs.size
    top_up = np.empty(n)
    streak_now = np.empty_like(losses_streak)
    for i in range(n):
        d = costs[i] - revenue[i]
        loss = d if big_tech_active[i] else 0.0
        paid = _maximum(loss, 0.0) if big_tech_active[i] else 0.0
        owner_pays = _maximum(d, 0.0) if owned_active[i] else 0.0
        top_up[i] = paid + _minimum(owner_pays, owner_budget[i])
        tolerance = owner_budget[i] if owned_active[i] else loss_tolerance
        streak_now[i] = losses_streak[i] + 1 if loss + owner_pays > tolerance else 0
    return top_up, streak_now


@njit(cache=True, nogil=True, error_model="numpy")
def _issue_shares(big_tech_stakes, fund_stakes, strategic, lead, fund_rmb, dilution):
    """financing.issue_shares of a venture round: one big tech (`lead`) pays `strategic` RMB
    (0: none), the funds fund_rmb; post-money = (strategic + sum(fund_rmb)) / dilution, the
    strategic part summed as numpy sums a 0-d array (0.0 + it) and the funds' as numpy does
    (`_pairwise`); holders keep 1 - dilution of their stakes; each new investor gets its RMB
    / post-money. Returns (big-tech stakes, fund stakes, post-money)."""
    post_money = ((0.0 + strategic) + _pairwise(fund_rmb, 0, fund_rmb.size)) / dilution
    keep = 1.0 - dilution
    big = big_tech_stakes * keep
    funds = np.empty(fund_stakes.size)
    for k in range(fund_stakes.size):
        held = fund_stakes[k] * keep
        funds[k] = held + fund_rmb[k] / post_money if fund_rmb[k] > 0 else held
    if strategic != 0.0:
        big[lead] += strategic / post_money
    return big, funds, post_money


@njit(cache=True, nogil=True, error_model="numpy")
def headlines(released, capability, best_before, active):
    """catchup.headlines: where the best active level now (`best_public_level`) is above
    last month's best, the leader's release of that feature is the headline (if it released)."""
    best_now, leader = _best_public_level(capability, active)
    news = np.zeros(capability.shape, np.bool_)
    for j in range(best_now.size):
        if best_now[j] > best_before[j]:
            news[leader[j], j] = released[leader[j], j]
    return news


@njit(cache=True, nogil=True, error_model="numpy")
def hype_after(hype, released, new_domestic_best, decay, per_release, per_headline):
    """catchup.hype_after: hype x (1 - decay) + per_release x releases + per_headline x
    headline releases (counts per vendor)."""
    n, f = released.shape
    out = np.empty(n)
    keep = 1.0 - decay
    for i in range(n):
        count = headline_count = 0
        for j in range(f):
            if released[i, j]:
                count += 1
                if new_domestic_best[i, j]:
                    headline_count += 1
        out[i] = hype[i] * keep + (per_release * count + per_headline * headline_count)
    return out


@njit(cache=True, nogil=True, inline="always")
def _clip(x, low, high):
    """np.clip(x, low, high) of a float as numpy computes it: NaN stays NaN; x itself unless it
    is below low or above high (so -0.0 stays -0.0 against a bound of +0.0)."""
    if x != x:
        return x
    return low if x < low else (high if x > high else x)


@njit(cache=True, nogil=True, error_model="numpy")
def _shares(x):
    """indicators.shares: x / its sum (numpy's pairwise sum), all 0 when the sum is not positive."""
    total = _pairwise(x, 0, x.size)
    if total > 0:
        return x / total
    return np.zeros(x.size)


@njit(cache=True, nogil=True, error_model="numpy")
def _rank_score(quality, active):
    """financing.rank_score: 1 - (position in np.argsort(-q, kind="stable")) / max(active - 1, 1)
    for active vendors (q = quality, -inf if inactive), 0 otherwise. The position counts the
    keys below and the equal keys before (NaN last, as numpy sorts; -0.0 equals 0.0)."""
    size = quality.size
    key = np.empty(size)
    n_active = 0
    for i in range(size):
        key[i] = -(quality[i] if active[i] else -np.inf)
        n_active += 1 if active[i] else 0
    n = max(n_active - 1, 1)
    out = np.empty(size)
    for i in range(size):
        position = 0
        for j in range(size):
            if key[i] != key[i]:        # NaN: after every number and the NaNs before it
                below = key[j] == key[j] or (key[j] != key[j] and j < i)
            else:
                below = key[j] < key[i] or (key[j] == key[i] and j < i)
            position += 1 if below else 0
        out[i] = 1.0 - position / n if active[i] else 0.0
    return out


@njit(cache=True, nogil=True, error_model="numpy")
def traction_arguments(mau, api_revenue):
    """financing.traction_score's log1p argument: 100 x (consumer share + enterprise share)."""
    return 100.0 * (_shares(mau) + _shares(api_revenue))


@njit(cache=True, nogil=True, error_model="numpy")
def round_odds_arguments(log_term, log1p_50, quality, active, intercept, w_traction, w_rank, climate_term):
    """financing.round_odds between numpy's log1p and exp: traction = clip(log_term /
    log1p(50), 0, 1); rank (`rank_score`); -z with z = intercept + w_traction traction +
    w_rank rank + climate_term (= w_climate x climate). Returns (traction, -z)."""
    rank = _rank_score(quality, active)
    n = quality.size
    traction, neg_z = np.empty(n), np.empty(n)
    for i in range(n):
        traction[i] = _clip(log_term[i] / log1p_50, 0.0, 1.0)
        neg_z[i] = -(intercept + w_traction * traction[i] + w_rank * rank[i] + climate_term)
    return traction, neg_z


@njit(cache=True, nogil=True, error_model="numpy")
def round_odds(exp_neg_z, monthly_burn, months_of_burn, traction, low, spread):
    """financing.round_odds after numpy's exp: the chance a round closes, 1 / (1 + exp(-z)),
    and the ask, max(burn, 0) x months_of_burn x (low + spread x clip(traction, 0, 1))."""
    n = exp_neg_z.size
    p, ask = np.empty(n), np.empty(n)
    for i in range(n):
        p[i] = 1.0 / (1.0 + exp_neg_z[i])
        ask[i] = _maximum(monthly_burn[i], 0.0) * months_of_burn * (low + spread * _clip(traction[i], 0.0, 1.0))
    return p, ask


@njit(cache=True, nogil=True, error_model="numpy")
def focused_costs(headcount, salary, gpus, marketing, enterprise_tokens, consumer_tokens, unit_cost,
                  gpu_cost_rmb_per_month, cost_factor, layoff_share):
    """VendorTable.focused_costs: headcount (1 - layoff_share) salary + cost_factor (gpus x
    gpu cost + marketing) + tokens served x unit cost, in numpy's order of operations."""
    n = salary.size
    out = np.empty(n)
    kept = 1.0 - layoff_share
    for i in range(n):
        served = enterprise_tokens[i] + consumer_tokens[i]
        out[i] = (headcount[i] * kept * salary[i] + cost_factor * (gpus[i] * gpu_cost_rmb_per_month + marketing[i])
                  + served * unit_cost[i])
    return out


@njit(cache=True, nogil=True, error_model="numpy")
def prospect_exponent(gap_months, prospect_gap_months):
    """financing.value_of_focusing's exponent: -max(gap, 0) / prospect_gap_months."""
    out = np.empty(gap_months.size)
    for i in range(gap_months.size):
        out[i] = -_maximum(gap_months[i], 0.0) / prospect_gap_months
    return out


@njit(cache=True, nogil=True, error_model="numpy")
def focusing_value(revenue, costs, focused_costs, stake_rmb, prospect, horizon, retained, value_share):
    """financing.value_of_focusing after numpy's exp (`prospect`):
    horizon ((retained - 1) revenue + costs - focused costs) + stake (value_share - prospect)."""
    n = revenue.size
    out = np.empty(n)
    lost = retained - 1.0
    for i in range(n):
        saving = horizon * (lost * revenue[i] + costs[i] - focused_costs[i])
        out[i] = saving + stake_rmb[i] * (value_share - prospect[i])
    return out


@njit(cache=True, nogil=True, error_model="numpy")
def round_lead(strategic_ready, big_tech_stakes, row):
    """financing.raise_rounds: the big tech that leads the strategic part of `row`'s round, the
    largest holder (the first of equals) among those strategic_ready with a stake; -1 if none."""
    lead = -1
    for j in range(strategic_ready.size):
        stake = big_tech_stakes[j, row]
        if strategic_ready[j] and stake > 0 and (lead < 0 or stake > big_tech_stakes[lead, row]):
            lead = j
    return lead


@njit(cache=True, nogil=True, error_model="numpy")
def book_round(row, strategic, lead, fund_rmb, dilution, amount, post_money, big_tech_stakes, fund_stakes, dry_powder,
               strategic_paid):
    """financing.raise_rounds after `row`'s round closed: unless it raised nothing (strategic +
    sum(fund_rmb) <= 0: returns False, nothing booked), the cap table by `issue_shares` into
    column `row` of the stakes, the post-money and amount of `row`, the funds' dry powder less
    what they paid, the lead's strategic payment. Changes the arrays in place; returns True."""
    raised = strategic + _pairwise(fund_rmb, 0, fund_rmb.size)
    if raised <= 0:
        return False
    big, funds, post_money[row] = _issue_shares(big_tech_stakes[:, row], fund_stakes[:, row], strategic, lead,
                                               fund_rmb, dilution)
    big_tech_stakes[:, row] = big
    fund_stakes[:, row] = funds
    for k in range(dry_powder.size):
        dry_powder[k] = dry_powder[k] - fund_rmb[k]
    if lead >= 0:
        strategic_paid[lead] += strategic
    amount[row] = raised
    return True


@njit(cache=True, nogil=True, error_model="numpy")
def best_public_level(capability, active):
    """`_best_public_level` (kernels call that one: tests count calls of this name from the mechanisms)."""
    return _best_public_level(capability, active)


@njit(cache=True, nogil=True, error_model="numpy")
def rank_score(quality, active):
    """`_rank_score` (kernels call that one: tests count calls of this name from the mechanisms)."""
    return _rank_score(quality, active)
