"""Ask the real zramctl how it prints thousands of sizes; write them as a fixture.

zramctl prints every size through util-linux's ``size_to_human_string``. Its
MEM-LIMIT column is ``mem_limit`` from ``mm_stat``, and the kernel takes any
``mem_limit`` (rounded up to whole pages) even on an uninitialised device,
which ``zramctl /dev/zram0`` still lists. So for each size: write it to
``/sys/block/zram0/mem_limit``, run ``zramctl /dev/zram0 -o MEM-LIMIT -n
--raw``, and keep what it printed. No memory is allocated; the device is reset
at the end (mem_limit back to 0).

The sizes: every page multiple up to 12 MiB, the page multiples on both sides
of each rounding step (x.x50 of a unit) in every unit from K to E, and random
page multiples on a log scale up to 2**64 - 4096.

Usage (root, an unused /dev/zram0, under the team's lock)::

    flock /tmp/zram0.lock python tools/measure_zramctl_sizes.py \\
        --out tests/data/kernel/zramctl_sizes.txt --seed 15
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import random
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from zramsim.kernel import check_unused  # noqa: E402

PAGE = 4096
TOP = (1 << 64) - PAGE


def boundary_sizes() -> set[int]:
    """Page multiples just below and at each x.x50 point of every unit K..E."""
    sizes = set()
    for exp in range(10, 70, 10):
        unit = 1 << exp
        for whole in (1, 2, 9, 15, 100, 1023):
            for tenth in range(10):
                point = whole * unit + (tenth * 100 + 50) * unit // 1000
                for size in (point - PAGE, point, point + PAGE):
                    size -= size % PAGE
                    if 0 < size <= TOP:
                        sizes.add(size)
    return sizes


def chosen_sizes(rng: random.Random, count: int) -> list[int]:
    sizes = set(range(0, 12 << 20, PAGE)) | boundary_sizes() | {7_286_784}
    while len(sizes) < 3072 + len(boundary_sizes()) + count:
        size = rng.randrange(PAGE, 1 << rng.randrange(13, 65))
        sizes.add(min(size - size % PAGE, TOP))
    return sorted(sizes)


def measure(sizes: list[int], zramctl: str, sys_dir: str) -> list[tuple[int, str]]:
    rows = []
    try:
        for size in sizes:
            with open(os.path.join(sys_dir, "mem_limit"), "w") as f:
                f.write(str(size))
            out = subprocess.run([zramctl, "/dev/zram0", "-o", "MEM-LIMIT", "-n", "--raw"],
                                 capture_output=True, text=True, check=True).stdout
            rows.append((size, out.rstrip("\n")))
    finally:
        with open(os.path.join(sys_dir, "reset"), "w") as f:
            f.write("1")
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--random", type=int, default=4000, help="random sizes on top")
    parser.add_argument("--zramctl", default="/usr/sbin/zramctl")
    args = parser.parse_args()
    check_unused("zram0")
    version = subprocess.run([args.zramctl, "--version"], capture_output=True,
                             text=True).stdout.strip()
    rows = measure(chosen_sizes(random.Random(args.seed), args.random), args.zramctl,
                   "/sys/block/zram0")
    with open(args.out, "w") as out:
        out.write(f"# bytes -> what '{version}' printed as MEM-LIMIT, Linux "
                  f"{platform.release()}, {datetime.date.today()}\n")
        out.write(f"# python tools/measure_zramctl_sizes.py --seed {args.seed} "
                  f"--random {args.random}\n")
        out.writelines(f"{size} {text}\n" for size, text in rows)
    print(f"{len(rows)} sizes written to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
