"""The simulated clock: zram's boot-time clock, moved only by the workload.

zram stamps every slot it reads or writes with the time (``ac_time``); the
``idle`` attribute with an age in seconds marks the slots not touched for that
long. A simulator that read the wall clock would give different answers on
every run, so the device is given this clock instead and a trace moves it with
``T <seconds>``. Time is kept in integer nanoseconds, as ktime is: ``T 0.25``
adds 250,000,000, and 1.5 s after start a write stamps its slot 1500000000.
"""

from __future__ import annotations

NS_PER_SECOND = 10 ** 9


class SimClock:
    """Nanoseconds since the simulated boot; starts at ``start`` (default 0)."""

    __slots__ = ("ns",)

    def __init__(self, start: int = 0) -> None:
        if start < 0:
            raise ValueError(f"a clock cannot start before boot ({start} ns)")
        self.ns = start

    def advance(self, ns: int) -> None:
        """Let ``ns`` nanoseconds pass (never backwards)."""
        if ns < 0:
            raise ValueError(f"time cannot go backwards ({ns} ns)")
        self.ns += ns

    def seconds(self) -> float:
        return self.ns / NS_PER_SECOND
