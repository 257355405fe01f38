"""Per-page cost of every registered compressor, against a bare lz4 loop.

``lz4-kernel`` buys exact kernel lengths with a pure-Python parse; this row
says what that costs, next to plain ``lz4`` and ``zstd``, on the same real
pages (files under /usr/lib, the replay benchmark's sample).

    python benchmarks/bench_compressors.py [--quick]
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import lz4.frame  # noqa: E402

from benchmarks.bench_replay import real_pages  # noqa: E402
from benchmarks.common import format_table, make_row, ops_per_second  # noqa: E402
from zramsim.compressors import COMPRESSORS, make_compressor  # noqa: E402


def run(quick: bool = False) -> list[dict]:
    pages = real_pages(400 if quick else 3000)
    compress = lz4.frame.compress

    def bare() -> None:
        for page in pages:
            compress(page, compression_level=0, block_linked=False, content_checksum=False,
                     store_size=False)

    baseline = max(ops_per_second(bare, len(pages)) for _ in range(3))   # best of 3
    rows = []
    for name in COMPRESSORS:
        compressor = make_compressor(name)
        rate = max(ops_per_second(lambda: [compressor.compress(p) for p in pages], len(pages))
                   for _ in range(1 if name == "lz4-kernel" else 3))
        rows.append(make_row(f"compress {name}", rate, baseline,
                             f"{len(pages)} /usr/lib pages, {1e3 / rate:.3f} ms/page; "
                             f"baseline: bare lz4.frame.compress loop"))
    return rows


if __name__ == "__main__":
    print(format_table(run("--quick" in sys.argv)))
