"""A narrated replay: every event of a small trace told in words, as it happens.

Statistics say what a trace did in total; a student wants to see each decision.
``narrate(device, events)`` applies the events one by one, exactly as the
replay driver does, and compares the device before and after each one: the
slot's state (``slot_state``), its handle (``handle_of``), where the handle
lives (``pool.locate`` -> zspage id, slot) and every zspage's fullness group.
From the difference it says what happened and why.

Worked example (4 KiB pages, chain 8), a sizes-only trace::

    W 0 size:1200   -> "compressed to 1200 bytes (+8 header = 1208) -> class 74
                        (1216 B: 3 pages, 10 objects); no zspage of class 1216
                        had a free slot: new zspage 1 (3 pages), slot 0; zspage 1
                        enters group 20%; mem_used_total 0 -> 12288"
    W 1 size:1200   -> "... zspage 1 slot 1, the fullest zspage of the class
                        with a free slot (group 20%); zspage 1: 20% -> 30%"

(Group labels name the upper bound: 1 of 10 objects is 10%, which the "20%"
group holds, as it holds every ratio from 10 to 19.) Compaction lists every
object it moved, from which zspage and slot to which, found by comparing every
live handle's location before and after.

Trace version 2 adds attribute writes and the clock: ``S writeback huge`` is
told with its outcome (or the errno it fails with) and one indented line per
decision, e.g. ``slot 19 (huge, 4096 bytes, bucket 64) -> block 1`` or
``slot 3 (huge, 4096 bytes, class 254): zstd (priority 1) 2100 bytes, class 130
< 254: recompressed``; ``T 60`` tells the new time.

The narration only reads the device; numbers it prints are the device's own.
"""

from __future__ import annotations

from typing import Callable, Iterable, Iterator

from allocator import GROUP_LABELS, HANDLE_SIZE, fullness_group
from workloads.events import COMPACT, DISCARD, READ, SET, TIME, WRITE
from zramsim.attributes import AttributeResult, Sysfs
from zramsim.device import ZramDevice
from zramsim.errors import BadRequest


def _label(group: int) -> str:
    return GROUP_LABELS[group - 1] if group else "empty"


class _Snapshot:
    """Every live zspage's class and fullness, and every live handle's location."""

    def __init__(self, device: ZramDevice) -> None:
        self.total_pages = device.pool.total_pages
        self.zspages: dict[int, tuple[int, int, int, int]] = {}   # zid -> size, objs, pages, group
        self.where: dict[int, tuple[int, int]] = {}               # handle -> zid, slot
        for cls, zid, handles in device.pool.zspages():
            inuse = sum(1 for h in handles if h)
            self.zspages[zid] = (cls.size, cls.objs_per_zspage, cls.pages_per_zspage,
                                 fullness_group(inuse, cls.objs_per_zspage))
            for slot, handle in enumerate(handles):
                if handle:
                    self.where[handle] = (zid, slot)

    def fullest_group(self, size: int) -> int | None:
        """Group of the zspage malloc would take for class ``size`` (None: a new one)."""
        groups = [g for s, _, _, g in self.zspages.values() if s == size and g != 11]
        return max(groups) if groups else None


def _moves(before: _Snapshot, after: _Snapshot) -> list[str]:
    """Zspages created, released or moved between fullness groups, in zspage order."""
    out = []
    for zid in sorted(set(before.zspages) | set(after.zspages)):
        old, new = before.zspages.get(zid), after.zspages.get(zid)
        if old and new and old[0] != new[0]:          # id reused by another class
            out.append(f"zspage {zid} (class {old[0]}) released")
            out.append(f"zspage {zid} (class {new[0]}) enters group {_label(new[3])}")
        elif old and not new:
            out.append(f"zspage {zid} (class {old[0]}) emptied and released "
                       f"({old[2]} pages back)")
        elif new and not old:
            out.append(f"zspage {zid} enters group {_label(new[3])}")
        elif old[3] != new[3]:
            out.append(f"zspage {zid}: {_label(old[3])} -> {_label(new[3])}")
    return out


def _mem(before: _Snapshot, after: _Snapshot, page_size: int) -> str:
    if before.total_pages == after.total_pages:
        return ""
    return (f"mem_used_total {before.total_pages * page_size} -> "
            f"{after.total_pages * page_size}")


def _describe_slot(device: ZramDevice, index: int, snap: _Snapshot) -> str:
    """What a slot holds, in words: empty, same-filled, or an object and its place."""
    kind, size = device.slot_state(index)
    if kind == "empty":
        return "empty"
    if kind == "same":
        return "same-filled"
    if kind == "writeback":
        return f"written back to block {device.block_of(index)}"
    zid, slot = snap.where[device.handle_of(index)]
    return f"{kind} object of {size} bytes in zspage {zid} slot {slot}"


def _write(device: ZramDevice, index: int, arg) -> list[str]:
    before = _Snapshot(device)
    old = _describe_slot(device, index, before)
    same_before = device.same_pages
    if type(arg) is int:
        ok = device.write_size(index, arg)
        how = f"a sizes-only page of {arg} compressed bytes"
    else:
        ok = device.write(index, arg)
        how = None
    after = _Snapshot(device)
    page = device.page_size
    if not ok:
        return [f"W slot {index}: {how or 'page'}: the new object would take zsmalloc above "
                f"mem_limit ({device.limit_pages} pages), so it is freed again and the "
                f"write fails (failed_writes {device.failed_writes}); the slot keeps "
                f"its old contents ({old})"]
    kind, size = device.slot_state(index)
    parts = []
    if kind == "same":
        word = int.from_bytes(arg[:8], "little")
        parts.append(f"same-filled page (every 8-byte word 0x{word:016x}): no compression, "
                     f"no memory; same_pages {same_before} -> {device.same_pages}")
    else:
        handle = device.handle_of(index)
        zid, slot = after.where[handle]
        cls = device.geometry.class_for_request(size)
        if kind == "huge":
            comp = arg if type(arg) is int else len(device.compressor.compress(arg))
            text = (f"compressed to {comp} bytes >= huge_class_size {device.huge_class_size}: "
                    f"stored raw as a huge object ({size} bytes) in class {cls.index}")
        else:
            text = (f"compressed to {size} bytes (+{HANDLE_SIZE} header = "
                    f"{size + HANDLE_SIZE}) -> class {cls.index} ({cls.size} B: "
                    f"{cls.pages_per_zspage} pages, {cls.objs_per_zspage} objects)")
        parts.append(text)
        fullest = before.fullest_group(cls.size)
        if cls.huge:
            parts.append(f"a one-page zspage of its own: zspage {zid}")
        elif zid not in before.zspages or before.zspages[zid][0] != cls.size:
            parts.append(f"no zspage of class {cls.size} had a free slot: new zspage {zid} "
                         f"({cls.pages_per_zspage} pages), slot {slot}")
        else:
            parts.append(f"zspage {zid} slot {slot}, the fullest zspage of the class with a "
                         f"free slot (group {_label(fullest)})")
    if old != "empty":
        parts.append(f"the old contents ({old}) are freed")
    parts += _moves(before, after)
    mem = _mem(before, after, page)
    if mem:
        parts.append(mem)
    return [f"W slot {index}: " + "; ".join(parts)]


def _read(device: ZramDevice, index: int) -> list[str]:
    snap = _Snapshot(device)
    kind, size = device.slot_state(index)
    device.read(index)
    if kind == "empty":
        return [f"R slot {index}: never written (or discarded): reads as zeros"]
    if kind == "same":
        return [f"R slot {index}: same-filled: the page is refilled from its 8-byte word"]
    if kind == "writeback":
        return [f"R slot {index}: written back: the page is read from block "
                f"{device.block_of(index)} of the backing device (bd_reads "
                f"{device.backing.bd_reads}); it stays there"]
    handle = device.handle_of(index)
    zid, slot = snap.where[handle]
    cls = device.geometry.class_for_request(size)
    header = 0 if cls.huge else HANDLE_SIZE
    start = slot * cls.size + header
    first, offset = divmod(start, device.page_size)
    text = f"R slot {index}: {kind} object of {size} bytes in zspage {zid} slot {slot}"
    if offset + size > device.page_size:
        text += (f"; it spans frames {first}-{first + 1}, so its two fragments are copied "
                 f"into one buffer before decompression")
    else:
        text += f"; it lies within frame {first}"
    if kind == "huge":
        text += " (raw page: no decompression)"
    return [text]


# A discard of more slots than this names only the ones holding data.
LISTED_SLOTS = 64


def _discard(device: ZramDevice, index: int, count: int) -> list[str]:
    before = _Snapshot(device)
    end = index + count
    slots = range(index, end) if count <= LISTED_SLOTS else \
        [i for i in device.stored_slots() if index <= i < end]
    held = [(i, _describe_slot(device, i, before)) for i in slots]
    device.discard(index, count)
    after = _Snapshot(device)
    last = index + count - 1
    span = f"slot {index}" if count == 1 else f"slots {index}-{last}"
    parts = [f"slot {i}: {what} " + ("(nothing to free)" if what == "empty" else "freed")
             for i, what in held]
    if count > LISTED_SLOTS:                # only the slots holding data are named
        parts.append(f"{count - len(held)} empty slots (nothing to free)")
    parts.append(f"notify_free -> {device.notify_free}")
    parts += _moves(before, after)
    mem = _mem(before, after, device.page_size)
    if mem:
        parts.append(mem)
    return [f"D {span}: " + "; ".join(parts)]


def _compact(device: ZramDevice) -> list[str]:
    before = _Snapshot(device)
    freed = device.compact()
    after = _Snapshot(device)
    owner = {device.handle_of(i): i for i in device.stored_slots() if device.handle_of(i)}
    lines = [f"C compact: {freed} pages freed (pages_compacted "
             f"{device.pool.pages_compacted})"
             + (f"; {_mem(before, after, device.page_size)}" if freed else
                "; no class had a whole zspage of free slots to give back")]
    for handle in sorted(before.where, key=lambda h: before.where[h]):
        old, new = before.where[handle], after.where.get(handle)
        if new != old:
            who = f"zram slot {owner[handle]}" if handle in owner else f"handle {handle}"
            size = before.zspages[old[0]][0]
            lines.append(f"  moved {who} (class {size}): zspage {old[0]} slot {old[1]} -> "
                         f"zspage {new[0]} slot {new[1]}")
    lines += [f"  {m}" for m in _moves(before, after)]
    return lines


def _attribute(device: ZramDevice, result: AttributeResult) -> list[str]:
    m = device.mm_stat()
    if result.ok:
        head = f"S {result.describe()}"
    else:
        head = f"S {result.describe()} (the replay goes on)"
    lines = [head]
    if result.decisions:
        b = device.bd_stat()
        lines += [f"  {d}" for d in result.decisions]
        lines.append(f"  now: orig_data_size {m.orig_data_size}, compr_data_size "
                     f"{m.compr_data_size}, mem_used_total {m.mem_used_total}, huge_pages "
                     f"{m.huge_pages}; bd_count {b.bd_count}, bd_writes {b.bd_writes}")
    return lines


def narrate(device: ZramDevice, events: Iterable[tuple],
            attribute: Callable[[str, str], AttributeResult] | None = None) -> Iterator[str]:
    """Apply ``events`` to ``device`` one by one, yielding lines that explain each.

    Every event yields one line starting with its operation; compaction adds one
    indented line per moved object and per zspage released, writeback and
    recompression one per slot decided. ``attribute`` applies an ``S`` event
    (default: a ``Sysfs`` of the device).
    """
    attribute = attribute or Sysfs(device).write
    for op, index, arg in events:
        if op == WRITE:
            yield from _write(device, index, arg)
        elif op == READ:
            yield from _read(device, index)
        elif op == DISCARD:
            yield from _discard(device, index, arg)
        elif op == COMPACT:
            yield from _compact(device)
        elif op == SET:
            yield from _attribute(device, attribute(*arg))
        elif op == TIME:
            device.clock.advance(arg)
            yield f"T +{arg / 1e9:g} s: the clock reads {device.clock.seconds():.6f} s"
        else:
            raise BadRequest(f"unknown operation {op!r}")


def narrate_replay(replay, events: Iterable[tuple]) -> Iterator[str]:
    """``narrate`` on ``replay.device``, counting each event told in ``replay.applied``
    (so an interrupted narration reports how far it got, as a replay does)."""
    for event in events:
        yield from narrate(replay.device, (event,), replay.apply_attribute)
        replay.applied += 1
