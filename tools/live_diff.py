"""Replay a byte-carrying workload on the kernel and on the simulator, and diff.

The fixtures compare the simulator with the kernel given the kernel's own
compressed lengths. This tool measures the end-to-end error when the
simulator must also compress the pages itself (``ZramDevice.write`` with
bytes): the workloads of ``tools/measure_kernel.py`` are replayed on
``/dev/zram0`` and on a ``ZramDevice``, and the largest relative difference
per field is reported (e.g. ``compr_data_size max 0.004%`` means the worst
snapshot was off by 4 bytes in 100,000).

Usage (root, unused /dev/zram0)::

    python tools/live_diff.py --seed 2025 mixed          # simulator compresses
    python tools/live_diff.py --seed 2025 --model mixed  # sizes from the lz4 model
"""

from __future__ import annotations

import argparse
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from zramsim.lz4_kernel import kernel_lz4_len  # noqa: E402
from tools.measure_kernel import WORKLOADS  # noqa: E402
from workloads.events import PageEvent  # noqa: E402
from zramsim.kernel import KernelZram, replay_on_kernel  # noqa: E402
from zramsim.kernel_diff import device_for, diff_rows  # noqa: E402


def sized(event: PageEvent) -> PageEvent:
    """A byte write turned sizes-only with the kernel lz4 model (same-filled kept)."""
    op, index, page = event
    if op != "W" or page == page[:8] * (len(page) // 8):
        return event
    length = kernel_lz4_len(page)
    return PageEvent(op, index, length if length < 3625 else len(page))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--model", action="store_true",
                        help="give the simulator sizes from zramsim.lz4_kernel")
    parser.add_argument("workloads", nargs="*", default=list(WORKLOADS))
    args = parser.parse_args(argv)
    for name in args.workloads:
        events, disksize, mem_limit = WORKLOADS[name](random.Random(f"{args.seed}:{name}"))
        with KernelZram() as kernel:
            kernel.configure("lz4", disksize, mem_limit)
            snaps = replay_on_kernel(events, kernel)
        device = device_for({"disksize": disksize, "mem_limit": mem_limit, "algorithm": "lz4"})
        if args.model:
            events = [sized(e) for e in events]
        rows = diff_rows(events, snaps, device)
        worst: dict[str, tuple] = {}
        for number, field, sim, real, diff in rows:
            share = abs(diff) / real if real else float("inf")
            if share > worst.get(field, (0,))[0]:
                worst[field] = (share, number, sim, real)
        print(f"## {name}: {len(events)} ops, {len(snaps)} snapshots, "
              f"{len(rows)} differing fields")
        for field, (share, number, sim, real) in sorted(worst.items()):
            print(f"{field:18} max {share:.4%} at op {number} (simulator {sim}, kernel {real})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
