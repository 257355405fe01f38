"""The replay driver: the one place where page events meet the device.

Readers yield ``PageEvent`` tuples and know nothing of the device; the device
knows nothing of trace formats. ``Replay`` feeds one to the other and counts
what it applied, so that an interrupted or failed replay can still report how
far it got (``applied``) next to the device's statistics at that point.
"""

from __future__ import annotations

from typing import Callable, Iterable

from workloads.events import COMPACT, DISCARD, READ, WRITE
from zramsim.device import ZramDevice
from zramsim.errors import BadRequest


class Replay:
    """Apply events to ``device``; ``progress(applied)`` is called every ``every`` events."""

    def __init__(self, device: ZramDevice, progress: Callable[[int], None] | None = None,
                 every: int = 8192) -> None:
        self.device = device
        self.progress = progress
        self.every = every
        self.applied = 0
        self.failed_writes = 0

    def run(self, events: Iterable[tuple]) -> int:
        """Apply every event; returns the number applied (also kept in ``applied``)."""
        dev = self.device
        write, write_size, read = dev.write, dev.write_size, dev.read
        progress, every = self.progress, self.every
        for op, index, arg in events:
            if op == WRITE:
                ok = write_size(index, arg) if type(arg) is int else write(index, arg)
                if not ok:
                    self.failed_writes += 1
            elif op == READ:
                read(index)
            elif op == DISCARD:
                dev.discard(index, arg)
            elif op == COMPACT:
                dev.compact()
            else:
                raise BadRequest(f"unknown operation {op!r}")
            self.applied += 1
            if progress is not None and self.applied % every == 0:
                progress(self.applied)
        return self.applied


def replay(device: ZramDevice, events: Iterable[tuple]) -> int:
    """Apply ``events`` to ``device`` and return how many were applied."""
    return Replay(device).run(events)
