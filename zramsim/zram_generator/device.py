"""The zram device one ``[zramN]`` section creates, computed as zram-generator does it.

For each section the generator works out, from MemTotal in MiB (``ram``):

- whether the device exists at all: not when ``ram`` is above
  ``host-memory-limit`` (MiB), nor when its size comes out as 0;
- ``disksize`` = the ``zram-size`` expression (default ``min(ram / 2, 4096)``)
  in MiB, times 1 MiB, cut to a whole number of bytes; with the obsolete
  ``zram-fraction``/``max-zram-size`` instead: ``min(int(fraction * ram), max)``
  MiB (no cap unless ``max-zram-size`` is set);
- ``mem_limit`` = ``zram-resident-limit`` (default 0, no limit), the same way;
- the algorithms: ``compression-algorithm = zstd(level=3) lz4hc (type=idle)``
  makes zstd the primary with ``level=3``, lz4hc the recompression algorithm of
  priority 1, and ``type=idle`` the parameters of every ``recompress``;
- ``writeback-device``, ``swap-priority``, ``fs-type``, ``mount-point`` and
  ``options``, which do not change what the device stores.

Then it writes the sysfs attributes in this order: ``comp_algorithm``,
``algorithm_params``, ``recomp_algorithm`` (and its parameters), ``backing_dev``,
``mem_limit``, ``disksize``; the kernel rounds disksize and mem_limit up to
whole pages.

Worked example: 16 GiB of RAM (``ram`` = 16384), no ``zram-size``: min(8192,
4096) = 4096 MiB, disksize 4,294,967,296 bytes. At 1 GiB: 512 MiB.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from zramsim.zram_generator.expression import ExpressionError, evaluate
from zramsim.zram_generator.ini import GeneratorConfigError, Sections, Setting, read_fragment
from zramsim.zram_generator.sources import fragments

MIB = 1 << 20
U64_MAX = (1 << 64) - 1
DEFAULT_ZRAM_SIZE = "min(ram / 2, 4096)"
KERNEL_DEFAULT_ALGORITHM = "lzo-rle"          # CONFIG_ZRAM_DEF_COMP's default
KERNEL_ALGORITHMS = ("lzo-rle", "lzo", "lz4", "lz4hc", "zstd", "deflate", "842")
MAX_RECOMPRESSION = 3                          # priorities 1..3 (spec §2.12)
SIMULATION_OPTIONS = ("host-memory-limit", "memory-limit", "zram-size", "zram-resident-limit",
                      "compression-algorithm", "writeback-device", "zram-fraction",
                      "max-zram-size")
REPORTED_OPTIONS = ("swap-priority", "fs-type", "mount-point", "options")


@dataclass(frozen=True)
class GeneratedDevice:
    """What one section makes: the sysfs values and the options that only ride along."""

    name: str
    ram_mib: int
    created: bool
    reason: str | None                     # why no device, when created is False
    disksize: int                          # bytes, as the generator writes them
    mem_limit: int
    algorithm: str | None                  # None: the kernel's default
    algorithm_params: str
    recompression: tuple[tuple[str, str], ...]      # (algorithm, params), priority 1, 2, 3
    recompress_params: str
    writeback_device: str | None
    swap_priority: int
    fs_type: str
    mount_point: str | None
    options: str
    zram_size: str                          # the expression used
    zram_resident_limit: str
    origin: dict[str, str] = field(default_factory=dict)    # option -> "file:line"

    @property
    def primary_algorithm(self) -> str:
        return self.algorithm or KERNEL_DEFAULT_ALGORITHM

    def sysfs_writes(self) -> list[tuple[str, str]]:
        """The attribute writes the generator's setup makes, in its order."""
        writes = [] if self.algorithm is None else [("comp_algorithm", self.algorithm)]
        if self.algorithm and self.algorithm_params:
            writes.append(("algorithm_params", f"algo={self.algorithm} {self.algorithm_params}"))
        for priority, (algo, params) in enumerate(self.recompression, start=1):
            writes.append(("recomp_algorithm", f"algo={algo} priority={priority}"))
            if params:
                writes.append(("recompress", f"{params} priority={priority}"))
        if self.writeback_device:
            writes.append(("backing_dev", self.writeback_device))
        writes += [("mem_limit", str(self.mem_limit)), ("disksize", str(self.disksize))]
        return writes

    def as_dict(self) -> dict:
        """JSON-ready: every field, the sysfs writes, and the page-rounded sizes."""
        return {**{k: v for k, v in self.__dict__.items() if k != "recompression"},
                "recompression": [{"algorithm": a, "params": p, "priority": i}
                                  for i, (a, p) in enumerate(self.recompression, start=1)],
                "primary_algorithm": self.primary_algorithm,
                "sysfs": [{"attribute": a, "value": v} for a, v in self.sysfs_writes()]}


def ram_mib(ram_bytes: int) -> int:
    """``ram`` as the generator sees it: MemTotal in kB, divided by 1024, cut."""
    return ram_bytes // 1024 // 1024


def machine_ram() -> int:
    """This machine's MemTotal in bytes (from /proc/meminfo)."""
    with open("/proc/meminfo", encoding="ascii") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    raise GeneratorConfigError("/proc/meminfo", None, "has no MemTotal line")


def read_devices(paths: list[str], ram_bytes: int) -> tuple[dict[str, GeneratedDevice], list[str]]:
    """Every ``[zramN]`` device of the configuration, and the warnings the generator prints."""
    sections: Sections = {}
    for path in fragments(paths):
        read_fragment(path, sections)
    warnings: list[str] = []
    variables: dict[str, float] = {"ram": float(ram_mib(ram_bytes))}
    for key, setting in sections.get("", {}).items():
        if key.startswith("set!"):
            warnings.append(f"{setting.where}: {key} runs a program at boot; zramsim does not "
                            f"run it, so {key[4:]!r} is undefined here")
        else:
            warnings.append(f"{setting.where}: {key} outside any [zramN] section, ignored")
    devices = {}
    for name, settings in sections.items():
        if not _is_device(name):
            if name:
                warnings.append(f"section [{name}] is not a zram device, ignored")
            continue
        for key, setting in settings.items():
            if key not in SIMULATION_OPTIONS + REPORTED_OPTIONS:
                warnings.append(f"{setting.where}: unknown option {key!r}, ignored")
        devices[name] = _device(name, settings, variables)
    return devices, warnings


def read_device(paths: list[str], ram_bytes: int,
                name: str = "zram0") -> tuple[GeneratedDevice, list[str]]:
    """The one device ``name``; a configuration without it is an error."""
    devices, warnings = read_devices(paths, ram_bytes)
    if name not in devices:
        have = ", ".join(sorted(devices)) or "none"
        raise GeneratorConfigError(", ".join(paths), None,
                                   f"no [{name}] section (devices configured: {have})")
    return devices[name], warnings


def _is_device(name: str) -> bool:
    return name.startswith("zram") and name[4:].isascii() and name[4:].isdigit()


def _device(name: str, settings: dict[str, Setting], variables: dict[str, float]) -> GeneratedDevice:
    ram = int(variables["ram"])
    get = settings.get
    host_limit = _optional_mib(get("host-memory-limit") or get("memory-limit"))
    algorithm, params, recompression, recompress_params = _algorithms(
        get("compression-algorithm"))
    zram_size = get("zram-size")
    resident = get("zram-resident-limit")
    reason = None
    if host_limit is not None and host_limit < ram:
        reason = f"{ram} MiB of RAM is above host-memory-limit = {host_limit} MiB"
        disksize = mem_limit = 0
    else:
        disksize = _disksize(settings, variables)
        mem_limit = _size(resident, variables, 0.0) if resident else 0
        if disksize == 0:
            reason = "its size comes out as 0 bytes, and the generator discards such a device"
        elif disksize > U64_MAX - 4095:
            where = (zram_size or get("zram-fraction") or get("max-zram-size"))
            raise where.error(f"a disksize of {disksize} bytes is too large for the kernel")
    return GeneratedDevice(
        name=name, ram_mib=ram, created=reason is None, reason=reason, disksize=disksize,
        mem_limit=mem_limit, algorithm=algorithm, algorithm_params=params,
        recompression=recompression, recompress_params=recompress_params,
        writeback_device=_absolute(get("writeback-device")),
        swap_priority=_priority(get("swap-priority")),
        fs_type=_fs_type(get("fs-type"), get("mount-point")),
        mount_point=_absolute(get("mount-point")),
        options=get("options").value if get("options") else "discard",
        zram_size=zram_size.value if zram_size else DEFAULT_ZRAM_SIZE,
        zram_resident_limit=resident.value if resident else "0",
        origin={key: s.where for key, s in settings.items()})


def _disksize(settings: dict[str, Setting], variables: dict[str, float]) -> int:
    fraction, cap = settings.get("zram-fraction"), settings.get("max-zram-size")
    if fraction is None and cap is None:
        return _size(settings.get("zram-size"), variables, min(variables["ram"] / 2, 4096))
    share = _nonnegative_float(fraction) if fraction else 0.5
    limit = _optional_mib(cap)
    mib = _as_u64(share * variables["ram"])
    return min(mib, U64_MAX if limit is None else limit) * MIB


def _size(setting: Setting | None, variables: dict[str, float], default: float) -> int:
    """An expression in MiB, as bytes cut to an integer the way a float-to-u64 cast cuts."""
    value = default
    if setting is not None:
        try:
            value = evaluate(setting.value, variables)
        except ExpressionError as exc:
            raise setting.error(f"{setting.value!r}: {exc}") from None
        if not value >= 0:
            raise setting.error(f"{setting.value!r} comes out as {_show(value)}, not a size "
                                "(it must be 0 or more)")
        if math.isinf(value):
            raise setting.error(f"{setting.value!r} comes out as infinite (a division by 0?)")
    return _as_u64(value * 1024.0 * 1024.0)


def _as_u64(value: float) -> int:
    return U64_MAX if value >= 2.0 ** 64 else int(value)


def _show(value: float) -> str:
    return "NaN (0 divided by 0?)" if math.isnan(value) else f"{value:g}"


def _optional_mib(setting: Setting | None) -> int | None:
    if setting is None or setting.value == "none":
        return None
    text = setting.value.removeprefix("+")
    if not (text.isascii() and text.isdigit()) or int(text) > U64_MAX:
        raise setting.error(f"{setting.value!r} is not a whole number of MiB or 'none'")
    return int(text)


def _nonnegative_float(setting: Setting) -> float:
    try:
        value = float(setting.value)
    except ValueError:
        raise setting.error(f"{setting.value!r} is not a number") from None
    if not value >= 0:
        raise setting.error(f"{setting.value!r} is negative")
    return value


def _algorithms(setting: Setting | None):
    """(primary, its params, recompression list, global recompress params)."""
    if setting is None:
        return None, "", (), ""
    chosen: list[tuple[str, str]] = []
    global_params = ""
    for token in setting.value.split():
        name, _, params = token.partition("(")
        params = params.removesuffix(")").replace(",", " ")
        if not name:
            global_params = params
            continue
        if name not in KERNEL_ALGORITHMS:
            raise setting.error(f"{name!r} is not a zram algorithm "
                                f"(zram has {' '.join(KERNEL_ALGORITHMS)})")
        _check_params(setting, name, params)
        chosen.append((name, params))
    if not chosen:
        return None, "", (), global_params
    if len(chosen) > 1 + MAX_RECOMPRESSION:
        raise setting.error(f"{len(chosen) - 1} recompression algorithms: zram takes at most "
                            f"{MAX_RECOMPRESSION}")
    (algorithm, params), *rest = chosen
    return algorithm, params, tuple(rest), global_params


def _check_params(setting: Setting, algorithm: str, params: str) -> None:
    for word in params.split():
        key, sep, value = word.partition("=")
        if not sep or not value:
            raise setting.error(f"{algorithm}({params}): {word!r} needs a value (key=value)")
        if key == "level" and not value.lstrip("-").isdigit():
            raise setting.error(f"{algorithm}: level={value} is not a whole number")
        if key == "dict" and not os.access(value, os.R_OK):
            raise setting.error(f"{algorithm}: dict={value} cannot be read")


def _absolute(setting: Setting | None) -> str | None:
    if setting is None:
        return None
    path = PurePosixPath(setting.value)
    if not path.is_absolute():
        raise setting.error(f"{setting.value!r} is not an absolute path")
    if ".." in path.parts:
        raise setting.error(f"{setting.value!r} is not normalised (it has '..')")
    return str(path)


def _priority(setting: Setting | None) -> int:
    if setting is None:
        return 100
    text = setting.value
    if not (text.lstrip("-").isascii() and text.lstrip("-").isdigit()) or \
            not -1 <= int(text) <= 32767:
        raise setting.error(f"swap-priority {text!r} is not a whole number from -1 to 32767")
    return int(text)


def _fs_type(fs_type: Setting | None, mount_point: Setting | None) -> str:
    if fs_type is not None:
        return fs_type.value
    return "ext2" if mount_point is not None else "swap"


def kernel_page_align(size: int, page_size: int = 4096) -> int:
    """What the kernel keeps of a disksize or mem_limit write: rounded up to pages."""
    return -(-size // page_size) * page_size


def device_settings(device: GeneratedDevice, available: Iterable[str],
                    page_size: int = 4096) -> dict:
    """The simulated device's settings: disksize, mem_limit, algorithm, level, dict path.

    ``available`` are the algorithms the simulator has; a configured one it lacks
    is an error at the line that names it. Sizes are rounded up to pages as the
    kernel rounds what the generator writes.
    """
    if not device.created:
        raise GeneratorConfigError(device.name, None, f"no device is created: {device.reason}")
    if device.primary_algorithm not in available:
        where = device.origin.get("compression-algorithm", "the kernel's default")
        raise GeneratorConfigError(where, None, f"zramsim cannot simulate "
                                   f"{device.primary_algorithm!r} (it has "
                                   f"{' '.join(sorted(available))})")
    params = dict(word.partition("=")[::2] for word in device.algorithm_params.split())
    return {"disksize": kernel_page_align(device.disksize, page_size),
            "mem_limit": kernel_page_align(device.mem_limit, page_size),
            "algorithm": device.primary_algorithm,
            "level": int(params["level"]) if "level" in params else None,
            "dict_path": params.get("dict")}


def settings_by_ram(paths: list[str], name: str, available: Iterable[str],
                    page_size: int = 4096) -> Callable[[int], dict]:
    """For a swap-pressure sweep: the device's settings at each RAM size (in frames).

    The configuration is read once; each RAM size is the MemTotal it sees.
    """
    def at(ram_pages: int) -> dict:
        device, _ = read_device(paths, ram_pages * page_size, name)
        settings = device_settings(device, available, page_size)
        return {"disksize": settings["disksize"], "mem_limit": settings["mem_limit"],
                "algorithm": settings["algorithm"], "level": settings["level"]}
    read_devices(paths, 1 << 30)            # a bad file fails now, not in the middle
    return at
