"""Errors raised by trace readers, writers, generators and capture.

Every error a user can cause with a bad trace names the file, the line (or the
record number in a binary trace) and what was wrong, so the command line can
print ``Error: trace.txt:12: unknown operation 'X'`` and exit non-zero.
"""

from __future__ import annotations


class WorkloadError(Exception):
    """Base class of every error raised by the workloads package."""


class TraceFormatError(WorkloadError):
    """A trace (text, binary or raw) is malformed at a known place."""

    def __init__(self, path: str, line: int, reason: str) -> None:
        self.path = str(path)
        self.line = line
        self.reason = reason
        super().__init__(f"{self.path}:{line}: {reason}")


class MemoryBudgetError(WorkloadError):
    """The input asks for more memory than this process can have (a clear error, not an OOM)."""


class CaptureError(WorkloadError):
    """A live process or file tree could not be captured (permission, gone, ...)."""


class OutputError(WorkloadError):
    """An output file could not be written: no such folder, read-only, disk full, ..."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"cannot write {self.path}: {reason}")


class BadOption(WorkloadError, ValueError):
    """A value given for an option is not one the library knows (a kind, a mix, a pattern)."""


class EmptyWorkload(WorkloadError, ValueError):
    """Events that give an experiment nothing to work on (no page written, no access)."""


def open_trace_file(path: str, stream=None):
    """``stream`` if the trace is already open, else ``path`` opened for binary reading;
    a file that cannot be opened is a TraceFormatError at line 0, not an OSError."""
    if stream is not None:
        return stream
    try:
        return open(path, "rb")
    except OSError as exc:
        raise TraceFormatError(path, 0, f"cannot open trace: {exc.strerror}") from None
