"""The reader helper process: reads the trace, examines and compresses its pages.

Why: reading a trace (parsing lines, reading ``file:`` pages, decompressing a
binary trace) and compressing its pages are pure functions of the trace; only
applying events changes the device. So a fresh interpreter opens the trace
itself and sends the applying process (``zramsim.read_ahead``) ordered batches
of events whose pages are already examined. The applying process then only
applies them, in order, as a serial replay would.

What a batch carries, event by event (``P`` never appears in a trace; it is
this pipe's own record, applied with ``ZramDevice.write_prepared``):

* ``("P", slot, word)``: a same-filled page, as its 64-bit word (an int);
* ``("P", slot, data)``: a page compressed to ``data`` (below the huge class);
* ``("P", slot, page)``: a page whose compression reaches the huge class
  (the device stores the page itself);
* ``("W", slot, page)``: a page left for the applying process to compress;
* any other event as the reader gave it (reads, discards, sizes-only writes).

Sharing the compressing: the helper compresses a share of each batch's pages
and leaves the rest raw for the applying process, so that neither waits for
the other. The applying process sets the share from what each side's work
costs, measured as it goes (``balanced_share``): the helper reports with each
batch how long reading and compressing it took; the applying process times its
own compressing and applying. Times are wall-clock, so a side the scheduler
runs less (a busy machine) counts as slower and gets less. Whoever compresses
a page, the bytes are the compressor's, so the share changes the speed, never
the result.

A batch's events cross one pipe as a length-prefixed pickle; the bytes of
its pages cross through a ring of shared memory (``zramsim.page_ring``), each
copied there once, and the event carries None until the applying process puts
back a view of them. A write and a read of a pipe are the synchronisation
(the kernel orders them), so the protocol is correct on any CPU.

Message: 8-byte little-endian length, then ``pickle((first, events, marks,
fraction, end, cost, places, placed))``: ``first`` the number of the batch's
first event in the trace (counting from 0), ``marks`` the reader's position
(line or record) after each event, packed as int64s, for ``file:line`` of an
error; ``fraction`` how much of the trace was read; ``end`` None while more
follow, ``True`` at the end of the trace, or the (class, args, attributes) of
the exception the reader raised; ``cost`` the helper's seconds for the batch,
all of it and its compressing, with its pages and the pages it compressed;
``places`` (event, offset, length) of each page's bytes in the ring, packed as
int64s; ``placed`` the ring position after them, which the applying process
frees once the batch is applied.

Orders come back on the helper's standard input (``ORDER``: a kind and a
number): the share of the compressing; how many events the applying process
has read itself while the helper started (the helper reads those too, to keep
its place, but neither compresses nor sends them); and the ring position up
to which the applying process is done with the bytes.
"""

from __future__ import annotations

import os
import pickle
import select
import struct
import sys
import time
from array import array
from itertools import islice

from workloads.events import same_filled_word
from zramsim.collector import fewer_collections
from zramsim.page_ring import PageRing

PREPARED = "P"
LENGTH = struct.Struct("<Q")
PLAIN_OPS = ("W", "R", "D", "C", PREPARED)   # after any other event pages go raw
ORDER = struct.Struct("<qd")       # kind, number: one atomic pipe write each
SHARE, SKIP, FREED = 0, 1, 2        # the kinds of order
PLACE = struct.Struct("<qqq")       # event, offset in the ring, length
PIPE_BYTES = 1 << 20                # asked of the kernel for the pipe (Linux's default cap)
FIRST_BATCH, MAX_BATCH, MAX_PAGES = 64, 2048, 128
ORPHAN_SECONDS = 1.0                # a wait for ring space looks this often for its parent


def exception_state(exc: BaseException) -> tuple:
    """What rebuilds ``exc`` in the parent: its class, args and attributes.

    Plain pickling calls ``cls(*args)``, which fails for exceptions whose
    constructor takes other arguments than their message (TraceFormatError).
    """
    return type(exc), exc.args, dict(getattr(exc, "__dict__", {}))


def rebuild_exception(state: tuple) -> BaseException:
    cls, args, attributes = state
    exc = cls.__new__(cls)
    exc.args = args
    exc.__dict__.update(attributes)
    return exc


def balanced_share(read: float, helper_compress: float, apply: float,
                   compress: float) -> float:
    """The share of the compressing that keeps the helper and the applying process
    equally busy, from their costs per page in seconds: the helper's reading
    (with its examining and sending) and compressing, the applying process's
    applying and compressing.

    The helper spends ``read + helper_compress * s`` a page, the applying process
    ``apply + compress * (1 - s)``; they are equal at ``s = (apply + compress -
    read) / (helper_compress + compress)``, kept within 0..1. Worked example:
    reading 3 us, applying 3.5 us, compressing 7 us on either side: s = (3.5 + 7
    - 3) / 14 = 0.536, and both sides spend 6.75 us a page.
    """
    both = helper_compress + compress
    if both <= 0:
        return 0.5
    return min(1.0, max(0.0, (apply + compress - read) / both))


def compress_pages(events: list, ats, compress, huge_class_size: int) -> int:
    """Replace the raw page writes at ``ats`` (indexes into ``events``) by ``P`` records
    of their compression; returns how many. A page the compressor fails on stays
    raw: the applying process's write raises there, at its place in the trace."""
    done = 0
    for at in ats:
        _, index, page = events[at]
        try:
            data = compress(page)
        except Exception:
            continue
        events[at] = (PREPARED, index, page if len(data) >= huge_class_size else data)
        done += 1
    return done


def plain(events: list) -> bool:
    """Only writes (prepared or not), reads, discards and compactions: the device's
    compressor cannot change within them, so their pages can be compressed ahead."""
    return all(op in PLAIN_OPS for op, _, _ in events)


def enlarge_pipe(fd: int) -> int:
    """Ask for a ``PIPE_BYTES`` pipe; returns the capacity it has (64 KiB if unknown)."""
    try:
        import fcntl
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        return fcntl.fcntl(fd, fcntl.F_GETPIPE_SZ)
    except (ImportError, OSError, AttributeError):
        return 1 << 16


def _receive(fd: int) -> bytes:
    """One length-prefixed message from ``fd``, read exactly (EOFError if it ends first)."""
    size = LENGTH.unpack(_exactly(fd, LENGTH.size))[0]
    return _exactly(fd, size)


def _exactly(fd: int, size: int) -> bytes:
    parts = []
    while size:
        part = os.read(fd, size)
        if not part:
            raise EOFError("the applying process closed the pipe")
        parts.append(part)
        size -= len(part)
    return b"".join(parts)


def framed(message: bytes) -> bytes:
    """``message`` with its 8-byte length in front, as ``_send`` and ``_receive`` use."""
    return LENGTH.pack(len(message)) + message


def _send(fd: int, message: bytes) -> None:
    view = memoryview(LENGTH.pack(len(message)) + message)
    while view:
        view = view[os.write(fd, view):]


class _Preparer:
    """Examines and compresses the pages of one batch, up to its ``share``."""

    def __init__(self, compressor, huge_class_size: int) -> None:
        self.compress = compressor.compress
        self.huge = huge_class_size
        self.share = 0.5
        self.ahead = None                 # with more than two workers: compresses everything
        self.left: list[int] = []         # the pages of the batch left to the applier

    def prepare(self, events: list, pages: list[int]) -> tuple[float, int]:
        """Replace the writes at ``pages`` (indexes into ``events``) by ``P`` records:
        the same-filled ones all, the others up to the share. Returns the seconds
        spent compressing and the pages compressed."""
        raw = []
        for at in pages:
            _, index, page = events[at]
            word = same_filled_word(page)
            if word is not None:
                events[at] = (PREPARED, index, word)
            else:
                raw.append(at)
        if self.ahead is not None:
            self._prepare_all(events, raw)
            return 0.0, 0
        cut = round(self.share * len(raw))
        self.left = raw[cut:]          # the applying process's, unless this one has time
        started = time.perf_counter()
        done = compress_pages(events, raw[:cut], self.compress, self.huge)
        return time.perf_counter() - started, done

    def take_one_more(self, events: list) -> int | None:
        """Compress one more of the pages left to the applying process (this process
        would otherwise wait for room in the ring, the applier being behind); the
        bytes the batch shrank by, or None when none is left."""
        while self.left:
            at = self.left.pop()
            before = len(events[at][2])
            if compress_pages(events, [at], self.compress, self.huge):
                return before - len(events[at][2])
        return None

    def _prepare_all(self, events: list, raw: list[int]) -> None:
        """Every page compressed here and on the other helpers: with more than two
        cores, the applying process only applies."""
        done = self.ahead.start([events[at][2] for at in raw])()
        for at, data in zip(raw, done):
            if data is not None:        # None: left to the applying process
                _, index, page = events[at]
                events[at] = (PREPARED, index, page if len(data) >= self.huge else bytes(data))

def serve() -> None:
    """The helper's life: read the setup on stdin, then stream batches to fd ``argv[2]``."""
    fd = int(sys.argv[2])
    orders = sys.stdin.fileno()      # read unbuffered: ORDERs follow the setup
    sys.path[:] = pickle.loads(_receive(orders))
    opener, compressor, huge_class_size, prepare, workers, ring_fd, ring_size = \
        pickle.loads(_receive(orders))
    ring = PageRing(ring_fd, ring_size)
    os.close(ring_fd)
    enlarge_pipe(fd)
    try:
        reader = opener()
    except Exception as exc:
        _send(fd, pickle.dumps((0, [], b"", 0.0, exception_state(exc), None, b"", 0), 5))
        return
    preparer = None
    if prepare and compressor is not None:
        preparer = _Preparer(compressor, huge_class_size)
    with reader, fewer_collections():
        if preparer is not None and workers > 2:
            from zramsim.parallel import compressing   # more cores: compress on all of them
            with compressing(compressor, workers - 1, reader.page_size, MAX_PAGES) as ahead:
                preparer.ahead = ahead
                _stream(reader, fd, preparer, _Orders(orders), ring)
        else:
            _stream(reader, fd, preparer, _Orders(orders), ring)


class _Orders:
    """What the applying process sends on the helper's standard input (``ORDER``s):
    the share of the compressing (0..1), the events it has read itself, and the
    ring position it is done with."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.share: float | None = None
        self.skip_to = 0
        self.freed = 0

    def follow(self, wait: float = 0.0) -> None:
        """Take every order waiting; with ``wait``, wait that long for one first.
        The end of the orders (the applying process is gone) ends this process."""
        while select.select([self.fd], [], [], wait)[0]:
            data = os.read(self.fd, ORDER.size * 64)
            if len(data) < ORDER.size:
                os._exit(1)
            for kind, value in ORDER.iter_unpack(data[:len(data) // ORDER.size * ORDER.size]):
                if kind == SHARE:
                    self.share = min(value, 1.0)
                elif kind == SKIP:
                    self.skip_to = max(self.skip_to, int(value))
                else:
                    self.freed = max(self.freed, int(value))
            wait = 0.0


def _to_ring(events: list, ring: PageRing, orders: _Orders,
             preparer: _Preparer | None) -> tuple[bytes, float, float, int]:
    """Move the page bytes of ``events`` into ``ring``, leaving None in their place;
    returns their ``PLACE``s, packed, the seconds waited for room, and the seconds
    and pages of compressing done meanwhile. While there is no room (the applier
    is behind), this process compresses the pages it had left to the applier
    (``take_one_more``) rather than sit idle. A batch with more bytes than half the
    ring (2,048 pages of 64 KiB after a batch without pages) keeps them: they go
    in the pickle."""
    at_bytes = [at for at, (_, _, arg) in enumerate(events) if type(arg) is bytes]
    nbytes = sum(len(events[at][2]) for at in at_bytes)
    if not nbytes or nbytes > ring.size // 2:
        return b"", 0.0, 0.0, 0
    ring.freed = orders.freed
    waited = compressing = 0.0
    compressed = 0
    while (start := ring.start_of(nbytes)) is None:
        started = time.perf_counter()
        shrunk = preparer.take_one_more(events) if preparer is not None else None
        if shrunk is None:
            orders.follow(wait=ORPHAN_SECONDS)
            waited += time.perf_counter() - started
        else:
            nbytes -= shrunk
            compressing += time.perf_counter() - started
            compressed += 1
            orders.follow()
        ring.freed = orders.freed
    pieces = [events[at][2] for at in at_bytes]    # compressed meanwhile: bytes still
    places = array("q")
    for at, piece, offset in zip(at_bytes, pieces, ring.place(start, pieces)):
        op, index, _ = events[at]
        events[at] = (op, index, None)
        places.extend((at, offset, len(piece)))
    return places.tobytes(), waited, compressing, compressed


def _stream(reader, fd: int, preparer: _Preparer | None, orders: _Orders,
            ring: PageRing) -> None:
    """Batches of ``reader``'s events down ``fd`` until the end or an error.

    A batch is ``limit`` events (64 at first, doubling to ``MAX_BATCH``), or
    ``MAX_PAGES`` when the previous one had pages. Events go as plain tuples:
    pickling a ``PageEvent`` (a named tuple) costs ~2.7 us against ~0.1
    (measured). Events the applying process has read itself are read here too
    (to keep the place) but not sent.
    """
    events_of = iter(reader)
    page_size = reader.page_size
    limit = FIRST_BATCH
    count = 0                                # events read so far
    end = None
    sent = time.perf_counter()               # when the last batch was sent
    while end is None:
        events: list = []
        marks = array("q")
        keep, mark = events.append, marks.append
        try:
            for op, index, arg in islice(events_of, limit):
                keep((op, index, arg))
                mark(reader._last)
            if len(events) < limit:
                end = True
        except Exception as exc:
            end = exception_state(exc)
        first, count = count, count + len(events)
        orders.follow()
        if orders.skip_to > first:
            drop = min(orders.skip_to - first, len(events))
            events, marks, first = events[drop:], marks[drop:], first + drop
        if orders.share is not None and preparer is not None:
            preparer.share = orders.share
        pages = [at for at, (op, _, arg) in enumerate(events)
                 if op == "W" and type(arg) is bytes and len(arg) == page_size]
        if preparer is not None and not plain(events):
            preparer = None                 # the device may change compressor from here on
        compressing, compressed = 0.0, 0
        prepared = preparer if pages else None   # take_one_more: this batch's pages only
        if prepared is not None:
            compressing, compressed = prepared.prepare(events, pages)
        if events or end is not None:
            places, waited, more, taken = _to_ring(events, ring, orders, prepared)
            # the batch's cost: all since the last one was sent (that sending
            # included), but the wait for room in the ring
            cost = (time.perf_counter() - sent - waited, compressing + more, len(pages),
                    compressed + taken)
            _send(fd, pickle.dumps((first, events, marks.tobytes(), reader.fraction_read(),
                                    end, cost, places, ring.placed), 5))
            sent = time.perf_counter()
        limit = MAX_PAGES if pages else min(2 * limit, MAX_BATCH)
