"""Counters of a replay worked out from the events alone, without the simulator.

With no mem_limit every write succeeds, so the end state of each slot is its
last write unless a discard came after it. The spec's rules then give the
counters (spec §2.3-2.5, §3.1): a same-filled page (``same_filled_word``) is a
same page; a page whose lz4 length reaches ``huge_class_size`` is huge and
stores ``page_size`` bytes; any other page stores its lz4 length. Lengths come
from ``workloads.mixes.lz4_size``, not from the device's compressor. Discards
count every page they name in ``notify_free``, empty or not; huge_pages_since
counts every huge page ever stored. After a full compaction the pool's pages
follow from the objects left and the class table (``pages_after_full_compaction``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from allocator import Geometry
from workloads.events import DISCARD, WRITE, same_filled_word
from workloads.mixes import lz4_size


@dataclass(frozen=True)
class Expected:
    orig_data_size: int
    compr_data_size: int
    same_pages: int
    huge_pages: int
    huge_pages_since: int
    notify_free: int
    objects: tuple[int, ...]         # the size of each object left in zsmalloc


def expected_counters(events, page_size: int, huge_class_size: int,
                      length: Callable[[bytes], int] = lz4_size) -> Expected:
    """The counters at the end of ``events``; ``length`` gives a page's compressed length."""
    last: dict[int, bytes] = {}
    notify_free = huge_written = 0
    for op, index, arg in events:
        if op == WRITE:
            last[index] = arg
            huge_written += (same_filled_word(arg) is None
                             and length(arg) >= huge_class_size)
        elif op == DISCARD:
            for slot in range(index, index + arg):
                last.pop(slot, None)
            notify_free += arg
    same = huge = 0
    objects = []
    for page in last.values():
        if same_filled_word(page) is not None:
            same += 1
            continue
        size = length(page)
        if size >= huge_class_size:
            huge += 1
            size = page_size
        objects.append(size)
    return Expected(len(last) * page_size, sum(objects), same, huge, huge_written,
                    notify_free, tuple(objects))


def pages_after_full_compaction(objects: tuple[int, ...], geometry: Geometry) -> int:
    """A full compaction leaves each class ceil(objects / objs_per_zspage) zspages
    (spec §1.8: it stops only when no class has a whole zspage of free slots)."""
    per_class: dict[int, list] = {}
    for size in objects:
        cls = geometry.class_for_request(size)
        per_class.setdefault(cls.index, [cls, 0])[1] += 1
    return sum(-(-n // cls.objs_per_zspage) * cls.pages_per_zspage
               for cls, n in per_class.values())
