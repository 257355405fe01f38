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
the other. The applying process sets the share (``next_share``): when it had
to wait for a batch, the helper is the slower side and gets a smaller share;
when the batch was already there, a larger one. It moves by ``STEP`` a batch,
so it settles where the two sides keep pace, on an idle machine (where that is
where their CPU time per batch is even: reading 4 us a page, compressing 10,
applying 6 gives a share near 0.6, 10 us a page each) and on a loaded one
(where it also follows which process the scheduler lets run). Whoever
compresses a page, the bytes are the compressor's, so the share changes the
speed, never the result.

Everything crosses one pipe as length-prefixed pickles: a write and a read of
a pipe are the synchronisation (the kernel orders them), so the protocol is
correct on any CPU; nothing is shared in memory.

Message: 8-byte little-endian length, then ``pickle((first, events, marks,
fraction, end))``: ``first`` the number of the batch's first event in the
trace (counting from 0), ``marks`` the reader's position (line or record) after each
event, packed as int64s, for ``file:line`` of an error; ``fraction`` how much
of the trace was read; ``end`` None while more follow, ``True`` at the end of
the trace, or the (class, args, attributes) of the exception the reader
raised. Orders come back on the helper's standard input as 8-byte doubles
(``_Orders``): the latest share, and how many events the applying process
has read itself while the helper started (sent as a negative number); the
helper reads those too, to keep its place, but neither compresses nor sends
them.
"""

from __future__ import annotations

import os
import pickle
import select
import struct
import sys
from array import array
from itertools import islice

from workloads.events import same_filled_word

PREPARED = "P"
LENGTH = struct.Struct("<Q")
PLAIN_OPS = ("W", "R", "D", "C")    # after any other event (an attribute write) pages go raw
SHARE = struct.Struct("<d")
PIPE_BYTES = 1 << 20                # asked of the kernel for the pipe (Linux's default cap)
FIRST_BATCH, MAX_BATCH, MAX_PAGES = 64, 2048, 128
QUEUED = 32                         # messages waiting to be sent, at most (~16 MiB)
STEP = 1 / 32


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


def next_share(share: float, waited: bool) -> float:
    """The helper's next share: smaller if the applying process waited for the last
    batch (the helper is the slower side), larger if not, within 0..1."""
    return max(0.0, share - STEP) if waited else min(1.0, share + STEP)


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


class _Sender:
    """Sends messages from a thread, up to ``QUEUED`` waiting: the reading goes on
    while the applying process, descheduled on a busy machine, leaves the pipe full."""

    def __init__(self, fd: int) -> None:
        import queue
        import threading
        self.fd = fd
        self.queue: queue.Queue = queue.Queue(QUEUED)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def send(self, message: bytes) -> None:
        self.queue.put(message)

    def _run(self) -> None:
        while (message := self.queue.get()) is not None:
            try:
                _send(self.fd, message)
            except OSError:               # the applying process is gone: so is this one
                os._exit(1)

    def close(self) -> None:
        self.queue.put(None)
        self.thread.join()


class _Preparer:
    """Examines and compresses the pages of one batch, up to its ``share``."""

    def __init__(self, compressor, huge_class_size: int, page_size: int) -> None:
        self.compress = compressor.compress
        self.huge = huge_class_size
        self.page_size = page_size
        self.share = 0.5
        self.ahead = None                 # with more than two workers: compresses everything

    def prepare(self, events: list, pages: list[int]) -> None:
        """Replace the writes at ``pages`` (indexes into ``events``) by ``P`` records:
        the same-filled ones all, the others up to the share."""
        raw = []
        for at in pages:
            _, index, page = events[at]
            word = same_filled_word(page)
            if word is not None:
                events[at] = (PREPARED, index, word)
            else:
                raw.append(at)
        compress, huge = self.compress, self.huge
        if self.ahead is not None:
            self._prepare_all(events, raw)
            return
        for at in raw[:round(self.share * len(raw))]:
            _, index, page = events[at]
            try:
                data = compress(page)
            except Exception:           # left to the applying process, which raises there
                continue
            events[at] = (PREPARED, index, page if len(data) >= huge else data)

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
    orders = sys.stdin.fileno()      # read unbuffered: orders follow the setup, 8 bytes each
    sys.path[:] = pickle.loads(_receive(orders))
    opener, compressor, huge_class_size, prepare, workers = pickle.loads(_receive(orders))
    enlarge_pipe(fd)
    try:
        reader = opener()
    except Exception as exc:
        _send(fd, pickle.dumps((0, [], b"", 0.0, exception_state(exc)), 5))
        return
    preparer = None
    if prepare and compressor is not None:
        preparer = _Preparer(compressor, huge_class_size, reader.page_size)
    with reader:
        if preparer is not None and workers > 2:
            from zramsim.parallel import compressing   # more cores: compress on all of them
            with compressing(compressor, workers - 1, reader.page_size, MAX_PAGES) as ahead:
                preparer.ahead = ahead
                _stream(reader, fd, preparer, orders)
        else:
            _stream(reader, fd, preparer, orders)


class _Orders:
    """What the applying process sends on the helper's stdin: 8-byte doubles, a share
    of the compressing (0..1) or minus the events it has read itself."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.share: float | None = None
        self.skip_to = 0

    def follow(self) -> None:
        """Take every order waiting (never waits)."""
        while select.select([self.fd], [], [], 0)[0]:
            data = os.read(self.fd, 8 * 64)
            if len(data) < SHARE.size:
                return                    # its end: the applier is gone or done
            for (value,) in SHARE.iter_unpack(data[:len(data) // 8 * 8]):
                if value < 0:
                    self.skip_to = max(self.skip_to, int(-value))
                else:
                    self.share = min(value, 1.0)


def _stream(reader, fd: int, preparer: _Preparer | None, orders_fd: int) -> None:
    """Batches of ``reader``'s events down ``fd`` until the end or an error.

    A batch is ``limit`` events (64 at first, doubling to ``MAX_BATCH``), or
    ``MAX_PAGES`` when the previous one had pages, so a message stays under
    ~0.5 MiB. Events go as plain tuples: pickling a ``PageEvent`` (a named
    tuple) costs ~2.7 us against ~0.1 (measured). Events the applying process
    has read itself are read here too (to keep the place) but not sent.
    """
    orders = _Orders(orders_fd)
    sender = _Sender(fd)
    events_of = iter(reader)
    page_size = reader.page_size
    limit = FIRST_BATCH
    count = 0                                # events read so far
    end = None
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
        if preparer is not None and any(op not in PLAIN_OPS for op, _, _ in events):
            preparer = None                 # the device may change compressor from here on
        if preparer is not None and pages:
            preparer.prepare(events, pages)
        if events or end is not None:
            sender.send(pickle.dumps((first, events, marks.tobytes(), reader.fraction_read(),
                                      end), 5))
        limit = MAX_PAGES if pages else min(2 * limit, MAX_BATCH)
    sender.close()
