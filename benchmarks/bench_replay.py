"""How fast does the device replay, measured against the work it cannot avoid?

Replaying real pages costs one compression per write plus our own Python:
the same-filled test, zs_malloc, the copy into page frames and the counters.
The compression is the floor, so each figure here is a *ratio* against a bare
loop doing only the unavoidable part, measured in the same run on the same
inputs (so a slower or busier machine moves both sides alike):

* ``replay lz4``: ``Replay`` of writes of real pages (files under /usr/lib,
  each written three times over) against a bare loop of the same
  ``lz4.frame.compress`` call over the same pages. Target ratio >= 0.8: our
  bookkeeping costs at most a quarter of lz4. ``replay lz4 workers=2`` is the
  same replay with one helper process compressing beside it.
* ``replay lz4-kernel workers=2``, ``replay lzo-rle workers=2``: the exact
  pure-Python compressors, with one helper process against without (the
  speed-up; statistics must be identical).
* ``replay zstd`` and ``replay zstd workers=2``: zstd releases the GIL, so
  the parallel replay compresses batches on two threads and applies them in
  event order; its baseline is the single-threaded replay (target >= 1.5x)
  and its statistics must equal the single-threaded ones.
* ``replay sizes-only``: writes, reads and discards carrying only compressed
  lengths, against a loop that unpacks and dispatches the same events and
  does nothing. Target >= 1,000,000 events/s.
* ``memory per page``: Python memory per stored page with 1,000,000
  sizes-only pages stored (quick mode: 200,000).

Worked example of a ratio: if the bare loop compresses 20,000 pages in 0.10 s
(200,000 pages/s) and the replay takes 0.12 s (166,667 pages/s), the ratio is
166,667 / 200,000 = 0.83. Each side is timed ``repeat`` times, interleaved,
and the best time of each is kept.

Run: ``python benchmarks/bench_replay.py [--quick]`` (prints one row per line).
"""

from __future__ import annotations

import gc
import os
import random
import sys
import time

if __name__ == "__main__":       # run as a script from anywhere: the repo root on the path
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import lz4.frame  # noqa: E402
import zstandard  # noqa: E402

from allocator import Geometry, Pool  # noqa: E402
from benchmarks.common import format_table, make_row  # noqa: E402
from workloads.events import PageEvent  # noqa: E402
from zramsim import Replay, ZramDevice  # noqa: E402

PAGE = 4096
SEED = 2025


def real_pages(count: int, seed: int = SEED, root: str = "/usr/lib") -> list[bytes]:
    """``count`` page-sized pieces of regular files under ``root``, chosen by ``seed``."""
    files = []
    for folder, dirs, names in os.walk(root):
        dirs.sort()
        for name in sorted(names):
            path = os.path.join(folder, name)
            if os.path.isfile(path) and not os.path.islink(path):
                try:
                    if os.path.getsize(path) >= PAGE:
                        files.append(path)
                except OSError:
                    continue
    rng = random.Random(seed)
    pages = []
    while len(pages) < count and files:
        path = rng.choice(files)
        try:
            with open(path, "rb") as f:
                f.seek(PAGE * rng.randrange(os.path.getsize(path) // PAGE))
                page = f.read(PAGE)
        except OSError:
            continue
        if len(page) == PAGE:
            pages.append(page)
    return pages


def page_writes(pages: list[bytes], seed: int = SEED) -> list[PageEvent]:
    """One write per page to a random slot among ``len(pages) // 2`` (half are overwrites)."""
    rng = random.Random(seed)
    slots = max(1, len(pages) // 2)
    return [PageEvent("W", rng.randrange(slots), page) for page in pages]


def sizes_events(count: int, slots: int, seed: int = SEED) -> list[PageEvent]:
    """90% writes of lengths 20..4096 (some huge), 8% reads, 2% discards of 1-4 pages."""
    rng = random.Random(seed)
    events = []
    for _ in range(count):
        r = rng.random()
        index = rng.randrange(slots - 4)
        if r < 0.90:
            size = 4096 if r < 0.05 else min(4096, int(rng.triangular(20, 4096, 2200)))
            events.append(PageEvent("W", index, size))
        elif r < 0.98:
            events.append(PageEvent("R", index))
        else:
            events.append(PageEvent("D", index, rng.randint(1, 4)))
    return events


def _timed(fn) -> float:
    gc.collect()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _current_rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _row(name: str, ops: float, base: float, note: str) -> dict:
    return make_row(name, round(ops), round(base), note)


def _replay(events, algorithm: str, slots: int, workers: int | None = None) -> ZramDevice:
    dev = ZramDevice(slots * PAGE, algorithm)
    if workers is None:
        Replay(dev).run(events)
    else:
        Replay(dev, workers=workers).run(events)
    return dev


def bench_lz4(pages: list[bytes], repeat: int, rounds: int = 3) -> list[dict]:
    """lz4 replay, single-threaded and with one helper process, vs a bare lz4 loop.

    The pages are written ``rounds`` times over (to random slots), so that the
    ~0.2 s start of the helper process is part of the measurement but does not
    swamp it.
    """
    writes = pages * rounds
    events = page_writes(writes)
    slots = len(writes) // 2 + 1
    compress = lz4.frame.compress

    def bare() -> None:
        for page in writes:
            compress(page, compression_level=0, block_linked=False,
                     content_checksum=False, store_size=False)

    base = replay = parallel = float("inf")
    for _ in range(repeat):
        base = min(base, _timed(bare))
        replay = min(replay, _timed(lambda: _replay(events, "lz4", slots)))
        parallel = min(parallel, _timed(lambda: _replay(events, "lz4", slots, 2)))
    n = len(writes)
    return [_row("replay lz4", n / replay, n / base,
                 f"{n} writes of real pages vs bare lz4.frame.compress loop"),
            _row("replay lz4 workers=2", n / parallel, n / base,
                 "the same with one helper process (start included); vs the same bare loop"
                 + ("; quick mode: too short for the helper's ~0.2 s start to pay off"
                    if n < 30000 else ""))]


def bench_lz4_kernel(pages: list[bytes], repeat: int, algorithm: str = "lz4-kernel") -> dict:
    """An exact pure-Python compressor (lz4-kernel ~0.8 ms a page, lzo-rle ~0.5 ms):
    how much one helper process saves."""
    events = page_writes(pages)
    slots = len(pages) // 2 + 1
    single = parallel = float("inf")
    for _ in range(repeat):
        single = min(single, _timed(lambda: _replay(events, algorithm, slots)))
        parallel = min(parallel, _timed(lambda: _replay(events, algorithm, slots, 2)))
    a = _replay(events, algorithm, slots).stats().as_dict()
    b = _replay(events, algorithm, slots, 2).stats().as_dict()
    n = len(pages)
    return _row(f"replay {algorithm} workers=2", n / parallel, n / single,
                f"vs single-threaded {algorithm} replay; stats identical: {a == b}")


def bench_zstd(pages: list[bytes], repeat: int, workers: int = 2) -> list[dict]:
    events = page_writes(pages)
    slots = len(pages) // 2 + 1
    compress = zstandard.ZstdCompressor(level=3).compress

    def bare() -> None:
        for page in pages:
            compress(page)

    base = single = parallel = float("inf")
    for _ in range(repeat):
        base = min(base, _timed(bare))
        single = min(single, _timed(lambda: _replay(events, "zstd", slots)))
        try:
            parallel = min(parallel, _timed(lambda: _replay(events, "zstd", slots, workers)))
        except TypeError:
            pass
    n = len(pages)
    rows = [_row("replay zstd", n / single, n / base,
                 f"{n} writes of real pages vs bare zstd level 3 loop")]
    if parallel == float("inf"):
        return rows + [make_row(f"replay zstd workers={workers}", None, round(n / single),
                                "no parallel mode")]
    a = _replay(events, "zstd", slots).stats().as_dict()
    b = _replay(events, "zstd", slots, workers).stats().as_dict()
    rows.append(_row(f"replay zstd workers={workers}", n / parallel, n / single,
                     f"vs single-threaded replay; stats identical: {a == b}"))
    return rows


def bench_sizes(count: int, repeat: int) -> list[dict]:
    slots = 100_000
    events = sizes_events(count, slots)
    huge = Geometry().huge_class_size

    def pool_floor() -> None:
        """Only the allocator calls the events imply: the part no device code can skip."""
        pool, handles = Pool(Geometry()), [0] * slots
        malloc, free = pool.malloc, pool.free
        for op, index, arg in events:
            if op == "W":
                handle = malloc(arg if arg < huge else PAGE)
                if handles[index]:
                    free(handles[index])
                handles[index] = handle
            elif op == "D":
                for i in range(index, index + arg):
                    if handles[i]:
                        free(handles[i])
                        handles[i] = 0

    def bare() -> None:
        n = 0
        for op, index, arg in events:
            if op == "W":
                n += arg
            elif op == "R":
                n += 1
            elif op == "D":
                n += arg
            else:
                n += 2

    base = floor = replay = float("inf")
    for _ in range(repeat):
        base = min(base, _timed(bare))
        floor = min(floor, _timed(pool_floor))
        replay = min(replay, _timed(lambda: _replay(events, "lz4", slots)))
    return [_row("replay sizes-only", count / replay, count / base,
                 f"{count} events over {slots} slots vs bare dispatch loop"),
            _row("replay sizes-only vs pool", count / replay, count / floor,
                 "baseline: the same events as bare Pool.malloc/free calls")]


def bench_memory(pages: int) -> dict:
    events = [PageEvent("W", i, 200 + (i * 7919) % 3000) for i in range(pages)]
    gc.collect()
    before = _current_rss()
    start = time.perf_counter()
    dev = _replay(events, "lz4", pages)
    elapsed = time.perf_counter() - start
    gc.collect()
    per_page = (_current_rss() - before) / pages
    assert dev.mm_stat().orig_data_size == pages * PAGE
    row = _row("memory per page", pages / elapsed, pages / elapsed,
               f"{per_page:.0f} bytes of RSS per stored sizes-only page at {pages} pages")
    del dev
    return row


def run(quick: bool) -> list[dict]:
    """Every benchmark row; ``quick`` uses fewer pages and fewer repeats."""
    n = 3000 if quick else 20000
    repeat = 2 if quick else 5
    pages = real_pages(n)
    rows = bench_lz4(pages, repeat)
    rows.append(bench_lz4_kernel(pages[:300 if quick else 2000], 2))
    rows.append(bench_lz4_kernel(pages[:300 if quick else 2000], 2, "lzo-rle"))
    rows += bench_zstd(pages, repeat)
    rows += bench_sizes(100_000 if quick else 1_000_000, repeat)
    rows.append(bench_memory(200_000 if quick else 1_000_000))
    return rows


if __name__ == "__main__":
    print(format_table(run("--quick" in sys.argv)), end="")
