"""Reclaim policies: which resident page goes to swap when RAM runs short.

The memory model keeps the resident set inside a policy and asks it three
things: a page became resident (``insert``), a resident page was accessed
(``touch``, the hot path: one call per RAM hit), and give up a victim
(``evict``, which also forgets the page). Every policy is a small class with
that interface, held in the ``POLICIES`` dict so a command line can list them
(cachetools' split: each cache supplies only its own eviction choice).

| name       | victim                                                          |
|------------|-----------------------------------------------------------------|
| ``lru``    | the least recently used page                                    |
| ``clock``  | second chance: the hand clears set reference bits until it finds |
|            | a page whose bit is clear                                       |
| ``twolist``| kernel-like active/inactive lists: the oldest inactive page      |

Worked example (the textbook exercise, 3 frames, reference string
7 0 1 2 0 3 0 4): LRU faults on 7, 0, 1, 2 (evicts 7), hits 0, faults on 3
(evicts 1), hits 0, faults on 4 (evicts 2): 6 faults and 3 evictions. CLOCK
(a new page enters with its bit set, behind the hand) evicts the same 7, 1 and
2, but differently: for 7 the hand first clears the bits of 7, 0 and 1 and
comes round to 7 again; for 1 it clears 0's bit (set by the hit) and stops.

``twolist`` follows the shape of Linux's anonymous LRU lists, not their every
detail: a faulted-in page enters the inactive list; a hit on an inactive page
promotes it to the active list; before each eviction the oldest active pages
are demoted to the inactive list until the inactive list is at least as long as
the active one (the kernel's inactive ratio for small memories is 1); the
victim is the oldest inactive page. A page touched once is therefore evicted
before a page touched twice, so a single scan can not flush the working set.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Protocol

from zramsim.errors import ConfigError

class Policy(Protocol):
    """What the memory model needs from a reclaim policy."""

    name: str

    def insert(self, page: int) -> None: ...

    def touch(self, page: int) -> None: ...

    def evict(self) -> int: ...

    def __len__(self) -> int: ...

    def __contains__(self, page: int) -> bool: ...


class Lru:
    """Least recently used: an OrderedDict whose front is the coldest page."""

    name = "lru"
    __slots__ = ("_order", "touch")

    def __init__(self) -> None:
        self._order: OrderedDict[int, None] = OrderedDict()
        self.touch = self._order.move_to_end      # a C call: no Python frame per hit

    def insert(self, page: int) -> None:
        self._order[page] = None

    def evict(self) -> int:
        if not self._order:
            raise IndexError("evict from an empty resident set")
        return self._order.popitem(last=False)[0]

    def __len__(self) -> int:
        return len(self._order)

    def __contains__(self, page: int) -> bool:
        return page in self._order

    def pages(self) -> list[int]:
        """Resident pages, coldest first."""
        return list(self._order)


class Clock:
    """Second chance on a ring of frames with one reference bit per page.

    The ring grows when a page is inserted and no hole is free; an evicted
    page leaves a hole that the next insert fills, so a new page sits just
    behind the hand and gets a whole turn before it is looked at.
    """

    name = "clock"
    __slots__ = ("_ring", "_where", "_ref", "_holes", "_hand")

    def __init__(self) -> None:
        self._ring: list[int] = []          # page per ring position, -1 for a hole
        self._where: dict[int, int] = {}    # page -> ring position
        self._ref: dict[int, bool] = {}     # page -> reference bit
        self._holes: list[int] = []
        self._hand = 0

    def insert(self, page: int) -> None:
        if self._holes:
            pos = self._holes.pop()
            self._ring[pos] = page
        else:
            pos = len(self._ring)
            self._ring.append(page)
        self._where[page] = pos
        self._ref[page] = True

    def touch(self, page: int) -> None:
        self._ref[page] = True

    def evict(self) -> int:
        if not self._where:
            raise IndexError("evict from an empty resident set")
        ring, ref, size = self._ring, self._ref, len(self._ring)
        hand = self._hand
        while True:
            hand %= size
            page = ring[hand]
            if page >= 0:
                if not ref[page]:
                    break
                ref[page] = False
            hand += 1
        ring[hand] = -1
        self._holes.append(hand)
        del self._where[page], ref[page]
        self._hand = hand + 1
        return page

    def __len__(self) -> int:
        return len(self._where)

    def __contains__(self, page: int) -> bool:
        return page in self._where

    def pages(self) -> list[int]:
        """Resident pages in ring order starting at the hand."""
        size = len(self._ring)
        order = (self._ring[(self._hand + i) % size] for i in range(size))
        return [p for p in order if p >= 0]


class TwoList:
    """Active and inactive lists, oldest first; see the module docstring."""

    name = "twolist"
    __slots__ = ("_active", "_inactive")

    def __init__(self) -> None:
        self._active: OrderedDict[int, None] = OrderedDict()
        self._inactive: OrderedDict[int, None] = OrderedDict()

    def insert(self, page: int) -> None:
        self._inactive[page] = None

    def touch(self, page: int) -> None:
        inactive = self._inactive
        if page in inactive:
            del inactive[page]
            self._active[page] = None
        else:
            self._active.move_to_end(page)

    def evict(self) -> int:
        active, inactive = self._active, self._inactive
        while len(active) > len(inactive):
            inactive[active.popitem(last=False)[0]] = None
        if not inactive:
            raise IndexError("evict from an empty resident set")
        return inactive.popitem(last=False)[0]

    def __len__(self) -> int:
        return len(self._active) + len(self._inactive)

    def __contains__(self, page: int) -> bool:
        return page in self._active or page in self._inactive

    def pages(self) -> list[int]:
        """Resident pages: inactive oldest first, then active oldest first."""
        return list(self._inactive) + list(self._active)


POLICIES: dict[str, type] = {"lru": Lru, "clock": Clock, "twolist": TwoList}
"""Every reclaim policy by name; each class takes no arguments."""


def make_policy(name: str) -> Policy:
    """A fresh policy; ValueError names the choices for an unknown name."""
    try:
        return POLICIES[name]()
    except KeyError:
        raise ConfigError(f"unknown reclaim policy {name!r}; "
                         f"choose from {', '.join(POLICIES)}") from None
