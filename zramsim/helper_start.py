"""What every helper process of a replay shares at its start: the cores there are,
whether one is free for a helper, where our packages are, and Ctrl-C held back
while it is launched.

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
import time
from contextlib import contextmanager

PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IDLE_NEEDED = 0.25            # idle cores (cores less the load average), where only that is known
LOOKS = 3                     # looks at the tasks ready to run, 1 ms apart


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


def others_running() -> int | None:
    """Tasks ready to run besides this one, right now: the fewest of ``LOOKS`` looks at
    Linux's /proc/loadavg, 1 ms apart (a task that runs for a moment is no busy
    core); None where the system does not tell."""
    fewest = None
    for look in range(LOOKS):
        if look:
            time.sleep(0.001)
        try:
            with open("/proc/loadavg") as loadavg:
                running = int(loadavg.read().split()[3].split("/")[0])
        except (OSError, ValueError, IndexError):
            return None
        fewest = running - 1 if fewest is None else min(fewest, running - 1)
    return fewest


def second_core_free() -> bool:
    """May a helper count on a core of its own? Two cores or more, and no other task
    ready to run on the second; where that is not known, the 1-minute load average
    at least ``IDLE_NEEDED`` below the cores."""
    cores = cores_available()
    others = others_running()
    if others is not None:
        return cores - others >= 2
    try:
        return cores - os.getloadavg()[0] >= IDLE_NEEDED and cores >= 2
    except (AttributeError, OSError):
        return cores >= 2


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
