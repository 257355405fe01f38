"""Python's cycle collector, paced for a replay.

A replay allocates a few short-lived objects an event (its tuple, the page,
the handle) while the pool keeps every zspage it made. At Python's default
thresholds (a pass per 700 new objects) the collector's passes, the older ones
walking the pool's objects, took ~0.2 us of the ~3 us an applied page costs
(measured in-process on 145,008 real pages: 3.05 -> 2.79-2.91 us). A pass per
``YOUNG_OBJECTS`` new objects keeps nearly all of the gain; cycles are still
collected, so memory stays as it was.

At the process's end the interpreter runs one last full pass, which frees the
device's objects one by one (its zspages, their page frames): ~50 ms after a
145,008-page replay printed its result (strace: write of the result to
``exit_group``), for memory the kernel takes back at once anyway.
``no_collection_at_exit`` skips that pass: farm-bench, 11 pairs, that replay
took 0.972 of its time.
"""

from __future__ import annotations

import atexit
import gc
from contextlib import contextmanager

YOUNG_OBJECTS = 10_000


@contextmanager
def fewer_collections(young: int = YOUNG_OBJECTS):
    """The collector run once per ``young`` new objects (at most) while the block
    runs, and as before after it."""
    threshold = gc.get_threshold()
    gc.set_threshold(max(young, threshold[0]), *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)


def no_collection_at_exit() -> None:
    """Leave the objects still held at exit to the kernel, which frees the whole
    address space in one go: the last atexit function freezes the collector, so
    the interpreter's closing pass finds nothing to walk. For a process's entry
    point only (the command line), never a library call: a test runner or
    notebook lives on and needs its collector. Registered first, it runs last
    (atexit runs in reverse), after every other exit function."""
    atexit.register(gc.freeze)
