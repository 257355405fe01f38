"""Helper processes that compress pages for the applying process: lz4's parallel replay.

Why processes: an lz4 page takes ~10 us, and a Python thread would have to win
the GIL back after every page while the applying thread gives it up only every
5 ms. A helper process has its own GIL; the pages reach it, and the compressed
pages come back, through memory the two share.

How a batch flows: the parent copies the batch's pages into one of the
helper's two buffers (the other holds the previous batch) and sends the
buffer's number down the helper's stdin; the helper compresses from the front
of the buffer, writing each compressed page and its length beside it. When the
parent wants the results it compresses from the back ("work stealing") until
it meets the helper, then waits for the helper's 4-byte answer on stdout. Two
shared counters arbitrate: STARTED (pages the helper has begun) and STOP
(pages it may begin). The parent claims page j by lowering STOP to j; the
helper claims page i by raising STARTED to i + 1 while i < STOP.

Synchronisation is explicit, so the protocol holds on any CPU, whatever order
its stores become visible to another core in (x86 keeps program order for
plain stores; ARM and POWER do not promise it): every claim reads and writes
the two counters holding a record lock (``fcntl.lockf``) on the buffer's
first byte of the shared memory file, and the lock's system calls order the
memory on both sides; pages go in before the buffer's number is written to
the helper's stdin and come out after its answer is read from its stdout, and
those pipe writes and reads order them. So each page is claimed by exactly
one side, and each side sees the other's pages whole. A claim costs two
system calls (~1 us) against ~10 us to compress an lz4 page.

A helper needs ~0.2 s to start (a fresh interpreter importing zramsim). The
parent does not wait: a helper gets work only once it has said it is ready,
and until then the parent compresses every page itself, so a short replay
costs no more than with one thread.

Worked example of a buffer for ``per`` = 1024 pages of 4096 bytes: 16 bytes
of counters, 4096 bytes of lengths (4 each), 4 MiB of pages in and 4 MiB of
compressed pages out (a compressed page is at most a page): 8,392,720 bytes,
twice per helper.
"""

from __future__ import annotations

import fcntl
import mmap
import os
import pickle
import select
import subprocess
import sys
import time
from array import array
from collections import deque
from typing import Callable, Sequence

from zramsim.compressors import Compressor
from zramsim.errors import DeviceError
from zramsim.helper_start import PACKAGE_ROOT, ctrl_c_held
from zramsim.page_ring import memory_file

Pending = Callable[[], list]     # a started batch: call it for the compressed pages


def compress_each(compress: Callable[[bytes], bytes], pages: Sequence) -> list[bytes | None]:
    """``compress`` of each page, None where it raised."""
    out: list[bytes | None] = []
    for page in pages:
        try:
            out.append(compress(page))
        except Exception:
            out.append(None)
    return out


# Each helper owns one block of shared memory holding two buffers (batch i uses
# buffer i % 2, so the next batch can be filled while this one is read). A
# buffer is: STARTED and STOP (8 bytes each), a length per page (4 bytes; -1 for
# "not compressed"), the pages in, and the compressed pages out.
STARTED, STOP = 0, 1    # pages the helper has begun; pages it may begin


class _Buffer:
    """Views of one buffer of a helper's shared memory."""

    __slots__ = ("control", "lengths", "pages_in", "pages_out", "at", "lock_fd")

    LENGTHS_AT = 16                             # after STARTED and STOP

    def __init__(self, view: memoryview, per: int, page_size: int, at: int = 0,
                 lock_fd: int = -1) -> None:
        self.at = at                            # offset in the memory file: the lock's byte
        self.lock_fd = lock_fd
        pages_at = self._pages_at(per)
        self.control = view[:self.LENGTHS_AT].cast("q")
        self.lengths = view[self.LENGTHS_AT:self.LENGTHS_AT + 4 * per].cast("i")
        self.pages_in = view[pages_at:pages_at + per * page_size]
        self.pages_out = view[pages_at + per * page_size:pages_at + 2 * per * page_size]

    @classmethod
    def _pages_at(cls, per: int) -> int:
        """The pages start after the lengths, rounded up to 8 bytes."""
        return cls.LENGTHS_AT + -(-4 * per // 8) * 8

    @classmethod
    def size(cls, per: int, page_size: int) -> int:
        return cls._pages_at(per) + 2 * per * page_size


def _buffers(view: memoryview, per: int, page_size: int, lock_fd: int) -> list[_Buffer]:
    size = _Buffer.size(per, page_size)
    return [_Buffer(view[k * size:(k + 1) * size], per, page_size, k * size, lock_fd)
            for k in range(2)]


def _lock_within(fd: int, at: int, patience: float) -> bool:
    """Take the record lock on byte ``at``, trying for up to ``patience`` seconds."""
    deadline = None
    while True:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, at)
            return True
        except OSError:               # held by the helper, for a few microseconds
            now = time.monotonic()
            if deadline is None:
                deadline = now + patience
            elif now > deadline:
                return False
            time.sleep(50e-6)


def _claim_front(buffer: _Buffer, i: int) -> bool:
    """The helper claims page ``i`` (the next from the front) unless the parent has."""
    fd, at, control = buffer.lock_fd, buffer.at, buffer.control
    fcntl.lockf(fd, fcntl.LOCK_EX, 1, at)
    try:
        if i >= control[STOP]:
            return False
        control[STARTED] = i + 1
        return True
    finally:
        fcntl.lockf(fd, fcntl.LOCK_UN, 1, at)


def _claim_back(buffer: _Buffer, patience: float = 1.0) -> int:
    """The parent claims the last page the helper has not begun; -1 if none is left,
    or if the lock stays taken for ``patience`` seconds (a helper stopped while it
    held it: the pages are then the helper's, and waiting for its answer finds out)."""
    fd, at, control = buffer.lock_fd, buffer.at, buffer.control
    if not _lock_within(fd, at, patience):
        return -1
    try:
        j = control[STOP] - 1
        if j < control[STARTED]:
            return -1
        control[STOP] = j
        return j
    finally:
        fcntl.lockf(fd, fcntl.LOCK_UN, 1, at)


# The helper is a fresh interpreter told where zramsim lives: it imports only
# what it needs and never re-runs the parent's main script (multiprocessing's
# spawn would, and fails on scripts without a ``__main__`` guard).
_BOOT = ("import sys; sys.path.insert(0, sys.argv[1]); "
         "from zramsim.helper_processes import serve; serve()")


class HelperFailed(DeviceError):
    """A compressing helper process stopped answering (killed, or out of memory)."""


# A helper answers a batch once it finishes the one page it is compressing when
# this process has stolen the rest (~10 us for lz4, ~1 ms for lz4-kernel). One
# that has not answered after this many seconds is stuck (stopped with SIGSTOP,
# say): it is killed and this process compresses its pages itself.
ANSWER_TIMEOUT = 10.0


class HelperStuck(HelperFailed):
    """A helper process did not answer within ANSWER_TIMEOUT seconds."""


class _Helper:
    """One helper process and the memory it shares with the parent.

    The helper is started afresh, not forked: a forked child shares the
    parent's whole heap copy-on-write, and every page the parent then writes
    (the pool's frames, the trace's pages) costs a fault, ~2 us a replayed page
    (measured). A fresh one starts in ~0.2 s and shares nothing but a memory
    file (memfd) holding its two buffers, passed as a file descriptor.
    """

    def __init__(self, compressor: Compressor, per: int, page_size: int) -> None:
        size = 2 * _Buffer.size(per, page_size)
        fd = memory_file("zramsim-compress")
        self.lock_fd = os.dup(fd)       # kept: closing any descriptor of the file drops locks
        self.process: subprocess.Popen | None = None
        try:
            os.ftruncate(fd, size)
            self.area = mmap.mmap(fd, size)
            self.buffers = _buffers(memoryview(self.area), per, page_size, self.lock_fd)
            with ctrl_c_held():         # a Ctrl-C now finds self.process set
                self.process = subprocess.Popen(
                    [sys.executable, "-c", _BOOT, PACKAGE_ROOT], stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, pass_fds=(fd,),
                    start_new_session=True)  # Ctrl-C is the parent's to handle
            # No waiting for the helper to start: it says when it is ready, and
            # until then this process compresses every page itself.
            self.ready = self.failed = False
            self.owed: deque[int] = deque()      # buffers sent and not yet answered
            self._send(pickle.dumps(sys.path) +
                       pickle.dumps((fd, size, per, page_size, compressor)))
        except BaseException:                    # Ctrl-C, say: leave no helper behind
            if self.process is not None:
                self.process.kill()
                self.process.wait()
            os.close(self.lock_fd)
            raise
        finally:
            os.close(fd)

    def _send(self, message: bytes) -> None:
        try:
            self.process.stdin.write(message)
            self.process.stdin.flush()
        except OSError:
            raise HelperFailed(self._why()) from None

    def is_ready(self) -> bool:
        """Has the helper said it is ready? Never waits.

        A helper that dies before it is ready (it could not import the
        compressor, say) was never given work: it is simply never ready, and
        this process compresses its share.
        """
        if not self.ready and not self.failed and \
                select.select([self.process.stdout], [], [], 0)[0]:
            self.ready = len(self._read4()) == 4
            self.failed = not self.ready
        return self.ready

    def _read4(self) -> bytes:
        """Four bytes of the answer, straight from the pipe: nothing waits in a
        buffer where ``select`` cannot see it."""
        return os.read(self.process.stdout.fileno(), 4)

    def _answer(self) -> None:
        if not select.select([self.process.stdout], [], [], ANSWER_TIMEOUT)[0]:
            raise HelperStuck(f"a compressing helper process did not answer in "
                              f"{ANSWER_TIMEOUT:g} s")
        if len(self._read4()) != 4:
            raise HelperFailed(self._why())

    def go(self, which: int) -> None:
        """Start on buffer ``which`` once done with the buffers before it."""
        self._send(bytes([which]))
        self.owed.append(which)

    def settle(self, which: int) -> None:
        """Wait until the helper has stopped working on buffer ``which``."""
        while which in self.owed:
            self._answer()
            self.owed.popleft()

    def _why(self) -> str:
        code = self.process.poll()
        return (f"a compressing helper process stopped (exit code {code})"
                if code is not None else "a compressing helper process stopped answering")

    def close(self) -> None:
        if not self.ready and not self.is_ready():
            self.process.kill()                # still starting: nothing to finish
        try:
            self.process.stdin.close()         # end of input: the helper exits
        except OSError:
            pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()
        self.buffers = []
        if self.lock_fd >= 0:
            os.close(self.lock_fd)
            self.lock_fd = -1
        try:
            self.area.close()
        except BufferError:                    # a caller still holds a result view
            pass


class ProcessCompressing:
    """Compresses each batch in ``helpers`` helper processes plus this one.

    The batch's pages are split into one contiguous chunk per helper; a helper
    compresses its chunk from the front, and the parent, once it wants the
    results, compresses from the back of each chunk until it meets the helper.
    A page both happen to compress (they race for the last one) is simply done
    twice; the parent uses its own result, so correctness never depends on who
    won.
    """

    def __init__(self, compressor: Compressor, helpers: int, page_size: int,
                 batch: int) -> None:
        self.page_size = page_size
        self.per = -(-batch // max(helpers, 1))
        self.compress = compressor.compress
        self._next = 0
        self._helpers: list[_Helper] = []
        try:
            for _ in range(helpers):
                self._helpers.append(_Helper(compressor.clone(), self.per, page_size))
        except BaseException:
            self.__exit__()
            raise

    def __enter__(self) -> ProcessCompressing:
        return self

    def wait_ready(self, timeout: float = 10.0) -> bool:
        """Wait up to ``timeout`` seconds for every helper to start; False if one did not.

        Never needed for correctness (until a helper is ready this process
        compresses its share); tests and benchmarks use it to see helpers at work.
        """
        deadline = time.monotonic() + timeout
        while not all(helper.is_ready() for helper in self._helpers):
            if time.monotonic() > deadline or any(h.failed for h in self._helpers):
                return False
            time.sleep(0.005)
        return True

    def __exit__(self, *exc_info) -> None:
        for helper in self._helpers:
            helper.close()
        self._helpers = []

    def start(self, pages: list) -> Pending:
        """Copy ``pages`` into the helpers' next buffers and set them going."""
        which = self._next
        self._next ^= 1
        size = self.page_size
        chunks = []
        ready = [helper for helper in list(self._helpers)   # _settled may drop one
                 if helper.is_ready() and self._settled(helper, which)]
        for k, helper in enumerate(ready):
            chunk = pages[k * self.per:(k + 1) * self.per]
            buffer = helper.buffers[which]
            _fill(buffer, chunk, size)
            buffer.control[STARTED] = 0
            buffer.control[STOP] = len(chunk)
            helper.go(which)
            chunks.append(chunk)
        rest = pages[len(ready) * self.per:]
        return lambda: self._finish(which, ready, chunks, rest)

    def _finish(self, which: int, helpers: list[_Helper], chunks: list[list],
                rest: list) -> list:
        alive = [helper in self._helpers for helper in helpers]   # not given up since
        mine = [self._steal(helper.buffers[which], chunk) if ok else []
                for helper, chunk, ok in zip(helpers, chunks, alive)]
        out: list = []
        for helper, chunk, stolen, ok in zip(helpers, chunks, mine, alive):
            if not ok:
                out.extend(compress_each(self.compress, chunk))
                continue
            buffer = helper.buffers[which]
            lengths, pages_out = buffer.lengths, buffer.pages_out
            done = len(chunk) - len(stolen)
            if done and not self._settled(helper, which):   # stuck: its pages are done here
                out.extend(compress_each(self.compress, chunk[:done]))
                out.extend(reversed(stolen))
                continue
            at = 0
            for i in range(done):
                n = lengths[i]
                out.append(pages_out[at:at + n] if n >= 0 else None)
                at += self.page_size
            out.extend(reversed(stolen))
        out.extend(compress_each(self.compress, rest))
        return out

    def _settled(self, helper: _Helper, which: int) -> bool:
        """Wait until ``helper`` is done with buffer ``which``; False if it was stuck
        (it is then stopped and given no more work)."""
        try:
            helper.settle(which)
            return True
        except HelperStuck:
            helper.process.kill()
            helper.close()
            self._helpers.remove(helper)
            return False

    def _steal(self, buffer: _Buffer, chunk: list) -> list:
        """Compress ``chunk`` from the back until the helper's front; last page first."""
        compress = self.compress
        stolen: list = []
        while True:
            j = _claim_back(buffer)
            if j < 0:
                return stolen
            try:
                stolen.append(compress(chunk[j]) if buffer.lengths[j] >= 0 else None)
            except Exception:
                stolen.append(None)


def _fill(buffer: _Buffer, pages: list, size: int) -> None:
    """Copy ``pages`` into ``buffer``; a page that is not ``size`` bytes gets length -1.

    The usual batch (every page a page-sized ``bytes``) is copied in one join:
    ~0.3 us a page against ~1.2 us for a Python loop over the pages.
    """
    n = len(pages)
    if all(type(page) is bytes for page in pages) and set(map(len, pages)) <= {size}:
        buffer.pages_in[:n * size] = b"".join(pages)
        buffer.lengths[:n] = _zeros(n)
        return
    for i, page in enumerate(pages):
        if type(page) is bytes and len(page) == size:
            buffer.pages_in[i * size:(i + 1) * size] = page
            buffer.lengths[i] = 0
        else:
            buffer.lengths[i] = -1          # left for the applying thread


def _zeros(n: int) -> memoryview:
    return memoryview(array("i", bytes(4 * n)))


def serve() -> None:
    """A helper's life: compress the chunk of each batch from the front until told to stop.

    Reads the parent's ``sys.path`` and its setup (pickled), then one byte per
    batch (which buffer) from stdin, answers each batch with 4 bytes on stdout,
    and ends at end of input.
    """
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.path[:] = pickle.load(stdin)             # the parent's: its compressor's module too
    fd, size, per, page_size, compressor = pickle.load(stdin)
    area = mmap.mmap(fd, size)
    buffers = _buffers(memoryview(area), per, page_size, fd)
    compress = compressor.compress
    stdout.write(bytes(4))                      # ready
    stdout.flush()
    while (message := stdin.read(1)):
        buffer = buffers[message[0]]
        lengths = buffer.lengths
        pages_in, pages_out = buffer.pages_in, buffer.pages_out
        i = 0
        while _claim_front(buffer, i):
            if lengths[i] >= 0:
                at = i * page_size
                try:
                    data = compress(bytes(pages_in[at:at + page_size]))
                    pages_out[at:at + len(data)] = data
                    lengths[i] = len(data)
                except Exception:
                    lengths[i] = -1
            i += 1
        stdout.write(i.to_bytes(4, "little"))
        stdout.flush()
