"""Exact behaviour of the zsmalloc pool: groups, slot reuse, release, compaction, data.

Most scenarios use class 1568 (a 1560-byte request plus the 8-byte header):
5 pages per zspage holding 13 objects, so fullness steps are easy to count by hand.
"""

from __future__ import annotations

import random
import tracemalloc
from collections import Counter

import pytest

from allocator import (Geometry, InvalidHandle, ObjectOverflow, ObjectSizeError, Pool,
                       fullness_group)

REQ = 1560          # lands in class 1568: 5 pages, 13 objects
PAGES, OBJS = 5, 13


def _fill(pool: Pool, n: int, size: int = REQ) -> list[int]:
    return [pool.malloc(size) for _ in range(n)]


def _zid(pool: Pool, handle: int) -> int:
    return pool.locate(handle)[0]


def _row(pool: Pool, size: int):
    return next(r for r in pool.class_stats() if r.size == size)


# -- fullness groups -----------------------------------------------------------------


@pytest.mark.parametrize("inuse, objs, group", [
    (0, 13, 0), (13, 13, 11), (1, 13, 1),      # 7% -> "10%"
    (2, 13, 2),                                # 15% -> "20%"
    (5, 13, 4),                                # 38% -> "40%"
    (12, 13, 10),                              # 92% -> "99%"
    (9, 100, 1), (10, 100, 2), (89, 100, 9), (90, 100, 10), (99, 100, 10),
    (1, 2, 6),                                 # 50% -> "60%"
    (1, 1, 11), (0, 1, 0), (255, 256, 10), (1, 256, 1),
])
def test_fullness_group_boundaries(inuse, objs, group):
    assert fullness_group(inuse, objs) == group


def test_group_counts_follow_inuse():
    pool = Pool()
    a = _fill(pool, OBJS)
    b = _fill(pool, OBJS)
    for h in a[:8]:                # a keeps 5 of 13 = 38% -> "40%"
        pool.free(h)
    for h in b[:1]:                # b keeps 12 of 13 = 92% -> "99%"
        pool.free(h)
    row = _row(pool, 1568)
    assert row.groups == (0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0)
    assert (row.obj_allocated, row.obj_used, row.pages_used) == (26, 17, 10)


def test_malloc_takes_the_fullest_non_full_zspage():
    pool = Pool()
    a = _fill(pool, OBJS)
    b = _fill(pool, OBJS)
    za, zb = _zid(pool, a[0]), _zid(pool, b[0])
    assert za != zb
    for h in a[:10]:               # a: 3 of 13 = 23% -> group 3
        pool.free(h)
    for h in b[:3]:                # b: 10 of 13 = 76% -> group 8
        pool.free(h)
    assert _zid(pool, pool.malloc(REQ)) == zb
    assert _zid(pool, pool.malloc(REQ)) == zb
    assert _zid(pool, pool.malloc(REQ)) == zb      # b is full now
    assert _zid(pool, pool.malloc(REQ)) == za
    assert pool.total_pages == 2 * PAGES


def test_malloc_takes_the_head_of_a_group_and_unchanged_groups_keep_position():
    # Class 112 (a 100-byte request): 7 pages, 256 objects, so one free can leave
    # the group unchanged.
    pool = Pool()
    a = _fill(pool, 256, 100)
    b = _fill(pool, 256, 100)
    za = _zid(pool, a[0])
    for h in b[:200]:              # b: 56/256 = 21% -> group 3, inserted first
        pool.free(h)
    for h in a[:200]:              # a: 56/256 -> group 3, inserted later: the head
        pool.free(h)
    pool.free(b[200])              # b: 55/256 = 21%, same group, not moved to the head
    assert _row(pool, 112).groups[2] == 2
    assert _zid(pool, pool.malloc(100)) == za


def test_free_that_changes_group_inserts_at_head():
    pool = Pool()
    a = _fill(pool, OBJS)
    b = _fill(pool, OBJS)
    zb = _zid(pool, b[0])
    for h in a[:7]:                # a: 6/13 = 46% -> group 5
        pool.free(h)
    for h in b[:7]:                # b: 6/13 -> group 5, now the head
        pool.free(h)
    assert _zid(pool, pool.malloc(REQ)) == zb
    pool.free(a[7])                # a: 5/13 -> group 4; b: 7/13 -> group 6
    assert _zid(pool, pool.malloc(REQ)) == zb


def test_free_slots_are_reused_last_in_first_out():
    pool = Pool()
    hs = _fill(pool, 5)
    assert [pool.locate(h)[1] for h in hs] == [0, 1, 2, 3, 4]
    pool.free(hs[1])
    pool.free(hs[3])
    assert pool.locate(pool.malloc(REQ))[1] == 3
    assert pool.locate(pool.malloc(REQ))[1] == 1
    assert pool.locate(pool.malloc(REQ))[1] == 5
    pool.check()


def test_a_new_zspage_is_made_only_when_every_zspage_is_full():
    pool = Pool()
    hs = _fill(pool, OBJS)
    assert pool.total_pages == PAGES
    extra = pool.malloc(REQ)
    assert pool.total_pages == 2 * PAGES
    assert _zid(pool, extra) != _zid(pool, hs[0]) and pool.locate(extra)[1] == 0


def test_empty_zspage_is_released_at_once():
    pool = Pool()
    a = _fill(pool, OBJS)
    b = _fill(pool, 3)
    assert pool.total_pages == 2 * PAGES
    for h in b:
        pool.free(h)
    assert pool.total_pages == PAGES
    assert _row(pool, 1568).obj_allocated == OBJS
    for h in a:
        pool.free(h)
    assert pool.total_pages == 0 and pool.live_objects == 0
    assert pool.fragmentation().total == 0
    pool.check()


def test_single_object_costs_its_whole_zspage():
    pool = Pool()
    h = pool.malloc(100)           # class 112: 7 pages
    assert pool.total_pages == 7
    pool.free(h)
    assert pool.total_pages == 0


# -- write-only streams -----------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
@pytest.mark.parametrize("page_size", [4096, 16384])
def test_write_only_pages_equal_the_sum_over_classes(seed, page_size):
    rng = random.Random(seed)
    geo = Geometry(page_size=page_size)
    pool = Pool(geo)
    counts: Counter = Counter()
    for _ in range(3000):
        size = rng.randint(1, page_size)
        pool.malloc(size)
        counts[geo.class_for_request(size)] += 1
    expected = sum(-(-n // c.objs_per_zspage) * c.pages_per_zspage for c, n in counts.items())
    assert pool.total_pages == expected
    assert pool.compact() == 0      # a write-only stream leaves nothing to compact
    pool.check()


# -- compaction ---------------------------------------------------------------------------


def _five_zspages(pool: Pool, keep: list[int]) -> list[list[int]]:
    """Five full zspages of class 1568, then free all but keep[i] objects of zspage i."""
    zspages = [_fill(pool, OBJS) for _ in keep]
    for hs, k in zip(zspages, keep):
        for h in hs[k:]:
            pool.free(h)
    return [hs[:k] for hs, k in zip(zspages, keep)]


def test_compaction_frees_the_exact_pages_and_keeps_a_running_total():
    pool = Pool()
    live = _five_zspages(pool, [2, 3, 4, 1, 12])     # 22 live objects in 5 zspages
    data = {h: bytes([h % 251]) * REQ for hs in live for h in hs}
    for h, d in data.items():
        pool.write(h, d)
    assert pool.total_pages == 25
    assert _row(pool, 1568).freeable == 15           # (65 - 22) // 13 = 3 zspages
    assert pool.compact() == 15
    assert pool.pages_compacted == 15
    assert pool.total_pages == 10                    # ceil(22 / 13) = 2 zspages
    assert _row(pool, 1568).freeable == 0
    for h, d in data.items():
        assert pool.read(h) == d
    pool.check()
    assert pool.compact() == 0
    assert pool.pages_compacted == 15
    # Now one zspage is full and one holds 9. Free 9 from the full one (13 live
    # left, neither zspage empty): compaction can merge them, and the total runs on.
    by_zspage: dict[int, list[int]] = {}
    for h in data:
        by_zspage.setdefault(_zid(pool, h), []).append(h)
    assert sorted(len(hs) for hs in by_zspage.values()) == [9, 13]
    fuller = max(by_zspage.values(), key=len)
    for h in fuller[:9]:
        pool.free(h)
    assert pool.total_pages == 2 * PAGES
    freed = pool.compact()
    assert freed == PAGES and pool.pages_compacted == 15 + PAGES
    assert pool.total_pages == PAGES


def test_compaction_moves_the_emptiest_into_the_fullest():
    pool = Pool()
    full, empty = _five_zspages(pool, [12, 1])
    dst = _zid(pool, full[0])
    (mover,) = empty
    # full's only free slot is its last one, 12.
    assert pool.compact() == PAGES
    assert pool.locate(mover) == (dst, 12)


def test_compaction_stops_when_nothing_can_be_freed():
    pool = Pool()
    live = _five_zspages(pool, [7, 7])  # 14 live: still needs 2 zspages
    where = {h: pool.locate(h) for hs in live for h in hs}
    assert _row(pool, 1568).freeable == 0
    assert pool.compact() == 0
    assert pool.total_pages == 2 * PAGES
    assert {h: pool.locate(h) for h in where} == where      # and nothing moved


def test_compaction_moves_data_into_a_zspage_of_sizes_only_objects():
    """A zspage holding only sizes-only objects has no frames; objects with bytes
    migrating into it give it frames, and read back the same."""
    pool = Pool()
    sizes_only = _fill(pool, OBJS)              # zspage A: no frames
    with_data = _fill(pool, 2)                  # zspage B: two objects with bytes
    data = {h: bytes([h]) * REQ for h in with_data}
    for h, d in data.items():
        pool.write(h, d)
    for h in sizes_only[2:]:
        pool.free(h)                            # A keeps 2 of 13: B (2 of 13) is emptied into it
    za = _zid(pool, sizes_only[0])
    assert pool.compact() == PAGES
    assert {h: (pool.locate(h)[0], pool.read(h)) for h in with_data} == {
        h: (za, d) for h, d in data.items()}
    pool.check()


def test_malloc_with_data_writes_it_and_refuses_more_than_the_size():
    pool = Pool()
    h = pool.malloc(REQ, b"x" * REQ)
    assert pool.read(h) == b"x" * REQ
    with pytest.raises(ObjectOverflow, match=f"{REQ + 1} bytes do not fit in a {REQ}-byte"):
        pool.malloc(REQ, b"x" * (REQ + 1))
    assert (pool.live_objects, pool.total_pages) == (1, PAGES)    # the refused one is freed
    pool.check()


@pytest.mark.parametrize("seed", [5, 6, 7])
def test_full_compaction_leaves_ceil_live_over_objs_zspages(seed):
    rng = random.Random(seed)
    pool = Pool()
    handles = [pool.malloc(rng.randint(1, 4096)) for _ in range(4000)]
    rng.shuffle(handles)
    for h in handles[:2500]:
        pool.free(h)
    before = pool.total_pages
    freed = pool.compact()
    assert before - freed == pool.total_pages and freed > 0
    for row in pool.class_stats():
        assert row.zspages == -(-row.obj_used // row.objs_per_zspage)
        assert row.freeable == 0
    pool.check()


# -- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, -1, 4097])
def test_malloc_refuses_bad_sizes(size):
    with pytest.raises(ObjectSizeError):
        Pool().malloc(size)


def test_16k_pool_accepts_a_whole_16k_object():
    pool = Pool(Geometry(page_size=16384))
    pool.malloc(16384)
    with pytest.raises(ObjectSizeError):
        pool.malloc(16385)


@pytest.mark.parametrize("op", ["free", "read", "write", "size_of", "locate"])
def test_unknown_and_freed_handles_are_refused(op):
    pool = Pool()
    h = pool.malloc(100)
    other = pool.malloc(100)
    pool.free(h)
    call = {"free": pool.free, "read": pool.read, "size_of": pool.size_of,
            "locate": pool.locate, "write": lambda x: pool.write(x, b"x")}[op]
    for bad in (h, 0, -1, other + 1, 10**6):
        with pytest.raises(InvalidHandle):
            call(bad)
    call(other)                     # the live one still works


def test_write_longer_than_the_object_overflows():
    pool = Pool()
    h = pool.malloc(100)
    pool.write(h, bytes(100))
    with pytest.raises(ObjectOverflow):
        pool.write(h, bytes(101))


def test_handles_are_never_zero_and_never_live_twice():
    pool = Pool()
    rng = random.Random(8)
    live: set[int] = set()
    for _ in range(3000):
        if live and rng.random() < 0.4:
            h = rng.choice(sorted(live))
            pool.free(h)
            live.remove(h)
        else:
            h = pool.malloc(rng.randint(1, 4096))
            assert h > 0 and h not in live
            live.add(h)
    assert set(pool.handles()) == live
    pool.check()


# -- frames and data ----------------------------------------------------------------------


def test_sizes_only_pool_allocates_no_frames():
    pool = Pool()
    hs = _fill(pool, 1000, 2000)
    assert all(z.frames is None for z in pool._zspages if z is not None)
    assert pool.read(hs[0]) == bytes(2000)          # never written: zeros
    for h in hs[::2]:
        pool.free(h)
    pool.compact()
    assert all(z.frames is None for z in pool._zspages if z is not None)


def test_sizes_only_memory_stays_far_below_the_data_size():
    pool = Pool()
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        hs = _fill(pool, 10_000, 2000)
        grown = tracemalloc.get_traced_memory()[0] - start
    finally:
        tracemalloc.stop()
    assert pool.total_pages * 4096 >= 10_000 * 2000
    # 5000 zspages of class 2048 (1 page, 2 objects): 20 MB of frames if materialised.
    assert grown < 4_000_000
    assert len(hs) == 10_000


def test_spanning_object_round_trips_and_is_counted():
    pool = Pool()
    hs = _fill(pool, 3)
    # Slot 2 starts at 3136; its data at 3144 runs 952 bytes in page 0, 608 in page 1.
    assert pool.locate(hs[2])[1] == 2
    data = bytes(random.Random(9).randrange(256) for _ in range(REQ))
    pool.write(hs[0], data)
    assert (pool.spanning_writes, pool.spanning_reads) == (0, 0)
    pool.write(hs[2], data)
    assert pool.spanning_writes == 1
    assert pool.read(hs[2]) == data
    assert pool.spanning_reads == 1
    assert pool.read(hs[0]) == data
    assert pool.spanning_reads == 1
    pool.write(hs[2], data), pool.read(hs[2])
    assert (pool.spanning_writes, pool.spanning_reads) == (2, 2)
    frames = pool._zspages[_zid(pool, hs[2])].frames
    assert frames[0][3136:3144] == (hs[2] << 1 | 1).to_bytes(8, "little")
    assert frames[0][3144:] == data[:952] and frames[1][:608] == data[952:]


def test_a_short_write_to_a_spanning_slot_does_not_span():
    pool = Pool()
    hs = _fill(pool, 3)
    pool.write(hs[2], b"abc")
    assert pool.spanning_writes == 0
    assert pool.read(hs[2]) == b"abc" + bytes(REQ - 3)


def test_huge_object_fills_its_page():
    pool = Pool()
    data = bytes(range(256)) * 16
    h = pool.malloc(4096)
    pool.write(h, data)
    assert pool.total_pages == 1
    assert pool._zspages[_zid(pool, h)].frames[0] == data      # no header in huge objects
    assert pool.read(h) == data
    assert (pool.spanning_writes, pool.spanning_reads) == (0, 0)
    assert pool.size_of(h) == 4096


def test_huge_threshold_in_the_pool():
    pool = Pool()
    pool.malloc(3624)
    assert pool.total_pages == 8            # class 3632: 8 pages, 9 objects
    pool.malloc(3625)
    assert pool.total_pages == 9            # the huge class: one page


# -- introspection and the checker -------------------------------------------------------


def test_zspages_lists_handles_per_slot_with_zero_for_free():
    pool = Pool()
    hs = _fill(pool, 4)
    pool.free(hs[1])
    (geo, zid, slots), = list(pool.zspages())
    assert (geo.size, zid) == (1568, _zid(pool, hs[0]))
    assert slots == [hs[0], 0, hs[2], hs[3]] + [0] * 9


@pytest.mark.parametrize("corrupt, message", [
    ("inuse", "zspage 1 in group 10, fullness says 9"),
    ("free_list", "zspage 1: slot 5 live and free"),
    ("loc", "handle 2 points elsewhere than slot 1"),
    ("group", "zspage 1 in group 3, fullness says 10"),
    ("full_list", "class 1568: an empty or full zspage is on a list"),
    ("group_1", "zspage 2 in group 1, fullness says 6"),
    ("table", "handle 21 table entry disagrees with the zspages"),
])
def test_check_catches_corruption(corrupt, message):
    """20 objects of class 1568: zspage 1 full (13), zspage 2 holds 7 (group 6);
    freeing slot 0 of zspage 1 leaves it 12 of 13 (group 10)."""
    from allocator import InvariantError
    pool = Pool()
    hs = _fill(pool, 20)
    pool.free(hs[0])
    pool.check()
    zspage = pool._zspages[_zid(pool, hs[1])]
    second = pool._zspages[_zid(pool, hs[19])]
    if corrupt == "inuse":
        zspage.inuse -= 1
    elif corrupt == "free_list":
        zspage.freeobj = 5            # a live slot at the head of the free list
    elif corrupt == "loc":
        pool._loc[hs[1]] = pool._loc[hs[2]]
    elif corrupt == "group":
        zspage.cls.groups[3][zspage] = None     # listed in a second, wrong group
    elif corrupt == "full_list":
        zspage.cls.groups[11][zspage] = None
    elif corrupt == "group_1":
        second.cls.groups[1][second] = None
    else:
        pool._loc.append(pool._loc[hs[1]])      # a handle no slot holds
    with pytest.raises(InvariantError) as info:
        pool.check()
    assert str(info.value) == message


# -- compaction order, worked by hand from spec §1.8 -----------------------------------------


def test_compaction_migrates_in_ascending_slot_order_into_the_head_of_group_10():
    """Spec §1.8 step 3: the source's objects move in ascending slot order.

    Three full zspages A, B, C of class 1568 (13 objects each, filled in that
    order). Freeing slot 12 of A, then slot 12 of C puts both in group 10 (12/13
    = 92%), C at the head; freeing slots 2..12 of B leaves it in group 2 (2/13).
    39 allocated - 26 used = 13 spare slots: one zspage's worth to free. The first
    destination is C (head of group 10), the source B (the only zspage in groups
    1..9): B's slot 0 fills C's slot 12 and C is full, so the next destination is
    A, which takes B's slot 1; B is empty and released (5 pages).
    """
    pool = Pool()
    a, b, c = (_fill(pool, OBJS) for _ in range(3))
    assert [pool.locate(h)[1] for h in b] == list(range(OBJS))
    pool.free(a[12])
    pool.free(c[12])
    for h in b[2:]:
        pool.free(h)
    za, zc = _zid(pool, a[0]), _zid(pool, c[0])
    assert pool.compact() == PAGES
    assert pool.locate(b[0]) == (zc, 12)
    assert pool.locate(b[1]) == (za, 12)
    pool.check()


def _one_zspage_to_free(pool: Pool, request: int) -> int:
    """Two zspages of ``request``'s class: one short of full, one holding a single
    object. Compaction moves that object and releases its zspage, whose id this returns."""
    objs = pool.geometry.class_for_request(request).objs_per_zspage
    first, second = _fill(pool, objs, request), _fill(pool, objs, request)
    pool.free(first[-1])
    for h in second[1:]:
        pool.free(h)
    return _zid(pool, second[0])


def test_compaction_walks_classes_from_the_largest_down():
    """Spec §1.8: classes are compacted from index 254 down to 0.

    Class 1568 and class 512 each have one zspage to free. Walking down, the
    1568 zspage is released first, the 512 one last. A released zspage's id is
    the next one a new zspage gets (most recently released first), so the next
    two new zspages get the 512 zspage's id, then the 1568 one's.
    """
    pool = Pool()
    big = _one_zspage_to_free(pool, 1560)
    small = _one_zspage_to_free(pool, 500)
    assert pool.compact() == PAGES + 1          # 5 pages of class 1568, 1 of class 512
    fresh = [pool.malloc(3000), pool.malloc(2000)]   # classes 3072 and 2048: new zspages
    assert [_zid(pool, h) for h in fresh] == [small, big]
    pool.check()
