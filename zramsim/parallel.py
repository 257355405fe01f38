"""Compressing pages ahead of the thread that applies them, on other cores.

Why: compression is a pure function of the page and most of the cost of a
replayed write, so it can run beside the one thread that applies events in
order (allocation, accounting and mem_limit decisions never leave that thread,
so the results are those of a serial replay). How depends on the compressor:

* ``compress_many`` (zstd): one call compresses a whole batch on threads inside
  the library, without the GIL (``ThreadCompressing``).
* otherwise (lz4, lz4-kernel): a Python thread would have to win the GIL back
  after every ~10 us page, and the applying thread lets go of it only every
  5 ms, so the pages go to *helper processes* through shared memory
  (``ProcessCompressing``). The applying process does not just wait for them:
  once it has applied a batch it compresses the next batch's pages itself,
  from the end, until it meets the helper coming from the start ("work
  stealing"), so neither side idles whichever is faster on the day.

Worked example (lz4, ``workers=2``: one helper, this 2-core machine): a page
costs ~10 us to compress, ~6 us to apply and ~1 us to pass through shared
memory. A helper alone would need ~11 us a page, leaving the applier idle
a third of the time; with stealing the ~17 us of work a page is shared out,
ideally ~8.5 us a page on each core. This machine's two cores together give
only ~1.4x one core (two bare lz4 loops side by side each slow down), so the
measured cost is ~11-13 us a page: 0.78-0.91 of a bare lz4 loop, against
0.57-0.61 for one thread (docs/performance.md). lz4-kernel (~0.7 ms a page)
gains 1.6-2.1x.

Both return, per page of a batch, the compressed bytes or None where the page
could not be compressed ahead (not a page-sized ``bytes``, or the compressor
raised); the applying thread then compresses it again itself and raises at
that event, after the events before it.
"""

from __future__ import annotations

import os
import pickle
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

from zramsim.compressors import Compressor
from zramsim.errors import ConfigError
from zramsim.helper_processes import HelperFailed, Pending, ProcessCompressing, compress_each
from zramsim.helper_start import cores_available, usable_workers

__all__ = ["compressing", "cores_available", "usable_workers", "ThreadCompressing", "ProcessCompressing", "HelperFailed", "Pending"]


def compressing(compressor: Compressor, workers: int, page_size: int,
                batch: int) -> ThreadCompressing | ProcessCompressing:
    """The way to compress ahead on ``workers`` workers that suits ``compressor``.

    Helper processes where the compressor has no ``compress_many``, threads
    where it has, or where processes cannot be had (not a POSIX system, no
    shared memory, or a compressor that cannot be sent to another process).
    """
    if not hasattr(compressor, "clone"):
        raise ConfigError(f"compressor {compressor.name!r} cannot be cloned "
                          f"for parallel replay")
    if not hasattr(compressor, "compress_many") and _can_start_helpers() \
            and _sendable(compressor):
        try:
            return ProcessCompressing(compressor, workers - 1, page_size, batch)
        except OSError:           # no memory file or no process to be had: use threads
            pass
    return ThreadCompressing(compressor, workers)


def _can_start_helpers() -> bool:
    """Helper processes need POSIX (descriptor passing) and a Python to run them with."""
    return os.name == "posix" and bool(sys.executable)


def _sendable(compressor: Compressor) -> bool:
    """Can a helper process rebuild ``compressor``? It imports the parent's modules,
    but not the parent's ``__main__`` script."""
    if type(compressor).__module__ == "__main__":
        return False
    try:
        pickle.dumps(compressor)
    except Exception:
        return False
    return True


class ThreadCompressing:
    """Compresses batches on ``threads`` threads, one compressor clone each.

    With ``compress_many`` the whole batch is one call that runs without the
    GIL. Otherwise page k goes to thread k mod ``threads``, which must win the
    GIL back between pages: correct everywhere, fast nowhere (the fallback where
    no helper process can be had).
    """

    def __init__(self, compressor: Compressor, threads: int) -> None:
        self.threads = threads
        self.many = hasattr(compressor, "compress_many")
        self._mine = threading.local()

        def give_clone() -> None:
            self._mine.compressor = compressor.clone()

        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="zramsim-compress",
                                        initializer=give_clone)

    def __enter__(self) -> ThreadCompressing:
        return self

    def __exit__(self, *exc_info) -> None:
        self._pool.shutdown(cancel_futures=True)

    def start(self, pages: list) -> Pending:
        """Begin compressing ``pages``; the returned call waits for the results."""
        if self.many:
            parts = [self._pool.submit(self._compress_many, pages)]
        else:
            n = self.threads
            parts = [self._pool.submit(self._compress_each, pages[k::n]) for k in range(n)]
        return lambda: _interleave([part.result() for part in parts])

    def _compress_many(self, pages: list) -> list[bytes | None]:
        try:
            return self._mine.compressor.compress_many(pages, self.threads)
        except Exception:           # some page is not bytes: find it page by page
            return self._compress_each(pages)

    def _compress_each(self, pages: list) -> list[bytes | None]:
        return compress_each(self._mine.compressor.compress, pages)


def _interleave(parts: list[list[bytes | None]]) -> list[bytes | None]:
    """Undo the striding of ``start``: part k holds items k, k+N, k+2N, ..."""
    out: list[bytes | None] = [None] * sum(map(len, parts))
    for k, part in enumerate(parts):
        out[k::len(parts)] = part
    return out
