"""``rng.choices`` in bulk: the same picks from the same random stream, without a
Python step per pick.

Generated pages are pinned byte for byte to a seed, so a faster generator must
consume exactly the random numbers the old one did and pick exactly the same
items. ``random.Random.choices(population, cum_weights=cum, k=k)`` makes k calls
to ``random()``, and each one takes two 32-bit Mersenne Twister outputs ``a``
and ``b`` and returns ``N / 2**53`` with ``N = (a >> 5) << 26 | b >> 6``; the
pick is ``bisect_right(cum, N / 2**53 * total, 0, n - 1)``. ``getrandbits(64 * k)``
takes the same 2k outputs in the same order (the first one in the lowest bits),
so one C call draws all k at once and leaves the generator where ``choices``
would have.

The pick only grows with ``N``, so it is fixed by thresholds: ``T[j]``, the
least ``N`` whose scaled value reaches ``cum[j]``, and the pick is the number of
thresholds at or below ``N``. Most of the time the top 16 bits of ``N`` (the top
16 bits of ``a``) already decide it: a table of 65,536 buckets holds the pick
for every bucket no threshold cuts, and a mark for the few that one does (at
most one bucket per item); only those draws are worked out from the whole ``N``.

Worked example: weights 1, 2, 1 (``cum = [1, 3, 4]``, total 4). The thresholds
are ``2**53 / 4`` and ``3 * 2**53 / 4``, at the start of buckets 16,384 and
49,152, so no bucket is cut: buckets 0..16,383 pick item 0, 16,384..49,151
item 1, the rest item 2. A draw whose ``a`` is ``0x9E3779B9`` has top bits
``0x9E37`` = 40,503: item 1, as ``choices`` gives.
"""

from __future__ import annotations

import random
import sys
from array import array
from bisect import bisect_right
from itertools import groupby
from operator import itemgetter

_BITS = 53                      # random() is N / 2**53
_BUCKET_BITS = 16               # buckets by the top 16 bits of N
_BUCKET_SHIFT = _BITS - _BUCKET_BITS
_SCALE = 2.0 ** -_BITS
_CUT = 255                      # a cut bucket, in the table of a population under 255


def _top_halves(rng: random.Random, k: int) -> tuple[bytes, array]:
    """k draws of ``random()``'s two words: the raw bytes (8 per draw, ``a`` then
    ``b``, little-endian) and the top 16 bits of each ``a``."""
    raw = rng.getrandbits(64 * k).to_bytes(8 * k, "little")
    halves = array("H", raw)
    if sys.byteorder == "big":
        halves.byteswap()
    return raw, halves[1::4]


def _whole(raw: bytes, i: int) -> int:
    """``N`` of draw ``i``: the 53-bit integer behind its ``random()``."""
    a = int.from_bytes(raw[8 * i:8 * i + 4], "little")
    b = int.from_bytes(raw[8 * i + 4:8 * i + 8], "little")
    return (a >> 5) << 26 | b >> 6


def _threshold(c: float, total: float) -> int:
    """The least ``N`` in 0..2**53 with ``N / 2**53 * total >= c`` (2**53: none)."""
    n = min(max(int(c / total * 2.0 ** _BITS), 0), 1 << _BITS)
    while n > 0 and (n - 1) * _SCALE * total >= c:
        n -= 1
    while n < 1 << _BITS and n * _SCALE * total < c:
        n += 1
    return n


class WeightedDraw:
    """``draw(rng, population, k)`` is ``rng.choices(population, cum_weights=cum, k=k)``."""

    __slots__ = ("thresholds", "table")

    def __init__(self, cum_weights: list[float]) -> None:
        total = cum_weights[-1] + 0.0           # as choices() computes it
        # choices() searches cum[:n - 1]: the last item takes everything above
        self.thresholds = [_threshold(c, total) for c in cum_weights[:-1]]
        # a bytes table (64 KiB) stays in the cache better than a list (512 KiB)
        small = len(cum_weights) < _CUT
        cut = _CUT if small else -1
        table: list[int] = []
        passed = 0
        size = 1 << _BUCKET_BITS
        for bucket, group in groupby(self.thresholds, key=lambda t: t >> _BUCKET_SHIFT):
            if bucket >= size:
                break
            group = list(group)
            table.extend([passed] * (bucket - len(table)))
            passed += len(group)
            # a threshold at the very start of its bucket cuts nothing
            clean = all(t & ((1 << _BUCKET_SHIFT) - 1) == 0 for t in group)
            table.append(passed if clean else cut)
        table.extend([passed] * (size - len(table)))
        self.table = bytes(table) if small else table

    def indices(self, rng: random.Random, k: int) -> list[int]:
        """The k picked positions (what ``choices`` would pick from ``range(n)``)."""
        raw, top = _top_halves(rng, k)
        # one itemgetter call looks all k up (half the time of a map of __getitem__)
        picks = list(itemgetter(*top)(self.table)) if k > 1 else \
            list(map(self.table.__getitem__, top))
        cut = _CUT if type(self.table) is bytes else -1
        if cut in picks:
            thresholds = self.thresholds
            for i, pick in enumerate(picks):
                if pick == cut:
                    picks[i] = bisect_right(thresholds, _whole(raw, i))
        return picks

    def draw(self, rng: random.Random, population, k: int) -> list:
        """The k picked items."""
        picks = self.indices(rng, k)
        return list(itemgetter(*picks)(population)) if k > 1 else \
            list(map(population.__getitem__, picks))
