"""The replay driver: the one place where page events meet the device.

Readers yield ``PageEvent`` tuples and know nothing of the device; the device
knows nothing of trace formats. ``Replay`` feeds one to the other and counts
what it applied, so that an interrupted or failed replay can still report how
far it got (``applied``) next to the device's statistics at that point.

Compression is most of the cost of replaying real pages, and it is a pure
function of the page. So ``workers=N`` (N > 1) reads events in batches and
compresses batch i+1 on N threads while batch i is applied, strictly in event
order, on the calling thread: allocation, accounting and mem_limit decisions
never leave it, so statistics and contents are identical to a single-threaded
replay. Worked example on two cores: zstd takes ~22 us per page and the rest
of a replayed write ~10 us, so one thread needs ~32 us per page; with the
compression of the next batch overlapping the bookkeeping of this one, the
ideal is (22 + 10) / 2 = 16 us, 2x; measured on a shared machine, 1.3-1.5x.

Only the batch boundaries need the GIL in the compressing thread when the
compressor has ``compress_many`` (zstd); a compressor without it is called
page by page from N Python workers, which must win the GIL back after every
page, so lz4 (~10 us a page) gains nothing from workers.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import islice
from typing import Callable, Iterable, Iterator

from workloads.events import COMPACT, DISCARD, READ, WRITE
from zramsim.compressors import Compressor
from zramsim.device import ZramDevice
from zramsim.errors import BadRequest, ConfigError


class Replay:
    """Apply events to ``device``; ``progress(applied)`` is called every ``every`` events.

    ``workers`` > 1 compresses pages on that many threads, ``batch`` events at a
    time; the results are the same as with one worker.
    """

    def __init__(self, device: ZramDevice, progress: Callable[[int], None] | None = None,
                 every: int = 8192, *, workers: int = 1, batch: int = 1024) -> None:
        if workers < 1 or batch < 1:
            raise ConfigError(f"workers and batch must be >= 1, not {workers} and {batch}")
        self.device = device
        self.progress = progress
        self.every = every
        self.workers = workers
        self.batch = batch
        self.applied = 0
        self.failed_writes = 0

    def run(self, events: Iterable[tuple]) -> int:
        """Apply every event; returns the number applied (also kept in ``applied``)."""
        if self.workers > 1:
            return self._run_parallel(events)
        dev = self.device
        write, write_size, read = dev.write, dev.write_size, dev.read
        progress, every = self.progress, self.every
        applied, failed = self.applied, 0
        try:
            for op, index, arg in events:
                if op == WRITE:
                    if not (write_size(index, arg) if type(arg) is int else write(index, arg)):
                        failed += 1
                elif op == READ:
                    read(index)
                else:
                    self._other(op, index, arg)
                applied += 1
                if progress is not None and applied % every == 0:
                    progress(applied)
        finally:
            self.applied = applied
            self.failed_writes += failed
        return applied

    def _other(self, op: str, index: int, arg) -> None:
        if op == DISCARD:
            self.device.discard(index, arg)
        elif op == COMPACT:
            self.device.compact()
        else:
            raise BadRequest(f"unknown operation {op!r}")

    def _run_parallel(self, events: Iterable[tuple]) -> int:
        dev = self.device
        write_size, read = dev.write_size, dev.read
        write_compressed = dev.write_compressed
        progress, every = self.progress, self.every
        failure: Exception | None = None     # from the events, raised after what came before
        with _Compressing(dev.compressor, self.workers) as compressing:
            batches = _batches(events, self.batch)
            ahead = compressing.start(next(batches, None))
            while ahead is not None:
                batch, parts = ahead
                try:
                    ahead = compressing.start(next(batches, None))
                except Exception as exc:
                    failure, ahead = exc, None
                compressed = _interleave([part.result() for part in parts])
                n = 0
                for op, index, arg in batch:
                    if op == WRITE:
                        if type(arg) is int:
                            ok = write_size(index, arg)
                        else:
                            ok = write_compressed(index, arg, compressed[n])
                            n += 1
                        if not ok:
                            self.failed_writes += 1
                    elif op == READ:
                        read(index)
                    else:
                        self._other(op, index, arg)
                    self.applied += 1
                    if progress is not None and self.applied % every == 0:
                        progress(self.applied)
        if failure is not None:
            raise failure
        return self.applied


def _batches(events: Iterable[tuple], size: int) -> Iterator[list[tuple]]:
    """Lists of ``size`` events; if reading fails, the events read so far come first."""
    iterator = iter(events)
    while True:
        batch: list[tuple] = []
        try:
            batch.extend(islice(iterator, size))
        except Exception:
            if batch:
                yield batch
            raise
        if not batch:
            return
        yield batch


class _Compressing:
    """Compresses the pages of a batch on ``threads`` threads, one compressor clone each.

    A compressor with ``compress_many`` (zstd) takes the whole batch in one call
    that runs on threads of its own without the GIL. Otherwise the pages go to
    ``threads`` Python workers, page k to part k mod threads; each worker takes
    the GIL back between pages, which is slow while the applying thread is busy.
    """

    def __init__(self, compressor: Compressor, threads: int) -> None:
        if not hasattr(compressor, "clone"):
            raise ConfigError(f"compressor {compressor.name!r} cannot be cloned "
                              f"for parallel replay")
        self.threads = threads
        self.many = hasattr(compressor, "compress_many")
        self._mine = threading.local()

        def give_clone() -> None:
            self._mine.compressor = compressor.clone()

        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="zramsim-compress",
                                        initializer=give_clone)

    def __enter__(self) -> _Compressing:
        return self

    def __exit__(self, *exc_info) -> None:
        self._pool.shutdown(cancel_futures=True)

    def start(self, batch: list[tuple] | None) -> tuple[list[tuple], list[Future]] | None:
        """(batch, futures of its compressed pages in parts) or None for no batch."""
        if batch is None:
            return None
        pages = [arg for op, _, arg in batch if op == WRITE and type(arg) is not int]
        if self.many:
            return batch, [self._pool.submit(self._compress_many, pages)]
        n = self.threads
        return batch, [self._pool.submit(self._compress_each, pages[k::n]) for k in range(n)]

    def _compress_many(self, pages: list) -> list[bytes | None]:
        try:
            return self._mine.compressor.compress_many(pages, self.threads)
        except Exception:           # some page is not bytes: find it page by page
            return self._compress_each(pages)

    def _compress_each(self, pages: list) -> list[bytes | None]:
        """Each page compressed; None where compressing failed, so that the applying
        thread compresses it again and raises at that event, after the ones before."""
        compress = self._mine.compressor.compress
        out: list[bytes | None] = []
        for page in pages:
            try:
                out.append(compress(page))
            except Exception:
                out.append(None)
        return out


def _interleave(parts: list[list[bytes | None]]) -> list[bytes | None]:
    """Undo the striding of ``_Compressing.start``: part k holds items k, k+N, k+2N, ..."""
    out: list[bytes | None] = [None] * sum(map(len, parts))
    for k, part in enumerate(parts):
        out[k::len(parts)] = part
    return out


def replay(device: ZramDevice, events: Iterable[tuple]) -> int:
    """Apply ``events`` to ``device`` and return how many were applied."""
    return Replay(device).run(events)
