"""The zram device: exact counters for each rule of the write, read and discard paths.

Numbers worked by hand where the arithmetic is short: a 100-byte object needs
108 bytes with its handle, so it lands in class 112, whose zspage chains 7
pages and holds 256 objects; a huge page is a 4096-byte object, one page per
zspage. The committed trace ``device_mixed.trace`` pins everything else.
"""

from __future__ import annotations

import os
import random
from dataclasses import astuple

import pytest
import zstandard

from by_hand import expected_counters, pages_after_full_compaction
from workloads.mixes import lz4_size
from workloads.open_trace import open_trace
from zramsim import (BadRequest, ConfigError, Replay, SlotOutOfRange, VerifyMismatch,
                     ZramDevice)
from zramsim.stats import DebugStat, IoStat, MmStat

TRACES = os.path.join(os.path.dirname(__file__), "data", "traces")
PAGE = 4096
RANDOM = random.Random(1).randbytes(PAGE)          # lz4 cannot shrink it: huge
RANDOM2 = random.Random(2).randbytes(PAGE)
TEXT = b"hello zram " * 372 + bytes(4)             # lz4: 36 bytes, class 48
DEADBEEF = (0xDEADBEEFDEADBEEF).to_bytes(8, "little") * 512
PATTERN16 = bytes(range(16)) * 256                 # repeats every 16 bytes, not every 8


def _mm(dev: ZramDevice) -> tuple[int, ...]:
    return astuple(dev.mm_stat())


def _io(dev: ZramDevice) -> tuple[int, ...]:
    return astuple(dev.io_stat())


# -- golden replays -------------------------------------------------------------

@pytest.mark.parametrize("algorithm, mm", [
    ("lz4", (114688, 60636, 262144, 0, 327680, 2, 2, 5, 21)),
    ("zstd", (114688, 50324, 262144, 0, 274432, 2, 0, 5, 21)),
])
def test_committed_trace_replays_to_pinned_numbers(algorithm, mm):
    """mm_stat pinned, and each field also worked out another way: the slot
    counters and mem_used_total by hand from the events (the trace ends with a
    compaction; tests/by_hand.py), pages_compacted as the debugfs freeable total
    before each compaction, mem_used_max as the largest mem_used_total seen
    after any event."""
    with open_trace(os.path.join(TRACES, "device_mixed.trace")) as reader:
        events = list(reader)
    dev = ZramDevice(48 * PAGE, algorithm, verify=True)
    seen = []
    freeable = 0
    replay = Replay(dev, lambda _: seen.append(dev.mm_stat().mem_used_total), every=1)
    for event in events:
        if event.op == "C":
            freeable += sum(row.freeable for row in dev.pool.class_stats())
        replay.run([event])
    assert replay.applied == 189
    assert _mm(dev) == mm
    assert _io(dev) == (0, 0, 0, 48)
    assert (dev.reads, dev.writes, dev.pages_stored) == (33, 128, 28)
    length = (lz4_size if algorithm == "lz4" else
              lambda page: len(zstandard.ZstdCompressor(level=3).compress(page)))
    hand = expected_counters(events, PAGE, dev.huge_class_size, length)
    m = dev.mm_stat()
    assert (m.orig_data_size, m.compr_data_size, m.same_pages, m.huge_pages,
            m.huge_pages_since, dev.io_stat().notify_free) == (
        hand.orig_data_size, hand.compr_data_size, hand.same_pages, hand.huge_pages,
        hand.huge_pages_since, hand.notify_free)
    assert m.mem_used_total == PAGE * pages_after_full_compaction(hand.objects, dev.geometry)
    assert (m.pages_compacted, m.mem_used_max) == (freeable, max(seen))
    dev.check()


@pytest.mark.parametrize("algorithm", ["lz4", "zstd"])
def test_parallel_replay_is_identical(algorithm):
    devs = []
    for workers in (1, 2, 3):
        dev = ZramDevice(48 * PAGE, algorithm, verify=True)
        with open_trace(os.path.join(TRACES, "device_mixed.trace")) as reader:
            Replay(dev, workers=workers, batch=7).run(reader)
        devs.append(dev)
    first = devs[0].stats().as_dict()
    assert [d.stats().as_dict() for d in devs[1:]] == [first, first]
    for index in range(48):
        assert devs[2].read(index) == devs[0].read(index)


@pytest.mark.parametrize("algorithm", ["lz4", "zstd"])
@pytest.mark.parametrize("bad, error", [(b"short", BadRequest), (None, TypeError)])
def test_parallel_replay_stops_at_the_bad_event_like_the_serial_one(algorithm, bad, error):
    events = [("W", 0, TEXT), ("W", 1, RANDOM), ("W", 2, bad), ("W", 3, TEXT)]
    for workers in (1, 2):
        dev = ZramDevice(4 * PAGE, algorithm)
        replay = Replay(dev, workers=workers)
        with pytest.raises(error):
            replay.run(events)
        assert replay.applied == 2
        assert [dev.slot_state(i)[0] for i in range(4)] == ["normal", "huge", "empty", "empty"]


@pytest.mark.parametrize("workers", [1, 2])
def test_a_failing_reader_stops_after_the_events_before_it(workers):
    def events():
        for i in range(5):
            yield ("W", i, TEXT)
        raise ValueError("trace.trace:9: bad line")

    dev = ZramDevice(8 * PAGE)
    replay = Replay(dev, workers=workers, batch=3)
    with pytest.raises(ValueError, match="bad line"):
        replay.run(events())
    assert replay.applied == 5
    assert dev.mm_stat().orig_data_size == 5 * PAGE


def test_events_applied_elsewhere_are_counted_once_the_next_is_asked_for():
    """The narration applies each event itself; Replay.counted counts them for it,
    and an event whose application raised is not counted (as run() does)."""
    from zramsim.teach.narrate import narrate
    seen = []
    replay = Replay(ZramDevice(4 * PAGE), seen.append, every=2)
    lines = list(narrate(replay.device, replay.counted([("W", 0, TEXT), ("R", 0, None),
                                                        ("D", 0, 1)])))
    assert replay.applied == 3 and seen == [2]
    assert [line.split()[0] for line in lines if not line.startswith(" ")] == ["W", "R", "D"]
    with pytest.raises(SlotOutOfRange):
        list(narrate(replay.device, replay.counted([("R", 1, None), ("R", 9, None),
                                                    ("R", 2, None)])))
    assert replay.applied == 4


def test_parallel_replay_needs_a_clonable_compressor():
    class Plain:
        name = "plain"
    with pytest.raises(ConfigError, match="cannot be cloned"):
        Replay(ZramDevice(PAGE, compressor=Plain()), workers=2).run([("R", 0, None)])
    with pytest.raises(ConfigError):
        Replay(ZramDevice(PAGE), workers=0)


def test_one_class_by_hand():
    """256 objects of 100 bytes fill one 7-page zspage of class 112; the 257th opens another."""
    dev = ZramDevice(300 * PAGE)
    for i in range(256):
        assert dev.write_size(i, 100)
    assert _mm(dev) == (256 * PAGE, 25600, 7 * PAGE, 0, 7 * PAGE, 0, 0, 0, 0)
    dev.write_size(256, 100)
    dev.write(257, bytes(PAGE))
    dev.write_same(258, 7)
    assert _mm(dev) == (259 * PAGE, 25700, 14 * PAGE, 0, 14 * PAGE, 2, 0, 0, 0)


# -- classification ---------------------------------------------------------------

def test_random_page_is_huge():
    dev = ZramDevice(4 * PAGE)
    dev.write(0, RANDOM)
    assert dev.slot_state(0) == ("huge", PAGE)
    assert _mm(dev) == (PAGE, PAGE, PAGE, 0, PAGE, 0, 0, 1, 1)
    assert dev.read(0) == RANDOM


@pytest.mark.parametrize("page, word", [(bytes(PAGE), 0), (DEADBEEF, 0xDEADBEEFDEADBEEF)])
def test_same_filled_pages_cost_nothing(page, word):
    dev = ZramDevice(4 * PAGE)
    dev.write(1, page)
    assert dev.slot_state(1) == ("same", 0)
    assert dev.handle_of(1) == 0
    assert _mm(dev) == (PAGE, 0, 0, 0, 0, 1, 0, 0, 0)
    assert dev.read(1) == page


def test_write_same_uses_little_endian_words():
    dev = ZramDevice(4 * PAGE)
    dev.write_same(0, 0x0102030405060708)
    assert dev.read(0)[:9] == bytes([8, 7, 6, 5, 4, 3, 2, 1, 8])


def test_a_16_byte_pattern_is_not_same_filled():
    dev = ZramDevice(4 * PAGE)
    dev.write(0, PATTERN16)
    assert dev.slot_state(0) == ("normal", 42)     # lz4: 42 bytes, class 64
    assert _mm(dev) == (PAGE, 42, PAGE, 0, PAGE, 0, 0, 0, 0)
    assert dev.read(0) == PATTERN16


def test_last_word_differing_is_not_same_filled():
    page = bytes(PAGE - 1) + b"\x01"
    dev = ZramDevice(4 * PAGE)
    dev.write(0, page)
    assert dev.slot_state(0)[0] == "normal"
    assert dev.read(0) == page


def test_never_written_slots_read_as_zeros():
    dev = ZramDevice(4 * PAGE)
    assert dev.read(3) == bytes(PAGE)
    assert dev.reads == 1 and _io(dev) == (0, 0, 0, 0)
    with pytest.raises(SlotOutOfRange):
        dev.read(4)


def test_a_growing_device_reports_the_slots_it_used():
    dev = ZramDevice()
    dev.write_size(9, 500)
    assert (dev.slots, dev.disksize) == (10, 10 * PAGE)
    with pytest.raises(SlotOutOfRange):
        dev.write_size(-1, 500)


def test_bad_requests():
    dev = ZramDevice(4 * PAGE)
    with pytest.raises(BadRequest, match="a page is 4096 bytes, not 4095"):
        dev.write(0, bytes(PAGE - 1))
    with pytest.raises(BadRequest, match="slot 0: a compressed length must be >= 1, not 0"):
        dev.write_size(0, 0)
    with pytest.raises(BadRequest, match="discard of 0 pages"):
        dev.discard(0, 0)
    with pytest.raises(ConfigError, match="disksize must be positive, not 0"):
        ZramDevice(0)
    with pytest.raises(ConfigError, match="mem_limit must be >= 0, not -1"):
        ZramDevice(PAGE, mem_limit=-1)
    with pytest.raises(ConfigError, match="5000"):
        ZramDevice(PAGE, page_size=5000)
    assert dev.writes == 0
    assert ZramDevice(1).slots == 1                   # 1 byte: rounded up to a page
    assert dev.write_size(0, 1) and dev.write_size(1, 2) and dev.writes == 2


def test_the_huge_threshold_is_on_the_compressed_length():
    """huge_class_size 3625 (4 KiB pages, chain 8): a page compressing to 3625 bytes
    is stored raw, one of 3624 bytes is an object of 3624 bytes."""
    dev = ZramDevice(4 * PAGE)
    assert dev.write_compressed(0, RANDOM, bytes(3625))
    assert dev.write_compressed(1, RANDOM2, bytes(3624))
    assert [dev.slot_state(i) for i in (0, 1)] == [("huge", PAGE), ("normal", 3624)]


def test_the_configuration_reaches_the_geometry_and_the_compressor():
    dev = ZramDevice(PAGE, "zstd", dictionary=b"zram dictionary " * 64,
                     chain_rule="used-percent")
    assert dev.config()["params"] == {"level": 3, "dict_bytes": 1024}
    assert dev.geometry.rule == dev.config()["chain_rule"] == "used-percent"


def test_reads_of_never_written_slots_count_each():
    dev = ZramDevice(8 * PAGE)
    assert dev.read(5) == bytes(PAGE) and dev.read(6) == bytes(PAGE)
    assert dev.reads == 2


# -- mem_limit -----------------------------------------------------------------------

def test_the_write_that_crosses_mem_limit_fails_and_the_old_page_survives():
    dev = ZramDevice(8 * PAGE, mem_limit=2 * PAGE - 100, verify=True)   # rounds up to 2 pages
    assert dev.write(0, RANDOM) and dev.write(1, RANDOM)
    assert _mm(dev) == (2 * PAGE, 2 * PAGE, 2 * PAGE, 2 * PAGE, 2 * PAGE, 0, 0, 2, 2)
    assert dev.write(0, RANDOM2) is False                    # needs a third page
    assert _io(dev) == (0, 1, 0, 0)
    # mem_used_max saw the third page before the write was undone
    assert _mm(dev) == (2 * PAGE, 2 * PAGE, 2 * PAGE, 2 * PAGE, 3 * PAGE, 0, 0, 2, 2)
    assert dev.read(0) == RANDOM
    # same-filled pages never check the limit
    assert dev.write(2, bytes(PAGE))
    assert dev.write_size(3, 30) is False
    assert _io(dev) == (0, 2, 0, 0)
    dev.check()


def test_set_mem_limit_rounds_up_and_zero_means_unlimited():
    dev = ZramDevice(8 * PAGE)
    dev.set_mem_limit(1)
    assert dev.mm_stat().mem_limit == PAGE
    dev.write(0, RANDOM)
    assert dev.write(1, RANDOM2) is False
    dev.set_mem_limit(0)
    assert dev.write(1, RANDOM2) is True
    with pytest.raises(ConfigError):
        dev.set_mem_limit(-4096)


def test_a_replay_counts_failed_writes_where_the_kernel_does():
    """One page of limit: the first huge page takes it; the second and the sizes-only
    huge write (4096 >= 3625) each need a second page and fail. A failed write is
    still an applied event."""
    dev = ZramDevice(8 * PAGE, mem_limit=PAGE)
    replay = Replay(dev)
    replay.run([("W", 0, RANDOM), ("W", 1, RANDOM2), ("W", 2, 4096), ("R", 0, None)])
    assert (replay.applied, dev.io_stat().failed_writes) == (4, 2)


# -- discard -------------------------------------------------------------------------

def test_discard_counts_every_page_even_empty_ones():
    dev = ZramDevice(8 * PAGE)
    dev.write(1, TEXT)
    dev.write(2, bytes(PAGE))
    dev.discard(0, 4)
    assert _io(dev) == (0, 0, 0, 4)
    assert _mm(dev) == (0, 0, 0, 0, 3 * PAGE, 0, 0, 0, 0)
    assert [dev.slot_state(i) for i in range(4)] == [("empty", 0)] * 4
    assert dev.read(1) == bytes(PAGE)


def test_discard_bytes_skips_partial_head_and_tail_pages():
    dev = ZramDevice(8 * PAGE)
    for i in range(5):
        dev.write(i, TEXT)
    # 1 KiB into slot 0, 12 KiB long: slot 0's tail and slot 3's head are partial
    assert dev.discard_bytes(1024, 3 * PAGE) == 2
    assert [dev.slot_state(i)[0] for i in range(5)] == ["normal", "empty", "empty", "normal",
                                                        "normal"]
    assert dev.io_stat().notify_free == 2
    assert dev.discard_bytes(512, PAGE - 512) == 0           # inside slot 0 only
    assert dev.discard_bytes(3 * PAGE, 2 * PAGE + 512) == 2  # slots 3 and 4, tail skipped
    assert dev.io_stat().notify_free == 4
    with pytest.raises(BadRequest):
        dev.discard_bytes(100, PAGE)


def test_huge_pages_since_never_decreases():
    dev = ZramDevice(8 * PAGE)
    dev.write(0, RANDOM)
    dev.write(0, RANDOM2)
    dev.write_size(1, 3625)          # the huge threshold at chain size 8
    dev.write_size(2, 3624)          # one byte under it
    assert astuple(dev.mm_stat())[7:] == (2, 3)
    assert dev.slot_state(2) == ("normal", 3624)
    dev.discard(0, 3)
    assert astuple(dev.mm_stat())[7:] == (0, 3)


# -- mem_used_max, reset, compact -------------------------------------------------------

def test_resetting_mem_used_max_takes_the_current_usage():
    dev = ZramDevice(8 * PAGE)
    for i in range(4):
        dev.write(i, random.Random(i).randbytes(PAGE))
    dev.discard(0, 3)
    assert (dev.mm_stat().mem_used_total, dev.mm_stat().mem_used_max) == (PAGE, 4 * PAGE)
    dev.reset_mem_used_max()
    assert dev.mm_stat().mem_used_max == PAGE
    dev.discard(3)
    dev.reset_mem_used_max()
    assert dev.mm_stat().mem_used_max == 0


def test_reset_zeroes_every_statistic_and_the_limit():
    dev = ZramDevice(8 * PAGE, mem_limit=PAGE)
    dev.write(0, RANDOM)
    dev.write(1, RANDOM2)
    dev.write(2, bytes(PAGE))
    dev.discard(2)
    dev.read(0)
    assert _io(dev) == (0, 1, 0, 1)
    dev.reset()
    assert _mm(dev) == (0,) * 9
    assert _io(dev) == (0,) * 4
    assert (dev.reads, dev.writes, dev.disksize, dev.initialised) == (0, 0, 0, False)
    dev.set_disksize(8 * PAGE)
    assert dev.read(0) == bytes(PAGE)
    assert dev.write(1, RANDOM2) and dev.write(2, RANDOM)   # no limit any more
    dev.check()


def test_reset_leaves_an_uninitialised_device_with_the_defaults():
    """Spec §2.1: disksize 0, I/O fails, algorithm and mem_limit back to their defaults."""
    dev = ZramDevice(8 * PAGE, "zstd", level=5, mem_limit=4 * PAGE)
    assert dev.write(0, RANDOM) and dev.initialised
    with pytest.raises(ConfigError, match="disksize cannot change while the device is "
                                          "initialised"):
        dev.set_disksize(16 * PAGE)
    dev.reset()
    assert (dev.disksize, dev.slots, dev.algorithm, dev.level) == (0, 0, "lz4", None)
    assert dev.compressor.name == "lz4" and dev.mm_stat().mem_limit == 0
    for action in (lambda: dev.write(0, RANDOM), lambda: dev.read(0),
                   lambda: dev.write_size(3, 100), lambda: dev.discard(0)):
        with pytest.raises(SlotOutOfRange, match="slot [03]: the device is not initialised"):
            action()
    assert dev.writes == 0 and _io(dev) == (0,) * 4      # nothing reached the device
    dev.set_algorithm("zstd")
    dev.set_disksize(5000)                                # rounded up to 2 pages
    assert (dev.disksize, dev.compressor.name) == (2 * PAGE, "zstd")
    assert dev.write(1, RANDOM2) and dev.read(1) == RANDOM2
    with pytest.raises(ConfigError, match="comp_algorithm cannot change"):
        dev.set_algorithm("lz4")
    dev.check()


def test_compact_frees_whole_zspages_and_counts_them():
    dev = ZramDevice(600 * PAGE)
    for i in range(512):             # two full zspages of class 112
        dev.write_size(i, 100)
    dev.discard(0, 128)              # half of the first zspage...
    dev.discard(384, 128)            # ...and half of the second
    assert dev.mm_stat().mem_used_total == 14 * PAGE
    assert dev.compact() == 7
    assert astuple(dev.mm_stat())[2:7] == (7 * PAGE, 0, 14 * PAGE, 0, 7)
    assert dev.compact() == 0
    dev.check()


# -- sub-page I/O with 16 KiB pages -------------------------------------------------------

def test_sub_page_write_is_read_modify_write():
    big = 16384
    dev = ZramDevice(4 * big, page_size=big)
    assert dev.config()["huge_class_size"] == 14553
    original = random.Random(5).randbytes(big)
    block = b"zram" * 1024
    dev.write(0, original)
    assert dev.write_bytes(PAGE, block)
    expected = original[:PAGE] + block + original[2 * PAGE:]
    assert dev.read(0) == expected
    assert dev.read_bytes(PAGE, 2 * PAGE) == block + original[2 * PAGE:3 * PAGE]
    assert (dev.reads, dev.writes) == (2, 2)     # the internal read is not counted
    assert dev.write_bytes(big + 3 * PAGE, bytes(PAGE))      # tail of slot 1, rest zeros
    assert dev.slot_state(1) == ("same", 0)
    with pytest.raises(BadRequest):
        dev.write_bytes(512, bytes(PAGE))
    with pytest.raises(BadRequest):
        dev.read_bytes(0, 100)


def test_block_io_across_a_16k_page_boundary():
    """4 KiB blocks 3 and 4 of a 16 KiB-page device: the tail of slot 0, the head of slot 1."""
    big = 16384
    dev = ZramDevice(4 * big, page_size=big)
    old = [random.Random(k).randbytes(big) for k in (1, 2)]
    dev.write(0, old[0]), dev.write(1, old[1])
    block = b"zram" * 2048                       # 8 KiB
    assert dev.write_bytes(3 * PAGE, block)
    assert dev.read(0) == old[0][:3 * PAGE] + block[:PAGE]
    assert dev.read(1) == block[PAGE:] + old[1][PAGE:]
    assert dev.read_bytes(3 * PAGE, 2 * PAGE) == block


def test_verify_mode_keeps_each_slots_digest_beside_sizes_only_slots():
    dev = ZramDevice(4 * PAGE, verify=True)
    assert dev.write(2, TEXT) and dev.write_size(1, 100) and dev.write_size(0, 3000)
    assert dev.read(2) == TEXT and dev.read(1) is None


def test_sizes_only_slots_have_no_bytes():
    dev = ZramDevice(4 * PAGE)
    dev.write_size(0, 1234)
    assert dev.read(0) is None
    assert dev.slot_state(0) == ("normal", 1234)
    with pytest.raises(BadRequest, match="sizes-only"):
        dev.read_bytes(0, PAGE)
    dev2 = ZramDevice(4 * 16384, page_size=16384)
    dev2.write_size(0, 1234)
    with pytest.raises(BadRequest, match="sizes-only"):
        dev2.write_bytes(0, bytes(PAGE))


# -- verify mode ----------------------------------------------------------------------------

def test_verify_names_the_corrupted_slot():
    dev = ZramDevice(8 * PAGE, verify=True)
    dev.write(2, TEXT)
    dev.write(3, RANDOM)
    dev.write_size(4, 700)
    pool, handle = dev.pool, dev.handle_of(3)
    poked = bytearray(pool.read(handle))
    poked[100] ^= 0x01
    pool.write(handle, bytes(poked))
    assert dev.read(2) == TEXT and dev.read(4) is None
    with pytest.raises(VerifyMismatch, match="slot 3: data read back differs") as info:
        dev.read(3)
    assert info.value.index == 3


def test_verify_off_returns_the_corrupted_bytes():
    dev = ZramDevice(8 * PAGE)
    dev.write(3, RANDOM)
    handle = dev.handle_of(3)
    dev.pool.write(handle, bytes(PAGE))
    assert dev.read(3) == bytes(PAGE)


# -- text formats ----------------------------------------------------------------------------

def test_mm_stat_text_is_the_kernel_format():
    m = MmStat(1, 22, 333, 0, 123456789, 5, 0, 7, 8)
    assert m.text() == ("       1       22      333        0 123456789        5"
                        "        0        7        8\n")


def test_io_stat_text_has_a_literal_unpadded_zero():
    assert IoStat(3, 1234567890, 0, 42).text() == "       3 1234567890 0       42\n"


def test_debug_stat_text():
    assert DebugStat(0).text() == "version: 1\n0        0\n"
    assert ZramDevice(PAGE).debug_stat().text() == "version: 1\n0        0\n"


def test_stats_snapshot_and_config():
    dev = ZramDevice(4 * PAGE, "zstd", level=5)
    dev.write(0, TEXT)
    dev.write(1, bytes(PAGE))
    dev.write(2, RANDOM)
    s = dev.stats()
    assert (s.pages_stored, s.normal_pages, s.reads, s.writes) == (3, 1, 0, 3)
    assert (s.disksize, s.page_size, s.spanning_reads) == (4 * PAGE, PAGE, 0)
    assert s.as_dict()["pages"] == {"stored": 3, "same_filled": 1, "huge": 1, "normal": 1}
    assert dev.config() == {"disksize": 4 * PAGE, "algorithm": "zstd",
                            "params": {"level": 5, "dict_bytes": 0}, "page_size": PAGE,
                            "chain_size": 8, "chain_rule": "min-waste", "mem_limit": 0,
                            "huge_class_size": 3625}
    dev.set_mem_limit(3 * PAGE)
    assert dev.config()["mem_limit"] == 3 * PAGE


def test_slots_past_the_highest_written_are_empty():
    dev = ZramDevice(8 * PAGE)
    dev.write(0, TEXT)
    assert [dev.handle_of(i) for i in (1, 7)] == [0, 0]
    assert [dev.slot_state(i) for i in (1, 7)] == [("empty", 0), ("empty", 0)]


def test_after_reset_the_device_stores_every_64_bit_word_and_verifies_again():
    dev = ZramDevice(4 * PAGE, verify=True)
    dev.write(0, TEXT)
    dev.reset()
    dev.set_disksize(4 * PAGE)                 # a reset device is uninitialised (spec 2.1)
    assert dev.write_same(0, 0xFFFF_FFFF_FFFF_FFFF) and dev.write(1, TEXT)
    assert dev.read(0) == b"\xff" * PAGE and dev.read(1) == TEXT
    dev.check()


def test_a_multi_page_block_read_from_the_middle():
    dev = ZramDevice(8 * PAGE)
    pages = [random.Random(k).randbytes(PAGE) for k in range(4)]
    assert dev.write_bytes(PAGE, b"".join(pages))
    assert dev.read_bytes(2 * PAGE, 2 * PAGE) == pages[1] + pages[2]
    assert dev.read_bytes(0, PAGE) == bytes(PAGE)
    assert (dev.reads, dev.writes) == (3, 4)


@pytest.mark.parametrize("offset, length, freed", [
    (3 * PAGE, PAGE, 1),                 # exactly slot 3
    (2 * PAGE + 512, PAGE - 512, 0),     # the tail of slot 2 only: nothing whole
    (2 * PAGE + 512, 2 * PAGE, 1),       # slot 3 whole, parts of 2 and 4
    (5 * PAGE, 0, 0),
    (0, 2 * PAGE, 2),                    # slots 0 and 1 from the very start
    (2 * PAGE + 3072, 5120, 1),          # the last 1024 bytes of slot 2, then slot 3 whole
])
def test_discard_bytes_frees_only_whole_pages(offset, length, freed):
    dev = ZramDevice(8 * PAGE)
    for i in range(6):
        dev.write(i, TEXT)
    assert dev.discard_bytes(offset, length) == freed
    empty = [i for i in range(6) if dev.slot_state(i)[0] == "empty"]
    first = offset // PAGE + (offset % PAGE > 0)
    assert empty == list(range(first, first + freed))
    assert dev.io_stat().notify_free == freed


@pytest.mark.parametrize("offset, length", [(-512, PAGE), (0, -512), (100, PAGE), (0, 100)])
def test_discard_bytes_refuses_what_no_bio_is(offset, length):
    with pytest.raises(BadRequest, match=f"discard of {length} bytes at {offset} is not"):
        ZramDevice(8 * PAGE).discard_bytes(offset, length)


def test_block_requests_name_what_is_wrong_with_them():
    dev = ZramDevice(8 * PAGE)
    with pytest.raises(BadRequest, match="write of 100 bytes at 0: not aligned to 4096"):
        dev.write_bytes(0, bytes(100))
    with pytest.raises(BadRequest, match="read of 4096 bytes at 512: not aligned to 4096"):
        dev.read_bytes(512, PAGE)


def test_a_corrupt_object_fails_the_read_and_counts_it():
    from zramsim.errors import ReadFailed
    dev = ZramDevice(1 << 20)
    page = (b"zram keeps pages compressed in RAM. " * 120)[:4096]
    assert dev.write(3, page)
    handle = dev.handle_of(3)
    size = dev.pool.size_of(handle)
    dev.pool.write(handle, b"\xff" * size)          # garbage where the lz4 block was
    with pytest.raises(ReadFailed, match="slot 3"):
        dev.read(3)
    assert dev.io_stat().failed_reads == 1
    assert dev.io_stat().text() == "       1        0 0        0\n"
    with pytest.raises(ReadFailed):
        dev.read(3)
    assert dev.io_stat().failed_reads == 2


def test_slots_beyond_what_can_be_simulated_are_refused_clearly():
    from zramsim.device import MAX_SLOTS
    dev = ZramDevice()
    with pytest.raises(SlotOutOfRange, match="beyond the largest device"):
        dev.write_size(MAX_SLOTS, 100)
    with pytest.raises(SlotOutOfRange, match="beyond the largest device"):
        dev.write_size(2**64 - 1, 100)
    assert dev.slots == 0 and dev.mm_stat().orig_data_size == 0
    with pytest.raises(ConfigError, match="more than the 4294967296 slots"):
        ZramDevice(disksize=(MAX_SLOTS + 1) * 4096)


def test_a_large_device_builds_its_slot_table_only_as_slots_are_used():
    dev = ZramDevice(disksize=10 << 40)          # 10 TiB: 2.7 billion slots
    assert dev.disksize == 10 << 40 and dev.slots == (10 << 40) // 4096
    assert len(dev._flags) == 0                  # nothing built yet
    assert dev.write_size(5, 1000) and len(dev._flags) == 1024
    assert dev.read(dev.slots - 1) == bytes(4096)
    from zramsim.errors import SlotOutOfRange
    with pytest.raises(SlotOutOfRange, match="outside the device"):
        dev.read(dev.slots)
    dev.reset()
    assert dev.disksize == 0 and dev.mm_stat().orig_data_size == 0


# -- check() catches every kind of corruption it claims to --------------------------------

def _device_for_check() -> ZramDevice:
    """Slot 0 and 4 normal (TEXT: 36 bytes, class 48, one 3-page zspage), 1 huge
    (a page of its own), 2 same-filled, 3 empty: 4 pages in all."""
    dev = ZramDevice(8 * PAGE)
    for index, page in ((0, TEXT), (1, RANDOM), (2, DEADBEEF), (4, TEXT)):
        assert dev.write(index, page)
    dev.check()
    return dev


def _leak(dev: ZramDevice) -> None:
    dev.pool.malloc(100)                 # a pool object no slot holds


def _share(dev: ZramDevice) -> None:
    dev._handle[4] = dev._handle[0]      # slot 4's own object leaks, slot 0's is held twice


@pytest.mark.parametrize("corrupt, message", [
    (lambda d: d._size.__setitem__(2, 8), "slot 2: bad same-filled state"),
    (lambda d: d._flags.__setitem__(2, 1 | 2), "slot 2: bad same-filled state"),
    (lambda d: d._size.__setitem__(0, 37), "slot 0: object size 36 != 37"),
    (lambda d: d._flags.__setitem__(0, 2), "slot 0: huge but 36 bytes"),
    (lambda d: d._flags.__setitem__(1, 0), "slot 1: 4096 should be huge"),
    (lambda d: d._flags.__setitem__(3, 2), "slot 3: empty slot with state"),
    (lambda d: d._handle.__setitem__(3, 999), "slot 3: handle 999 is not allocated in the pool"),
    (_share, "slot 4: handle 1 is held twice"),
    (_leak, "3 slots hold objects, pool has 4"),
    (lambda d: setattr(d, "same_pages", 2), "same_pages is 2, slots say 1"),
    (lambda d: setattr(d, "huge_pages", 0), "huge_pages is 0, slots say 1"),
    (lambda d: setattr(d, "compr_data_size", 4096 + 72 + 1),
     "compr_data_size is 4169, slots say 4168"),
    (lambda d: setattr(d, "max_used_pages", 1),
     "mem_used_max (1 pages) is below mem_used_total (4 pages)"),
    (lambda d: setattr(d, "huge_pages_since", 0), "huge_pages_since fell below huge_pages"),
])
def test_check_names_each_kind_of_corruption(corrupt, message):
    """Each corruption is caught with the message that names it. (A leaked object
    makes pages_stored wrong too; check() blames the object count, the cause.)"""
    from zramsim import DeviceInvariantError
    dev = _device_for_check()
    assert dev.handle_of(0) == 1 and dev.mm_stat().mem_used_total == 4 * PAGE
    corrupt(dev)
    with pytest.raises(DeviceInvariantError) as info:
        dev.check()
    assert str(info.value) == message


def test_check_runs_the_pools_own_check():
    from allocator import InvariantError
    dev = _device_for_check()
    zid, _ = dev.pool.locate(dev.handle_of(0))
    dev.pool._zspages[zid].inuse -= 1
    with pytest.raises(InvariantError, match="live, inuse"):
        dev.check()


# -- a block write that fails on mem_limit part-way ---------------------------------------

def test_a_multi_page_write_stops_at_the_first_page_over_the_limit():
    """Like zram_bio_write: the pages before the failing one stay written, the bio
    fails, and the pages after it are not attempted. Three huge pages at slots
    1..3 against a 2-page limit: slots 1 and 2 take a page each, slot 3's
    allocation makes 3 pages and is undone; slot 4's zero page is never written."""
    dev = ZramDevice(8 * PAGE, mem_limit=2 * PAGE)
    pages = [RANDOM, RANDOM2, random.Random(3).randbytes(PAGE), bytes(PAGE)]
    assert dev.write_bytes(PAGE, b"".join(pages)) is False
    assert [dev.slot_state(i) for i in range(6)] == [
        ("empty", 0), ("huge", PAGE), ("huge", PAGE), ("empty", 0), ("empty", 0), ("empty", 0)]
    assert (dev.writes, dev.reads) == (3, 0)
    assert _mm(dev) == (2 * PAGE, 2 * PAGE, 2 * PAGE, 2 * PAGE, 3 * PAGE, 0, 0, 2, 2)
    assert _io(dev) == (0, 1, 0, 0)
    assert dev.read_bytes(PAGE, 2 * PAGE) == RANDOM + RANDOM2
    dev.check()


def test_a_sub_page_block_write_that_fails_keeps_the_old_page():
    """16 KiB pages: a 4 KiB block into slot 1 is read-modify-write of the whole
    page; with the limit reached the new (huge) page cannot be allocated, so slot 1
    keeps its old bytes, and the internal read counts in neither reads nor writes."""
    big = 16384
    dev = ZramDevice(4 * big, page_size=big, mem_limit=2 * big)
    old = [random.Random(k).randbytes(big) for k in (7, 8)]
    assert dev.write(0, old[0]) and dev.write(1, old[1])     # huge: one 16 KiB page each
    assert dev.write_bytes(big + PAGE, RANDOM) is False     # still random: huge, a 3rd page
    assert dev.read(1) == old[1]
    assert (dev.reads, dev.writes, dev.io_stat().failed_writes) == (1, 3, 1)
    assert dev.mm_stat().mem_used_max == 3 * big
    dev.check()
