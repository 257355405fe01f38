"""Address spaces for swap-pressure experiments: pages and an access stream.

A swap-pressure run needs two things that the ``workloads`` package produces in
another shape. The *contents* of the address space come as page events (a
trace, a captured process, a generated mix): here the first write to each slot
becomes that page's initial contents, and pages the events never write are
zero pages. The *access stream* comes as ``(page, is_write)`` tuples from the
access patterns; a trace can be its own access stream, its later writes
carrying their new bytes.

By default a stream starts by touching every page once, in order (``populate``):
the workload first builds its memory, then works on it, so the whole address
space has to live somewhere -- in RAM, in zram, on disk -- and a RAM too small
for all of it (counting zram's own pages) shows up as an OOM. Worked example:
2000 pages, zipf, 100,000 accesses, populate: the stream has 102,000 accesses,
the first 2000 are first touches of pages 0..1999.

A ``Workload`` keeps a factory for its stream, so a sweep replays exactly the
same accesses for every RAM size, algorithm and baseline.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

from workloads.access import ACCESS_PATTERNS
from workloads.default import DEFAULT_MIX
from workloads.errors import BadOption, EmptyWorkload
from workloads.events import READ, WRITE
from workloads.memory_budget import require
from workloads.mixes import generate_trace, parse_mix

Access = tuple[int, "bool | bytes"]
# Memory per page of an address space in a swap-pressure run, beyond the page
# bytes themselves: contents and donor lists, page state, slot map and the
# free-slot heap come to about 81 bytes; 96 leaves room for the rest.
BYTES_PER_PAGE = 96


def _require_address_space(pages: int, page_bytes: int = 0) -> None:
    """MemoryBudgetError before building an address space that cannot fit."""
    require(pages * (BYTES_PER_PAGE + page_bytes),
            f"an address space of {pages:,} pages (slots 0 to {pages - 1:,})")


@dataclass(frozen=True)
class Workload:
    """An address space (``contents[p]``: bytes or an int compressed length) and
    a factory of identical access streams."""

    name: str
    contents: tuple
    stream: Callable[[], Iterator[Access]]
    seed: int = 0
    accesses: int = 0           # length of the stream, populate included

    @property
    def pages(self) -> int:
        return len(self.contents)


def contents_from_events(events: Iterable[tuple], page_size: int = 4096) -> list:
    """The first write to each slot, in slot order; unwritten slots are zero pages.

    >>> contents_from_events([("W", 1, b"a" * 4), ("W", 1, b"b" * 4), ("R", 0, None)], 4)
    [b'\\x00\\x00\\x00\\x00', b'aaaa']
    """
    first: dict[int, bytes | int] = {}
    for op, index, arg in events:
        if op == WRITE and index not in first:
            first[index] = arg
    if not first:
        raise EmptyWorkload("the events write no page: there is no address space")
    _require_address_space(max(first) + 1)
    zero = bytes(page_size)
    return [first.get(i, zero) for i in range(max(first) + 1)]


def _with_populate(pages: int, stream: Iterator[Access]) -> Iterator[Access]:
    for page in range(pages):
        yield page, False
    yield from stream


def pattern_workload(contents: list, pattern: str = "zipf", accesses: int = 100_000, *,
                     seed: int = 0, write_fraction: float = 0.0, populate: bool = True,
                     name: str = "", **params) -> Workload:
    """Contents with an access stream from ``workloads.access.ACCESS_PATTERNS``.

    ``params`` go to the pattern (e.g. ``s=1.2`` for zipf); ValueError names the
    patterns for an unknown one.
    """
    try:
        make = ACCESS_PATTERNS[pattern]
    except KeyError:
        raise BadOption(f"unknown access pattern {pattern!r}; "
                         f"choose from {', '.join(ACCESS_PATTERNS)}") from None
    unknown = sorted(set(params) - set(inspect.signature(make).parameters))
    if unknown:
        raise BadOption(f"the access pattern {pattern!r} takes no {', '.join(unknown)}")
    pages = len(contents)
    make(pages, 0, seed=seed, write_fraction=write_fraction, **params)   # validate now

    def stream() -> Iterator[Access]:
        s = make(pages, accesses, seed=seed, write_fraction=write_fraction, **params)
        return _with_populate(pages, s) if populate else s

    total = accesses + (pages if populate else 0)
    return Workload(name or f"{pattern}/{pages}", tuple(contents), stream, seed, total)


def mix_workload(pages: int, mix: Mapping[str, float] | str | None = None,
                 pattern: str = "zipf", accesses: int = 100_000, *, seed: int = 0,
                 write_fraction: float = 0.0, populate: bool = True,
                 page_size: int = 4096, **params) -> Workload:
    """Generated contents: ``mix`` is a kind name, a dict kind -> weight, or
    None / ``"default"`` for the default workload's mix."""
    if mix == "default":
        mix = None
    elif isinstance(mix, str):
        mix = parse_mix(mix)
    _require_address_space(pages, page_size)
    events = generate_trace(DEFAULT_MIX if mix is None else mix, pages, seed, page_size)
    name = f"{'default' if mix is None else mix}/{pattern}"
    return pattern_workload(contents_from_events(events, page_size), pattern, accesses,
                            seed=seed, write_fraction=write_fraction, populate=populate,
                            name=name, **params)


def trace_workload(events: Iterable[tuple], name: str = "trace",
                   page_size: int = 4096) -> Workload:
    """A trace as contents and its own access stream.

    Each write or read of slot i is an access to page i. The first write of a
    slot gives the page's initial contents (that access is the page's first
    touch); a later write replaces the page with its bytes (or, for a sizes-only
    write, counts as a write that keeps the size). Discards and compactions are
    not page accesses and are skipped.
    """
    seen: set[int] = set()
    stream: list[Access] = []
    first: dict[int, bytes | int] = {}
    for op, index, arg in events:
        if op == WRITE:
            if index in seen:
                stream.append((index, arg if type(arg) is bytes else True))
            else:
                seen.add(index)
                first[index] = arg
                stream.append((index, False))
        elif op == READ:
            seen.add(index)
            stream.append((index, False))
    if not stream:
        raise EmptyWorkload("the trace has no reads or writes")
    zero = bytes(page_size)
    pages = max(i for i, _ in stream) + 1
    _require_address_space(pages)
    contents = tuple(first.get(i, zero) for i in range(pages))
    frozen = tuple(stream)
    return Workload(name, contents, lambda: iter(frozen), 0, len(frozen))


def load_workload(*, trace: str | None = None, pid: int | None = None, pages: int = 4096,
                  mix: str | None = None, pattern: str = "zipf", accesses: int = 100_000,
                  seed: int = 0, write_fraction: float = 0.0, populate: bool = True,
                  allow_outside: bool = False, page_size: int = 4096,
                  input_format: str = "auto", **params) -> Workload:
    """The workload a command line describes: contents from a trace file, a live
    process (``pid``) or generated pages (``pages`` of ``mix``, default the default
    workload's mix); the stream from ``pattern``, or the trace's own reads and
    writes when ``pattern == "trace"``.

    ``input_format`` says what the trace file holds (``workloads.open_trace``).
    Raises TraceFormatError, CaptureError, MemoryBudgetError (workloads.errors)
    or ValueError.
    """
    if trace is not None and pid is not None:
        raise BadOption("give a trace or a process id, not both")
    if pattern == "trace":
        if trace is None:
            raise BadOption("the access pattern 'trace' needs a trace file")
        return trace_workload(_read_trace(trace, allow_outside, input_format), name=str(trace),
                              page_size=page_size)
    if trace is not None:
        events = _read_trace(trace, allow_outside, input_format)
        contents, name = contents_from_events(events, page_size), trace
    elif pid is not None:
        from workloads.capture import capture_process
        contents, name = contents_from_events(capture_process(pid), page_size), f"pid {pid}"
    else:
        return mix_workload(pages, mix, pattern, accesses, seed=seed,
                            write_fraction=write_fraction, populate=populate,
                            page_size=page_size, **params)
    return pattern_workload(contents, pattern, accesses, seed=seed,
                            write_fraction=write_fraction, populate=populate,
                            name=f"{name}/{pattern}", **params)


def _read_trace(path: str, allow_outside: bool, input_format: str = "auto") -> list:
    from workloads.open_trace import open_trace
    with open_trace(path, allow_outside=allow_outside, input_format=input_format) as reader:
        return list(reader)
