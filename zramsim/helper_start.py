"""What every helper process of a replay shares at its start: the cores there are,
where our packages are, and Ctrl-C held back while it is launched.

A replay starts fresh Python interpreters (``python -c``) beside itself: the
compressing helpers of ``helper_processes`` and the reading helper of
``read_ahead``. Each is given ``PACKAGE_ROOT`` to import zramsim from, and is
started with SIGINT blocked in this thread, so a Ctrl-C that arrives during
``Popen`` is delivered only once the handle of the new process is stored: the
caller can then always stop the helper, and none is left behind.
"""

from __future__ import annotations

import os
import signal
from contextlib import contextmanager

PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def cores_available() -> int:
    """The cores this process may run on (its CPU affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:                      # not Linux
        return os.cpu_count() or 1


def usable_workers(workers: int) -> tuple[int, str | None]:
    """``workers`` capped at the cores available, and a note when it was capped."""
    cores = cores_available()
    if workers <= cores:
        return workers, None
    return cores, (f"--workers {workers}: only {cores} core{'s' if cores > 1 else ''} "
                   f"available, using {cores}")


@contextmanager
def ctrl_c_held():
    """Hold SIGINT (Ctrl-C) back until the block ends, where it is delivered."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
