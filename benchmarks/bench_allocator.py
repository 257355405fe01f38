"""How fast and how lean is the zsmalloc pool on a realistic stream of sizes?

zram calls the allocator once per stored page and once per freed one, so the
simulator's speed is bounded by ``Pool.malloc`` + ``Pool.free``. This benchmark
keeps a steady state of live objects (1,000,000; 100,000 with ``quick``) and
replaces random ones: each step frees one live object and allocates one of a
fresh size, i.e. two operations. Sizes are lz4-compressed lengths of real pages
read from files under /usr/lib at run time (pages that compress to the huge
threshold or more count as 4096, as zram stores them raw); without such files a
lognormal stand-in centred near 1100 bytes is used.

Baseline, same process, same harness loop: a dict keyed by integer handles doing
one ``del`` and one insert per step -- the cheapest Python structure that could
track live objects at all. Targets from issue 2: >= 1,000,000 mixed ops/s and
<= 64 bytes of Python memory per live object beyond page frames (a sizes-only
pool has no frames; the harness's handle array exists before measuring starts).

Worked example of the overhead figure: 1,000,000 live objects of mean 2241 B
fill 562,037 pages (2.3 GB if they were real); tracemalloc sees the pool grow by
60.6 MB while they are allocated, so the overhead is 60.6 MB / 1e6 = 60.6 bytes
per object: the handle table (8 + 4 B), the object's slot (8 B), and a share of
its zspage's descriptor, slot array and group-list entry.
"""

from __future__ import annotations

import os
import random
import sys
import tracemalloc
from array import array

if __package__ in (None, ""):       # run as a script: make the repo root importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from allocator import Geometry, Pool                       # noqa: E402
from benchmarks.common import format_table, make_row, ops_per_second   # noqa: E402

SEED = 2024
PAGE = 4096
CHUNKS = 5


def page_sizes(limit: int, root: str = "/usr/lib", huge_from: int = 3625) -> list[int]:
    """lz4 lengths of up to ``limit`` non-zero pages of files under ``root`` (sorted walk)."""
    try:
        import lz4.block
    except ImportError:
        return []
    sizes: list[int] = []
    zero = bytes(PAGE)
    for top, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(top, name)
            if not os.path.isfile(path) or os.path.islink(path):
                continue
            try:
                with open(path, "rb") as f:
                    data = f.read(64 * PAGE)          # a few pages of many files
            except OSError:
                continue
            for at in range(0, len(data) - PAGE + 1, PAGE):
                page = data[at:at + PAGE]
                if page == zero:
                    continue
                n = len(lz4.block.compress(page, store_size=False))
                sizes.append(PAGE if n >= huge_from else n)
                if len(sizes) >= limit:
                    return sizes
    return sizes


def synthetic_sizes(count: int, rng: random.Random) -> list[int]:
    """Stand-in distribution: lognormal around 1100 bytes, clipped to 1..4096."""
    return [min(PAGE, max(1, int(rng.lognormvariate(7.0, 0.7)))) for _ in range(count)]


def _steady_state(live_count: int, steps: int, sample: list[int], rng: random.Random):
    sizes = [rng.choice(sample) for _ in range(live_count)]
    victims = [rng.randrange(live_count) for _ in range(steps)]
    fresh = [rng.choice(sample) for _ in range(steps)]
    return sizes, victims, fresh


def bench_mixed(live_count: int, steps: int, sample: list[int], rng: random.Random,
                source: str) -> list[dict]:
    sizes, victims, fresh = _steady_state(live_count, steps, sample, rng)
    pool = Pool(Geometry(page_size=PAGE))
    live = array("q", bytes(8 * live_count))
    malloc, free = pool.malloc, pool.free

    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for i, size in enumerate(sizes):
        live[i] = malloc(size)
    grown = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    per_object = grown / live_count

    table = dict.fromkeys(range(live_count))
    keys = list(range(live_count))
    next_key = live_count

    def mixed(lo: int, hi: int) -> None:
        for j, size in zip(victims[lo:hi], fresh[lo:hi]):
            free(live[j])
            live[j] = malloc(size)

    def dict_baseline(lo: int, hi: int) -> None:
        nonlocal next_key
        key = next_key
        for j, size in zip(victims[lo:hi], fresh[lo:hi]):
            del table[keys[j]]
            table[key] = size
            keys[j] = key
            key += 1
        next_key = key

    # Alternate the two in chunks and keep each one's best chunk: the host is
    # shared, and a neighbour's burst should not land on one side only.
    rate = base = 0.0
    for lo in range(0, steps, steps // CHUNKS):
        hi = lo + steps // CHUNKS
        rate = max(rate, ops_per_second(lambda: mixed(lo, hi), 2 * (hi - lo)))
        base = max(base, ops_per_second(lambda: dict_baseline(lo, hi), 2 * (hi - lo)))
    pages = pool.total_pages
    return [
        make_row(f"pool malloc+free, {live_count:,} live", rate, base,
                 f"sizes-only; {source}; {pages:,} pages live; best of {CHUNKS} chunks; "
                 f"baseline dict del+insert; target >= 1,000,000"),
        make_row(f"pool bytes/live object at {live_count:,}", None, None,
                 f"{per_object:.1f} B beyond frames (tracemalloc during the fill); "
                 f"target <= 64"),
    ]


def run(quick: bool) -> list[dict]:
    rng = random.Random(SEED)
    live_count = 100_000 if quick else 1_000_000
    steps = 200_000 if quick else 1_000_000
    sample = page_sizes(5_000 if quick else 20_000)
    if len(sample) >= 1000:
        source = f"lz4 of {len(sample):,} /usr/lib pages, mean {sum(sample) / len(sample):.0f} B"
    else:
        sample = synthetic_sizes(20_000, rng)
        source = f"synthetic lognormal sizes, mean {sum(sample) / len(sample):.0f} B"
    return bench_mixed(live_count, steps, sample, rng, source + f", seed {SEED}")


if __name__ == "__main__":
    print(format_table(run("--quick" in sys.argv)), end="")
