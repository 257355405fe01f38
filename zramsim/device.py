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
"""

from __future__ import annotations

import hashlib
from array import array

from allocator import Geometry, Pool
from zramsim.compressors import Compressor, make_compressor
from zramsim.errors import (BadRequest, ConfigError, ReadFailed, SlotOutOfRange,
                            VerifyMismatch)
from zramsim.stats import DebugStat, DeviceStats, IoStat, MmStat

LOGICAL_BLOCK = 4096        # zram's logical and physical block size, on every page size
SECTOR = 512

# Slot flags (our own bit numbers; meanings as zram's slot flags).
SAME, HUGE, NO_DATA = 1, 2, 4
MAX_SLOTS = 1 << 32       # NO_DATA: a sizes-only object, no bytes behind it


def _digest(page: bytes) -> bytes:
    return hashlib.blake2b(page, digest_size=16).digest()


class ZramDevice:
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
                 compressor: Compressor | None = None) -> None:
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
        if disksize is not None and disksize <= 0:
            raise ConfigError(f"disksize must be positive, not {disksize}")
        if disksize is not None and -(-disksize // page_size) > MAX_SLOTS:
            raise ConfigError(f"disksize {disksize} is more than the {MAX_SLOTS} slots of "
                              f"{page_size} bytes zramsim simulates")
        # The kernel rounds disksize up to whole pages. The slot table itself is
        # built lazily, up to the highest slot touched: a 1 TiB device costs
        # nothing until it is used.
        self._disk_slots = -(-disksize // page_size) if disksize is not None else None
        self._slots = 0               # slots with storage: the highest touched + 1
        self._handle = array("Q")     # zsmalloc handle, or the same-filled word
        self._size = array("I")       # stored object size: comp_len, page size if huge
        self._flags = bytearray()
        self.verify = verify
        self._expected = bytearray()  # verify mode: 16-byte digest of each slot's contents
        self._zero_digest = _digest(bytes(page_size))
        self.set_mem_limit(mem_limit)
        self._reset_state()

    def _reset_state(self) -> None:
        self.pool = Pool(self.geometry)
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
        """Page slots of the device: as configured, or the highest used + 1 when growing."""
        return self._slots if self._disk_slots is None else self._disk_slots

    @property
    def disksize(self) -> int:
        """Bytes: as configured, or (highest slot used + 1) x page size when growing."""
        return self.slots * self.page_size

    @property
    def pages_stored(self) -> int:
        """Slots holding data: each is same-filled or owns exactly one zsmalloc object."""
        return self.same_pages + self.pool.live_objects

    def set_mem_limit(self, limit: int) -> None:
        """Limit zsmalloc's memory; rounded up to whole pages, 0 means unlimited."""
        if limit < 0:
            raise ConfigError(f"mem_limit must be >= 0, not {limit}")
        self.limit_pages = -(-limit // self.page_size)

    def reset_mem_used_max(self) -> None:
        """Writing ``0`` to mem_used_max: the maximum becomes the *current* usage."""
        self.max_used_pages = self.pool.total_pages

    def reset(self) -> None:
        """Writing ``1`` to reset: every slot, the pool, all stats and mem_limit go."""
        self._slots = 0
        self._handle, self._size, self._flags = array("Q"), array("I"), bytearray()
        self._expected = bytearray()
        self.limit_pages = 0
        self._reset_state()

    def _grow(self, slots: int) -> None:
        """Make slots 0 .. slots-1 exist; storage grows by doubling, size exactly.

        The slot table costs 13 bytes a slot, so a device is limited to
        ``MAX_SLOTS`` (2**32 slots: 16 TiB of 4 KiB pages, a 56 GB table).
        """
        if slots > MAX_SLOTS:
            raise SlotOutOfRange(f"slot {slots - 1} is beyond the largest device zramsim "
                                 f"simulates ({MAX_SLOTS} slots)")
        capacity = len(self._flags)
        if slots > capacity:
            extra = min(max(slots, 2 * capacity, 1024), MAX_SLOTS) - capacity
            try:
                self._handle.frombytes(bytes(8 * extra))
                self._size.frombytes(bytes(4 * extra))
                self._flags.extend(bytes(extra))
                if self.verify:
                    self._expected.extend(self._zero_digest * extra)
            except MemoryError:
                del self._handle[capacity:], self._size[capacity:], self._flags[capacity:]
                raise ConfigError(f"not enough memory for a table of {slots} slots "
                                  f"({13 * slots / 2**30:.1f} GiB); a smaller disksize "
                                  f"or lower slot numbers would fit") from None
        self._slots = max(self._slots, slots)

    def _require(self, index: int) -> None:
        """SlotOutOfRange unless the device has slot ``index`` (a growing one has any)."""
        if index < 0 or (self._disk_slots is not None and index >= self._disk_slots):
            raise SlotOutOfRange(f"slot {index} is outside the device "
                                 f"({self.slots} slots of {self.page_size} bytes)")

    def _slot(self, index: int) -> None:
        """Give slot ``index`` storage before a write; SlotOutOfRange if there is no such slot."""
        if index >= self._slots or index < 0:
            self._require(index)
            self._grow(index + 1)

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
        if not 0 <= index < self._slots:
            self._slot(index)
        self.writes += 1
        if type(prepared) is int:
            if self._flags[index] or self._handle[index]:
                self._free_slot(index)
            self._flags[index] = SAME
            self._handle[index] = prepared
            self.same_pages += 1
            return True
        if len(prepared) < self.huge_class_size:
            return self._store(index, len(prepared), prepared, 0)
        if len(prepared) != self.page_size:
            raise BadRequest(f"slot {index}: a huge page is {self.page_size} bytes, "
                             f"not {len(prepared)}")
        return self._store(index, self.page_size, prepared, HUGE)

    def _write(self, index: int, page: bytes, data: bytes | None) -> bool:
        if not 0 <= index < self._slots:
            self._slot(index)
        size = self.page_size
        if len(page) != size:
            raise BadRequest(f"slot {index}: a page is {size} bytes, not {len(page)}")
        self.writes += 1
        word = page[:8]
        if page[-8:] == word and page == word * (size >> 3):
            if self._flags[index] or self._handle[index]:
                self._free_slot(index)
            self._flags[index] = SAME
            self._handle[index] = int.from_bytes(word, "little")
            self.same_pages += 1
            if self.verify:
                self._expected[index * 16:index * 16 + 16] = _digest(page)
            return True
        if data is None:
            data = self.compressor.compress(page)
        if len(data) >= self.huge_class_size:
            ok = self._store(index, size, page, HUGE)
        else:
            ok = self._store(index, len(data), data, 0)
        if ok and self.verify:
            self._expected[index * 16:index * 16 + 16] = _digest(page)
        return ok

    def write_size(self, index: int, comp_len: int) -> bool:
        """A sizes-only write: a page known to compress to ``comp_len`` bytes."""
        if not 0 <= index < self._slots:
            self._slot(index)
        if comp_len < 1:
            raise BadRequest(f"slot {index}: a compressed length must be >= 1, not {comp_len}")
        self.writes += 1
        if comp_len >= self.huge_class_size:
            return self._store(index, self.page_size, None, HUGE | NO_DATA)
        return self._store(index, comp_len, None, NO_DATA)

    def write_same(self, index: int, word: int) -> bool:
        """Write a page filled with the 64-bit little-endian ``word``, without bytes."""
        return self.write(index, word.to_bytes(8, "little") * (self.page_size >> 3))

    def _store(self, index: int, obj_size: int, data: bytes | None, flags: int) -> bool:
        """Allocate, check the limit, copy in, then release the slot's old contents."""
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
        self.compr_data_size += obj_size
        if flags & HUGE:
            self.huge_pages += 1
            self.huge_pages_since += 1
        if self.verify and data is None:
            self._expected[index * 16:index * 16 + 16] = bytes(16)   # nothing to verify
        return True

    def _free_slot(self, index: int) -> None:
        """zram_free_page: drop whatever the slot holds and its share of the counters."""
        flags = self._flags[index]
        if flags & SAME:
            self.same_pages -= 1
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
        if not 0 <= index < self._slots:     # never written: no storage behind it yet
            self._require(index)
            self.reads += 1
            return bytes(self.page_size)
        self.reads += 1
        flags = self._flags[index]
        handle = self._handle[index]
        if flags & NO_DATA:
            return None
        if flags & SAME or not handle:
            page = handle.to_bytes(8, "little") * (self.page_size >> 3)
        elif flags & HUGE:
            page = self.pool.read(handle)
        else:
            try:
                page = self.compressor.decompress(self.pool.read(handle), self.page_size)
            except Exception as exc:          # corrupt object: the bio fails
                self.failed_reads += 1
                raise ReadFailed(f"slot {index}: decompression failed ({exc})") from None
        if self.verify:
            expected = self._expected[index * 16:index * 16 + 16]
            if expected != _digest(page):
                raise VerifyMismatch(index)
        return page

    def discard(self, index: int, count: int = 1) -> None:
        """Discard ``count`` whole pages; notify_free counts every page, empty or not."""
        if count < 1:
            raise BadRequest(f"discard of {count} pages")
        self._require(index)
        self._require(index + count - 1)
        for i in range(index, min(index + count, self._slots)):
            self._free_slot(i)
            if self.verify:
                self._expected[i * 16:i * 16 + 16] = self._zero_digest
        self.notify_free += count

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
            io_stat=self.io_stat(), debug_stat=self.debug_stat(),
            pages_stored=self.pages_stored,
            normal_pages=self.pages_stored - self.same_pages - self.huge_pages,
            fragmentation=self.pool.fragmentation(), reads=self.reads, writes=self.writes,
            spanning_reads=self.pool.spanning_reads,
        )

    def slot_state(self, index: int) -> tuple[str, int]:
        """(kind, stored size) of a slot: kind is empty, same, huge or normal."""
        self._require(index)
        if index >= self._slots:
            return "empty", 0
        flags, handle = self._flags[index], self._handle[index]
        if flags & SAME:
            return "same", 0
        if not handle:
            return "empty", 0
        return ("huge" if flags & HUGE else "normal"), self._size[index]

    def handle_of(self, index: int) -> int:
        """The zsmalloc handle behind a slot (0 if none): for teaching displays."""
        self._require(index)
        if index >= self._slots:
            return 0
        return 0 if self._flags[index] & SAME else self._handle[index]

    def check(self) -> None:
        """Slot table against pool against counters; raises AssertionError subclasses."""
        self.pool.check()
        same = huge = stored = compr = objects = 0
        for index in range(self._slots):
            flags, handle, size = self._flags[index], self._handle[index], self._size[index]
            if flags & SAME:
                same += 1
                stored += 1
                _expect(size == 0 and flags == SAME, f"slot {index}: bad same-filled state")
            elif handle:
                stored += 1
                objects += 1
                compr += size
                _expect(self.pool.size_of(handle) == size,
                        f"slot {index}: object size {self.pool.size_of(handle)} != {size}")
                if flags & HUGE:
                    huge += 1
                    _expect(size == self.page_size, f"slot {index}: huge but {size} bytes")
                else:
                    _expect(size < self.huge_class_size, f"slot {index}: {size} should be huge")
            else:
                _expect(size == 0 and flags == 0, f"slot {index}: empty slot with state")
        _expect(objects == self.pool.live_objects,
                f"{objects} slots hold objects, pool has {self.pool.live_objects}")
        for name, found in (("same_pages", same), ("huge_pages", huge),
                            ("pages_stored", stored), ("compr_data_size", compr)):
            _expect(getattr(self, name) == found, f"{name} is {getattr(self, name)}, "
                                                  f"slots say {found}")
        _expect(self.max_used_pages >= 0 and self.huge_pages_since >= self.huge_pages,
                "huge_pages_since fell below huge_pages")

    def config(self) -> dict:
        """Everything needed to build the same device again."""
        return {"disksize": self.disksize, "algorithm": self.algorithm,
                "params": self.compressor.params(), "page_size": self.page_size,
                "chain_size": self.geometry.chain_size, "chain_rule": self.geometry.rule,
                "mem_limit": self.limit_pages * self.page_size,
                "huge_class_size": self.huge_class_size}


class DeviceInvariantError(AssertionError):
    """check() found the slot table and the counters in disagreement."""


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise DeviceInvariantError(message)
