"""CPU time a page of the commands that write traces: making pages, then writing them.

Why: `generate`, `convert` and `capture --path` run on a machine shared with
other work, where wall-clock rates move with the load; the CPU time each part
costs does not move much. In one process, in CPU seconds
(``time.process_time``), best of three:

* making pages: each content kind alone, and the default workload's mix;
* the command's own work a page, the trace written to ``.ztrace`` with the
  zstd frame compressed in this process (``never``) and by the helper
  process (``always``, whose CPU is not counted: it runs on another core):
  ``generate`` (the default workload), ``capture --path`` and ``convert``
  (a text trace of ``file:`` pages) of real pages.

Worked example with the figures of docs/performance.md: generate 45.5 us a
page with zstd here and 33.8 with the helper (whose ~10 us a page run on the
other core): on two idle cores the command is held by the 33.8, ~30,000
pages/s before the interpreter's start; 50,000 would need 20.

    python -m benchmarks.write_costs --pages 20000
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from benchmarks.bench_e2e import build_corpus  # noqa: E402
from workloads.capture import capture_path  # noqa: E402
from workloads.default import default_workload  # noqa: E402
from workloads.generators import KINDS  # noqa: E402
from workloads.open_trace import convert  # noqa: E402
from workloads.trace_output import write_events  # noqa: E402


def cpu_us(work, count: int, repeat: int = 3) -> float:
    """Best CPU microseconds a unit of ``work()`` over ``repeat`` runs of ``count`` units."""
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        work()
        best = min(best, time.process_time() - start)
    return best / count * 1e6


def kinds(pages: int) -> list[tuple[str, float]]:
    count = min(pages, 2000)
    rows = []
    for name, make in KINDS.items():
        rng = random.Random(5)
        rows.append((f"make a {name} page", cpu_us(lambda: [make(rng) for _ in range(count)],
                                                    count)))
    rows.append(("make the default mix (events of default_workload)",
                 cpu_us(lambda: sum(1 for _ in default_workload(1, pages)), pages)))
    return rows


def commands(pages: int, folder: str) -> list[tuple[str, float]]:
    paths = build_corpus(folder, pages)
    tree = os.path.join(folder, "tree")
    os.makedirs(tree)
    os.link(paths["pages.bin"], os.path.join(tree, "pages.bin"))
    out = os.path.join(folder, "out.ztrace")
    jobs = {
        "generate": lambda: write_events(out, 4096, default_workload(1, pages)),
        "capture --path": lambda: write_events(out, 4096, capture_path(tree)),
        "convert": lambda: convert(paths["real.trace"], out),
    }
    rows = []
    for name, job in jobs.items():
        for where in ("never", "always"):
            os.environ["ZRAMSIM_COMPRESS_HELPER"] = where
            rows.append((f"{name}, zstd helper {where}", cpu_us(job, pages)))
    os.environ.pop("ZRAMSIM_COMPRESS_HELPER", None)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=20000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        rows = kinds(args.pages) + commands(args.pages, folder)
    width = max(len(name) for name, _ in rows)
    print(f"{'stage':{width}s}  us of CPU a page")
    for name, us in rows:
        print(f"{name:{width}s}  {us:8.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
