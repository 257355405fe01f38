"""The swap-pressure memory model and its reclaim policies: hand-computed cases.

Pages given as ints are sizes-only pages (a known compressed length), so zram's
RAM charge is exact: a 2040-byte object lands in class 2048, two to a one-page
zspage; a 1200-byte object in class 1216, ten to a three-page zspage.
"""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workloads.access import zipf
from zramsim.pressure.model import MemoryModel, PressureConfig
from zramsim.pressure.policies import POLICIES, make_policy

# The classic textbook reference string (3 frames: LRU 12 faults, FIFO 15, OPT 9).
TEXTBOOK = [7, 0, 1, 2, 0, 3, 0, 4, 2, 3, 0, 3, 2, 1, 2, 0, 1, 7, 0, 1]


def fake_clock():
    """Each call is one nanosecond later: timings become call counts."""
    return itertools.count().__next__


def model(ram, contents, **knobs):
    return MemoryModel(PressureConfig(ram_pages=ram, **knobs), contents, clock=fake_clock())


def where(m):
    return "".join(m.location(p)[0] for p in range(m.pages))


# -- policies: one contract over the registry ---------------------------------

@pytest.mark.parametrize("name", list(POLICIES))
def test_policy_contract(name):
    policy = make_policy(name)
    assert policy.name == name and len(policy) == 0
    for page in (5, 6, 7):
        policy.insert(page)
    assert len(policy) == 3 and 6 in policy and 8 not in policy
    victims = {policy.evict(), policy.evict(), policy.evict()}
    assert victims == {5, 6, 7} and len(policy) == 0 and 5 not in policy
    with pytest.raises(IndexError):
        policy.evict()


@pytest.mark.parametrize("name", list(POLICIES))
def test_policy_untouched_pages_leave_in_insertion_order(name):
    policy = make_policy(name)
    for page in range(4):
        policy.insert(page)
    assert [policy.evict() for _ in range(4)] == [0, 1, 2, 3]


def test_unknown_policy_names_the_choices():
    with pytest.raises(ValueError, match="lru, clock, twolist"):
        make_policy("fifo")


def simulate(name, frames, refs):
    """Bare replacement on a fixed number of frames: (faults, victims)."""
    policy, victims, faults = make_policy(name), [], 0
    for page in refs:
        if page in policy:
            policy.touch(page)
            continue
        faults += 1
        if len(policy) == frames:
            victims.append(policy.evict())
        policy.insert(page)
    return faults, victims


def test_lru_textbook_string():
    faults, victims = simulate("lru", 3, TEXTBOOK)
    assert faults == 12
    assert victims == [7, 1, 2, 3, 0, 4, 0, 3, 2]


def test_clock_textbook_string():
    # Second chance, new pages enter with the bit set just behind the hand.
    # Worked by hand: e.g. the fault on 3 (6th reference) clears 0's bit, set by
    # the hit just before, and takes 1; the fault on 4 sweeps all three bits clear.
    faults, victims = simulate("clock", 3, TEXTBOOK)
    assert faults == 14
    assert victims == [7, 1, 2, 0, 3, 4, 2, 0, 3, 1, 2]


def test_twolist_textbook_string():
    # Worked by hand: the hits on 0, 3, 2 promote them; the fault on 1 (14th
    # reference) finds 3 active and 0 inactive pages, demotes 0 and 3 and evicts 0.
    faults, victims = simulate("twolist", 3, TEXTBOOK)
    assert (faults, victims) == (12, [7, 1, 2, 3, 4, 0, 3, 0, 2])


def test_docstring_short_string_all_policies_agree():
    for name in POLICIES:
        assert simulate(name, 3, [7, 0, 1, 2, 0, 3, 0, 4]) == (6, [7, 1, 2])


def test_twolist_keeps_twice_touched_pages_through_a_scan():
    # Pages 0 and 1 are used twice, then a scan of 2..9 passes through 4 frames.
    faults, victims = simulate("twolist", 4, [0, 1, 0, 1] + list(range(2, 10)) + [0, 1])
    assert 0 not in victims and 1 not in victims and faults == 10
    faults_lru, _ = simulate("lru", 4, [0, 1, 0, 1] + list(range(2, 10)) + [0, 1])
    assert faults_lru == 12


# -- the memory model on hand-computable cases --------------------------------

def test_textbook_with_disk_swap_charges_no_ram():
    m = model(3, [bytes(4096)] * 8, swap="disk")
    s = m.run((p, False) for p in TEXTBOOK).summary
    assert (s.first_touches, s.disk_reads, s.disk_writes, s.faults) == (6, 6, 9, 12)
    assert (s.hits, s.accesses, s.resident_pages, s.disk_pages) == (8, 20, 3, 3)
    assert s.held_max == 3 and s.effective_memory == 1.0


def test_textbook_with_zram_same_filled_pages_costs_no_frames():
    # Zero pages are same-filled: held in zram without a byte of pool memory.
    m = model(3, [bytes(4096)] * 8)
    s = m.run((p, False) for p in TEXTBOOK).summary
    assert (s.first_touches, s.zram_ins, s.zram_outs, s.faults) == (6, 6, 9, 12)
    assert (s.zram_frames_max, s.mem_used_total, s.zram_pages) == (0, 0, 3)
    assert m.device.io_stat().notify_free == 6      # every swap-in freed its slot
    assert s.held_max == 6 and s.effective_memory == 2.0


def test_zram_charge_two_objects_per_frame():
    m = model(4, [2040] * 6)
    steps = []
    for page in (0, 1, 2, 3, 4, 0):
        assert m.access(page)
        m.check(deep=True)
        steps.append((where(m), m.resident_pages(), m.zram_frames()))
    assert steps == [
        ("ruuuuu", 1, 0), ("rruuuu", 2, 0), ("rrruuu", 3, 0), ("rrrruu", 4, 0),
        # page 4: evict 0 (a new zspage: 1 frame), 3+1+1 > 4 so evict 1 (same zspage)
        ("zzrrru", 3, 1),
        # page 0: evict 2 (second zspage), then 3; reading 0 back frees its object only
        ("rzzzru", 2, 2),
    ]
    s = m.summary()
    assert (s.first_touches, s.zram_outs, s.zram_ins, s.held_max) == (5, 4, 1, 5)
    assert (s.compr_data_size, s.mem_used_total) == (3 * 2040, 2 * 4096)
    assert m._slot_of[1] == 1 and m._slot_of[2] == 2 and m._slot_of[3] == 3


def test_docstring_example_new_zspage_forces_more_reclaim():
    m = model(4, [1200] * 5)
    for page in range(5):
        m.access(page)
    assert where(m) == "zzzzr"
    assert (m.resident_pages(), m.zram_frames(), m.summary().held_max) == (1, 3, 5)


def test_lowest_free_slot_is_reused():
    m = model(4, [2040] * 6)
    for page in (0, 1, 2, 3, 4, 0, 5):
        m.access(page)
    # page 0 came back from slot 0; page 5's fault evicted 4, which took slot 0 again
    assert m.location(4) == "zram" and m._slot_of[4] == 0


def test_no_swap_runs_out_of_memory_at_ram_plus_one():
    m = model(3, [bytes(4096)] * 5, swap="none")
    s = m.run((p, False) for p in [0, 1, 0, 2, 1, 3, 4]).summary
    assert s.oom_at == 5 and s.accesses == 5 and s.hits == 2
    with pytest.raises(RuntimeError):
        m.access(0)


def test_mem_limit_ends_in_oom_or_spills_to_disk():
    refs = [0, 1, 2, 3, 4, 5]
    oom = model(4, [2040] * 6, mem_limit=4096).run((p, False) for p in refs).summary
    assert (oom.oom_at, oom.zram_outs, oom.refused_outs) == (5, 2, 1)
    spill = model(4, [2040] * 6, mem_limit=4096, on_full="disk")
    s = spill.run((p, False) for p in refs).summary
    assert (s.oom_at, s.zram_outs, s.refused_outs, s.disk_writes) == (None, 2, 1, 1)
    assert where(spill) == "zzdrrr" and spill.device.io_stat().failed_writes == 1
    spill.check(deep=True)


def test_the_reserve_limit_is_lifted_again_even_when_the_write_raises():
    """With a reserve, a swap-out lowers the device's mem_limit for its one write
    (ram 2 + reserve 0 - 1 resident = 1 frame); the configured 3 pages come back
    on every path, an interrupted write too."""
    m = model(2, [2040] * 4, mem_limit=3 * 4096, reserve=0)
    assert m.access(0) and m.access(1)
    seen = []

    def interrupted(slot, size):
        seen.append(m.device.mm_stat().mem_limit)
        raise KeyboardInterrupt

    m.device.write_size = interrupted
    with pytest.raises(KeyboardInterrupt):
        m.access(2)
    assert seen == [4096] and m.device.mm_stat().mem_limit == 3 * 4096


def test_disksize_limits_slots():
    m = model(4, [2040] * 6, disksize=2 * 4096, on_full="disk")
    m.run((p, False) for p in range(6))
    assert where(m) == "zzdrrr" and m.refused_outs == 1
    assert m.device.io_stat().failed_writes == 0      # no slot: zram never saw it


def test_disk_capacity_full_is_oom():
    s = model(2, [bytes(4096)] * 4, swap="disk", disk_pages=1).run(
        (p, False) for p in range(4)).summary
    assert (s.oom_at, s.disk_writes) == (3, 1)


def test_incompressible_pages_give_nothing_back():
    # Huge pages cost a frame each in zram: swapping one out frees nothing.
    rng = random.Random(3)
    pages = [rng.randbytes(4096) for _ in range(4)]
    s = model(3, pages).run((p, False) for p in range(4)).summary
    assert s.oom_at == 3 and s.resident_pages + s.zram_pages == 3


def test_swap_round_trip_keeps_bytes():
    rng = random.Random(5)
    pages = [rng.choice([b"abc" * 1365 + b"d", bytes(4096), rng.randbytes(4096)])
             for _ in range(12)]
    for i, p in enumerate(pages):
        pages[i] = i.to_bytes(4, "little") + p[4:]
    m = model(6, pages)
    m.run((rng.randrange(12), False) for _ in range(300))
    assert m.zram_ins > 20
    assert [m.peek(p) for p in range(12)] == pages
    m.check(deep=True)


def test_write_replaces_one_block_from_a_donor():
    pages = [bytes([k]) * 4096 for k in range(4)]
    r = random.Random(11).getrandbits(32)
    donor, block = (r >> 4) % 4, r % 16
    m = model(4, pages, seed=11)
    m.access(2, True)
    expected = bytes([2]) * (block * 256) + bytes([donor]) * 256 + bytes([2]) * (3840 - block * 256)
    assert m.peek(2) == expected
    m.access(1, b"x" * 4096)
    assert m.peek(1) == b"x" * 4096
    sizes = model(2, [1500, 1600], seed=11)
    sizes.access(0, True)
    assert sizes.peek(0) == 1500            # a sizes-only page keeps its size


def test_timeline_every_k_and_final():
    m = model(4, [2040] * 6)
    result = m.run(((p, False) for p in (0, 1, 2, 3, 4, 0, 5)), every=3)
    assert [s.access for s in result.timeline] == [3, 6, 7]
    mid = result.timeline[1]
    assert (mid.resident_pages, mid.zram_pages, mid.zram_frames, mid.faults) == (2, 3, 2, 6)
    assert (mid.swap_ins, mid.swap_outs, mid.mem_used_total) == (1, 4, 8192)
    assert mid.compr_ratio == 3 * 4096 / (3 * 2040)


def test_measured_times_come_from_the_clock():
    # The fake clock ticks once per call; each timed device call reads it twice.
    s = model(4, [2040] * 6).run((p, False) for p in (0, 1, 2, 3, 4, 0)).summary
    assert (s.compress_ns, s.decompress_ns) == (4, 1)
    assert s.est_ns_per_access == 100 + 5 / 6


def test_shrinker_gives_frames_back():
    """400 sizes-only pages over 12 sizes, zipf, 220 frames of RAM. The numbers
    are regression pins; each is also counted another way: every compaction frees
    the debugfs freeable total of the moment (spec §1.8), and every swap-in is
    one device read and one discarded slot (notify_free)."""
    rng = random.Random(2)
    sizes = [rng.randrange(200, 3500) for _ in range(12)]
    contents = [rng.choice(sizes) for _ in range(400)]
    refs = [(p, False) for p in range(400)] + list(zipf(400, 3000, seed=1, shuffle=True))
    results = {}
    for shrinker in (True, False):
        m = model(220, contents, shrinker=shrinker)
        freeable = []
        compact = m.device.compact

        def counted_compact(dev=m.device, compact=compact, freeable=freeable):
            freeable.append(sum(row.freeable for row in dev.pool.class_stats()))
            return compact()

        m.device.compact = counted_compact
        s = m.run(refs).summary
        assert s.pages_compacted == sum(freeable)
        assert s.zram_ins == m.device.reads == m.device.io_stat().notify_free
        results[shrinker] = (s.pages_compacted, s.zram_ins)
    assert results == {True: (220, 1290), False: (0, 1450)}


# -- properties: the invariant at every step, run() == stepping ---------------

SIZES = st.one_of(st.integers(1, 4200), st.sampled_from([bytes(4096), b"ab" * 2048]))


@settings(max_examples=60, deadline=None)
@given(ram=st.integers(1, 12), contents=st.lists(SIZES, min_size=1, max_size=24),
       refs=st.lists(st.tuples(st.integers(0, 23), st.booleans()), max_size=120),
       policy=st.sampled_from(list(POLICIES)), on_full=st.sampled_from(["oom", "disk"]),
       limit=st.sampled_from([0, 4096, 3 * 4096]), reserve=st.sampled_from([None, 0, 8]))
def test_ram_invariant_every_step(ram, contents, refs, policy, on_full, limit, reserve):
    refs = [(p % len(contents), w) for p, w in refs]
    knobs = dict(policy=policy, on_full=on_full, mem_limit=limit, reserve=reserve)
    m, twin = model(ram, contents, **knobs), model(ram, contents, **knobs)
    for page, write in refs:
        if not m.access(page, write):
            break
        m.check()
        assert m.resident_pages() + m.zram_frames() <= ram
        if reserve is not None:
            assert m.device.pool.total_pages <= ram + reserve
    m.check(deep=True)
    assert m.device.mm_stat().mem_limit == limit
    assert twin.run(iter(refs)).summary.counts() == m.summary().counts()
