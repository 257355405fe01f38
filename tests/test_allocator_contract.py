"""One contract for every allocator in ALLOCATORS, plus each one's exact packing.

The contract is what compare relies on: handles round-trip the bytes written, sizes
outside 1..max_size are refused, freed handles are dead, pages are released
when their last object goes, the fragmentation fields add up to the pages held,
and check() holds after every step of a random run.
"""

from __future__ import annotations

import random

import pytest

from allocator import InvalidHandle, InvariantError, ObjectOverflow, ObjectSizeError
from allocator.interface import ALLOCATORS, Allocator
from allocator.single_page import single_page_classes

NAMES = sorted(ALLOCATORS)


@pytest.fixture(params=NAMES)
def alloc(request) -> Allocator:
    return ALLOCATORS[request.param]()


def test_registry_names_match_allocators():
    assert NAMES == ["single-page", "z3fold", "zbud", "zsmalloc"]
    for name, factory in ALLOCATORS.items():
        a = factory()
        assert a.name == name
        assert isinstance(a, Allocator)
        assert a.page_size == 4096


def test_round_trip_at_every_edge(alloc):
    sizes = [1, 31, 32, 33, 100, 1560, 2047, 2048, 3000, alloc.max_size]
    handles = {}
    for n, size in enumerate(sizes):
        h = alloc.malloc(size)
        assert h > 0 and h not in handles
        data = bytes((n + i) % 251 for i in range(size))
        alloc.write(h, data)
        handles[h] = data
        alloc.check()
    for h, data in handles.items():
        assert alloc.read(h) == data
    short = bytes(range(10))         # a short write: the rest of the object is unspecified
    h = alloc.malloc(100)
    alloc.write(h, short)
    got = alloc.read(h)
    assert len(got) == 100 and got[:10] == short


def test_sizes_outside_range_are_refused(alloc):
    for bad in (0, -1, alloc.max_size + 1):
        with pytest.raises(ObjectSizeError):
            alloc.malloc(bad)
    assert alloc.total_pages == 0


def test_overflow_and_dead_handles(alloc):
    h = alloc.malloc(50)
    with pytest.raises(ObjectOverflow):
        alloc.write(h, bytes(51))
    alloc.free(h)
    for op in (alloc.free, alloc.read):
        with pytest.raises(InvalidHandle):
            op(h)
    with pytest.raises(InvalidHandle):
        alloc.write(h, b"x")
    assert alloc.total_pages == 0
    assert list(alloc.handles()) == []


def test_pages_released_when_last_object_freed(alloc):
    handles = [alloc.malloc(1200) for _ in range(40)]
    assert alloc.total_pages > 0
    for h in handles:
        alloc.free(h)
        alloc.check()
    assert alloc.total_pages == 0
    assert alloc.fragmentation().total == 0


def test_random_run_keeps_invariants_and_accounts_every_byte(alloc):
    rng = random.Random(9)
    live: dict[int, tuple[int, bytes]] = {}
    for step in range(600):
        if live and rng.random() < 0.4:
            h = rng.choice(sorted(live))
            size, data = live.pop(h)
            got = alloc.read(h)
            assert len(got) == size and got[:len(data)] == data
            alloc.free(h)
        else:
            size = rng.randint(1, alloc.max_size)
            h = alloc.malloc(size)
            data = rng.randbytes(rng.randint(0, size))
            alloc.write(h, data)
            live[h] = (size, data)
        if step % 50 == 0:
            alloc.compact()
        alloc.check()
        frag = alloc.fragmentation()
        assert frag.total == alloc.total_pages * alloc.page_size
        assert frag.requested == sum(size for size, _ in live.values())
    assert sorted(alloc.handles()) == sorted(live)
    for h, (size, data) in live.items():
        assert alloc.read(h)[:len(data)] == data


@pytest.mark.parametrize("name, size, pages", [
    ("zsmalloc", 2100, 536), ("single-page", 2100, 1000), ("zbud", 2100, 1000),
    ("z3fold", 2100, 1000),
    ("zsmalloc", 1200, 300), ("single-page", 1200, 334), ("zbud", 1200, 500),
    ("z3fold", 1200, 334),
    ("zsmalloc", 700, 177), ("single-page", 700, 200), ("zbud", 700, 500),
    ("z3fold", 700, 334),
    ("zsmalloc", 1560, 385), ("single-page", 1560, 500), ("zbud", 1560, 500),
    ("z3fold", 1560, 500),
])
def test_thousand_objects_pages(name, size, pages):
    a = ALLOCATORS[name]()
    for _ in range(1000):
        a.malloc(size)
    assert a.total_pages == pages


def test_zbud_limits_and_breakdown():
    a = ALLOCATORS["zbud"]()
    assert a.max_size == 3968
    a.malloc(3968)                   # 62 chunks: a page to itself
    with pytest.raises(ObjectSizeError):
        a.malloc(3969)
    b = ALLOCATORS["zbud"]()
    b.malloc(1200), b.malloc(1200)
    frag = b.fragmentation()
    assert (frag.requested, frag.headers, frag.class_rounding, frag.unused_slots,
            frag.tail_waste) == (2400, 64, 32, 1600, 0)


def test_zbud_best_fit_takes_the_tightest_page():
    a = ALLOCATORS["zbud"]()
    big = a.malloc(2560)             # 40 chunks: page 1 has 23 free
    small = a.malloc(640)            # 10 chunks: page 1 fits, becomes full (2 buddies)
    a.malloc(2560)                   # page 2, 23 free
    a.malloc(3200)                   # 50 chunks: page 3, 13 free
    a.malloc(700)                    # 11 chunks: best fit is page 3 (13 free), not page 2
    assert a.total_pages == 3
    a.free(small), a.free(big)
    assert a.total_pages == 2
    a.check()


def test_z3fold_headless_pages():
    a = ALLOCATORS["z3fold"]()
    assert a.max_size == 4096
    hs = [a.malloc(4000) for _ in range(3)]
    assert a.total_pages == 3
    frag = a.fragmentation()
    assert (frag.headers, frag.class_rounding, frag.unused_slots) == (0, 3 * 96, 0)
    for h in hs:
        a.free(h)
    assert a.total_pages == 0


def test_single_page_classes_merge_by_objects_per_page():
    table = single_page_classes(4096)
    assert len(table) == 30
    assert table[-3:] == [(63, 1360, 3), (84, 2048, 2), (127, 4096, 1)]
    assert table[0] == (0, 32, 128)
    a = ALLOCATORS["single-page"]()
    assert (a.class_size(2040), a.objects_per_page(2040)) == (2048, 2)
    assert (a.class_size(2041), a.objects_per_page(2041)) == (4096, 1)


def test_check_catches_a_corrupted_table():
    for name in ("single-page", "zbud"):
        a = ALLOCATORS[name]()
        h = a.malloc(100)
        a._sizes[h + 1] = 100        # a handle that no page holds
        with pytest.raises(InvariantError):
            a.check()


def test_refusals_name_the_problem(alloc):
    with pytest.raises(ObjectSizeError, match=f"cannot allocate 0 bytes: objects are 1 to "
                                              f"{alloc.max_size} bytes"):
        alloc.malloc(0)
    h = alloc.malloc(10)
    with pytest.raises(ObjectOverflow, match="11 bytes do not fit in a 10-byte object"):
        alloc.write(h, bytes(11))
    alloc.free(h)
    with pytest.raises(InvalidHandle, match=f"handle {h} is not allocated"):
        alloc.read(h)


@pytest.mark.parametrize("name", ["single-page", "z3fold", "zbud"])
def test_object_table_allocators_read_unwritten_bytes_as_zeros(name):
    """Their objects live in a table, not in frames: a fresh object, and a handle
    given out again after a free, read as zeros until written; nothing compacts."""
    alloc = ALLOCATORS[name]()
    h = alloc.malloc(40)
    assert alloc.read(h) == bytes(40)
    alloc.write(h, b"\xff" * 40)
    alloc.free(h)
    again = alloc.malloc(40)
    assert again == h and alloc.read(again) == bytes(40)
    assert alloc.compact() == 0


def test_zsmalloc_takes_its_page_size():
    alloc = ALLOCATORS["zsmalloc"](16384)
    assert (alloc.page_size, alloc.max_size, alloc.geometry.page_size) == (16384, 16384, 16384)
    h = alloc.malloc(16384)
    assert alloc.total_pages == 1
    alloc.write(h, b"z" * 16384)
    assert alloc.read(h) == b"z" * 16384


def test_buddies_share_a_page_up_to_the_largest_buddy():
    """zbud and z3fold split a page into 63 usable chunks of 64 bytes: a 1-chunk
    object leaves 62 free, which the next 1-chunk object takes; 3968 bytes
    (62 chunks) is still a buddy, so a 50-byte object (1 chunk) joins it."""
    for name in ("zbud", "z3fold"):
        a = ALLOCATORS[name]()
        a.malloc(64), a.malloc(64)
        assert a.total_pages == 1, name
        b = ALLOCATORS[name]()
        b.malloc(3968), b.malloc(50)
        assert b.total_pages == 1, name


def test_single_page_fragmentation_by_hand():
    """Three 100-byte objects: 108 bytes with the handle, class 112, 36 to a page.
    requested 300, headers 3 x 8, rounding 3 x 104 - 300 = 12, 33 free slots of
    112 = 3696, tail 4096 - 36 x 112 = 64: 4096 in all. A 4096-byte object is huge:
    its own page, no header."""
    a = ALLOCATORS["single-page"]()
    for _ in range(3):
        a.malloc(100)
    f = a.fragmentation()
    assert (f.requested, f.headers, f.class_rounding, f.unused_slots, f.tail_waste) == (
        300, 24, 12, 3696, 64)
    a.malloc(4096)
    f = a.fragmentation()
    assert (f.requested, f.headers, f.total) == (4396, 24, 2 * 4096)


def _zbud_pair():
    a = ALLOCATORS["zbud"]()
    h1, h2 = a.malloc(100), a.malloc(100)       # 2 chunks each: buddies in page 1
    return a, a._pages[1], h1, h2


def _zbud_corruptions():
    def listed_wrong(a, page, h1, h2):
        for pages in a._unbuddied:
            pages.pop(1, None)
        a._unbuddied[5][1] = None

    def headless_shared(a, page, h1, h2):
        z = ALLOCATORS["z3fold"]()
        big = z.malloc(4000)
        z._pages[z._where[big]].objects[big + 1] = 0
        return z

    return [
        (lambda a, p, h1, h2: p.objects.clear(), "empty page 1 was not released"),
        (headless_shared, "headless page 1 holds several"),
        (lambda a, p, h1, h2: p.objects.__setitem__(99, 2), "page 1 holds 3 objects"),
        (lambda a, p, h1, h2: p.objects.__setitem__(h1, 70), "page 1 overflows"),
        (listed_wrong, "page 1 on list 5, should be None"),    # two buddies: full, unlisted
        (lambda a, p, h1, h2: a._where.__setitem__(h1, 7), "handle 1 misplaced"),
        (lambda a, p, h1, h2: a._sizes.__setitem__(h1, 200), "handle 1: 2 chunks for 200 bytes"),
        (lambda a, p, h1, h2: a._unbuddied[10].__setitem__(9, None),
         "a released page is still listed"),
        (lambda a, p, h1, h2: a._sizes.__setitem__(9, 5), "live handles and placed objects differ"),
    ]


@pytest.mark.parametrize("corrupt, message", _zbud_corruptions())
def test_zbud_check_names_each_corruption(corrupt, message):
    """Two 100-byte buddies (2 chunks each) fill page 1, which is then on no list."""
    a, page, h1, h2 = _zbud_pair()
    a.check()
    a = corrupt(a, page, h1, h2) or a
    with pytest.raises(InvariantError) as info:
        a.check()
    assert str(info.value) == message


def _single_page_corruptions():
    def emptied(a, page, handles, free):
        a._pages[page][1][:] = [0] * len(a._pages[page][1])
        free[:] = list(range(len(a._pages[page][1])))

    return [
        (lambda a, p, hs, free: free.append(free[0]), "page 1: a slot is free twice"),
        (lambda a, p, hs, free: free.remove(3),
         "page 1: slot 3 free-list disagrees with its handle"),
        (lambda a, p, hs, free: (free.remove(3), a._pages[p][1].__setitem__(3, hs[0])),
         "handle 1 is live twice"),
        (lambda a, p, hs, free: a._where.__setitem__(hs[1], (p, 7)),
         "handle 2 points elsewhere than page 1 slot 1"),
        (lambda a, p, hs, free: a._sizes.__setitem__(hs[1], 3000),
         "handle 2 sits in a foreign class"),
        (emptied, "empty page 1 was not released"),
        (lambda a, p, hs, free: a._pages[p][0].partial.pop(p), "page 1: partial list wrong"),
        (lambda a, p, hs, free: setattr(a, "_requested", 301), "requested bytes miscounted"),
    ]


@pytest.mark.parametrize("corrupt, message", _single_page_corruptions())
def test_single_page_check_names_each_corruption(corrupt, message):
    """Three 100-byte objects in slots 0, 1, 2 of page 1 (class 112, 36 slots)."""
    a = ALLOCATORS["single-page"]()
    handles = [a.malloc(100) for _ in range(3)]
    a.check()
    corrupt(a, 1, handles, a._free_slots[1])
    with pytest.raises(InvariantError) as info:
        a.check()
    assert str(info.value) == message


def test_an_invalid_handle_prints_its_message_unquoted():
    assert str(InvalidHandle("handle 7 is not allocated")) == "handle 7 is not allocated"
    assert str(InvalidHandle()) == "invalid handle"
