"""One entry point for every trace file: detect its format, open it, convert it.

Users hand the simulator a path; they should not have to say what it holds.
``open_trace`` looks at the first bytes:

1. the 32-byte binary header (skippable-frame magic then ``ZRAMSIMT``): binary;
2. else, if the first line that is not blank or a comment (within the first
   1 MiB, as UTF-8) starts with the word ``zramsim-trace``: text (whatever the
   version, so ``zramsim-trace 2`` is an error, not a raw image);
3. anything else: a raw image, replayed as page writes ``W 0``, ``W 1``, ...

``convert`` reads any of the three and writes text or binary, chosen by the
destination suffix: ``.ztrace`` or ``.zst`` give binary, ``.trace`` or ``.txt``
give text.  A 1000-page text trace of ``random:`` pages converts to a binary
trace of about 4 MB (random bytes do not compress) and back to a text trace
plus a 4 MB side file ``<dst>.pages`` that its ``file:`` lines point into.
"""

from __future__ import annotations

import os

from typing import Callable

from workloads.binary_trace import HEADER, PAYLOAD_LEN, SKIPPABLE_MAGIC, TAG, BinaryTraceReader
from workloads.errors import TraceFormatError
from workloads.output_file import refuse_overlap
from workloads.raw_image import RawImageReader
from workloads.text_trace import MAGIC, TextTraceReader
from workloads.trace_output import output_paths, write_events, writer_for  # noqa: F401

SNIFF_BYTES = 1 << 20


def detect_format(path: str | os.PathLike) -> str:
    """``"binary"``, ``"text"`` or ``"raw"`` for the file at ``path`` (OSError if unreadable)."""
    with open(path, "rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if len(head) >= HEADER.size:
        fields = HEADER.unpack_from(head)
        if fields[:3] == (SKIPPABLE_MAGIC, PAYLOAD_LEN, TAG):
            return "binary"
    for raw in head.split(b"\n"):
        tokens = raw.decode("utf-8", "replace").split("#", 1)[0].split()
        if tokens:
            return "text" if tokens[0] == MAGIC else "raw"
    return "raw"


def open_trace(path: str | os.PathLike, *, allow_outside: bool = False,
               page_size: int | None = None):
    """A reader for ``path``, whatever its format; see the module docstring.

    ``page_size`` sets the page size of a raw image (default 4096); for text
    and binary traces, which declare their own, a different value raises
    TraceFormatError.  ``allow_outside`` lets text ``file:`` contents leave the
    trace's folder.  Raises TraceFormatError if the file cannot be opened or its
    header is malformed; the reader raises it later for malformed records.
    """
    try:
        kind = detect_format(path)
    except OSError as exc:
        raise TraceFormatError(os.fspath(path), 0, f"cannot open trace: {exc.strerror}") from None
    if kind == "binary":
        return BinaryTraceReader(path, page_size=page_size)
    if kind == "text":
        return TextTraceReader(path, allow_outside=allow_outside, page_size=page_size)
    return RawImageReader(path, page_size=page_size)


def convert(src: str | os.PathLike, dst: str | os.PathLike, *, allow_outside: bool = False,
            page_size: int | None = None, fmt: str | None = None,
            progress: Callable[[int], None] | None = None) -> int:
    """Copy every event of ``src`` (any format) to ``dst``; returns the event count.

    ``dst`` is written whole or not at all (``workloads.trace_output``); one
    that is also read -- ``src`` itself, or a side file a text ``src`` reads
    pages from -- is refused. Raises TraceFormatError for a malformed source,
    OutputError when ``dst`` cannot be written, WorkloadError for an unknown
    destination suffix.
    """
    outputs = output_paths(dst, fmt)
    refuse_overlap(outputs, [src])
    with open_trace(src, allow_outside=allow_outside, page_size=page_size) as reader:
        if hasattr(reader, "refuse_reading"):
            reader.refuse_reading(outputs)
        return write_events(dst, reader.page_size, reader, fmt=fmt, progress=progress)
