"""Page traces: readers, writers, generators and capture. Imports nothing of ours."""

from workloads.errors import CaptureError, TraceFormatError, WorkloadError
from workloads.events import COMPACT, DISCARD, OPS, READ, WRITE, PageEvent

__all__ = [
    "COMPACT", "DISCARD", "OPS", "READ", "WRITE", "PageEvent",
    "CaptureError", "TraceFormatError", "WorkloadError",
]

from workloads.binary_trace import BinaryTraceReader, BinaryTraceWriter
from workloads.open_trace import convert, detect_format, open_trace
from workloads.raw_image import RawImageReader
from workloads.text_trace import TextTraceReader, TextTraceWriter

__all__ += [
    "BinaryTraceReader", "BinaryTraceWriter", "RawImageReader", "TextTraceReader",
    "TextTraceWriter", "convert", "detect_format", "open_trace",
]

# Content generators, access patterns, capture and the default workload.
from workloads.access import ACCESS_PATTERNS  # noqa: E402
from workloads.capture import capture_path, capture_process  # noqa: E402
from workloads.default import DEFAULT_SEED, default_workload  # noqa: E402
from workloads.generators import KINDS  # noqa: E402
from workloads.mixes import generate_trace, profile  # noqa: E402

__all__ += [
    "ACCESS_PATTERNS", "KINDS", "DEFAULT_SEED", "capture_path", "capture_process",
    "default_workload", "generate_trace", "profile",
]
