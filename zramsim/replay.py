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

from workloads.events import COMPACT, DISCARD, READ, SET, TIME, WRITE
from zramsim.attributes import AttributeRefused, AttributeResult, Sysfs
from zramsim.collector import fewer_collections
from zramsim.device import ZramDevice
from zramsim.errors import BadRequest, ConfigError
from zramsim.read_ahead_helper import PREPARED


class Replay:
    """Apply events to ``device``; ``progress(applied)`` is called every ``every`` events.

    ``workers`` > 1 compresses pages on that many threads, ``batch`` events at a
    time; the results are the same as with one worker. Failed writes are the
    device's to count (``device.io_stat().failed_writes``); ``applied`` counts
    the events applied, whoever applied them (``run``, or a caller such as the
    narration that applies each event itself and takes them from ``counted``).

    Attribute writes (``S``, trace version 2) go through ``sysfs``; each result
    is passed to ``on_attribute``, and with ``strict`` one the kernel refuses
    (or that fails after partial work) raises ``AttributeRefused``.
    """

    def __init__(self, device: ZramDevice, progress: Callable[[int], None] | None = None,
                 every: int = 8192, *, workers: int = 1, batch: int = 1024,
                 on_attribute: Callable[[AttributeResult], None] | None = None,
                 strict: bool = False, locate: Callable[[], str] | None = None) -> None:
        if workers < 1 or batch < 1:
            raise ConfigError(f"workers and batch must be >= 1, not {workers} and {batch}")
        self.device = device
        self.progress = progress
        self.every = every
        self.workers = workers
        self.batch = batch
        self.applied = 0
        self.sysfs = Sysfs(device)
        self.on_attribute = on_attribute
        self.strict = strict
        # ``locate()`` says where the reader is (``trace:line``). Reading runs a
        # batch ahead of applying with workers > 1, so the place of each event is
        # noted as it is read, and ``failed_at`` keeps the one that failed.
        self.locate = locate
        self.failed_at: str | None = None

    def run(self, events: Iterable[tuple]) -> int:
        """Apply every event; returns the number applied (also kept in ``applied``).

        ``events`` may be a ``zramsim.read_ahead.ReadAhead``: its batches come
        read, examined and compressed by a helper process (``P`` records), and
        are applied here in order like any other.
        """
        batches = getattr(events, "batches", None)
        if batches is not None:
            return self._apply((batch, None, None) for batch in batches(lambda: self.applied))
        if self.workers == 1:     # the whole stream is one batch, compressed as it is applied
            return self._apply([(events, None, None)])
        dev = self.device
        from zramsim.parallel import compressing     # imported only for a parallel replay
        with compressing(dev.compressor, self.workers, dev.page_size, self.batch) as ahead:
            return self._apply(_compressed_ahead(events, ahead, self.batch, self.locate))

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

    def _apply(self, batches: Iterable[tuple[Iterable[tuple], list | None, list | None]]
               ) -> int:
        """The one event loop: each batch comes with its pages' compressions (None:
        the device compresses each page as it writes it) and its events' places."""
        with fewer_collections():
            return self._apply_all(batches)

    def _apply_all(self, batches: Iterable[tuple[Iterable[tuple], list | None, list | None]]
                   ) -> int:
        dev = self.device
        write, write_compressed, write_size, read = (dev.write, dev.write_compressed,
                                                     dev.write_size, dev.read)
        write_prepared = dev.write_prepared
        primary = dev.compressor      # the one pages are compressed ahead with
        progress, every = self.progress, self.every
        applied = self.applied
        try:
            for batch, compressed, places in batches:
                n, first = 0, applied
                try:
                    for op, index, arg in batch:
                        if op == WRITE:
                            if type(arg) is int:
                                write_size(index, arg)
                            elif compressed is None:
                                write(index, arg)
                            else:     # compressed ahead with the compressor of the time
                                write_compressed(index, arg, compressed[n]
                                                 if dev.compressor is primary else None)
                                n += 1
                        elif op == PREPARED:      # examined by the reader helper
                            write_prepared(index, arg)
                        elif op == READ:
                            read(index)
                        else:
                            self._other(op, index, arg)
                        applied += 1
                        if progress is not None and applied % every == 0:
                            progress(applied)
                except Exception:
                    if places:
                        self.failed_at = places[applied - first]
                    raise
        finally:
            self.applied = applied
        return applied

    def _other(self, op: str, index: int, arg) -> None:
        if op == DISCARD:
            self.device.discard(index, arg)
        elif op == COMPACT:
            self.sysfs.started = True
            self.device.compact()
        elif op == SET:
            self.apply_attribute(*arg)
        elif op == TIME:
            self.device.clock.advance(arg)
        else:
            raise BadRequest(f"unknown operation {op!r}")

    def apply_attribute(self, name: str, value: str) -> AttributeResult:
        """One ``S`` event: write it, report it, and in strict mode stop at a failure."""
        result = self.sysfs.write(name, value)
        if self.on_attribute is not None:
            self.on_attribute(result)
        if self.strict and not result.ok:
            raise AttributeRefused(result)
        return result


def _compressed_ahead(events: Iterable[tuple], ahead, size: int,
                      locate: Callable[[], str] | None = None
                      ) -> Iterator[tuple[list[tuple], list, list]]:
    """(batch, compressed pages of its writes, places): batch i+1 is compressing
    while batch i is applied. If reading the events fails, the batch read before
    the failure is still yielded first, then the error is raised."""

    def start(read: tuple[list, list] | None) -> tuple[list, list, Callable] | None:
        if read is None:
            return None
        batch, places = read
        pages = [arg for op, _, arg in batch if op == WRITE and type(arg) is not int]
        return batch, places, ahead.start(pages)

    failure: Exception | None = None
    batches = _batches(events, size, locate=locate)
    current = start(next(batches, None))
    while current is not None:
        batch, places, pending = current
        try:
            current = start(next(batches, None))
        except Exception as exc:
            failure, current = exc, None
        yield batch, pending(), places
    if failure is not None:
        raise failure


def _batches(events: Iterable[tuple], size: int, first: int = 64,
             locate: Callable[[], str] | None = None) -> Iterator[tuple[list, list]]:
    """(events, their places) lists, ``first`` long and doubling up to ``size``: 64, ..., size.

    Short batches at the start let a helper process that is still starting
    (~0.2 s) take part early: a batch is shared only with helpers ready when it
    starts. If reading fails, the events read so far come first. The places
    (``locate()`` after each event is read) are empty without ``locate``.
    """
    iterator = iter(events)
    length = min(first, size)
    while True:
        batch: list[tuple] = []
        places: list[str] = []
        try:
            if locate is None:
                batch.extend(islice(iterator, length))
            else:
                for event in islice(iterator, length):
                    batch.append(event)
                    places.append(locate())
        except Exception:
            if batch:
                yield batch, places
            raise
        if not batch:
            return
        yield batch, places
        length = min(2 * length, size)


def replay(device: ZramDevice, events: Iterable[tuple]) -> int:
    """Apply ``events`` to ``device`` and return how many were applied."""
    return Replay(device).run(events)
