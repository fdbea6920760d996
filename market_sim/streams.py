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

MECHANISMS = ("vendors", "buyers", "consumers", "catch_up", "procurement", "adoption", "talent", "financing",
              "exit", "entry")
SETUP = -1


class RandomStreams:
    """Generators keyed by mechanism, month, purpose and agent row, from one run seed."""

    def __init__(self, seed: np.random.SeedSequence):
        self.seed = seed

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
        key = self.seed.spawn_key + (MECHANISMS.index(mechanism), month + 1, purpose, row + 1)
        return np.random.Generator(np.random.PCG64(np.random.SeedSequence(self.seed.entropy, spawn_key=key)))
