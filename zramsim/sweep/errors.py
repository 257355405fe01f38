"""Errors of the sweep engine; the CLI turns them into exit codes."""

from __future__ import annotations


class SweepError(Exception):
    """Base class of every sweep error."""


class StoreError(SweepError):
    """The results database cannot be used: not SQLite, another schema, locked."""


class MissingExtra(SweepError):
    """An optional dependency is not installed; the message says which extra to install."""


class SchedulerError(SweepError):
    """The Dask scheduler at the given address cannot be reached."""
