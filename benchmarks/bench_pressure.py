"""How many accesses per second does the swap-pressure model serve?

The model's promise is that resident hits are cheap and only faults touch
compression. So every row compares a model run with a bare simulation measured
in the same run on the same one-million-access stream (quick: 100,000): an
``OrderedDict`` LRU over the same number of frames that only counts faults --
no zram, no bytes, no RAM charge. ``ratio`` = model accesses/s over bare
accesses/s.

* ``hits only``: RAM holds the whole address space, so after the populate
  every access is a hit: the ratio is the price of our hit path (target >= 0.5).
* ``lz4 lru 50%`` (and clock, twolist, zstd): RAM for half the address space;
  every fault compresses a real page into a real ``ZramDevice`` and decompresses
  one, so the ratio falls with the fault rate printed in ``note``.

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
import resource
import sys
import time
from collections import OrderedDict

if __name__ == "__main__":       # run as a script from anywhere: the repo root on the path
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from zramsim.pressure import MemoryModel, PressureConfig, mix_workload  # noqa: E402

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


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


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
    return {"name": name, "ops_per_s": round(n / model_s), "baseline_per_s": round(n / base_s),
            "ratio": round(base_s / model_s, 3), "peak_rss_mb": _peak_rss_mb(),
            "note": (f"{n} accesses, fault rate {s.fault_rate:.4f} (bare LRU: "
                     f"{(bare_faults - s.pages) / n:.4f}), OOM at {s.oom_at}, "
                     f"compress {s.compress_ns / 1e9:.2f}s, decompress {s.decompress_ns / 1e9:.2f}s")}


def run(quick: bool) -> list[dict]:
    pages, accesses = (4096, 100_000) if quick else (8192, 1_000_000)
    workload = mix_workload(pages, None, "zipf", accesses, seed=SEED, write_fraction=0.05,
                            shuffle=True)
    stream = list(workload.stream())
    half = pages // 2
    rows = [bench("hits only", workload.contents, stream, PressureConfig(ram_pages=pages))]
    for algorithm, policy in (("lz4", "lru"), ("lz4", "clock"), ("lz4", "twolist"),
                              ("zstd", "lru")):
        config = PressureConfig(ram_pages=half, algorithm=algorithm, policy=policy, seed=SEED)
        rows.append(bench(f"{algorithm} {policy} 50%", workload.contents, stream, config))
    return rows


if __name__ == "__main__":
    for row in run("--quick" in sys.argv):
        print(row)
