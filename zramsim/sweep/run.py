"""One run of a sweep, as a worker process computes it: check the trace, replay, return.

This is the only code that runs on a worker (a local pool process or a Dask
worker). It opens the trace by the absolute path the parent resolved (on a
cluster, every worker must see the file at that path: a shared filesystem),
checks that its SHA-256 is still the one the run is keyed by, and replays it
exactly as ``zramsim replay`` does: the same ``ZramDevice`` (growing disksize,
no dictionary, the min-waste chain rule, no verify), the same ``Replay``
driver, the same ``stats()``. It returns a plain dict of column values, never
raises for a run's own failure (a missing file, a changed file, a malformed
trace, an impossible level: ``status`` is ``failed`` and ``error`` says why),
and writes nothing: the parent is the database's only writer.

The trace reader comes in as ``opener`` (``workloads.open_trace.open_trace``,
given by the CLI), so this package keeps to ``zramsim``'s rule of knowing no
trace format.
"""

from __future__ import annotations

import time
from dataclasses import asdict
from functools import cache

from zramsim.device import ZramDevice
from zramsim.replay import Replay
from zramsim.sweep.grid import Run, file_sha256


@cache
def zramsim_version() -> str:
    """The installed zramsim's version, else the version of the checkout it runs from."""
    from importlib import metadata
    try:
        return metadata.version("zramsim")
    except metadata.PackageNotFoundError:
        import tomllib
        from pathlib import Path
        pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
        with open(pyproject, "rb") as handle:
            return tomllib.load(handle)["project"]["version"]


def run_one(run: Run, opener, clock=time.perf_counter) -> dict:
    """Replay ``run`` and return its result columns (``status``, ``error``, stats...)."""
    start = clock()
    result = {"status": "failed", "zramsim_version": zramsim_version()}
    try:
        found = file_sha256(run.path)
        if found != run.trace_sha256:
            raise ValueError(f"trace changed or differs on this worker: sha256 {found[:12]}..."
                             f" where the sweep expects {run.trace_sha256[:12]}...")
        c = run.config
        with opener(run.path, page_size=c.page_size) as reader:
            device = ZramDevice(None, c.algorithm, level=c.level, page_size=c.page_size,
                                chain_size=c.chain_size, mem_limit=c.mem_limit)
            replayer = Replay(device)
            replayer.run(reader)
        stats = device.stats()
        result.update(status="ok", events=replayer.applied, disksize=stats.disksize,
                      **asdict(stats.mm_stat), **asdict(stats.io_stat), **stats.ratios())
    except Exception as exc:        # a run's failure is data, recorded by the parent
        text = str(exc) or repr(exc)
        result["error"] = text if run.path in text or run.trace in text else f"{run.trace}: {text}"
    result["seconds"] = round(clock() - start, 6)
    return result
