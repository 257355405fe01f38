"""The binary writer's reference window: is this page one of the last N literal pages?

A binary trace stores a page whose bytes were written recently as a reference
to that copy (docs/trace-format.md): literal page n sits in window slot
``n % N`` until literal ``n + N`` takes the slot. For each new page the writer
must find the slot of an equal page still in the window, if there is one.

A CRC-32 of the page (``zlib.crc32``: ~0.4 us for 4 KiB, against ~3.5 us for
a blake2b digest) narrows the search to the window's pages with the same CRC,
newest first, and comparing the bytes decides: two different pages with the
same CRC (about one pair in 2**32) are told apart, so a reference is written
exactly when an equal page is in the window. The window keeps the pages
themselves: N pages, 16 MiB by default (4096 pages of 4 KiB) whatever the
trace's length.

Worked example, N = 4: pages A B C A D E B. A is new: literal 0, slot 0; B:
literal 1; C: literal 2; A again: found in slot 0, a reference; D: literal 3,
slot 3; E: literal 4, takes slot 0 (A leaves the window); B: found in slot 1.
"""

from __future__ import annotations

from zlib import crc32


class PageWindow:
    """The last ``size`` literal pages (``size`` > 0), findable by content."""

    __slots__ = ("size", "literals", "_pages", "_crcs", "_older", "_newest")

    def __init__(self, size: int) -> None:
        self.size = size
        self.literals = 0                      # literal pages seen so far
        self._pages: list[bytes | None] = [None] * size
        self._crcs = [0] * size
        self._older: list[int | None] = [None] * size   # the previous literal with its CRC
        self._newest: dict[int, int] = {}      # CRC -> newest literal number with it

    def find_or_add(self, page: bytes) -> int | None:
        """The slot of an equal page in the window; None after taking ``page`` in as
        the next literal (its slot is the next literal number modulo ``size``)."""
        crc = crc32(page)
        number = self._newest.get(crc)
        oldest = self.literals - self.size
        while number is not None and number >= oldest:
            slot = number % self.size
            if self._pages[slot] == page:
                return slot
            number = self._older[slot]
        slot = self.literals % self.size
        if self._pages[slot] is not None:            # literal `oldest` leaves the window
            if self._newest.get(self._crcs[slot]) == oldest:
                del self._newest[self._crcs[slot]]
        self._pages[slot] = page if type(page) is bytes else bytes(page)
        self._crcs[slot] = crc
        self._older[slot] = self._newest.get(crc)
        self._newest[crc] = self.literals
        self.literals += 1
        return None
