"""Sweeps: many replays (traces x configurations) on all cores or a Dask cluster, into SQLite.

``grid`` lists the runs and their keys, ``run`` replays one on a worker,
``execute`` drives a local process pool or a Dask cluster through one executor
interface, ``store`` is the SQLite database (one row per run, exactly once),
``engine`` ties them together and resumes, ``report`` summarises the rows,
``options`` declares the command's options. docs/sweep.md has the schema and
the commands.

Each name below is imported from its module when first used: the command line
reads ``options`` as it starts, and the engine's own imports (SQLite, process
pools) would slow every command, not only ``sweep``.
"""

from zramsim.lazy_names import names_from

_HOME = {"Outcome": "engine", "Sweep": "engine", "sweep": "engine",
         "MissingExtra": "errors", "SchedulerError": "errors", "StoreError": "errors",
         "SweepError": "errors", "executor_factory": "execute",
         "Config": "grid", "Run": "grid", "expand": "grid", "Store": "store"}

__all__ = list(_HOME)
__getattr__ = names_from(__name__, _HOME)
