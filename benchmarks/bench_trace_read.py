"""How fast, and in how little memory, does a binary trace stream back?

A captured workload can hold millions of pages, so the binary reader must
keep up with zstd and hold constant memory however long the trace is.  This
benchmark writes a binary trace (in a temporary folder) with a realistic mix,
then reads it in a fresh child process, twice:

* ``read``: ``BinaryTraceReader`` yielding every ``PageEvent``;
* baseline: the same file's zstd frame decompressed in 1 MiB reads and thrown
  away, the work no reader can avoid.  ``ratio`` = read events/s over
  baseline events/s (events divided by the bare decompression time).

Each child reports its own peak RSS (``ru_maxrss``), so the row for a trace
ten times longer shows whether memory stays flat: it should, because the
reader holds one 1 MiB buffer and the 16 MiB reference window, not the trace.

Content mix per page written (seeded): 30% zero, 10% same-filled with one of
16 words, 35% one of 256 recurring text pages (deduplicated into references),
25% unique text pages (stored whole); plus one read per 10 writes and one
discard per 100.  Worked example: 1,000,000 writes store about 250,256 literal
pages; the record stream is 1044 MiB before compression and the file 142 MiB
(the unique pages are slices of random word salad, so they compress about 7x).
Measured once on 2 busy cores: 234,358 events/s read against 430,576 for bare
decompression (ratio 0.54), peak RSS 45.1 MB at 100,000 pages and 45.2 MB at
1,000,000 (bare decompression: 28 MB; the difference is the 16 MiB window).

Run: ``python benchmarks/bench_trace_read.py [--quick]`` (quick: 10,000 and
100,000 pages instead of 100,000 and 1,000,000).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if __name__ == "__main__":       # run as a script from anywhere: the repo root on the path
    sys.path.insert(0, ROOT)

import zstandard  # noqa: E402

from workloads.binary_trace import HEADER, BinaryTraceReader, BinaryTraceWriter  # noqa: E402
from workloads.contents import fill_page  # noqa: E402
from workloads.events import PageEvent  # noqa: E402

PAGE = 4096
SEED = 2025


def _text(rng: random.Random, size: int) -> bytes:
    words = [b"page", b"zram", b"slot", b"class", b"zspage", b"handle", b"0x7f3a", b"\n"]
    out = bytearray()
    while len(out) < size:
        out += rng.choice(words) + b" "
    return bytes(out[:size])


def make_events(pages: int, seed: int = SEED):
    """The benchmark workload: ``pages`` writes with reads and discards mixed in."""
    rng = random.Random(seed)
    base = _text(rng, 1 << 16)
    recurring = [_text(rng, PAGE) for _ in range(256)]
    fills = [fill_page(rng.getrandbits(64), PAGE) for _ in range(16)]
    zero = bytes(PAGE)
    for index in range(pages):
        roll = rng.random()
        if roll < 0.30:
            page = zero
        elif roll < 0.40:
            page = rng.choice(fills)
        elif roll < 0.75:
            page = rng.choice(recurring)
        else:
            start = rng.randrange(len(base) - PAGE)
            page = base[start:start + PAGE - 8] + index.to_bytes(8, "little")
        yield PageEvent("W", index, page)
        if index % 10 == 9:
            yield PageEvent("R", rng.randrange(index + 1), None)
        if index % 100 == 99:
            yield PageEvent("D", rng.randrange(index + 1), 1 + rng.randrange(4))


def write_trace(path: str, pages: int) -> int:
    """Write the workload to ``path``; returns the number of events."""
    count = 0
    with BinaryTraceWriter(path, PAGE) as writer:
        for event in make_events(pages):
            writer.write(event)
            count += 1
    return count


def _child_read(path: str) -> dict:
    start = time.perf_counter()
    count = 0
    with BinaryTraceReader(path) as reader:
        for _ in reader:
            count += 1
    return {"events": count, "seconds": time.perf_counter() - start}


def _child_raw(path: str) -> dict:
    start = time.perf_counter()
    total = 0
    with open(path, "rb") as handle:
        handle.seek(HEADER.size)
        stream = zstandard.ZstdDecompressor().stream_reader(handle)
        while chunk := stream.read(1 << 20):
            total += len(chunk)
    return {"bytes": total, "seconds": time.perf_counter() - start}


def _in_child(kind: str, path: str) -> dict:
    """Run one measurement in a fresh interpreter, so its peak RSS is its own."""
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", kind, path],
                          capture_output=True, text=True, check=True, env=env)
    return json.loads(done.stdout)


def bench_read(pages: int, folder: str) -> dict:
    path = os.path.join(folder, f"bench_{pages}.ztrace")
    start = time.perf_counter()
    events = write_trace(path, pages)
    write_seconds = time.perf_counter() - start
    read = _in_child("read", path)
    raw = _in_child("raw", path)
    assert read["events"] == events
    ops, base = events / read["seconds"], events / raw["seconds"]
    size_mb = os.path.getsize(path) / 2**20
    os.remove(path)
    return {"name": f"binary trace read {pages} pages", "ops_per_s": round(ops),
            "baseline_per_s": round(base), "ratio": round(ops / base, 3),
            "peak_rss_mb": round(read["maxrss_kb"] / 1024, 1),
            "note": f"{events} events, file {size_mb:.1f} MiB, written in {write_seconds:.1f} s;"
                    f" baseline: bare zstd decompression of the same file"
                    f" ({raw['bytes'] / 2**20:.0f} MiB, peak RSS"
                    f" {raw['maxrss_kb'] / 1024:.1f} MB)"}


def run(quick: bool) -> list[dict]:
    sizes = (10_000, 100_000) if quick else (100_000, 1_000_000)
    with tempfile.TemporaryDirectory(prefix="zramsim-bench-") as folder:
        return [bench_read(pages, folder) for pages in sizes]


def _child_main(kind: str, path: str) -> None:
    import resource
    result = _child_read(path) if kind == "read" else _child_raw(path)
    result["maxrss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps(result))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        _child_main(sys.argv[2], sys.argv[3])
    else:
        for row in run("--quick" in sys.argv):
            print(row)
