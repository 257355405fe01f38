"""zsmalloc without chaining: size classes whose "zspages" are single 0-order pages.

zsmalloc's design note explains why it chains pages: if a zspage were one page,
an object could not cross into a next page, so every object of half a page or
more would need a page to itself (the weakness of its predecessor, xvmalloc).
This allocator is that counterfactual, built with zsmalloc's own rules except
the chain: the same 16-byte size classes, the same 8-byte handle header, the
same merging of classes with equal objects per page, one page per zspage.

Worked example (4 KiB pages): a 2100-byte object needs 2108 bytes with its
header; two do not fit in 4096, so the class holds one object per page and
wastes 4096 - 2100 = 1996 bytes of every page. zsmalloc puts 15 such objects
in 8 chained pages (class 2176) and wastes 8*4096 - 15*2176 = 128 bytes per
zspage. A 1560-byte object fits twice per page here (every size from 1376 to
2048 holds two per page, so they merge into class 2048), losing 960 bytes per
page, against 96 bytes per 5 pages in zsmalloc's class 1568.

Placement mirrors zsmalloc's: a class takes the most recently used page that
still has a free slot (LIFO slot reuse), else a new page; an empty page goes
back at once. Nothing ever moves, so ``compact()`` frees nothing.
"""

from __future__ import annotations

from allocator.errors import InvariantError
from allocator.geometry import HANDLE_SIZE, class_count, class_index, nominal_size
from allocator.object_table import ObjectTable
from allocator.stats import Fragmentation


class _PageClass:
    """One size class of single pages: ``objs`` slots of ``size`` bytes each."""

    __slots__ = ("size", "objs", "huge", "partial")

    def __init__(self, size: int, objs: int) -> None:
        self.size, self.objs = size, objs
        self.huge = objs == 1            # a raw object filling the page: no header
        self.partial: dict[int, None] = {}   # pages with a free slot; last key = head


def single_page_classes(page_size: int) -> list[tuple[int, int, int]]:
    """(first index, size, objects per page) of each distinct class, ascending.

    Walking down from the page-sized class, an index merges into the next larger
    class when both hold the same number of objects per page.
    """
    out: list[tuple[int, int, int]] = []
    for index in range(class_count(page_size) - 1, -1, -1):
        size = nominal_size(index, page_size)
        objs = page_size // size
        if out and out[-1][2] == objs:
            out[-1] = (index, out[-1][1], objs)
        else:
            out.append((index, size, objs))
    out.reverse()
    return out


class SinglePageAllocator(ObjectTable):
    """Size classes in single pages; objects never span a page boundary.

    >>> a = SinglePageAllocator()
    >>> handles = [a.malloc(2100) for _ in range(3)]
    >>> a.total_pages          # one 2100-byte object per page
    3
    """

    name = "single-page"

    def __init__(self, page_size: int = 4096) -> None:
        super().__init__(page_size, page_size)
        table = single_page_classes(page_size)
        self._classes = [_PageClass(size, objs) for _, size, objs in table]
        firsts = [first for first, _, _ in table] + [class_count(page_size)]
        self._class_of_index = [cls for i, cls in enumerate(self._classes)
                                for _ in range(firsts[i], firsts[i + 1])]
        self._pages: dict[int, tuple[_PageClass, list[int]]] = {}   # id -> class, handle/slot
        self._free_slots: dict[int, list[int]] = {}
        self._where: dict[int, tuple[int, int]] = {}                 # handle -> page, slot
        self._next_page = 1
        self._requested = 0

    @property
    def total_pages(self) -> int:
        """Page frames held now."""
        return len(self._pages)

    def class_size(self, size: int) -> int:
        """Bytes a ``size``-byte request occupies: its class (header included)."""
        return self._class_for(size).size

    def objects_per_page(self, size: int) -> int:
        """How many ``size``-byte requests share one page."""
        return self._class_for(size).objs

    def _class_for(self, size: int) -> _PageClass:
        return self._class_of_index[class_index(size + HANDLE_SIZE, self.page_size)]

    def _place(self, handle: int, size: int) -> None:
        cls = self._class_for(size)
        if cls.partial:
            page = next(reversed(cls.partial))
        else:
            page = self._next_page
            self._next_page += 1
            self._pages[page] = (cls, [0] * cls.objs)
            self._free_slots[page] = list(range(cls.objs - 1, -1, -1))
            cls.partial[page] = None
        slots = self._free_slots[page]
        slot = slots.pop()
        self._pages[page][1][slot] = handle
        if not slots:
            del cls.partial[page]
        self._where[handle] = (page, slot)
        self._requested += size

    def _remove(self, handle: int) -> None:
        page, slot = self._where.pop(handle)
        cls, slot_handles = self._pages[page]
        slot_handles[slot] = 0
        slots = self._free_slots[page]
        slots.append(slot)
        self._requested -= self._sizes[handle]
        if len(slots) == cls.objs:
            cls.partial.pop(page, None)
            del self._pages[page], self._free_slots[page]
        else:
            cls.partial.pop(page, None)
            cls.partial[page] = None      # a page with a fresh hole becomes the head

    def fragmentation(self) -> Fragmentation:
        """Bytes of the held pages by use; ``total`` = pages x page size."""
        headers = rounding = unused = tail = 0
        for cls, slot_handles in self._pages.values():
            used = sum(1 for h in slot_handles if h)
            header = 0 if cls.huge else HANDLE_SIZE
            headers += header * used
            rounding += used * (cls.size - header)
            unused += (cls.objs - used) * cls.size
            tail += self.page_size - cls.objs * cls.size
        return Fragmentation(self._requested, headers, rounding - self._requested, unused, tail)

    def check(self) -> None:
        """Each live handle in exactly one slot; free lists and partial lists agree."""
        seen: set[int] = set()
        for page, (cls, slot_handles) in self._pages.items():
            free = self._free_slots[page]
            _expect(len(set(free)) == len(free), f"page {page}: a slot is free twice")
            for slot, handle in enumerate(slot_handles):
                _expect((handle == 0) == (slot in free), f"page {page}: slot {slot} "
                        f"free-list disagrees with its handle")
                if handle:
                    _expect(handle not in seen, f"handle {handle} is live twice")
                    _expect(self._where.get(handle) == (page, slot),
                            f"handle {handle} points elsewhere than page {page} slot {slot}")
                    _expect(self._class_for(self._sizes[handle]) is cls,
                            f"handle {handle} sits in a foreign class")
                    seen.add(handle)
            _expect(len(free) < cls.objs, f"empty page {page} was not released")
            _expect((page in cls.partial) == bool(free), f"page {page}: partial list wrong")
        _expect(seen == set(self._sizes), "live handles and placed objects differ")
        _expect(self._requested == sum(self._sizes.values()), "requested bytes miscounted")


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise InvariantError(message)
