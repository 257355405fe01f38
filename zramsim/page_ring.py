"""A ring of shared memory that carries page bytes from the reader helper to the applier.

Why: sending pages through a pipe as pickles copies each one four times
(pickling, into the pipe, out of it, unpickling): ~4.5 us of CPU a page,
measured, more than reading the trace. Through this ring a page is copied
once, by the helper, and the applying process reads it where it lies. The
pipe still carries each batch's events, and where in the ring their bytes are.

The ring is a nameless file (a memfd on Linux) mapped by both processes. Its
positions count every byte ever placed (they only grow); a position's place
in the file is the position modulo the ring's size. The helper places a
batch's bytes in one piece, skipping the ring's tail when the piece would run
past the end, and only over bytes the applying process has said it is done
with (``freed``, sent back through the helper's standard input).

Ordering needs no shared counters: the helper writes the bytes before it
writes the batch's message to the pipe, and the applying process reads the
message before it reads the bytes; freed positions come back the same way.
A pipe's write and read order memory on every CPU, so this is correct on any
machine Python runs on.

Worked example (a 16 MiB ring, 16,777,216 bytes): the helper has placed up to
position 16,700,000 and the applying process has freed up to 16,600,000. A
batch of 200,000 bytes would run past the end (16,700,000 + 200,000 >
16,777,216), so it starts at the next lap, 16,777,216 (offset 0), and ends at
16,977,216; it fits if 16,977,216 - 16,600,000 = 377,216 <= 16,777,216.
"""

from __future__ import annotations

import mmap
import os
import tempfile

RING_BYTES = 16 << 20
BATCHES = 4                    # a ring holds at least this many of the largest batches


def memory_file(name: str) -> int:
    """A descriptor of a nameless file: a memfd on Linux, an unlinked temporary file
    elsewhere."""
    if hasattr(os, "memfd_create"):
        return os.memfd_create(name)
    fd, path = tempfile.mkstemp(prefix=f"{name}-")
    os.unlink(path)
    return fd


def ring_size(largest_batch: int) -> int:
    """Bytes for a ring that holds ``BATCHES`` batches of ``largest_batch`` bytes and
    at least ``RING_BYTES``."""
    return max(RING_BYTES, BATCHES * largest_batch)


class PageRing:
    """One process's view of the ring: ``place`` on the helper's side, ``view`` and
    ``freed`` on both."""

    def __init__(self, fd: int, size: int) -> None:
        self.size = size
        self.area = mmap.mmap(fd, size)
        self.view = memoryview(self.area)
        self.placed = 0        # position after the last byte placed (the helper's)
        self.freed = 0         # position before which the applying process is done

    @classmethod
    def create(cls, size: int) -> tuple[PageRing, int]:
        """A new ring and the descriptor of its file, to pass to the helper."""
        fd = memory_file("zramsim-pages")
        try:
            os.ftruncate(fd, size)
            return cls(fd, size), fd
        except BaseException:
            os.close(fd)
            raise

    def start_of(self, nbytes: int) -> int | None:
        """Where ``nbytes`` would be placed next (a position), or None while the
        applying process still needs the bytes there."""
        if nbytes > self.size:
            raise ValueError(f"{nbytes} bytes do not fit in a ring of {self.size}")
        start = self.placed
        if start % self.size + nbytes > self.size:
            start += self.size - start % self.size       # skip the tail: one piece
        if start + nbytes - self.freed > self.size:
            return None
        return start

    def place(self, start: int, pieces: list) -> list[int]:
        """Copy ``pieces`` one after another from position ``start`` (from
        ``start_of``); returns each one's offset in the file."""
        view, offset = self.view, start % self.size
        offsets = []
        for piece in pieces:
            end = offset + len(piece)
            view[offset:end] = piece
            offsets.append(offset)
            offset = end
        self.placed = start + (offset - start % self.size)
        return offsets

    def close(self) -> None:
        """Unmap, unless a view of the bytes is still held somewhere (it then goes with
        the last of them)."""
        try:
            self.view.release()
            self.area.close()
        except BufferError:
            pass
