"""Zspage maps: zspages drawn as chains of page frames with their objects inside.

zsmalloc's central trick is invisible in its statistics: a zspage is several
separate 0-order page frames that objects treat as one range, so an object may
begin near the end of one frame and finish in the next. A map makes that
visible: each zspage is a row of frames, each frame a bar of its bytes, each
object slot drawn where it lies, live or free, with spanning objects marked.

Worked example, class 1568 (5 frames, 13 slots): slot k covers bytes
[1568k, 1568k + 1568) of the 20480-byte chain. Slot 2 covers 3136..4703, so it
starts in frame 0 at offset 3136 and ends in frame 1 at offset 607: it spans.
Of the 13 slots, 2, 5, 7 and 10 span (a 1568-byte slot crosses a boundary
whenever its start offset in the frame is above 4096 - 1568 = 2528); the last
96 bytes of frame 4 are tail waste.

``zspage_views(pool)`` turns a pool into frozen ``ZspageView`` records (using
only ``Pool.zspages()``); ``device_views(device)`` labels each object with the
zram slot that owns it. ``render_text`` draws one character per
``page_size / width`` bytes; ``render_svg`` writes an SVG image by hand.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from html import escape

from allocator import GROUP_LABELS, Geometry, Pool, fullness_group
from zramsim.errors import ConfigError

SYMBOLS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
FREE, TAIL = ".", "-"


@dataclass(frozen=True)
class SlotView:
    """One object slot of a zspage: where it lies in the chain and who holds it."""

    slot: int
    handle: int          # 0 = free
    start: int           # byte offset in the zspage's linear range
    size: int            # the class size
    page_size: int
    label: str = ""      # e.g. the zram slot that owns the object

    @property
    def first_frame(self) -> int:
        return self.start // self.page_size

    @property
    def last_frame(self) -> int:
        return (self.start + self.size - 1) // self.page_size

    @property
    def spans(self) -> bool:
        """True when the object crosses from one page frame into the next."""
        return self.first_frame != self.last_frame

    @property
    def symbol(self) -> str:
        return SYMBOLS[self.slot % len(SYMBOLS)] if self.handle else FREE


@dataclass(frozen=True)
class ZspageView:
    """A zspage: its class geometry, fullness and every slot."""

    zid: int
    class_index: int
    class_size: int
    pages: int
    objs: int
    page_size: int
    slots: tuple[SlotView, ...]

    @property
    def inuse(self) -> int:
        return sum(1 for s in self.slots if s.handle)

    @property
    def group(self) -> int:
        """Fullness group 0..11 (computed, as the pool does)."""
        return fullness_group(self.inuse, self.objs)

    @property
    def group_label(self) -> str:
        return GROUP_LABELS[self.group - 1] if self.group else "empty"

    @property
    def tail_waste(self) -> int:
        return self.pages * self.page_size - self.objs * self.class_size


def zspage_views(pool: Pool, class_size: int | None = None,
                 labels: dict[int, str] | None = None) -> list[ZspageView]:
    """Every live zspage (of one class if ``class_size`` is given), by class then id."""
    labels = labels or {}
    page = pool.page_size
    views = []
    for cls, zid, handles in pool.zspages():
        if class_size is not None and cls.size != class_size:
            continue
        slots = tuple(SlotView(k, h, k * cls.size, cls.size, page, labels.get(h, ""))
                      for k, h in enumerate(handles))
        views.append(ZspageView(zid, cls.index, cls.size, cls.pages_per_zspage,
                                cls.objs_per_zspage, page, slots))
    views.sort(key=lambda v: (v.class_index, v.zid))
    return views


def device_views(device, class_size: int | None = None) -> list[ZspageView]:
    """Zspages of a ZramDevice's pool, each object labelled with its zram slot."""
    labels = {}
    for index in device.stored_slots():
        handle = device.handle_of(index)
        if handle:
            labels[handle] = f"zram slot {index}"
    return zspage_views(device.pool, class_size, labels)


def object_views(size: int, count: int = 1, free: str = "", class_size: int | None = None,
                 geometry: Geometry | None = None) -> list[ZspageView]:
    """A fresh pool after allocating ``count`` objects of ``size`` bytes, then freeing
    the objects numbered (from 0) in the comma-separated list ``free``.

    ConfigError names what is wrong: a size outside 1 .. page size, a number
    that is not one, or an object that does not exist (``free="7"`` of 3 objects).
    """
    geometry = geometry or Geometry()
    if not 0 < size <= geometry.page_size:
        raise ConfigError(f"an object is 1 to {geometry.page_size} bytes, not {size}")
    numbers = []
    for part in filter(None, (p.strip() for p in free.split(","))):
        if not part.isascii() or not part.isdigit():
            raise ConfigError(f"objects to free are numbers such as 0,3,5, not {part!r}")
        if int(part) >= count:
            raise ConfigError(f"there is no object {part} to free: {count} object"
                              f"{'s are' if count != 1 else ' is'} numbered from 0")
        numbers.append(int(part))
    pool = Pool(geometry)
    handles = [pool.malloc(size) for _ in range(count)]
    for n in dict.fromkeys(numbers):                      # freeing twice is freeing once
        pool.free(handles[n])
    return zspage_views(pool, class_size)


def views_as_dicts(views: list[ZspageView]) -> list[dict]:
    """JSON-ready zspages: their fields, group and every slot (free slots have handle 0)."""
    return [{"zspage": v.zid, "class_index": v.class_index, "class_size": v.class_size,
             "pages": v.pages, "objs": v.objs, "inuse": v.inuse, "group": v.group_label,
             "tail_waste": v.tail_waste,
             "slots": [{"slot": s.slot, "handle": s.handle, "start": s.start,
                        "spans": s.spans, "label": s.label} for s in v.slots]}
            for v in views]


def render(views: list[ZspageView], fmt: str = "table", width: int = 64) -> str:
    """The map as ``table`` (text, ``width`` characters a frame), ``json`` or ``svg``."""
    if fmt == "json":
        return json.dumps(views_as_dicts(views), indent=2)
    return render_svg(views) if fmt == "svg" else render_text(views, width)


def _frame_row(view: ZspageView, frame: int, width: int) -> str:
    """One frame as ``width`` characters, each the slot covering its first byte."""
    step = view.page_size // width
    chars = []
    for col in range(width):
        at = frame * view.page_size + col * step
        k = at // view.class_size
        chars.append(view.slots[k].symbol if k < view.objs else TAIL)
    return "".join(chars)


def render_text(views: list[ZspageView], width: int = 64) -> str:
    """Text map: per zspage a header, one bar per frame, spanning and owner lists."""
    if not views:
        return "no zspages\n"
    step = views[0].page_size // width
    out = [f"one character = {step} bytes; 0-9A-Za-z = live object in slot n (mod 62), "
           f"{FREE} = free slot, {TAIL} = tail waste; '>' = continues in the next frame\n"]
    for v in views:
        out.append(f"\nclass {v.class_index} ({v.class_size} B), zspage {v.zid}: "
                   f"{v.pages} frames, {v.inuse}/{v.objs} objects, group {v.group_label}\n")
        for frame in range(v.pages):
            spill = any(s.spans and s.first_frame == frame for s in v.slots)
            out.append(f"  frame {frame} |{_frame_row(v, frame, width)}"
                       f"{'>' if spill else '|'}\n")
        spanning = [s for s in v.slots if s.spans and s.handle]
        if spanning:
            out.append("  spanning objects: " + ", ".join(
                f"slot {s.slot} (frames {s.first_frame}-{s.last_frame})"
                for s in spanning) + "\n")
        owners = [f"{s.slot}: {s.label}" for s in v.slots if s.handle and s.label]
        if owners:
            out.append("  objects: " + ", ".join(owners) + "\n")
        if v.tail_waste:
            out.append(f"  tail waste: {v.tail_waste} bytes at the end of frame "
                       f"{v.pages - 1}\n")
    return "".join(out)


# -- SVG ---------------------------------------------------------------------------

FRAME_W, FRAME_H, GAP, ROW_H, LEFT, TOP = 256, 30, 14, 64, 10, 10
LIVE_FILLS = ("#4e79a7", "#76b7b2")
SPAN_STROKE = "#e15759"


def render_svg(views: list[ZspageView]) -> str:
    """An SVG image: one row per zspage, frames as boxes linked into a chain.

    Live objects are filled (alternating colours), free slots are outlined and
    dashed, tail waste is grey, and objects spanning two frames have a red edge
    on both fragments. Hovering shows slot, handle and owner.
    """
    max_pages = max((v.pages for v in views), default=1)
    width = LEFT * 2 + max_pages * (FRAME_W + GAP)
    height = TOP * 2 + max(len(views), 1) * ROW_H
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="monospace" font-size="11">\n',
           f'<rect width="{width}" height="{height}" fill="white"/>\n']
    if not views:
        out.append(f'<text x="{LEFT}" y="{TOP + 14}">no zspages</text>\n')
    for row, v in enumerate(views):
        y = TOP + row * ROW_H
        out.append(f'<text x="{LEFT}" y="{y + 12}">class {v.class_index} ({v.class_size} B) '
                   f'zspage {v.zid}: {v.inuse}/{v.objs} objects, group '
                   f'{escape(v.group_label)}</text>\n')
        fy = y + 20
        scale = FRAME_W / v.page_size
        for frame in range(v.pages):
            fx = LEFT + frame * (FRAME_W + GAP)
            if frame:
                out.append(f'<line x1="{fx - GAP}" y1="{fy + FRAME_H / 2}" x2="{fx}" '
                           f'y2="{fy + FRAME_H / 2}" stroke="black"/>\n')
            out.append(f'<rect x="{fx}" y="{fy}" width="{FRAME_W}" height="{FRAME_H}" '
                       f'fill="#dddddd" stroke="black"/>\n')
        for s in v.slots:
            out.extend(_slot_svg(v, s, fy, scale))
    out.append("</svg>\n")
    return "".join(out)


def _slot_svg(v: ZspageView, s: SlotView, fy: int, scale: float) -> list[str]:
    """The fragments of one slot, one rectangle per frame it touches."""
    parts = []
    tip = f"slot {s.slot}" + (f", handle {s.handle}" if s.handle else ", free")
    if s.label:
        tip += f", {s.label}"
    if s.spans:
        tip += f", spans frames {s.first_frame}-{s.last_frame}"
    end = s.start + s.size
    for frame in range(s.first_frame, s.last_frame + 1):
        lo = max(s.start, frame * v.page_size) - frame * v.page_size
        hi = min(end, (frame + 1) * v.page_size) - frame * v.page_size
        x = LEFT + frame * (FRAME_W + GAP) + lo * scale
        w = (hi - lo) * scale
        if s.handle:
            style = f'fill="{LIVE_FILLS[s.slot % 2]}"'
        else:
            style = 'fill="white" stroke-dasharray="2,2"'
        stroke = SPAN_STROKE if s.spans else "black"
        sw = 2 if s.spans else 0.5
        parts.append(f'<rect x="{x:.2f}" y="{fy}" width="{w:.2f}" height="{FRAME_H}" {style} '
                     f'stroke="{stroke}" stroke-width="{sw}"><title>{escape(tip)}</title>'
                     f'</rect>\n')
    return parts
