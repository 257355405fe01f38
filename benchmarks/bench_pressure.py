"""How many accesses per second does the swap-pressure model serve?

The model's promise is that resident hits are cheap and only faults touch
compression. So every row compares a model run with a bare simulation measured
in the same run on the same one-million-access stream (quick: 100,000): an
``OrderedDict`` LRU over the same number of frames that only counts faults --
no zram, no bytes, no RAM charge. ``ratio`` = model accesses/s over bare
accesses/s.

* ``hits only, reads``: RAM holds the whole address space and the write flags
  are dropped, so after the populate every access is a plain hit: the ratio is
  the price of our hit path (target >= 0.5).
* ``hits only, 5% writes``: the same with the writes kept; each write builds a
  new 4 KiB page (one 256-byte block replaced), which the bare loop never does.
* ``lz4 lru 50%`` (and clock, twolist, zstd): RAM for half the address space;
  every fault compresses a real page into a real ``ZramDevice`` and decompresses
  one, so the ratio falls with the fault rate printed in ``note``.

Measured full size (1,008,192 accesses, 47 s in all) on 2 cores shared with
other jobs: hits only, reads 8.0 M accesses/s against 14.2 M (ratio 0.56);
with 5 % writes 3.7 M (0.28: the page copies); lz4 LRU at 50 % RAM 92,000
accesses/s at a fault rate of 0.31 (the bare LRU, with no zram eating RAM,
faults at 0.10), clock 94,000, twolist 117,000 (fault rate 0.28), zstd 72,000
(0.22): about 30 us per fault (lz4) in compression, zsmalloc and our
bookkeeping. Peak RSS 203 MB (the 8192 pages, the stream list, the pool).
A busier machine halves the fault rows; compare ratios, not absolutes.

Worked example: a bare loop at 4,000,000 accesses/s against the model at
2,000,000 gives a ratio of 0.5; at a fault rate of 0.1 each fault costing
~50 us, the model serves about 1 / (0.1 * 50e-6) = 200,000 accesses/s.

Workload: the default mix (4096 pages quick, 8192 full), zipf s=1 over shuffled
ranks, 5% writes, seed 2025; the stream is materialised first, so neither side
pays for the generator.

Run: ``python benchmarks/bench_pressure.py [--quick]`` (prints one row per line).
"""

from __future__ import annotations

import gc
import os
import sys
import time
from collections import OrderedDict

if __name__ == "__main__":       # run as a script from anywhere: the repo root on the path
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.common import make_row  # noqa: E402
from workloads.address_space import mix_workload  # noqa: E402
from zramsim.pressure import MemoryModel, PressureConfig  # noqa: E402

SEED = 2025


def bare_lru(stream: list, frames: int) -> int:
    """The baseline: LRU over ``frames`` with no swap device; returns the faults."""
    resident: OrderedDict[int, None] = OrderedDict()
    touch, faults = resident.move_to_end, 0
    for page, _ in stream:
        if page in resident:
            touch(page)
        else:
            faults += 1
            if len(resident) >= frames:
                resident.popitem(last=False)
            resident[page] = None
    return faults


def _timed(fn) -> tuple[float, object]:
    gc.collect()
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def bench(name: str, contents, stream: list, config: PressureConfig) -> dict:
    base_s, bare_faults = _timed(lambda: bare_lru(stream, config.ram_pages))
    model = MemoryModel(config, contents)
    model_s, result = _timed(lambda: model.run(stream))
    s = result.summary
    n = len(stream)
    return make_row(name, round(n / model_s), round(n / base_s),
                    f"{n} accesses, fault rate {s.fault_rate:.4f} (bare LRU: "
                    f"{(bare_faults - s.pages) / n:.4f}), OOM at {s.oom_at}, compress "
                    f"{s.compress_ns / 1e9:.2f}s, decompress {s.decompress_ns / 1e9:.2f}s")


def run(quick: bool) -> list[dict]:
    pages, accesses = (4096, 100_000) if quick else (8192, 1_000_000)
    workload = mix_workload(pages, None, "zipf", accesses, seed=SEED, write_fraction=0.05,
                            shuffle=True)
    stream = list(workload.stream())
    half = pages // 2
    everything = PressureConfig(ram_pages=pages)
    rows = [bench("hits only, reads", workload.contents, [(p, False) for p, _ in stream],
                  everything),
            bench("hits only, 5% writes", workload.contents, stream, everything)]
    for algorithm, policy in (("lz4", "lru"), ("lz4", "clock"), ("lz4", "twolist"),
                              ("zstd", "lru")):
        config = PressureConfig(ram_pages=half, algorithm=algorithm, policy=policy, seed=SEED)
        rows.append(bench(f"{algorithm} {policy} 50%", workload.contents, stream, config))
    return rows


if __name__ == "__main__":
    for row in run("--quick" in sys.argv):
        print(row)
