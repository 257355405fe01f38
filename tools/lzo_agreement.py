"""Do our lzo and lzo-rle lengths equal the kernel's, page by page? (root, unused /dev/zram0)

Real pages of this machine, by kind: ELF pages of shared libraries under /usr/lib,
plain text under /usr/share/doc, Python standard-library sources, the resident
private memory of a live Python process (captured with ``workloads.capture``),
random pages, and edge cases built from a seed (same-filled pages, pages one byte
away from same-filled, zero runs of every length class and around the
2051-byte run limit, random bytes followed by zeros of every length). Each page
is written alone to ``/dev/zram0`` configured with ``lzo`` and then with
``lzo-rle`` (``zramsim.kernel.kernel_page_sizes``), and compared with the
length of our pure-Python encoder (``Lzo(library=False)``/``LzoRle(library=False)``)
and of the default path (liblzo2 where it loads). A page the kernel stored
huge counts as equal when ours is at least 3625 bytes; a same-filled page is
left out (nothing is compressed).

    python tools/lzo_agreement.py --seed 1 --elf 4000 --text 2000 --pysrc 1500 \\
        --heap 1500 --random 200 --edge 800
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import subprocess
import sys
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tools import page_sources as ps  # noqa: E402
from workloads.capture import capture_process  # noqa: E402
from zramsim.kernel import HUGE, SAME, KernelZram, kernel_page_sizes  # noqa: E402
from zramsim.lzo_backend import Lzo, LzoRle  # noqa: E402

PAGE = 4096
HUGE_CLASS_SIZE = 3625


def process_pages(count: int) -> list[bytes]:
    """Resident private pages of a fresh Python process holding a dict of 60,000 lists."""
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys; d={str(i): [i]*3 for i in range(60000)}; "
                               "t=[str(i)*7 for i in range(20000)]; "
                               "print('ready', flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        child.stdout.readline()
        return [e[2] for e in itertools.islice(capture_process(child.pid), count)]
    finally:
        child.kill()
        child.wait()


def edge_pages(rng: random.Random, count: int) -> list[bytes]:
    """Pages at the edges of the lzo-rle parse and of zram's same-filled test."""
    text = ps.text_page(rng)
    makers = [
        lambda: ps.fill_page(rng),                                       # same-filled
        lambda: bytearray(ps.fill_page(rng)),                            # one byte off
        lambda: ps.graded_page(rng, rng.randrange(1, PAGE)),             # random, then zeros
        lambda: _zero_runs(rng, text, rng.choice([1, 2, 3, 4, 5, 11, 12, 2050, 2051,
                                                  2052, 2055, 4000])),
        lambda: _zero_runs(rng, text, rng.randrange(1, 300)),
        lambda: bytes(rng.randrange(PAGE - 64, PAGE)).ljust(PAGE, b"\x01"),  # zeros, a tail
    ]
    pages = []
    for k in range(count):
        page = makers[k % len(makers)]()
        if isinstance(page, bytearray):
            page[rng.randrange(PAGE)] ^= 1 + rng.randrange(255)
            page = bytes(page)
        pages.append(page)
    return pages


def _zero_runs(rng: random.Random, text: bytes, run: int) -> bytes:
    """Text with zero runs of ``run`` bytes cut in at random places."""
    out = bytearray()
    while len(out) < PAGE:
        out += text[rng.randrange(0, 3000):][:rng.randrange(1, 200)] + bytes(run)
    return bytes(out[:PAGE])


def agree(kernel: int | str, ours: int) -> bool:
    return ours >= HUGE_CLASS_SIZE if kernel == HUGE else ours == kernel


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    for kind, n in (("elf", 4000), ("text", 2000), ("pysrc", 1500), ("heap", 1500),
                    ("random", 200), ("edge", 800)):
        parser.add_argument(f"--{kind}", type=int, default=n)
    parser.add_argument("--json", action="store_true", help="one JSON document on stdout")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    kinds = {
        "elf": ps.file_pages(ps.elf_files(), rng, args.elf),
        "text": ps.file_pages(ps.text_files(), rng, args.text),
        "pysrc": ps.file_pages(ps.python_sources(), rng, args.pysrc),
        "heap": process_pages(args.heap),
        "random": [ps.random_page(rng) for _ in range(args.random)],
        "edge": edge_pages(rng, args.edge),
    }
    pages = [p for kind in kinds.values() for p in kind]
    labels = [k for k, kind in kinds.items() for _ in kind]
    result = {}
    for algorithm, cls in (("lzo", Lzo), ("lzo-rle", LzoRle)):
        with KernelZram() as kernel:
            theirs = kernel_page_sizes(pages, kernel, algorithm)
        python, default = cls(library=False), cls()
        counts = Counter()
        for label, page, size in zip(labels, pages, theirs):
            if size == SAME:
                counts[label, "same"] += 1
                continue
            counts[label, "pages"] += 1
            counts[label, "huge"] += size == HUGE
            counts[label, "python"] += agree(size, len(python.compress(page)))
            counts[label, "default"] += agree(size, len(default.compress(page)))
        result[algorithm] = {label: {what: counts[label, what] for what in
                                     ("pages", "python", "default", "huge", "same")}
                             for label in kinds}
        result[algorithm]["encoder"] = default.encoder
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    for algorithm, rows in result.items():
        print(f"{algorithm} (default encoder: {rows.pop('encoder')})")
        print(f"  {'kind':<8}{'pages':>7}{'python =':>10}{'default =':>11}{'huge':>6}"
              f"{'same':>6}")
        for label, row in rows.items():
            print(f"  {label:<8}{row['pages']:>7}{row['python']:>10}{row['default']:>11}"
                  f"{row['huge']:>6}{row['same']:>6}")
        total = {k: sum(r[k] for r in rows.values()) for k in ("pages", "python", "default")}
        print(f"  {'all':<8}{total['pages']:>7}{total['python']:>10}{total['default']:>11}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
