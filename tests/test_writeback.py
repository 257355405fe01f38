"""Writeback, the backing device and bd_stat, each rule worked out by hand from the spec.

Spec §2.11 (6.13-6.18): candidates go into 65 buckets by ``obj_size // 64``
(a huge page, 4096 bytes, is bucket 64), the highest bucket first, and within a
bucket the last collected first (descending slot index for one scan). Blocks
are the lowest free from 1 up (block 0 is never used). Each page first checks
the budget (EIO), then takes a block (ENOSPC). Sizes-only writes (``size:``)
give exact object sizes without compressing anything.
"""

from __future__ import annotations

import os

import pytest

from zramsim import ZramDevice
from zramsim.attributes import Sysfs
from zramsim.backing_dev import BackingDevice

PAGE = 4096


def device_with(sizes: list[int], backing: str = "64K", **kw) -> tuple[ZramDevice, Sysfs]:
    dev = ZramDevice(**kw)
    fs = Sysfs(dev)
    assert fs.write("backing_dev", backing).ok
    for index, size in enumerate(sizes):
        assert dev.write_size(index, size)
    return dev, fs


def test_block_zero_is_never_used():
    # 64K / 4096 = 16 blocks, numbered 0..15; handle 0 means "none", so 1..15 serve.
    bd = BackingDevice(64 * 1024)
    assert (bd.nr_pages, bd.capacity) == (16, 15)
    assert [bd.alloc() for _ in range(16)] == list(range(1, 16)) + [0]
    assert bd.bd_count == 15
    bd.free(7)
    assert (bd.alloc(), bd.alloc()) == (7, 0)     # the lowest free block comes back


def test_order_is_largest_bucket_first_then_lifo():
    # slot: size -> bucket (size // 64): 0: 100 -> 1; 1: 4000 is huge, stored 4096 -> 64;
    # 2: 130 -> 2; 3: 120 -> 1; 4: 3000 -> 46; 5: 127 -> 1.
    # Order: bucket 64 [1], 46 [4], 2 [2], then bucket 1 collected 0, 3, 5 and taken
    # last-in first: 5, 3, 0. Blocks 1, 2, 3, ... in that order.
    dev, fs = device_with([100, 4000, 130, 120, 3000, 127])
    result = fs.write("writeback", "page_indexes=0-5")
    assert result.ok, result.describe()
    assert [dev.block_of(i) for i in range(6)] == [6, 1, 3, 5, 2, 4]
    assert result.decisions[0] == "slot 1 (huge, 4096 bytes, bucket 64) -> block 1"
    dev.check()


def test_type_filters_and_legacy_words():
    dev, fs = device_with([100, 4000, 130, 4000])
    assert fs.write("writeback", "type=huge").reason == "2 of 2 candidates written back"
    # the two huge slots (1 and 3): LIFO in bucket 64, so slot 3 takes block 1
    assert [dev.block_of(i) for i in range(4)] == [0, 2, 0, 1]
    assert fs.write("writeback", "idle").reason == "0 of 0 candidates written back"
    assert fs.write("idle", "all").ok
    assert fs.write("writeback", "huge_idle").reason == "0 of 0 candidates written back"
    assert fs.write("writeback", "idle").reason == "2 of 2 candidates written back"
    assert dev.block_of(2) == 3 and dev.block_of(0) == 4     # 130 (bucket 2) before 100 (1)
    assert fs.write("writeback", "type=idle_huge").errno == "EINVAL"
    assert fs.write("writeback", "incompressible").reason == "0 of 0 candidates written back"
    dev.check()


def test_page_index_syntax_and_ranges():
    dev, fs = device_with([100] * 4, disksize=4 * PAGE)
    assert fs.write("writeback", "page_index=9").errno == "ERANGE"       # 4 slots
    assert fs.write("writeback", "page_indexes=2-1").errno == "ERANGE"
    assert fs.write("writeback", "page_indexes=2").errno == "EINVAL"
    assert fs.write("writeback", "page_index=x").errno == "EINVAL"
    assert fs.write("writeback", "page_index=2 page_index=0").ok
    # each page_index scans right away: collected 2 then 0, taken 0 then 2 (LIFO)
    assert (dev.block_of(0), dev.block_of(2)) == (1, 2)
    assert fs.write("writeback", "page_indexes=0-3").reason == "2 of 2 candidates written back"
    assert (dev.block_of(3), dev.block_of(1)) == (3, 4)


def test_enospc_after_partial_work_and_counters():
    # 20 huge pages, room for 15: slots 19 down to 5 go to blocks 1..15, then ENOSPC.
    dev, fs = device_with([4000] * 20)
    result = fs.write("writeback", "huge")
    assert result.errno == "ENOSPC" and len(result.decisions) == 15
    assert [dev.block_of(i) for i in (19, 5, 4, 0)] == [1, 15, 0, 0]
    b, m = dev.bd_stat(), dev.mm_stat()
    assert (b.bd_count, b.bd_reads, b.bd_writes) == (15, 0, 15)
    # orig_data_size still counts all 20 pages; 5 huge remain, 4096 bytes and a page each.
    assert (m.orig_data_size, m.compr_data_size, m.mem_used_total) == (20 * PAGE, 5 * PAGE,
                                                                       5 * PAGE)
    assert (m.huge_pages, m.huge_pages_since) == (5, 20)
    assert dev.stats().pages_stored == 20
    dev.check()


def test_writeback_limit_eio_and_units():
    dev, fs = device_with([4000] * 10)
    assert fs.write("writeback_limit", "3").ok and fs.write("writeback_limit_enable", "1").ok
    result = fs.write("writeback", "huge")
    # 3 pages of 4 KiB spend the 3 units; the 4th page finds the budget at 0: EIO.
    assert result.errno == "EIO" and len(result.decisions) == 3
    assert fs.limit.pages == 0 and dev.bd_stat().bd_writes == 3
    again = fs.write("writeback", "huge")
    assert again.errno == "EIO" and not again.decisions
    # no candidates at all: nothing is checked, the write succeeds
    assert fs.write("writeback", "incompressible").ok
    # disabled, the spent budget does not matter
    assert fs.write("writeback_limit_enable", "0").ok
    assert fs.write("writeback", "huge").ok and dev.bd_stat().bd_count == 10
    assert fs.write("writeback_limit", "-1").errno == "EINVAL"
    dev.check()


def test_spent_limit_wins_over_full_backing_device():
    dev, fs = device_with([4000] * 3, backing="4K")       # one block: block 0, unusable
    assert fs.write("writeback", "huge").errno == "ENOSPC"
    fs.write("writeback_limit_enable", "1")                # limit 0 and enabled
    assert fs.write("writeback", "huge").errno == "EIO"    # the budget is checked first
    assert dev.bd_stat().bd_count == 0                     # no block leaked


def test_read_free_and_reuse_of_blocks():
    dev = ZramDevice(verify=True)
    fs = Sysfs(dev)
    fs.write("backing_dev", "64K")
    pages = [os.urandom(PAGE) for _ in range(3)]            # random: huge under lz4
    for i, page in enumerate(pages):
        dev.write(i, page)
    assert fs.write("writeback", "huge").ok                 # slots 2, 1, 0 -> blocks 1, 2, 3
    assert dev.read(1) == pages[1]                          # from block 2
    assert (dev.bd_stat().bd_reads, dev.bd_stat().bd_count, dev.block_of(1)) == (1, 3, 2)
    # an overwrite and a discard release their blocks; orig_data_size follows pages_stored
    dev.write(1, bytes(PAGE))
    dev.discard(2)
    b, m, io = dev.bd_stat(), dev.mm_stat(), dev.io_stat()
    assert (b.bd_count, b.bd_reads, b.bd_writes) == (1, 1, 3)
    assert (m.orig_data_size, m.compr_data_size, m.same_pages, m.huge_pages) == (
        2 * PAGE, 0, 1, 0)
    assert io.notify_free == 1
    dev.write(2, pages[2])                                  # huge again
    assert fs.write("writeback", "huge").ok
    assert dev.block_of(2) == 1                             # the lowest free block, again
    assert dev.read(2) == pages[2] and dev.read(0) == pages[0]
    dev.check()


def test_errors_before_any_work():
    dev = ZramDevice()
    fs = Sysfs(dev)
    assert fs.write("writeback", "huge").errno == "ENODEV"
    assert fs.write("backing_dev", "64K").errno == "EBUSY"   # writeback initialised it
    dev2 = ZramDevice()
    fs2 = Sysfs(dev2)
    assert fs2.write("backing_dev", "0").errno == "EINVAL"
    assert fs2.write("backing_dev", "4095").errno == "EINVAL"  # less than a page
    assert fs2.write("backing_dev", "/dev/sdb1").errno == "ENOENT"


@pytest.mark.parametrize("backing, pages", [("64K", 15), ("1M", 255), ("8192", 1)])
def test_capacity_is_blocks_minus_one(backing, pages):
    dev, fs = device_with([4000] * 300, backing=backing)
    fs.write("writeback", "huge")
    assert dev.bd_stat().bd_count == pages


def test_writeback_and_recompression_of_slots_far_apart():
    """Slots past the flat rows (10**8) are written back, read back and freed like slot 5.

    Two random pages are huge (slots 5 and 10**8 + 3), two text pages are not;
    ``writeback huge`` moves exactly the two huge ones to blocks 1 and 2, reading
    them back counts 2 bd_reads, and discarding 10**8 .. 3 * 10**8 - 1 releases
    one block.
    """
    import random

    from zramsim.slot_flags import WB
    from zramsim.stats import BdStat
    rng = random.Random(17)
    far = 10**8
    pages = {0: b"zram " * 819 + b"z", 5: rng.randbytes(4096),
             far: b"slot " * 819 + b"s", far + 3: rng.randbytes(4096)}
    dev = ZramDevice(None, "lz4", verify=True)
    fs = Sysfs(dev)
    assert fs.write("backing_dev", "64K").ok
    for index, page in pages.items():
        assert dev.write(index, page)
    assert fs.write("writeback", "huge").ok
    dev.check()
    assert (dev.slot_flags(5) & WB, dev.slot_flags(far + 3) & WB) == (WB, WB)
    assert {dev.block_of(5), dev.block_of(far + 3)} == {1, 2}
    assert dev.bd_stat() == BdStat(bd_count=2, bd_reads=0, bd_writes=2)
    for index, page in pages.items():
        assert dev.read(index) == page
    assert dev.bd_stat().bd_reads == 2
    dev.discard(far, 2 * far)
    dev.check()
    assert dev.bd_stat().bd_count == 1 and dev.pages_stored == 2
