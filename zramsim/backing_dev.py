"""The backing device of writeback: a block device of 4 KiB blocks zram pages go to.

Android and ChromeOS give zram a flash partition; ``writeback`` moves idle or
huge pages there, uncompressed, and frees their memory. The slot keeps the
block number in its handle word, and handle 0 means "none", so the kernel never
uses block 0: a 64 KiB backing device has 16 blocks and holds 15 pages
(spec §2.11). A block is the lowest free one from 1 up.

``bd_stat`` counts, in 4 KiB units (spec §3.3): blocks holding pages now
(``bd_count``), pages read back (``bd_reads``) and pages written (``bd_writes``).
Worked example: writeback of 3 huge pages to an empty device takes blocks 1, 2
and 3 (bd_count 3, bd_writes 3); overwriting the slot in block 2 frees it
(bd_count 2), and the next page written back goes to block 2 again.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

BLOCK = 4096


@dataclass(frozen=True)
class BdStat:
    """``bd_stat``: bd_count, bd_reads and bd_writes, in 4 KiB units."""

    bd_count: int
    bd_reads: int
    bd_writes: int

    def text(self) -> str:
        """``%8llu %8llu %8llu`` and a newline, as the kernel prints it."""
        return f"{self.bd_count:8d} {self.bd_reads:8d} {self.bd_writes:8d}\n"


class BackingDevice:
    """``nr_pages`` blocks of one page each; blocks 1 .. nr_pages - 1 are usable.

    >>> bd = BackingDevice(64 * 1024)
    >>> bd.nr_pages, bd.capacity, bd.alloc(), bd.alloc()
    (16, 15, 1, 2)
    """

    def __init__(self, size: int, block_size: int = BLOCK) -> None:
        self.size = size
        self.block_size = block_size     # the device's page size
        self.nr_pages = size // block_size
        self._next = 1                   # blocks >= _next were never handed out
        self._freed: list[int] = []      # heap of blocks below _next that are free again
        self._pages: dict[int, bytes | None] = {}
        self.bd_count = 0
        self.bd_reads = 0
        self.bd_writes = 0

    @property
    def capacity(self) -> int:
        """Pages it can hold: every block but block 0."""
        return max(self.nr_pages - 1, 0)

    def alloc(self) -> int:
        """The lowest free block (>= 1), counted in bd_count; 0 when the device is full."""
        if self._freed:
            block = heapq.heappop(self._freed)
        elif self._next < self.nr_pages:
            block = self._next
            self._next += 1
        else:
            return 0
        self.bd_count += 1
        return block

    def free(self, block: int) -> None:
        """Give ``block`` back (a written-back slot was freed, or a reservation unused)."""
        self._pages.pop(block, None)
        heapq.heappush(self._freed, block)
        self.bd_count -= 1

    def write(self, block: int, page: bytes | None) -> None:
        """Store one uncompressed page (None: a sizes-only page, no bytes) in ``block``."""
        self._pages[block] = page
        self.bd_writes += 1

    def read(self, block: int) -> bytes | None:
        """The page in ``block``; counts one bd_read."""
        self.bd_reads += 1
        return self._pages[block]

    def used(self) -> set[int]:
        """Blocks holding pages (for ``check``)."""
        return set(self._pages)

    def bd_stat(self) -> BdStat:
        """The counters in 4 KiB units: a 16 KiB page counts 4."""
        unit = self.block_size // BLOCK
        return BdStat(self.bd_count * unit, self.bd_reads * unit, self.bd_writes * unit)
