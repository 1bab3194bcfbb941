"""The seed tree and the named, block-buffered random streams.

One root ``SeedSequence(seed)``; replication ``r`` gets the child with spawn key ``(r,)`` (the
same child ``root.spawn`` would give as its r-th), and each random purpose inside it gets its own
stream, keyed by a stable hash of its name. A run is therefore fixed by (seed, replication)
alone: identical on 1 or N workers, and every service level of a sweep sees the same numbers
(common random numbers).

Draws are made in blocks of ``BLOCK`` values and handed out one at a time through a bound
``__next__``, so per-event code never calls numpy.
"""

from __future__ import annotations

import itertools
import zlib
from typing import Callable, Iterator

import numpy as np

BLOCK = 1024


def purpose_key(name: str) -> int:
    """A stable 32-bit key for a purpose name (independent of Python's hash seed)."""
    return zlib.crc32(name.encode("utf-8"))


def _blocks(sample: Callable[[np.random.Generator, int], np.ndarray], gen: np.random.Generator) -> Iterator[float]:
    """The draws of ``sample``, a block of ``BLOCK`` at a time, one by one. Built from C iterators
    (``iter(f, sentinel)`` calls ``f`` for each block, ``chain`` walks the blocks' lists), so a
    draw runs no Python frame: only a new block does."""
    return itertools.chain.from_iterable(iter(lambda: sample(gen, BLOCK).tolist(), None))


class Streams:
    """The random streams of one replication, one per named purpose."""

    def __init__(self, seed: int, replication: int):
        self.seed = seed
        self.replication = replication
        self._used: set[str] = set()

    def generator(self, purpose: str) -> np.random.Generator:
        if purpose in self._used:
            raise ValueError(f"random stream {purpose!r} requested twice in one replication")
        self._used.add(purpose)
        ss = np.random.SeedSequence(self.seed, spawn_key=(self.replication, purpose_key(purpose)))
        return np.random.Generator(np.random.PCG64(ss))

    def uniform(self, purpose: str) -> Callable[[], float]:
        """A function returning the next U(0, 1) draw of this purpose."""
        return _blocks(lambda g, n: g.random(n), self.generator(purpose)).__next__

    def sampler(self, purpose: str, dist) -> Callable[[], float]:
        """A function returning the next draw of ``dist`` (a distribution model) for this purpose."""
        if dist.is_constant:
            return itertools.repeat(float(dist.mean)).__next__
        return _blocks(dist.sample, self.generator(purpose)).__next__
