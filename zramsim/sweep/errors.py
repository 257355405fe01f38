"""Errors of the sweep engine; the CLI turns them into exit codes."""

from __future__ import annotations

from zramsim.errors import DeviceError


class SweepError(DeviceError):
    """Base class of every sweep error: a domain error (exit 1), like a device's."""


class StoreError(SweepError):
    """The results database cannot be used: not SQLite, another schema, locked."""


class MissingExtra(SweepError):
    """An optional dependency is not installed; the message says which extra to install."""


class SchedulerError(SweepError):
    """The Dask scheduler at the given address cannot be reached."""
