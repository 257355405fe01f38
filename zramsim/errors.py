"""Errors raised by the simulated device; the CLI maps them to exit codes."""

from __future__ import annotations


class DeviceError(Exception):
    """Base class of every device error."""


class ConfigError(DeviceError, ValueError):
    """An impossible configuration: unknown algorithm, bad level, bad sizes."""


class SlotOutOfRange(DeviceError, IndexError):
    """A slot index at or beyond the device's disksize (the kernel fails the bio)."""


class BadRequest(DeviceError, ValueError):
    """A request the block layer would never send: wrong page length, misaligned range."""


class DeviceInvariantError(DeviceError, AssertionError):
    """check() found the slot table, the pool and the counters in disagreement (a bug)."""


class ReadFailed(DeviceError):
    """A stored object did not decompress: counted in failed_reads, as the kernel does."""


class VerifyMismatch(DeviceError):
    """Verify mode read back bytes that differ from the last ones written to the slot."""

    def __init__(self, index: int) -> None:
        self.index = index
        super().__init__(f"slot {index}: data read back differs from the last write")
