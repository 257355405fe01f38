"""CPU time per page of each stage of an end-to-end replay, and the floor they set.

Why: on a shared machine wall-clock ratios move with the other load, but the
CPU time each stage costs does not move much. This measures, in one process
and in CPU seconds (``time.process_time``), best of three:

* the bare loop: read a page from the page file and lz4-compress it;
* reading: a text trace of ``file:`` pages, the same trace as ``.ztrace``,
  a sizes-only text trace (events per second of the reader alone);
* compressing: ``Lz4.compress`` of a page;
* applying: ``Replay`` of events whose pages are already examined and
  compressed (what the applying process does with a reader helper);
* passing: pickling a batch and unpickling it (both ends of the pipe).

From them, the best a replay can do: in one process, read + compress + apply;
with a reader helper on two idle cores, half of read + compress + apply +
passing (the two processes share the work evenly). Worked example with the
figures of docs/performance.md: read 3.0, compress 6.2, apply 3.5, pass 0.8 us
a page, bare loop 6.9: one process 12.7 us, 0.54 of the loop; two cores
6.75 us, 1.02 of the loop.

    python -m benchmarks.e2e_costs --pages 30000
"""

from __future__ import annotations

import argparse
import os
import pickle
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from benchmarks.bench_e2e import build_corpus  # noqa: E402
from workloads.open_trace import open_trace  # noqa: E402
from zramsim import Replay, ZramDevice  # noqa: E402
from zramsim.compressors import Lz4  # noqa: E402
from zramsim.read_ahead_helper import PREPARED  # noqa: E402

PAGE = 4096


def cpu_seconds(work, repeat: int = 3) -> float:
    """The least CPU time of ``repeat`` calls of ``work()``."""
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        work()
        best = min(best, time.process_time() - start)
    return best


def read_all(path: str) -> int:
    with open_trace(path) as reader:
        return sum(1 for _ in reader)


def prepared(path: str, device: ZramDevice) -> list[tuple]:
    """The trace's events as the reader helper sends them: every page prepared."""
    lz4, out = Lz4(), []
    with open_trace(path) as reader:
        for op, index, arg in reader:
            if op == "W" and type(arg) is bytes:
                word = arg[:8]
                if word * (len(arg) // 8) == arg:
                    arg = int.from_bytes(word, "little")
                else:
                    data = lz4.compress(arg)
                    arg = arg if len(data) >= device.huge_class_size else data
                op = PREPARED
            out.append((op, index, arg))
    return out


def measure(count: int) -> dict[str, float]:
    """Microseconds of CPU per page (per event for the sizes-only reader)."""
    with tempfile.TemporaryDirectory() as folder:
        paths = build_corpus(folder, count)
        with open(paths["pages.bin"], "rb") as f:
            pages = [f.read(PAGE) for _ in range(count)]
        lz4 = Lz4()

        def bare() -> None:
            with open(paths["pages.bin"], "rb") as f:
                while page := f.read(PAGE):
                    lz4.compress(page)

        events = prepared(paths["real.trace"], ZramDevice(None))
        batch = events[:128]
        us = {"bare loop (read + compress)": cpu_seconds(bare) / count,
              "read text file: trace": cpu_seconds(lambda: read_all(paths["real.trace"])) / count,
              "read binary .ztrace": cpu_seconds(lambda: read_all(paths["real.ztrace"])) / count,
              "read sizes-only text (per event)":
                  cpu_seconds(lambda: read_all(paths["sizes.trace"])) / (4 * count),
              "compress (Lz4.compress)": cpu_seconds(lambda: [lz4.compress(p) for p in pages])
              / count,
              "apply prepared events": cpu_seconds(
                  lambda: Replay(ZramDevice(None)).run(_Batches([events]))) / count,
              "pass a batch (pickle + unpickle)": cpu_seconds(
                  lambda: [pickle.loads(pickle.dumps(batch, 5)) for _ in range(100)])
              / (100 * len(batch))}
    return {name: seconds * 1e6 for name, seconds in us.items()}


class _Batches:
    """Pre-made batches, handed to ``Replay.run`` as a reader helper's would be."""

    def __init__(self, batches: list[list[tuple]]) -> None:
        self._batches = batches

    def batches(self, applied):
        return iter(self._batches)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=30000)
    args = parser.parse_args(argv)
    us = measure(args.pages)
    for name, value in us.items():
        print(f"{name:36s} {value:6.2f} us")
    bare = us["bare loop (read + compress)"]
    compress, apply = us["compress (Lz4.compress)"], us["apply prepared events"]
    passing = us["pass a batch (pickle + unpickle)"]
    for kind in ("text file: trace", "binary .ztrace"):
        read = us[f"read {kind}"]
        one = read + compress + apply
        two = (one + passing) / 2
        print(f"{kind}: one process {one:.2f} us a page ({bare / one:.2f} of the bare loop), "
              f"two idle cores {two:.2f} us ({bare / two:.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
