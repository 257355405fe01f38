"""The grid of a sweep: every trace x every configuration, each run named by its key.

A study is a product of lists: traces, algorithms, levels, chain sizes, page
sizes and ``mem_limit`` values. ``expand`` multiplies them out in a fixed
order (trace, then algorithm, level, chain size, page size, mem_limit), so the
same command always lists the same runs in the same order. Worked example:
2 traces x ``--algo lz4,zstd`` x ``--chain-size 4,8`` x ``--mem-limit 0,8M``
is 2 x 2 x 1 x 2 x 1 x 2 = 16 runs (one level: each algorithm's default).

A run's identity is its ``key``: the SHA-256 of the trace file's bytes and the
five configuration values, every one resolved to a number so that the key never
holds a "default": no ``--level`` means lz4's acceleration 1 and zstd's level 3;
no ``--page-size`` means the page size the trace declares (a raw image: 4096);
``mem_limit`` is rounded up to whole pages, as the device (and the kernel) hold
it, so it equals mm_stat's ``mem_limit`` field: 10000 at 4 KiB pages is 12288.
Two paths to the same bytes are one trace, and a renamed trace keeps its rows.
The hash covers the trace file alone: the ``file:`` side files a text trace
points into are not part of it.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from itertools import product

from zramsim.compressors import COMPRESSORS
from zramsim.sweep.errors import SweepError

HASH_BLOCK = 1 << 20


@dataclass(frozen=True)
class Config:
    """One device configuration, every value resolved (no None)."""

    algorithm: str
    level: int
    chain_size: int
    page_size: int
    mem_limit: int


@dataclass(frozen=True)
class Run:
    """One cell of the grid: a trace (as given, and absolute for the workers) and a config."""

    trace: str
    path: str
    trace_sha256: str
    config: Config

    @property
    def key(self) -> tuple:
        """What identifies the run in the database: content hash and configuration."""
        c = self.config
        return (self.trace_sha256, c.algorithm, c.level, c.chain_size, c.page_size, c.mem_limit)

    def columns(self) -> dict:
        """The row's columns that the run itself determines (the rest come from its result)."""
        return {"trace": self.trace, "trace_sha256": self.trace_sha256, **asdict(self.config)}


def file_sha256(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's bytes, read 1 MiB at a time."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def expand(traces: Sequence[str], algorithms: Sequence[str] = ("lz4",),
           levels: Sequence[int] | None = None, chain_sizes: Sequence[int] = (8,),
           page_sizes: Sequence[int] | None = None, mem_limits: Sequence[int] = (0,), *,
           opener: Callable) -> list[Run]:
    """Every run of the grid, in order, each key once.

    ``opener(path)`` is the trace reader (the CLI passes
    ``workloads.open_trace.open_trace``); its ``page_size`` resolves an absent
    ``page_sizes``. Raises SweepError for an unreadable trace (named as given),
    the reader's error for a malformed header.
    """
    runs: dict[tuple, Run] = {}
    for trace in traces:
        path = os.path.abspath(trace)
        try:
            sha = file_sha256(path)
        except OSError as exc:
            raise SweepError(f"{trace}: {exc.strerror or exc}") from None
        if page_sizes:
            sizes = page_sizes
        else:
            with opener(path) as reader:
                sizes = [reader.page_size]
        for algo, lvl, chain, size, limit in product(
                algorithms, levels or [None], chain_sizes, sizes, mem_limits):
            resolved = COMPRESSORS[algo].default_level if lvl is None else lvl
            limit = -(-limit // size) * size     # whole pages, as the device holds it
            run = Run(trace, path, sha, Config(algo, resolved, chain, size, limit))
            runs.setdefault(run.key, run)
    return list(runs.values())


def pending(runs: Iterable, finished: set[tuple]) -> list:
    """The runs whose key is not in ``finished``, in grid order."""
    return [run for run in runs if run.key not in finished]
