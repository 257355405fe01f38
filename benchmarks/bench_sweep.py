"""How well does ``zramsim sweep`` use the cores, locally and through Dask?

One 64-run sweep (4 traces x lz4, zstd x chain sizes 4, 8 x four mem_limits)
is run on three executors, each time into a fresh database, and timed from the
grid's expansion (the traces hashed) to the last row committed; three rounds of
the three, interleaved, the best round of each (quick: one round):

* ``local, 1 worker``: the standard-library process pool with one process;
* ``local, 2 workers``: the same with two; ``ratio`` is the speed-up over one
  worker (target >= 1.7 on 2 cores);
* ``dask, 2 workers``: a ``distributed.LocalCluster`` on 127.0.0.1 with two
  single-threaded worker processes, started (and its workers' imports warmed,
  as on a cluster that outlives one sweep) before the clock starts; ``ratio``
  is against ``local, 2 workers`` (target >= 0.85: within 15%). Skipped without
  the ``dask`` extra.

``ops_per_s`` is runs per second; the note adds the CPU seconds the local
sweeps used (this process and its pool): when two workers use no more CPU than
one, the speed-up lost on a busy machine is the machine's, not the engine's.
Worked example: 64 runs in 40 s on one worker and 22 s on two is 1.60 and 2.91
runs/s, a speed-up of 1.82.

Traces: default-mix pages (heap, text, code, zero...), 4,000 pages each with
overwrites, reads and discards (quick: 300), seeds 0..3, written to a temporary
directory first. On a machine shared with other jobs the ratios wander; rerun
on a quiet one: ``python benchmarks/bench_sweep.py`` (or ``--quick``).
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time

if __name__ == "__main__":       # run as a script from anywhere: the repo root on the path
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.common import make_row  # noqa: E402
from workloads.mixes import generate_trace  # noqa: E402
from workloads.open_trace import open_trace, writer_for  # noqa: E402
from zramsim.sweep import executor_factory, sweep  # noqa: E402
from zramsim.sweep.execute import DaskPool  # noqa: E402

GRID = {"algo": ["lz4", "zstd"], "chain_size": [4, 8],
        "mem_limit": [0, 2 << 20, 4 << 20, 8 << 20]}       # x 4 traces = 64 runs
MIX = {"heap": 0.35, "text": 0.2, "source": 0.1, "code": 0.15, "zero": 0.15, "random": 0.05}


def make_traces(folder: str, pages: int) -> list[str]:
    paths = []
    for seed in range(4):
        path = os.path.join(folder, f"t{seed}.ztrace")
        with writer_for(path, 4096) as writer:
            for event in generate_trace(MIX, pages, seed, overwrite_rate=0.3, read_rate=0.3,
                                        discard_rate=0.05):
                writer.write(event)
        paths.append(path)
    return paths


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (a local pool, once shut down)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def timed_sweep(traces: list[str], db: str, make) -> tuple[float, float]:
    """One sweep into the fresh database ``db``: (seconds, CPU seconds here and in the pool)."""
    start, start_cpu = time.perf_counter(), cpu_seconds()
    out = sweep(traces, GRID, db, make, open_trace)
    seconds, cpu = time.perf_counter() - start, cpu_seconds() - start_cpu
    if out.message or out.counts["computed"] != 64:
        raise RuntimeError(f"{db}: {out.message or out.counts}")
    return seconds, cpu


NANNY_ENVIRON = "distributed.nanny.pre-spawn-environ"


def dask_cluster():
    """A LocalCluster of two single-threaded worker processes, warmed; None without Dask.

    Dask's nanny starts its workers with ``MALLOC_TRIM_THRESHOLD_=65536`` (its
    default pre-spawn environment), so glibc hands freed memory back to the system
    at every turn; a replay allocates and frees a page-sized buffer per event, and
    that costs it about a fifth of its time (0.74-0.84 of the local pool with the
    setting, 0.93 without, on this machine). The cluster here is started without
    it, as docs/sweep.md recommends for a cluster that runs sweeps.
    """
    try:
        import dask
        from distributed import LocalCluster
    except ImportError:
        return None
    environ = {name: value for name, value in dask.config.get(NANNY_ENVIRON, {}).items()
               if name != "MALLOC_TRIM_THRESHOLD_"}
    with dask.config.set({NANNY_ENVIRON: environ}):
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=None)
    warm = DaskPool(cluster.scheduler_address)
    warm.client.wait_for_workers(2)
    warm.client.run(__import__, "zramsim.sweep.run")
    warm.shutdown()
    return cluster


def run(quick: bool) -> list[dict]:
    """The three sweeps in turn, ``repeat`` rounds (interleaved, so that a change in the
    machine's load hits all three alike); the best round of each."""
    pages, repeat = (300, 1) if quick else (4000, 3)
    cluster = dask_cluster()
    setups = {"local1": lambda: executor_factory(workers=1),
              "local2": lambda: executor_factory(workers=2)}
    if cluster is not None:
        setups["dask2"] = lambda: executor_factory(scheduler=cluster.scheduler_address)
    best: dict[str, tuple[float, float]] = {}
    try:
        with tempfile.TemporaryDirectory() as folder:
            traces = make_traces(folder, pages)
            for attempt in range(repeat):
                for name, make in setups.items():
                    took = timed_sweep(traces, os.path.join(folder, f"{name}-{attempt}.db"),
                                       make())
                    best[name] = min(best.get(name, took), took)
    finally:
        if cluster is not None:
            cluster.close()
    n = 64
    (one, cpu1), (two, cpu2) = best["local1"], best["local2"]
    rows = [make_row("sweep 64 runs, local, 1 worker", n / one, None,
                     f"{one:.1f} s, {cpu1:.1f} CPU-s; {pages} pages a trace"),
            make_row("sweep 64 runs, local, 2 workers", n / two, n / one,
                     f"{two:.1f} s, {cpu2:.1f} CPU-s; ratio = speed-up over 1 worker "
                     f"(target >= 1.7)")]
    if cluster is None:
        rows.append(make_row("sweep 64 runs, dask, 2 workers", None, None,
                             "skipped: pip install 'zramsim[dask]'"))
    else:
        on_dask = best["dask2"][0]
        rows.append(make_row("sweep 64 runs, dask, 2 workers", n / on_dask, n / two,
                             f"{on_dask:.1f} s; ratio = against local 2 workers "
                             f"(target >= 0.85)"))
    return rows


if __name__ == "__main__":
    for row in run("--quick" in sys.argv):
        print(row)
