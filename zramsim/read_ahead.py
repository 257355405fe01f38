"""Replaying a trace file with its reading done ahead, in a helper process.

Why: end to end, a replay of real pages spends as long reading the trace and
its ``file:`` pages and compressing them as applying them to the device. The
first two are pure functions of the trace, so a helper process
(``zramsim.read_ahead_helper``) opens the same file itself and sends ordered
batches of examined pages, their bytes through a ring of shared memory
(``zramsim.page_ring``). This process compresses the pages the helper left
raw, a share set so that both sides are equally busy (``balanced_share``),
and applies the events strictly in event order. Allocation, accounting,
mem_limit decisions and verify stay here, so statistics, contents and errors
are those of a serial replay.

``ReadAhead`` stands in for the reader: ``Replay`` takes its batches, and
``location()`` (the ``file:line`` of the event being applied when something
fails), ``fraction_read()`` and ``close()`` behave as the reader's do.

A helper that dies, or stops (SIGSTOP, a debugger), cannot hang the replay:
while waiting, this process looks every ``CHECK_SECONDS`` whether the helper
is still running; if it is gone or stopped, it is killed and this process
reads on from the first event it had not received, with its own reader
(``fallback`` says why). A failure the trace itself causes (a malformed line)
comes from the helper's reader after the events before it, exactly as the
serial reader would raise it.

When: ``plan`` decides. ``--workers 1`` never starts a helper. With no speed
option, a regular trace file of at least ``AUTO_BYTES[format]`` gets one when
a second core is free (``second_core_free``): at least two cores, and no other
task ready to run on them right now. The sizes are where reading ahead began
to pay, measured end to end on this machine's real pages (farm-bench, 9 runs
each): 4,000 pages lost 4-5% in every format, 8,000 gained 3-7%; a text trace
of 256 KiB is ~9,700 ``file:`` lines or ~17,000 sizes-only ones, a binary one
of 8 MiB ~6,500 real pages, a raw image of 24 MiB 6,144 pages. (Measured
too: with one of two cores taken by another busy process, reading ahead was
~10% slower than reading here, its ~20% more CPU time not bought back by a
second core it did not get.) Right now, not the 1-minute load average:
replays run back to back raise that average themselves (two processes
each), and it still counts a task that ended a minute ago. It then uses the
cores there are; with more than two, the helper shares its compressing with
``workers - 2`` more processes (``zramsim.parallel``). A helper needs ~30 ms
to start; the command line starts one before its own imports when its
arguments look like such a replay (``zramsim.reader_start``), and ``plan``
takes it or lets it go. Until it sends its first batch this process reads
the first events itself (``batches``). Pipes and standard input are read
here, as before.

Worked example (lz4, a text trace of 145,008 ``file:`` pages, measured): the
two processes spend 2.2-2.3 s of CPU, ~15.5 us a page (compressing 7.0, the
helper's reading and passing ~3, applying here ~3.2, the two starts ~0.7,
system time the rest); both are busy to the end, so each spends ~7.8 us a
page, against ~13 us for one process reading, compressing and applying.
"""

from __future__ import annotations

import os
import pickle
import select
import subprocess
import sys
import time
from array import array
from itertools import islice
from typing import Callable, Iterator

from zramsim import reader_start
from zramsim.device import ZramDevice
from zramsim.helper_start import cores_available, ctrl_c_held, second_core_free
from zramsim.page_ring import PageRing, ring_size
from zramsim.read_ahead_helper import (FREED, LENGTH, MAX_PAGES, ORDER, PLACE, PREPARED, SHARE,
                                       SKIP, balanced_share, compress_pages, framed, plain,
                                       rebuild_exception)

AUTO_BYTES = reader_start.AUTO_BYTES   # by reader.format; kept where the entry point asks
CHECK_SECONDS = 0.5
OWN_CHUNK = 64                # events read here between looks for the helper's first batch
SMOOTHING = 1 / 16            # weight of the newest batch in the running costs


def plan(device: ZramDevice, reader, workers: int | None, opener: Callable | None):
    """``(reader, workers)`` to replay with: a ``ReadAhead`` in place of ``reader``
    where a helper process pays (see the module docstring), else ``reader`` itself.

    ``workers`` None means "as fast as this machine allows"; ``opener()`` must
    open the same trace again (it is pickled to the helper).
    """
    path = getattr(reader, "path", None)
    regular = opener is not None and path is not None and os.path.isfile(path)
    if getattr(reader, "version", "1") != "1":
        regular = False          # version 2 (attribute writes, time): read here, in order
    if workers is None:
        big = regular and os.path.getsize(path) >= AUTO_BYTES.get(reader.format, 1 << 62)
        free = reader_start.waiting() or second_core_free()   # waiting: asked at the start
        workers = cores_available() if big and free else 1
    if workers < 2 or not regular or not _startable():
        reader_start.let_go()
        return reader, workers
    compressor = device.compressor
    try:
        pickle.dumps((opener, compressor))
    except Exception:
        reader_start.let_go()
        return reader, workers
    return ReadAhead(reader, opener, device, workers), workers


def _startable() -> bool:
    return os.name == "posix" and bool(sys.executable)


class HelperGone(Exception):
    """The reader helper exited or stopped before the end of the trace."""


class _Costs:
    """Running costs per page, in seconds, of each side's work (``balanced_share``):
    each batch moves them ``SMOOTHING`` of the way to what it measured."""

    def __init__(self) -> None:
        self.read = self.helper_compress = self.apply = self.compress = None

    def note(self, name: str, seconds: float, pages: int) -> None:
        if pages:
            old = getattr(self, name)
            now = seconds / pages
            setattr(self, name, now if old is None else old + SMOOTHING * (now - old))

    def share(self) -> float | None:
        """The balanced share, once every cost has been measured."""
        costs = (self.read, self.helper_compress, self.apply, self.compress)
        return None if None in costs else balanced_share(*costs)


class ReadAhead:
    """The events of ``reader``'s trace, read and prepared by a helper process.

    ``Replay.run`` takes its ``batches()``, whose pages come examined and mostly
    compressed; it cannot be iterated as a reader can.
    """

    format = property(lambda self: self.reader.format)
    page_size = property(lambda self: self.reader.page_size)
    path = property(lambda self: self.reader.path)
    version = property(lambda self: getattr(self.reader, "version", "1"))

    def __init__(self, reader, opener: Callable, device: ZramDevice, workers: int = 2) -> None:
        self.reader = reader
        self.fallback: str | None = None     # why this process read on itself, if it did
        self.received = 0                    # events handed to the replay so far
        self._fraction = 0.0
        self._marks = array("q")
        self._base = 0                       # events before the current batch
        self._buffer = bytearray(1 << 20)
        self.waited = 0.0                    # seconds spent waiting for the helper
        self._cycle: float | None = None     # when the last batch's applying ended
        self._cycle_waited = 0.0             # seconds waited since
        self._own = iter(reader)             # this process's reading, while the helper starts
        self._own_read = 0                   # events read by it
        self._applied: Callable[[], int] = lambda: self.received
        self.share = 0.5                     # of the compressing, done by the helper
        self.costs = _Costs()
        self.compressed_by_helper = self.compressed_here = 0     # pages, of the share
        self._compressor = None if device.verify else device.compressor   # the share's
        self._huge = device.huge_class_size
        self._setup = (opener, device.compressor, device.huge_class_size, not device.verify,
                       workers)
        self.process: subprocess.Popen | None = None
        self._fd = -1
        self._ring: PageRing | None = None
        self._freed = 0                      # ring position done with, to tell the helper
        self._told_freed = 0

    def start(self) -> None:
        """Start the helper (``batches`` does, so that a Ctrl-C before the replay
        finds none), or take the one the command line started before its imports
        (``reader_start.prestart``), and send it its setup."""
        if self.process is not None:
            return
        size = ring_size(MAX_PAGES * self.page_size)
        with ctrl_c_held():          # the process is stored before a Ctrl-C lands
            waiting = reader_start.take()
            if waiting is not None:
                self.process, self._fd, ring_fd = waiting
            else:
                self._ring, ring_fd = PageRing.create(size)
                try:
                    self.process, self._fd = reader_start.spawn(ring_fd)
                finally:
                    os.close(ring_fd)
        if waiting is not None:      # its ring file is empty until the page size is known
            try:
                os.ftruncate(ring_fd, size)
                self._ring = PageRing(ring_fd, size)
            finally:
                os.close(ring_fd)
        setup = (*self._setup, ring_fd, self._ring.size)
        try:
            self.process.stdin.write(framed(pickle.dumps(sys.path)) + framed(pickle.dumps(setup)))
            self.process.stdin.flush()
            os.set_blocking(self.process.stdin.fileno(), False)   # orders never wait
        except OSError:
            pass                             # it died at once: found out when reading

    # -- what Replay and the command line use -----------------------------------

    def batches(self, applied: Callable[[], int]) -> Iterator[list]:
        """Lists of events in trace order, ``P`` records among them; ``applied()``
        is how many events have been applied (for ``location``).

        Until the helper's stream reaches past what is applied (it needs ~50 ms
        to start), this process reads chunks itself rather than wait, and tells
        the helper how far it got, so that the helper reads those events without
        compressing or sending them; what still comes of them is dropped here.
        """
        self._applied = applied
        try:
            self.start()
        except OSError as exc:               # no process to be had: read here
            self.fallback = f"the reader helper process could not start ({exc})"
            yield from self._read_on()
            return
        reading_here = True
        while True:
            if reading_here and not self._helper_spoke():
                chunk, marks, failure = _read_some(self.reader, self._own, OWN_CHUNK)
                self._own_read += len(chunk)
                self._take(chunk, marks, self.reader.fraction_read())
                self._tell(SKIP, self.received)            # "skip what I have read"
                if chunk:
                    yield chunk
                if failure is not None:
                    raise failure
                if len(chunk) < OWN_CHUNK:
                    return                   # the whole trace was read here
                continue
            try:
                (first, events, marks, fraction, end, cost, places,
                 placed) = pickle.loads(self._receive())
            except HelperGone as gone:
                self._give_up(str(gone))
                yield from self._read_on()
                return
            self._pages_back(events, places)
            drop = self.received - first     # events applied already, read here
            if drop > 0:
                events, marks = events[drop:], marks[8 * drop:]
            if events or end is not None:
                reading_here = False
            self._take(events, marks, fraction)
            if events:
                if reading_here:
                    yield events
                else:
                    yield from self._compress_and_apply(events, cost)
            self._freed = max(self._freed, placed)     # its pages are in the pool now
            self._tell_freed()
            if end is True:
                return
            if end is not None:
                raise rebuild_exception(end)

    def _helper_spoke(self) -> bool:
        """Has the helper's first batch (or its end) come? Never waits."""
        return bool(select.select([self._fd], [], [], 0)[0])

    def _take(self, events: list, marks: bytes, fraction: float) -> None:
        self._base = self.received
        self.received += len(events)
        self._marks = marks
        self._fraction = fraction

    def _pages_back(self, events: list, places: bytes) -> None:
        """Put back the page bytes the helper sent through the ring: views of them in
        prepared records (the pool copies them in), copies in writes (which a
        device may keep, to digest or compress)."""
        view = self._ring.view
        for at, offset, length in PLACE.iter_unpack(places):
            op, index, _ = events[at]
            piece = view[offset:offset + length]
            events[at] = (op, index, piece if op == PREPARED else bytes(piece))

    def _compress_and_apply(self, events: list, cost: tuple) -> Iterator[list]:
        """Compress the pages the helper left raw, hand the batch over to be applied,
        and time both: with the helper's ``cost``, they set its next share.

        This process's cost of a batch is all its time since the last batch was
        applied (receiving, compressing, applying), but the time it waited."""
        started = time.perf_counter()
        compressed = 0
        if self._compressor is not None and plain(events):
            size = self.page_size
            raw = [at for at, (op, _, arg) in enumerate(events)
                   if op == "W" and type(arg) is bytes and len(arg) == size]
            compressed = compress_pages(events, raw, self._compressor.compress, self._huge)
        else:
            self._compressor = None          # as the helper: never again once not plain
        compressing = time.perf_counter() - started
        yield events
        done = time.perf_counter()
        if self._cycle is not None:
            self._note(cost, done - self._cycle - self._cycle_waited, compressing, compressed)
        self._cycle, self._cycle_waited = done, 0.0

    def _note(self, cost: tuple, busy: float, compressing: float, compressed: int) -> None:
        """Take one batch's costs on both sides, and send the helper its new share."""
        helper_busy, helper_compressing, pages, helper_compressed = cost
        self.compressed_by_helper += helper_compressed
        self.compressed_here += compressed
        costs = self.costs
        costs.note("read", helper_busy - helper_compressing, pages)
        costs.note("helper_compress", helper_compressing, helper_compressed)
        costs.note("compress", compressing, compressed)
        costs.note("apply", busy - compressing, pages)
        share = costs.share()
        if share is not None and share != self.share:
            self.share = share
            self._tell(SHARE, share)

    def _tell(self, kind: int, value: float) -> bool:
        """One ``ORDER`` to the helper; False if it could not be sent now."""
        try:           # 16 bytes: one atomic pipe write, or none if the pipe is full
            os.write(self.process.stdin.fileno(), ORDER.pack(kind, value))
            return True
        except (OSError, ValueError):       # full (it is stopped) or gone: found out anyway
            return False

    def _tell_freed(self) -> None:
        """Tell the helper how much of the ring it may fill again; one that could not be
        told now is told before this process next waits for it."""
        if self._freed != self._told_freed and self._tell(FREED, self._freed):
            self._told_freed = self._freed

    def __iter__(self):
        raise TypeError("a ReadAhead's batches hold prepared pages: replay it with "
                        "Replay.run, which takes its batches()")

    def location(self) -> str:
        """``path:line`` (or record) of the event being applied."""
        if self.fallback is not None:
            return self.reader.location()
        at = self._applied() - self._base
        marks = self._marks
        count = len(marks) // 8
        mark = array("q", marks)[min(at, count - 1)] if count else 0
        return f"{self.reader.path}:{mark}"

    def fraction_read(self) -> float:
        if self.fallback is not None:
            return self.reader.fraction_read()
        return self._fraction

    def close(self) -> None:
        """Stop the helper (it may be blocked writing) and close the trace."""
        if self.process is not None:
            if self.process.poll() is None:
                self.process.kill()
            self.process.wait()
            try:
                self.process.stdin.close()
            except OSError:
                pass
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        if self._ring is not None:
            self._ring.close()
            self._ring = None
        self.reader.close()

    def __enter__(self) -> ReadAhead:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # -- the pipe ----------------------------------------------------------------

    def _receive(self) -> memoryview:
        """The next message, in a buffer reused from message to message (a fresh one
        would cost a page fault per 4 KiB)."""
        size = LENGTH.unpack(self._read_into(LENGTH.size))[0]
        return self._read_into(size)

    def _read_into(self, size: int) -> memoryview:
        if len(self._buffer) < size:
            self._buffer = bytearray(size)
        view = memoryview(self._buffer)[:size]
        got = 0
        while got < size:
            self._tell_freed()
            started = time.perf_counter()
            ready = select.select([self._fd], [], [], CHECK_SECONDS)[0]
            waited = time.perf_counter() - started
            self.waited += waited
            self._cycle_waited += waited
            if not ready:
                self._check_running()
                continue
            n = os.readv(self._fd, [view[got:]])
            if n == 0:
                code = self.process.wait()
                raise HelperGone(f"the reader helper process exited (code {code})")
            got += n
        return view

    def _check_running(self) -> None:
        code = self.process.poll()
        if code is not None:
            raise HelperGone(f"the reader helper process exited (code {code})")
        if _stopped(self.process.pid):
            raise HelperGone("the reader helper process was stopped")

    def _give_up(self, why: str) -> None:
        self.fallback = why
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def _read_on(self) -> Iterator:
        """This process's own reader, from the first event not received."""
        yield islice(self._own, self.received - self._own_read, None)   # one lazy batch:
        # the reader's location() is then the event being applied, as in a serial replay


def _read_some(reader, events: Iterator, count: int) -> tuple[list, bytes, Exception | None]:
    """Up to ``count`` of ``events`` (``reader``'s), their positions, and the error that
    stopped the reading early, if one did (raised once those before it are applied)."""
    chunk: list = []
    marks = array("q")
    try:
        for event in islice(events, count):
            chunk.append(event)
            marks.append(reader._last)
    except Exception as exc:
        return chunk, marks.tobytes(), exc
    return chunk, marks.tobytes(), None


def _stopped(pid: int) -> bool:
    """Is process ``pid`` stopped (SIGSTOP, or stopped by a debugger)? Linux's /proc tells."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            state = stat.read().rsplit(b")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state in (b"T", b"t")


