"""Regenerate the agreement table of docs/fidelity.md §5 (root, unused /dev/zram0).

Four traces of real page bytes are replayed on the kernel and on the simulator
(``zramsim.kernel_diff.run_kernel_diff``), once with each of our algorithms
that stands for one of the kernel's (lz4, lz4-kernel, lzo, lzo-rle: the
registry's kernel twins), compared after every operation: ELF binaries, plain text, a
captured live Python process, and a generated mix with overwrites, discards and
compactions. The table gives the final value of every ``mm_stat`` field that
is not zero on both sides, and how many values differed over all points.

    python tools/fidelity_table.py > /tmp/table.md     # ~1 minute
"""

from __future__ import annotations

import glob
import itertools
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from workloads.capture import capture_path, capture_process  # noqa: E402
from workloads.mixes import generate_trace  # noqa: E402
from zramsim.kernel import KernelZram  # noqa: E402
from zramsim.kernel_diff import FIELDS, KERNEL_ALGORITHM, run_kernel_diff  # noqa: E402

PAGES = 1500


def files_trace(pattern: str) -> list:
    events = []
    for path in sorted(glob.glob(pattern)):
        if os.path.isfile(path) and not os.path.islink(path):
            events.extend(itertools.islice(capture_path(path), 200))
        if len(events) >= PAGES:
            break
    return [(op, slot, arg) for slot, (op, _, arg) in enumerate(events[:PAGES])]


def process_trace() -> list:
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys; d={str(i): [i]*3 for i in range(60000)}; "
                               "print('ready', flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        child.stdout.readline()
        return list(itertools.islice(capture_process(child.pid), PAGES))
    finally:
        child.kill()
        child.wait()


def mix_trace() -> list:
    mix = {"heap": 0.5, "text": 0.15, "source": 0.1, "code": 0.15, "zero": 0.05, "random": 0.05}
    return list(generate_trace(mix, 1200, seed=11, overwrite_rate=0.3, read_rate=0.1,
                               discard_rate=0.05, compact_rate=0.004))


def main() -> int:
    traces = {
        "ELF binaries (/usr/lib)": files_trace("/usr/lib/x86_64-linux-gnu/*.so*"),
        "text (/usr/share/doc)": files_trace("/usr/share/doc/*/copyright"),
        "captured Python process": process_trace(),
        "generated mix: overwrites, discards, compaction": mix_trace(),
    }
    print("| trace | ops | algorithm | field | simulator | kernel | difference |")
    print("|---|---|---|---|---|---|---|")
    for name, events in traces.items():
        size = 4096 * (1 + max(e[1] + (e[2] if e[0] == "D" else 1) for e in events))
        for algorithm in KERNEL_ALGORITHM:
            diff = run_kernel_diff(events, KernelZram(), algorithm, disksize=size)
            for field, sim, real in zip(FIELDS, diff.final_simulator, diff.final_kernel):
                if sim or real:
                    share = f" ({(sim - real) / real:+.3%})" if real and sim != real else ""
                    print(f"| {name} | {len(events)} | {algorithm} | {field} | {sim} | {real} "
                          f"| {sim - real:+d}{share} |")
            print(f"| {name} | {len(events)} | {algorithm} | *values differing, all "
                  f"{diff.snapshots} points* | | | {len(diff.differing)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
