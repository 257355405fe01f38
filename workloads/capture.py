"""Capture real pages as write events: from a live process, a file or a tree.

Synthetic pages are only a model; the ground truth for "what does zram get to
compress" is the memory of a real process. Linux exposes it through three files:

* ``/proc/PID/maps`` lists the mappings (``start-end perms offset dev inode path``);
* ``/proc/PID/pagemap`` holds one little-endian 64-bit entry per virtual page:
  bit 63 = present in RAM, bit 62 = swapped out. The PFN bits need CAP_SYS_ADMIN,
  the two flag bits do not, and flags are all we read;
* ``/proc/PID/mem`` reads the bytes at a virtual address, after the same ptrace
  access check (``PTRACE_MODE_ATTACH``) that a debugger must pass.

Only resident pages are captured: reading a page that is not present would fault
it in (or swap it in) and change the process we are measuring. Worked example:
a mapping ``55d0c8a00000-55d0c8a21000 rw-p ... [heap]`` spans 0x21000 / 4096 = 33
pages; its 33 pagemap entries start at byte offset 0x55d0c8a00000 / 4096 * 8 =
0x2ae8645000 of ``pagemap``; if 30 of them have bit 63 set, the capture yields
30 writes to slots ``n, n+1, ..., n+29`` and records each page's address.

Which mappings are kept is the ``include`` choice: ``"private"`` (default) keeps
private writable mappings (heap, stacks, anonymous mmaps, .data/.bss) -- what
zram would see as swap; ``"anonymous"`` keeps only those without a backing
file; ``"all"`` keeps every readable mapping, shared libraries' code included.
Kernel-provided areas ([vvar], [vsyscall], ...) can not be read and are skipped.
"""

from __future__ import annotations

import mmap
import os
from collections.abc import Iterator
from typing import NamedTuple

from workloads.errors import CaptureError
from workloads.events import WRITE, PageEvent

PRESENT = 1 << 63
INCLUDE_CHOICES = ("private", "anonymous", "all")
_UNREADABLE = ("[vvar]", "[vvar_vclock]", "[vsyscall]", "[uprobes]")
_PAGEMAP_CHUNK = 1 << 16          # entries read per pagemap call (512 KiB)
_READ_CHUNK = 1 << 20             # bytes read at a time from a captured file


class Mapping(NamedTuple):
    """One line of /proc/PID/maps."""

    start: int
    end: int
    perms: str
    path: str


def _denied(pid: int, name: str) -> str:
    return (f"permission denied reading /proc/{pid}/{name}: capturing a process needs "
            "ptrace access to it (the same user with kernel.yama.ptrace_scope=0, or root)")


def read_maps(pid: int) -> list[Mapping]:
    """Parse /proc/PID/maps; raise CaptureError if the process does not exist."""
    try:
        with open(f"/proc/{pid}/maps") as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        raise CaptureError(f"no process with pid {pid}") from None
    except PermissionError:
        raise CaptureError(_denied(pid, "maps")) from None
    maps = []
    for line in lines:
        fields = line.split(maxsplit=5)
        start, end = (int(x, 16) for x in fields[0].split("-"))
        maps.append(Mapping(start, end, fields[1], fields[5] if len(fields) > 5 else ""))
    return maps


def _wanted(m: Mapping, include: str) -> bool:
    """Whether ``include`` selects mapping ``m`` (see the module docstring)."""
    if m.perms[0] != "r" or m.path in _UNREADABLE:
        return False
    if include == "all":
        return True
    private_writable = m.perms[1] == "w" and m.perms[3] == "p"
    if include == "private":
        return private_writable
    return private_writable and (m.path == "" or m.path.startswith("["))


def _resident_pages(pagemap_fd: int, m: Mapping, page_size: int) -> Iterator[int]:
    """Yield the addresses of the pages of ``m`` whose pagemap entry is present."""
    first, last = m.start // page_size, m.end // page_size
    for chunk in range(first, last, _PAGEMAP_CHUNK):
        count = min(_PAGEMAP_CHUNK, last - chunk)
        raw = os.pread(pagemap_fd, count * 8, chunk * 8)
        for k, entry in enumerate(memoryview(raw).cast("Q")):
            if entry & PRESENT:
                yield (chunk + k) * page_size


def capture_process(pid: int, *, page_size: int = mmap.PAGESIZE,
                    include: str = "private",
                    addresses: list[int] | None = None) -> Iterator[PageEvent]:
    """Yield one write per resident page of process ``pid``, slots 0, 1, 2, ...

    ``include`` is one of ``INCLUDE_CHOICES``. If ``addresses`` is a list, the
    virtual address of each captured page is appended to it, so that
    ``addresses[slot]`` tells where the page of ``slot`` came from.
    Raises CaptureError if the process does not exist, exits during the capture
    or may not be read (ptrace access), and ValueError for a bad ``include`` or a
    ``page_size`` other than the system's.
    """
    if include not in INCLUDE_CHOICES:
        raise ValueError(f"include must be one of {INCLUDE_CHOICES}, not {include!r}")
    if page_size != mmap.PAGESIZE:
        raise ValueError(f"page_size must be the system page size {mmap.PAGESIZE}")
    maps = read_maps(pid)
    try:
        mem_fd = os.open(f"/proc/{pid}/mem", os.O_RDONLY)
    except FileNotFoundError:
        raise CaptureError(f"process {pid} exited before the capture") from None
    except PermissionError:
        raise CaptureError(_denied(pid, "mem")) from None
    try:
        pagemap_fd = os.open(f"/proc/{pid}/pagemap", os.O_RDONLY)
    except OSError as e:
        os.close(mem_fd)
        raise CaptureError(f"cannot open /proc/{pid}/pagemap: {e.strerror}") from None
    try:
        slot = 0
        for m in maps:
            if not _wanted(m, include):
                continue
            try:
                for address in _resident_pages(pagemap_fd, m, page_size):
                    page = os.pread(mem_fd, page_size, address)
                    if len(page) != page_size:
                        break                     # the mapping shrank under us
                    if addresses is not None:
                        addresses.append(address)
                    yield PageEvent(WRITE, slot, page)
                    slot += 1
            except ProcessLookupError:
                raise CaptureError(f"process {pid} exited during the capture") from None
            except OSError:
                continue                          # an unreadable region (EIO): skip it
        if not os.path.exists(f"/proc/{pid}"):
            raise CaptureError(f"process {pid} exited during the capture")
    finally:
        os.close(mem_fd)
        os.close(pagemap_fd)


def _regular_files(root: str) -> Iterator[str]:
    """Every regular file under ``root`` in sorted order, not following symlinks."""
    if os.path.isfile(root):
        yield root
        return
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            if os.path.isfile(path) and not os.path.islink(path):
                yield path


def capture_path(path: str | os.PathLike, *, page_size: int = 4096,
                 files: list[str] | None = None) -> Iterator[PageEvent]:
    """Yield every page of a file, or of every regular file under a directory,
    as sequential writes to slots 0, 1, 2, ...

    Files are visited in sorted order (the walk is deterministic) and symlinks are
    not followed; a file's last partial page is zero-padded, an empty file yields
    nothing. If ``files`` is a list, each captured file's path is appended to it.
    Raises CaptureError if ``path`` does not exist or a file can not be read.
    """
    root = os.fspath(path)
    if not os.path.exists(root):
        raise CaptureError(f"{root}: no such file or directory")
    slot = 0
    new = tuple.__new__                # PageEvent(WRITE, slot, page), without its __new__
    for name in _regular_files(root):
        try:
            with open(name, "rb", buffering=0) as f:
                if files is not None:
                    files.append(name)
                # read 1 MiB at a time and cut it into pages; a short read keeps its tail
                rest = b""
                while chunk := f.read(_READ_CHUNK):
                    data = rest + chunk if rest else chunk
                    whole = len(data) - len(data) % page_size
                    for start in range(0, whole, page_size):
                        yield new(PageEvent, (WRITE, slot, data[start:start + page_size]))
                        slot += 1
                    rest = data[whole:]
                if rest:
                    yield new(PageEvent, (WRITE, slot, rest + bytes(page_size - len(rest))))
                    slot += 1
        except OSError as e:
            raise CaptureError(f"{name}: {e.strerror}") from None
