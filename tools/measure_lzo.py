"""Measure the lzo and lzo-rle fixtures of ``tests/data/kernel/lzo/`` on the real device.

The fixtures let tests without a kernel check that our lzo and lzo-rle are the
kernel's. Only generated pages go in (seeded, safe to commit): the synthetic
kinds of ``workloads.generators`` (text, source, heap, x86 code), records and
pointer pages, graded pages (random bytes, then zeros), same-filled pages and
the edge cases of ``tools/lzo_agreement.py`` (zero runs of every length class).

Outputs, with ``--out tests/data/kernel/lzo``:

- ``pages.bin.zst``: the pages; ``pages.sizes``: per page, the kernel's lzo and
  lzo-rle lengths (``same``: same-filled, ``huge``: stored raw), each written alone
  to an empty slot (``zramsim.kernel.kernel_page_sizes``);
- ``churn_<algo>.trace`` / ``.expected`` for lzo and lzo-rle: a text trace
  whose writes name pages of ``pages.bin`` (``file:pages.bin:<n>``), with
  overwrites, reads, single and range discards and three compactions, and the
  kernel's ``mm_stat | io_stat`` after every operation. As in
  ``tools/measure_kernel.py``, every step's change of ``compr_data_size`` is
  checked against the per-page lengths before a fixture is written.

Usage (root, unused /dev/zram0, about 5 s)::

    python tools/measure_lzo.py --out tests/data/kernel/lzo --seed 16
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import sys

import zstandard

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tools import page_sources as ps  # noqa: E402
from tools.lzo_agreement import edge_pages  # noqa: E402
from tools.measure_kernel import run_workload  # noqa: E402
from workloads import generators as gen  # noqa: E402
from workloads.events import PageEvent  # noqa: E402
from zramsim.kernel import KernelZram, kernel_page_sizes  # noqa: E402

ALGORITHMS = ("lzo", "lzo-rle")
MiB = 1 << 20


def fixture_pages(rng: random.Random) -> list[bytes]:
    """323 seeded pages, shuffled."""
    plan = [(gen.text_page, 40), (gen.source_page, 40), (gen.heap_page, 70),
            (gen.code_page, 40), (ps.record_page, 20), (ps.pointer_page, 20),
            (ps.random_page, 3), (ps.fill_page, 8), (ps.zero_page, 2)]
    pages = [make(rng) for make, n in plan for _ in range(n)]
    pages += [ps.graded_page(rng, rng.randrange(1, 3800)) for _ in range(20)]
    pages += edge_pages(rng, 60)
    rng.shuffle(pages)
    return pages


def churn(rng: random.Random, npages: int) -> list[tuple]:
    """~1,600 ops as (op, slot, arg), a write's arg being a page number."""
    live: set[int] = set()
    ops: list[tuple] = []

    def write(slot: int) -> None:
        ops.append(("W", slot, rng.randrange(npages)))
        live.add(slot)

    for slot in rng.sample(range(800), 600):
        write(slot)
    for _ in range(3):
        for _ in range(300):
            r = rng.random()
            if r < 0.35:
                write(rng.choice(sorted(live)))                  # overwrite
            elif r < 0.55:
                write(rng.randrange(800, 1200))                  # fresh slot
            elif r < 0.65:
                ops.append(("R", rng.choice(sorted(live)), None))
            elif r < 0.85:
                slot = rng.choice(sorted(live))
                ops.append(("D", slot, 1))
                live.discard(slot)
            elif r < 0.95:
                slot, count = rng.randrange(1200), rng.randint(2, 8)
                ops.append(("D", slot, count))
                live.difference_update(range(slot, slot + count))
            else:
                ops.append(("D", rng.randrange(1200, 1600), rng.randint(1, 8)))  # unwritten
        ops.append(("C", 0, None))
    return ops


def write_churn(out: str, algorithm: str, seed: int, ops, pages, snaps, disksize) -> None:
    header = [
        f"# zramsim kernel fixture: a churned trace measured on a real zram device with "
        f"{algorithm}",
        f"# kernel {os.uname().release} (uname -r), zsmalloc chain size 8, 4096-byte pages",
        f"# config disksize={disksize} mem_limit=0 algorithm={algorithm}",
        f"# date {datetime.date.today().isoformat()}",
        f"# produced by: python tools/measure_lzo.py --seed {seed}",
        "zramsim-trace 1",
        "page_size 4096",
    ]
    body = {"W": lambda slot, n: f"W {slot} file:pages.bin:{n}",
            "R": lambda slot, _: f"R {slot}",
            "D": lambda slot, n: f"D {slot} {n}" if n != 1 else f"D {slot}",
            "C": lambda slot, _: "C"}
    with open(os.path.join(out, f"churn_{algorithm}.trace"), "w") as f:
        f.write("\n".join(header + [body[op](slot, arg) for op, slot, arg in ops]) + "\n")
    with open(os.path.join(out, f"churn_{algorithm}.expected"), "w") as f:
        for s in snaps:
            f.write(f"{s.op_number} {' '.join(map(str, s.mm_stat))} | "
                    f"{' '.join(map(str, s.io_stat))}\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="tests/data/kernel/lzo")
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    rng = random.Random(args.seed)
    pages = fixture_pages(rng)
    sizes = {}
    for algorithm in ALGORITHMS:
        with KernelZram() as kernel:
            sizes[algorithm] = kernel_page_sizes(pages, kernel, algorithm)
    with open(os.path.join(args.out, "pages.bin.zst"), "wb") as f:
        f.write(zstandard.ZstdCompressor(level=19).compress(b"".join(pages)))
    with open(os.path.join(args.out, "pages.sizes"), "w") as f:
        f.write(f"# kernel {os.uname().release}: lzo and lzo-rle compressed length of each "
                f"page of pages.bin.zst (same = same-filled, huge = stored raw)\n")
        f.write(f"# produced by: python tools/measure_lzo.py --seed {args.seed}\n")
        f.write("".join(f"{a} {b}\n" for a, b in zip(*(sizes[x] for x in ALGORITHMS))))
    ops = churn(rng, len(pages))
    events = [PageEvent(op, slot, pages[arg] if op == "W" else arg or 0)
              for op, slot, arg in ops]
    disksize = 8 * MiB
    for algorithm in ALGORITHMS:
        by_page = dict(zip(pages, sizes[algorithm]))
        snaps = run_workload(events, disksize, 0, by_page, algorithm)
        write_churn(args.out, algorithm, args.seed, ops, pages, snaps, disksize)
        print(f"{algorithm}: {len(pages)} pages, {len(ops)} ops, final mm_stat "
              f"{snaps[-1].mm_stat}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
