"""The options of ``zramsim pressure``, declared as data (``zramsim.option_spec``).

``TRACE``, ``CONTENTS`` and ``ACCESSES`` describe the workload (the arguments
of ``workloads.address_space.load_workload``; the names of the access patterns
belong to workloads, so the command line adds ``--pattern`` between them).
``MODEL`` is what ``command.plan`` takes, besides ``--db`` and the
zram-generator options; ``OUTPUTS`` the files the command writes and the sweep
engine it may run on. Lists are comma-separated: ``--ram 30%,60%,90% --algo
lz4,zstd`` is 3 RAM sizes x 2 algorithms.
"""

from __future__ import annotations

from zramsim.compressors import COMPRESSORS
from zramsim.option_spec import FLAG, SIZE, Choices, ListOf, Option, Path, Range, one_of
from zramsim.pressure.policies import POLICIES
from zramsim.pressure.tiers import ON_FULL, TIERS


def algorithm_list(text: str) -> list[str]:
    """``"lz4, zstd"`` -> ``['lz4', 'zstd']``, registered compressors only, else a
    ValueError worded as a bad ``--algo`` of the other commands is."""
    algos = [a.strip() for a in text.split(",") if a.strip()]
    unknown = [a for a in algos if a not in COMPRESSORS]
    if unknown or not algos:
        raise ValueError(f"{(unknown or [text])[0]!r} is not one of "
                         f"{', '.join(map(repr, sorted(COMPRESSORS)))}.")
    return algos


TRACE = Option("--trace", Path(file_only=True, dash=True), None, "Contents from a trace file.")
CONTENTS = (
    Option("--pid", Range(int, 1), None, "Contents from a live process's pages."),
    Option("--pages", Range(int, 1), 4096,
           "Generated address space size (without --trace/--pid)."),
    Option("--mix", str, "default",
           "Content kind or mix (as generate --kind) of generated pages, or 'default'."),
)
ACCESSES = (
    Option("--accesses", Range(int, 0), 100_000),
    Option("--zipf-s", Range(float, 0), None, "zipf exponent (default 1.0)."),
    Option("--write-fraction", Range(float, 0, 1), 0.0),
    Option("--no-populate", FLAG, help="Do not touch every page once first."),
    Option("--seed", int, 0),
)
MODEL = (
    Option("--ram", str, "30%,40%,50%,60%,70%,80%,90%,100%",
           "RAM sizes: pages or percentages of the address space, comma-separated."),
    Option("--algo algorithms", str, "lz4,zstd", "zram algorithms, comma-separated.",
           parse=algorithm_list),
    Option("--level", int, None, "lz4 acceleration or zstd level."),
    Option("--policy", ListOf(one_of(*POLICIES)), "lru", "Several need --db."),
    Option("--on-full", Choices(ON_FULL), "oom",
           "When zram refuses a page: OOM, or spill to the disk swap."),
    Option("--disksize", SIZE, None, "zram size (default: the workload)."),
    Option("--mem-limit", SIZE, 0),
    Option("--disk-latency-us", Range(float, 0), 100.0),
    Option("--no-baselines", FLAG, help="Skip the disk-only and no-swap runs."),
    Option("--tiers", ListOf(one_of(*TIERS)), "none",
           "Behind zram: none, writeback (to flash), recompress."),
    Option("--tier-period", Range(int, 1), 10_000,
           "Accesses between the tier's daily jobs (idle marking, then the work)."),
    Option("--flash-budget", Range(int, 0), 0,
           "Pages written back per job (writeback_limit); 0 is unlimited."),
    Option("--flash-latency-us", Range(float, 0), 100.0),
    Option("--timeline", Range(int, 1), None,
           "One run (first RAM size and algorithm) sampled every N accesses."),
)
OUTPUTS = (
    Option("-o --plot plot_path", Path(file_only=True), None,
           "Write a plot (.png or .svg; needs the 'plot' extra)."),
    Option("--html html_path", Path(file_only=True), None, "Write a self-contained HTML report."),
    Option("--db", Path(file_only=True), None,
           "Run on the sweep engine (--workers, --scheduler as sweep's) into this "
           "SQLite file, table pressure_runs; resumable."),
    Option("--workers", Range(int, 1)),
    Option("--scheduler"),
)
