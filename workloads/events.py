"""The page event: the one record that flows from trace readers to the device.

Readers and generators never see the device, and the device never sees a trace
format; both meet in this record (libCacheSim's split between readers and cache).
It is a tuple, so a reader can yield millions of them cheaply, and consumers
unpack it positionally::

    op, index, arg = event

| op      | index        | arg                                                      |
|---------|--------------|----------------------------------------------------------|
| ``W``   | slot         | ``bytes`` of one page, or ``int`` compressed size (sizes only) |
| ``R``   | slot         | ``None``                                                 |
| ``D``   | first slot   | ``int`` number of pages to discard (>= 1)                |
| ``C``   | 0            | ``None``                                                 |
| ``S``   | 0            | ``(attribute, value)``: a sysfs write, both ``str`` (v2) |
| ``T``   | 0            | ``int`` nanoseconds the simulated clock moves forward (v2) |

Example: ``PageEvent("W", 7, 1234)`` says "slot 7 is written with a page whose
compressed length is 1234 bytes" (a sizes-only write, replayed without bytes);
``PageEvent("S", 0, ("writeback", "type=huge_idle"))`` writes a device attribute
and ``PageEvent("T", 0, 1_500_000_000)`` lets 1.5 simulated seconds pass.
"""

from __future__ import annotations

from typing import NamedTuple

WRITE = "W"
READ = "R"
DISCARD = "D"
COMPACT = "C"
SET = "S"       # trace version 2: ``echo value > /sys/block/zram0/attribute``
TIME = "T"      # trace version 2: the simulated clock moves forward

OPS = (WRITE, READ, DISCARD, COMPACT, SET, TIME)


class PageEvent(NamedTuple):
    """One operation on the device; see the module docstring for the fields."""

    op: str
    index: int
    arg: bytes | int | None = None
