"""Recompression and idle marking, each rule worked out by hand from the spec (§2.10, §2.12).

The class-improvement rule needs exact compressed lengths, so these tests use
``Scripted``: a compressor whose output length for a page is written in the
page itself (bytes 2k..2k+1 give the length under the compressor of priority
k), and which decompresses by remembering what it produced. Class indexes
(chain 8, 4 KiB): ``class_index(n) = ceil((n - 32) / 16)``, then merging:

* 990 -> index 60 (class 992: 8 pages, 33 objects);
* 1000, 1001 -> index 61 (class 1008: 1 page, 4 objects, waste 64) which has
  the same pages and objects as 62 (1024: 1 page, 4 objects), so it merged
  into 62: both lengths are "class 62";
* 3630 -> 225 (class 3632, the last non-huge class); 3633 .. 4096 -> 254.
"""

from __future__ import annotations

import hashlib

from zramsim import ZramDevice
from zramsim.attributes import Sysfs
from zramsim.backing_dev import BackingDevice
from zramsim.idle import block_state, mark_idle
from zramsim.recompress import recompress

PAGE = 4096
NS = 10 ** 9


class Scripted:
    """Compressed length = the u16 at bytes 2*priority of the page."""

    def __init__(self, priority: int, name: str = "scripted") -> None:
        self.priority = priority
        self.name = f"{name}{priority}"
        self.seen: dict[bytes, bytes] = {}

    def compress(self, page: bytes) -> bytes:
        length = int.from_bytes(page[2 * self.priority:2 * self.priority + 2], "little")
        data = (hashlib.sha256(page).digest() * 130)[:length]
        self.seen[data] = page
        return data

    def decompress(self, data: bytes, page_size: int) -> bytes:
        return self.seen[data]

    def params(self) -> dict:
        return {}


def page(primary: int, *secondary: int, salt: int = 0) -> bytes:
    lengths = [primary, *secondary] + [0] * (3 - len(secondary))
    head = b"".join(n.to_bytes(2, "little") for n in lengths)
    return head + salt.to_bytes(8, "little") + bytes(range(256)) * 15 + bytes(PAGE - 3856)


def scripted_device(*pages: bytes, secondaries: int = 1) -> tuple[ZramDevice, dict]:
    dev = ZramDevice(compressor=Scripted(0), verify=True)
    names = {0: "scripted0"}
    for p in range(1, secondaries + 1):
        dev.secondary[p] = Scripted(p)
        names[p] = f"scripted{p}"
    for index, data in enumerate(pages):
        assert dev.write(index, data)
    return dev, names


def test_class_improvement_rule():
    # slot 0: 1000 -> 990: class 62 -> 60, smaller: recompressed (10 bytes saved);
    # slot 1: 1000 -> 1001: class 62 -> 62, not smaller: kept (and INCOMPRESSIBLE,
    #         since priority 1 is the highest active one);
    # slot 2: huge (4096, class 254) -> 3630: class 225 < 254: recompressed, no longer
    #         huge, although zs_malloc(3630) lands in the 4096 class after the +8 header;
    # slot 3: huge -> 3700: class 254, not smaller: kept, INCOMPRESSIBLE.
    pages = [page(1000, 990), page(1000, 1001, salt=1), page(4000, 3630), page(4000, 3700)]
    dev, names = scripted_device(*pages)
    before = dev.mm_stat()
    assert (before.compr_data_size, before.huge_pages) == (2000 + 2 * PAGE, 2)
    out = recompress(dev, "\n", names)
    assert out.done == 2 and not out.errno
    assert [dev.slot_state(i) for i in range(4)] == [
        ("normal", 990), ("normal", 1000), ("normal", 3630), ("huge", 4096)]
    m = dev.mm_stat()
    # compr_data_size: 990 + 1000 + 3630 + 4096 = 9716; huge_pages 2 -> 1, since stays 2;
    # orig_data_size unchanged (pages_stored net 0).
    assert (m.compr_data_size, m.huge_pages, m.huge_pages_since, m.orig_data_size) == (
        9716, 1, 2, 4 * PAGE)
    assert block_state(dev).splitlines() == [
        "           0            0.000000 ....r.",
        "           1            0.000000 .....n",
        "           2            0.000000 ....r.",
        "           3            0.000000 ..h..n"]
    assert [dev.read(i) for i in range(4)] == pages      # priority 1 decompresses slot 0 and 2
    dev.check()


def test_order_is_largest_first_and_max_pages_counts_failures():
    # sizes 1000 (bucket 15), 4000 -> huge 4096 (bucket 64), 2000 (bucket 31).
    # Order: slot 1, slot 2, slot 0. max_pages=2: slot 1 is tried and fails
    # (3700: class 254), slot 2 succeeds (2000 -> 1500: class 126 -> 92), and slot 0
    # is never reached although it would have succeeded.
    dev, names = scripted_device(page(1000, 990), page(4000, 3700), page(2000, 1500))
    out = recompress(dev, "max_pages=2", names)
    assert out.done == 1
    assert [dev.slot_state(i)[1] for i in range(3)] == [1000, 4096, 1500]
    assert out.decisions[-1] == "max_pages reached: 1 candidate left"
    assert recompress(dev, "max_pages=0", names).done == 0


def test_threshold_skips_without_cost_and_bounds_the_new_size():
    # threshold=2000: slot 0 (1500 bytes) < 2000 is skipped and costs no max_pages;
    # slot 1: 3000 -> 2500 is a smaller class (190 -> 155) but not < 2000: fails;
    # slot 2: 3000 -> 1900 (class 117) succeeds. max_pages=2 covers slots 1 and 2.
    dev, names = scripted_device(page(1500, 1000), page(3000, 2500, salt=1),
                                 page(3000, 1900, salt=2))
    assert mark_idle(dev, "all\n") == 3
    out = recompress(dev, "threshold=2000 max_pages=2", names)
    assert out.done == 1
    assert [dev.slot_state(i)[1] for i in range(3)] == [1500, 3000, 1900]
    # the skipped slot keeps IDLE; the tried ones lost it (and the recompressed one was freed)
    assert block_state(dev).splitlines() == [
        "           0            0.000000 ...i..",
        "           1            0.000000 .....n",
        "           2            0.000000 ....r."]
    fs = Sysfs(dev)
    assert fs.write("recompress", "threshold=3625").errno == "EINVAL"   # >= huge_class_size
    # 3624 is allowed; the INCOMPRESSIBLE slot 1 and the recompressed slot 2 are no
    # candidates, slot 0 (1500 < 3624) is skipped
    assert fs.write("recompress", "threshold=3624").reason == "0 of 1 candidates recompressed"
    dev.check()


def test_priorities_and_incompressible():
    # two secondaries. slot 0: 1000 -> p1 1001 (class 62, no), p2 990 (class 60, yes):
    # stored with priority 2. slot 1: nothing helps.
    dev, names = scripted_device(page(1000, 1001, 990), page(1000, 1001, 1002, salt=1),
                                 secondaries=2)
    # priority=1 limits the tries to priority 1 (prio_max 2 < 3 active algorithms):
    # both fail and neither is marked INCOMPRESSIBLE.
    assert recompress(dev, "priority=1", names).done == 0
    assert "n" not in block_state(dev)
    out = recompress(dev, "", names)
    assert out.done == 1 and dev.slot_state(0) == ("normal", 990)
    assert dev.slot_flags(0) >> 6 == 2
    assert block_state(dev).splitlines()[1].endswith(".....n")
    # the INCOMPRESSIBLE slot and the priority-2 slot are no candidates any more
    assert recompress(dev, "", names).reason == "0 of 0 candidates recompressed"
    # algo= picks one priority; an unknown name is EINVAL
    assert recompress(dev, "algo=scripted1", names).reason == "0 of 0 candidates recompressed"
    fs = Sysfs(dev)
    fs.names = names
    assert fs.write("recompress", "algo=zstd").errno == "EINVAL"
    assert fs.write("recompress", "max_pages").errno == "EINVAL"      # a key without value
    assert fs.write("recompress", "type=foo").ok                      # no filter, no error
    # a rewrite clears INCOMPRESSIBLE: the slot is a candidate again
    dev.write(1, page(1000, 1001, 1002, salt=1))
    assert recompress(dev, "", names).reason == "0 of 1 candidates recompressed"
    dev.check()


def test_type_filters_and_writeback_of_incompressible():
    dev, names = scripted_device(page(4000, 3700), page(1000, 990), page(4000, 2000))
    fs = Sysfs(dev)
    fs.names = names
    assert fs.write("backing_dev", "1M").errno == "EBUSY"      # the device is in use
    dev.backing = BackingDevice(1 << 20)                        # as if written before
    mark_idle(dev, "all")
    dev.read(2)                        # slot 2 is no longer idle
    out = recompress(dev, "type=huge_idle", names)      # only slot 0: fails, INCOMPRESSIBLE
    assert out.done == 0 and dev.slot_flags(0) & 32
    assert recompress(dev, "type=huge", names).done == 1        # slot 2: 4096 -> 2000
    assert fs.write("writeback", "incompressible").reason == "1 of 1 candidates written back"
    assert dev.block_of(0) == 1
    assert recompress(dev, "type=idle", names).done == 1        # slot 1, still idle
    dev.check()


def test_idle_by_age():
    # slot 0 written at t=0, slot 1 at t=100 s, slot 2 same-filled; now t=150 s.
    dev = ZramDevice()
    fs = Sysfs(dev)
    dev.write_size(0, 500)
    dev.clock.advance(100 * NS)
    dev.write_size(1, 500)
    dev.write(2, bytes(PAGE))
    dev.clock.advance(50 * NS)

    def idle() -> list[bool]:
        return [bool(dev.slot_flags(i) & 8) for i in range(3)]

    assert fs.write("idle", "60").ok and idle() == [True, False, False]    # cutoff 90 s
    assert fs.write("idle", "50").ok and idle() == [True, False, False]    # cutoff 100: not < 100
    assert fs.write("idle", "49").ok and idle() == [True, True, False]     # cutoff 101
    assert fs.write("idle", "200").ok and idle() == [False, False, False]  # cutoff -50: clears
    assert fs.write("idle", "150").ok and idle() == [True, True, False]    # cutoff 0 = "all"
    assert fs.write("idle", "0x3c").ok and idle() == [True, False, False]  # 60, base 0
    assert fs.write("idle", "all").ok and idle() == [True, True, False]
    dev.read(0)                                                             # access clears it
    assert idle() == [False, True, False] and dev.ac_time(0) == 150 * NS
    assert fs.write("idle", "1h").errno == "EINVAL"
    assert fs.write("idle", "-5").errno == "EINVAL"
    assert block_state(dev).splitlines() == [
        "           0          150.000000 ......",
        "           1          100.000000 ...i..",
        "           2          100.000000 s....."]
