"""One interface for every allocator we compare, and the registry that names them.

zsmalloc is one answer to "where do compressed pages go?". Others trade density
for simplicity: keep each object in a page of its own class without letting it
span pages (what zsmalloc's design note warns against), or pair objects up in
one page (zbud: at most 2) or three (z3fold). To compare them on one trace they
must be interchangeable, so each offers the same small surface:

* ``malloc(size) -> handle`` (opaque int, never 0), ``write(handle, data)``,
  ``read(handle) -> bytes`` (``size`` bytes), ``free(handle)``;
* ``total_pages`` (page frames held now), ``fragmentation()`` (where those
  pages' bytes go, the five fields of ``allocator.stats.Fragmentation``),
  ``compact()`` (pages freed; 0 where the allocator has no compaction),
  ``check()`` (walk the invariants, raise ``InvariantError``);
* ``name``, ``page_size`` and ``max_size`` (largest object accepted).

Worked example: 1000 objects of 2100 bytes. zsmalloc (2108 bytes with the
8-byte header, class 2176: 8 pages hold 15) needs ceil(1000/15) = 67 zspages = 536 pages;
single pages hold one each (2112 > 4096/2) = 1000 pages; zbud puts 2100 in 33
chunks of 64 bytes and a page has 63 chunks after its header, so again one per
page = 1000 pages.

``ALLOCATORS`` maps a name to a factory ``(page_size) -> allocator``; the
contract test and ``zramsim.teach.compare`` iterate over it.
"""

from __future__ import annotations

from typing import Callable, Iterator, Protocol, runtime_checkable

from allocator.geometry import Geometry
from allocator.pool import Pool
from allocator.single_page import SinglePageAllocator
from allocator.stats import Fragmentation
from allocator.z3fold import Z3foldAllocator
from allocator.zbud import ZbudAllocator


@runtime_checkable
class Allocator(Protocol):
    """What compare and the contract test need from an allocator."""

    name: str
    page_size: int
    max_size: int

    @property
    def total_pages(self) -> int: ...
    def malloc(self, size: int) -> int: ...
    def write(self, handle: int, data: bytes) -> None: ...
    def read(self, handle: int) -> bytes: ...
    def free(self, handle: int) -> None: ...
    def compact(self) -> int: ...
    def fragmentation(self) -> Fragmentation: ...
    def check(self) -> None: ...
    def handles(self) -> Iterator[int]: ...


class ZsmallocAllocator(Pool):
    """The zsmalloc pool under the comparison interface (nothing added but names)."""

    name = "zsmalloc"

    def __init__(self, page_size: int = 4096) -> None:
        super().__init__(Geometry(page_size))
        self.max_size = page_size


ALLOCATORS: dict[str, Callable[..., Allocator]] = {
    "zsmalloc": ZsmallocAllocator,
    "single-page": SinglePageAllocator,
    "zbud": ZbudAllocator,
    "z3fold": Z3foldAllocator,
}
