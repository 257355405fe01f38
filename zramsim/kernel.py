"""Drive a real zram device, so the simulator can be checked against the kernel.

The simulator is only as good as its agreement with Linux. This module is the
other side of that comparison: it configures an unused ``/dev/zramN``, applies
page events to it with synchronous direct I/O, and reads back the kernel's own
counters (``mm_stat``, ``io_stat``). It never swaps on the device or mounts it,
and it always leaves the device reset, also when an operation fails or the user
presses Ctrl-C (use it as a context manager).

Every operation reaches zram as exactly one bio:

- a write is one 4096-byte ``pwrite`` with ``O_DIRECT`` from a page-aligned
  buffer (an anonymous ``mmap``), so slot ``i`` is byte offset ``i * 4096``;
- a discard is the ``BLKDISCARD`` ioctl over ``(start, length)`` in bytes;
- a compaction is a write of ``1`` to ``/sys/block/zramN/compact``.

A write the kernel refuses (for example because the pool went over
``mem_limit``; zram turns ``-ENOMEM`` into an I/O error) comes back as
``False``, and the kernel counts it in ``failed_writes``.

Per-page mode measures the kernel's compressed length of single pages: write
the page to an empty slot, look at the change of ``compr_data_size`` (mm_stat
field 2), then discard the slot again. Example with lz4: the first page of
Python 3.11's ``os.py`` moves ``compr_data_size`` from 0 to 2290, so its
length is 2290; a page of 512 copies of the word ``0x2a`` leaves it at 0 and raises ``same_pages`` by
one (reported as ``SAME``); a page of random bytes adds 4096 and raises
``huge_pages_since`` (reported as ``HUGE``: the kernel stores it raw because
its compressed length was at least ``huge_class_size`` = 3625 bytes, and the
exact length is not visible).
"""

from __future__ import annotations

import errno
import fcntl
import mmap
import os
import shutil
import stat
import struct
import subprocess
from collections.abc import Callable, Iterable
from typing import NamedTuple

from workloads.events import COMPACT, DISCARD, READ, WRITE, PageEvent
from zramsim.errors import DeviceError

PAGE_SIZE = 4096
BLKDISCARD = 0x1277  # _IO(0x12, 119): discard a (start, length) byte range

MM_STAT_FIELDS = (
    "orig_data_size", "compr_data_size", "mem_used_total", "mem_limit",
    "mem_used_max", "same_pages", "pages_compacted", "huge_pages",
    "huge_pages_since",
)
IO_STAT_FIELDS = ("failed_reads", "failed_writes", "invalid_io", "notify_free")

SAME = "same"  # per-page mode: the page was same-filled, nothing was compressed
HUGE = "huge"  # per-page mode: stored raw; compressed length >= huge_class_size


class KernelDeviceError(DeviceError):
    """The real zram device cannot be used, or refused an operation."""


class KernelSnapshot(NamedTuple):
    """The kernel's counters after ``op_number`` trace operations (1-based)."""

    op_number: int
    mm_stat: tuple[int, ...]
    io_stat: tuple[int, ...]


def parse_mm_stat(text: str) -> tuple[int, ...]:
    """The 9 integers of an ``mm_stat`` line, in kernel field order."""
    return _parse_ints(text, len(MM_STAT_FIELDS), "mm_stat")


def parse_io_stat(text: str) -> tuple[int, ...]:
    """The 4 integers of an ``io_stat`` line (the third is always 0)."""
    return _parse_ints(text, len(IO_STAT_FIELDS), "io_stat")


def _parse_ints(text: str, count: int, what: str) -> tuple[int, ...]:
    fields = text.split()
    if len(fields) != count or not all(f.isdigit() for f in fields):
        raise KernelDeviceError(f"{what}: expected {count} integers, got {text!r}")
    return tuple(int(f) for f in fields)


def check_unused(name: str, sys_root: str = "/sys", proc_root: str = "/proc") -> None:
    """Raise KernelDeviceError unless zram device ``name`` (e.g. ``zram0``) is idle.

    Idle means: disksize 0 (not initialised), not listed in ``/proc/swaps`` and
    not listed in ``/proc/mounts``.
    """
    dev = f"/dev/{name}"
    disksize_path = os.path.join(sys_root, "block", name, "disksize")
    try:
        with open(disksize_path) as f:
            disksize = int(f.read().strip() or "0")
    except OSError as exc:
        raise KernelDeviceError(f"{dev}: cannot read {disksize_path}: {exc.strerror}") from exc
    if disksize != 0:
        raise KernelDeviceError(
            f"{dev} is in use: disksize is {disksize} (reset it first if nobody uses it)")
    for table, role in (("swaps", "swap"), ("mounts", "mounted")):
        path = os.path.join(proc_root, table)
        with open(path) as f:
            for line in f:
                fields = line.split()
                if fields and fields[0] == dev:
                    raise KernelDeviceError(f"{dev} is in use: it is listed in {path} ({role})")


class KernelZram:
    """One real zram device, checked to be unused, driven one page at a time.

    ``geteuid``, ``sys_root`` and ``proc_root`` are injectable so the refusals
    can be tested without a kernel.
    """

    def __init__(self, device: str = "/dev/zram0", *, sys_root: str = "/sys",
                 proc_root: str = "/proc",
                 geteuid: Callable[[], int] = os.geteuid) -> None:
        if geteuid() != 0:
            raise KernelDeviceError(f"{device}: driving a zram device needs root")
        try:
            mode = os.stat(device).st_mode
        except FileNotFoundError:
            raise KernelDeviceError(
                f"{device} does not exist (is the zram module loaded?)") from None
        if not stat.S_ISBLK(mode):
            raise KernelDeviceError(f"{device} is not a block device")
        self.device = device
        self.name = os.path.basename(os.path.realpath(device))
        self.sys_dir = os.path.join(sys_root, "block", self.name)
        check_unused(self.name, sys_root, proc_root)
        self.algorithm: str | None = None
        self.disksize = 0
        self.mem_limit = 0
        self._fd = -1
        self._buf = mmap.mmap(-1, PAGE_SIZE)  # page-aligned, as O_DIRECT needs

    # -- lifecycle -------------------------------------------------------
    def configure(self, algorithm: str, disksize: int, mem_limit: int = 0) -> None:
        """Select the algorithm, then the limit, then the size (the kernel's order)."""
        if self.disksize:
            raise KernelDeviceError(f"{self.device} is already configured; reset it first")
        try:
            self._write_attr("comp_algorithm", algorithm)
            self._write_attr("mem_limit", str(mem_limit))
            self._write_attr("disksize", str(disksize))
            self._fd = os.open(self.device, os.O_RDWR | os.O_DIRECT)
        except BaseException:
            self.reset()
            raise
        self.algorithm, self.disksize, self.mem_limit = algorithm, disksize, mem_limit

    def reset(self) -> None:
        """Close the device and reset it: frees all pages, disksize back to 0."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        self._write_attr("reset", "1")
        self.algorithm, self.disksize, self.mem_limit = None, 0, 0

    def __enter__(self) -> KernelZram:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.reset()

    # -- page operations -------------------------------------------------
    def write(self, index: int, page: bytes) -> bool:
        """Write one page to slot ``index``; False if the kernel failed the write."""
        if len(page) != PAGE_SIZE:
            raise KernelDeviceError(f"a page is {PAGE_SIZE} bytes, got {len(page)}")
        self._buf[:] = page
        try:
            os.pwrite(self._open_fd(), self._buf, index * PAGE_SIZE)
        except OSError as exc:
            if exc.errno in (errno.EIO, errno.ENOMEM):
                return False
            raise
        return True

    def write_pages(self, index: int, pages: list[bytes]) -> bool:
        """Write ``pages`` to slots ``index``, ``index + 1``, ... in one direct write,
        as ``dd bs=1M oflag=direct`` does for 256 pages; False if the kernel failed it."""
        if any(len(page) != PAGE_SIZE for page in pages):
            raise KernelDeviceError(f"every page must be {PAGE_SIZE} bytes")
        if not pages:
            return True
        buffer = mmap.mmap(-1, len(pages) * PAGE_SIZE)     # page-aligned for O_DIRECT
        buffer[:] = b"".join(pages)
        try:
            os.pwrite(self._open_fd(), buffer, index * PAGE_SIZE)
        except OSError as exc:
            if exc.errno in (errno.EIO, errno.ENOMEM):
                return False
            raise
        finally:
            buffer.close()
        return True

    def read(self, index: int) -> bytes:
        """The 4096 bytes of slot ``index`` (zeros if never written)."""
        os.preadv(self._open_fd(), [self._buf], index * PAGE_SIZE)
        return bytes(self._buf)

    def discard(self, index: int, count: int = 1) -> None:
        """Free ``count`` slots from ``index`` (notify_free grows by ``count``)."""
        span = struct.pack("QQ", index * PAGE_SIZE, count * PAGE_SIZE)
        fcntl.ioctl(self._open_fd(), BLKDISCARD, span)

    def compact(self) -> None:
        """Run zsmalloc compaction synchronously."""
        self._write_attr("compact", "1")

    # -- statistics ------------------------------------------------------
    def mm_stat_text(self) -> str:
        """The raw ``mm_stat`` line, newline included."""
        return self._read_attr("mm_stat")

    def mm_stat(self) -> tuple[int, ...]:
        """The 9 ``mm_stat`` integers, see MM_STAT_FIELDS."""
        return parse_mm_stat(self.mm_stat_text())

    def io_stat_text(self) -> str:
        """The raw ``io_stat`` line, newline included."""
        return self._read_attr("io_stat")

    def io_stat(self) -> tuple[int, ...]:
        """The 4 ``io_stat`` integers, see IO_STAT_FIELDS."""
        return parse_io_stat(self.io_stat_text())

    def zramctl(self, *options: str, program: str | None = None) -> str | None:
        """What the system's ``zramctl`` prints for this device; None if it is not installed.

        ``program`` defaults to ``zramctl`` on the PATH (or /usr/sbin/zramctl).
        Its output goes to a pipe, so it is zramctl's non-terminal layout.
        """
        program = program or shutil.which("zramctl") or shutil.which("zramctl", path="/usr/sbin")
        if program is None:
            return None
        try:
            done = subprocess.run([program, *options, self.device], capture_output=True,
                                  text=True, timeout=30, env={**os.environ, "LC_ALL": "C"})
        except OSError as exc:
            raise KernelDeviceError(f"{program}: {exc.strerror}") from exc
        if done.returncode:
            raise KernelDeviceError(f"{program} {' '.join(options)} failed "
                                    f"({done.returncode}): {done.stderr.strip()}")
        return done.stdout

    def selected_algorithm(self) -> str:
        """The bracketed name in ``comp_algorithm``."""
        text = self._read_attr("comp_algorithm")
        return text[text.rindex("[") + 1:text.rindex("]")]

    # -- sysfs plumbing --------------------------------------------------
    def _open_fd(self) -> int:
        if self._fd < 0:
            raise KernelDeviceError(f"{self.device} is not configured; call configure() first")
        return self._fd

    def _read_attr(self, attr: str) -> str:
        with open(os.path.join(self.sys_dir, attr)) as f:
            return f.read()

    def _write_attr(self, attr: str, value: str) -> None:
        path = os.path.join(self.sys_dir, attr)
        try:
            with open(path, "w") as f:
                f.write(value)
        except OSError as exc:
            raise KernelDeviceError(
                f"{path}: writing {value!r} failed: {exc.strerror}") from exc


def check_replayable(events: Iterable[PageEvent]) -> list[PageEvent]:
    """The events as a list; KernelDeviceError if a write carries no page bytes."""
    events = list(events)
    for number, (op, index, arg) in enumerate(events, 1):
        if op not in (WRITE, READ, DISCARD, COMPACT):
            raise KernelDeviceError(
                f"operation {number} ({op}) is not W, R, D or C: the attribute writes and "
                f"clock of a version 2 trace cannot be replayed on a kernel")
        if op == WRITE and not isinstance(arg, (bytes, bytearray, memoryview)):
            raise KernelDeviceError(
                f"operation {number} (W {index}) is a sizes-only write: a real kernel "
                "needs the page bytes, so sizes-only traces cannot be replayed on it")
    return events


def replay_on_kernel(events: Iterable[PageEvent], kernel: KernelZram,
                     snapshot_every: int = 1) -> list[KernelSnapshot]:
    """Apply ``events`` to a configured kernel device and snapshot its counters.

    A snapshot is taken after every ``snapshot_every``-th operation and after
    the last one. Sizes-only writes are refused before the device is touched.
    """
    events = check_replayable(events)
    if snapshot_every < 1:
        raise ValueError("snapshot_every must be >= 1")
    snapshots = []
    for number, (op, index, arg) in enumerate(events, 1):
        if op == WRITE:
            kernel.write(index, arg)
        elif op == READ:
            kernel.read(index)
        elif op == DISCARD:
            kernel.discard(index, arg)
        elif op == COMPACT:
            kernel.compact()
        else:
            raise KernelDeviceError(f"operation {number}: unknown op {op!r}")
        if number % snapshot_every == 0 or number == len(events):
            snapshots.append(KernelSnapshot(number, kernel.mm_stat(), kernel.io_stat()))
    return snapshots


def kernel_page_sizes(pages: Iterable[bytes], kernel: KernelZram,
                      algorithm: str) -> list[int | str]:
    """The kernel's compressed length of each page, or SAME / HUGE.

    Configures ``kernel`` with ``algorithm`` if it is not configured yet;
    otherwise it must already use ``algorithm``. Each page goes to slot 0,
    is measured, and is discarded again, so the device ends as it started.
    """
    if not kernel.disksize:
        kernel.configure(algorithm, 16 * PAGE_SIZE)
    elif kernel.selected_algorithm() != algorithm:
        raise KernelDeviceError(
            f"{kernel.device} uses {kernel.selected_algorithm()}, not {algorithm}")
    compr, same, since = 1, 5, 8  # mm_stat field positions
    sizes: list[int | str] = []
    for page in pages:
        before = kernel.mm_stat()
        if not kernel.write(0, page):
            raise KernelDeviceError(f"{kernel.device}: write failed while measuring a page")
        after = kernel.mm_stat()
        kernel.discard(0, 1)
        if after[same] > before[same]:
            sizes.append(SAME)
        elif after[since] > before[since]:
            sizes.append(HUGE)
        else:
            sizes.append(after[compr] - before[compr])
    return sizes
