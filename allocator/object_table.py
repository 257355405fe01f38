"""What the simple comparison allocators share: handles, sizes and the bytes.

single-page, zbud and z3fold differ only in where an object goes and how many
pages that takes. Issuing handles, checking sizes and keeping each object's
bytes is the same for all three, so it lives here once; a subclass supplies
``_place(handle, size)`` and ``_remove(handle)`` and counts its pages.

Example: ``malloc(100)`` returns handle 1, ``malloc(50)`` handle 2; after
``free(1)`` the next ``malloc`` gets handle 1 back (freed handles are reused
last-freed first). A 100-byte object written with 10 bytes reads back as those
10 bytes and 90 zeros.
"""

from __future__ import annotations

from typing import Iterator

from allocator.errors import InvalidHandle, ObjectOverflow, ObjectSizeError


class ObjectTable:
    """Handles, sizes and bytes of live objects: the part every simple allocator shares.

    A subclass places objects (``_place(handle, size)``, ``_remove(handle)``) and
    counts pages; this class checks sizes, issues handles and keeps the data.
    Freed handles are reused last-freed first.
    """

    name = "abstract"

    def __init__(self, page_size: int, max_size: int) -> None:
        self.page_size = page_size
        self.max_size = max_size
        self._sizes: dict[int, int] = {}
        self._data: dict[int, bytes] = {}
        self._next_handle = 1
        self._free_handles: list[int] = []

    def malloc(self, size: int) -> int:
        """Allocate ``size`` bytes (1 .. max_size) and return a fresh handle."""
        if not 0 < size <= self.max_size:
            raise ObjectSizeError(f"{self.name} cannot allocate {size} bytes: "
                                  f"objects are 1 to {self.max_size} bytes")
        if self._free_handles:
            handle = self._free_handles.pop()
        else:
            handle = self._next_handle
            self._next_handle += 1
        self._place(handle, size)
        self._sizes[handle] = size
        return handle

    def free(self, handle: int) -> None:
        """Free a live object; its page goes back when nothing is left in it."""
        self.size_of(handle)
        self._remove(handle)
        del self._sizes[handle]
        self._data.pop(handle, None)
        self._free_handles.append(handle)

    def size_of(self, handle: int) -> int:
        """Bytes requested for a live handle."""
        try:
            return self._sizes[handle]
        except KeyError:
            raise InvalidHandle(f"handle {handle} is not allocated") from None

    def write(self, handle: int, data: bytes) -> None:
        """Store ``data`` (at most the allocated size) in the object."""
        size = self.size_of(handle)
        if len(data) > size:
            raise ObjectOverflow(f"{len(data)} bytes do not fit in a {size}-byte object")
        self._data[handle] = bytes(data)

    def read(self, handle: int) -> bytes:
        """The object's ``size`` bytes; never-written bytes read as zeros."""
        size = self.size_of(handle)
        data = self._data.get(handle, b"")
        return data + bytes(size - len(data))

    def handles(self) -> Iterator[int]:
        """Every live handle."""
        return iter(list(self._sizes))

    def compact(self) -> int:
        """No compaction: objects never move. Frees 0 pages."""
        return 0

    def _place(self, handle: int, size: int) -> None:
        raise NotImplementedError

    def _remove(self, handle: int) -> None:
        raise NotImplementedError
