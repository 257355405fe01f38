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
from typing import Callable, Iterable, Iterator

from workloads.events import COMPACT, DISCARD, READ, WRITE
from zramsim.device import ZramDevice
from zramsim.errors import BadRequest, ConfigError
from zramsim.parallel import Pending, compressing


class Replay:
    """Apply events to ``device``; ``progress(applied)`` is called every ``every`` events.

    ``workers`` > 1 compresses pages on that many threads, ``batch`` events at a
    time; the results are the same as with one worker. Failed writes are the
    device's to count (``device.io_stat().failed_writes``); ``applied`` counts
    the events applied, whoever applied them (``run``, or a caller such as the
    narration that applies each event itself and takes them from ``counted``).
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

    def run(self, events: Iterable[tuple]) -> int:
        """Apply every event; returns the number applied (also kept in ``applied``)."""
        if self.workers == 1:     # the whole stream is one batch, compressed as it is applied
            return self._apply([(events, None)])
        dev = self.device
        with compressing(dev.compressor, self.workers, dev.page_size, self.batch) as ahead:
            return self._apply(_compressed_ahead(events, ahead, self.batch))

    def counted(self, events: Iterable[tuple]) -> Iterator[tuple]:
        """``events``, each counted in ``applied`` once the caller asks for the next.

        For a caller that applies the events itself (the narration): an event
        whose application raised is never asked past, so it is not counted, as
        with ``run``. ``narrate(device, replay.counted(events))`` leaves
        ``replay.applied`` equal to the events narrated.
        """
        progress, every = self.progress, self.every
        for event in events:
            yield event
            self.applied += 1
            if progress is not None and self.applied % every == 0:
                progress(self.applied)

    def _apply(self, batches: Iterable[tuple[Iterable[tuple], list | None]]) -> int:
        """The one event loop: each batch comes with its pages' compressions, or None
        where the device compresses each page as it writes it."""
        dev = self.device
        write, write_compressed, write_size, read = (dev.write, dev.write_compressed,
                                                     dev.write_size, dev.read)
        progress, every = self.progress, self.every
        applied = self.applied
        try:
            for batch, compressed in batches:
                n = 0
                for op, index, arg in batch:
                    if op == WRITE:
                        if type(arg) is int:
                            write_size(index, arg)
                        elif compressed is None:
                            write(index, arg)
                        else:
                            write_compressed(index, arg, compressed[n])
                            n += 1
                    elif op == READ:
                        read(index)
                    elif op == DISCARD:
                        dev.discard(index, arg)
                    elif op == COMPACT:
                        dev.compact()
                    else:
                        raise BadRequest(f"unknown operation {op!r}")
                    applied += 1
                    if progress is not None and applied % every == 0:
                        progress(applied)
        finally:
            self.applied = applied
        return applied


def _compressed_ahead(events: Iterable[tuple], ahead, size: int
                      ) -> Iterator[tuple[list[tuple], list]]:
    """(batch, compressed pages of its writes): batch i+1 is compressing while
    batch i is applied. If reading the events fails, the batch read before the
    failure is still yielded first, then the error is raised."""

    def start(batch: list[tuple] | None) -> tuple[list[tuple], Pending] | None:
        if batch is None:
            return None
        pages = [arg for op, _, arg in batch if op == WRITE and type(arg) is not int]
        return batch, ahead.start(pages)

    failure: Exception | None = None
    batches = _batches(events, size)
    current = start(next(batches, None))
    while current is not None:
        batch, pending = current
        try:
            current = start(next(batches, None))
        except Exception as exc:
            failure, current = exc, None
        yield batch, pending()
    if failure is not None:
        raise failure


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
