"""Output files that are whole or absent: a file we write never replaces a good one half-done.

A trace, a side file of pages, a plot or an SVG is written to a temporary file
beside its target (same folder, so same file system) and renamed over the
target only when complete (``commit``). If anything goes wrong first -- an
error in the input, a full disk, Ctrl-C -- ``discard`` removes the temporary
file and an existing target is left byte for byte as it was. Example: writing
``out.trace`` goes to ``.out.trace.k3j9x2.part`` in the same folder; a Ctrl-C
after 10,000 of 100,000 events leaves ``out.trace`` as it was before the
command and no ``.part`` file behind.

The path ``-`` means standard output: bytes go straight out (there is nothing
to rename, and a reader on the other side of a pipe sees a cut stream, which
our binary format detects by its missing end record). So does an existing
target that is not a regular file (``/dev/null``, a FIFO): it is written in
place, never replaced. A symlink stays a symlink: the file it points to is
replaced, keeping its permissions.

Every failure to write is an ``OutputError`` naming the path and the reason in
words (``cannot write out/x.trace: folder out does not exist``), never a bare
``OSError``. ``refuse_overlap`` refuses an output that is also an input, before
anything is written.
"""

from __future__ import annotations

import errno
import io
import os
import signal
import stat
import sys
import tempfile
from contextlib import contextmanager

from workloads.errors import OutputError

STDOUT = "-"


def _reason(path: str, exc: OSError) -> str:
    folder = os.path.dirname(path) or "."
    if exc.errno == errno.ENOENT and not os.path.isdir(folder):
        return f"folder {folder} does not exist"
    if exc.errno == errno.EISDIR or os.path.isdir(path):
        return "it is a folder"
    return (exc.strerror or str(exc)).lower()


def output_error(path: str, exc: OSError) -> OutputError:
    """The ``OutputError`` for an ``OSError`` met while writing ``path``."""
    return OutputError(path, _reason(path, exc))


@contextmanager
def ctrl_c_held():
    """Hold SIGINT (Ctrl-C) back until the block ends, where it is delivered."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


class _Raw(io.RawIOBase):
    """A write-only descriptor that counts what it wrote and speaks in ``OutputError``."""

    def __init__(self, fd: int | None, path: str, stream=None) -> None:
        super().__init__()
        self._fd, self._path, self._stream = fd, path, stream
        self.written = 0
        self.discarded = False          # then writes go nowhere (a late flush, say)

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        if self.discarded:
            return len(data)
        try:
            if self._stream is not None:                # standard output
                self._stream.write(data)
                n = len(data)
            else:
                n = os.write(self._fd, data)
        except BrokenPipeError:
            raise                                       # the reader went away: not our error
        except OSError as exc:
            raise output_error(self._path, exc) from None
        self.written += n
        return n

    def tell(self) -> int:
        return self.written

    def fileno(self) -> int:
        """The descriptor written to (a compressing helper writes to it too)."""
        if self._stream is not None:
            return self._stream.fileno()
        if self._fd is None or self._fd < 0:
            raise ValueError("the output is closed")
        return self._fd

    def flush(self) -> None:
        if self._stream is not None and not self.closed:
            self._stream.flush()


class OutputFile:
    """One output: ``open()`` a binary or text file on it, then ``commit()`` or ``discard()``.

    As a context manager it commits when the block ends normally and discards
    when it raises (KeyboardInterrupt included).
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = os.fspath(path)
        self.is_stdout = self.in_place = self.path == STDOUT   # in place: no temporary
        self._temp: str | None = None
        self._file = self._raw = None
        if self.is_stdout:
            self._raw = _Raw(None, "standard output", sys.stdout.buffer)
            return
        if os.path.isdir(self.path):
            raise OutputError(self.path, "it is a folder")
        target = os.path.realpath(self.path)     # through a symlink: the link stays
        try:
            old = os.stat(target)
        except OSError:
            old = None
        if old is not None and not stat.S_ISREG(old.st_mode):
            self._open_in_place(target)          # /dev/null, a FIFO: nothing to rename
            self.in_place = True
            return
        self._target = target
        try:
            with ctrl_c_held():                      # a Ctrl-C now finds _temp set
                fd, self._temp = tempfile.mkstemp(dir=os.path.dirname(target), suffix=".part",
                                                  prefix=f".{os.path.basename(target)}.")
                self._raw = _Raw(fd, self.path)
            if old is not None:
                mode = stat.S_IMODE(old.st_mode)      # the replaced file's permissions
            else:                                     # what open() would have given it
                umask = os.umask(0)
                os.umask(umask)
                mode = 0o666 & ~umask
            os.fchmod(fd, mode)
        except OSError as exc:
            self.discard()
            raise output_error(self.path, exc) from None
        except BaseException:                        # Ctrl-C: no temporary file left
            self.discard()
            raise

    def _open_in_place(self, target: str) -> None:
        try:
            self._raw = _Raw(os.open(target, os.O_WRONLY), self.path)
        except OSError as exc:
            raise output_error(self.path, exc) from None

    def open(self, text: bool = False):
        """The file to write to: buffered bytes, or UTF-8 text with ``\\n`` line ends."""
        buffered = io.BufferedWriter(self._raw, 1 << 16)
        self._file = io.TextIOWrapper(buffered, encoding="utf-8", newline="\n") if text \
            else buffered
        return self._file

    def finish(self) -> None:
        """Write out everything and close the file, still under its temporary name.

        OutputError (after discarding) if the disk refuses any of it. Files
        that must appear together (a trace and its side file) are all
        finished before any is committed.
        """
        try:
            if self._file is not None and not self._file.closed:
                self._file.flush()
            if self._raw is not None and self._raw._fd is not None and self._raw._fd >= 0:
                if self._temp is not None:
                    os.fsync(self._raw._fd)
                os.close(self._raw._fd)
                self._raw._fd = -1
        except OSError as exc:
            self.discard()
            if exc.errno == errno.EPIPE:
                raise
            raise output_error(self.path, exc) from None
        except BaseException:
            self.discard()
            raise

    def commit(self) -> None:
        """Finish, then put the file in place of the target (standard output: flush)."""
        self.finish()
        if self._temp is None:
            return
        try:
            os.replace(self._temp, self._target)
        except OSError as exc:
            self.discard()
            raise output_error(self.path, exc) from None
        self._temp = None

    def discard(self) -> None:
        """Forget everything written; the target is left as it was. Never raises."""
        if self._raw is None or self._raw._fd is None:      # standard output
            return
        self._raw.discarded = True
        if self._raw._fd >= 0:
            try:
                os.close(self._raw._fd)
            except OSError:
                pass
            self._raw._fd = -1
        if self._temp is not None:
            try:
                os.unlink(self._temp)
            except OSError:
                pass
            self._temp = None

    def __enter__(self) -> OutputFile:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.discard()


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (an SVG, a small report)."""
    with OutputFile(path) as out:
        out.open().write(data)


def _same(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)


def refuse_overlap(outputs, inputs) -> None:
    """OutputError if an output is also an input, or lies inside an input folder."""
    for out in map(os.fspath, outputs):
        if out == STDOUT:
            continue
        for given in map(os.fspath, inputs):
            if given == STDOUT:
                continue
            if _same(out, given):
                raise OutputError(out, "it is also an input of this command")
            if os.path.isdir(given):
                inside = os.path.realpath(os.path.dirname(os.path.abspath(out)))
                root = os.path.realpath(given)
                if os.path.commonpath([inside, root]) == root:
                    raise OutputError(out, f"it would be written inside {given}, which is"
                                           " being read: write it elsewhere")
