"""compare: one trace through every allocator; zsmalloc's row is the device's own numbers."""

from __future__ import annotations

import random

import pytest

from allocator.interface import ALLOCATORS
from workloads.events import PageEvent
from workloads.text_trace import TextTraceReader
from zramsim import ZramDevice, replay
from zramsim.teach.compare import compare, object_ops, render_table, run_allocator

MIXED = "tests/data/traces/mixed.trace"


def _churn(seed: int, compact: bool) -> list[PageEvent]:
    rng = random.Random(seed)
    evs = [PageEvent("W", i, rng.choice([rng.randint(100, 3000), 4000])) for i in range(600)]
    evs += [PageEvent("D", rng.randrange(600), 1) for _ in range(200)]
    evs += [PageEvent("W", rng.randrange(600), rng.randint(100, 3000)) for _ in range(150)]
    if compact:
        evs.append(PageEvent("C", 0))
    return evs


@pytest.mark.parametrize("compact", [False, True])
def test_zsmalloc_row_equals_the_device(compact):
    evs = _churn(4, compact)
    result = compare(evs)
    dev = ZramDevice()
    replay(dev, evs)
    z = result.rows[0]
    m = dev.mm_stat()
    assert z.name == "zsmalloc"
    assert (z.total_pages * 4096, z.max_pages * 4096) == (m.mem_used_total, m.mem_used_max)
    assert z.objects == dev.pool.live_objects
    assert z.fragmentation == dev.pool.fragmentation()


def test_mixed_trace_with_bytes_golden_rows():
    result = compare(list(TextTraceReader(MIXED)))
    assert (result.writes, result.same_pages) == (9, 3)
    got = {r.name: (r.total_pages, r.max_pages, r.objects, r.rejected) for r in result.rows}
    assert got == {"zsmalloc": (9, 13, 4, 0), "single-page": (3, 4, 4, 0),
                   "zbud": (2, 2, 3, 1), "z3fold": (3, 4, 4, 0)}
    dev = ZramDevice()
    replay(dev, TextTraceReader(MIXED))
    assert dev.mm_stat().mem_used_total == 9 * 4096


def test_worked_example_thousand_pages_of_1200_bytes():
    result = compare([PageEvent("W", i, 1200) for i in range(1000)])
    assert [(r.name, r.total_pages) for r in result.rows] == [
        ("zsmalloc", 300), ("single-page", 334), ("zbud", 500), ("z3fold", 334)]
    for r in result.rows:
        assert r.fragmentation.total == r.total_pages * 4096
        assert r.fragmentation.requested == 1_200_000


def test_every_allocator_keeps_its_invariants_through_the_trace():
    ops = object_ops(_churn(7, True))
    live: set[int] = set()
    for op, index, size in ops:
        if op == "store":
            live.add(index)
        elif op == "same":
            live.discard(index)
        elif op == "free":
            live.difference_update(range(index, index + size))
    for name in ALLOCATORS:
        row = run_allocator(name, ops, check_every=7)
        assert row.objects + row.rejected == len(live)


def test_object_ops_and_rejections():
    ops = object_ops([PageEvent("W", 0, bytes(4096)), PageEvent("W", 1, 3624),
                      PageEvent("W", 2, 3625), PageEvent("R", 1), PageEvent("D", 0, 2),
                      PageEvent("C", 0)])
    assert ops == [("same", 0, 0), ("store", 1, 3624), ("store", 2, 4096), ("free", 0, 2),
                   ("compact", 0, 0)]
    zbud = run_allocator("zbud", ops)
    assert (zbud.total_pages, zbud.objects, zbud.rejected, zbud.pages_with_rejected) == (
        0, 0, 1, 1)
    text = render_table(compare([PageEvent("W", 0, 1200)]))
    assert text.splitlines()[0] == ("# 1 writes (0 same-filled: no object), 4096-byte pages, "
                                    "huge from 3625 bytes")
    assert text.splitlines()[2].split()[:3] == ["zsmalloc", "3", "3"]
