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

The options themselves are declared here as data (``zramsim.option_spec``):
``DEVICE``, ``GEOMETRY`` (page size and chain, for commands without a device)
and ``GENERATOR`` (``--config``, ``--ram``, ``--device``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from allocator.geometry import CHAIN_RULES, MAX_CHAIN_SIZE, MIN_CHAIN_SIZE
from zramsim.compressors import COMPRESSORS
from zramsim.device import ZramDevice
from zramsim.option_spec import SIZE, Choices, File, Option, Path, Range

DEVICE_OPTIONS = ("algorithm", "level", "dictionary", "disksize", "mem_limit", "page_size",
                  "chain_size", "chain_rule")

ALGO = Option("--algo algorithm", Choices(tuple(sorted(COMPRESSORS))), "lz4",
              "Compression algorithm.")
PAGE_SIZE = Option("--page-size", Choices(("4096", "16384", "65536")), None,
                   "Page size (default: the trace's, else 4096).", parse=int)
CHAIN = (Option("--chain-size", Range(int, MIN_CHAIN_SIZE, MAX_CHAIN_SIZE), 8,
                "zsmalloc pages per zspage limit (CONFIG_ZSMALLOC_CHAIN_SIZE)."),
         Option("--chain-rule", Choices(CHAIN_RULES), "min-waste",
                "Chain length rule: 6.3+ or legacy."))
DEVICE = (ALGO,
          Option("--level", int, None, "lz4 acceleration, or lz4hc/zstd/deflate level "
                                       "(default: the kernel's: 1, 9, 3, -1)."),
          Option("--dict dictionary", File("rb"), None,
                 "zstd dictionary file (zram's algorithm_params dict=)."),
          Option("--disksize", SIZE, None,
                 "Device size, e.g. 1G (default: grows to fit the trace)."),
          Option("--mem-limit", SIZE, 0, "zram mem_limit, e.g. 64M; 0 is unlimited."),
          PAGE_SIZE, *CHAIN)
GEOMETRY = (PAGE_SIZE._replace(default="4096", help="Page size."), *CHAIN)

CONFIGS = Option("--config configs", Path(), multiple=True,
                 help="zram-generator.conf, a drop-in, or a folder of them "
                      "(repeatable; later ones override).")
RAM = Option("--ram", SIZE, None,
             "MemTotal of the simulated machine, for --config (default: this machine's).")
ZRAM_DEVICE = Option("--device zram_device", str, "zram0",
                     "The [zramN] section of --config to simulate.")
GENERATOR = (CONFIGS, RAM, ZRAM_DEVICE)


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
