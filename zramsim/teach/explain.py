"""``explain SIZE``: everything zsmalloc decides about one object size, with reasons.

A student asks "where does a page that compressed to 1560 bytes go, and what
does it cost?" The answer is a chain of small decisions, each shown here:

1. zs_malloc adds an 8-byte handle header: 1560 + 8 = 1568 bytes;
2. the size class is the next multiple of 16 from 32: index
   ceil((1568 - 32) / 16) = 96, class size 1568 (a merged index names the
   larger class it shares pages and objects with);
3. the chain length: for every length 1..8 pages, the tail no object can use:
   1 -> 960 B, 2 -> 352, 3 -> 1312, 4 -> 704, 5 -> 96, 6 -> 1056, 7 -> 448,
   8 -> 1408; the least waste wins: 5 pages, 13 objects (a power-of-two class
   fills one page exactly and stops there);
4. huge or not: requests of ``huge_class_size`` (3625) or more share nothing:
   one object per page, stored raw by zram;
5. what 1000 of them cost: ceil(1000 / 13) = 77 zspages = 385 pages, against
   500 pages if each object had to fit inside one 0-order page (two 1568-byte
   objects per page: the weakness of xvmalloc that chaining removes).

``explain()`` returns the numbers as a frozen ``Explanation``; ``render_text``
words them. Both use ``allocator.geometry`` only, so they cannot disagree with
the pool.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from allocator import HANDLE_SIZE, Geometry, ObjectSizeError, class_index
from allocator.single_page import SinglePageAllocator
from zramsim.sizes import human_size


@dataclass(frozen=True)
class ChainOption:
    """One candidate chain length for a class: objects it holds and tail bytes lost."""

    pages: int
    objs: int
    waste: int
    used_percent: int    # integer percent of the chain holding objects (pre-6.3 criterion)


@dataclass(frozen=True)
class Explanation:
    """How zsmalloc stores objects of ``size`` bytes, and what ``count`` of them cost."""

    size: int
    page_size: int
    chain_size: int
    chain_rule: str
    with_header: int             # size + 8 (the handle header)
    nominal_index: int           # class index of with_header before merging
    class_index: int             # representative class actually used
    class_size: int
    pages_per_zspage: int
    objs_per_zspage: int
    chain: tuple[ChainOption, ...]   # every chain length 1..chain_size
    power_of_two: bool
    huge: bool                   # one object per one-page zspage (no header stored)
    huge_class_size: int
    rounding: int                # bytes of the class beyond the request and header
    tail_waste: int              # bytes per zspage no object can use
    count: int
    zspages: int                 # zspages for ``count`` objects
    pages: int                   # their page frames
    single_class_size: int       # class when objects may not span pages (chain of 1)
    single_objs_per_page: int
    single_pages: int            # page frames for ``count`` objects without spanning

    @property
    def wasted_per_object(self) -> float:
        """Bytes lost per object when zspages are full: class - size + tail / objs."""
        return self.class_size - self.size + self.tail_waste / self.objs_per_zspage

    @property
    def bytes_used(self) -> int:
        """pages x page size for ``count`` objects."""
        return self.pages * self.page_size

    @property
    def single_bytes_used(self) -> int:
        return self.single_pages * self.page_size

    def as_dict(self) -> dict:
        """JSON-ready: field names as keys, chain options as dicts."""
        return {**asdict(self), "wasted_per_object": round(self.wasted_per_object, 2)}


def explain(size: int, geometry: Geometry | None = None, count: int = 1000) -> Explanation:
    """Explain a request of ``size`` bytes (1 .. page size); ``count`` objects' cost.

    >>> e = explain(1560)
    >>> (e.class_size, e.pages_per_zspage, e.objs_per_zspage, e.pages, e.single_pages)
    (1568, 5, 13, 385, 500)
    """
    geo = geometry or Geometry()
    page = geo.page_size
    if not 0 < size <= page:
        raise ObjectSizeError(f"an object is 1 to {page} bytes, not {size}")
    if count < 1:
        raise ValueError(f"count must be >= 1, not {count}")
    cls = geo.class_for_request(size)
    chain = tuple(ChainOption(n, n * page // cls.size, n * page % cls.size,
                              (n * page - n * page % cls.size) * 100 // (n * page))
                  for n in range(1, geo.chain_size + 1))
    header = 0 if cls.huge else HANDLE_SIZE
    zspages = -(-count // cls.objs_per_zspage)
    single = SinglePageAllocator(page)
    single_objs = single.objects_per_page(size)
    return Explanation(
        size=size, page_size=page, chain_size=geo.chain_size, chain_rule=geo.rule,
        with_header=size + HANDLE_SIZE,
        nominal_index=class_index(size + HANDLE_SIZE, page),
        class_index=cls.index, class_size=cls.size,
        pages_per_zspage=cls.pages_per_zspage, objs_per_zspage=cls.objs_per_zspage,
        chain=chain, power_of_two=cls.size & (cls.size - 1) == 0, huge=cls.huge,
        huge_class_size=geo.huge_class_size,
        rounding=cls.size - size - header,
        tail_waste=cls.tail_waste(page),
        count=count, zspages=zspages, pages=zspages * cls.pages_per_zspage,
        single_class_size=single.class_size(size), single_objs_per_page=single_objs,
        single_pages=-(-count // single_objs),
    )


def _n(count: int, noun: str) -> str:
    """``1 page``, ``5 pages``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def render(e: Explanation, fmt: str = "table") -> str:
    """The explanation in words (``table``) or as JSON."""
    return json.dumps(e.as_dict(), indent=2) if fmt == "json" else render_text(e)


def render_text(e: Explanation) -> str:
    """The explanation in words, one decision per paragraph."""
    lines = [f"object of {e.size} bytes ({e.page_size}-byte pages, "
             f"chain limit {e.chain_size}, {e.chain_rule} rule)"]
    if e.huge:
        lines.append(f"  + {HANDLE_SIZE}-byte handle = {e.with_header} bytes -> huge class "
                     f"{e.class_index} ({e.class_size} bytes)")
    else:
        lines.append(f"  + {HANDLE_SIZE}-byte handle header = {e.with_header} bytes "
                     f"-> size class {e.class_index} ({e.class_size} bytes)")
    if e.nominal_index != e.class_index:
        lines.append(f"  (index {e.nominal_index} is merged into class {e.class_index}: "
                     f"same pages and objects per zspage)")
    lines.append("  chain length   pages  objects  tail waste  used")
    for opt in e.chain:
        mark = "  <- chosen" if opt.pages == e.pages_per_zspage else ""
        lines.append(f"  {'':12} {opt.pages:6} {opt.objs:8} {opt.waste:11} "
                     f"{opt.used_percent:4}%{mark}")
    if e.power_of_two:
        why = "a power of two fills one page exactly"
    elif e.chain_rule == "min-waste":
        why = "the least tail waste, shorter chain on ties"
    else:
        why = "the highest integer percent used, shorter chain on ties"
    lines.append(f"  {_n(e.pages_per_zspage, 'page')} per zspage ({why}), "
                 f"{_n(e.objs_per_zspage, 'object')} per zspage")
    header = 0 if e.huge else HANDLE_SIZE
    lines.append(f"  each object: {e.size} data + {header} header + {e.rounding} rounding "
                 f"= {e.class_size} bytes; each zspage loses {e.tail_waste} bytes of tail")
    if e.huge:
        lines.append(f"  huge: yes (requests of {e.huge_class_size} bytes or more get a page "
                     f"each; zram stores such a page raw, {e.page_size} bytes)")
    else:
        lines.append(f"  huge: no (huge from {e.huge_class_size} bytes)")
    lines.append(f"  {_n(e.count, 'such object')}: {_n(e.zspages, 'zspage')} = "
                 f"{_n(e.pages, 'page')} ({human_size(e.bytes_used)})")
    lines.append(f"  without spanning (single 0-order pages): {e.single_objs_per_page} per "
                 f"page in class {e.single_class_size} -> {_n(e.single_pages, 'page')} "
                 f"({human_size(e.single_bytes_used)})")
    return "\n".join(lines) + "\n"
