"""Shared helpers for the benchmarks: timing, peak RSS, one row format, one table.

Every benchmark module ``benchmarks/bench_*.py`` exposes ``run(quick: bool) ->
list[dict]`` returning rows made by ``make_row``; ``run_all`` prints them with
``format_table``. A row compares the measured rate with a baseline measured in
the same process, so the ratio survives a slower or faster machine: e.g. 1.2M
pool ops/s against 6.0M dict ops/s gives ratio 0.20 on any host where both
scale together.
"""

from __future__ import annotations

import resource
import sys
import time
from typing import Callable

COLUMNS = ("name", "ops_per_s", "baseline_per_s", "ratio", "peak_rss_mb", "note")


def ops_per_second(loop: Callable[[], object], ops: int, clock=time.perf_counter) -> float:
    """Run ``loop()`` once and return ``ops`` divided by its wall time."""
    start = clock()
    loop()
    return ops / (clock() - start)


def peak_rss_mb() -> float:
    """Peak resident set size of this process, in MiB, since ``reset_peak_rss``.

    Linux: ``VmHWM`` of /proc/self/status, which ``reset_peak_rss`` can lower to
    the current size; elsewhere the whole run's peak from getrusage. Helper
    processes (lz4 ``workers=2``) are not counted.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib / 1024 if sys.platform != "darwin" else kib / 2**20


def reset_peak_rss() -> bool:
    """Start a new peak: the next ``peak_rss_mb`` counts from now. False if not possible.

    Writing 5 to /proc/self/clear_refs resets the kernel's high-water mark of
    this process (Linux 4.0 and later).
    """
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def make_row(name: str, ops_per_s: float | None, baseline_per_s: float | None = None,
             note: str = "") -> dict:
    """One result row; ``ratio`` = ops_per_s / baseline_per_s when both are known."""
    ratio = ops_per_s / baseline_per_s if ops_per_s and baseline_per_s else None
    return {"name": name, "ops_per_s": ops_per_s, "baseline_per_s": baseline_per_s,
            "ratio": ratio, "peak_rss_mb": round(peak_rss_mb(), 1), "note": note}


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.0f}" if value >= 100 else f"{value:.2f}"
    return str(value)


def format_table(rows: list[dict]) -> str:
    """Rows as aligned text columns, numbers right-aligned, the note last and free-form."""
    cells = [[_cell(row.get(c)) for c in COLUMNS] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(COLUMNS)]
    lines = ["  ".join(c.ljust(w) if i in (0, 5) else c.rjust(w)
                       for i, (c, w) in enumerate(zip(COLUMNS, widths))).rstrip()]
    for r in cells:
        lines.append("  ".join(v.ljust(w) if i in (0, 5) else v.rjust(w)
                               for i, (v, w) in enumerate(zip(r, widths))).rstrip())
    return "\n".join(lines) + "\n"
