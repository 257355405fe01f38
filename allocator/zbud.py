"""zbud: at most two compressed objects ("buddies") per page, nothing spans pages.

zbud (zswap's first allocator) trades density for simplicity: a page holds one
object left-aligned after a small header and one right-aligned at the end, so
reclaiming a page never means moving more than two objects. Sizes are counted
in *chunks* of page/64 bytes (64 at 4 KiB); the header takes the first chunk,
leaving 63. An object of more than 63 - 1 = 62 chunks (3968 bytes) cannot be
stored at all: zbud refuses it, and zram-sized huge objects (4096) with it.

Placement follows zbud: pages with one buddy free sit on "unbuddied" lists
indexed by their free chunks; an allocation takes the head of the first
non-empty list with at least enough free chunks (best fit), else a new page.
A page whose objects are all freed goes back at once. No compaction.

Worked example (4 KiB pages): objects of 1200 bytes take ceil(1200/64) = 19
chunks. The first opens a page (63 - 19 = 44 chunks free), the second becomes
its last buddy (25 chunks free, but there is no third buddy), so 2 objects per
page: 1000 objects need 500 pages, where zsmalloc (class 1216: 3 pages, 10
objects) needs 300. Each page's 4096 bytes: 2400 requested + 64 header
+ 2*19*64 - 2400 = 32 chunk rounding + 25*64 = 1600 in free chunks.

Simplifications: handles are plain integers, not encoded page addresses; no
LRU or reclaim (``zbud_reclaim_page``) is modelled.
"""

from __future__ import annotations

from allocator.errors import InvariantError
from allocator.object_table import ObjectTable
from allocator.stats import Fragmentation

CHUNKS_ORDER = 6             # a page is split into 2**6 chunks


class _BuddyPage:
    """A page holding up to ``max_objects`` objects, or one headless object."""

    __slots__ = ("objects", "headless")

    def __init__(self, headless: bool = False) -> None:
        self.objects: dict[int, int] = {}    # handle -> chunks
        self.headless = headless

    def used_chunks(self) -> int:
        return sum(self.objects.values())


class BuddyAllocator(ObjectTable):
    """Pages of ``max_objects`` chunk-rounded objects after a one-chunk header."""

    name = "buddy"
    max_objects = 2
    allow_headless = False

    def __init__(self, page_size: int = 4096) -> None:
        self.chunk_size = page_size >> CHUNKS_ORDER
        self.header_size = self.chunk_size               # the header, rounded to a chunk
        self.nchunks = (page_size - self.header_size) // self.chunk_size    # 63
        self.max_buddy = page_size - self.header_size - self.chunk_size     # 3968
        super().__init__(page_size, page_size if self.allow_headless else self.max_buddy)
        self._pages: dict[int, _BuddyPage] = {}
        self._unbuddied: list[dict[int, None]] = [{} for _ in range(self.nchunks + 1)]
        self._where: dict[int, int] = {}     # handle -> page id
        self._next_page = 1

    @property
    def total_pages(self) -> int:
        """Page frames held now."""
        return len(self._pages)

    def chunks(self, size: int) -> int:
        """Chunks a ``size``-byte object takes: ceil(size / 64) at 4 KiB."""
        return -(-size // self.chunk_size)

    def _free_chunks(self, page: _BuddyPage) -> int:
        return self.nchunks - page.used_chunks()

    def _listed_in(self, page: _BuddyPage) -> int | None:
        """Unbuddied list a page belongs on: its free chunks, or None if it takes no more."""
        if page.headless or len(page.objects) >= self.max_objects:
            return None
        free = self._free_chunks(page)
        return free if free > 0 else None

    def _place(self, handle: int, size: int) -> None:
        if size > self.max_buddy:                        # z3fold only: a page of its own
            page_id = self._new_page(headless=True)
            self._pages[page_id].objects[handle] = self.nchunks + 1
            self._where[handle] = page_id
            return
        need = self.chunks(size)
        page_id = None
        for free in range(need, self.nchunks + 1):
            if self._unbuddied[free]:
                page_id = self._unbuddied[free].popitem()[0]
                break
        if page_id is None:
            page_id = self._new_page()
        page = self._pages[page_id]
        page.objects[handle] = need
        self._where[handle] = page_id
        self._relist(page_id)

    def _new_page(self, headless: bool = False) -> int:
        page_id = self._next_page
        self._next_page += 1
        self._pages[page_id] = _BuddyPage(headless)
        return page_id

    def _relist(self, page_id: int) -> None:
        """Put a page (already off every list) on the list its free chunks say."""
        free = self._listed_in(self._pages[page_id])
        if free is not None:
            self._unbuddied[free][page_id] = None

    def _remove(self, handle: int) -> None:
        page_id = self._where.pop(handle)
        page = self._pages[page_id]
        listed = self._listed_in(page)
        if listed is not None:
            del self._unbuddied[listed][page_id]
        del page.objects[handle]
        if page.objects:
            self._relist(page_id)
        else:
            del self._pages[page_id]

    def fragmentation(self) -> Fragmentation:
        """Bytes of the held pages: headers, chunk rounding and free chunks.

        A headless page's whole remainder counts as rounding; there is no tail waste
        (a page is exactly 64 chunks).
        """
        requested = sum(self._sizes.values())
        headers = rounding = unused = 0
        for page in self._pages.values():
            if page.headless:
                rounding += self.page_size
                continue
            headers += self.header_size
            used = page.used_chunks()
            rounding += used * self.chunk_size
            unused += (self.nchunks - used) * self.chunk_size
        return Fragmentation(requested, headers, rounding - requested, unused, 0)

    def check(self) -> None:
        """Objects per page, chunks per page and list membership all agree."""
        seen: set[int] = set()
        listed = {page_id: free for free, pages in enumerate(self._unbuddied)
                  for page_id in pages}
        for page_id, page in self._pages.items():
            _expect(bool(page.objects), f"empty page {page_id} was not released")
            if page.headless:
                _expect(len(page.objects) == 1, f"headless page {page_id} holds several")
            else:
                _expect(len(page.objects) <= self.max_objects,
                        f"page {page_id} holds {len(page.objects)} objects")
                _expect(page.used_chunks() <= self.nchunks, f"page {page_id} overflows")
            _expect(listed.get(page_id) == self._listed_in(page),
                    f"page {page_id} on list {listed.get(page_id)}, "
                    f"should be {self._listed_in(page)}")
            for handle, chunks in page.objects.items():
                _expect(handle not in seen, f"handle {handle} is live twice")
                _expect(self._where.get(handle) == page_id, f"handle {handle} misplaced")
                size = self._sizes.get(handle, 0)
                _expect(page.headless or chunks == self.chunks(size),
                        f"handle {handle}: {chunks} chunks for {size} bytes")
                seen.add(handle)
        _expect(set(listed) <= set(self._pages), "a released page is still listed")
        _expect(seen == set(self._sizes), "live handles and placed objects differ")


class ZbudAllocator(BuddyAllocator):
    """zbud: first and last buddy, objects up to page - 2 chunks (3968 bytes).

    >>> a = ZbudAllocator()
    >>> _ = [a.malloc(1200) for _ in range(3)]; a.total_pages
    2
    """

    name = "zbud"
    max_objects = 2


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise InvariantError(message)
