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
and leaves the rest raw. Before sending a batch it looks at how much of the
pipe is still unread (FIONREAD): a whole batch still waiting means the
applying process is behind, so the helper takes a larger share; an empty pipe
means it is waiting for the helper, so the helper leaves it more. Whoever
compresses a page, the bytes are the compressor's, so the split changes the
speed, never the result. Worked example: parsing a ``file:`` line costs ~4 us,
compressing ~10 us, applying ~6 us; a share of 0.6 gives the helper
4 + 6 = 10 us a page and the applying process 6 + 4 = 10 us.

Everything crosses one pipe as length-prefixed pickles: a write and a read of
a pipe are the synchronisation (the kernel orders them), so the protocol is
correct on any CPU; nothing is shared in memory.

Message: 8-byte little-endian length, then ``pickle((events, marks, fraction,
end))``: ``marks`` the reader's position (line or record) after each event,
packed as int64s, for ``file:line`` of an error; ``fraction`` how much of the
trace was read; ``end`` None while more follow, ``True`` at the end of the
trace, or the (class, args, attributes) of the exception the reader raised.
"""

from __future__ import annotations

import os
import pickle
import struct
import sys
from array import array

PREPARED = "P"
LENGTH = struct.Struct("<Q")
PLAIN_OPS = ("W", "R", "D", "C")    # after any other event (an attribute write) pages go raw
PIPE_BYTES = 1 << 20                # asked of the kernel for the pipe (Linux's default cap)
FIRST_BATCH, MAX_BATCH, MAX_PAGES = 64, 2048, 128
STEP = 1 / 16                       # how far the compressing share moves per batch


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


def pipe_fill(fd: int) -> int | None:
    """Bytes written to the pipe and not yet read (None where the system will not say)."""
    try:
        import fcntl
        import termios
        return struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]
    except (ImportError, OSError, AttributeError):
        return None


def enlarge_pipe(fd: int) -> int:
    """Ask for a ``PIPE_BYTES`` pipe; returns the capacity it has (64 KiB if unknown)."""
    try:
        import fcntl
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        return fcntl.fcntl(fd, fcntl.F_GETPIPE_SZ)
    except (ImportError, OSError, AttributeError):
        return 1 << 16


def _send(fd: int, message: bytes) -> None:
    view = memoryview(LENGTH.pack(len(message)) + message)
    while view:
        view = view[os.write(fd, view):]


class _Preparer:
    """Examines and compresses the pages of one batch, and sets its share."""

    def __init__(self, compressor, huge_class_size: int, page_size: int, fd: int) -> None:
        self.compress = compressor.compress if compressor is not None else None
        self.huge = huge_class_size
        self.page_size = page_size
        self.fd = fd
        self.capacity = enlarge_pipe(fd)
        self.share = 0.5 if pipe_fill(fd) is not None else 1.0

    def prepare(self, events: list, pages: list[int]) -> None:
        """Replace the writes at ``pages`` (indexes into ``events``) by ``P`` records:
        the same-filled ones all, the others up to the current share."""
        words = self.page_size // 8
        raw = []
        for at in pages:
            _, index, page = events[at]
            first = page[:8]
            if page[-8:] == first and first * words == page:
                events[at] = (PREPARED, index, int.from_bytes(first, "little"))
            else:
                raw.append(at)
        compress, huge = self.compress, self.huge
        for at in raw[:round(self.share * len(raw))]:
            _, index, page = events[at]
            try:
                data = compress(page)
            except Exception:           # left to the applying process, which raises there
                continue
            events[at] = (PREPARED, index, page if len(data) >= huge else data)

    def adjust(self, message_bytes: int) -> None:
        """A batch still unread: the applier is behind, compress more here; none: less."""
        fill = pipe_fill(self.fd)
        if fill is None:
            return
        if fill == 0:
            self.share = max(0.0, self.share - STEP)
        elif fill >= min(message_bytes, self.capacity // 2):
            self.share = min(1.0, self.share + STEP)


def serve() -> None:
    """The helper's life: read the setup on stdin, then stream batches to fd ``argv[2]``."""
    fd = int(sys.argv[2])
    stdin = sys.stdin.buffer
    sys.path[:] = pickle.load(stdin)
    opener, compressor, huge_class_size, prepare = pickle.load(stdin)
    try:
        reader = opener()
    except Exception as exc:
        _send(fd, pickle.dumps(([], b"", 0.0, exception_state(exc)), 5))
        return
    with reader:
        _stream(reader, fd, _Preparer(compressor, huge_class_size, reader.page_size, fd)
                if prepare and compressor is not None else None)


def _stream(reader, fd: int, preparer: _Preparer | None) -> None:
    events_of = iter(reader)
    page_size = reader.page_size
    limit = FIRST_BATCH
    end = None
    while end is None:
        events: list = []
        marks = array("q")
        pages: list[int] = []
        try:
            for event in events_of:
                op, index, arg = event
                if op == "W" and type(arg) is bytes and len(arg) == page_size:
                    pages.append(len(events))
                elif op not in PLAIN_OPS:
                    preparer = None         # the device may change compressor from here on
                events.append(event)
                marks.append(reader._last)
                if len(events) >= limit or len(pages) >= MAX_PAGES:
                    break
            else:
                end = True
        except Exception as exc:
            end = exception_state(exc)
        if preparer is not None and pages:
            preparer.prepare(events, pages)
        message = pickle.dumps((events, marks.tobytes(), reader.fraction_read(), end), 5)
        if preparer is not None:
            preparer.adjust(len(message))
        _send(fd, message)
        limit = min(2 * limit, MAX_BATCH)
