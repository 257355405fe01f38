"""Per-page cost of every registered compressor, against a bare lz4 loop.

``lz4-kernel``, ``lzo`` and ``lzo-rle`` buy exact kernel lengths with pure
Python (lzo with liblzo2 where it loads); these rows say what that costs,
next to plain ``lz4``, ``lz4hc``, ``zstd`` and ``deflate``, on the same real
pages (files under /usr/lib, the replay benchmark's sample). The ``python``
rows force the pure-Python lzo encoder, as on a machine without liblzo2, and
the ``decompress`` rows time reads. A ratio is pages per second against the
bare ``lz4.frame.compress`` loop: 0.02 means 50 times the cost of lz4.

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
from zramsim.lzo_backend import Lzo, LzoRle  # noqa: E402

SLOW = ("lz4-kernel", "lzo", "lzo-rle")      # pure Python somewhere: timed once, on fewer pages
HUGE_CLASS_SIZE = 3625


def _best(loop, ops: int, repeat: int) -> float:
    return max(ops_per_second(loop, ops) for _ in range(repeat))


def run(quick: bool = False) -> list[dict]:
    pages = real_pages(400 if quick else 3000)
    few = pages[:200 if quick else 1000]
    compress = lz4.frame.compress

    def bare() -> None:
        for page in pages:
            compress(page, compression_level=0, block_linked=False, content_checksum=False,
                     store_size=False)

    baseline = _best(bare, len(pages), 3)
    contenders = {name: make_compressor(name) for name in COMPRESSORS}
    contenders["lzo (python)"] = Lzo(library=False)
    contenders["lzo-rle (python)"] = LzoRle(library=False)
    rows = []
    for name, compressor in contenders.items():
        sample = few if name.split()[0] in SLOW else pages
        rate = _best(lambda: [compressor.compress(p) for p in sample], len(sample),
                     1 if sample is few else 3)
        rows.append(make_row(f"compress {name}", rate, baseline,
                             f"{len(sample)} /usr/lib pages, {1e3 / rate:.3f} ms/page; "
                             f"{compressor.params()}"))
    for name in ("lz4", "lzo", "lzo-rle", "lzo (python)"):
        compressor = contenders[name]
        stored = [(data, len(p)) for p in few                # huge pages are stored raw
                  if len(data := compressor.compress(p)) < HUGE_CLASS_SIZE]
        rate = _best(lambda: [compressor.decompress(d, n) for d, n in stored], len(stored), 1)
        rows.append(make_row(f"decompress {name}", rate, baseline,
                             f"{len(stored)} pages, {1e3 / rate:.3f} ms/page"))
    return rows


if __name__ == "__main__":
    print(format_table(run("--quick" in sys.argv)))
