"""The device's files under /sys/block/zramN/ (and debugfs), in the kernel's exact text.

People and scripts read zram through these files, so zramsim can print each
one as the kernel would for a device in the same state, byte for byte (spec
§3): a simulator's ``mm_stat`` can be diffed against a real one, and
``zramctl`` (``zramsim.zramctl``) is computed from these texts the way
util-linux computes it from the real files.

========================  ==================================================
view                      text (``\\n`` ends every one)
========================  ==================================================
``disksize``              bytes, ``"%llu"``; 0 when not initialised
``initstate``             ``1`` initialised, ``0`` not (after ``reset``)
``comp_algorithm``        every algorithm on offer, the selected one in
                          brackets, each followed by a space: ``lzo-rle lzo
                          [lz4] zstd \\n``
``mem_limit``             bytes (write-only on the kernel: the value is
                          mm_stat field 4, shown here the ``disksize`` way)
``mem_used_max``          bytes (write-only on the kernel: mm_stat field 5)
``mm_stat``               nine ``%8llu`` fields
``io_stat``               ``%8llu %8llu 0 %8llu``
``debug_stat``            ``version: 1`` then ``0 %8llu`` (6.15+)
``classes``               debugfs ``zsmalloc/zramN/classes`` (needs
                          CONFIG_ZSMALLOC_STAT on a real kernel)
========================  ==================================================

Which algorithms ``comp_algorithm`` lists: the kernel's names of the
compressors zramsim offers (``lz4`` and ``lz4-kernel`` are both the kernel's
``lz4``), in the kernel's fixed order ``lzo-rle lzo lz4 lz4hc zstd deflate
842``. It is derived from the compressor registry, so a new compressor shows
up by itself. Worked example: with lz4, lz4-kernel and zstd registered and
lz4-kernel selected, the text is ``"[lz4] zstd \\n"``; with lzo and lzo-rle
registered as well, ``"lzo-rle lzo [lz4] zstd \\n"``.

A hook for more views: ``SYSFS_VIEWS`` maps a file name to a function of the
device returning its text. Writeback adds ``bd_stat`` there and debugfs
``block_state`` to ``DEBUGFS_VIEWS``; every command that offers views
(``--format NAME``, the JSON's ``sysfs`` object) takes them from these dicts.
"""

from __future__ import annotations

from typing import Callable

from allocator import render_classes
from zramsim.compressors import COMPRESSORS
from zramsim.device import ZramDevice
from zramsim.idle import block_state

KERNEL_ORDER = ("lzo-rle", "lzo", "lz4", "lz4hc", "zstd", "deflate", "842")


def kernel_name(algorithm: str) -> str:
    """The kernel's name of one of our compressors: ``lz4-kernel`` -> ``lz4``."""
    return algorithm.removesuffix("-kernel")


def comp_algorithm_text(selected: str, offered=None) -> str:
    """The ``comp_algorithm`` listing with ``selected`` (one of ours) in brackets."""
    names = {kernel_name(name) for name in (COMPRESSORS if offered is None else offered)}
    listed = [n for n in KERNEL_ORDER if n in names] + sorted(names - set(KERNEL_ORDER))
    chosen = kernel_name(selected)
    return "".join(f"[{n}] " if n == chosen else f"{n} " for n in listed) + "\n"


SysfsView = Callable[[ZramDevice], str]

SYSFS_VIEWS: dict[str, SysfsView] = {
    "disksize": lambda dev: f"{dev.disksize}\n",
    "initstate": lambda dev: f"{int(dev.initialised)}\n",
    "comp_algorithm": lambda dev: comp_algorithm_text(dev.algorithm),
    "mem_limit": lambda dev: f"{dev.mm_stat().mem_limit}\n",
    "mem_used_max": lambda dev: f"{dev.mm_stat().mem_used_max}\n",
    "mm_stat": lambda dev: dev.mm_stat().text(),
    "io_stat": lambda dev: dev.io_stat().text(),
    "debug_stat": lambda dev: dev.debug_stat().text(),
    "bd_stat": lambda dev: dev.bd_stat().text(),
}

DEBUGFS_VIEWS: dict[str, SysfsView] = {
    "classes": lambda dev: render_classes(dev.pool.class_stats()),
    "block_state": block_state,
}


def view_names() -> list[str]:
    """Every view ``--format`` can name: the sysfs files, then the debugfs ones."""
    return [*SYSFS_VIEWS, *DEBUGFS_VIEWS]


def view(device: ZramDevice, name: str) -> str:
    """The exact text of one view (KeyError for an unknown name)."""
    views = SYSFS_VIEWS if name in SYSFS_VIEWS else DEBUGFS_VIEWS
    return views[name](device)


def sysfs_texts(device: ZramDevice) -> dict[str, str]:
    """Every sysfs file's text (not debugfs): what ``zramctl`` reads, and the JSON's ``sysfs``."""
    return {name: render(device) for name, render in SYSFS_VIEWS.items()}
