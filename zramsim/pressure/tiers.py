"""Tiers behind zram: writeback to flash, or recompression, run as a daily job.

Phones do not just compress: once a "day" a job writes back the zram pages
nobody touched since the day before to a flash partition, under a budget of
flash writes, or re-packs them with a stronger algorithm. Both give RAM back
to the workload: a page written back takes no zsmalloc memory at all (but a
fault on it now waits for flash), a recompressed page takes less.

The model runs the job every ``tier_period`` accesses (one simulated day),
through the same sysfs writes a phone's init scripts use:

* ``writeback``: ``writeback_limit <budget>`` and ``writeback_limit_enable 1``
  (if ``flash_budget`` > 0), then ``writeback type=idle``, then ``idle all``;
* ``recompress``: ``recompress type=idle``, ``compact``, then ``idle all``.

Recompression allocates each new object before it frees the old one and never
checks a limit, so the pool can outgrow RAM for a moment; after every job the
model reclaims as a fault would (``after_job``) until the books balance.

``idle all`` marks what is in zram now; a page swapped in since is gone from
zram (zram is a swap device: a swap-in frees the slot), so next day the idle
pages are exactly those that stayed in zram for a whole day.

Costs: a fault on a written-back page reads flash (``flash_read_ns``, on the
access path); writes to flash happen in the job, off the access path, and are
reported as flash writes per access: the wear the budget exists to bound.
Worked example: 200,000 accesses with a job every 20,000 and a budget of 300
pages write back at most 10 x 300 = 3,000 pages: 0.015 flash writes per access.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from zramsim.attributes import Sysfs
from zramsim.device import ZramDevice

TIERS = ("none", "writeback", "recompress")
ON_FULL = ("oom", "disk")        # when zram refuses a page: out of memory, or the disk swap


class Tier:
    """The daily job of one model run, and what it did."""

    def __init__(self, kind: str, device: ZramDevice, *, period: int, flash_pages: int,
                 budget: int, recomp_algorithm: str,
                 after_job: Callable[[int], bool] = lambda served: True) -> None:
        if kind not in TIERS[1:]:
            raise ValueError(f"tier must be one of {', '.join(TIERS)}, not {kind!r}")
        if period < 1:
            raise ValueError(f"the tier period must be >= 1 access, not {period}")
        self.kind = kind
        self.period = period
        self.budget = budget
        self.after_job = after_job
        self.sysfs = Sysfs(device)
        self.jobs = self.recompressed = 0
        if kind == "writeback":
            setup = ("backing_dev", str((flash_pages + 1) * device.page_size))
        else:
            setup = ("recomp_algorithm", f"algo={recomp_algorithm} priority=1")
        result = self.sysfs.write(*setup)
        if not result.ok:
            raise ValueError(f"cannot set up the {kind} tier: {result.describe()}")

    def interleave(self, accesses: Iterable, served: int = 0) -> Iterator:
        """The accesses, with the job run after every ``period`` of them.

        ``served`` counts the accesses before these; the stream ends early when
        ``after_job`` says the model ran out of memory.
        """
        for n, access in enumerate(accesses, served + 1):
            yield access
            if n % self.period == 0 and not self.job(n):
                return

    def job(self, served: int = 0) -> bool:
        """One day's post-processing (refusals are normal); ``after_job``'s verdict."""
        fs = self.sysfs
        self.jobs += 1
        if self.kind == "writeback":
            if self.budget:
                fs.write("writeback_limit", str(self.budget))
                fs.write("writeback_limit_enable", "1")
            fs.write("writeback", "type=idle")
        else:
            result = fs.write("recompress", "type=idle")
            self.recompressed += sum(d.endswith("recompressed") for d in result.decisions)
            fs.write("compact", "1")
        fs.write("idle", "all")
        return self.after_job(served)
