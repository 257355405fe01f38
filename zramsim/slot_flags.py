"""Slot flags, and what writeback, recompression and idle marking may do to a slot.

A slot's flag byte holds what the kernel keeps in the high bits of its flags
word (spec §2.2), with our own bit numbers: SAME (one repeated 8-byte word, no
memory), HUGE (stored raw, a page of its own), NO_DATA (a sizes-only write: a
length, no bytes), IDLE (not touched since the last ``idle`` marking), WB (the
page is on the backing device; the handle word is the block), INCOMPRESSIBLE
(no secondary algorithm could shrink it) and, in bits 6-7, the priority of the
algorithm that stored the object (0 = primary, 1-3 = recompressed).

Example: a huge page that ``idle all`` marked is ``HUGE | IDLE`` = 0b1010;
recompressed by the priority-2 algorithm it becomes ``2 << PRIO_SHIFT`` = 0x80
(the free of the old object clears HUGE and IDLE).

``SlotFlags`` is the part of ``ZramDevice`` that ``zramsim/writeback.py``,
``recompress.py``, ``idle.py`` and ``attributes.py`` use to read and change
slots; the read/write paths themselves stay in ``device.py``.
"""

from __future__ import annotations

from zramsim.backing_dev import BdStat
from zramsim.errors import ConfigError

SAME, HUGE, NO_DATA = 1, 2, 4     # NO_DATA: a sizes-only object, no bytes behind it
IDLE, WB, INCOMPRESSIBLE = 8, 16, 32
PRIO_SHIFT = 6


class SlotFlags:
    """Mixed into ``ZramDevice``; uses its slot table (``_flags``, ``_handle``, ...),
    whose rows it finds through ``_row_of`` (a slot never written has no row)."""

    def slot_flags(self, index: int) -> int:
        """The flag byte of a slot (IDLE, WB, HUGE, ... and the priority in bits 6-7)."""
        row = self._row_of(index)
        return self._flags[row] if row is not None else 0

    def ac_time(self, index: int) -> int:
        """When the slot was last read or written, ns on ``clock`` (0 after a free)."""
        row = self._row_of(index)
        return self._ac[row] if row is not None else 0

    def block_of(self, index: int) -> int:
        """The backing-device block of a written-back slot (0 if it is not one)."""
        row = self._row_of(index)
        return self._handle[row] if row is not None and self._flags[row] & WB else 0

    def set_slot_flag(self, index: int, flag: int, on: bool) -> None:
        """Set or clear IDLE or INCOMPRESSIBLE on a stored slot (``idle``, ``recompress``)."""
        row = self._row_of(index)
        self._flags[row] = self._flags[row] | flag if on else self._flags[row] & ~flag

    def stored_page(self, index: int) -> bytes | None:
        """A zsmalloc-resident slot's page, decompressed, without counting a read.

        None for a sizes-only slot (no bytes were ever stored).
        """
        row = self._row_of(index)
        flags, handle = self._flags[row], self._handle[row]
        if flags & NO_DATA:
            return None
        if flags & HUGE:
            return self.pool.read(handle)
        compressor = self.secondary[flags >> PRIO_SHIFT] if flags >> PRIO_SHIFT \
            else self.compressor
        return compressor.decompress(self.pool.read(handle), self.page_size)

    def install_written_back(self, index: int, block: int) -> None:
        """Writeback's last step: free the slot's object, point it at ``block``."""
        row = self._row_of(index)
        no_data = self._flags[row] & NO_DATA
        self._free_slot(row)
        self._flags[row] = WB | no_data
        self._handle[row] = block

    def install_recompressed(self, index: int, handle: int, size: int, priority: int) -> None:
        """Recompression's last step: the new object replaces the old (no mem_limit)."""
        row = self._row_of(index)
        self._free_slot(row)
        self._handle[row] = handle
        self._size[row] = size
        self._flags[row] = priority << PRIO_SHIFT
        self.compr_data_size += size
        self.recompressed = True

    @property
    def fixed_slots(self) -> int | None:
        """The configured slot count, or None for a device that grows to fit."""
        return self._disk_slots

    def bd_stat(self) -> BdStat:
        """``bd_stat``; all zero without a backing device."""
        return self.backing.bd_stat() if self.backing is not None else BdStat(0, 0, 0)
