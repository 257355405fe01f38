"""How well do Python lz4 calls predict the kernel's lz4 page lengths?

A sizes-only simulator needs, for each page, the length the kernel's lz4
would produce. This tool measures the real lengths on ``/dev/zram0`` (per-page
mode of ``zramsim.kernel``) for real pages of this machine and compares four
candidates, page by page:

- ``block``: ``len(lz4.block.compress(page, store_size=False))``
- ``block_fast``: the same with ``mode='fast', acceleration=1``
- ``frame_block``: the one block of an ``lz4.frame`` with level 0, unlinked
  blocks, no checksum and no size; its length is the little-endian uint32 at
  bytes 7..10 of the frame (bit 31 set = stored raw, counted as 4096)
- ``model``: ``zramsim.lz4_kernel.kernel_lz4_len`` (pure Python 1.7.3 parse)

Same-filled pages are left out (nothing is compressed). A huge page (kernel
stored it raw) counts as an exact match when the candidate's length is at
least 3625, and differences are only taken over non-huge pages. Also probes
the huge threshold with pages of graded compressibility.

Usage (root, unused /dev/zram0)::

    python tools/lz4_agreement.py --seed 1 --elf 8000 --text 4000 --pysrc 3000 --heap 3000
"""

from __future__ import annotations

import argparse
import os
import random
import struct
import sys

import lz4.block
import lz4.frame

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tools import page_sources as ps  # noqa: E402
from zramsim.lz4_kernel import kernel_lz4_len  # noqa: E402
from zramsim.kernel import HUGE, SAME, KernelZram, kernel_page_sizes  # noqa: E402

HUGE_CLASS_SIZE = 3625


def frame_block_len(page: bytes) -> int:
    frame = lz4.frame.compress(page, compression_level=0, block_linked=False,
                               content_checksum=False, store_size=False)
    size = struct.unpack_from("<I", frame, 7)[0]
    return 4096 if size >> 31 else size


CANDIDATES = {
    "block": lambda p: len(lz4.block.compress(p, store_size=False)),
    "block_fast": lambda p: len(lz4.block.compress(p, mode="fast", acceleration=1,
                                                   store_size=False)),
    "frame_block": frame_block_len,
    "model": kernel_lz4_len,
}


def compare(pages: list[bytes], sizes: list) -> dict[str, dict]:
    """Per candidate: pages, exact matches, mean/max |diff|, huge agreement."""
    rows = {}
    for name, fn in CANDIDATES.items():
        n = exact = huge_ok = 0
        diffs = []
        for page, size in zip(pages, sizes):
            if size == SAME:
                continue
            length = fn(page)
            n += 1
            huge_ok += (size == HUGE) == (length >= HUGE_CLASS_SIZE)
            if size == HUGE:
                exact += length >= HUGE_CLASS_SIZE
            else:
                exact += length == size
                diffs.append(length - size)
        rows[name] = {
            "pages": n, "exact": exact, "exact_share": exact / n,
            "mean_abs_diff": sum(map(abs, diffs)) / len(diffs),
            "mean_diff": sum(diffs) / len(diffs),
            "min_diff": min(diffs), "max_diff": max(diffs),
            "huge_agree": huge_ok,
        }
    return rows


def huge_probe(rng: random.Random) -> dict:
    """Largest length the kernel keeps compressed; smallest (model) length stored raw."""
    pages = [ps.graded_page(rng, k) for k in range(3560, 3640) for _ in range(4)]
    with KernelZram() as kernel:
        sizes = kernel_page_sizes(pages, kernel, "lz4")
    kept = [s for s in sizes if s not in (SAME, HUGE)]
    raw = [kernel_lz4_len(p) for p, s in zip(pages, sizes) if s == HUGE]
    return {"largest_kept": max(kept), "smallest_huge_model_len": min(raw),
            "pages": len(pages)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    for kind, default in (("elf", 8000), ("text", 4000), ("pysrc", 3000), ("heap", 3000)):
        parser.add_argument(f"--{kind}", type=int, default=default)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    groups = {
        "elf": ps.file_pages(ps.elf_files(), rng, args.elf),
        "text": ps.file_pages(ps.text_files(), rng, args.text),
        "pysrc": ps.file_pages(ps.python_sources(), rng, args.pysrc),
        "heap": ps.heap_pages(rng, args.heap),
    }
    everything_pages, everything_sizes = [], []
    for kind, pages in groups.items():
        with KernelZram() as kernel:
            sizes = kernel_page_sizes(pages, kernel, "lz4")
        everything_pages += pages
        everything_sizes += sizes
        report(kind, pages, sizes)
    report("all", everything_pages, everything_sizes)
    print("huge probe:", huge_probe(rng))
    return 0


def report(kind: str, pages: list[bytes], sizes: list) -> None:
    same = sum(s == SAME for s in sizes)
    huge = sum(s == HUGE for s in sizes)
    print(f"## {kind}: {len(pages)} pages, {same} same-filled, {huge} huge")
    for name, row in compare(pages, sizes).items():
        print(f"{name:12} exact {row['exact']}/{row['pages']} = {row['exact_share']:.2%}  "
              f"mean|d| {row['mean_abs_diff']:.3f}  mean d {row['mean_diff']:+.3f}  "
              f"d in [{row['min_diff']}, {row['max_diff']}]  "
              f"huge agree {row['huge_agree']}/{row['pages']}")


if __name__ == "__main__":
    sys.exit(main())
