"""How fast can pure Python replay sizes-only events exactly? The whole model in one loop.

Issue 6 asks for 1,000,000 sizes-only events per second. zramsim's replay goes
through ``Replay.run`` -> ``ZramDevice.write_size`` -> ``Pool.malloc`` /
``Pool.free``: a handful of calls and many attribute lookups per event. This
script measures what is left when all of that is gone: the same exact model
(size classes, zspages with LIFO free slots, fullness groups with head
insertion, immediate release, a handle table, the device's slot table and
counters, reads and discards) fused into one function of local variables. It
checks that its mem_used_total, compr_data_size, mem_used_max and huge_pages
equal zramsim's on the same events, then prints both rates.

Reading it: if the fused loop runs at 520k events/s and zramsim at 360k, then
the structure (calls, ``self.`` lookups) costs zramsim a factor of 1.4, and
even without it CPython does half of the target: 1M/s needs compiled code or
a faster interpreter, not a rearrangement of this Python.

Run: ``python benchmarks/sizes_floor.py``. Not part of run_all: it is an
argument about a target, not a benchmark of zramsim, and its loop is written
for speed, not for reading (the pool and device modules are the readable ones).
"""

from __future__ import annotations

import gc
import os
import sys
import time
from array import array

if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from allocator import Geometry  # noqa: E402
from allocator.geometry import HANDLE_SIZE, class_index  # noqa: E402
from allocator.pool import FULL, fullness_group  # noqa: E402
from benchmarks.bench_replay import _replay, sizes_events  # noqa: E402

SLOTS = 100_000


class _Zspage:
    __slots__ = ("k", "inuse", "freeobj", "slots", "zid")


def fused_replay(events: list, geometry: Geometry, slots: int = SLOTS) -> tuple[int, ...]:
    """(pages used, compressed bytes, max pages used, huge pages) after ``events``."""
    page = geometry.page_size
    classes = geometry.classes
    number = {id(c): k for k, c in enumerate(classes)}
    class_for = [0] + [number[id(geometry.by_index[class_index(n + HANDLE_SIZE, page)])]
                       for n in range(1, page + 1)]
    pages = [c.pages_per_zspage for c in classes]
    group_of = [bytes(fullness_group(i, c.objs_per_zspage) for i in range(c.objs_per_zspage + 1))
                for c in classes]
    scan = [tuple(g for g in range(10, -1, -1) if g in group_of[k][1:-1])
            for k in range(len(classes))]
    fresh = [array("q", (~(j + 1) for j in range(c.objs_per_zspage))) for c in classes]
    groups: list[list[dict]] = [[{} for _ in range(12)] for _ in classes]
    zspages: list[_Zspage | None] = [None]
    free_zids: list[int] = []
    loc, requested_of = array("q", [0]), array("I", [0])
    free_handles: list[int] = []
    slot_handle = array("Q", bytes(8 * slots))
    slot_size = array("I", bytes(4 * slots))
    obj_used = [0] * len(classes)
    requested = [0] * len(classes)
    total = max_used = compressed = huge_pages = 0
    huge = geometry.huge_class_size

    def free(handle: int) -> None:
        nonlocal total
        where = loc[handle]
        zspage = zspages[where >> 16]
        slot = where & 0xFFFF
        zspage.slots[slot] = ~zspage.freeobj
        zspage.freeobj = slot
        k, inuse = zspage.k, zspage.inuse
        before, after = group_of[k][inuse], group_of[k][inuse - 1]
        zspage.inuse = inuse - 1
        if before != after:
            if before != FULL:
                del groups[k][before][zspage]
            if after == 0:
                total -= pages[k]
                zspages[zspage.zid] = None
                free_zids.append(zspage.zid)
            else:
                groups[k][after][zspage] = None
        obj_used[k] -= 1
        requested[k] -= requested_of[handle]
        loc[handle] = 0
        free_handles.append(handle)

    for op, index, arg in events:
        if op == "W":
            size = arg if arg < huge else page
            k = class_for[size]
            mine = groups[k]
            for g in scan[k]:
                if mine[g]:
                    zspage = mine[g].popitem()[0]
                    break
            else:
                zspage = _Zspage()
                zspage.k, zspage.inuse, zspage.freeobj, zspage.slots = k, 0, 0, fresh[k][:]
                zspage.zid = free_zids.pop() if free_zids else len(zspages)
                if zspage.zid == len(zspages):
                    zspages.append(zspage)
                else:
                    zspages[zspage.zid] = zspage
                total += pages[k]
            if free_handles:
                handle = free_handles.pop()
            else:
                handle = len(loc)
                loc.append(0)
                requested_of.append(0)
            free_slots = zspage.slots
            slot = zspage.freeobj
            zspage.freeobj = ~free_slots[slot]
            free_slots[slot] = handle
            zspage.inuse += 1
            g = group_of[k][zspage.inuse]
            if g != FULL:
                mine[g][zspage] = None
            loc[handle] = zspage.zid << 16 | slot
            requested_of[handle] = size
            obj_used[k] += 1
            requested[k] += size
            if total > max_used:
                max_used = total
            old = slot_handle[index]
            if old:
                free(old)
                compressed -= slot_size[index]
                huge_pages -= slot_size[index] == page
            slot_handle[index] = handle
            slot_size[index] = size
            compressed += size
            huge_pages += size == page
        elif op == "D":
            for i in range(index, index + arg):
                old = slot_handle[i]
                if old:
                    free(old)
                    compressed -= slot_size[i]
                    huge_pages -= slot_size[i] == page
                    slot_handle[i] = slot_size[i] = 0
    return total, compressed, max_used, huge_pages


def main() -> None:
    events = sizes_events(1_000_000, SLOTS)
    m = _replay(events, "lz4", SLOTS).mm_stat()
    ours = (m.mem_used_total // 4096, m.compr_data_size, m.mem_used_max // 4096, m.huge_pages)
    assert fused_replay(events, Geometry()) == ours, "the fused loop is not exact"
    best = {"fused loop": float("inf"), "zramsim replay": float("inf")}
    for _ in range(3):
        for name, run in (("fused loop", lambda: fused_replay(events, Geometry())),
                          ("zramsim replay", lambda: _replay(events, "lz4", SLOTS))):
            gc.collect()
            start = time.perf_counter()
            run()
            best[name] = min(best[name], time.perf_counter() - start)
    print(f"same counters as zramsim: {ours}")
    for name, seconds in best.items():
        print(f"{name:15} {len(events) / seconds:>12,.0f} events/s")


if __name__ == "__main__":
    main()
