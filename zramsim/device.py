"""The simulated zram device: a slot table in front of a zsmalloc pool.

zram is a block device whose sectors live in RAM, compressed. Each page-sized
*slot* of the disk is empty, *same-filled* (one repeated 8-byte word: no memory
at all, the word is kept in the slot), *huge* (compressed to at least
``huge_class_size`` bytes, so stored raw in a page of its own) or a normal
compressed object in zsmalloc. The write path, in Linux 6.17+ order:

1. same-filled test on 8-byte words -> free the old contents, mark SAME, done;
2. compress; a length >= huge_class_size means store the raw page instead;
3. ``zs_malloc`` the object, raise ``mem_used_max`` to the pool's pages, and if
   a ``mem_limit`` is set and exceeded, free the new object and fail the write
   (``failed_writes``; the old contents survive);
4. copy the data in, free the old contents, install the new handle.

Worked example (4 KiB pages, lz4): writing a page that compresses to 1200 bytes
allocates from class 1216 (1200 + 8 header, rounded up to 16): 3 pages hold 10
such objects, so the first write raises mem_used_total from 0 to 12288 bytes
and the next nine cost nothing more. A page compressing to 3700 bytes is
>= 3625, so it is stored raw: compr_data_size grows by 4096 and huge_pages by 1.

A write may also carry only a compressed length (``write_size``): the same
accounting and allocator run, without bytes. Such slots read back as ``None``.

The slot table costs what is written, not the largest slot named: slots 0 ..
n-1 are rows of flat arrays (13 bytes a slot) while the slots in use keep them
at least half full, and any other slot gets a row through a dict. ``W
100000000 zero`` alone costs one row, not 1.3 GB; a discard of 2**32 slots
walks the rows that exist, not the range.

Every successful read or write stamps the slot with the injected clock
(``ac_time``) and clears IDLE. A slot written back (WB, see ``writeback.py``)
is read from the backing device (``bd_reads``); freeing it releases its block.
"""

from __future__ import annotations

import hashlib
from array import array
from itertools import chain

from allocator import Geometry, InvalidHandle, Pool
from workloads.events import same_filled_word
from zramsim.backing_dev import BackingDevice
from zramsim.clock import SimClock
from zramsim.compressors import Compressor, make_compressor
from zramsim.errors import (BadRequest, ConfigError, DeviceInvariantError, ReadFailed,
                            SlotOutOfRange, VerifyMismatch)
from zramsim.slot_flags import (HUGE, IDLE, NO_DATA, PRIO_SHIFT, SAME, WB,
                                SlotFlags)
from zramsim.stats import DebugStat, DeviceStats, IoStat, MmStat

LOGICAL_BLOCK = 4096        # zram's logical and physical block size, on every page size
SECTOR = 512

# Slot flags (our own bit numbers; meanings as zram's slot flags): zramsim/slot_flags.py.
MAX_SLOTS = 1 << 32       # zram's slot index is a u32
MAX_U64 = (1 << 64) - 1   # the kernel's statistics are 64-bit atomics
DENSE_MIN = 1 << 16       # slots below this always get flat rows


def _digest(page: bytes) -> bytes:
    return hashlib.blake2b(page, digest_size=16).digest()


class ZramDevice(SlotFlags):
    """One zram device. ``disksize=None`` grows the slot table as slots are used.

    >>> dev = ZramDevice(disksize=1 << 20)
    >>> dev.write(0, bytes(4096)), dev.write(1, b"hello zram " * 372 + bytes(4))
    (True, True)
    >>> m = dev.mm_stat(); (m.orig_data_size, m.compr_data_size, m.same_pages, m.mem_used_total)
    (8192, 36, 1, 12288)

    The zero page is same-filled and costs nothing; the text compresses to 36 bytes,
    which with the 8-byte handle land in class 48, whose zspages chain 3 pages.
    >>> dev.read(1)[:10]
    b'hello zram'
    """

    def __init__(self, disksize: int | None = None, algorithm: str = "lz4", *,
                 level: int | None = None, dictionary: bytes | None = None,
                 page_size: int = 4096, chain_size: int = 8, chain_rule: str = "min-waste",
                 mem_limit: int = 0, verify: bool = False,
                 compressor: Compressor | None = None, clock: SimClock | None = None) -> None:
        try:
            self.geometry = Geometry(page_size, chain_size, chain_rule)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        self.page_size = page_size
        self.algorithm = algorithm
        self.level = level
        self.dictionary = dictionary
        self.compressor = compressor or make_compressor(algorithm, level, dictionary)
        self.huge_class_size = self.geometry.huge_class_size
        # The kernel rounds disksize up to whole pages. The slot table itself is
        # built lazily from the slots written: a 1 TiB device costs nothing until
        # it is used.
        self._disk_slots = None if disksize is None else self._slots_for(disksize)
        self.clock = clock if clock is not None else SimClock()
        self.backing: BackingDevice | None = None
        self.secondary: dict[int, Compressor] = {}    # recompression: priority -> algorithm
        self.verify = verify
        self._zero_digest = _digest(bytes(page_size))
        self._empty_table()
        self.set_mem_limit(mem_limit)
        self._reset_state()

    def _reset_state(self) -> None:
        self.pool = Pool(self.geometry)
        # recompression allocates without raising mem_used_max (spec 2.12, step 7), so
        # after it mem_used_total may stand above the maximum
        self.recompressed = False
        self.compr_data_size = 0
        self.same_pages = 0
        self.huge_pages = 0
        self.huge_pages_since = 0
        self.max_used_pages = 0
        self.failed_reads = 0
        self.failed_writes = 0
        self.notify_free = 0
        self.reads = 0
        self.writes = 0

    # -- configuration ----------------------------------------------------------

    @property
    def slots(self) -> int:
        """Page slots of the device: as configured, or, when growing, the highest slot
        touched (written, read or discarded) + 1."""
        return self._top if self._disk_slots is None else self._disk_slots

    @property
    def disksize(self) -> int:
        """Bytes: as configured, or (highest slot touched + 1) x page size when growing."""
        return self.slots * self.page_size

    @property
    def pages_stored(self) -> int:
        """Slots holding data: same-filled, one zsmalloc object, or a backing block."""
        written_back = self.backing.bd_count if self.backing is not None else 0
        return self.same_pages + self.pool.live_objects + written_back

    def set_mem_limit(self, limit: int) -> None:
        """Limit zsmalloc's memory; rounded up to whole pages, 0 means unlimited."""
        if limit < 0:
            raise ConfigError(f"mem_limit must be >= 0, not {limit}")
        self.limit_pages = -(-limit // self.page_size)

    def reset_mem_used_max(self) -> None:
        """Writing ``0`` to mem_used_max: the maximum becomes the *current* usage."""
        self.max_used_pages = self.pool.total_pages

    def reset(self) -> None:
        """Writing ``1`` to reset (spec §2.1): back to an uninitialised device.

        Every slot, the pool and all statistics go; disksize becomes 0 and the
        defaults return (mem_limit 0, lz4 at its default level, no dictionary);
        the backing device is detached and the secondary algorithms forgotten.
        Until ``set_disksize``, every slot is outside the device, as on the
        kernel, where the disk has no sectors and a write fails (ENOSPC).
        """
        self._disk_slots = 0
        self._empty_table()
        self.backing = None
        self.secondary = {}
        self.limit_pages = 0
        self.algorithm, self.level, self.dictionary = "lz4", None, None
        self.compressor = make_compressor("lz4")
        self._reset_state()

    @property
    def initialised(self) -> bool:
        """``initstate``: a disksize is set (a device growing to fit always is)."""
        return self._disk_slots != 0

    def set_algorithm(self, algorithm: str, level: int | None = None,
                      dictionary: bytes | None = None) -> None:
        """Writing ``comp_algorithm`` (and its params): only before ``set_disksize``."""
        self._refuse_if_initialised("comp_algorithm")
        self.compressor = make_compressor(algorithm, level, dictionary)
        self.algorithm, self.level, self.dictionary = algorithm, level, dictionary

    def set_disksize(self, disksize: int | None) -> None:
        """Writing ``disksize`` before the device is used (rounded up to whole pages).

        ``None`` makes a device that grows to fit. The command line's options
        build the device the way a udev rule would, so until the first write
        they may still be changed, as a trace's ``S disksize`` does.
        """
        self._refuse_if_initialised("disksize")
        self._disk_slots = None if disksize is None else self._slots_for(disksize)

    def _refuse_if_initialised(self, attribute: str) -> None:
        in_use = self._top or (self.backing is not None and self.backing.bd_count)
        if self.initialised and in_use:
            raise ConfigError(f"{attribute} cannot change while the device is initialised "
                              f"(the kernel says EBUSY); reset it first")

    def _slots_for(self, disksize: int) -> int:
        """Slots of a disk of ``disksize`` bytes: the kernel rounds up to whole pages."""
        if disksize <= 0:
            raise ConfigError(f"disksize must be positive, not {disksize}")
        slots = -(-disksize // self.page_size)
        if slots > MAX_SLOTS:
            raise ConfigError(f"disksize {disksize} is more than the {MAX_SLOTS} slots of "
                              f"{self.page_size} bytes zramsim simulates")
        return slots

    def _empty_table(self) -> None:
        """The slot table of a fresh device: no rows at all.

        Row r of the arrays is slot r for r < ``_cap`` (only slots below
        ``_dense`` were touched; the rest are spare, empty rows); every row
        from ``_cap`` on belongs to the slot that ``_rows`` maps to it.
        """
        self._top = 0                 # the highest slot touched + 1 (a growing disksize)
        self._dense = 0               # slots 0 .. _dense-1: row = slot, the fast path
        self._cap = 0                 # rows reserved for slot = row
        self._rows: dict[int, int] = {}   # any other slot written -> its row (>= _cap)
        self._handle = array("Q")     # zsmalloc handle, or the same-filled word
        self._size = array("I")       # stored object size: comp_len, page size if huge
        self._flags = bytearray()
        self._ac = array("Q")         # ac_time of each row, ns on ``clock``
        self._expected = bytearray()  # verify mode: 16-byte digest of each row's contents

    def _check(self, index: int) -> None:
        """SlotOutOfRange unless the device has (or, growing, can have) slot ``index``."""
        if index < 0 or (self._disk_slots is not None and index >= self._disk_slots):
            if self._disk_slots == 0:
                raise SlotOutOfRange(f"slot {index}: the device is not initialised (disksize "
                                     f"0, as after a reset); set a disksize first")
            raise SlotOutOfRange(f"slot {index} is outside the device "
                                 f"({self.slots} slots of {self.page_size} bytes)")
        if index >= MAX_SLOTS:
            raise SlotOutOfRange(f"slot {index} is beyond the largest device zramsim "
                                 f"simulates ({MAX_SLOTS} slots)")

    def _require(self, index: int) -> None:
        """``_check``, then count slot ``index`` as touched (a growing disksize covers it)."""
        self._check(index)
        if index >= self._top:
            self._top = index + 1

    def _row_of(self, index: int) -> int | None:
        """The row holding slot ``index``, or None if the slot was never written."""
        if 0 <= index < self._dense:
            return index
        return self._rows.get(index)

    def _slot(self, index: int) -> int:
        """The row of slot ``index`` before a write, made if needed (the slow path)."""
        if self._dense <= index < self._cap:      # the next free rows: the common case
            self._dense = index + 1
            if index >= self._top:
                self._top = index + 1
            return index
        self._require(index)
        row = self._rows.get(index)
        if row is not None:
            return row
        if index < max(DENSE_MIN, 2 * (self.pages_stored + len(self._rows))):
            limit = MAX_SLOTS if self._disk_slots is None else self._disk_slots
            self._rebuild(min(max(index + 1, 2 * self._cap, 1024), limit))
            self._dense = max(self._dense, index + 1)
            return index
        row = len(self._flags)
        self._extend(1)
        self._rows[index] = row
        return row

    def _extend(self, rows: int) -> None:
        """Append ``rows`` empty rows to the arrays (all or none: ConfigError if no memory)."""
        have = len(self._flags)
        try:
            self._handle.frombytes(bytes(8 * rows))
            self._size.frombytes(bytes(4 * rows))
            self._flags.extend(bytes(rows))
            self._ac.frombytes(bytes(8 * rows))
            if self.verify:
                self._expected.extend(self._zero_digest * rows)
        except MemoryError:
            del self._handle[have:], self._size[have:], self._flags[have:], self._ac[have:]
            del self._expected[16 * have:]
            raise ConfigError(f"not enough memory for a table of {have + rows} "
                              f"slots; lower slot numbers would fit") from None

    def _rebuild(self, cap: int) -> None:
        """Reserve rows 0 .. cap-1 for slots 0 .. cap-1, moving the dict's slots below cap.

        Costs O(cap + dict entries); ``cap`` at least doubles each time, so the
        cost per write is constant, and the table stays within a few times the
        slots in use.
        """
        old = self._handle, self._size, self._flags, self._expected, self._ac
        rows, old_rows = {}, sorted(self._rows.items())
        dense = self._dense
        try:
            self._handle, self._size = array("Q", old[0][:dense]), array("I", old[1][:dense])
            self._flags, self._expected = old[2][:dense], old[3][:16 * dense]
            self._ac = array("Q", old[4][:dense])
            self._extend(cap - dense)
        except (MemoryError, ConfigError):
            self._handle, self._size, self._flags, self._expected, self._ac = old
            raise ConfigError(f"not enough memory for a table of {cap} slots; "
                              f"lower slot numbers would fit") from None
        for index, row in old_rows:
            if index >= cap:
                rows[index] = len(self._flags)
                self._extend(1)
                target = rows[index]
            else:
                target = index
            self._handle[target], self._size[target] = old[0][row], old[1][row]
            self._flags[target], self._ac[target] = old[2][row], old[4][row]
            if self.verify:
                self._expected[16 * target:16 * target + 16] = old[3][16 * row:16 * row + 16]
        self._rows, self._cap = rows, cap
        self._dense = max(dense, max((i + 1 for i, _ in old_rows if i < cap), default=0))

    # -- the write path ---------------------------------------------------------

    def write(self, index: int, page: bytes) -> bool:
        """Write one full page; False if mem_limit made the write fail."""
        return self._write(index, page, None)

    def write_compressed(self, index: int, page: bytes, data: bytes | None) -> bool:
        """``write`` of a page whose compression (``data``) was already done.

        ``data`` must be what this device's compressor returns for ``page`` (None:
        compress it here); the parallel replay compresses pages ahead on other
        threads and comes here, so the result is the same as ``write`` whatever
        thread did the compressing.
        """
        return self._write(index, page, data)

    def write_prepared(self, index: int, prepared: bytes | int) -> bool:
        """``write`` of a page examined elsewhere (``zramsim.read_ahead_helper``).

        ``prepared`` is the 64-bit word of a same-filled page (an int), the page
        itself where its compression reaches the huge class, or else its
        compression by this device's compressor. The outcome is ``write``'s for
        that page. Not in verify mode, which needs the page to digest.
        """
        if self.verify:
            raise BadRequest("a prepared write has no page to verify")
        row = index if 0 <= index < self._dense else self._slot(index)
        self.writes += 1
        if type(prepared) is int:
            return self._store_same(row, prepared)
        if len(prepared) < self.huge_class_size:
            return self._store(row, len(prepared), prepared, 0)
        if len(prepared) != self.page_size:
            raise BadRequest(f"slot {index}: a huge page is {self.page_size} bytes, "
                             f"not {len(prepared)}")
        return self._store(row, self.page_size, prepared, HUGE)

    def _store_same(self, row: int, word: int) -> bool:
        """A same-filled page: its word in the slot, no memory."""
        if self._flags[row] or self._handle[row]:
            self._free_slot(row)
        self._flags[row] = SAME
        self._handle[row] = word
        self._ac[row] = self.clock.ns
        self.same_pages += 1
        return True

    def _write(self, index: int, page: bytes, data: bytes | None) -> bool:
        row = index if 0 <= index < self._dense else self._slot(index)
        size = self.page_size
        if len(page) != size:
            raise BadRequest(f"slot {index}: a page is {size} bytes, not {len(page)}")
        self.writes += 1
        word = same_filled_word(page)
        if word is not None:
            self._store_same(row, word)
            if self.verify:
                self._expected[row * 16:row * 16 + 16] = _digest(page)
            return True
        if data is None:
            data = self.compressor.compress(page)
        if len(data) >= self.huge_class_size:
            ok = self._store(row, size, page, HUGE)
        else:
            ok = self._store(row, len(data), data, 0)
        if ok and self.verify:
            self._expected[row * 16:row * 16 + 16] = _digest(page)
        return ok

    def write_size(self, index: int, comp_len: int) -> bool:
        """A sizes-only write: a page known to compress to ``comp_len`` bytes."""
        row = index if 0 <= index < self._dense else self._slot(index)
        if comp_len < 1:
            raise BadRequest(f"slot {index}: a compressed length must be >= 1, not {comp_len}")
        self.writes += 1
        if comp_len >= self.huge_class_size:
            return self._store(row, self.page_size, None, HUGE | NO_DATA)
        return self._store(row, comp_len, None, NO_DATA)

    def write_same(self, index: int, word: int) -> bool:
        """Write a page filled with the 64-bit little-endian ``word``, without bytes."""
        return self.write(index, word.to_bytes(8, "little") * (self.page_size >> 3))

    def _store(self, index: int, obj_size: int, data: bytes | None, flags: int) -> bool:
        """Allocate, check the limit, copy in, then release the old contents of row ``index``."""
        pool = self.pool
        # zs_malloc, then the limit check; the data goes in with the allocation
        # here, which changes nothing when the limit undoes the allocation.
        handle = pool.malloc(obj_size, data)
        total = pool.total_pages
        if total > self.max_used_pages:
            self.max_used_pages = total
        if self.limit_pages and total > self.limit_pages:
            pool.free(handle)
            self.failed_writes += 1
            return False
        if self._flags[index] or self._handle[index]:
            self._free_slot(index)
        self._handle[index] = handle
        self._size[index] = obj_size
        self._flags[index] = flags
        self._ac[index] = self.clock.ns
        self.compr_data_size += obj_size
        if flags & HUGE:
            self.huge_pages += 1
            self.huge_pages_since += 1
        if self.verify and data is None:
            self._expected[index * 16:index * 16 + 16] = bytes(16)   # nothing to verify
        return True

    def _free_slot(self, index: int) -> None:
        """zram_free_page on row ``index``: drop what it holds and its share of the counters."""
        flags = self._flags[index]
        self._ac[index] = 0
        if flags & SAME:
            self.same_pages -= 1
        elif flags & WB:
            self.backing.free(self._handle[index])
        else:
            handle = self._handle[index]
            if not handle:
                return           # an empty slot: no counter moves
            self.pool.free(handle)
            self.compr_data_size -= self._size[index]
            if flags & HUGE:
                self.huge_pages -= 1
        self._handle[index] = 0
        self._size[index] = 0
        self._flags[index] = 0

    # -- read, discard, compact -------------------------------------------------

    def read(self, index: int) -> bytes | None:
        """One page; zeros if never written; None for a sizes-only slot (no bytes)."""
        row = index if 0 <= index < self._dense else self._rows.get(index)
        if row is None:                      # never written: no storage behind it
            self._require(index)
            self.reads += 1
            return bytes(self.page_size)
        self.reads += 1
        flags = self._flags[row]
        handle = self._handle[row]
        if flags & NO_DATA and not flags & WB:
            if flags & IDLE:
                self._flags[row] = flags ^ IDLE
            self._ac[row] = self.clock.ns
            return None
        if flags & WB:
            page = self.backing.read(handle)
        elif flags & SAME or not handle:
            page = handle.to_bytes(8, "little") * (self.page_size >> 3)
        elif flags & HUGE:
            page = self.pool.read(handle)
        else:
            compressor = self.secondary[flags >> PRIO_SHIFT] if flags >> PRIO_SHIFT \
                else self.compressor
            try:
                page = compressor.decompress(self.pool.read(handle), self.page_size)
            except Exception as exc:          # corrupt object: the bio fails
                self.failed_reads += 1
                raise ReadFailed(f"slot {index}: decompression failed ({exc})") from None
        if flags & IDLE:                      # accessed: no longer idle, stamped now
            self._flags[row] = flags ^ IDLE
        self._ac[row] = self.clock.ns
        if page is None:
            return None
        if self.verify:
            expected = self._expected[row * 16:row * 16 + 16]
            if expected != _digest(page):
                raise VerifyMismatch(index)
        return page

    def discard(self, index: int, count: int = 1) -> None:
        """Discard ``count`` whole pages; notify_free counts every page, empty or not.

        Time follows the rows that exist, not ``count``. notify_free wraps at
        2**64 as the kernel's atomic64 counter does (spec 2.9, 3.2: one
        ``atomic64_inc`` per page, printed as an unsigned 64-bit number).
        """
        if count < 1:
            raise BadRequest(f"discard of {count} pages")
        end = index + count
        self._check(index)
        self._check(end - 1)
        self._require(end - 1)
        rows = list(range(index, min(end, self._dense)))
        sparse = self._rows
        if sparse and end > self._cap:
            first = max(index, self._cap)
            if end - first <= len(sparse):
                rows += [r for r in map(sparse.get, range(first, end)) if r is not None]
            else:
                rows += [r for i, r in sparse.items() if first <= i < end]
        for row in rows:
            self._free_slot(row)
            if self.verify:
                self._expected[row * 16:row * 16 + 16] = self._zero_digest
        self.notify_free = (self.notify_free + count) & MAX_U64

    def discard_bytes(self, offset: int, length: int) -> int:
        """A discard bio by byte range: partial head and tail pages are skipped.

        Returns the number of whole pages discarded: a 12 KiB discard starting 1 KiB
        into slot 0 skips slot 0, frees slots 1 and 2, and skips the tail of slot 3.
        """
        if offset % SECTOR or length % SECTOR or offset < 0 or length < 0:
            raise BadRequest(f"discard of {length} bytes at {offset} is not sector-aligned")
        index, head = divmod(offset, self.page_size)
        if head:
            if length <= self.page_size - head:
                return 0
            length -= self.page_size - head
            index += 1
        pages = length // self.page_size
        if pages:
            self.discard(index, pages)
        return pages

    def write_bytes(self, offset: int, data: bytes) -> bool:
        """Block-layer write of whole 4 KiB blocks; sub-page parts read-modify-write.

        With 16 KiB pages a 4 KiB write at offset 4096 decompresses slot 0, overlays
        bytes 4096..8191 and writes the whole 16 KiB page back (spec §2.8).
        """
        if offset % LOGICAL_BLOCK or len(data) % LOGICAL_BLOCK:
            raise BadRequest(f"write of {len(data)} bytes at {offset}: "
                             f"not aligned to {LOGICAL_BLOCK}-byte blocks")
        done = 0
        while done < len(data):
            index, head = divmod(offset + done, self.page_size)
            n = min(self.page_size - head, len(data) - done)
            if n == self.page_size:
                page = data[done:done + n]
            else:
                old = self.read(index)
                if old is None:
                    raise BadRequest(f"slot {index}: cannot modify part of a sizes-only page")
                self.reads -= 1     # the internal read is not a user read
                page = old[:head] + data[done:done + n] + old[head + n:]
            if not self.write(index, bytes(page)):
                return False
            done += n
        return True

    def read_bytes(self, offset: int, length: int) -> bytes:
        """Block-layer read of whole 4 KiB blocks, possibly parts of larger pages."""
        if offset % LOGICAL_BLOCK or length % LOGICAL_BLOCK:
            raise BadRequest(f"read of {length} bytes at {offset}: "
                             f"not aligned to {LOGICAL_BLOCK}-byte blocks")
        out = bytearray()
        while len(out) < length:
            index, head = divmod(offset + len(out), self.page_size)
            page = self.read(index)
            if page is None:
                raise BadRequest(f"slot {index}: a sizes-only page has no bytes to read")
            out += page[head:head + length - len(out)]
        return bytes(out)

    def compact(self) -> int:
        """Writing to ``compact``: run zsmalloc compaction; pages freed by this call."""
        return self.pool.compact()

    # -- statistics and checks --------------------------------------------------

    def mm_stat(self) -> MmStat:
        page = self.page_size
        return MmStat(
            orig_data_size=self.pages_stored * page,
            compr_data_size=self.compr_data_size,
            mem_used_total=self.pool.total_pages * page,
            mem_limit=self.limit_pages * page,
            mem_used_max=self.max_used_pages * page,
            same_pages=self.same_pages,
            pages_compacted=self.pool.pages_compacted,
            huge_pages=self.huge_pages,
            huge_pages_since=self.huge_pages_since,
        )

    def io_stat(self) -> IoStat:
        return IoStat(self.failed_reads, self.failed_writes, 0, self.notify_free)

    def debug_stat(self) -> DebugStat:
        return DebugStat(miss_free=0)

    def stats(self) -> DeviceStats:
        """A frozen snapshot of every counter and derived metric."""
        return DeviceStats(
            disksize=self.disksize, page_size=self.page_size, mm_stat=self.mm_stat(),
            io_stat=self.io_stat(), debug_stat=self.debug_stat(), bd_stat=self.bd_stat(),
            pages_stored=self.pages_stored,
            normal_pages=self.pages_stored - self.same_pages - self.huge_pages,
            fragmentation=self.pool.fragmentation(), reads=self.reads, writes=self.writes,
            spanning_reads=self.pool.spanning_reads,
        )

    def slot_state(self, index: int) -> tuple[str, int]:
        """(kind, stored size) of a slot: kind is empty, same, writeback, huge or normal."""
        self._check(index)
        index = self._row_of(index)
        if index is None:
            return "empty", 0
        flags, handle = self._flags[index], self._handle[index]
        if flags & SAME:
            return "same", 0
        if flags & WB:
            return "writeback", 0
        if not handle:
            return "empty", 0
        return ("huge" if flags & HUGE else "normal"), self._size[index]

    def stored_slots(self):
        """The slots holding data (same-filled or an object), in slot order.

        Costs the rows that exist, so a device whose only slot is 10**8 answers
        at once: what teaching displays walk instead of ``range(slots)``.
        """
        for index in chain(range(self._dense), sorted(self._rows)):
            row = index if index < self._cap else self._rows[index]
            if self._flags[row] or self._handle[row]:
                yield index

    def handle_of(self, index: int) -> int:
        """The zsmalloc handle behind a slot (0 if none): for teaching displays."""
        self._check(index)
        index = self._row_of(index)
        if index is None:
            return 0
        return 0 if self._flags[index] & (SAME | WB) else self._handle[index]

    def check(self) -> None:
        """Slot table against pool against counters; raises DeviceInvariantError.

        Catches: a broken pool (the pool's own ``InvariantError``), a slot whose
        flags, size or handle disagree with each other or with the pool, a handle
        held by two slots, a pool object no slot holds, and each counter
        (same_pages, huge_pages, compr_data_size, mem_used_max, huge_pages_since)
        that disagrees with the slots. pages_stored is computed from same_pages
        and the pool's objects, so those two checks cover it.
        """
        self.pool.check()
        same = huge = compr = 0
        held: set[int] = set()
        blocks: set[int] = set()
        _expect(len(self._flags) == self._cap + len(self._rows)
                and sorted(self._rows.values()) == list(range(self._cap, len(self._flags)))
                and all(slot >= self._cap for slot in self._rows)
                and not any(self._flags[self._dense:self._cap])
                and not any(self._handle[self._dense:self._cap])
                and self._top >= max(self._dense, max(self._rows, default=-1) + 1),
                "slot table rows are not one per slot")
        rows = chain(((slot, slot) for slot in range(self._dense)), self._rows.items())
        for index, row in rows:
            flags, handle, size = self._flags[row], self._handle[row], self._size[row]
            if flags & SAME:
                same += 1
                _expect(size == 0 and flags == SAME, f"slot {index}: bad same-filled state")
            elif flags & WB:
                _expect(size == 0 and flags & ~NO_DATA == WB and handle not in blocks
                        and self.backing is not None and 0 < handle < self.backing.nr_pages,
                        f"slot {index}: bad written-back state (block {handle})")
                blocks.add(handle)
            elif handle:
                _expect(handle not in held, f"slot {index}: handle {handle} is held twice")
                held.add(handle)
                compr += size
                try:
                    stored = self.pool.size_of(handle)
                except InvalidHandle:
                    raise DeviceInvariantError(f"slot {index}: handle {handle} is not "
                                               f"allocated in the pool") from None
                _expect(stored == size, f"slot {index}: object size {stored} != {size}")
                if flags & HUGE:
                    huge += 1
                    _expect(size == self.page_size and not flags >> PRIO_SHIFT,
                            f"slot {index}: huge but {size} bytes")
                elif flags >> PRIO_SHIFT:       # recompressed: a huge page may shrink
                    _expect(flags >> PRIO_SHIFT in self.secondary and size < self.page_size,
                            f"slot {index}: recompressed by an unknown priority")
                else:
                    _expect(size < self.huge_class_size, f"slot {index}: {size} should be huge")
            else:
                _expect(size == 0 and flags == 0, f"slot {index}: empty slot with state")
        if self.backing is not None:
            _expect(blocks == self.backing.used() and len(blocks) == self.backing.bd_count,
                    f"bd_count {self.backing.bd_count}, written-back slots {len(blocks)}")
        else:
            _expect(not blocks, "written-back slots without a backing device")
        _expect(len(held) == self.pool.live_objects,
                f"{len(held)} slots hold objects, pool has {self.pool.live_objects}")
        for name, found in (("same_pages", same), ("huge_pages", huge),
                            ("compr_data_size", compr)):
            _expect(getattr(self, name) == found, f"{name} is {getattr(self, name)}, "
                                                  f"slots say {found}")
        _expect(self.max_used_pages >= self.pool.total_pages or self.recompressed,
                f"mem_used_max ({self.max_used_pages} pages) is below mem_used_total "
                f"({self.pool.total_pages} pages)")
        _expect(self.huge_pages_since >= self.huge_pages,
                "huge_pages_since fell below huge_pages")

    def config(self) -> dict:
        """Everything needed to build the same device again (and, when set, the
        backing device's size and the secondary algorithms)."""
        extra = {"backing_dev": self.backing.size} if self.backing is not None else {}
        if self.secondary:
            extra["recomp_algorithm"] = {p: c.name for p, c in sorted(self.secondary.items())}
        return {"disksize": self.disksize, "algorithm": self.algorithm,
                "params": self.compressor.params(), "page_size": self.page_size,
                "chain_size": self.geometry.chain_size, "chain_rule": self.geometry.rule,
                "mem_limit": self.limit_pages * self.page_size,
                "huge_class_size": self.huge_class_size, **extra}


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise DeviceInvariantError(message)
