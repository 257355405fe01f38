"""Measure workloads on the real zram device and write the kernel fixtures.

The committed fixtures under ``tests/data/kernel/`` pin the simulator to what
Linux really did. Each workload is built here with real pages of this machine
(read at measurement time; only their compressed lengths are committed), run
twice on ``/dev/zram0`` with lz4:

1. per-page mode: every distinct page is written alone to an empty slot and
   its compressed length read from the ``compr_data_size`` change (or it is
   same-filled, or huge);
2. the workload itself, with ``mm_stat`` and ``io_stat`` read after every
   operation. Each step's ``compr_data_size`` change is checked against the
   per-page lengths (an overwrite of a 1771-byte object by a 903-byte one
   must change it by -868; a failed write by 0), so a fixture is only written
   if the kernel agrees with itself.

Outputs per workload: ``<name>.trace`` (sizes-only trace format v1) and
``<name>.expected`` (``<op_number> <9 mm_stat ints> | <4 io_stat ints>`` per
operation). Also ``pages_lz4.bin.zst`` + ``pages_lz4.sizes``: generated pages
(seeded, safe to commit) and the kernel's length of each.

Usage (root, with an unused /dev/zram0)::

    python tools/measure_kernel.py --out tests/data/kernel --seed 2025
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
from workloads.events import PageEvent  # noqa: E402
from zramsim.kernel import HUGE, SAME, KernelZram, kernel_page_sizes, replay_on_kernel  # noqa: E402

PAGE = 4096
MiB = 1 << 20


# -- workloads ----------------------------------------------------------------

class PagePool:
    """Draws pages of a weighted mix of kinds; real kinds are pre-sampled."""

    def __init__(self, rng: random.Random, weights: dict[str, float], real: int) -> None:
        self.rng = rng
        self.kinds = list(weights)
        self.weights = [weights[k] for k in self.kinds]
        self.real = {
            "elf": ps.file_pages(ps.elf_files(), rng, real),
            "text": ps.file_pages(ps.text_files(), rng, real),
            "pysrc": ps.file_pages(ps.python_sources(), rng, real),
            "heap": ps.heap_pages(rng, real),
        }

    def page(self) -> bytes:
        kind = self.rng.choices(self.kinds, self.weights)[0]
        if kind in self.real:
            return self.rng.choice(self.real[kind])
        return ps.GENERATORS[kind](self.rng)


MIX = {"elf": 30, "text": 15, "pysrc": 15, "heap": 15, "zero": 6, "fill": 5,
       "random": 7, "records": 4, "pointers": 3}


def build_mixed(rng: random.Random) -> tuple[list[PageEvent], int, int]:
    """~3,000 ops: fill, churn (overwrites, reads, discards), compactions."""
    pool = PagePool(rng, MIX, 600)
    live: set[int] = set()
    events: list[PageEvent] = []

    def write(slot: int) -> None:
        events.append(PageEvent("W", slot, pool.page()))
        live.add(slot)

    def discard(slot: int, count: int) -> None:
        events.append(PageEvent("D", slot, count))
        live.difference_update(range(slot, slot + count))

    for slot in rng.sample(range(1200), 900):
        write(slot)
    for phase in range(3):
        for _ in range(600):
            r = rng.random()
            if r < 0.30:
                write(rng.choice(sorted(live)))           # overwrite of a live slot
            elif r < 0.45:
                write(rng.randrange(1200, 2400))          # fresh (or recent) slot
            elif r < 0.60:
                events.append(PageEvent("R", rng.choice(sorted(live)) if rng.random() < 0.8
                                        else rng.randrange(2400, 4000)))
            elif r < 0.85:
                discard(rng.choice(sorted(live)), 1)
            elif r < 0.95:
                discard(rng.randrange(0, 2400), rng.randint(2, 48))
            else:
                discard(rng.randrange(2400, 4000), rng.randint(1, 16))  # never written
        events.append(PageEvent("C", 0))
    for slot in rng.sample(range(4000), 150):
        write(slot)
    return events, 16 * MiB, 0


def build_memlimit(rng: random.Random) -> tuple[list[PageEvent], int, int]:
    """Writes past a 2 MiB mem_limit, frees that let writes succeed again."""
    pool = PagePool(rng, {"elf": 30, "text": 25, "pysrc": 25, "heap": 10, "zero": 4,
                          "fill": 3, "random": 3}, 400)
    events = [PageEvent("W", slot, pool.page()) for slot in range(1500)]
    events += [PageEvent("D", slot, 1) for slot in rng.sample(range(1500), 250)]
    events += [PageEvent("W", slot, pool.page()) for slot in rng.sample(range(3000), 400)]
    events += [PageEvent("D", 200, 300), PageEvent("C", 0)]
    events += [PageEvent("W", slot, pool.page()) for slot in rng.sample(range(3000), 300)]
    events += [PageEvent("R", slot) for slot in rng.sample(range(3000), 50)]
    events += [PageEvent("W", slot, ps.fill_page(rng)) for slot in range(1500, 1520)]
    return events, 16 * MiB, 2 * MiB


def build_sizes(rng: random.Random) -> tuple[list[PageEvent], int, int]:
    """Graded pages over every size class, frees leaving partial zspages, a compaction."""
    grades = list(range(1, 3700, 5)) + list(range(3500, 3700)) + [PAGE] * 20
    events = [PageEvent("W", slot, ps.graded_page(rng, k)) for slot, k in enumerate(grades)]
    n = len(grades)
    events += [PageEvent("D", slot, 1) for slot in rng.sample(range(n), n * 2 // 5)]
    events += [PageEvent("R", slot) for slot in rng.sample(range(n), 40)]
    events.append(PageEvent("C", 0))
    events += [PageEvent("W", slot, ps.graded_page(rng, rng.randrange(1, 3800)))
               for slot in rng.sample(range(n), 200)]
    events += [PageEvent("D", slot, rng.randint(1, 8)) for slot in rng.sample(range(n), 60)]
    events.append(PageEvent("C", 0))
    return events, 8 * MiB, 0


WORKLOADS = {"mixed": build_mixed, "memlimit": build_memlimit, "sizes": build_sizes}


# -- measuring ----------------------------------------------------------------

def same_word(page: bytes) -> int | None:
    """The repeated little-endian 8-byte word of a same-filled page, else None."""
    return int.from_bytes(page[:8], "little") if page == page[:8] * (PAGE // 8) else None


def measure_sizes(pages: list[bytes], algorithm: str) -> dict[bytes, int | str]:
    """Per-page kernel lengths of the distinct pages."""
    distinct = list(dict.fromkeys(pages))
    with KernelZram() as kernel:
        sizes = kernel_page_sizes(distinct, kernel, algorithm)
    return dict(zip(distinct, sizes))


def stored_len(size: int | str) -> int:
    """What a page adds to compr_data_size: 0 same-filled, 4096 huge, else its length."""
    return 0 if size == SAME else PAGE if size == HUGE else size


def run_workload(events: list[PageEvent], disksize: int, mem_limit: int,
                 sizes: dict[bytes, int | str], algorithm: str):
    """Replay on the kernel; check every compr_data_size step against ``sizes``."""
    with KernelZram() as kernel:
        kernel.configure(algorithm, disksize, mem_limit)
        snaps = replay_on_kernel(events, kernel)
    slot_len: dict[int, int] = {}
    prev_compr, prev_failed = 0, 0
    for (op, index, arg), snap in zip(events, snaps):
        compr, failed = snap.mm_stat[1], snap.io_stat[1]
        if op == "W":
            if failed == prev_failed:
                new = stored_len(sizes[arg])
                want = new - slot_len.get(index, 0)
                slot_len[index] = new
            else:
                want = 0  # 6.17+: a failed write keeps the old object
        elif op == "D":
            want = -sum(slot_len.pop(i, 0) for i in range(index, index + arg))
        else:
            want = 0
        if compr - prev_compr != want:
            raise RuntimeError(f"op {snap.op_number} {op} {index}: compr_data_size moved "
                               f"by {compr - prev_compr}, per-page lengths say {want}")
        prev_compr, prev_failed = compr, failed
    return snaps


def trace_line(op: str, index: int, arg, sizes: dict[bytes, int | str]) -> str:
    if op == "W":
        word = same_word(arg)
        if word == 0:
            return f"W {index} zero"
        if word is not None:
            return f"W {index} fill:0x{word:016x}"
        return f"W {index} size:{stored_len(sizes[arg])}"
    if op == "D":
        return f"D {index} {arg}" if arg != 1 else f"D {index}"
    if op == "R":
        return f"R {index}"
    return "C"


def write_fixture(out: str, name: str, seed: int, events, disksize, mem_limit,
                  sizes, snaps, algorithm: str) -> None:
    header = [
        f"# zramsim kernel fixture '{name}': measured on a real zram device, not simulated",
        f"# kernel {os.uname().release} (uname -r), zsmalloc chain size 8, 4096-byte pages",
        f"# config disksize={disksize} mem_limit={mem_limit} algorithm={algorithm}",
        f"# date {datetime.date.today().isoformat()}",
        f"# produced by: python tools/measure_kernel.py --seed {seed} --only {name}",
        "# W sizes are the kernel's compressed lengths (compr_data_size deltas, 4096 = huge)",
        "zramsim-trace 1",
        "page_size 4096",
    ]
    body = [trace_line(op, index, arg, sizes) for op, index, arg in events]
    with open(os.path.join(out, f"{name}.trace"), "w") as f:
        f.write("\n".join(header + body) + "\n")
    with open(os.path.join(out, f"{name}.expected"), "w") as f:
        for s in snaps:
            f.write(f"{s.op_number} {' '.join(map(str, s.mm_stat))} | "
                    f"{' '.join(map(str, s.io_stat))}\n")


def generated_pages(rng: random.Random) -> list[bytes]:
    """~300 seeded pages for the lz4 size-agreement fixture."""
    plan = [("text", 90), ("records", 60), ("pointers", 60), ("random", 10),
            ("fill", 8), ("zero", 2)]
    pages = [ps.GENERATORS[kind](rng) for kind, n in plan for _ in range(n)]
    pages += [ps.graded_page(rng, rng.randrange(1, 3800)) for _ in range(70)]
    rng.shuffle(pages)
    return pages


def write_pages_fixture(out: str, seed: int, algorithm: str) -> None:
    pages = generated_pages(random.Random(seed))
    with KernelZram() as kernel:
        sizes = kernel_page_sizes(pages, kernel, algorithm)
    with open(os.path.join(out, "pages_lz4.bin.zst"), "wb") as f:
        f.write(zstandard.ZstdCompressor(level=19).compress(b"".join(pages)))
    with open(os.path.join(out, "pages_lz4.sizes"), "w") as f:
        f.write(f"# kernel {os.uname().release}, {algorithm}: compressed length per page of "
                f"pages_lz4.bin.zst (same = same-filled, huge = stored raw)\n")
        f.write(f"# produced by: python tools/measure_kernel.py --seed {seed} --only pages\n")
        f.write("".join(f"{s}\n" for s in sizes))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="tests/data/kernel")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--only", choices=[*WORKLOADS, "pages"], action="append")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    for name in args.only or [*WORKLOADS, "pages"]:
        if name == "pages":
            write_pages_fixture(args.out, args.seed, "lz4")
            print("pages: written", file=sys.stderr)
            continue
        events, disksize, mem_limit = WORKLOADS[name](random.Random(f"{args.seed}:{name}"))
        sizes = measure_sizes([arg for op, _, arg in events if op == "W"], "lz4")
        snaps = run_workload(events, disksize, mem_limit, sizes, "lz4")
        write_fixture(args.out, name, args.seed, events, disksize, mem_limit, sizes,
                      snaps, "lz4")
        last = snaps[-1]
        print(f"{name}: {len(events)} ops, final mm_stat {last.mm_stat} io_stat "
              f"{last.io_stat}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
