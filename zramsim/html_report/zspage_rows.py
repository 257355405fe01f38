"""The zspage map's rows: every zspage of the pool, which zram slot owns each object.

The report's map and its step-through draw the same rows, so they live here,
below both. A row is ``[zid, class index, class size, pages, objs, fullness
group, [zram slot per slot, -1 free], [stored size per slot, 0 free]]``: a
zspage of class 1216 holding slots 4 and 9 in its first two of 10 object slots
is ``[zid, 74, 1216, 3, 10, 1, [4, 9, -1, ...], [1200, 1190, 0, ...]]``.
"""

from __future__ import annotations

from allocator import fullness_group
from zramsim.device import ZramDevice


def owners(device: ZramDevice) -> dict[int, int]:
    """handle -> the zram slot that holds it."""
    found = {}
    for index in device.stored_slots():
        handle = device.handle_of(index)
        if handle:
            found[handle] = index
    return found


def zspage_rows(device: ZramDevice, per_class: int | None = None) -> tuple[list, int]:
    """(rows, zspages in all) of the map, by class then id; see the module docstring.

    A row is ``[zid, class index, class size, pages, objs, fullness group,
    [zram slot per slot, -1 free], [stored size per slot, 0 free]]``.
    """
    pool, owner = device.pool, owners(device)
    every = sorted(pool.zspages(), key=lambda z: (z[0].index, z[1]))
    rows, held = [], {}
    for cls, zid, handles in every:
        objs = cls.objs_per_zspage
        if per_class is not None and held.get(cls.index, 0) >= max(per_class, objs):
            continue
        held[cls.index] = held.get(cls.index, 0) + objs
        inuse = sum(1 for h in handles if h)
        rows.append([zid, cls.index, cls.size, cls.pages_per_zspage, objs,
                     fullness_group(inuse, objs), [owner.get(h, -1) if h else -1 for h in handles],
                     [pool.size_of(h) if h else 0 for h in handles]])
    return rows, len(every)
