"""z3fold: up to three compressed objects per page, or one raw object alone.

z3fold extends zbud with a *middle* buddy between the first (after the header)
and the last (at the page end), raising the density limit from 2 to 3 objects
per page while keeping reclaim simple. Objects too large for a buddy (more
than page - header - one chunk, 3968 bytes at 4 KiB) are not refused as zbud
does: they get a *headless* page of their own, so z3fold accepts up to a page.

Worked example (4 KiB pages, 64-byte chunks, 63 usable): objects of 1200 bytes
take 19 chunks; three fit (57 chunks, 6 free), so 1000 objects need
ceil(1000/3) = 334 pages against zbud's 500 and zsmalloc's 300. Objects of
700 bytes (11 chunks) are still held to three per page: 1000 need 334 pages,
while zsmalloc's class 720 (3 pages, 17 objects) needs 177.

Simplifications, all in z3fold's favour or neutral: a page's free chunks are
counted as one run (the kernel moves the middle buddy to close gaps, but not
always); placement is best fit over lists indexed by free chunks, taking the
most recently listed page, as zbud does; the header is one chunk (the real
header is rounded to a chunk too, its size depends on the kernel config); no
per-CPU lists, no reclaim, no page migration; ``compact()`` frees nothing.
"""

from __future__ import annotations

from allocator.zbud import BuddyAllocator


class Z3foldAllocator(BuddyAllocator):
    """z3fold: first, middle and last buddy; headless pages for large objects.

    >>> a = Z3foldAllocator()
    >>> _ = [a.malloc(1200) for _ in range(3)] + [a.malloc(4096)]; a.total_pages
    2
    """

    name = "z3fold"
    max_objects = 3
    allow_headless = True
