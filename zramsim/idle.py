"""Idle pages: which slots have not been touched lately (spec §2.10, §3.5).

Every read or write stamps its slot with the simulated time (``ac_time``) and
clears IDLE. ``echo all > idle`` marks every slot that holds an object idle;
``echo 3600 > idle`` marks the slots last touched more than an hour ago and,
since Linux 6.13, *clears* IDLE on the others. Same-filled and written-back
slots are never marked: post-processing has nothing to do with them.
Writeback (``type=idle``) and recompression (``type=idle``) then act on idle
slots only.

Worked example: slot 0 written at t=0 s, slot 1 at t=100 s; at t=150 s,
``idle 60`` computes the cutoff 150 - 60 = 90 s: slot 0 (0 < 90) becomes idle,
slot 1 (100 >= 90) does not. ``idle 200`` at the same time has a cutoff of
-50 s and leaves no slot idle. The kernel reads a cutoff of exactly 0 as
"all": ``idle 150`` at t=150 s marks every slot.

``block_state`` (debugfs) lists each allocated slot with its time and flags:
``         0            0.000000 ...i..`` is slot 0, stamped at 0 s, idle.
"""

from __future__ import annotations

from zramsim.clock import NS_PER_SECOND
from zramsim.device import ZramDevice
from zramsim.slot_flags import HUGE, IDLE, INCOMPRESSIBLE, PRIO_SHIFT, SAME, WB
from zramsim.kernel_syntax import Refused, kstrtoull, sysfs_streq


def mark_idle(device: ZramDevice, value: str) -> int:
    """``echo value > idle``; returns how many slots are idle afterwards."""
    if sysfs_streq(value, "all"):
        cutoff = 0
    else:
        try:
            age = kstrtoull(value, 0, what="idle age")
        except Refused:
            raise Refused("EINVAL", f"idle takes 'all' or an age in seconds, "
                                    f"not {value.strip()!r}") from None
        cutoff = device.clock.ns - age * NS_PER_SECOND
    idle = 0
    for index in device.stored_slots():
        flags = device.slot_flags(index)
        if flags & (SAME | WB) or not device.handle_of(index):
            continue
        now_idle = cutoff == 0 or cutoff > device.ac_time(index)
        device.set_slot_flag(index, IDLE, now_idle)
        idle += now_idle
    return idle


def block_state(device: ZramDevice) -> str:
    """The debugfs ``block_state`` text: one line per allocated slot, ascending.

    Format ``%12zd %12lld.%06lu`` then six flags, each letter or ``.``:
    s same-filled, w written back, h huge, i idle, r recompressed,
    n incompressible.
    """
    lines = []
    for index in device.stored_slots():
        flags = device.slot_flags(index)
        if not flags & (SAME | WB) and not device.handle_of(index):
            continue
        seconds, ns = divmod(device.ac_time(index), NS_PER_SECOND)
        marks = "".join(letter if on else "." for letter, on in (
            ("s", flags & SAME), ("w", flags & WB), ("h", flags & HUGE), ("i", flags & IDLE),
            ("r", flags >> PRIO_SHIFT), ("n", flags & INCOMPRESSIBLE)))
        lines.append(f"{index:12d} {seconds:12d}.{ns // 1000:06d} {marks}\n")
    return "".join(lines)
