"""Statistics of a pool: the debugfs ``classes`` table and where every byte goes.

Per class the kernel's debugfs file shows how many zspages sit in each fullness
group and ``obj_allocated`` / ``obj_used`` / ``pages_used`` / ``freeable``.
``Fragmentation`` answers the question the table does not: of the pages the
pool holds, how many bytes are data and how many are lost, and to what.

Worked example: 13 live objects of 1560 bytes (class 1568: 5 pages, 13 objects)
occupy one zspage = 20480 bytes = 13*1560 requested + 13*8 handle headers
+ 0 class rounding + 0 unused slots + 96 tail waste. Free one of them and
1560 + 8 bytes move to ``unused_slots``; the sum stays 20480.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

GROUP_LABELS = ("10%", "20%", "30%", "40%", "50%", "60%", "70%", "80%", "90%", "99%", "100%")


@dataclass(frozen=True)
class Fragmentation:
    """Bytes of the pool's pages by use; the five fields add up to ``total``."""

    requested: int       # bytes callers asked for (compressed data)
    headers: int         # 8-byte handles stored in non-huge objects
    class_rounding: int  # live objects rounded up to their class size
    unused_slots: int    # free object slots inside allocated zspages
    tail_waste: int      # zspage ends too short for one more object

    @property
    def total(self) -> int:
        """requested + headers + class_rounding + unused_slots + tail_waste = pages x page size."""
        return (self.requested + self.headers + self.class_rounding
                + self.unused_slots + self.tail_waste)

    @property
    def wasted(self) -> int:
        """Everything but the requested bytes."""
        return self.total - self.requested

    @property
    def efficiency(self) -> float:
        """requested / total: 1.0 means no byte of the pages is lost."""
        return self.requested / self.total if self.total else 1.0

    def __add__(self, other: Fragmentation) -> Fragmentation:
        return Fragmentation(*(getattr(self, f.name) + getattr(other, f.name)
                               for f in fields(self)))


NO_FRAGMENTATION = Fragmentation(0, 0, 0, 0, 0)


def freeable_pages(obj_allocated: int, obj_used: int, objs_per_zspage: int,
                   pages_per_zspage: int) -> int:
    """Pages compaction could free (zs_can_compact, debugfs ``freeable``).

    Whole zspages' worth of free slots: ``((obj_allocated - obj_used) // objs) * pages``
    (never negative: a pool never uses more slots than it allocated). 65 slots of
    class 1568 (13 a zspage, 5 pages) with 22 used give (43 // 13) * 5 = 15 pages.
    """
    return (obj_allocated - obj_used) // objs_per_zspage * pages_per_zspage


@dataclass(frozen=True)
class ClassStats:
    """One row of debugfs ``classes`` plus the class geometry and byte breakdown."""

    index: int
    size: int
    groups: tuple[int, ...]      # zspages in fullness groups 10% .. 99%, 100% (11 counts)
    obj_allocated: int
    obj_used: int
    pages_per_zspage: int
    objs_per_zspage: int
    fragmentation: Fragmentation

    @property
    def zspages(self) -> int:
        """Live zspages of the class; the group counts add up to it."""
        return self.obj_allocated // self.objs_per_zspage

    @property
    def pages_used(self) -> int:
        """(obj_allocated // objs_per_zspage) * pages_per_zspage, as debugfs prints."""
        return self.zspages * self.pages_per_zspage

    @property
    def freeable(self) -> int:
        """Pages compaction could free: ``freeable_pages`` of this row."""
        return freeable_pages(self.obj_allocated, self.obj_used, self.objs_per_zspage,
                              self.pages_per_zspage)

    def as_dict(self) -> dict:
        """JSON-ready: debugfs column names, group counts keyed by their labels."""
        return {
            "index": self.index, "size": self.size,
            **dict(zip(GROUP_LABELS, self.groups)),
            "obj_allocated": self.obj_allocated, "obj_used": self.obj_used,
            "pages_used": self.pages_used, "pages_per_zspage": self.pages_per_zspage,
            "objs_per_zspage": self.objs_per_zspage, "freeable": self.freeable,
            "fragmentation": {f.name: getattr(self.fragmentation, f.name)
                              for f in fields(self.fragmentation)},
        }


def render_classes(rows: list[ClassStats]) -> str:
    """The text of /sys/kernel/debug/zsmalloc/<pool>/classes (6.4+ layout)."""
    header = (f" {'class':>5} {'size':>5} " + "".join(f"{label:>9} " for label in GROUP_LABELS)
              + f"{'obj_allocated':>13} {'obj_used':>10} {'pages_used':>10} "
              f"{'pages_per_zspage':>16} {'freeable':>8}\n")
    lines = [header]
    for r in rows:
        lines.append(f" {r.index:5} {r.size:5} " + "".join(f"{n:9} " for n in r.groups)
                     + f"{r.obj_allocated:13} {r.obj_used:10} {r.pages_used:10} "
                     f"{r.pages_per_zspage:16} {r.freeable:8}\n")
    groups = [sum(r.groups[g] for r in rows) for g in range(len(GROUP_LABELS))]
    lines.append("\n")
    lines.append(f" {'Total':>5} {'':>5} " + "".join(f"{n:9} " for n in groups)
                 + f"{sum(r.obj_allocated for r in rows):13} "
                 f"{sum(r.obj_used for r in rows):10} "
                 f"{sum(r.pages_used for r in rows):10} {'':>16} "
                 f"{sum(r.freeable for r in rows):8}\n")
    return "".join(lines)
