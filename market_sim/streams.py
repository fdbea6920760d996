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
            words = kernels.seed_sequence_state(np.concatenate([self._prefix, np.array(tail, np.uint64)]))
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


class _SeedState(ISeedSequence):
    """A seed sequence that only hands PCG64 its four precomputed state words."""

    __slots__ = ("words",)

    def __init__(self, words: np.ndarray):
        self.words = words

    def generate_state(self, n_words: int, dtype=np.uint32) -> np.ndarray:
        if n_words != 4 or np.dtype(dtype) != np.uint64:
            raise ValueError("only PCG64's four 64-bit state words are available")
        return self.words
