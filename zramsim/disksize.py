"""The disksize a trace needs: every slot it touches, reads and discards included.

A device given no ``--disksize`` grows to fit the trace (``ZramDevice`` with
``disksize=None``); a real kernel device must be sized before the first write,
so ``kernel-diff`` asks this module first. Both follow the same rule, so the
size zramsim reports is one the trace replays on: the highest slot written,
read or discarded, plus one, in pages.

Worked example: ``W 0 ...``, ``R 9``, ``D 0 2`` at 4 KiB pages touch slots 0,
9, 0 and 1: 10 slots, 40960 bytes. A trace that reads slot 9 at a disksize of
32K (8 slots) fails on that read, as the kernel fails the bio.
"""

from __future__ import annotations

from typing import Iterable

from workloads.events import DISCARD, READ, WRITE


def last_slot(event: tuple) -> int:
    """The highest slot an event touches (-1 for a compaction, which touches none)."""
    op, index, arg = event
    if op == DISCARD:
        return index + arg - 1
    return index if op in (WRITE, READ) else -1


def disksize_for(events: Iterable[tuple], page_size: int = 4096) -> int:
    """Bytes of the smallest device every event fits on (at least one page)."""
    return page_size * (1 + max(max(map(last_slot, events), default=0), 0))
