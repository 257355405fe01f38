"""Page frames for zspages, carved from blocks of memory faulted in at once.

Why: a pool holding real bytes needs a fresh page frame for every page of every
zspage it makes, 81,000 of them for 145,008 real pages replayed. Each frame as
its own ``bytearray`` is a ``malloc`` and a ``memset``, and its first touch a
page fault into the kernel, one per frame. Here frames are ``page_size`` views
into anonymous blocks mapped with ``MAP_POPULATE``: the kernel fills a whole
block in one call. Measured (farm-bench, ``zramsim replay`` of those pages,
against bytearray frames): 0.970 of the wall time (9 pairs), 0.961 with
``--workers 1`` (5 pairs); the same blocks without ``MAP_POPULATE`` gave 0.995,
so the gain is the faulting, not the views. The peak memory is ~3% higher
(396 against 384 MiB): a block not yet used up, and no heap to share.

Blocks start small (a pool of a few pages costs a few pages) and double up to
``MAX_BLOCK`` bytes. Worked example at 4 KiB pages: blocks of 64 KiB, 128,
256, ... 2 MiB, then 2 MiB each: the 100th frame comes from the third block
(16 + 32 + 64 = 112 frames by its end), and a pool never holds more than one
block of frames it has not used.

A frame given back (``give_back``) is the next one taken, its old bytes in
it, as a page fresh from the kernel's allocator would be; frames are never
unmapped one by one, so a pool's memory stays at its peak until the pool is
gone. Its blocks then wait, up to ``KEPT_BYTES`` of them, for the next pool of
this process (a sweep makes one device after another): mapping and faulting
them in again cost 3% of such a sweep (five 40,000-page replays in one
process, CPU, against frames from ``malloc``, which reuses its memory too).
A kept block is zeroed before it serves again, so a new pool's frames are
zeros whatever ran before in the process: what a pool reads never depends on
another pool.
"""

from __future__ import annotations

import mmap
import weakref

FIRST_BLOCK = 64 << 10
MAX_BLOCK = 2 << 20
KEPT_BYTES = 256 << 20
_FLAGS = (mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | getattr(mmap, "MAP_POPULATE", 0)
          if hasattr(mmap, "MAP_ANONYMOUS") else None)      # None: no such mmap (Windows)
_kept: dict[int, list[memoryview]] = {}     # blocks of pools that are gone, by size
_ZEROS = memoryview(bytes(MAX_BLOCK))


def _keep(blocks: list[memoryview]) -> None:
    """A pool is gone: keep its blocks for the next one, up to ``KEPT_BYTES``."""
    room = KEPT_BYTES - sum(size * len(kept) for size, kept in _kept.items())
    for block in blocks:
        if len(block) <= room:
            _kept.setdefault(len(block), []).append(block)
            room -= len(block)


def _new_block(size: int) -> memoryview:
    """``size`` bytes of fresh, zeroed memory, faulted in at once where the system can."""
    if _FLAGS is None:
        return memoryview(bytearray(size))
    return memoryview(mmap.mmap(-1, size, flags=_FLAGS))


class PageFrames:
    """Where a pool's page frames come from: given-back ones first, then new ones."""

    def __init__(self, page_size: int) -> None:
        self.page_size = page_size
        self._spare: list[memoryview] = []
        self._block = memoryview(b"")
        self._next = 0                        # offset of the next unused frame in the block
        self._block_size = max(FIRST_BLOCK, page_size)
        self._blocks: list[memoryview] = []
        weakref.finalize(self, _keep, self._blocks).atexit = False   # not when all ends

    def take(self, count: int) -> list[memoryview]:
        """``count`` frames, each a writable view of ``page_size`` bytes."""
        spare = self._spare
        return [spare.pop() if spare else self._new() for _ in range(count)]

    def give_back(self, frames: list[memoryview]) -> None:
        self._spare.extend(frames)

    def _new(self) -> memoryview:
        at, size = self._next, self.page_size
        if at + size > len(self._block):
            kept = _kept.get(self._block_size)
            if kept:
                self._block = kept.pop()
                self._block[:] = _ZEROS[:len(self._block)]
            else:
                self._block = _new_block(self._block_size)
            self._blocks.append(self._block)
            self._block_size = min(2 * self._block_size, max(MAX_BLOCK, size))
            at = 0
        self._next = at + size
        return self._block[at:at + size]
