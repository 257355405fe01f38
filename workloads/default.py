"""The built-in default workload: what zramsim replays when given no trace.

It should look like the swap traffic of an ordinary machine, so that every
statistic of the device has something to say: zero and other same-filled pages
(``same_pages``), a few incompressible pages (``huge_pages``), and a bulk of
heap, text, source and code pages spread over many size classes. After the
initial writes it overwrites, reads and discards some slots and then compacts
once, so ``pages_compacted`` can move too.

Proportions (by page count) come from the calibration in ``docs/generators.md``:

| kind   | share | stored size (lz4, 4 KiB page) |
|--------|-------|-------------------------------|
| zero   | 13 %  | 0 (same-filled)               |
| same   | 2 %   | 0 (same-filled)               |
| heap   | 52 %  | ~1450 B                       |
| text   | 10 %  | ~1650 B                       |
| source | 6 %   | ~1770 B                       |
| code   | 14 %  | ~2900 B                       |
| random | 3 %   | 4096 B (huge)                 |

Worked example of the expected ratio: per 100 pages the stored bytes are about
52*1450 + 10*1650 + 6*1770 + 14*2900 + 3*4096 = 155,408 against 409,600
original bytes, a ratio of 2.64 (a real kernel build swapped through lz4 zram
gives 2.64, spec section 5.3). Measured at the default seed and size: 2.61,
with 14 % same-filled and 3.5 % huge pages among the first writes (pinned in
``tests/test_generators.py``).
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from workloads.errors import BadOption
from workloads.events import COMPACT, DISCARD, READ, WRITE, PageEvent
from workloads.generators import PAGE_SIZE
from workloads.mixes import MixSampler

DEFAULT_SEED = 0
DEFAULT_PAGES = 4096            # 16 MiB of 4 KiB pages
DEFAULT_MIX = {
    "zero": 0.13, "same": 0.02, "heap": 0.52, "text": 0.10,
    "source": 0.06, "code": 0.14, "random": 0.03,
}
DESCRIPTION = (
    "Built-in default: writes every slot once with a realistic mix of pages "
    "(13% zero, 2% other same-filled, 52% heap, 10% text, 6% source, 14% code, "
    "3% incompressible), then overwrites ~5% of slots, reads ~10%, discards "
    "~3% in short runs, and compacts once."
)


def default_workload(seed: int = DEFAULT_SEED, pages: int = DEFAULT_PAGES,
                     page_size: int = PAGE_SIZE) -> Iterator[PageEvent]:
    """Yield the default workload's events (deterministic for a given seed).

    Phase 1 writes slots 0..pages-1 in order. Phase 2 visits pages/10 random
    slots with reads, pages/20 with overwrites (a new page of the same mix) and
    pages/100 (at least one) with discards of 1..8 slots, shuffled together.
    Phase 3 is one compaction, then a read of every 64th slot.
    """
    if pages < 1:
        raise BadOption("the default workload needs at least one page")
    rng = random.Random(seed)
    sampler = MixSampler(DEFAULT_MIX, page_size)
    for slot in range(pages):
        yield PageEvent(WRITE, slot, sampler(rng))
    steps = ([READ] * (pages // 10) + [WRITE] * (pages // 20)
             + [DISCARD] * max(1, pages // 100))
    rng.shuffle(steps)
    for op in steps:
        slot = rng.randrange(pages)
        if op == WRITE:
            yield PageEvent(WRITE, slot, sampler(rng))
        elif op == DISCARD:
            yield PageEvent(DISCARD, slot, min(1 + rng.randrange(8), pages - slot))
        else:
            yield PageEvent(READ, slot, None)
    yield PageEvent(COMPACT, 0, None)
    for slot in range(0, pages, 64):
        yield PageEvent(READ, slot, None)


class DefaultWorkload:
    """The default workload with a trace reader's face, so a command treats both alike.

    Like a reader it has a ``page_size``, says where it is (``location()``:
    ``<default workload>:N``, the N-th event) and how much it has given
    (``fraction_read()``), and is a context manager. 4096 pages give
    4096 + 409 + 204 + 40 + 1 + 64 = 4,814 events.
    """

    format = "default"

    def __init__(self, seed: int = DEFAULT_SEED, pages: int = DEFAULT_PAGES,
                 page_size: int = PAGE_SIZE) -> None:
        self.seed, self.pages, self.page_size = seed, pages, page_size
        self.total = (pages + pages // 10 + pages // 20 + max(1, pages // 100) + 1
                      + -(-pages // 64))
        self.given = 0

    def __iter__(self) -> Iterator[PageEvent]:
        for event in default_workload(self.seed, self.pages, self.page_size):
            self.given += 1
            yield event

    def location(self) -> str:
        return f"<default workload>:{self.given}"

    def fraction_read(self) -> float:
        return self.given / self.total

    def close(self) -> None:
        pass

    def __enter__(self) -> DefaultWorkload:
        return self

    def __exit__(self, *exc_info) -> None:
        pass
