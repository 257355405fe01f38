"""zramsim: a simulated Linux zram device on a faithful zsmalloc allocator."""

from zramsim.compressors import COMPRESSORS, Compressor, make_compressor
from zramsim.device import ZramDevice
from zramsim.errors import (BadRequest, ConfigError, DeviceError, DeviceInvariantError,
                            ReadFailed, SlotOutOfRange, VerifyMismatch)
from zramsim.replay import Replay, replay
from zramsim.stats import DebugStat, DeviceStats, IoStat, MmStat

__all__ = [
    "COMPRESSORS", "Compressor", "make_compressor", "ZramDevice", "BadRequest", "ConfigError",
    "DeviceError", "DeviceInvariantError", "ReadFailed", "SlotOutOfRange", "VerifyMismatch",
    "Replay", "replay", "DebugStat", "DeviceStats", "IoStat", "MmStat",
]
