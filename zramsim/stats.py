"""Device statistics as immutable data with the kernel's names and text formats.

``mm_stat``, ``io_stat`` and ``debug_stat`` are what ``/sys/block/zramN/`` shows;
their ``text()`` is byte-for-byte the kernel's format (spec §3), so a simulator
line can be diffed against a real one. ``DeviceStats`` adds what the kernel
leaves to the reader: the ratios and where the pool's bytes go.

Worked example: 1000 pages written, 100 of them zero, 50 huge, the other 850
compressing to 1200 bytes each. orig_data_size = 1000 x 4096 = 4,096,000;
compr_data_size = 850 x 1200 + 50 x 4096 = 1,224,800; the compression ratio is
4,096,000 / 1,224,800 = 3.34. If zsmalloc holds 318 pages (1,302,528 bytes),
the effective ratio is 4,096,000 / 1,302,528 = 3.14 and the allocator keeps
1,224,800 / 1,302,528 = 94% of its bytes as data.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from allocator import Fragmentation
from zramsim.backing_dev import BdStat


@dataclass(frozen=True)
class MmStat:
    """The nine fields of ``mm_stat``, in bytes except the three page counts."""

    orig_data_size: int     # pages stored x page size, same-filled included
    compr_data_size: int    # compressed bytes held in zsmalloc (huge pages count a page)
    mem_used_total: int     # zsmalloc pages x page size
    mem_limit: int
    mem_used_max: int
    same_pages: int
    pages_compacted: int
    huge_pages: int
    huge_pages_since: int

    def text(self) -> str:
        """``%8llu`` right-aligned fields separated by one space, as the kernel prints."""
        return " ".join(f"{v:8d}" for v in asdict(self).values()) + "\n"


@dataclass(frozen=True)
class IoStat:
    """``io_stat``: failed I/O and discarded pages. invalid_io is always 0 here."""

    failed_reads: int
    failed_writes: int
    invalid_io: int
    notify_free: int

    def text(self) -> str:
        """The third field is an unpadded literal ``0`` in the kernel's format."""
        return f"{self.failed_reads:8d} {self.failed_writes:8d} 0 {self.notify_free:8d}\n"


@dataclass(frozen=True)
class DebugStat:
    """``debug_stat`` (6.15+): writestall is gone and prints as a literal 0."""

    miss_free: int

    def text(self) -> str:
        return f"version: 1\n0 {self.miss_free:8d}\n"


@dataclass(frozen=True)
class DeviceStats:
    """Everything a replay reports: the kernel's counters plus derived metrics."""

    disksize: int
    page_size: int
    mm_stat: MmStat
    io_stat: IoStat
    debug_stat: DebugStat
    pages_stored: int
    normal_pages: int       # compressed objects in zsmalloc (neither same-filled nor huge)
    fragmentation: Fragmentation
    reads: int
    writes: int
    spanning_reads: int     # reads that gathered an object from two page frames
    bd_stat: BdStat = BdStat(0, 0, 0)     # writeback: blocks used, pages read, written

    @property
    def compression_ratio(self) -> float:
        """orig_data_size / compr_data_size (inf when nothing is in zsmalloc)."""
        m = self.mm_stat
        return m.orig_data_size / m.compr_data_size if m.compr_data_size else float("inf")

    @property
    def effective_ratio(self) -> float:
        """orig_data_size / mem_used_total: what zramctl's COMP-RATIO shows."""
        m = self.mm_stat
        return m.orig_data_size / m.mem_used_total if m.mem_used_total else float("inf")

    @property
    def allocator_efficiency(self) -> float:
        """compr_data_size / mem_used_total: the share of zsmalloc's pages holding data."""
        m = self.mm_stat
        return m.compr_data_size / m.mem_used_total if m.mem_used_total else 1.0

    def ratios(self) -> dict[str, float | None]:
        """The derived metrics; None stands for an infinite ratio (JSON has no inf)."""
        values = {"compression_ratio": self.compression_ratio,
                  "effective_ratio": self.effective_ratio,
                  "allocator_efficiency": self.allocator_efficiency}
        return {k: (None if v == float("inf") else round(v, 6)) for k, v in values.items()}

    def as_dict(self) -> dict:
        """JSON-ready; keys equal field names, ratios added."""
        return {
            "disksize": self.disksize, "page_size": self.page_size,
            "mm_stat": asdict(self.mm_stat), "io_stat": asdict(self.io_stat),
            "debug_stat": asdict(self.debug_stat), "bd_stat": asdict(self.bd_stat),
            "pages": {"stored": self.pages_stored, "same_filled": self.mm_stat.same_pages,
                      "huge": self.mm_stat.huge_pages, "normal": self.normal_pages},
            "fragmentation": {**asdict(self.fragmentation), "total": self.fragmentation.total},
            "reads": self.reads, "writes": self.writes, "spanning_reads": self.spanning_reads,
            **self.ratios(),
        }
