"""How far a long command has got, as one line rewritten in place.

Replaying, generating, converting or sweeping millions of pages takes seconds
to minutes; a user at a terminal wants to see it move, and a script reading
the output wants none of it. So this module only formats: the command line
decides whether there is a terminal and passes ``write`` (or None: silent).

Worked example: 1,234,567 events after 3.07 s, 45% of the input read::

    \\r[##############................]  45%     1,234,567 events     402,139 events/s

With ``total`` known (runs of a sweep) the share is ``count / total``; with
neither a fraction nor a total there is no bar, only the count and the rate.
"""

from __future__ import annotations

import time
from typing import Callable, Iterable, Iterator


class Progress:
    """Call it with the count so far; ``counting(items)`` calls it as items pass."""

    WIDTH = 30

    def __init__(self, write: Callable[[str], None] | None, unit: str = "events",
                 fraction: Callable[[], float] | None = None, total: int | None = None,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        self.write, self.unit, self.total, self.clock = write, unit, total, clock
        self.fraction = fraction or ((lambda: self.count / total) if total else None)
        self.count = 0
        self.start = clock()

    def __call__(self, count: int) -> None:
        self.count = count
        if self.write is not None:
            self.write(self.line(count))

    def line(self, count: int) -> str:
        rate = count / max(self.clock() - self.start, 1e-9)
        bar = ""
        if self.fraction is not None:
            done = min(self.fraction(), 1.0)
            filled = round(done * self.WIDTH)
            bar = f"[{'#' * filled}{'.' * (self.WIDTH - filled)}] {done:4.0%}  "
        return f"\r{bar}{count:>12,} {self.unit}  {rate:>10,.0f} {self.unit}/s"

    def counting(self, items: Iterable, every: int = 8192) -> Iterator:
        """``items`` unchanged, calling this progress every ``every`` of them."""
        for n, item in enumerate(items, 1):
            if n % every == 0:
                self(n)
            yield item

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc_info) -> None:
        if self.write is not None and self.count:
            self.write("\n")                 # leave the last line standing
