"""The stretch target: our replay against the real kernel zram writing the same pages.

Issue 6's stretch goal is to replay at or above the write throughput of the
kernel's own zram on the same pages. This writes ``count`` real pages (files
under /usr/lib, the same choice as bench_replay) into /dev/zram0 with lz4 the
way ``dd bs=1M oflag=direct`` does (1 MiB direct writes, slot i = page i), then
replays the same writes in zramsim single-threaded and with ``workers=2``, and
runs a bare lz4 loop over the pages; every rate is in MB/s of pages written,
and each ratio is against the kernel measured in the same run.

Worked example: 65,536 pages are 256 MiB; if the kernel takes 0.50 s that is
537 MB/s, and a replay taking 0.80 s (336 MB/s) is 0.63 of the kernel.

Needs root and an unused /dev/zram0, which is reset afterwards (never swapped
on, never mounted). Run: ``sudo python benchmarks/bench_kernel_write.py
[--pages N]``; without root it says so and exits 2 (in ``run_all`` its row
says "skipped" and why; it runs there only with ZRAMSIM_KERNEL_TESTS=1, the
switch of the kernel tests).
"""

from __future__ import annotations

import os
import sys
import time

if __name__ == "__main__":       # run as a script from anywhere: the repo root on the path
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import lz4.frame  # noqa: E402

from benchmarks.bench_replay import real_pages  # noqa: E402
from benchmarks.common import format_table, make_row  # noqa: E402
from zramsim import Replay, ZramDevice  # noqa: E402
from zramsim.kernel import KernelDeviceError, KernelZram  # noqa: E402

PAGE = 4096
CHUNK = 256                      # pages per write: 1 MiB, as dd bs=1M


def kernel_seconds(pages: list[bytes], device: str = "/dev/zram0") -> tuple[float, tuple]:
    """Seconds to write ``pages`` into a fresh lz4 zram device, and its mm_stat after."""
    with KernelZram(device) as kernel:
        kernel.configure("lz4", len(pages) * PAGE)
        start = time.perf_counter()
        for at in range(0, len(pages), CHUNK):
            kernel.write_pages(at, pages[at:at + CHUNK])
        elapsed = time.perf_counter() - start
        return elapsed, kernel.mm_stat()


def replay_seconds(pages: list[bytes], workers: int) -> tuple[float, ZramDevice]:
    events = [("W", i, page) for i, page in enumerate(pages)]
    dev = ZramDevice(len(pages) * PAGE, "lz4")
    start = time.perf_counter()
    Replay(dev, workers=workers).run(events)
    return time.perf_counter() - start, dev


def bare_seconds(pages: list[bytes]) -> float:
    compress = lz4.frame.compress
    start = time.perf_counter()
    for page in pages:
        compress(page, compression_level=0, block_linked=False,
                 content_checksum=False, store_size=False)
    return time.perf_counter() - start


def run(quick: bool) -> list[dict]:
    """The rows for run_all: 8,192 pages quick, 65,536 (256 MiB) full; one row if skipped.

    Opt-in like the kernel tests: only with ZRAMSIM_KERNEL_TESTS=1 (and root).
    """
    if os.environ.get("ZRAMSIM_KERNEL_TESTS") != "1":
        return [make_row("kernel zram write", None, None,
                         "skipped: set ZRAMSIM_KERNEL_TESTS=1 (root) to drive /dev/zram0")]
    try:
        return measure(8192 if quick else 65536, 2 if quick else 3)
    except KernelDeviceError as exc:
        return [make_row("kernel zram write", None, None, f"skipped: {exc}")]


def measure(count: int, repeat: int = 3) -> list[dict]:
    pages = real_pages(count)
    megabytes = len(pages) * PAGE / 1e6
    best = {"kernel": float("inf"), "bare": float("inf"), 1: float("inf"), 2: float("inf")}
    for _ in range(repeat):
        seconds, mm_stat = kernel_seconds(pages)
        best["kernel"] = min(best["kernel"], seconds)
        best["bare"] = min(best["bare"], bare_seconds(pages))
        for workers in (1, 2):
            seconds, dev = replay_seconds(pages, workers)
            best[workers] = min(best[workers], seconds)
    ours = dev.mm_stat()
    kernel_rate = megabytes / best["kernel"]
    same = (ours.orig_data_size, ours.same_pages, ours.huge_pages) == (
        mm_stat[0], mm_stat[5], mm_stat[7])
    note = f"{len(pages)} real pages, {megabytes:.0f} MB; vs the kernel zram, lz4, 1 MiB writes"
    return [
        make_row("kernel zram write, MB/s", round(kernel_rate), round(kernel_rate),
                 f"compr_data_size kernel {mm_stat[1]}, ours {ours.compr_data_size}"),
        make_row("bare lz4 loop, MB/s", round(megabytes / best["bare"]), round(kernel_rate),
                 "python-lz4 over the same pages"),
        make_row("replay lz4, MB/s", round(megabytes / best[1]), round(kernel_rate), note),
        make_row("replay lz4 workers=2, MB/s", round(megabytes / best[2]), round(kernel_rate),
                 f"orig/same/huge pages agree with the kernel: {same}"),
    ]


def main(argv: list[str]) -> int:
    count = int(argv[argv.index("--pages") + 1]) if "--pages" in argv else 65536
    try:
        rows = measure(count)
    except KernelDeviceError as exc:
        print(f"bench_kernel_write: {exc}", file=sys.stderr)
        return 2
    print(format_table(rows), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
