"""Random streams: one per mechanism and month (and per agent where draws are per agent).

A run has one seed, a numpy SeedSequence. Every draw comes from a generator whose seed is a
fixed child of it, keyed by (mechanism, month, purpose, agent row):

    SeedSequence(run entropy, spawn_key = run spawn key + (mechanism, month + 1, purpose, row + 1))

so a draw does not depend on how many numbers other mechanisms, other months or other
purposes used. Changing a talent parameter changes talent draws only: consumers, buyers,
releases and rounds see the same random numbers (common random numbers across scenarios and
sweep points, which is what makes a scenario comparison or a Sobol index measure the
parameter and not the noise). Within a mechanism-month, samplers draw a fixed count of
numbers per agent (inverse-CDF sampling) wherever the count would otherwise depend on the
state; see each mechanism's docstring. Set-up draws use month -1.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.random.bit_generator import ISeedSequence

from . import kernels

MECHANISMS = ("vendors", "buyers", "consumers", "catch_up", "procurement", "adoption", "talent", "financing",
              "exit", "entry")
SETUP = -1


class RandomStreams:
    """Generators keyed by mechanism, month, purpose and agent row, from one run seed."""

    def __init__(self, seed: np.random.SeedSequence):
        self.seed = seed
        # the SeedSequence's entropy words before a key's own four (see kernels.seed_sequence_state)
        run, spawn = _words(seed.entropy), _words(seed.spawn_key)
        run = np.concatenate([run, np.zeros(max(4 - run.size, 0), np.uint64)])
        self._prefix = np.concatenate([run, spawn])

    @classmethod
    def from_generator(cls, rng: np.random.Generator) -> RandomStreams:
        """The streams of a model given a numpy Generator: keyed on the SeedSequence the
        generator was created from (numpy.random.default_rng(seed) keeps it)."""
        seed = getattr(rng.bit_generator, "seed_seq", None)
        if not isinstance(seed, np.random.SeedSequence):  # a generator without a SeedSequence: derive one
            seed = np.random.SeedSequence(int(rng.integers(2**63)))
        return cls(seed)

    def generator(self, mechanism: str, month: int = SETUP, purpose: int = 0, row: int = -1) -> np.random.Generator:
        """The generator of `mechanism` in `month` (SETUP for set-up) for `purpose` (a small
        integer naming one kind of draw) and agent `row` (-1: the whole mechanism)."""
        tail = (MECHANISMS.index(mechanism), month + 1, purpose, row + 1)
        if kernels.enabled() and 0 <= min(tail) and max(tail) < 2**32:
            # the same state as the SeedSequence below, hashed by a compiled copy of numpy's
            # algorithm (a SeedSequence costs about 10 us, and a run makes a few hundred)
            words = kernels.keyed_seed_state(self._prefix, *tail)
            return np.random.Generator(np.random.PCG64(_SeedState(words)))
        key = self.seed.spawn_key + tail
        return np.random.Generator(np.random.PCG64(np.random.SeedSequence(self.seed.entropy, spawn_key=key)))


def _words(value) -> np.ndarray:
    """A non-negative int, or a sequence of them, as SeedSequence reads it: 32-bit words,
    least significant first (0 is one word)."""
    if isinstance(value, (tuple, list)):
        return np.concatenate([_words(v) for v in value]) if value else np.zeros(0, np.uint64)
    value = int(value)
    out = [value & 0xFFFFFFFF]
    while value > 0xFFFFFFFF:
        value >>= 32
        out.append(value & 0xFFFFFFFF)
    return np.array(out, np.uint64)


class SparseUniforms:
    """The doubles `rng.random(shape)` would give, drawn only where a mechanism reads them.

    Used as `with SparseUniforms(rng, shape) as u:` (or ended by `u.close()`) and read by
    `u.at(...)` in increasing stream order (row by row); once ended, the generator is where
    `rng.random(shape)` would have left it, so later draws are unchanged. The compiled path
    (kernels.pcg64_uniforms_at) reaches each value read by one jump of the PCG64 state, so a
    month in which 300 of 2,000 buyers review costs the uniforms of 300 rows; the numpy path
    (MARKET_SIM_KERNELS=numpy), or a generator that is not a PCG64, draws the whole array and
    indexes it. Both give the same numbers (tests/test_kernels.py)."""

    def __init__(self, rng: np.random.Generator, shape: int | tuple[int, ...]):
        self._rng = rng
        self.shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
        self._size = math.prod(self.shape)
        self._dense: np.ndarray | None = None
        bits = rng.bit_generator
        if kernels.enabled() and type(bits) is np.random.PCG64:
            self._start = bits.state
            state, inc = self._start["state"]["state"], self._start["state"]["inc"]
            self._words = np.array([state >> 64, state & _LOW64, inc >> 64, inc & _LOW64], np.uint64)
            self._drawn, self._closed = 0, False
        else:
            self._dense = rng.random(self.shape)

    def __enter__(self) -> SparseUniforms:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Leave the generator where `rng.random(shape)` would have left it (once)."""
        if self._dense is None and not self._closed:
            self._closed = True
            bits = self._rng.bit_generator          # untouched so far: the reads worked on a copy
            bits.advance(self._size)                # numpy's own jump, as if the doubles were drawn
            if self._start["has_uint32"]:           # advance() drops a buffered 32-bit half: keep it
                bits.state = bits.state | {k: self._start[k] for k in ("has_uint32", "uinteger")}

    def at(self, index, columns: np.ndarray | None = None) -> np.ndarray:
        """Values at `index` (1-D shape: a 1-D int array), at row `index` and `columns` (2-D:
        an int and a 1-D int array), or at the rows x columns block (2-D: two int arrays).
        Reads must come in stream order: a later call may not go back to earlier rows."""
        if self._dense is not None:
            if columns is None:
                return self._dense[index]
            if isinstance(index, (int, np.integer)):
                return self._dense[index, columns]
            return self._dense[np.ix_(index, columns)]
        if self._closed:
            raise RuntimeError("SparseUniforms read after its block ended")
        block = None
        if columns is None:
            offset, flat = 0, np.asarray(index, np.int64)
        elif isinstance(index, (int, np.integer)):
            offset, flat = int(index) * self.shape[1], np.asarray(columns, np.int64)
        else:
            rows, columns = np.asarray(index, np.int64), np.asarray(columns, np.int64)
            offset, flat = 0, (rows[:, None] * self.shape[1] + columns[None, :]).ravel()
            block = (rows.size, columns.size)
        values, drawn = kernels.pcg64_uniforms_at(self._words, self._drawn, self._size, offset, flat, *_JUMPS, *_POWERS)
        if drawn < 0:   # not in stream order: read in order and put back in place (or refuse)
            order = np.argsort(flat, kind="stable")
            values, drawn = kernels.pcg64_uniforms_at(self._words, self._drawn, self._size, offset, flat[order],
                                                      *_JUMPS, *_POWERS)
            if drawn < 0:
                raise IndexError(f"uniforms {offset} + {flat[order]} of {self._size}: out of range, "
                                 "repeated, or already passed")
            values[order] = values.copy()
        if values.size:
            self._drawn = drawn
        return values if block is None else values.reshape(block)


def _pcg64_tables(jumps: int = 256) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """numpy PCG64's multiplier A: A^j and S(j) = 1 + A + ... + A^(j-1) (mod 2^128) for
    j = 0..`jumps`, and for j = 2^k, k = 0..127, as (high, low) uint64 pairs."""
    mult = 0x2360ED051FC65DA44385DF649FCCF645   # PCG_DEFAULT_MULTIPLIER_128, numpy's src/pcg64/pcg64.h
    full = (1 << 128) - 1

    def pairs(values):
        return np.array([[v >> 64, v & _LOW64] for v in values], np.uint64)

    powers, sums = [1], [0]
    for _ in range(jumps):
        sums.append((sums[-1] + powers[-1]) & full)
        powers.append((powers[-1] * mult) & full)
    pow_mult, pow_sum = [mult], [1]
    for _ in range(127):
        pow_sum.append((pow_sum[-1] * (1 + pow_mult[-1])) & full)
        pow_mult.append((pow_mult[-1] * pow_mult[-1]) & full)
    return (pairs(powers), pairs(sums)), (pairs(pow_mult), pairs(pow_sum))


_LOW64 = (1 << 64) - 1
_JUMPS, _POWERS = _pcg64_tables()


class _SeedState(ISeedSequence):
    """A seed sequence that only hands PCG64 its four precomputed state words."""

    __slots__ = ("words",)

    def __init__(self, words: np.ndarray):
        self.words = words

    def generate_state(self, n_words: int, dtype=np.uint32) -> np.ndarray:
        if n_words != 4 or (dtype is not np.uint64 and np.dtype(dtype) != np.uint64):
            raise ValueError("only PCG64's four 64-bit state words are available")
        return self.words
