"""Size-class geometry of zsmalloc: which class an object lands in and what it costs.

zsmalloc never asks for more than one contiguous page. It rounds every object up
to a *size class* (steps of ``page_size >> 8`` bytes, 16 at 4 KiB) and packs
objects of one class into a *zspage*: a chain of 1 to ``chain_size`` separately
allocated 0-order pages treated as one linear range, so an object may start in
one page and end in the next. The number of pages in the chain is chosen to
waste as little as possible of the range's tail.

Worked example (4 KiB pages): a 1568-byte object. One page holds 2 objects and
wastes 4096 - 2*1568 = 960 B; two pages waste 352 B; three 1312 B; four 704 B;
five pages hold 13 objects and waste only 20480 - 13*1568 = 96 B. The 6.3+ rule
(smallest waste, chain limit 8) therefore picks 5 pages per zspage.

Everything here is a pure function of ``(page_size, chain_size, rule)``; the
numbers match Linux 6.18 (see docs and ``../shared/spec`` §1.1-§1.4):

* ``HANDLE_SIZE`` (8) is added to every request before the class lookup: a
  non-huge object keeps its handle in its first 8 bytes.
* Walking classes from the largest down, a class merges into the previously
  created (next larger) one when both pages *and* objects per zspage agree.
* ``huge_class_size`` is the smallest request that lands in a one-object,
  one-page class: 3625 at chain 8 (class 3632 is the last with 9 objects in 8
  pages; 3632 - 8 + 1 = 3625). zram stores pages that compress to at least this
  many bytes raw.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

HANDLE_SIZE = 8          # bytes of the handle kept at the start of a non-huge object
CLASS_BITS = 8           # a page is split into 2**8 class steps
MIN_ALLOC_SIZE = 32      # smallest class; below this the header dominates
DEFAULT_PAGE_SIZE = 4096
DEFAULT_CHAIN_SIZE = 8   # CONFIG_ZSMALLOC_CHAIN_SIZE default since 6.3
MIN_CHAIN_SIZE, MAX_CHAIN_SIZE = 4, 16   # its Kconfig range

MIN_WASTE = "min-waste"          # 6.3 and later
USED_PERCENT = "used-percent"    # before 6.3 (chain limit 4 there)
CHAIN_RULES = (MIN_WASTE, USED_PERCENT)


def class_delta(page_size: int) -> int:
    """Step between class sizes: 4096 >> 8 = 16 bytes; 16384 >> 8 = 64 bytes."""
    return page_size >> CLASS_BITS


def class_count(page_size: int) -> int:
    """Number of class indexes: ceil((4096 - 32) / 16) + 1 = 255 at 4 KiB."""
    delta = class_delta(page_size)
    return -(-(page_size - MIN_ALLOC_SIZE) // delta) + 1


def nominal_size(index: int, page_size: int) -> int:
    """Size of class ``index`` before merging: 32 + 16*i, capped at the page."""
    return min(MIN_ALLOC_SIZE + index * class_delta(page_size), page_size)


def class_index(size: int, page_size: int) -> int:
    """Index of the smallest class holding ``size`` bytes (no header added).

    ``class_index(1568, 4096)`` = ceil((1568 - 32) / 16) = 96.
    """
    if size <= MIN_ALLOC_SIZE:
        return 0
    index = -(-(size - MIN_ALLOC_SIZE) // class_delta(page_size))
    return min(index, class_count(page_size) - 1)


def chain_min_waste(size: int, page_size: int, chain_size: int) -> int:
    """Pages per zspage by the 6.3+ rule: the chain length with the least tail waste.

    A power-of-two size fills one page exactly. Ties keep the shorter chain.
    """
    if size & (size - 1) == 0:
        return 1
    best, best_waste = 1, page_size % size
    for pages in range(2, chain_size + 1):
        waste = pages * page_size % size
        if waste < best_waste:
            best, best_waste = pages, waste
    return best


def chain_used_percent(size: int, page_size: int, chain_size: int) -> int:
    """Pages per zspage by the pre-6.3 rule: the highest integer percent used.

    Size 208 shows the difference: 3 pages by min-waste, 2 pages (39 objects,
    99%) by this rule, because 3 pages also reach only 99%.
    """
    best, best_pct = 1, 0
    for pages in range(1, chain_size + 1):
        span = pages * page_size
        pct = (span - span % size) * 100 // span
        if pct > best_pct:
            best, best_pct = pages, pct
    return best


_CHAIN_RULE = {MIN_WASTE: chain_min_waste, USED_PERCENT: chain_used_percent}


@dataclass(frozen=True)
class SizeClass:
    """One distinct size class: every object in it takes ``size`` bytes."""

    index: int
    size: int
    pages_per_zspage: int
    objs_per_zspage: int

    @property
    def huge(self) -> bool:
        """One object filling one page: stored without the in-object handle."""
        return self.pages_per_zspage == 1 and self.objs_per_zspage == 1

    def tail_waste(self, page_size: int) -> int:
        """Bytes at the end of each zspage no object can use: 20480 - 13*1568 = 96."""
        return self.pages_per_zspage * page_size - self.objs_per_zspage * self.size


@dataclass(frozen=True)
class Geometry:
    """The class table of a pool: distinct classes plus the index -> class map.

    >>> g = Geometry()
    >>> len(g.classes), g.huge_class_size
    (119, 3625)
    >>> g.class_for_request(1560).size     # 1560 + 8 header = 1568 bytes
    1568
    """

    page_size: int = DEFAULT_PAGE_SIZE
    chain_size: int = DEFAULT_CHAIN_SIZE
    rule: str = MIN_WASTE

    def __post_init__(self) -> None:
        if self.page_size < 4096 or self.page_size & (self.page_size - 1):
            raise ValueError(f"page size must be a power of two >= 4096, not {self.page_size}")
        if not MIN_CHAIN_SIZE <= self.chain_size <= MAX_CHAIN_SIZE:
            raise ValueError(f"chain size must be {MIN_CHAIN_SIZE}..{MAX_CHAIN_SIZE}, "
                             f"not {self.chain_size}")
        if self.rule not in _CHAIN_RULE:
            raise ValueError(f"chain rule must be one of {', '.join(CHAIN_RULES)}")

    @cached_property
    def _table(self) -> tuple[tuple[SizeClass, ...], tuple[SizeClass, ...], int]:
        chain = _CHAIN_RULE[self.rule]
        page = self.page_size
        by_index: list[SizeClass | None] = [None] * class_count(page)
        distinct: list[SizeClass] = []
        huge_class_size = 0
        previous: SizeClass | None = None
        for index in range(len(by_index) - 1, -1, -1):
            size = nominal_size(index, page)
            pages = chain(size, page, self.chain_size)
            objs = pages * page // size
            if not huge_class_size and pages != 1 and objs != 1:
                huge_class_size = size - (HANDLE_SIZE - 1)
            if previous and (previous.pages_per_zspage, previous.objs_per_zspage) == (pages, objs):
                by_index[index] = previous
                continue
            previous = SizeClass(index, size, pages, objs)
            by_index[index] = previous
            distinct.append(previous)
        distinct.reverse()
        return tuple(distinct), tuple(by_index), huge_class_size  # type: ignore[arg-type]

    @property
    def classes(self) -> tuple[SizeClass, ...]:
        """Distinct classes in ascending index order (119 at 4 KiB, chain 8)."""
        return self._table[0]

    @property
    def by_index(self) -> tuple[SizeClass, ...]:
        """Class used for each nominal index; merged indexes share an object."""
        return self._table[1]

    @property
    def huge_class_size(self) -> int:
        """Smallest request stored in the huge class; zram's huge threshold."""
        return self._table[2]

    def class_for_request(self, size: int) -> SizeClass:
        """Class that ``zs_malloc(size)`` uses: the class of ``size + 8``."""
        return self.by_index[class_index(size + HANDLE_SIZE, self.page_size)]

    def class_for_size(self, size: int) -> SizeClass:
        """Class of a raw size, with no header added (zram's recompression check)."""
        return self.by_index[class_index(size, self.page_size)]
