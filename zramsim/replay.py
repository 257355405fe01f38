"""The replay driver: the one place where page events meet the device.

Readers yield ``PageEvent`` tuples and know nothing of the device; the device
knows nothing of trace formats. ``Replay`` feeds one to the other and counts
what it applied, so that an interrupted or failed replay can still report how
far it got (``applied``) next to the device's statistics at that point.

Compression is most of the cost of replaying real pages, and it is a pure
function of the page. So ``workers=N`` (N > 1) reads events in batches and has
batch i+1 compressed on other cores while batch i is applied, strictly in event
order, on the calling thread: allocation, accounting and mem_limit decisions
never leave it, so statistics and contents are identical to a single-threaded
replay. How the compressing is shared out (threads inside zstd, or helper
processes for lz4) is ``zramsim.parallel``'s business.
"""

from __future__ import annotations

from itertools import islice
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

from workloads.events import COMPACT, DISCARD, READ, WRITE
from zramsim.device import ZramDevice
from zramsim.errors import BadRequest, ConfigError
from zramsim.read_ahead_helper import PREPARED

if TYPE_CHECKING:
    from zramsim.parallel import Pending


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
        """Apply every event; returns the number applied (also kept in ``applied``).

        ``events`` may be a ``zramsim.read_ahead.ReadAhead``: its batches come
        read and compressed by a helper process, and are applied here in order.
        """
        batches = getattr(events, "batches", None)
        if batches is not None:
            return self._apply_batches(batches(lambda: self.applied))
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

    def _apply_batches(self, batches: Iterable[Iterable[tuple]]) -> int:
        """Apply batches of events, ``P`` records (pages prepared ahead) among them."""
        dev = self.device
        write, write_prepared, write_size, read = (dev.write, dev.write_prepared,
                                                   dev.write_size, dev.read)
        progress, every = self.progress, self.every
        applied, failed = self.applied, 0
        try:
            for batch in batches:
                for op, index, arg in batch:
                    if op == PREPARED:
                        ok = write_prepared(index, arg)
                    elif op == WRITE:
                        ok = write_size(index, arg) if type(arg) is int else write(index, arg)
                    else:
                        ok = True
                        if op == READ:
                            read(index)
                        else:
                            self._other(op, index, arg)
                    if not ok:
                        failed += 1
                    applied += 1
                    if progress is not None and applied % every == 0:
                        progress(applied)
        finally:
            self.applied = applied
            self.failed_writes += failed
        return applied

    def _run_parallel(self, events: Iterable[tuple]) -> int:
        dev = self.device
        write_size, read = dev.write_size, dev.read
        write_compressed = dev.write_compressed
        progress, every = self.progress, self.every
        failure: Exception | None = None     # from the events, raised after what came before
        from zramsim.parallel import compressing   # imported when needed: ~12 ms at start
        with compressing(dev.compressor, self.workers, dev.page_size, self.batch) as ahead_of_us:

            def start(batch: list[tuple] | None) -> tuple[list[tuple], Pending] | None:
                if batch is None:
                    return None
                pages = [arg for op, _, arg in batch if op == WRITE and type(arg) is not int]
                return batch, ahead_of_us.start(pages)

            batches = _batches(events, self.batch)
            ahead = start(next(batches, None))
            while ahead is not None:
                batch, pending = ahead
                try:
                    ahead = start(next(batches, None))
                except Exception as exc:
                    failure, ahead = exc, None
                compressed = pending()
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


def _batches(events: Iterable[tuple], size: int, first: int = 64) -> Iterator[list[tuple]]:
    """Lists of events, ``first`` long and doubling up to ``size``: 64, 128, ..., size.

    Short batches at the start let a helper process that is still starting
    (~0.2 s) take part early: a batch is shared only with helpers ready when it
    starts. If reading fails, the events read so far come first.
    """
    iterator = iter(events)
    length = min(first, size)
    while True:
        batch: list[tuple] = []
        try:
            batch.extend(islice(iterator, length))
        except Exception:
            if batch:
                yield batch
            raise
        if not batch:
            return
        yield batch
        length = min(2 * length, size)


def replay(device: ZramDevice, events: Iterable[tuple]) -> int:
    """Apply ``events`` to ``device`` and return how many were applied."""
    return Replay(device).run(events)
