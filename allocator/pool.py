"""A zsmalloc pool: objects packed into zspages of chained page frames.

Why zsmalloc looks like this: a compressed page is an object of any size up to
a page. Giving each its own page wastes most of it; asking the kernel for
contiguous higher-order pages fails under the very memory pressure that zram is
used for. zsmalloc instead chains 0-order pages into a *zspage*, lays objects of
one *size class* end to end across the chain (an object may start in one page
and end in the next), and hands out opaque *handles*: a handle names a cell
that holds the object's location, so compaction can move the object and the
handle stays valid.

Behaviour follows Linux 6.18 (spec §1.5-§1.10):

* Each class keeps its zspages in 12 *fullness groups* by integer in-use ratio:
  group 0 empty, 11 full, else ``(100*inuse // objs) // 10 + 1``. A zspage is
  inserted at the *head* of its group's list; allocation takes the head of the
  first non-empty list scanning groups 10, 9, ..., 0, else builds a new zspage.
* A zspage's free slots form a LIFO list, initially 0, 1, 2, ... As in the
  kernel, the list lives in the slots themselves: a free slot holds the bitwise
  complement of the next free slot (so it is negative), a live slot its handle.
* Full zspages sit on no list: nothing ever takes one from group 11, so the
  count of full zspages is computed (all zspages minus the listed ones).
* A zspage whose last object is freed is released at once. Its id (``locate``,
  ``zspages``) is the next one a new zspage gets: most recently released first.
* ``compact()`` walks classes from the largest down, migrating objects from the
  emptiest zspages into the fullest ones.

Worked example (chain 8): a 100-byte request lands in class 112 (100 + 8 for
the handle header, rounded up by 16). Class 112 chains 7 pages holding 256
objects (28672 - 256*112 = 0 bytes of tail waste), so the first 100-byte object
costs 7 pages and the next 255 cost nothing more.

Data is optional. A pool used for sizes only (``malloc`` without ``write``)
never allocates page frames; the first write into a zspage gives it frames
(``allocator.page_frames``) on first use.
"""

from __future__ import annotations

import struct
from array import array
from typing import Iterator

from allocator.errors import InvalidHandle, InvariantError, ObjectOverflow, ObjectSizeError
from allocator.geometry import HANDLE_SIZE, Geometry, SizeClass, class_index
from allocator.page_frames import PageFrames
from allocator.stats import NO_FRAGMENTATION, ClassStats, Fragmentation, freeable_pages

EMPTY, FULL = 0, 11
N_GROUPS = 12
ALLOC_SCAN = tuple(range(10, -1, -1))     # groups malloc takes a zspage from, in order
DST_SCAN = tuple(range(10, 0, -1))        # compaction destination: fullest first
SRC_SCAN = tuple(range(1, 11))            # compaction source: emptiest first
_SLOT_BITS = 16                           # a location packs (zspage id << 16) | slot
_SLOT_MASK = (1 << _SLOT_BITS) - 1
_HEADER = struct.Struct("<Q")             # an allocated object's first word: handle << 1 | 1


def fullness_group(inuse: int, objs: int) -> int:
    """Fullness group of a zspage: 0 empty, 11 full, else ratio // 10 + 1.

    ``fullness_group(5, 13)`` = 38% -> group 4 (the "40%" column).
    """
    if inuse == 0:
        return EMPTY
    if inuse == objs:
        return FULL
    return (100 * inuse // objs) // 10 + 1


class _Class:
    """Mutable state of one size class: its group lists and object counters."""

    __slots__ = ("geo", "size", "pages", "objs", "huge", "groups", "group_of",
                 "obj_used", "zspage_count", "requested", "fresh_slots", "alloc_scan",
                 "data_offset")

    def __init__(self, geo: SizeClass) -> None:
        self.geo = geo
        self.size, self.pages, self.objs = geo.size, geo.pages_per_zspage, geo.objs_per_zspage
        self.huge = geo.huge
        self.data_offset = 0 if geo.huge else HANDLE_SIZE   # data follows the handle
        # One dict per group used as an ordered set; its *last* key is the list head.
        # Groups 0 (released at once) and 11 (never taken from) stay empty.
        self.groups: list[dict[_Zspage, None]] = [{} for _ in range(N_GROUPS)]
        # A new zspage's free list: slot k points at k + 1; slot objs - 1 at "none".
        self.fresh_slots = array("q", (~(k + 1) for k in range(self.objs)))
        self.group_of = bytes(fullness_group(i, self.objs) for i in range(self.objs + 1))
        # ALLOC_SCAN without the groups no listed zspage of this class can be in
        # (empty ones are released at once): 3 objects per zspage fill 33% or 67%,
        # so malloc looks at groups 7 and 4 only; the huge class looks at none.
        self.alloc_scan = tuple(g for g in ALLOC_SCAN if g in self.group_of[1:self.objs])
        self.obj_used = 0
        self.zspage_count = 0
        self.requested = 0

    def take_head(self, scan: tuple[int, ...]) -> _Zspage | None:
        """Remove and return the head zspage of the first non-empty group in ``scan``."""
        groups = self.groups
        for g in scan:
            if groups[g]:
                return groups[g].popitem()[0]
        return None

    def put_back(self, zspage: _Zspage) -> int:
        """Insert ``zspage`` at the head of the group its fullness says; return it.

        Empty and full zspages are listed nowhere (released, or never taken).
        """
        group = self.group_of[zspage.inuse]
        if EMPTY != group != FULL:
            self.groups[group][zspage] = None
        return group

    def full_zspages(self) -> int:
        """Zspages in group 11: every zspage not on a list."""
        return self.zspage_count - sum(len(self.groups[g]) for g in range(1, FULL))

    def can_compact(self) -> int:
        """Pages compaction could free: whole zspages' worth of free slots."""
        return freeable_pages(self.zspage_count * self.objs, self.obj_used, self.objs, self.pages)


class _Zspage:
    """A chain of ``pages`` page frames holding ``objs`` slots of one class.

    ``slots[k]`` is the handle of the object in slot k, or ``~next`` when slot k
    is free and ``next`` is the following free slot (``objs`` ends the list);
    ``freeobj`` is the head of that list.
    """

    __slots__ = ("cls", "zid", "inuse", "freeobj", "slots", "frames")

    def __init__(self, cls: _Class, zid: int) -> None:
        self.cls = cls
        self.zid = zid
        self.inuse = 0
        self.freeobj = 0
        self.slots = cls.fresh_slots[:]
        self.frames: list[memoryview] | None = None            # given on first write


class Pool:
    """A zsmalloc pool. ``malloc`` returns opaque integer handles (never 0).

    >>> pool = Pool()
    >>> h = pool.malloc(100)
    >>> pool.write(h, b"compressed page")
    >>> pool.read(h)[:15], pool.total_pages
    (b'compressed page', 7)
    >>> pool.free(h); pool.total_pages
    0
    """

    def __init__(self, geometry: Geometry | None = None) -> None:
        self.geometry = geometry or Geometry()
        self.page_size = self.geometry.page_size
        self._classes = [_Class(c) for c in self.geometry.classes]
        state = {c.geo.index: c for c in self._classes}
        by_index = [state[c.index] for c in self.geometry.by_index]
        # Request size -> class state, with the 8-byte header already accounted.
        self._class_for = [None] + [by_index[class_index(n + HANDLE_SIZE, self.page_size)]
                                    for n in range(1, self.page_size + 1)]
        self._frames = PageFrames(self.page_size)        # new and released page frames
        self._zspages: list[_Zspage | None] = [None]    # zspage id 0 is never used
        self._free_zids: list[int] = []
        self._loc = array("q", [0])                      # handle -> location, 0 = not live
        self._size = array("I", [0])                     # handle -> requested bytes
        self._free_handles: list[int] = []
        self.total_pages = 0        # zs_get_total_pages
        self.pages_compacted = 0    # running total of pages freed by compaction
        self.spanning_reads = 0     # reads that had to gather two fragments
        self.spanning_writes = 0    # writes that were split across a page boundary

    @property
    def live_objects(self) -> int:
        """Objects allocated and not yet freed."""
        return sum(cls.obj_used for cls in self._classes)

    # -- allocation -----------------------------------------------------------
    # malloc and free are the simulator's hot path: take_head and _locate are
    # written out inline here, and nothing is done that a later read could compute.

    def malloc(self, size: int, data: bytes | None = None) -> int:
        """Allocate an object of ``size`` bytes (1 .. page size) and return its handle.

        ``data``, if given, is written into the object at once (as ``write`` does).
        """
        if not 0 < size <= self.page_size:
            raise ObjectSizeError(f"cannot allocate {size} bytes: "
                                  f"objects are 1 to {self.page_size} bytes")
        cls = self._class_for[size]
        groups = cls.groups
        for group in cls.alloc_scan:           # the head of the fullest non-full group
            if groups[group]:
                zspage = groups[group].popitem()[0]
                break
        else:
            zspage = self._new_zspage(cls)
        if self._free_handles:
            handle = self._free_handles.pop()
        else:
            handle = len(self._loc)
            self._loc.append(0)
            self._size.append(0)
        slots = zspage.slots
        slot = zspage.freeobj
        zspage.freeobj = ~slots[slot]
        slots[slot] = handle
        inuse = zspage.inuse + 1
        zspage.inuse = inuse
        group = cls.group_of[inuse]
        if group != FULL:
            groups[group][zspage] = None
        self._loc[handle] = zspage.zid << _SLOT_BITS | slot
        self._size[handle] = size
        cls.obj_used += 1
        cls.requested += size
        if data is not None:
            if len(data) > size:
                self.free(handle)
                raise ObjectOverflow(f"{len(data)} bytes do not fit in a {size}-byte object")
            self._put(zspage, slot, handle, data)
        return handle

    def _new_zspage(self, cls: _Class) -> _Zspage:
        zid = self._free_zids.pop() if self._free_zids else len(self._zspages)
        zspage = _Zspage(cls, zid)
        if zid == len(self._zspages):
            self._zspages.append(zspage)
        else:
            self._zspages[zid] = zspage
        cls.zspage_count += 1
        self.total_pages += cls.pages
        return zspage

    def _release(self, zspage: _Zspage) -> None:
        """Return an empty zspage's frames; it must already be off its group list."""
        cls = zspage.cls
        cls.zspage_count -= 1
        self.total_pages -= cls.pages
        self._zspages[zspage.zid] = None
        self._free_zids.append(zspage.zid)
        if zspage.frames is not None:
            self._frames.give_back(zspage.frames)
        zspage.frames = None

    def _frames_for(self, zspage: _Zspage) -> list[memoryview]:
        """A zspage's page frames, given on first use: recycled ones first, then new.

        A recycled frame keeps its old bytes, like a page fresh from the kernel's
        allocator; every object is written before it is read.
        """
        if zspage.frames is None:
            zspage.frames = self._frames.take(zspage.cls.pages)
        return zspage.frames

    def _locate(self, handle: int) -> tuple[_Zspage, int]:
        loc = self._loc[handle] if 0 < handle < len(self._loc) else 0
        if not loc:
            raise InvalidHandle(f"handle {handle} is not allocated")
        return self._zspages[loc >> _SLOT_BITS], loc & _SLOT_MASK  # type: ignore[return-value]

    def free(self, handle: int) -> None:
        """Free an object; its zspage is released when it becomes empty."""
        try:
            loc = self._loc[handle]
        except (IndexError, TypeError):
            loc = 0
        if not loc or handle <= 0:
            raise InvalidHandle(f"handle {handle} is not allocated")
        zspage = self._zspages[loc >> _SLOT_BITS]
        slot = loc & _SLOT_MASK
        zspage.slots[slot] = ~zspage.freeobj   # push onto the free list: LIFO reuse
        zspage.freeobj = slot
        cls = zspage.cls
        inuse = zspage.inuse
        old, new = cls.group_of[inuse], cls.group_of[inuse - 1]
        zspage.inuse = inuse - 1
        if old != new:
            if old != FULL:
                del cls.groups[old][zspage]
            if new == EMPTY:
                self._release(zspage)
            else:
                cls.groups[new][zspage] = None
        cls.obj_used -= 1
        cls.requested -= self._size[handle]
        self._loc[handle] = 0
        self._free_handles.append(handle)

    # -- data -----------------------------------------------------------------

    def size_of(self, handle: int) -> int:
        """Bytes requested when the object was allocated."""
        self._locate(handle)
        return self._size[handle]

    def write(self, handle: int, data: bytes) -> None:
        """Store ``data`` in the object, splitting it across a page boundary if needed."""
        zspage, slot = self._locate(handle)
        if len(data) > self._size[handle]:
            raise ObjectOverflow(f"{len(data)} bytes do not fit in a "
                                 f"{self._size[handle]}-byte object")
        self._put(zspage, slot, handle, data)

    def _put(self, zspage: _Zspage, slot: int, handle: int, data: bytes) -> None:
        """Write the header (handle with the allocated tag bit) and the data of a slot."""
        cls = zspage.cls
        frames = zspage.frames or self._frames_for(zspage)
        page, off = divmod(slot * cls.size + cls.data_offset, self.page_size)
        frame = frames[page]
        if cls.data_offset:
            _HEADER.pack_into(frame, off - HANDLE_SIZE, handle << 1 | 1)
        end = off + len(data)
        if end <= self.page_size:
            frame[off:end] = data
        else:
            self.spanning_writes += 1
            first = self.page_size - off
            frame[off:] = data[:first]
            frames[page + 1][:end - self.page_size] = data[first:]

    def read(self, handle: int) -> bytes:
        """The object's bytes (as many as were requested), gathered across pages."""
        zspage, slot = self._locate(handle)
        n = self._size[handle]
        frames = zspage.frames
        if frames is None:       # never written: a sizes-only object reads as zeros
            return bytes(n)
        cls = zspage.cls
        page, off = divmod(slot * cls.size + cls.data_offset, self.page_size)
        first = self.page_size - off
        if n <= first:
            return bytes(frames[page][off:off + n])
        self.spanning_reads += 1
        return bytes(frames[page][off:]) + bytes(frames[page + 1][:n - first])

    # -- compaction -----------------------------------------------------------

    def compact(self) -> int:
        """Migrate objects to free whole zspages; return the pages freed by this call."""
        freed = sum(self._compact_class(cls) for cls in reversed(self._classes))
        self.pages_compacted += freed
        return freed

    def _compact_class(self, cls: _Class) -> int:
        freed = 0
        dst = None
        while cls.can_compact() > 0:
            if dst is None:
                dst = cls.take_head(DST_SCAN)
                if dst is None:
                    break
            src = cls.take_head(SRC_SCAN)
            if src is None:
                break
            self._migrate(src, dst)
            if cls.put_back(src) == EMPTY:
                self._release(src)
                freed += cls.pages
            if dst.inuse == cls.objs:
                cls.put_back(dst)
                dst = None
        if dst is not None:
            cls.put_back(dst)
        return freed

    def _migrate(self, src: _Zspage, dst: _Zspage) -> None:
        """Move objects in ascending slot order until ``dst`` is full or ``src`` empty."""
        size = src.cls.size
        for slot in range(src.cls.objs):
            handle = src.slots[slot]
            if handle < 0:
                continue
            new_slot = dst.freeobj
            dst.freeobj = ~dst.slots[new_slot]
            dst.slots[new_slot] = handle
            dst.inuse += 1
            if src.frames is not None:
                frames = dst.frames or self._frames_for(dst)
                _copy_object(src.frames, slot * size, frames, new_slot * size, size,
                             self.page_size)
            self._loc[handle] = dst.zid << _SLOT_BITS | new_slot
            src.slots[slot] = ~src.freeobj
            src.freeobj = slot
            src.inuse -= 1
            if dst.inuse == dst.cls.objs or src.inuse == 0:
                break

    # -- statistics and checks ------------------------------------------------

    def class_stats(self) -> list[ClassStats]:
        """One row per distinct class, ascending index, as debugfs ``classes``."""
        return [self._class_row(cls) for cls in self._classes]

    def _class_row(self, cls: _Class) -> ClassStats:
        allocated = cls.zspage_count * cls.objs
        header = 0 if cls.huge else HANDLE_SIZE
        frag = Fragmentation(
            requested=cls.requested,
            headers=header * cls.obj_used,
            class_rounding=cls.obj_used * (cls.size - header) - cls.requested,
            unused_slots=(allocated - cls.obj_used) * cls.size,
            tail_waste=cls.zspage_count * cls.geo.tail_waste(self.page_size),
        )
        groups = tuple(len(cls.groups[g]) for g in range(1, FULL)) + (cls.full_zspages(),)
        return ClassStats(cls.geo.index, cls.size, groups,
                          allocated, cls.obj_used, cls.pages, cls.objs, frag)

    def fragmentation(self) -> Fragmentation:
        """The pool's bytes by use; ``.total`` equals total_pages x page size."""
        total = NO_FRAGMENTATION
        for row in self.class_stats():
            total = total + row.fragmentation
        return total

    def handles(self) -> Iterator[int]:
        """Every live handle, in no particular order."""
        return (h for h in range(1, len(self._loc)) if self._loc[h])

    def zspages(self) -> Iterator[tuple[SizeClass, int, list[int]]]:
        """(class, zspage id, handle per slot with 0 for free) of every live zspage."""
        for zspage in self._zspages:
            if zspage is not None:
                yield zspage.cls.geo, zspage.zid, [max(h, 0) for h in zspage.slots]

    def locate(self, handle: int) -> tuple[int, int]:
        """(zspage id, slot) of a live object: for teaching displays, not for access."""
        zspage, slot = self._locate(handle)
        return zspage.zid, slot

    def check(self) -> None:
        """Walk every structure; raise InvariantError on the first broken invariant."""
        seen: set[int] = set()
        for cls in self._classes:
            _expect(not cls.groups[EMPTY] and not cls.groups[FULL],
                    f"class {cls.size}: an empty or full zspage is on a list")
            for group in range(1, FULL):
                for zspage in cls.groups[group]:
                    _expect(zspage.cls is cls, f"zspage {zspage.zid} listed in a foreign class")
                    _expect(self._zspages[zspage.zid] is zspage,
                            f"zspage {zspage.zid} listed but not live")
                    _expect(cls.group_of[zspage.inuse] == group,
                            f"zspage {zspage.zid} in group {group}, fullness says "
                            f"{cls.group_of[zspage.inuse]}")
        counted = {id(cls): [0, 0] for cls in self._classes}   # zspages, objects
        pages = 0
        for zid, zspage in enumerate(self._zspages):
            if zspage is None:
                continue
            cls = zspage.cls
            _expect(zspage.zid == zid, f"zspage {zspage.zid} stored under id {zid}")
            group = cls.group_of[zspage.inuse]
            _expect(group != EMPTY, f"empty zspage {zid} was not released")
            _expect(group == FULL or zspage in cls.groups[group],
                    f"zspage {zid} is missing from group {group}")
            counted[id(cls)][0] += 1
            counted[id(cls)][1] += self._check_zspage(zspage, seen)
            pages += cls.pages
        for cls in self._classes:
            zspages, used = counted[id(cls)]
            _expect(zspages == cls.zspage_count,
                    f"class {cls.size}: {zspages} zspages found, {cls.zspage_count} counted")
            _expect(used == cls.obj_used,
                    f"class {cls.size}: {used} objects found, {cls.obj_used} counted")
        _expect(pages == self.total_pages, f"{pages} pages found, {self.total_pages} counted")
        _expect(len(seen) == self.live_objects,
                f"{len(seen)} objects found, {self.live_objects} counted")
        for handle in range(1, len(self._loc)):
            _expect(bool(self._loc[handle]) == (handle in seen),
                    f"handle {handle} table entry disagrees with the zspages")

    def _check_zspage(self, zspage: _Zspage, seen: set[int]) -> int:
        """Check slot/handle/free-list agreement of one zspage; return its live count."""
        objs = zspage.cls.objs
        free: set[int] = set()
        slot = zspage.freeobj
        while slot != objs:
            _expect(0 <= slot < objs and slot not in free,
                    f"zspage {zspage.zid}: free list broken at slot {slot}")
            _expect(zspage.slots[slot] < 0, f"zspage {zspage.zid}: slot {slot} live and free")
            free.add(slot)
            slot = ~zspage.slots[slot]
        live = 0
        for slot, handle in enumerate(zspage.slots):
            if handle > 0:
                _expect(handle not in seen, f"handle {handle} is live twice")
                _expect(self._loc[handle] == zspage.zid << _SLOT_BITS | slot,
                        f"handle {handle} points elsewhere than slot {slot}")
                seen.add(handle)
                live += 1
            else:
                _expect(slot in free, f"zspage {zspage.zid}: slot {slot} lost")
        _expect(live == zspage.inuse, f"zspage {zspage.zid}: {live} live, inuse {zspage.inuse}")
        return live


def _copy_object(src: list[memoryview], src_at: int, dst: list[memoryview], dst_at: int,
                 size: int, page_size: int) -> None:
    """Copy ``size`` bytes between linear chain offsets, page fragment by fragment."""
    done = 0
    while done < size:
        sp, so = divmod(src_at + done, page_size)
        dp, do = divmod(dst_at + done, page_size)
        n = min(size - done, page_size - so, page_size - do)
        dst[dp][do:do + n] = src[sp][so:so + n]
        done += n


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise InvariantError(message)
