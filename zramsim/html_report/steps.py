"""The step-through of a small trace: the device after every event, and what moved.

A student learns more from watching one object land in a zspage than from the
final table. For a trace of a few hundred events at most, the events are
replayed once more on a fresh device, one at a time through the narrating
replay (``teach.narrate``), and after each one the whole state is kept: every
zspage (the map's rows), ``mm_stat``, the narration, and the slots that changed.
The page's script only shows state k; nothing is simulated in the browser.

What changed is found by handle: a handle found only after the event is a new
object, one found only before was freed, one found in both at another (zspage,
slot) was moved by compaction. Worked example, the tutorial trace
(docs/tutorial.trace): after ``D 0 9`` zspage 1 of class 1216 holds only zram
slot 9 and zspage 2 holds slots 10 and 11; ``C`` moves slot 9 to zspage 2 slot 2
and releases zspage 1 (3 pages back): changes ``[1, 9, "moved_from"]`` and
``[2, 2, "moved_to"]``.
"""

from __future__ import annotations

from dataclasses import astuple

from workloads.events import COMPACT, DISCARD, WRITE
from zramsim.device import ZramDevice
from zramsim.html_report.zspage_rows import zspage_rows
from zramsim.teach.narrate import narrate


def event_text(event: tuple) -> str:
    """A trace-like line for an event: ``W 3 size:1200``, ``W 4 (page)``, ``D 0 9``, ``C``."""
    op, index, arg = event
    if op == WRITE:
        return f"W {index} " + (f"size:{arg}" if type(arg) is int else "(page)")
    if op == DISCARD:
        return f"D {index} {arg}"
    if op == COMPACT:
        return "C"
    return f"{op} {index}"


def _where(device: ZramDevice) -> dict[int, tuple[int, int]]:
    return {h: (zid, slot) for _, zid, handles in device.pool.zspages()
            for slot, h in enumerate(handles) if h}


def _changes(before: dict, after: dict) -> list[list]:
    """``[zspage id, slot, kind]`` for every object that appeared, went or moved."""
    out = []
    for handle, place in after.items():
        old = before.get(handle)
        if old is None:
            out.append([*place, "new"])
        elif old != place:
            out.append([*old, "moved_from"])
            out.append([*place, "moved_to"])
    out += [[*place, "freed"] for handle, place in before.items() if handle not in after]
    return sorted(out)


def _state(device: ZramDevice) -> dict:
    rows, _ = zspage_rows(device)
    groups = [0] * 12
    for row in rows:
        groups[row[5]] += 1
    return {"zspages": rows, "groups": groups, "mm": list(astuple(device.mm_stat()))}


def record_steps(device: ZramDevice, events: list[tuple]) -> dict:
    """Replay ``events`` on the fresh ``device`` one by one; state 0 is before any."""
    states = [{**_state(device), "event": "", "lines": [], "changes": []}]
    for event in events:
        before = _where(device)
        lines = list(narrate(device, [event]))
        states.append({**_state(device), "event": event_text(event), "lines": lines,
                       "changes": _changes(before, _where(device))})
    return {"page_size": device.page_size, "states": states}
