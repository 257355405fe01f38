"""Writeback: moving pages from zram's memory to its backing device (spec §2.11).

``echo huge_idle > writeback`` picks slots (the *candidates*), then writes each
one's page, uncompressed, to a free block of the backing device and frees its
memory; the slot keeps the block number and the WB flag, and still counts in
``orig_data_size``. Linux 6.13-6.18 do not go in slot order: candidates are
sorted into 65 buckets by stored size (``obj_size // 64``: a huge page, 4096
bytes, is bucket 64) and the largest go first, so a spent budget is spent on
the pages that free the most memory. Within a bucket the last slot collected
goes first, which for one scan means descending slot index.

Worked example: slots 0..3 hold objects of 1000, 4096 (huge), 1010 and 200
bytes, all idle; ``writeback idle`` with room for two pages. Buckets: slot 1 in
64, slots 0 and 2 in 15, slot 3 in 3. Slot 1 goes to block 1, then slot 2 (the
later of bucket 15) to block 2; slot 0 finds no block and the write fails with
ENOSPC after that partial work: bd_count 2, bd_writes 2.

Each page first checks the budget (``writeback_limit_enable`` and a
``writeback_limit`` of 0: stop with EIO), then takes a block (none: ENOSPC).
The budget is in 4 KiB units and drops by one per 4 KiB page written back.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from zramsim.device import MAX_SLOTS, ZramDevice
from zramsim.slot_flags import HUGE, IDLE, INCOMPRESSIBLE, SAME, WB
from zramsim.kernel_syntax import U64, Refused, kstrtoull, next_args

BUCKET_BYTES = 64            # PP_BUCKET_SIZE_RANGE
MODES = {"idle": IDLE, "huge": HUGE, "huge_idle": HUGE | IDLE,
         "incompressible": INCOMPRESSIBLE}


@dataclass
class WritebackLimit:
    """``writeback_limit_enable`` and ``writeback_limit`` (4 KiB units): zram's budget."""

    enable: bool = False
    pages: int = 0


@dataclass
class Outcome:
    """What a writeback or recompress did: per-slot decisions, and how it ended."""

    done: int = 0                  # pages written back / recompressed
    errno: str | None = None       # the error the write returns after partial work
    reason: str = ""
    decisions: list[str] = field(default_factory=list)


def buckets(device: ZramDevice, slots) -> list[int]:
    """Slots in post-processing order: bucket 64 (largest) first, LIFO within a bucket."""
    by_bucket: list[list[int]] = [[] for _ in range(device.page_size // BUCKET_BYTES + 1)]
    for index in slots:
        by_bucket[device.slot_state(index)[1] // BUCKET_BYTES].append(index)
    return [index for bucket in reversed(by_bucket) for index in reversed(bucket)]


def parse_writeback(device: ZramDevice, value: str) -> list[tuple[int, int, int]]:
    """The scans ``value`` asks for, as (mode, lo, hi); Refused on bad syntax.

    Bare words (``idle``) are the old syntax; ``type=`` scans every slot and
    ends the list; ``page_index=N`` and ``page_indexes=LO-HI`` (inclusive) each
    scan their range with the mode so far; unknown keys are ignored.
    """
    nr_pages = device.fixed_slots or MAX_SLOTS
    mode, lo, hi = 0, 0, nr_pages
    scans: list[tuple[int, int, int]] = []
    for key, val in next_args(value):
        if not val:
            mode = _mode(key)
            scans.append((mode, lo, hi))
            break
        if key == "type":
            mode = _mode(val)
            scans.append((mode, lo, hi))
            break
        if key == "page_index":
            lo = kstrtoull(val, 10, U64, "page_index")
            if lo >= nr_pages:
                raise Refused("ERANGE", f"page_index {lo} is beyond the {nr_pages} slots")
            hi = lo + 1
            scans.append((mode, lo, hi))
        elif key == "page_indexes":
            first, dash, last = val.partition("-")
            if not dash:
                raise Refused("EINVAL", f"page_indexes={val} is not a range LO-HI")
            lo = kstrtoull(first, 10, U64, "page_indexes")
            if lo >= nr_pages:
                raise Refused("ERANGE", f"page_indexes starts at {lo}, beyond the slots")
            hi = kstrtoull(last, 10, U64, "page_indexes")
            if hi >= nr_pages or lo > hi:
                raise Refused("ERANGE", f"page_indexes={val}: not LO <= HI < {nr_pages}")
            hi += 1
            scans.append((mode, lo, hi))
    return scans


def count(n: int, noun: str) -> str:
    """``1 page``, ``2 pages``."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _mode(word: str) -> int:
    if word not in MODES:
        raise Refused("EINVAL", f"unknown writeback mode {word!r} "
                                f"(idle, huge, huge_idle, incompressible)")
    return MODES[word]


def candidates(device: ZramDevice, scans: list[tuple[int, int, int]]) -> list[int]:
    """Allocated slots, not written back nor same-filled, with the mode's flags."""
    found = []
    for mode, lo, hi in scans:
        for index in (i for i in device.stored_slots() if lo <= i < hi):
            flags = device.slot_flags(index)
            if flags & (WB | SAME) or not device.handle_of(index):
                continue
            if flags & mode == mode:
                found.append(index)
    return found


def writeback(device: ZramDevice, value: str, limit: WritebackLimit) -> Outcome:
    """Run ``echo value > writeback``; Refused before any work, else an Outcome."""
    backing = device.backing
    if backing is None:
        raise Refused("ENODEV", "no backing device (write backing_dev first)")
    order = buckets(device, candidates(device, parse_writeback(device, value)))
    pending = set(order)               # the kernel's PP_SLOT flag
    units = max(device.page_size // 4096, 1)
    out = Outcome()
    block = 0
    for n, index in enumerate(order):
        if limit.enable and limit.pages == 0:
            out.errno, out.reason = "EIO", (f"writeback_limit spent after "
                                            f"{count(out.done, 'page')}; "
                                            f"{count(len(order) - n, 'candidate')} left")
            break
        if not block:
            block = backing.alloc()
            if not block:
                out.errno, out.reason = "ENOSPC", (
                    f"backing device full ({count(backing.capacity, 'page')}) after "
                    f"{count(out.done, 'page')}; {count(len(order) - n, 'candidate')} left")
                break
        if index not in pending:       # listed twice: done already
            continue
        pending.discard(index)
        kind, size = device.slot_state(index)
        backing.write(block, device.stored_page(index))
        device.install_written_back(index, block)
        out.decisions.append(f"slot {index} ({kind}, {size} bytes, bucket "
                             f"{size // BUCKET_BYTES}) -> block {block}")
        block = 0
        out.done += 1
        if limit.enable and limit.pages > 0:
            limit.pages = (limit.pages - units) & U64
    if block:
        backing.free(block)
    if not out.errno:
        out.reason = f"{out.done} of {len(order)} candidates written back"
    return out
