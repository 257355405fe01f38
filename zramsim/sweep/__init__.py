"""Sweeps: many replays (traces x configurations) on all cores or a Dask cluster, into SQLite.

``grid`` lists the runs and their keys, ``run`` replays one on a worker,
``execute`` drives a local process pool or a Dask cluster through one executor
interface, ``store`` is the SQLite database (one row per run, exactly once),
``engine`` ties them together and resumes, ``report`` summarises the rows.
docs/sweep.md has the schema and the commands.
"""

from zramsim.sweep.engine import Outcome, Sweep, sweep
from zramsim.sweep.errors import MissingExtra, SchedulerError, StoreError, SweepError
from zramsim.sweep.execute import executor_factory
from zramsim.sweep.grid import Config, Run, expand
from zramsim.sweep.store import Store

__all__ = ["Outcome", "Sweep", "sweep", "MissingExtra", "SchedulerError", "StoreError",
           "SweepError",
           "executor_factory", "Config", "Run", "expand", "Store"]
