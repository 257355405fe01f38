"""``zramsim config``: each device a configuration creates, in sysfs terms, like a dry run.

For every ``[zramN]`` section: whether the device is created (and why not), then
the sysfs writes the generator's setup would make, in its order, each with the
option and the file line it came from, then the options that only ride along
(swap priority, file system, mount point, mount options).

Example at 16 GiB of RAM, ``zram-size = ram / 4`` and ``compression-algorithm =
zstd lz4hc``::

    zram0: created (ram = 16384 MiB)
      comp_algorithm    zstd
      recomp_algorithm  algo=lz4hc priority=1
      mem_limit         0
      disksize          4294967296 (4G)   zram-size = ram / 4
      swap, priority 100, options discard
"""

from __future__ import annotations

import json

from zramsim.sizes import human_size
from zramsim.zram_generator.device import GeneratedDevice

_SOURCE = {"comp_algorithm": "compression-algorithm", "algorithm_params": "compression-algorithm",
           "recomp_algorithm": "compression-algorithm", "recompress": "compression-algorithm",
           "backing_dev": "writeback-device", "mem_limit": "zram-resident-limit",
           "disksize": "zram-size"}


def render_devices(devices: dict[str, GeneratedDevice], warnings: list[str],
                   fmt: str = "table") -> str:
    """The dry-run text for every device, sorted by device number; or (``json``) every
    device's settings and the warnings."""
    if fmt == "json":
        return json.dumps({"devices": [d.as_dict() for d in devices.values()],
                           "warnings": warnings}, indent=2)
    blocks = [_render(devices[name]) for name in sorted(devices, key=lambda n: int(n[4:]))]
    if not blocks:
        blocks = ["no [zramN] section: the generator creates no device\n"]
    return "".join(blocks) + "".join(f"warning: {w}\n" for w in warnings)


def _render(device: GeneratedDevice) -> str:
    if not device.created:
        return f"{device.name}: not created: {device.reason}\n"
    lines = [f"{device.name}: created (ram = {device.ram_mib} MiB)"]
    for attribute, value in device.sysfs_writes():
        if attribute in ("disksize", "mem_limit") and value != "0":
            value = f"{value} ({human_size(int(value))})"
        option = _SOURCE[attribute]
        note = ""
        if attribute == "disksize":
            note = f"zram-size = {device.zram_size}"
            if "zram-fraction" in device.origin or "max-zram-size" in device.origin:
                note = "zram-fraction / max-zram-size (obsolete options)"
        elif attribute == "mem_limit":
            note = f"zram-resident-limit = {device.zram_resident_limit}"
        where = device.origin.get(option, "default")
        note = f"{note}  " if note else ""
        lines.append(f"  {attribute:<17} {value:<26} {note}[{where}]")
    if device.algorithm is None:
        lines.append(f"  (comp_algorithm not written: the kernel's default, "
                     f"{device.primary_algorithm})")
    if device.recompress_params:
        lines.append(f"  recompress parameters for every priority: {device.recompress_params}")
    kind = device.fs_type if device.fs_type != "swap" else "swap"
    where = f" mounted on {device.mount_point}" if device.mount_point else ""
    lines.append(f"  {kind}{where}, priority {device.swap_priority}, options "
                 f"{device.options or '(none)'}")
    return "\n".join(lines) + "\n"
