"""Round-trip properties of the device under random operation sequences (hypothesis).

A plain dict is the model: slot -> the page last written (or SIZES for a
sizes-only write). After every step the device, in verify mode, must read back
what the model says, ``check()`` must pass (slot table, pool and counters
agree), and the counters must match what the model can count on its own. Pages
range from same-filled to random, mixed with sizes-only writes, with mem_limit
sometimes set so that writes fail and must leave the old contents in place.
"""

from __future__ import annotations

import random
from dataclasses import astuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zramsim import Replay, ZramDevice

SLOTS = 12
SIZES = "sizes-only"
KINDS = ("zero", "fill", "random", "repeat", "half", "sparse")


def make_page(kind: str, seed: int, page_size: int) -> bytes:
    """A page of a given compressibility: same-filled, huge, or anything between."""
    rng = random.Random(seed)
    if kind == "zero":
        return bytes(page_size)
    if kind == "fill":
        return rng.getrandbits(64).to_bytes(8, "little") * (page_size // 8)
    if kind == "random":
        return rng.randbytes(page_size)
    if kind == "repeat":
        unit = rng.randbytes(rng.choice((3, 16, 100, 700)))
        return (unit * (page_size // len(unit) + 1))[:page_size]
    if kind == "half":          # compresses to about half a page, near the huge line
        cut = rng.randrange(page_size // 4, page_size)
        return rng.randbytes(cut) + bytes(page_size - cut)
    page = bytearray(page_size)  # sparse: a few random bytes in zeros
    for _ in range(rng.randrange(1, 40)):
        page[rng.randrange(page_size)] = rng.randrange(1, 256)
    return bytes(page)


slot = st.integers(0, SLOTS - 1)
page_write = st.tuples(st.just("write"), slot, st.sampled_from(KINDS), st.integers(0, 1 << 16))
operation = st.one_of(
    page_write, page_write, page_write,
    st.tuples(st.just("size"), slot, st.integers(1, 16384)),
    st.tuples(st.just("read"), slot),
    st.tuples(st.just("discard"), slot, st.integers(1, 3)),
    st.tuples(st.just("compact")),
    st.tuples(st.just("limit"), st.integers(0, 6)),
    st.tuples(st.just("reset_max")),
)


@pytest.mark.parametrize("page_size, algorithm", [(4096, "lz4"), (16384, "lz4"),
                                                   (4096, "zstd")])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(operation, max_size=30), limit=st.sampled_from([0, 0, 1, 2, 4]))
def test_random_sequences_round_trip(page_size, algorithm, ops, limit):
    dev = ZramDevice(SLOTS * page_size, algorithm, page_size=page_size, verify=True,
                     mem_limit=limit * page_size)
    model: dict[int, bytes | str] = {}
    since = failed = freed = 0
    for op in ops:
        kind = op[0]
        if kind == "write":
            page = make_page(op[2], op[3], page_size)
            if dev.write(op[1], page):
                model[op[1]] = page
            else:
                failed += 1
        elif kind == "size":
            n = min(op[2], page_size)
            if dev.write_size(op[1], n):
                model[op[1]] = SIZES
            else:
                failed += 1
        elif kind == "read":
            expected = model.get(op[1], bytes(page_size))
            assert dev.read(op[1]) == (None if expected is SIZES else expected)
        elif kind == "discard":
            count = min(op[2], SLOTS - op[1])
            dev.discard(op[1], count)
            freed += count
            for i in range(op[1], op[1] + count):
                model.pop(i, None)
        elif kind == "compact":
            dev.compact()
        elif kind == "limit":
            dev.set_mem_limit(op[1] * page_size)
        else:
            dev.reset_mem_used_max()
        dev.check()
        m = dev.mm_stat()
        assert m.orig_data_size == len(model) * page_size
        assert m.mem_used_max >= m.mem_used_total
        assert m.huge_pages_since >= since
        since = m.huge_pages_since
        assert astuple(dev.io_stat()) == (0, failed, 0, freed)
    for i in range(SLOTS):
        expected = model.get(i, bytes(page_size))
        assert dev.read(i) == (None if expected is SIZES else expected)
    same = sum(1 for p in model.values() if p is not SIZES and p == p[:8] * (page_size // 8))
    assert dev.mm_stat().same_pages == same


@settings(max_examples=25, deadline=None)
@given(ops=st.lists(operation, max_size=30), workers=st.integers(2, 3),
       batch=st.integers(1, 9))
def test_parallel_replay_equals_serial(ops, workers, batch):
    """The same events, one thread or several: identical statistics and contents."""
    events = []
    for op in ops:
        if op[0] == "write":
            events.append(("W", op[1], make_page(op[2], op[3], 4096)))
        elif op[0] == "size":
            events.append(("W", op[1], min(op[2], 4096)))
        elif op[0] == "read":
            events.append(("R", op[1], None))
        elif op[0] == "discard":
            events.append(("D", op[1], min(op[2], SLOTS - op[1])))
        elif op[0] == "compact":
            events.append(("C", 0, None))
    serial = ZramDevice(SLOTS * 4096, "zstd", mem_limit=5 * 4096)
    parallel = ZramDevice(SLOTS * 4096, "zstd", mem_limit=5 * 4096)
    Replay(serial).run(events)
    Replay(parallel, workers=workers, batch=batch).run(events)
    assert parallel.stats().as_dict() == serial.stats().as_dict()
    assert [parallel.read(i) for i in range(SLOTS)] == [serial.read(i) for i in range(SLOTS)]
