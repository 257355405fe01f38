"""zram's sysfs attributes, written as a shell script would: ``S <attribute> <value>``.

A version 2 trace drives the device the way Android's init scripts and
zram-generator do: ``echo 64M > backing_dev``, ``echo all > idle``, ``echo
huge_idle > writeback``. ``Sysfs.write(name, value)`` does what the kernel does
with ``echo value > /sys/block/zram0/<name>`` and returns an
``AttributeResult``: the errno name a shell would see (``None`` for success),
a one-line reason, and the decisions taken (one line per slot written back or
recompressed), for the narration.

Initialisation. The kernel takes ``comp_algorithm``, ``recomp_algorithm``,
``backing_dev`` and ``disksize`` only before the device is initialised
(EBUSY after). Here the device is built by the caller (the command line's
options play the part of the udev rule) and initialises on the first
operation that needs it: a read, write or discard, ``C``, or a write to
``idle``, ``writeback``, ``recompress`` or ``compact``. Until then those four
setup attributes change the device in place. ``reset`` makes it new again,
with the configuration it was built with; as in the 6.12-6.18 code,
``writeback_limit`` and ``writeback_limit_enable`` survive a reset.

Worked example: ``S backing_dev 64K`` gives 16 blocks, 15 usable (block 0 is
never used); ``S writeback huge`` with 20 huge slots writes 15 back and returns
ENOSPC; the command line prints a warning naming the line and goes on.
"""

from __future__ import annotations

from dataclasses import dataclass

from zramsim.backing_dev import BackingDevice
from zramsim.compressors import COMPRESSORS, make_compressor
from zramsim.device import ZramDevice
from zramsim.errors import ConfigError, DeviceError
from zramsim.idle import mark_idle
from zramsim.kernel_syntax import (ERRNO_TEXT, U16, Refused, kstrtoint, kstrtoull, memparse,
                                   next_args)
from zramsim.recompress import MAX_COMPS, recompress
from zramsim.writeback import Outcome, WritebackLimit, writeback

# The kernel's backends (6.12+ listing order); names it knows that zramsim cannot run
# are refused with EINVAL and a reason that says so.
KERNEL_ALGORITHMS = ("lzo-rle", "lzo", "lz4", "lz4hc", "zstd", "deflate", "842")
NEEDS_DEVICE = ("compact", "idle", "recompress", "writeback")
WRITABLE = ("algorithm_params", "backing_dev", "comp_algorithm", "disksize", "mem_limit",
            "mem_used_max", "recomp_algorithm", "reset", "writeback_limit",
            "writeback_limit_enable", *NEEDS_DEVICE)
READ_ONLY = ("bd_stat", "debug_stat", "initstate", "io_stat", "mm_stat", "block_state")


@dataclass(frozen=True)
class AttributeResult:
    """One attribute write: errno None on success, else the kernel's error name."""

    attribute: str
    value: str
    errno: str | None = None
    reason: str = ""
    decisions: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.errno is None

    def describe(self) -> str:
        """``writeback huge: ENOSPC (No space left on device): backing device full ...``"""
        head = f"{self.attribute} {self.value}"
        if self.errno is None:
            return head + (f": {self.reason}" if self.reason else "")
        return f"{head}: {self.errno} ({ERRNO_TEXT.get(self.errno, '?')}): {self.reason}"


class AttributeRefused(DeviceError):
    """An attribute write failed and the caller asked for that to stop the replay."""

    def __init__(self, result: AttributeResult) -> None:
        self.result = result
        super().__init__(result.describe())


class Sysfs:
    """The writable attributes of one ``ZramDevice`` (see the module docstring)."""

    def __init__(self, device: ZramDevice) -> None:
        self.device = device
        self.started = False                 # initialised by an operation that needs it
        self.limit = WritebackLimit()
        self._build = (device.algorithm, device.level, device.dictionary, device.fixed_slots)
        self.names: dict[int, str] = {0: device.algorithm}
        # algorithm_params per priority: (level or None for the default, dictionary)
        self.params: dict[int, tuple[int | None, bytes | None]] = {
            0: (device.level, device.dictionary)}

    @property
    def initialised(self) -> bool:
        """Whether the device has been used (setup attributes then answer EBUSY)."""
        d = self.device
        return self.started or bool(d.writes or d.reads or d.notify_free)

    def _before_init(self, name: str) -> None:
        if self.initialised:
            raise Refused("EBUSY", f"{name} can only be written before the device is used")

    def write(self, name: str, value: str) -> AttributeResult:
        """``echo value > name``; never raises for what the kernel would refuse."""
        handler = getattr(self, "_" + name) if name in WRITABLE else None
        try:
            if name in READ_ONLY:
                raise Refused("EACCES", f"{name} is read-only")
            if handler is None:
                raise Refused("ENOENT", f"zram has no attribute {name!r}")
            if name in NEEDS_DEVICE:
                self.started = True
            outcome = handler(value + "\n")
        except Refused as exc:
            return AttributeResult(name, value, exc.errno, exc.reason)
        if isinstance(outcome, Outcome):
            return AttributeResult(name, value, outcome.errno, outcome.reason or
                                   f"{outcome.done} pages", tuple(outcome.decisions))
        return AttributeResult(name, value, None, outcome or "")

    # -- setup: before the device is used -----------------------------------------

    def _comp_algorithm(self, value: str) -> str:
        name = self._algorithm_name(value.rstrip("\n"))
        self._before_init("comp_algorithm")
        self.names[0] = name
        self._rebuild(0)
        return f"primary algorithm {name}"

    def _recomp_algorithm(self, value: str) -> str:
        algo, prio = None, 1
        for key, val in next_args(value):
            if not val:
                raise Refused("EINVAL", f"recomp_algorithm parameter {key!r} has no value")
            if key == "algo":
                algo = val
            elif key == "priority":
                prio = kstrtoint(val, "priority")
        if algo is None:
            raise Refused("EINVAL", "recomp_algorithm needs algo=NAME")
        if not 1 <= prio < MAX_COMPS:
            raise Refused("EINVAL", f"priority {prio} is not 1..{MAX_COMPS - 1}")
        self._algorithm_name(algo)
        self._before_init("recomp_algorithm")
        self.names[prio] = algo
        self._rebuild(prio)
        return f"priority {prio}: {algo}"

    def _algorithm_name(self, name: str) -> str:
        if len(name) + 1 >= 128:
            raise Refused("E2BIG", f"algorithm name of {len(name)} characters")
        if name not in COMPRESSORS:
            known = "known to the kernel but not simulated" if name in KERNEL_ALGORITHMS \
                else "unknown"
            raise Refused("EINVAL", f"algorithm {name!r} is {known} (zramsim has "
                                    f"{', '.join(COMPRESSORS)})")
        return name

    def _rebuild(self, prio: int) -> None:
        level, dictionary = self.params.get(prio, (None, None))
        try:
            compressor = make_compressor(self.names[prio], level, dictionary)
        except ConfigError as exc:
            raise Refused("EINVAL", str(exc)) from None
        if prio == 0:
            self.device.compressor = compressor
            self.device.algorithm = self.names[0]
            self.device.level = level
        else:
            self.device.secondary[prio] = compressor

    def _disksize(self, value: str) -> str:
        size = memparse(value)
        if not size:
            raise Refused("EINVAL", "disksize 0")
        self._before_init("disksize")
        try:
            self.device.set_disksize(size)
        except ConfigError as exc:
            raise Refused("ENOMEM", str(exc)) from None
        return f"{self.device.disksize} bytes"

    def _backing_dev(self, value: str) -> str:
        self._before_init("backing_dev")
        if not value[:1].isdigit():
            raise Refused("ENOENT", f"zramsim's backing_dev is a size such as 64M, "
                                    f"not {value.strip()!r}")
        backing = BackingDevice(memparse(value), self.device.page_size)
        if not backing.nr_pages:
            raise Refused("EINVAL", f"a backing device of {backing.size} bytes has no page")
        self.device.backing = backing
        return f"{backing.nr_pages} blocks, {backing.capacity} usable (block 0 never is)"

    def _algorithm_params(self, value: str) -> str:
        prio, level, algo = 0, None, None
        for key, val in next_args(value):
            if not val:
                raise Refused("EINVAL", f"algorithm_params parameter {key!r} has no value")
            if key == "priority":
                prio = kstrtoint(val, "priority")
            elif key == "level":
                level = kstrtoint(val, "level")
            elif key == "algo":
                algo = val
            elif key == "dict":
                raise Refused("EINVAL", "zramsim reads no dictionary named in a trace "
                                        "(use --dict)")
        if algo is not None:
            found = [p for p, n in sorted(self.names.items()) if n == algo]
            prio = found[0] if found else -1
        if not 0 <= prio < MAX_COMPS:
            raise Refused("EINVAL", f"no algorithm at priority {prio}")
        self.params[prio] = (level, None)
        if self.initialised:
            return "stored; parameters apply when the device is initialised"
        if prio in self.names:
            self._rebuild(prio)
        return f"priority {prio}: level {level if level is not None else 'default'}"

    # -- any time ------------------------------------------------------------------

    def _mem_limit(self, value: str) -> str:
        self.device.set_mem_limit(memparse(value))
        return f"{self.device.limit_pages} pages"

    def _mem_used_max(self, value: str) -> str:
        if kstrtoull(value, 10, what="mem_used_max") != 0:
            raise Refused("EINVAL", "mem_used_max takes only 0")
        self.device.reset_mem_used_max()
        return ""

    def _writeback_limit(self, value: str) -> str:
        try:
            self.limit.pages = kstrtoull(value, 10, what="writeback_limit")
        except Refused as exc:
            raise Refused("EINVAL", exc.reason) from None
        return f"{self.limit.pages} x 4 KiB"

    def _writeback_limit_enable(self, value: str) -> str:
        try:
            self.limit.enable = kstrtoull(value, 10, what="writeback_limit_enable") != 0
        except Refused as exc:
            raise Refused("EINVAL", exc.reason) from None
        return "on" if self.limit.enable else "off"

    def _reset(self, value: str) -> str:
        if kstrtoull(value, 10, U16, "reset") == 0:
            raise Refused("EINVAL", "reset takes a non-zero number")
        device = self.device
        device.reset()
        algorithm, level, dictionary, slots = self._build
        device.algorithm, device.level = algorithm, level
        device.compressor = make_compressor(algorithm, level, dictionary)
        device.set_disksize(None if slots is None else slots * device.page_size)
        self.names, self.params = {0: algorithm}, {0: (level, dictionary)}
        self.started = False
        return ""

    # -- operations on an initialised device -------------------------------------------

    def _compact(self, value: str) -> str:
        return f"{self.device.compact()} pages freed"

    def _idle(self, value: str) -> str:
        return f"{mark_idle(self.device, value)} slots idle"

    def _writeback(self, value: str) -> Outcome:
        return writeback(self.device, value, self.limit)

    def _recompress(self, value: str) -> Outcome:
        return recompress(self.device, value, self.names)
