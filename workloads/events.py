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

Two rules travel with the record, so that every reader, writer, generator and
the device apply one copy of each:

* ``event_problem``: what any trace can hold. Slot indexes, counts and
  compressed sizes are unsigned 64-bit, and a discard may not pass slot
  2**64 - 1: ``D 18446744073709551615`` is the last slot, ``D 18446744073709551614 2``
  its last two, ``D 18446744073709551615 2`` nothing at all.
* ``same_filled_word``: zram's same-filled test (spec 2.4). Every aligned 8-byte
  word equals the first, so a page of ``ab`` repeated is same-filled (word
  ``0x6261626162616261``) and a page of ``abc`` repeated is not.
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
MAX_U64 = (1 << 64) - 1
WORD = 8


class PageEvent(NamedTuple):
    """One operation on the device; see the module docstring for the fields."""

    op: str
    index: int
    arg: bytes | int | None = None


def event_problem(event: tuple, page_size: int) -> str | None:
    """Why ``event`` cannot be stored in a trace of ``page_size``-byte pages, or None."""
    op, index, arg = event
    if op not in OPS:
        return f"unknown operation {op!r}"
    if op == COMPACT:
        return None
    if not (type(index) is int and 0 <= index <= MAX_U64):
        return f"slot index {index!r} is not in 0 .. 2**64 - 1"
    if op == DISCARD:
        return discard_problem(index, arg)
    if op == WRITE:
        if type(arg) is int:
            return None if 1 <= arg <= MAX_U64 else \
                f"compressed size {arg} is not in 1 .. 2**64 - 1"
        if not isinstance(arg, (bytes, bytearray, memoryview)):
            return f"a written page must be bytes or an int size, not {type(arg).__name__}"
        if len(arg) != page_size:
            return f"page of {len(arg)} bytes in a trace of {page_size}-byte pages"
    return None


def discard_problem(index: int, count: object) -> str | None:
    """Why ``D index count`` is impossible, or None: 1 to 2**64 - 1 pages, none past 2**64 - 1."""
    if not (type(count) is int and 1 <= count <= MAX_U64):
        return f"discard count {count!r} is not in 1 .. 2**64 - 1"
    if index + count - 1 > MAX_U64:
        return f"discard of {count} pages from {index} passes 2**64"
    return None


def same_filled_word(page: bytes) -> int | None:
    """The repeated little-endian 8-byte word of a same-filled page, else None.

    The cheap test first: a page whose last word differs from its first is not
    same-filled, and that is most pages.
    """
    first = page[:WORD]
    if len(first) < WORD or page[-WORD:] != first or first * (len(page) // WORD) != page:
        return None
    return int.from_bytes(first, "little")
