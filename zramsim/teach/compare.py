"""Allocators compared on one trace: the same objects, four ways to store them.

zsmalloc's design note argues for chained zspages by what the alternatives
lose. This module measures it: one trace is turned once into the objects zram
would store (same-filled pages need none; a page compressing to at least
``huge_class_size`` bytes is stored raw, a page's worth), and those objects
are replayed through every allocator in ``allocator.interface.ALLOCATORS``,
overwrites and discards freeing as they would in zram (6.17+ order: the new
object is allocated before the old one is freed), ``C`` running each
allocator's compaction. Each row reports pages held at the end and at the
peak, and the fragmentation breakdown of those pages.

An allocator may refuse an object (zbud takes at most 3968 bytes, so every
huge page); a refused object is counted in ``rejected`` and, to keep rows
comparable, charged one page in ``pages_with_rejected`` as if kept raw.

Worked example: 1000 pages compressing to 1200 bytes each. zsmalloc: class
1216 holds 10 in 3 pages -> 300 pages; single pages: class 1360 (three per
page) -> 334; zbud: 2 per page -> 500; z3fold: 3 per page -> 334.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from typing import Iterable

from allocator import Geometry, ObjectSizeError
from allocator.interface import ALLOCATORS
from allocator.stats import Fragmentation
from workloads.events import COMPACT, DISCARD, WRITE
from zramsim.compressors import Compressor, make_compressor

STORE, FREE, SAME, COMPACT_ALL = "store", "free", "same", "compact"


@dataclass(frozen=True)
class CompareRow:
    """One allocator's result on the trace."""

    name: str
    total_pages: int           # pages held at the end
    max_pages: int             # the most pages held at any point
    objects: int               # live objects at the end
    rejected: int              # objects refused (too large for this allocator)
    fragmentation: Fragmentation

    @property
    def pages_with_rejected(self) -> int:
        """total_pages + one page per refused object still live (stored raw elsewhere)."""
        return self.total_pages + self.rejected

    def as_dict(self) -> dict:
        return {"name": self.name, "total_pages": self.total_pages,
                "max_pages": self.max_pages, "objects": self.objects,
                "rejected": self.rejected, "pages_with_rejected": self.pages_with_rejected,
                "fragmentation": {f.name: getattr(self.fragmentation, f.name)
                                  for f in fields(self.fragmentation)}}


@dataclass(frozen=True)
class Comparison:
    page_size: int
    huge_class_size: int
    writes: int
    same_pages: int            # same-filled writes: no object in any allocator
    rows: tuple[CompareRow, ...]

    def as_dict(self) -> dict:
        return {"page_size": self.page_size, "huge_class_size": self.huge_class_size,
                "writes": self.writes, "same_pages": self.same_pages,
                "rows": [r.as_dict() for r in self.rows]}


def object_ops(events: Iterable[tuple], page_size: int = 4096,
               compressor: Compressor | None = None,
               huge_class_size: int | None = None) -> list[tuple[str, int, int]]:
    """The trace as object operations: (store, slot, size), (same, slot, 0),
    (free, first slot, count) per discard, (compact, 0, 0). Reads vanish."""
    comp = compressor or make_compressor("lz4")
    huge = huge_class_size or Geometry(page_size).huge_class_size
    ops: list[tuple[str, int, int]] = []
    for op, index, arg in events:
        if op == WRITE:
            if type(arg) is int:
                size = arg
            else:
                word = arg[:8]
                if arg == word * (page_size // 8):
                    ops.append((SAME, index, 0))
                    continue
                size = len(comp.compress(arg))
            ops.append((STORE, index, page_size if size >= huge else size))
        elif op == DISCARD:
            ops.append((FREE, index, arg))
        elif op == COMPACT:
            ops.append((COMPACT_ALL, 0, 0))
    return ops


def run_allocator(name: str, ops: list[tuple[str, int, int]], page_size: int = 4096,
                  check_every: int = 0) -> CompareRow:
    """Replay object operations on a fresh allocator ``name``.

    With ``check_every=n`` the allocator's ``check()`` runs after every n-th operation.
    """
    alloc = ALLOCATORS[name](page_size)
    slots: dict[int, int] = {}          # zram slot -> handle (0 = refused object)
    peak = 0
    for step, (op, index, size) in enumerate(ops, 1):
        if op == STORE:
            try:
                handle = alloc.malloc(size)
            except ObjectSizeError:
                handle = 0
            peak = max(peak, alloc.total_pages)
            old = slots.pop(index, None)
            if old:
                alloc.free(old)
            slots[index] = handle
        elif op == SAME:
            old = slots.pop(index, None)
            if old:
                alloc.free(old)
        elif op == FREE:
            for old in _pop_range(slots, index, size):
                if old:
                    alloc.free(old)
        else:
            alloc.compact()
        if check_every and step % check_every == 0:
            alloc.check()
    live = sum(1 for h in slots.values() if h)
    return CompareRow(name, alloc.total_pages, peak, live, len(slots) - live,
                      alloc.fragmentation())


def _pop_range(slots: dict[int, int], first: int, count: int) -> list[int]:
    """Remove slots first .. first+count-1 from ``slots``; their handles, in slot order.

    Walks the range or the dict, whichever is shorter: a discard of 2**64 - 1
    slots costs what is stored, not the range.
    """
    if count <= len(slots):
        found = [i for i in range(first, first + count) if i in slots]
    else:
        found = sorted(i for i in slots if first <= i < first + count)
    return [slots.pop(i) for i in found]


def compare(events: Iterable[tuple], page_size: int = 4096, compressor: Compressor | None = None,
            names: Iterable[str] | None = None) -> Comparison:
    """Run one trace through every allocator (or ``names``), in registry order."""
    geo = Geometry(page_size)
    ops = object_ops(events, page_size, compressor, geo.huge_class_size)
    rows = tuple(run_allocator(n, ops, page_size) for n in (names or ALLOCATORS))
    return Comparison(page_size, geo.huge_class_size,
                      sum(1 for op, _, _ in ops if op in (STORE, SAME)),
                      sum(1 for op, _, _ in ops if op == SAME), rows)


def render(result: Comparison, fmt: str = "table") -> str:
    """The comparison side by side (``table``) or as JSON."""
    return json.dumps(result.as_dict(), indent=2) if fmt == "json" else render_table(result)


def render_table(result: Comparison) -> str:
    """Side by side: pages and where their bytes go, one allocator per row."""
    head = (f"{'allocator':<12} {'pages':>7} {'max':>7} {'+rejected':>9} {'objects':>7} "
            f"{'rejected':>8} {'requested':>10} {'headers':>8} {'rounding':>9} "
            f"{'unused':>9} {'tail':>8} {'efficiency':>10}")
    lines = [f"# {result.writes} writes ({result.same_pages} same-filled: no object), "
             f"{result.page_size}-byte pages, huge from {result.huge_class_size} bytes",
             head]
    for r in result.rows:
        f = r.fragmentation
        lines.append(f"{r.name:<12} {r.total_pages:7} {r.max_pages:7} "
                     f"{r.pages_with_rejected:9} {r.objects:7} {r.rejected:8} "
                     f"{f.requested:10} {f.headers:8} {f.class_rounding:9} "
                     f"{f.unused_slots:9} {f.tail_waste:8} {f.efficiency:10.1%}")
    return "\n".join(lines) + "\n"
