"""Swap-pressure sweeps on the sweep engine: one worker task and one row per run.

``zramsim pressure --db FILE`` runs the same grid as ``pressure.sweep`` (every
RAM size x each zram algorithm, then each baseline) but each run is a task on
the executor (local pool or Dask) and each summary a row of the table
``pressure_runs`` in the same SQLite database as the replay sweeps, recorded as
it arrives, exactly once, resumed on a rerun.

A worker cannot be handed the workload itself (its stream is a generator
factory), so it is handed the workload's *description*, the keyword arguments
of ``workloads.address_space.load_workload`` (given by the CLI as ``loader``,
with the trace path made absolute), and builds it again, once per process.
A live process (``--pid``) cannot be built again: capture it to a trace first.

A run's identity (the UNIQUE key) is ``workload_sha256`` and the run's own
knobs: RAM size, swap, algorithm, level, policy, on_full, disksize, mem_limit
and disk latency. ``workload_sha256`` hashes the description without the
trace's path, the trace file's bytes (its SHA-256) and the model's remaining
knobs, so a moved trace keeps its rows and a changed one gets new ones. As in
``grid``, defaults are resolved to numbers: the algorithm's default level, and
disksize 0 for "one slot per page of the address space".
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields, replace
from functools import partial

from zramsim.compressors import COMPRESSORS
from zramsim.pressure import PressureConfig, Summary, SweepResult, locate, run_pressure
from zramsim.pressure_command import Outcome, PressurePlan
from zramsim.sweep.engine import compute
from zramsim.sweep.grid import file_sha256
from zramsim.sweep.run import zramsim_version
from zramsim.sweep.store import Store

TABLE = "pressure_runs"
_SQL = {"str": "TEXT", "float": "REAL"}
SUMMARY_COLUMNS = tuple((f.name, _SQL.get(str(f.type), "INTEGER")) for f in fields(Summary))
COLUMNS = (
    ("workload", "TEXT NOT NULL"), ("workload_sha256", "TEXT NOT NULL"),
    ("level", "INTEGER NOT NULL"), ("on_full", "TEXT NOT NULL"),
    ("disksize", "INTEGER NOT NULL"), ("mem_limit", "INTEGER NOT NULL"),
    ("status", "TEXT NOT NULL CHECK (status IN ('ok', 'failed'))"), ("error", "TEXT"),
    *SUMMARY_COLUMNS,
    ("seconds", "REAL"), ("zramsim_version", "TEXT"), ("finished_at", "TEXT"),
)
KEY = ("workload_sha256", "ram_pages", "swap", "algorithm", "level", "policy", "on_full",
       "disksize", "mem_limit", "disk_latency_ns")
_PER_RUN = ("ram_pages", "swap", "algorithm", "level", "policy", "on_full", "disksize",
            "mem_limit", "disk_latency_ns", "seed")


@dataclass(frozen=True)
class PressureRun:
    """One RAM size and swap setup of one workload, as a worker needs it."""

    workload: str               # JSON of load_workload's keyword arguments
    workload_sha256: str
    trace_sha256: str | None    # the trace file's, checked on the worker
    config: PressureConfig

    @property
    def key(self) -> tuple:
        return tuple(self.columns()[name] for name in KEY)

    def columns(self) -> dict:
        """Key and configuration columns; a baseline has no algorithm ('') nor level (0),
        as its summary says."""
        c = self.config
        zram = c.swap == "zram"
        return {"workload": self.workload, "workload_sha256": self.workload_sha256,
                "level": c.level if zram else 0, "on_full": c.on_full,
                "disksize": c.disksize or 0, "mem_limit": c.mem_limit, "label": c.label,
                "swap": c.swap, "algorithm": c.algorithm if zram else "",
                "policy": c.policy, "ram_pages": c.ram_pages,
                "disk_latency_ns": c.disk_latency_ns}


def plan(description: dict, rams: Sequence[int], algorithms: Sequence[str],
         base: PressureConfig, baselines: Sequence[str],
         policies: Sequence[str] | None = None) -> list[PressureRun]:
    """The runs of ``pressure.sweep``'s grid, in its order (RAM size, then setups), for
    each policy in turn (default: ``base.policy``)."""
    if description.get("pid") is not None:
        raise ValueError("--db runs on workers that cannot read a live process: capture it "
                         "first (zramsim capture --pid PID OUT) and give the trace")
    described = {k: v for k, v in description.items() if v is not None and k != "pid"}
    trace_sha = None
    if described.get("trace"):
        described["trace"] = os.path.abspath(described["trace"])
        trace_sha = file_sha256(described["trace"])
    knobs = {k: v for k, v in asdict(base).items() if k not in _PER_RUN}
    identity = {**{k: v for k, v in described.items() if k != "trace"},
                "trace_sha256": trace_sha, "model": knobs}
    sha = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()
    text = json.dumps(described, sort_keys=True)
    setups = [("zram", a) for a in algorithms] + [(b, base.algorithm) for b in baselines]
    runs = []
    for policy in policies or [base.policy]:
        for ram in sorted(set(rams)):
            for swap, algorithm in setups:
                level = (COMPRESSORS[algorithm].default_level if base.level is None
                         else base.level)
                config = replace(base, ram_pages=ram, swap=swap, algorithm=algorithm,
                                 level=level, policy=policy)
                runs.append(PressureRun(text, sha, trace_sha, config))
    return runs


_built: dict[str, object] = {}     # this process's last workload, by description


def pressure_task(run: PressureRun, loader: Callable, clock=time.perf_counter) -> dict:
    """Run one pressure run on a worker; a failure is returned, never raised."""
    start = clock()
    result = {"status": "failed", "zramsim_version": zramsim_version()}
    try:
        described = json.loads(run.workload)
        if run.trace_sha256 is not None and file_sha256(described["trace"]) != run.trace_sha256:
            raise ValueError(f"{described['trace']}: trace changed or differs on this worker")
        workload = _built.get(run.workload)
        if workload is None:        # (Dask threads may race here: at worst, built twice)
            workload = loader(**described)
            _built.clear()
            _built[run.workload] = workload
        summary = run_pressure(workload, run.config).summary
        result.update(status="ok", **asdict(summary))
    except Exception as exc:        # a run's failure is data, recorded by the parent
        result["error"] = str(exc) or repr(exc)
    result["seconds"] = round(clock() - start, 6)
    return result


@dataclass(frozen=True)
class PressureOutcome:
    """The located result of the ok runs, the counts, and why it stopped early, if so."""

    result: SweepResult
    counts: dict
    interrupted: bool
    message: str | None


def pressure_sweep(description: dict, rams: Sequence[int], algorithms: Sequence[str],
                   base: PressureConfig, baselines: Sequence[str], db: str, make_executor,
                   loader: Callable, progress=None,
                   policies: Sequence[str] | None = None) -> PressureOutcome:
    """``pressure.sweep`` on the executor, into ``db``'s ``pressure_runs``; resumable.

    With several ``policies`` the grid is repeated per policy and each label of
    the result gets its policy (``zram-lz4/clock``), so that knees and gains
    are located per policy; the rows keep the model's own labels.
    """
    try:
        runs = plan(description, rams, algorithms, base, baselines, policies)
        out = compute(runs, Store(db, TABLE, COLUMNS, KEY), make_executor,
                      partial(pressure_task, loader=loader), progress)
    finally:
        if hasattr(make_executor, "close"):
            make_executor.close()
    names = [f.name for f in fields(Summary)]
    summaries = [Summary(**{n: row[n] for n in names}) for row in out.rows
                 if row["status"] == "ok"]
    if policies and len(policies) > 1:
        summaries = [replace(s, label=f"{s.label}/{s.policy}") for s in summaries]
    return PressureOutcome(locate(summaries), out.counts, out.interrupted, out.message)


def run_on_engine(described: dict, plan: PressurePlan, make_executor,
                  loader: Callable) -> Outcome:
    """``zramsim pressure``'s ``plan`` on the sweep engine
    into ``plan.db`` (table ``pressure_runs``, resumable), Ctrl-C and failed runs
    included in the ``Outcome``. ``described`` is what ``loader`` turns into the
    workload on each worker."""
    out = pressure_sweep(described, plan.rams, plan.algorithms, plan.base, plan.baselines,
                         plan.db, make_executor, loader, policies=plan.policies)
    return Outcome(out.result, out.interrupted, out.message)
