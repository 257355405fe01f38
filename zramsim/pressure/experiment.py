"""Experiments: one run, baselines, sweeps over RAM size, and the thrashing knee.

Every run of a sweep replays the same workload stream; only the RAM size and the
swap setup change. Next to zram (one run per algorithm) two baselines answer
"compared with what?": ``none`` (no swap: the workload runs out of memory as
soon as it touches one page more than RAM holds) and ``disk`` (swap to a disk
that costs ``disk_latency_ns`` per page moved and takes no RAM).

The *thrashing knee* of one label is found on its curve of fault rate
(swap-ins per access) against RAM size, leaving out runs that ran out of
memory, by the largest gap below the chord (the "Kneedle" rule): with x and y
scaled to 0..1 between the smallest and the largest RAM, the knee is the point
with the largest ``(1 - x) - y``. Worked example: RAM 100, 200, 300, 400 with
fault rates 0.50, 0.10, 0.05, 0.00 scale to y = 1, 0.2, 0.1, 0 at x = 0, 1/3,
2/3, 1; the gaps are 0, 0.467, 0.233, 0: the knee is at 200 frames. Below it,
every frame less costs many more faults; above it, frames buy little.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace

from zramsim.errors import ConfigError
from zramsim.pressure.model import MemoryModel, PressureConfig
from zramsim.pressure.results import PressureResult, Summary, SweepResult

BASELINES = ("disk", "none")


def run_pressure(workload, config: PressureConfig, *, every: int = 0,
                 clock: Callable[[], int] = time.perf_counter_ns) -> PressureResult:
    """Run ``workload`` once; the run's seed is the workload's (it drives writes too).

    ``workload`` is a ``workloads.address_space.Workload`` or anything with its
    ``contents``, ``stream()`` and ``seed``; the CLI builds it, so this package
    sees no trace reader.
    """
    config = replace(config, seed=workload.seed)
    model = MemoryModel(config, workload.contents, clock=clock)
    return model.run(workload.stream(), every)


def resolve_ram(size: str | int, pages: int) -> int:
    """A RAM size in frames: an int, ``"1500"``, or ``"40%"`` of the address space.

    >>> resolve_ram("40%", 2000), resolve_ram("1500", 2000)
    (800, 1500)
    """
    text = str(size).strip()
    try:
        frames = round(pages * float(text[:-1]) / 100) if text.endswith("%") else int(text)
    except ValueError:
        raise ConfigError(f"a RAM size is a number of pages or a percentage, not {size!r}") from None
    if frames < 1:
        raise ConfigError(f"RAM size {size!r} is less than one page")
    return frames


def resolve_rams(text: str, pages: int) -> list[int]:
    """Comma-separated RAM sizes, each as ``resolve_ram``; sorted, duplicates dropped.

    >>> resolve_rams("50%,25%,1000", 2000)
    [500, 1000]
    """
    return sorted({resolve_ram(part, pages) for part in str(text).split(",") if part.strip()})


def sweep(workload, ram_sizes: Iterable[int], *,
          algorithms: Sequence[str] = ("lz4", "zstd"), baselines: Sequence[str] = BASELINES,
          base: PressureConfig | None = None,
          clock: Callable[[], int] = time.perf_counter_ns,
          progress: Callable[[Summary], None] | None = None,
          tiers: Sequence[str] = ("none",),
          per_ram: Callable[[int], dict] | None = None) -> SweepResult:
    """Every RAM size x (each zram algorithm x each tier, then each baseline).

    ``base`` supplies every other knob (policy, limits, latencies); its
    ``ram_pages``, ``swap`` and ``algorithm`` are replaced per run.
    ``per_ram(ram_pages)`` may replace more of it for each RAM size (a
    zram-generator configuration sizes the device from the machine's RAM).
    ``progress`` is called with each summary as it is made.
    """
    sizes = sorted(set(ram_sizes))
    base = base or PressureConfig(ram_pages=1)
    setups = [("zram", a, t) for a in algorithms for t in tiers] + [
        (b, base.algorithm, "none") for b in baselines]
    summaries = []
    for ram in sizes:
        sized = replace(base, **per_ram(ram)) if per_ram else base
        for swap, algorithm, tier in setups:
            config = replace(sized, ram_pages=ram, swap=swap, algorithm=algorithm, tier=tier)
            summary = run_pressure(workload, config, clock=clock).summary
            summaries.append(summary)
            if progress is not None:
                progress(summary)
    return locate(summaries)


def locate(summaries: Iterable[Summary]) -> SweepResult:
    """Knee, smallest fitting RAM and effective-memory gain of every label."""
    summaries = tuple(summaries)
    knees, min_ram, gain = {}, {}, {}
    for label in dict.fromkeys(s.label for s in summaries):
        runs = sorted((s for s in summaries if s.label == label), key=lambda s: s.ram_pages)
        served = [s for s in runs if s.oom_at is None]
        knees[label] = knee([(s.ram_pages, s.fault_rate) for s in served])
        min_ram[label] = served[0].ram_pages if served else None
        gain[label] = max((s.effective_memory for s in served), default=None)
    return SweepResult(summaries, knees, min_ram, gain)


def knee(points: Sequence[tuple[float, float]]) -> float | None:
    """The x of the largest gap below the chord of a falling curve; see the module
    docstring. None with fewer than three points or a flat curve."""
    points = sorted(points)
    if len(points) < 3:
        return None
    x0, x1 = points[0][0], points[-1][0]
    ys = [y for _, y in points]
    top, bottom = max(ys), min(ys)
    if x1 == x0 or top == bottom:
        return None
    best, where = 0.0, None
    for x, y in points:
        gap = (1 - (x - x0) / (x1 - x0)) - (y - bottom) / (top - bottom)
        if gap > best:
            best, where = gap, x
    return where
