"""Refuse, with one clear sentence, work that would need more memory than there is.

Most of zramsim's memory follows what a trace writes. A few structures follow
a number the input merely names: a swap-pressure address space has one entry
per page from 0 to the highest slot, so ``W 4294967296 zero`` asks for 4.3
billion pages. Python would die half-way with a MemoryError (or the kernel's
OOM killer would end it); instead, the size is worked out first and compared
with what this process may still use: the smaller of the memory the kernel
reports available (``MemAvailable``) and the room left under ``ulimit -v``
(RLIMIT_AS, minus the address space already mapped).

Worked example: 4,294,967,297 pages at 96 bytes each is 412 GB; on a machine
with 24 GB available the command stops before allocating anything.
"""

from __future__ import annotations

import os

from workloads.errors import MemoryBudgetError


def available_bytes() -> int | None:
    """Bytes this process can still allocate, as far as can be told; None if unknown."""
    limits = []
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    limits.append(int(line.split()[1]) * 1024)
                    break
    except (OSError, ValueError, IndexError):
        pass
    try:
        import resource
        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        if soft != resource.RLIM_INFINITY:
            with open("/proc/self/statm") as statm:
                mapped = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
            limits.append(max(0, soft - mapped))
    except (ImportError, OSError, ValueError, IndexError):
        pass
    return min(limits) if limits else None


def require(needed: int, what: str) -> None:
    """MemoryBudgetError if ``needed`` bytes (for ``what``) exceed what is available."""
    available = available_bytes()
    if available is not None and needed > available:
        raise MemoryBudgetError(f"{what} needs about {_gb(needed)} of memory, more than the "
                                f"{_gb(available)} available")


def _gb(n: int) -> str:
    return f"{n / 1e9:,.1f} GB" if n >= 1e8 else f"{n / 1e6:,.0f} MB"
