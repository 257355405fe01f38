"""Scale check: write a sizes-only binary trace of N pages, then replay it with the CLI.

Issue 6 asks for a ten-million-page (40 GiB logical) sizes-only trace to replay
in a few minutes. The trace mixes 9% zero pages, 6% huge pages and compressed
lengths drawn from a triangular 60..3600 distribution (mode 1900), seed 10.

    python benchmarks/scale.py                      # 10,000,000 pages, ~1 minute
    python benchmarks/scale.py --pages 1000000

Prints the time to write the trace, the time and peak RSS of
``zramsim replay TRACE --format mm_stat`` (a child process), and its mm_stat.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from workloads.binary_trace import BinaryTraceWriter  # noqa: E402
from workloads.events import PageEvent  # noqa: E402


def write_trace(path: str, pages: int, seed: int = 10) -> float:
    rng = random.Random(seed)
    zero = bytes(4096)
    start = time.perf_counter()
    with BinaryTraceWriter(path, 4096) as writer:
        for index in range(pages):
            x = rng.random()
            if x < 0.06:
                writer.write(PageEvent("W", index, 4096))
            elif x < 0.15:
                writer.write(PageEvent("W", index, zero))
            else:
                writer.write(PageEvent("W", index, int(rng.triangular(60, 3600, 1900))))
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=10_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "scale.ztrace")
        wrote = write_trace(path, args.pages)
        start = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", "import cli; cli.main()", "replay", path,
                              "-q", "--format", "mm_stat"], capture_output=True, text=True,
                             check=True).stdout
        replayed = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"{args.pages:,} pages ({args.pages * 4096 / 2**30:.1f} GiB logical): trace "
              f"{os.path.getsize(path) / 2**20:.1f} MiB written in {wrote:.1f} s; replayed in "
              f"{replayed:.1f} s ({args.pages / replayed:,.0f} pages/s), peak RSS {peak:.0f} MB")
        print("mm_stat", out, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
