"""Raw images: any file replayed as the pages written to a fresh device.

Copying a disk image, a core dump or a tarball onto ``/dev/zram0`` with ``dd``
writes its pages in order; a raw image reader yields exactly those writes, so
any file is a workload without conversion.  Page ``i`` is bytes
``i * page_size`` up to ``(i + 1) * page_size``; the last page is zero-padded.
A 10000-byte file at page size 4096 gives three events: ``W 0`` (bytes
0..4095), ``W 1`` (4096..8191) and ``W 2`` (8192..9999 then 2288 zero bytes).
An empty file gives none.
"""

from __future__ import annotations

import os

from workloads.contents import DEFAULT_PAGE_SIZE, fraction_read, page_size_problem
from workloads.errors import TraceFormatError
from workloads.events import WRITE, PageEvent


class RawImageReader:
    """Streams a file as sequential page writes ``W 0``, ``W 1``, ... (single pass).

    ``location()`` gives ``path:n`` with ``n`` the 1-based number of the last
    page yielded (page ``n - 1`` of the file).
    """

    format = "raw"

    def __init__(self, path: str | os.PathLike, *, page_size: int | None = None,
                 stream=None) -> None:
        """``stream``: the image already open (binary, at its start); ``path`` then names it."""
        page_size = DEFAULT_PAGE_SIZE if page_size is None else page_size
        problem = page_size_problem(page_size)
        if problem:
            raise ValueError(problem)
        self.path = os.fspath(path)
        self.page_size = page_size
        self._last = 0
        if stream is not None:
            self._file = stream
            return
        try:
            self._file = open(self.path, "rb")
        except OSError as exc:
            raise TraceFormatError(self.path, 0, f"cannot open image: {exc.strerror}") from None

    def location(self) -> str:
        """``path:n`` of the last page yielded (0 before the first)."""
        return f"{self.path}:{self._last}"

    def fraction_read(self) -> float:
        """Share of the file consumed so far (0.0 to 1.0), for progress displays."""
        return fraction_read(self._file)

    def __iter__(self):
        page_size = self.page_size
        read = self._file.read
        index = 0
        while True:
            page = read(page_size)
            if not page:
                return
            while len(page) < page_size:      # a pipe may hand over less: read on
                more = read(page_size - len(page))
                if not more:
                    page += bytes(page_size - len(page))
                    break
                page += more
            self._last = index + 1
            yield PageEvent(WRITE, index, page)
            index += 1

    def close(self) -> None:
        """Close the image file."""
        self._file.close()

    def __enter__(self) -> RawImageReader:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
