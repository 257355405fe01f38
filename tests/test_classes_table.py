"""The debugfs ``classes`` table: ClassStats formulas and the exact rendered text.

Spec §1.10 gives the layout (widths 5, 5, eleven 9s, 13, 10, 10, 16, 8, each field
followed by one space except the last); §5.1 gives three real rows from zsmalloc.rst
whose columns must agree with one another.
"""

from __future__ import annotations

import json

from allocator import GROUP_LABELS, ClassStats, Geometry, Pool, render_classes
from allocator.stats import NO_FRAGMENTATION

HEADER = (" class  size       10%       20%       30%       40%       50%       60%"
          "       70%       80%       90%       99%      100% obj_allocated   obj_used"
          " pages_used pages_per_zspage freeable\n")

# zsmalloc.rst rows: class, size, 11 group counts, obj_allocated, obj_used,
# pages_used, pages_per_zspage, freeable.
SPEC_ROWS = [
    (30, 512, (0, 12, 4, 1, 0, 1, 0, 0, 1, 0, 414), 3464, 3346, 433, 1, 14),
    (31, 528, (2, 7, 2, 2, 1, 0, 1, 0, 0, 2, 117), 4154, 3793, 536, 4, 44),
    (32, 544, (6, 3, 4, 1, 2, 1, 0, 0, 0, 1, 260), 4170, 3965, 556, 2, 26),
]


def _spec_stats() -> list[ClassStats]:
    geo = Geometry()
    rows = []
    for index, size, groups, allocated, used, _, pages, _ in SPEC_ROWS:
        cls = geo.by_index[index]
        assert (cls.size, cls.pages_per_zspage) == (size, pages)   # min-waste at chain 8
        rows.append(ClassStats(index, size, groups, allocated, used, pages,
                               cls.objs_per_zspage, NO_FRAGMENTATION))
    return rows


def test_spec_rows_are_self_consistent():
    stats = _spec_stats()
    assert [r.objs_per_zspage for r in stats] == [8, 31, 15]
    assert [r.zspages for r in stats] == [433, 134, 278]
    assert [sum(r.groups) for r in stats] == [433, 134, 278]
    assert [r.zspages * r.objs_per_zspage for r in stats] == [3464, 4154, 4170]
    assert [r.pages_used for r in stats] == [433, 536, 556]
    assert [r.freeable for r in stats] == [14, 44, 26]


def test_spec_rows_render_with_a_totals_row():
    text = render_classes(_spec_stats())
    assert text == HEADER + (
        "    30   512         0        12         4         1         0         1"
        "         0         0         1         0       414          3464       3346"
        "        433                1       14\n"
        "    31   528         2         7         2         2         1         0"
        "         1         0         0         2       117          4154       3793"
        "        536                4       44\n"
        "    32   544         6         3         4         1         2         1"
        "         0         0         0         1       260          4170       3965"
        "        556                2       26\n"
        "\n"
        " Total               8        22        10         4         3         2"
        "         1         0         1         3       791         11788      11104"
        "       1525                        84\n")


def test_pool_table_text():
    pool = Pool()
    hs = [pool.malloc(1560) for _ in range(14)]     # class 1568: 13 + 1 objects
    for h in hs[:8]:                                # 5/13 = 38% -> 40%; 1/13 -> 10%
        pool.free(h)
    lines = render_classes(pool.class_stats()).splitlines(keepends=True)
    assert len(lines) == 1 + 119 + 2
    assert lines[0] == HEADER
    assert lines[1] == ("     0    32" + "         0" * 11 + "             0          0"
                        "          0                1        0\n")
    assert "    96  1568         1         0         0         1" + "         0" * 7 + (
        "            26          6         10                5        5\n") in lines
    assert lines[-2] == "\n"
    assert lines[-1] == (" Total               1         0         0         1" + "         0" * 7
                         + "            26          6         10                         5\n")
    assert lines[-3].startswith("   254  4096 ")


def test_class_rows_count_zspages_per_group():
    pool = Pool()
    a = [pool.malloc(100) for _ in range(256)]       # class 112: 7 pages, 256 objects
    for h in a[:56]:                                 # 200/256 = 78% -> the 80% column
        pool.free(h)
    (row,) = [r for r in pool.class_stats() if r.size == 112]
    assert row.groups == (0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0)
    assert (row.obj_allocated, row.obj_used, row.pages_used, row.freeable) == (256, 200, 7, 0)
    assert row.index == 5 and row.zspages == 1


def test_as_dict_uses_debugfs_names_and_is_json_ready():
    pool = Pool()
    pool.malloc(1560)
    (row,) = [r for r in pool.class_stats() if r.obj_used]
    d = json.loads(json.dumps(row.as_dict()))
    assert list(d)[:2] == ["index", "size"]
    assert [d[label] for label in GROUP_LABELS] == [1] + [0] * 10
    assert (d["obj_allocated"], d["obj_used"], d["pages_used"], d["pages_per_zspage"],
            d["objs_per_zspage"], d["freeable"]) == (13, 1, 5, 5, 13, 0)
    assert d["fragmentation"] == {"requested": 1560, "headers": 8, "class_rounding": 0,
                                  "unused_slots": 12 * 1568, "tail_waste": 96}


# -- fragmentation ----------------------------------------------------------------


def test_fragmentation_worked_example():
    # allocator/stats.py: 13 objects of 1560 bytes fill one class-1568 zspage.
    pool = Pool()
    hs = [pool.malloc(1560) for _ in range(13)]
    f = pool.fragmentation()
    assert (f.requested, f.headers, f.class_rounding, f.unused_slots, f.tail_waste) == (
        13 * 1560, 13 * 8, 0, 0, 96)
    assert f.total == 20480 == pool.total_pages * 4096
    pool.free(hs[0])
    f = pool.fragmentation()
    assert (f.requested, f.headers, f.class_rounding, f.unused_slots, f.tail_waste) == (
        12 * 1560, 12 * 8, 0, 1568, 96)
    assert f.total == 20480
    assert f.wasted == 20480 - 12 * 1560
    assert abs(f.efficiency - 18720 / 20480) < 1e-12


def test_fragmentation_rounding_and_huge():
    pool = Pool()
    pool.malloc(1550)      # 1558 with the header -> class 1568: 10 bytes of rounding
    pool.malloc(3700)      # huge: no header, 396 bytes of rounding, no tail
    f = pool.fragmentation()
    assert (f.requested, f.headers, f.class_rounding) == (5250, 8, 10 + 396)
    assert (f.unused_slots, f.tail_waste) == (12 * 1568, 96)
    assert f.total == 6 * 4096


def test_fragmentation_adds_up_after_random_operations():
    import random
    for seed in range(4):
        rng = random.Random(seed)
        for page_size in (4096, 16384):
            pool = Pool(Geometry(page_size=page_size))
            live: list[int] = []
            for step in range(1500):
                if live and rng.random() < 0.45:
                    pool.free(live.pop(rng.randrange(len(live))))
                else:
                    live.append(pool.malloc(rng.randint(1, page_size)))
                if step == 1000:
                    pool.compact()
            f = pool.fragmentation()
            assert f.total == pool.total_pages * page_size
            assert f.requested == sum(pool.size_of(h) for h in live)
            assert min(f.requested, f.headers, f.class_rounding, f.unused_slots,
                       f.tail_waste) >= 0


def test_empty_pool_has_no_fragmentation():
    f = Pool().fragmentation()
    assert f.total == 0 and f.efficiency == 1.0
