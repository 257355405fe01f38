"""Access patterns: which page of an address space is touched next, and how.

Swap-pressure experiments need a stream of page accesses whose locality we
control, so that a small RAM in front of zram sees a known hit rate. Every
pattern here is a seeded iterator over ``(page, is_write)`` tuples, page in
``0..pages-1``; a tuple is the cheapest record Python has, and a million of them
take well under a second (the zipf CDF is precomputed once and searched with
``bisect``; no numpy).

| pattern      | locality                                                        |
|--------------|-----------------------------------------------------------------|
| ``sequential`` | 0, 1, ..., pages-1, 0, 1, ... (a scan: the worst case for LRU) |
| ``uniform``  | every page equally likely (no locality)                         |
| ``zipf``     | page k (0-based) with weight 1 / (k+1)**s                       |
| ``hotcold``  | a fraction of hot pages receives a fraction of the accesses     |
| ``phases``   | a uniform working set that moves every ``shift_every`` accesses |

Worked example for ``zipf`` with s = 1 over 4 pages: weights 1, 1/2, 1/3, 1/4
sum to 25/12, so page 0 gets 12/25 = 48 % of accesses and page 3 gets 12 %.
For ``hotcold`` with 1000 pages, hot_fraction 0.2 and hot_share 0.8, pages
0..199 receive 80 % of the accesses: each hot page is 16 times as likely as a
cold one (0.8/200 against 0.2/800).

Every access is a write with probability ``write_fraction`` (default 0: reads
only). ``ACCESS_PATTERNS`` maps each name to its function for a command line.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Callable, Iterator
from itertools import accumulate

from workloads.errors import BadOption

Access = tuple[int, bool]


def _rng(seed: int | random.Random) -> random.Random:
    return seed if isinstance(seed, random.Random) else random.Random(seed)


def _check(pages: int, count: int, write_fraction: float) -> None:
    if pages < 1:
        raise BadOption("the address space needs at least one page")
    if count < 0:
        raise BadOption("the access count can not be negative")
    if not 0.0 <= write_fraction <= 1.0:
        raise BadOption("write_fraction must be between 0 and 1")


def sequential(pages: int, count: int, *, seed: int | random.Random = 0,
               write_fraction: float = 0.0, start: int = 0) -> Iterator[Access]:
    """Pages start, start+1, ... wrapping at ``pages`` (a looping scan)."""
    _check(pages, count, write_fraction)
    rand = _rng(seed).random
    for i in range(start, start + count):
        yield i % pages, rand() < write_fraction


def uniform(pages: int, count: int, *, seed: int | random.Random = 0,
            write_fraction: float = 0.0) -> Iterator[Access]:
    """Every page equally likely."""
    _check(pages, count, write_fraction)
    rand = _rng(seed).random
    for _ in range(count):
        yield int(rand() * pages), rand() < write_fraction


def zipf_cdf(pages: int, s: float) -> list[float]:
    """Cumulative weights of pages 0..pages-1 under zipf(s): weight 1/(k+1)**s."""
    return list(accumulate(1.0 / (k + 1) ** s for k in range(pages)))


def zipf(pages: int, count: int, *, s: float = 1.0, seed: int | random.Random = 0,
         write_fraction: float = 0.0, shuffle: bool = False) -> Iterator[Access]:
    """Page k (0-based) drawn with weight 1/(k+1)**s; page 0 is the hottest.

    With ``shuffle`` the popularity ranks are scattered over the address space by
    a seeded permutation (hot pages are then not adjacent).
    """
    _check(pages, count, write_fraction)
    if s < 0:
        raise BadOption("the zipf exponent s can not be negative")
    rng = _rng(seed)
    cdf = zipf_cdf(pages, s)
    total = cdf[-1]              # rand() * total < cdf[-1], so the index is < pages
    rand = rng.random
    order = list(range(pages))
    if shuffle:
        rng.shuffle(order)
    for _ in range(count):
        yield order[bisect_right(cdf, rand() * total)], rand() < write_fraction


def hotcold(pages: int, count: int, *, hot_fraction: float = 0.2,
            hot_share: float = 0.8, seed: int | random.Random = 0,
            write_fraction: float = 0.0) -> Iterator[Access]:
    """Pages 0..H-1 (H = max(1, round(hot_fraction * pages))) receive a share
    ``hot_share`` of the accesses, uniformly; the rest go uniformly to the others."""
    _check(pages, count, write_fraction)
    if not (0.0 < hot_fraction <= 1.0 and 0.0 <= hot_share <= 1.0):
        raise BadOption("hot_fraction must be in (0, 1] and hot_share in [0, 1]")
    hot = max(1, round(hot_fraction * pages))
    cold = pages - hot
    rand = _rng(seed).random
    for _ in range(count):
        if cold == 0 or rand() < hot_share:
            page = int(rand() * hot)
        else:
            page = hot + int(rand() * cold)
        yield page, rand() < write_fraction


def phases(pages: int, count: int, *, working_set: int | None = None, shift_every: int = 10_000,
           shift: int | None = None, seed: int | random.Random = 0,
           write_fraction: float = 0.0) -> Iterator[Access]:
    """Uniform accesses within a window of ``working_set`` pages that moves by
    ``shift`` pages (default: a whole working set) every ``shift_every``
    accesses, wrapping around the address space. Phase p covers pages
    ``(p * shift + j) % pages`` for j in 0..working_set-1. The default working
    set is an eighth of the address space.
    """
    _check(pages, count, write_fraction)
    if working_set is None:
        working_set = max(1, pages // 8)
    if not 1 <= working_set <= pages or shift_every < 1:
        raise BadOption("need 1 <= working_set <= pages and shift_every >= 1")
    step = working_set if shift is None else shift
    rand = _rng(seed).random
    for i in range(count):
        base = (i // shift_every) * step
        yield (base + int(rand() * working_set)) % pages, rand() < write_fraction


ACCESS_PATTERNS: dict[str, Callable[..., Iterator[Access]]] = {
    "sequential": sequential,
    "uniform": uniform,
    "zipf": zipf,
    "hotcold": hotcold,
    "phases": phases,
}
"""Every access pattern by name; each is ``f(pages, count, *, seed, write_fraction, ...)``."""
