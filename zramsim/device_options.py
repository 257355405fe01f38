"""The device a command line describes: its options, a zram-generator.conf, a trace's page size.

Every command that builds a device takes the same options (``--algo``, ``--level``,
``--dict``, ``--disksize``, ``--mem-limit``, ``--page-size``, ``--chain-size``,
``--chain-rule``), handed here as one dict keyed by ``DEVICE_OPTIONS``. With
``--config`` the device a zram-generator configuration would create supplies
every setting the command line did not give; an option not given at all falls
back to the trace (the page size) or to the device's default.

Worked example: ``--config`` saying ``zram-size = ram / 2`` and
``compression-algorithm = zstd``, ``--ram 1G`` and ``--algo lz4`` on the command
line give an lz4 device (the command line wins) of disksize 536,870,912 bytes
(half of 1 GiB, from the configuration).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from zramsim.compressors import COMPRESSORS
from zramsim.device import ZramDevice

DEVICE_OPTIONS = ("algorithm", "level", "dictionary", "disksize", "mem_limit", "page_size",
                  "chain_size", "chain_rule")


def from_generator(options: dict, configs: Sequence[str], ram: int | None, name: str,
                   given: Callable[[str], bool]) -> tuple[dict, dict, list[str]]:
    """``options`` with the settings of device ``name`` of the configuration files
    ``configs`` seen at MemTotal ``ram`` bytes (default: this machine's), except
    those ``given(option)`` says the command line set; then what the configuration
    says (for the JSON) and its warnings. A ``dict=`` parameter becomes the
    ``dictionary`` option as a path."""
    from zramsim.zram_generator import device_settings, machine_ram, read_device
    generated, warnings = read_device(list(configs), ram or machine_ram(), name)
    settings = device_settings(generated, COMPRESSORS, options["page_size"] or 4096)
    path = settings.pop("dict_path")
    if path:
        settings["dictionary"] = path
    merged = {**options, **{key: value for key, value in settings.items() if not given(key)}}
    return merged, generated.as_dict(), warnings


def device_maker(options: dict, page_size: int, verify: bool = False
                 ) -> Callable[[], ZramDevice]:
    """What makes the device ``options`` describe (each call a fresh one), at
    ``page_size`` unless they give one. The dictionary is read once, now: an open
    binary file (``--dict``) or a path (a configuration's ``dict=``)."""
    args = {"disksize": None, **options, "verify": verify}
    args["page_size"] = args["page_size"] or page_size
    dictionary = args.pop("dictionary", None)
    if isinstance(dictionary, str):
        with open(dictionary, "rb") as file:
            args["dictionary"] = file.read()
    else:
        args["dictionary"] = dictionary.read() if dictionary else None
    return lambda: ZramDevice(**args)
