"""Compare the simulator with the real kernel, counter by counter, op by op.

A kernel fixture is a sizes-only trace plus the kernel's ``mm_stat`` and
``io_stat`` after each operation (``tests/data/kernel/*.expected``, measured
by ``tools/measure_kernel.py``); ``replay_on_kernel`` produces the same
snapshots live. ``diff_rows`` replays the trace events on a simulated
``ZramDevice`` and, at every snapshot, compares all 13 counters. A faithful
simulator yields no rows.

A row is ``(op_number, field, simulator, kernel, difference)`` with
``difference = simulator - kernel``. Example: if after operation 1501 (a
compaction) the simulator holds 2101248 bytes of zspages and the kernel
2097152, the row is ``(1501, 'mem_used_total', 2101248, 2097152, 4096)``:
one page short of compaction.

The trace itself is read by the caller (``workloads.open_trace``), so this
module sees only events; ``fixture_config`` reads the ``# config`` comment of
a fixture trace to build a device with the kernel's settings.

A live run also asks the system's ``zramctl`` about the real device before it
is reset (``--output-all --raw``, with and without ``--bytes``) and compares
it cell by cell with what ``zramsim.zramctl`` prints for the simulated one:
``ZramctlCell('DATA', False, '7M', '7M')`` is a cell that agrees. NAME is the
real device's path on both sides; STREAMS is empty on Linux 6.15+ and
MOUNTPOINT on an unmounted device, as ours always are.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, astuple, dataclass

from workloads.events import PageEvent, same_filled_word
from zramsim import zramctl
from zramsim.algorithms import kernel_twins
from zramsim.device import ZramDevice
from zramsim.disksize import disksize_for
from zramsim.replay import Replay
from zramsim.sysfs import sysfs_texts
from zramsim.kernel import (
    HUGE, IO_STAT_FIELDS, MM_STAT_FIELDS, SAME, KernelDeviceError, KernelSnapshot, KernelZram,
    check_replayable, kernel_page_sizes, parse_io_stat, parse_mm_stat, replay_on_kernel,
)

FIELDS = MM_STAT_FIELDS + IO_STAT_FIELDS
_CONFIG = re.compile(r"#\s*config\s+(.*)")


def fixture_config(trace_path: str | os.PathLike) -> dict:
    """``{'disksize': int, 'mem_limit': int, 'algorithm': str}`` from a fixture trace.

    Reads the ``# config disksize=<bytes> mem_limit=<bytes> algorithm=<name>``
    comment that precedes the magic line.
    """
    with open(trace_path) as f:
        for line in f:
            match = _CONFIG.match(line)
            if match:
                pairs = dict(kv.split("=", 1) for kv in match.group(1).split())
                return {"disksize": int(pairs["disksize"]),
                        "mem_limit": int(pairs["mem_limit"]),
                        "algorithm": pairs["algorithm"]}
            if not line.startswith("#") and line.strip():
                break
    raise KernelDeviceError(f"{trace_path}: no '# config disksize=... mem_limit=... "
                            "algorithm=...' line before the trace starts")


def load_expected(path: str | os.PathLike) -> list[KernelSnapshot]:
    """The snapshots of a ``.expected`` file: ``<op> <9 mm_stat> | <4 io_stat>`` per line."""
    snapshots = []
    with open(path) as f:
        for number, line in enumerate(f, 1):
            if not line.strip() or line.startswith("#"):
                continue
            left, sep, right = line.partition("|")
            head = left.split(None, 1)
            if not sep or len(head) != 2 or not head[0].isdigit():
                raise KernelDeviceError(f"{path}:{number}: expected "
                                        "'<op> <9 mm_stat ints> | <4 io_stat ints>'")
            snapshots.append(KernelSnapshot(int(head[0]), parse_mm_stat(head[1]),
                                            parse_io_stat(right)))
    return snapshots


def device_for(config: dict, **options) -> ZramDevice:
    """A simulated device with a fixture's disksize, mem_limit and algorithm."""
    return ZramDevice(config["disksize"], config["algorithm"],
                      mem_limit=config["mem_limit"], **options)


def diff_rows(trace_events: Iterable[PageEvent], kernel: Sequence[KernelSnapshot],
              device: ZramDevice, *, all_fields: bool = False) -> list[tuple]:
    """Rows ``(op_number, field, simulator, kernel, difference)`` where they differ.

    ``kernel`` holds the kernel's snapshots (ascending op numbers); the events
    are applied to ``device`` and compared at each snapshot. ``all_fields``
    returns a row for every field at every snapshot, equal or not.
    """
    wanted = {snapshot.op_number: snapshot for snapshot in kernel}
    rows: list[tuple] = []

    def compare(number: int) -> None:
        target = wanted.get(number)
        if target is not None:
            simulated = astuple(device.mm_stat()) + astuple(device.io_stat())
            for field, sim, real in zip(FIELDS, simulated, target.mm_stat + target.io_stat):
                if all_fields or sim != real:
                    rows.append((number, field, sim, real, sim - real))

    applied = Replay(device, compare, every=1).run(trace_events)
    last = max(wanted, default=0)
    if last > applied:
        raise KernelDeviceError(f"the trace ended after {applied} operations, but the "
                                f"kernel has a snapshot at operation {last}")
    return rows


# -- one run: a trace on both, side by side ------------------------------------

KERNEL_ALGORITHM = kernel_twins()   # ours -> the kernel's name: lz4-kernel -> lz4, ...


ZRAMCTL_VIEWS = {False: ("--output-all", "--raw"), True: ("--output-all", "--raw", "--bytes")}


@dataclass(frozen=True)
class ZramctlCell:
    """One zramctl column, human-readable or ``--bytes``, as each side printed it."""

    column: str
    in_bytes: bool
    simulator: str
    kernel: str

    @property
    def same(self) -> bool:
        return self.simulator == self.kernel


def zramctl_cells(ours: dict[bool, str], theirs: dict[bool, str]) -> list[ZramctlCell]:
    """Cells of ``--output-all --raw`` outputs (keyed by ``--bytes``), side by side."""
    cells = []
    for in_bytes in ZRAMCTL_VIEWS:
        our_lines, their_lines = ours[in_bytes].splitlines(), theirs[in_bytes].splitlines()
        if len(our_lines) != 2 or len(their_lines) != 2 or our_lines[0] != their_lines[0]:
            raise KernelDeviceError(f"zramctl printed {theirs[in_bytes]!r}, "
                                    f"expected a header and one row like {ours[in_bytes]!r}")
        cells += [ZramctlCell(column, in_bytes, a, b) for column, a, b in
                  zip(our_lines[0].split(" "), our_lines[1].split(" "), their_lines[1].split(" "))]
    return cells


@dataclass(frozen=True)
class KernelDiff:
    """A trace replayed on the kernel and on the simulator, compared at the same points."""

    snapshots: int                       # points compared (every N operations and the last)
    rows: list                           # (op, field, simulator, kernel, difference), all fields
    final_simulator: tuple[int, ...]
    final_kernel: tuple[int, ...]
    zramctl: list | None = None          # ZramctlCells at the end; None: no zramctl installed

    @property
    def differing(self) -> list:
        """Rows whose difference is not zero."""
        return [r for r in self.rows if r[4]]


def run_kernel_diff(events: list[PageEvent], kernel, algorithm: str, *, disksize: int,
                    mem_limit: int = 0, every: int = 1, zramctl_program: str | None = None,
                    ) -> KernelDiff:
    """Replay ``events`` on the real ``kernel`` and on a new simulated device.

    The kernel is configured and always reset afterwards, whatever happens.
    The system's zramctl (``zramctl_program``, default: found on the PATH) is
    asked about the kernel's device at the end, before the reset.
    """
    if algorithm not in KERNEL_ALGORITHM:
        raise KernelDeviceError(f"{algorithm!r} was never checked on a kernel; "
                                f"choose from {', '.join(KERNEL_ALGORITHM)}")
    events = check_replayable(events)
    with kernel:
        kernel.configure(KERNEL_ALGORITHM[algorithm], disksize, mem_limit)
        snapshots = replay_on_kernel(events, kernel, every)
        theirs = {b: kernel.zramctl(*options, program=zramctl_program)
                  for b, options in ZRAMCTL_VIEWS.items()}
    device = ZramDevice(disksize, algorithm, mem_limit=mem_limit)
    rows = diff_rows(events, snapshots, device, all_fields=True)
    cells = None
    if None not in theirs.values():
        files = sysfs_texts(device)
        ours = {b: zramctl.render(files, kernel.device, zramctl.ALL_COLUMNS, in_bytes=b, raw=True)
                for b in ZRAMCTL_VIEWS}
        cells = zramctl_cells(ours, theirs)
    width = len(FIELDS)
    return KernelDiff(len(snapshots), rows, tuple(r[2] for r in rows[-width:]),
                      tuple(r[3] for r in rows[-width:]), cells)


@dataclass(frozen=True)
class PageAgreement:
    """How one of our compressors agrees with the kernel, page by page."""

    pages: int          # pages neither side found same-filled
    exact: int          # same length, or both huge
    mean_difference: float
    largest_difference: int   # ours - kernel, largest in magnitude
    huge_agree: int     # pages both call huge or both call not huge

    @property
    def exact_share(self) -> float:
        return self.exact / self.pages if self.pages else 1.0


def page_agreement(kernel_sizes: Sequence, our_sizes: Sequence[int],
                   huge_threshold: int) -> PageAgreement:
    """Compare per-page lengths: the kernel's (int, SAME or HUGE) and ours (ints, 0 = same)."""
    pages = exact = huge_agree = 0
    diffs = []
    for theirs, ours in zip(kernel_sizes, our_sizes):
        if theirs == SAME or ours == 0:
            continue
        pages += 1
        kernel_huge, our_huge = theirs == HUGE, ours >= huge_threshold
        huge_agree += kernel_huge == our_huge
        if kernel_huge or our_huge:
            exact += kernel_huge and our_huge
            continue
        diffs.append(ours - theirs)
        exact += ours == theirs
    largest = max(diffs, key=abs, default=0)
    return PageAgreement(pages, exact, sum(diffs) / len(diffs) if diffs else 0.0, largest,
                         huge_agree)


def per_page_agreement(pages: Sequence[bytes], kernel, algorithm: str) -> dict:
    """Each of our algorithms that stands for ``algorithm``'s kernel twin, page by page.

    The kernel measures every page once with that algorithm (lz4 for lz4 and
    lz4-kernel); the device is left reset.
    """
    twin = KERNEL_ALGORITHM[algorithm]
    with kernel:
        theirs = kernel_page_sizes(pages, kernel, twin)
    huge = ZramDevice().huge_class_size
    return {name: page_agreement(theirs, our_page_lengths(pages, name), huge)
            for name, other in KERNEL_ALGORITHM.items() if other == twin}


def our_page_lengths(pages: Sequence[bytes], algorithm: str) -> list[int]:
    """Our compressed length of each page, 0 for a same-filled one (nothing compressed)."""
    compressor = ZramDevice(algorithm=algorithm).compressor
    return [0 if same_filled_word(page) is not None else len(compressor.compress(page))
            for page in pages]


def render_agreement(results: dict[str, PageAgreement]) -> str:
    """One line per compressor: exact share, mean and largest difference, huge agreement."""
    return "".join(f"{name:<11} pages {a.pages}  exact {a.exact} ({a.exact_share:.2%})  "
                   f"mean diff {a.mean_difference:+.3f}  largest {a.largest_difference:+d}  "
                   f"huge agree {a.huge_agree}\n" for name, a in results.items())


def diff_as_dict(diff: KernelDiff) -> dict:
    """JSON-ready: the final values side by side, every differing value, zramctl's cells."""
    return {"snapshots": diff.snapshots,
            "final": {f: {"simulator": s, "kernel": k}
                      for f, s, k in zip(FIELDS, diff.final_simulator, diff.final_kernel)},
            "differences": [dict(zip(("op", "field", "simulator", "kernel", "difference"), r))
                            for r in diff.differing],
            "zramctl": None if diff.zramctl is None else
            [{**asdict(c), "same": c.same} for c in diff.zramctl]}


def render_diff(diff: KernelDiff, title: str, shown: int = 20) -> str:
    """The final counters side by side, then the first ``shown`` differing values."""
    lines = [title, f"{'field':<18}{'simulator':>14}{'kernel':>14}{'difference':>12}"]
    for f, s, k in zip(FIELDS, diff.final_simulator, diff.final_kernel):
        lines.append(f"{f:<18}{s:>14}{k:>14}{s - k:>+12}")
    lines.append(f"{len(diff.differing)} differing values over all compared points")
    lines.extend(f"  after op {op}: {field} simulator {s} kernel {k} ({d:+d})"
                 for op, field, s, k, d in diff.differing[:shown])
    if diff.zramctl is None:
        lines.append("zramctl: not installed, not compared")
        return "\n".join(lines) + "\n"
    lines.append(f"zramctl --output-all, at the end: {sum(not c.same for c in diff.zramctl)} "
                 f"differing cells")
    lines.append(f"{'column':<12}{'simulator':>12}{'kernel':>12}{'bytes':>14}{'kernel':>14}")
    human = {c.column: c for c in diff.zramctl if not c.in_bytes}
    for c in (c for c in diff.zramctl if c.in_bytes):
        h = human[c.column]
        mark = "" if c.same and h.same else "  <- differs"
        lines.append(f"{c.column:<12}{h.simulator:>12}{h.kernel:>12}{c.simulator:>14}"
                     f"{c.kernel:>14}{mark}")
    return "\n".join(lines) + "\n"


def report(events: Iterable[PageEvent], device: str, trace: str, *, algorithm: str = "lz4",
           disksize: int | None = None, mem_limit: int = 0, every: int = 1,
           per_page: bool = False, fmt: str = "table") -> str:
    """What ``zramsim kernel-diff`` prints: the counters of the real ``device`` (a path)
    and ours side by side (or, ``per_page``, how often the lengths of each of ours that
    stands for the same kernel algorithm agree with the kernel's), as a table or JSON.

    Raises KernelDeviceError before touching the device for a trace it cannot
    replay, and for the device itself refusing (permission, busy, gone)."""
    events = list(events) if per_page else check_replayable(events)
    try:
        return _report(events, KernelZram(device), trace, algorithm, disksize, mem_limit,
                       every, per_page, fmt)
    except OSError as exc:
        raise KernelDeviceError(f"{device}: {exc.strerror or exc}") from None


def _report(events: list[PageEvent], kernel: KernelZram, trace: str, algorithm: str,
            disksize: int | None, mem_limit: int, every: int, per_page: bool, fmt: str) -> str:
    if per_page:
        pages = [e[2] for e in events if e[0] == "W" and not isinstance(e[2], int)]
        results = per_page_agreement(pages, kernel, algorithm)
        return json.dumps({k: asdict(v) for k, v in results.items()}, indent=2) \
            if fmt == "json" else render_agreement(results)
    size = disksize or disksize_for(events, 4096)
    diff = run_kernel_diff(events, kernel, algorithm, disksize=size, mem_limit=mem_limit,
                           every=every)
    if fmt == "json":
        return json.dumps({"trace": trace, "algorithm": algorithm, "disksize": size,
                           **diff_as_dict(diff)}, indent=2)
    count = len(events)
    return render_diff(diff, f"{trace}: {count} operation{'' if count == 1 else 's'}, "
                             f"compared at {diff.snapshots} points")
