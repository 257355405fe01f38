"""One entry point for every trace file: tell its format, open it once, convert it.

Users hand the simulator a path (or ``-`` for standard input); a damaged trace
must never be mistaken for something else, so the rule is strict.  With
``input_format="auto"`` (the default) ``open_trace`` peeks at the first 64 KiB:

1. empty: an error (``--input-format raw`` replays it as an empty image);
2. the binary header's magic (the skippable-frame magic, or ``ZRAMSIMT`` at
   byte 8, or any prefix of them in a shorter file) or a name ending in
   ``.ztrace`` / ``.zst``: a binary trace, whose reader then checks the whole
   32-byte header, so a cut or damaged header is an error;
3. a name ending in ``.trace`` / ``.txt``, or bytes that read as text (UTF-8,
   no NUL byte): a text trace, which must carry its ``zramsim-trace 1`` line;
   a comments-only file or one without the magic is an error;
4. a name that cannot be a trace (``.img``, ``.bin``, ``.raw``, ``.iso``,
   ``.dd``), a block device, or bytes that are not text: a raw image, replayed
   as page writes ``W 0``, ``W 1``, ...

``input_format`` ``"text"``, ``"binary"`` or ``"raw"`` skips the guessing.
The input is opened exactly once and the peeked bytes are handed back to the
reader (``PeekedInput``), so pipes, ``-`` and ``<(cat trace)`` read every byte
once, in order, as regular files do.

``convert`` reads any of the three and writes text or binary, chosen by the
destination suffix: ``.ztrace`` or ``.zst`` give binary, ``.trace`` or ``.txt``
give text.  A 1000-page text trace of ``random:`` pages converts to a binary
trace of about 4 MB (random bytes do not compress) and back to a text trace
plus a 4 MB side file ``<dst>.pages`` that its ``file:`` lines point into.
"""

from __future__ import annotations

import codecs
import io
import os
import stat
import sys

from typing import Callable

from workloads.binary_trace import HEADER, PAYLOAD_LEN, SKIPPABLE_MAGIC, TAG, BinaryTraceReader
from workloads.errors import TraceFormatError
from workloads.output_file import refuse_overlap
from workloads.raw_image import RawImageReader
from workloads.text_trace import TextTraceReader
from workloads.trace_output import (  # noqa: F401  (writer_for: re-exported)
    BINARY_SUFFIXES, TEXT_SUFFIXES, output_paths, write_events, writer_for)

STDIN = "-"
STDIN_NAME = "<stdin>"
INPUT_FORMATS = ("auto", "text", "binary", "raw")
SNIFF_BYTES = 1 << 16
RAW_SUFFIXES = (".img", ".bin", ".raw", ".iso", ".dd")
# The first 16 bytes of every binary trace: skippable-frame magic, length, tag.
BINARY_MAGIC = HEADER.pack(SKIPPABLE_MAGIC, PAYLOAD_LEN, TAG, 0, 0, 0, 0, 0)[:16]


class PeekedInput(io.RawIOBase):
    """A file read from its start, whose first bytes were already taken to sniff it.

    Reads give those bytes back first, then the rest of the file, so a pipe
    loses nothing.  ``tell()`` counts the bytes handed out.
    """

    def __init__(self, file, head: bytes, *, owned: bool = True) -> None:
        super().__init__()
        self._file = file
        self._head = memoryview(head)
        self._owned = owned
        self._pos = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
        else:
            n = self._file.readinto(buffer) or 0
        self._pos += n
        return n

    def tell(self) -> int:
        return self._pos

    def fileno(self) -> int:
        return self._file.fileno()

    def close(self) -> None:
        if not self.closed and self._owned:
            self._file.close()
        super().close()


def _read_head(file) -> bytes:
    """Up to SNIFF_BYTES from the start of ``file``: several reads on a pipe."""
    head = bytearray()
    while len(head) < SNIFF_BYTES:
        chunk = file.read(SNIFF_BYTES - len(head))
        if not chunk:
            break
        head += chunk
    return bytes(head)


def _looks_like_text(head: bytes) -> bool:
    """No NUL byte and valid UTF-8 (a character cut at the end of ``head`` is fine)."""
    if b"\0" in head:
        return False
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return True


def sniff(head: bytes, name: str, mode: int = stat.S_IFREG) -> str:
    """``"binary"``, ``"text"`` or ``"raw"`` by the auto rule of the module docstring.

    ``head`` is the start of the file (up to SNIFF_BYTES), ``name`` its name and
    ``mode`` its ``st_mode``.  Raises TraceFormatError for an empty input.
    """
    suffix = os.path.splitext(name)[1].lower()
    cut_magic = bool(head) and BINARY_MAGIC.startswith(head[:16])
    if cut_magic or head[:4] == BINARY_MAGIC[:4] or head[8:16] == TAG \
            or suffix in BINARY_SUFFIXES:
        return "binary"
    if suffix in TEXT_SUFFIXES:
        return "text"
    if suffix in RAW_SUFFIXES or stat.S_ISBLK(mode):
        return "raw"
    if not head:
        raise TraceFormatError(name, 0, "empty input: not a trace (an empty raw image"
                                        " needs --input-format raw)")
    return "text" if _looks_like_text(head) else "raw"


def _open_input(path: str | os.PathLike):
    """(name, binary file opened once, its st_mode, whether we own it); OSError if not."""
    if os.fspath(path) == STDIN:
        stdin = sys.stdin.buffer if hasattr(sys.stdin, "buffer") else sys.stdin
        try:
            mode = os.fstat(stdin.fileno()).st_mode
        except (OSError, ValueError, io.UnsupportedOperation):
            mode = stat.S_IFIFO
        return STDIN_NAME, stdin, mode, False
    name = os.fspath(path)
    file = open(name, "rb", buffering=0)
    try:
        mode = os.fstat(file.fileno()).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(21, "Is a directory")
    except BaseException:
        file.close()
        raise
    return name, file, mode, True


def detect_format(path: str | os.PathLike) -> str:
    """``"binary"``, ``"text"`` or ``"raw"`` for the file at ``path`` (OSError if unreadable).

    TraceFormatError for an empty file, which is none of them.
    """
    name, file, mode, owned = _open_input(path)
    try:
        return sniff(_read_head(file), name, mode)
    finally:
        if owned:
            file.close()


def open_trace(path: str | os.PathLike, *, allow_outside: bool = False,
               page_size: int | None = None, input_format: str = "auto"):
    """A reader for ``path`` (``-``: standard input); see the module docstring.

    ``input_format`` is one of INPUT_FORMATS.  ``page_size`` sets the page size
    of a raw image (default 4096); for text and binary traces, which declare
    their own, a different value raises TraceFormatError.  ``allow_outside``
    lets text ``file:`` contents leave the trace's folder (for a trace read
    from a pipe, the current folder).  Raises TraceFormatError if the input
    cannot be opened, is empty (unless read as raw) or its header is malformed;
    the reader raises it later for malformed records.
    """
    if input_format not in INPUT_FORMATS:
        raise ValueError(f"input format {input_format!r} is not one of {', '.join(INPUT_FORMATS)}")
    try:
        name, file, mode, owned = _open_input(path)
    except OSError as exc:
        raise TraceFormatError(os.fspath(path), 0,
                               f"cannot open trace: {exc.strerror or exc}") from None
    try:
        head = _read_head(file)
        kind = sniff(head, name, mode) if input_format == "auto" else input_format
        stream = io.BufferedReader(PeekedInput(file, head, owned=owned), buffer_size=1 << 20)
    except OSError as exc:
        if owned:
            file.close()
        raise TraceFormatError(name, 0, f"cannot read trace: {exc.strerror or exc}") from None
    except BaseException:
        if owned:
            file.close()
        raise
    try:
        if kind == "binary":
            return BinaryTraceReader(name, page_size=page_size, stream=stream)
        if kind == "text":
            folder = None if stat.S_ISREG(mode) else os.getcwd()
            return TextTraceReader(name, allow_outside=allow_outside, page_size=page_size,
                                   stream=stream, folder=folder)
        return RawImageReader(name, page_size=page_size, stream=stream)
    except BaseException:
        stream.close()
        raise


def convert(src: str | os.PathLike, dst: str | os.PathLike, *, allow_outside: bool = False,
            page_size: int | None = None, input_format: str = "auto", fmt: str | None = None,
            progress: Callable[[int], None] | None = None,
            helper: Callable[[], bool] | None = None, level: int | None = None) -> int:
    """Copy every event of ``src`` (any format) to ``dst``; returns the event count;
    ``helper`` and ``level`` as ``write_events``'s.

    ``dst`` is written whole or not at all (``workloads.trace_output``); one
    that is also read -- ``src`` itself, or a side file a text ``src`` reads
    pages from -- is refused. Raises TraceFormatError for a malformed source,
    OutputError when ``dst`` cannot be written, WorkloadError for an unknown
    destination suffix.
    """
    outputs = output_paths(dst, fmt)
    if os.fspath(src) != STDIN:
        refuse_overlap(outputs, [src])
    with open_trace(src, allow_outside=allow_outside, page_size=page_size,
                    input_format=input_format) as reader:
        if hasattr(reader, "refuse_reading"):
            reader.refuse_reading(outputs)
        return write_events(dst, reader.page_size, reader, fmt=fmt, progress=progress,
                            version=getattr(reader, "version", "1"), helper=helper,
                            level=level)
