"""A sweep from start to end: plan what is missing, compute it, record each result.

``Sweep(runs, store)`` compares the grid with the database: runs already
``ok`` are skipped, the others (never run, or failed) are computed through an
executor (``execute``) and each result is written the moment it arrives, by
this process alone. Kill the process at any point and every row written so far
is whole and committed; run the same command again and it computes exactly
the runs that are still missing.

Progress is a count with a rate: ``41/64 runs, 5 already done, 1.6 runs/s,
about 14 s left`` means 36 runs computed here in 22.5 s (1.6 a second) and
23 to go (23 / 1.6 = 14 s).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import partial

from zramsim.sweep.execute import execute
from zramsim.sweep.grid import Run, expand, pending
from zramsim.sweep.run import run_one
from zramsim.sweep.store import Store


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Sweep:
    """The runs of one grid against one database; counts what happened.

    A run is anything hashable with a ``key`` (its UNIQUE columns, in the
    store's key order) and ``columns()`` (the row's values it determines):
    ``grid.Run`` for replays, ``pressure.PressureRun`` for swap-pressure runs.
    """

    def __init__(self, runs: Sequence[Run], store: Store, *,
                 clock: Callable[[], float] = time.monotonic,
                 now: Callable[[], str] = utc_now) -> None:
        self.runs, self.store, self.clock, self.now = list(runs), store, clock, now
        self.todo = pending(self.runs, store.finished())
        self.total = len(self.runs)
        self.skipped = self.total - len(self.todo)
        self.computed = self.failed = self.lost = 0
        self.start = clock()

    def run(self, make_executor, task: Callable[[Run], dict],
            progress: Callable[[Sweep], None] | None = None, **execute_options) -> Sweep:
        """``task(run)`` for every missing run (on the executor), each result recorded;
        ``progress(self)`` after each result and each tick."""
        tick = (lambda: progress(self)) if progress else None

        def record(run: Run, result: dict) -> None:
            row = {**result, **run.columns(), "finished_at": self.now()}
            self.store.record(row)
            self.computed += 1
            self.failed += result["status"] != "ok"
            if tick is not None:
                tick()

        def lost(run: Run) -> None:
            self.lost += 1

        self.start = self.clock()
        if self.todo:
            execute(self.todo, make_executor, task, record,
                    on_tick=tick, on_lost=lost, **execute_options)
        return self

    @property
    def done(self) -> int:
        return self.skipped + self.computed

    def counts(self) -> dict:
        """``lost``: runs resubmitted after a local pool process died (in flight or waiting:
        a broken pool fails both alike)."""
        return {"total": self.total, "computed": self.computed, "skipped": self.skipped,
                "failed": self.failed, "lost": self.lost}

    def rows(self) -> list[dict]:
        """The database rows of this grid's runs (all of them, whoever computed them)."""
        return self.store.rows(run.key for run in self.runs)

    def progress_text(self) -> str:
        """``41/64 runs, 5 already done, 1.6 runs/s, about 14 s left`` (see the docstring)."""
        elapsed = self.clock() - self.start
        text = f"{self.done}/{self.total} runs"
        if self.skipped:
            text += f", {self.skipped} already done"
        if self.failed:
            text += f", {self.failed} failed"
        if self.computed and elapsed > 0:
            rate = self.computed / elapsed
            left = (self.total - self.done) / rate
            text += f", {rate:.2f} runs/s, about {left:.0f} s left"
        return text


@dataclass(frozen=True)
class Outcome:
    """What a sweep leaves: its grid's rows, the counts, and why it stopped early, if so."""

    rows: list[dict]
    counts: dict
    interrupted: bool
    message: str | None      # None: every run of the grid is ok


def sweep(traces: Sequence[str], grid: dict, db: str, make_executor, opener,
          progress: Callable[[Sweep], None] | None = None) -> Outcome:
    """Run the grid of ``traces`` x ``grid`` into the database ``db``; see ``Sweep``.

    ``grid`` holds the lists by the command line's names: ``algo``, ``level``,
    ``chain_size``, ``page_size``, ``mem_limit`` (None or absent: the default).
    Ctrl-C (KeyboardInterrupt) ends the sweep early: what finished is kept and
    the outcome says ``interrupted``.
    """
    try:
        try:
            runs = expand(traces, grid.get("algo") or ["lz4"], grid.get("level"),
                          grid.get("chain_size") or [8], grid.get("page_size"),
                          grid.get("mem_limit") or [0], opener=opener)
        except KeyboardInterrupt:       # while hashing the traces: nothing ran
            return Outcome([], {}, True, "interrupted before any run started")
        return compute(runs, Store(db), make_executor, partial(run_one, opener=opener),
                       progress)
    finally:
        if hasattr(make_executor, "close"):
            make_executor.close()


def compute(runs: Sequence, store: Store, make_executor, task: Callable,
            progress: Callable[[Sweep], None] | None = None) -> Outcome:
    """``Sweep(runs, store).run(...)``, Ctrl-C included, then the rows; closes ``store``."""
    with store:
        job = Sweep(runs, store)
        message, interrupted = None, False
        try:
            job.run(make_executor, task, progress)
        except KeyboardInterrupt:
            message = f"interrupted: {job.done} of {job.total} runs are in {store.path}"
            interrupted = True
        rows = job.rows()
    failed = [row for row in rows if row["status"] != "ok"]
    if failed and not interrupted:
        message = (f"{len(failed)} of {job.total} runs failed (their error is in "
                   f"{store.path}); the first: {failed[0]['error']}")
    return Outcome(rows, job.counts(), interrupted, message)
