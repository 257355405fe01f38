"""Content generators, mixes, generated traces and the default workload."""

import random
from collections import Counter

import pytest

from allocator import Geometry
from workloads.default import DEFAULT_MIX, DEFAULT_PAGES, DEFAULT_SEED, DESCRIPTION, default_workload
from workloads.events import OPS, PageEvent
from workloads.generators import COMMON_FILLS, KINDS, as_rng
from workloads.mixes import (
    MixSampler, Profile, generate_trace, lz4_size, mix_for_ratio, mix_page, profile,
)
from zramsim.lz4_kernel import kernel_lz4_len

HUGE = Geometry().huge_class_size       # 3625: 4 KiB pages, chain size 8

ALL_KINDS = sorted(KINDS)


def test_registry_lists_every_kind():
    assert ALL_KINDS == ["code", "heap", "random", "same", "source", "text", "zero"]


@pytest.mark.parametrize("kind", ALL_KINDS)
@pytest.mark.parametrize("page_size", [4096, 16384, 1000])
def test_exact_size(kind, page_size):
    assert len(KINDS[kind](random.Random(1), page_size)) == page_size


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_same_seed_same_bytes(kind):
    gen = KINDS[kind]
    assert gen(random.Random(5)) == gen(random.Random(5)) == gen(5)
    rng_a, rng_b = random.Random(9), random.Random(9)
    assert [gen(rng_a) for _ in range(3)] == [gen(rng_b) for _ in range(3)]


@pytest.mark.parametrize("kind", sorted(set(KINDS) - {"zero"}))
def test_different_seeds_differ(kind):
    gen = KINDS[kind]
    assert len({gen(random.Random(seed)) for seed in range(8)}) >= 7


def test_generators_leave_global_random_alone():
    random.seed(123)
    expected = random.random()
    random.seed(123)
    for gen in KINDS.values():
        gen(random.Random(0))
    assert random.random() == expected


def test_as_rng_passes_random_through():
    rng = random.Random(3)
    assert as_rng(rng) is rng
    assert as_rng(3).random() == random.Random(3).random()


def test_zero_page_is_zero():
    assert KINDS["zero"](random.Random(0)) == bytes(4096)


def test_same_pages_are_8_byte_periodic_and_not_zero():
    fills = Counter()
    for seed in range(200):
        page = KINDS["same"](random.Random(seed))
        word = page[:8]
        assert page == word * 512
        assert word != bytes(8)
        fills[int.from_bytes(word, "little") in COMMON_FILLS] += 1
    assert fills[True] == 106 and fills[False] == 94
    # by hand from the rule "half common fills": a common fill where the seed's
    # first random() is below 0.5
    assert sum(random.Random(seed).random() < 0.5 for seed in range(200)) == 106


def test_random_pages_are_huge():
    for seed in range(50):
        assert lz4_size(KINDS["random"](random.Random(seed))) >= HUGE


def test_text_is_printable_ascii_lines_of_72():
    for seed in range(20):
        page = KINDS["text"](random.Random(seed)).rstrip(b"\0")
        text = page.decode("ascii")
        assert all(c.isprintable() or c == "\n" for c in text)
        assert max(len(line) for line in text.split("\n")) <= 72
        assert "." in text and "\n\n" in text


def test_source_looks_like_python():
    text = KINDS["source"](random.Random(2)).rstrip(b"\0").decode("ascii")
    assert all(c.isprintable() or c == "\n" for c in text)
    assert "def " in text and "return " in text and "    " in text


def test_heap_pages_are_word_aligned_chunks_with_pointers():
    page = KINDS["heap"](random.Random(4))
    words = memoryview(page).cast("Q")
    heap_ptrs = sum(1 for w in words if w >> 32 == 0x5612)
    assert heap_ptrs > 50
    assert words[0] & 1 == 1 and words[0] & ~1 in (32, 48, 64, 80, 96, 112, 128, 160,
                                                    208, 256, 384, 512)


def test_code_pages_hold_prologues_calls_and_padding():
    page = KINDS["code"](random.Random(6))
    assert page.startswith(b"\xf3\x0f\x1e\xfa\x55\x48\x89\xe5")   # endbr64; push rbp; mov
    assert page.count(b"\xf3\x0f\x1e\xfa") >= 10
    assert b"\xe8" in page and b"\xc3\xcc" in page


# Golden lz4 lengths at seed 7: change them only on purpose, and re-run the
# calibration in docs/generators.md when you do.
GOLDEN_LZ4 = {"zero": 26, "same": 26, "text": 1694, "source": 2059, "heap": 1428,
              "code": 2396, "random": 4096}


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_golden_lz4_length(kind):
    """Pinned, and checked against the kernel's LZ4 1.7.3 parse (zramsim.lz4_kernel,
    an implementation of its own; a page it cannot shrink is stored whole)."""
    page = KINDS[kind](random.Random(7))
    assert lz4_size(page) == GOLDEN_LZ4[kind]
    assert min(kernel_lz4_len(page), len(page)) == GOLDEN_LZ4[kind]


@pytest.mark.parametrize("kind, low, high", [
    ("text", 1500, 1900), ("source", 1600, 2000), ("heap", 900, 1900), ("code", 2300, 3500),
])
def test_compressibility_band(kind, low, high):
    p = profile((KINDS[kind](random.Random(seed)) for seed in range(40)), HUGE)
    assert low <= p.lz4_deciles[4] <= high
    assert p.same_pages == 0


def test_lz4_size():
    assert lz4_size(bytes(4096)) == 26
    assert lz4_size(random.Random(0).randbytes(4096)) == 4096


def test_profile_counts_like_mm_stat():
    rng = random.Random(0)
    pages = [bytes(4096)] * 10 + [rng.randbytes(4096)] * 5 + [KINDS["text"](7)] * 85
    p = profile(pages, HUGE)
    assert p == Profile(pages=100, same_pages=10, huge_pages=5, orig_data_size=409600,
                        compr_data_size=5 * 4096 + 85 * 1694,
                        lz4_deciles=(1694,) * 9)
    assert p.ratio == pytest.approx(409600 / 164470)
    assert (p.same_share, p.huge_share) == (0.1, 0.05)
    assert profile([bytes(4096)], HUGE).ratio == float("inf")


def test_profile_takes_the_huge_threshold_from_the_caller():
    """A 1694-byte page is huge where huge_class_size is at most 1694, not above."""
    page = KINDS["text"](7)
    assert lz4_size(page) == 1694
    assert [profile([page], t).huge_pages for t in (1694, 1695)] == [1, 0]
    assert profile([page], 1694).compr_data_size == 4096


def test_mix_sampler_follows_weights():
    sampler, rng = MixSampler({"zero": 3, "random": 1}), random.Random(1)
    kinds = Counter(sampler.kinds[sampler.kind(rng)] for _ in range(4000))
    assert kinds == {"zero": 2985, "random": 1015}     # regression pin; by hand:
    assert abs(kinds["zero"] - 3000) < 5 * 27          # 3/4 of 4000, sigma sqrt(4000 3/16)


def test_mix_page_accepts_kind_name():
    assert mix_page("zero", 1) == bytes(4096)
    assert mix_page({"text": 1}, 3) == KINDS["text"](random.Random(3))


@pytest.mark.parametrize("bad", [{"nope": 1}, {}, {"zero": -1}, {"zero": 0}])
def test_bad_mix_is_rejected(bad):
    with pytest.raises(ValueError):
        MixSampler(bad)


def test_mix_for_ratio_lowers_and_raises():
    # regression pins of the weights; test_mix_for_ratio_lands_near_target checks
    # what they are for (the ratio reached) on pages drawn independently
    assert mix_for_ratio(2.0, {"heap": 2}, huge_threshold=HUGE) == {
        "heap": 1.0, "random": pytest.approx(0.30856, abs=1e-5)}
    assert mix_for_ratio(4.0, {"heap": 1}, huge_threshold=HUGE) == {
        "heap": 1.0, "zero": pytest.approx(0.38289, abs=1e-5)}
    assert mix_for_ratio(1.0, {"heap": 1}, huge_threshold=HUGE) == {"random": 1.0}
    with pytest.raises(ValueError):
        mix_for_ratio(0.5, {"heap": 1}, huge_threshold=HUGE)


@pytest.mark.parametrize("target", [2.0, 3.0, 4.0])
def test_mix_for_ratio_lands_near_target(target):
    mix = mix_for_ratio(target, {"heap": 1, "text": 1, "code": 1}, huge_threshold=HUGE)
    sampler, rng = MixSampler(mix), random.Random(99)
    ratio = profile((sampler(rng) for _ in range(1500)), HUGE).ratio
    assert abs(ratio - target) / target < 0.06


def test_generate_trace_writes_slots_in_order():
    events = list(generate_trace("heap", 20, seed=4))
    assert [e.index for e in events] == list(range(20))
    assert all(e.op == "W" and len(e.arg) == 4096 for e in events)
    assert events[3].arg == list(generate_trace("heap", 20, seed=4))[3].arg
    assert events[3].arg != list(generate_trace("heap", 20, seed=5))[3].arg


def test_generate_trace_extra_operations():
    events = list(generate_trace("text", 200, seed=3, overwrite_rate=0.1, read_rate=0.2,
                                 discard_rate=0.05, compact_rate=0.01))
    assert Counter(e.op for e in events) == {"W": 225, "R": 32, "D": 11, "C": 3}
    # regression pin; by hand the extra operations follow their rates over 200 writes
    # (20, 40, 10, 2 expected; sigma 4.2, 5.7, 3.1, 1.4), within 2 sigma:
    for count, rate in ((225 - 200, 0.1), (32, 0.2), (11, 0.05), (3, 0.01)):
        assert abs(count - 200 * rate) <= 2 * (200 * rate * (1 - rate)) ** 0.5
    written = set()
    for op, index, arg in events:
        assert op in OPS
        if op == "W":
            assert index <= len(written) and len(arg) == 4096
            written.add(index)
        elif op == "D":
            assert 1 <= arg <= 8 and index + arg <= len(written)
        elif op == "R":
            assert index in written
        else:
            assert (index, arg) == (0, None)
    first_writes = [e for e in events if e.op == "W" and e.index not in
                    {x.index for x in events[:events.index(e)] if x.op == "W"}]
    plain = list(generate_trace("text", 200, seed=3))
    assert [e.arg for e in first_writes[:5]] == [e.arg for e in plain[:5]]


def test_default_workload_shape_and_counters():
    events = list(default_workload())
    assert DEFAULT_SEED == 0 and DEFAULT_PAGES == 4096 and "default" in DESCRIPTION.lower()
    assert all(isinstance(e, PageEvent) for e in events)
    # by hand from the docstring: 4096 writes + 4096 // 20 overwrites = 4300;
    # 4096 // 10 reads + one per 64 slots = 409 + 64 = 473; 4096 // 100 = 40 discards
    assert Counter(e.op for e in events) == {"W": 4300, "R": 473, "D": 40, "C": 1}
    assert [e.index for e in events[:DEFAULT_PAGES]] == list(range(DEFAULT_PAGES))
    assert sum(DEFAULT_MIX.values()) == pytest.approx(1.0)


def test_default_workload_golden_profile():
    """Pinned; the counts are also what a zram device reports for the same pages
    (profile claims to count as mm_stat does), the same-filled count by the
    definition (one 8-byte word repeated) written out here."""
    from zramsim.device import ZramDevice
    events = list(default_workload())
    pages = [e.arg for e in events[:DEFAULT_PAGES]]
    p = profile(pages, HUGE)
    assert p == Profile(pages=4096, same_pages=590, huge_pages=142, orig_data_size=16777216,
                        compr_data_size=6422982,
                        lz4_deciles=(1135, 1340, 1462, 1544, 1618, 1699, 1791, 2415, 3077))
    device = ZramDevice()
    for slot, page in enumerate(pages):
        device.write(slot, page)
    mm = device.mm_stat()
    assert (mm.same_pages, mm.huge_pages, mm.orig_data_size, mm.compr_data_size) == (
        p.same_pages, p.huge_pages, p.orig_data_size, p.compr_data_size)
    assert sum(page == page[:8] * 512 for page in pages) == p.same_pages
    assert 2.5 <= p.ratio <= 4
    zero = sum(1 for e in events[:DEFAULT_PAGES] if e.arg == bytes(4096))
    assert zero == 521


def test_default_workload_is_deterministic():
    first = list(default_workload(seed=11, pages=1024))
    assert first == list(default_workload(seed=11, pages=1024))
    assert first != list(default_workload(seed=12, pages=1024))


def test_default_workload_small_and_invalid():
    events = list(default_workload(pages=1))
    assert events == [events[0], PageEvent("D", 0, 1), PageEvent("C", 0, None),
                      PageEvent("R", 0, None)]
    with pytest.raises(ValueError):
        list(default_workload(pages=0))


def test_default_workload_moves_every_device_counter():
    """Every counter exact: the slot counters by hand from the events
    (tests/by_hand.py), pages_compacted as the debugfs freeable total just before
    the one compaction (a full compaction frees exactly that, spec §1.8)."""
    from by_hand import expected_counters
    from zramsim.device import ZramDevice
    from zramsim.replay import Replay

    events = list(default_workload())
    compaction = events.index(PageEvent("C", 0, None))
    device = ZramDevice()
    replay = Replay(device)
    replay.run(events[:compaction])
    freeable = sum(row.freeable for row in device.pool.class_stats())
    replay.run(events[compaction:])
    assert replay.applied == len(events) == 4814
    hand = expected_counters(events, 4096, device.huge_class_size)
    mm, io = device.mm_stat(), device.io_stat()
    assert (mm.orig_data_size, mm.compr_data_size, mm.same_pages, mm.huge_pages,
            mm.huge_pages_since, io.notify_free) == (
        hand.orig_data_size, hand.compr_data_size, hand.same_pages, hand.huge_pages,
        hand.huge_pages_since, hand.notify_free)
    assert mm.pages_compacted == freeable
    # regression pins of the quantities checked independently above
    assert (mm.same_pages, mm.huge_pages, mm.huge_pages_since, io.notify_free,
            mm.pages_compacted) == (566, 137, 148, 176, 72)
    assert 2.5 <= mm.orig_data_size / mm.compr_data_size <= 4
    device.check()
