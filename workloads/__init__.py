"""Page traces: readers, writers, generators and capture. Imports nothing of ours."""

from workloads.errors import CaptureError, TraceFormatError, WorkloadError
from workloads.events import COMPACT, DISCARD, OPS, READ, WRITE, PageEvent

__all__ = [
    "COMPACT", "DISCARD", "OPS", "READ", "WRITE", "PageEvent",
    "CaptureError", "TraceFormatError", "WorkloadError",
]
