"""Compressing ahead in helper processes: the same bytes as compressing here.

``ProcessCompressing`` splits a batch between helper processes (from the
front of each chunk) and this process (from the back); whoever does a page,
the result for page k must be ``compress(page k)``, in order, with None where
a page cannot be compressed ahead.
"""

from __future__ import annotations

import os
import random
import sys
import types

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zramsim import Replay, ZramDevice
from zramsim.compressors import Lz4, Zstd
from zramsim.lz4_kernel import Lz4Kernel
from zramsim.parallel import HelperFailed, ProcessCompressing, ThreadCompressing, compressing
from zramsim.replay import _batches

PAGE = 4096
TRACES = os.path.join(os.path.dirname(__file__), "data", "traces")


def _pages(count: int, seed: int = 7) -> list[bytes]:
    rng = random.Random(seed)
    words = [b"zram ", b"page ", b"slot ", b"handle ", b"class ", rng.randbytes(6)]
    pages = []
    for k in range(count):
        if k % 5 == 4:
            pages.append(rng.randbytes(PAGE))                  # incompressible: huge
        else:
            text = b"".join(rng.choice(words) for _ in range(1200))
            pages.append(text[:PAGE])
    return pages


@pytest.mark.parametrize("helpers, batch", [(1, 64), (2, 64), (1, 5), (2, 3)])
def test_every_page_comes_back_compressed_in_order(helpers, batch):
    compressor = Lz4()
    pages = _pages(150)
    with ProcessCompressing(compressor, helpers, PAGE, batch) as ahead:
        assert ahead.wait_ready()
        got = []
        for at in range(0, len(pages), batch):
            chunk = pages[at:at + batch]
            got += [bytes(data) for data in ahead.start(chunk)()]
    assert got == [compressor.compress(page) for page in pages]


def test_a_slow_helper_is_helped_and_the_lengths_stay_exact():
    """lz4-kernel takes ~1 ms a page, so this process steals much of each batch."""
    compressor = Lz4Kernel()
    pages = _pages(24)
    with ProcessCompressing(compressor, 1, PAGE, 12) as ahead:
        assert ahead.wait_ready()
        first, second = ahead.start(pages[:12]), ahead.start(pages[12:])
        got = [bytes(d) for d in first()] + [bytes(d) for d in second()]
    assert got == [compressor.compress(page) for page in pages]


def test_pages_that_cannot_go_ahead_come_back_as_none():
    good = _pages(3)
    with ProcessCompressing(Lz4(), 1, PAGE, 8) as ahead:
        assert ahead.wait_ready()
        got = ahead.start([good[0], b"short", None, good[1], bytearray(good[2])])()
    assert [g is None for g in got] == [False, True, True, False, True]
    assert bytes(got[3]) == Lz4().compress(good[1])


def test_before_the_helper_is_ready_this_process_compresses_everything():
    pages = _pages(6)
    with ProcessCompressing(Lz4(), 1, PAGE, 8) as ahead:
        got = ahead.start(pages)()          # at once: the helper is still starting
    assert [bytes(d) for d in got] == [Lz4().compress(p) for p in pages]


def test_an_empty_batch_and_more_pages_than_helpers_chunks():
    with ProcessCompressing(Lz4(), 2, PAGE, 4) as ahead:
        assert ahead.wait_ready()
        assert ahead.start([])() == []
        pages = _pages(4)
        assert [bytes(d) for d in ahead.start(pages)()] == [Lz4().compress(p) for p in pages]


def test_a_dead_helper_is_a_clear_error():
    with ProcessCompressing(Lz4(), 1, PAGE, 4) as ahead:
        assert ahead.wait_ready()
        ahead._helpers[0].process.kill()
        ahead._helpers[0].process.wait()
        with pytest.raises(HelperFailed, match="helper process stopped"):
            ahead.start(_pages(4))()


def test_the_way_of_compressing_follows_the_compressor():
    with compressing(Zstd(), 2, PAGE, 8) as ahead:
        assert isinstance(ahead, ThreadCompressing)       # zstd compresses batches itself
    with compressing(Lz4(), 2, PAGE, 8) as ahead:
        assert isinstance(ahead, ProcessCompressing)


class _Script(Lz4):
    """An lz4 defined in a user's script: a helper process cannot import it."""

    def clone(self) -> _Script:
        return _Script()


_Script.__module__ = "__main__"


class _Unpicklable(Lz4):
    """An lz4 holding something that cannot be sent to another process."""

    def __init__(self) -> None:
        super().__init__()
        self.hook = lambda page: page

    def clone(self) -> _Unpicklable:
        return _Unpicklable()


@pytest.mark.parametrize("compressor", [_Script(), _Unpicklable()])
def test_a_compressor_a_helper_cannot_load_falls_back_to_threads(compressor):
    with compressing(compressor, 2, PAGE, 8) as ahead:
        assert isinstance(ahead, ThreadCompressing)
        pages = _pages(5)
        assert ahead.start(pages)() == [Lz4().compress(p) for p in pages]


def test_a_helper_that_cannot_start_leaves_the_work_here():
    """Its compressor's module exists only in this process: the helper dies starting."""
    phantom = types.ModuleType("zramsim_phantom_compressors")
    exec("from zramsim.compressors import Lz4\n"
         "class Phantom(Lz4):\n"
         "    def clone(self):\n"
         "        return Phantom()\n", phantom.__dict__)
    sys.modules[phantom.__name__] = phantom
    try:
        with ProcessCompressing(phantom.Phantom(), 1, PAGE, 8) as ahead:
            assert not ahead.wait_ready(timeout=5)
            pages = _pages(6)
            assert [bytes(d) for d in ahead.start(pages)()] == [Lz4().compress(p) for p in pages]
    finally:
        del sys.modules[phantom.__name__]


@pytest.mark.parametrize("algorithm", ["lz4", "lz4-kernel"])
def test_replay_with_helpers_equals_serial_replay(algorithm):
    pages = _pages(60)
    rng = random.Random(3)
    events = [("W", rng.randrange(30), page) for page in pages]
    events += [("D", 3, 4), ("C", 0, None), ("R", 5, None), ("W", 2, 900)]
    devices = []
    for workers in (1, 2, 3):
        dev = ZramDevice(32 * PAGE, algorithm, verify=True, mem_limit=40 * PAGE)
        Replay(dev, workers=workers, batch=16).run(events)
        devices.append(dev)
    first = devices[0].stats().as_dict()
    assert [d.stats().as_dict() for d in devices[1:]] == [first, first]
    assert [devices[2].read(i) for i in range(32)] == [devices[0].read(i) for i in range(32)]


def test_batches_start_short_and_double_up_to_the_batch_size():
    sizes = [len(b) for b, _ in _batches(range(1000), 256, first=64)]
    assert sizes == [64, 128, 256, 256, 256, 40]
    assert [len(b) for b, _ in _batches(range(10), 4)] == [4, 4, 2]


@pytest.fixture(scope="module")
def two_helpers():
    with ProcessCompressing(Lz4(), 2, PAGE, 16) as ahead:
        assert ahead.wait_ready()
        yield ahead


_POOL_OF_PAGES = _pages(20, seed=11) + [bytes(PAGE), b"short", None]


@settings(max_examples=40, deadline=None)
@given(batches=st.lists(st.lists(st.sampled_from(range(len(_POOL_OF_PAGES))), max_size=16),
                        max_size=5))
def test_any_run_of_batches_comes_back_exact(two_helpers, batches):
    """Batches in flight two at a time, as the replay runs them: batch k+1 starts
    before batch k is collected. A page-sized page always comes back as its
    compression; another comes back as None or as whatever compressing it here gives."""
    lz4 = Lz4()

    def expected_ok(page, got) -> bool:
        if type(page) is bytes and len(page) == PAGE:
            return got is not None and bytes(got) == lz4.compress(page)
        try:
            return got is None or bytes(got) == lz4.compress(page)
        except Exception:
            return got is None

    pending, previous = None, None
    for batch in batches + [None]:
        pages = None if batch is None else [_POOL_OF_PAGES[k] for k in batch]
        started = two_helpers.start(pages) if pages is not None else None
        if pending is not None:
            got = pending()
            assert len(got) == len(previous)
            assert all(expected_ok(page, data) for page, data in zip(previous, got))
        pending, previous = started, pages
