"""Errors raised by the allocator; each is a caller's mistake or a broken invariant."""

from __future__ import annotations


class AllocatorError(Exception):
    """Base class of every allocator error."""


class ObjectSizeError(AllocatorError, ValueError):
    """A request of 0 bytes or of more than one page (zs_malloc's -EINVAL/-ENOSPC)."""


class InvalidHandle(AllocatorError, KeyError):
    """A handle that was never returned by malloc, or was already freed."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else "invalid handle"


class ObjectOverflow(AllocatorError, ValueError):
    """More bytes written to an object than were allocated for it."""


class InvariantError(AllocatorError, AssertionError):
    """check() found the pool's structures inconsistent (a simulator bug)."""
