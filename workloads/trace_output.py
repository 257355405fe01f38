"""Writing a stream of page events to a trace file: the one path every command takes.

``generate``, ``capture`` and ``convert`` all end the same way: choose a writer
by the output's name (or an explicit format), copy the events, count them, and
leave either the whole trace or nothing (``workloads.output_file``). The output
``-`` is standard output, binary by default (a text trace's page bytes need a
side file, which standard output cannot have).

Worked example: ``write_events("heap.ztrace", 4096, events, progress=show)``
with 100,000 events calls ``show(8192)``, ``show(16384)``, ..., ``show(98304)``
and returns 100000; interrupted at event 50,000 it returns nothing, and an
older ``heap.ztrace`` is untouched.
"""

from __future__ import annotations

import os
import sys
from typing import Callable, Iterable

from workloads.binary_trace import DEFAULT_LEVEL, BinaryTraceWriter
from workloads.errors import BadOption, OutputError, WorkloadError
from workloads.output_file import STDOUT
from workloads.text_trace import SIDE_SUFFIX, TextTraceWriter

BINARY_SUFFIXES = (".ztrace", ".zst")
TEXT_SUFFIXES = (".trace", ".txt")
OUTPUT_FORMATS = {"binary": BinaryTraceWriter, "text": TextTraceWriter}
PROGRESS_EVERY = 8192


def output_format(path: str | os.PathLike, fmt: str | None = None) -> str:
    """``"binary"`` or ``"text"``: ``fmt`` if given, else from the suffix (``-``: binary)."""
    path = os.fspath(path)
    if fmt is not None:
        if fmt not in OUTPUT_FORMATS:
            raise WorkloadError(f"unknown trace format {fmt!r}; known: binary, text")
        return fmt
    if path == STDOUT:
        return "binary"
    suffix = os.path.splitext(path)[1].lower()
    if suffix in BINARY_SUFFIXES:
        return "binary"
    if suffix in TEXT_SUFFIXES:
        return "text"
    raise WorkloadError(
        f"cannot tell the output format of {path!r}: use a name ending in"
        f" {', '.join(BINARY_SUFFIXES)} (binary) or {', '.join(TEXT_SUFFIXES)} (text)")


def output_paths(path: str | os.PathLike, fmt: str | None = None) -> list[str]:
    """Every file writing ``path`` may replace: the trace, and a text trace's side file."""
    path = os.fspath(path)
    if path == STDOUT:
        return []
    return [path, path + SIDE_SUFFIX] if output_format(path, fmt) == "text" else [path]


def writer_for(path: str | os.PathLike, page_size: int, fmt: str | None = None,
               version: str = "1", helper: Callable[[], bool] | None = None,
               level: int | None = None):
    """A text or binary writer for ``path``, chosen by ``fmt`` or by its suffix;
    ``helper`` says whether a second core is free to compress a long binary one
    (``workloads.zstd_frame``); ``level`` is a binary one's zstd level (None: the
    default). A level for a text trace is refused: it would mean nothing.

    Binary traces are version 1 only: a version 2 source (S and T operations)
    is refused up front rather than converted with its attribute writes lost.
    """
    fmt = output_format(path, fmt)
    if fmt == "binary" and version != "1":
        raise WorkloadError(f"binary traces have no S or T records: keep a version {version} "
                            f"trace as text (.trace or .txt), not {os.fspath(path)!r}")
    if os.fspath(path) == STDOUT and fmt == "binary" and sys.stdout.isatty():
        raise OutputError("standard output", "it is a terminal, and a binary trace is not"
                          " text: redirect it to a file or a pipe")
    if fmt == "text":
        if level is not None:
            raise BadOption(f"a zstd level is for binary traces (.ztrace or .zst), and "
                            f"{os.fspath(path)!r} is written as text")
        return TextTraceWriter(path, page_size, version)
    return BinaryTraceWriter(path, page_size, helper=helper,
                             level=DEFAULT_LEVEL if level is None else level)


def write_events(path: str | os.PathLike, page_size: int, events: Iterable[tuple], *,
                 fmt: str | None = None, progress: Callable[[int], None] | None = None,
                 version: str = "1", helper: Callable[[], bool] | None = None,
                 level: int | None = None) -> int:
    """Write every event to ``path``; returns the count. All or nothing (see above)."""
    count = 0
    with writer_for(path, page_size, fmt, version, helper, level) as writer:
        write = writer.write
        for event in events:
            write(event)
            count += 1
            if progress is not None and count % PROGRESS_EVERY == 0:
                progress(count)
    return count
