"""An lz4 whose copy in a helper process waits at a gate: parallel paths made deterministic.

The parallel replay's helper processes share nothing with the test but the
pages they are sent, so the gate is files in a folder. ``GatedLz4(folder)``
compresses as ``Lz4`` does; its clone (the copy a helper process gets):

* with ``hold_ready``, never finishes loading until ``folder/ready`` exists,
  so the helper never says it is ready;
* with ``hold_first``, on its first page, creates ``folder/entered`` and
  waits for ``folder/go`` before compressing it;
* creates ``folder/helped`` once it has compressed its first page.

The parent's instance counts the pages it compresses itself (``calls``),
creates ``folder/go`` once it has compressed the page ``release_on``, and with
``wait_for_helper`` does not compress its first page before ``folder/helped``
exists (so a helper has done at least one page).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from zramsim.compressors import Lz4

PATIENCE = 60.0          # seconds a gate waits before giving up (a broken test, not a pass)


def wait_for(path: str | os.PathLike, patience: float = PATIENCE) -> bool:
    """Wait until ``path`` exists; False if it did not within ``patience`` seconds."""
    deadline = time.monotonic() + patience
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.001)
    return True


def touch(path: str | os.PathLike) -> None:
    with open(path, "w"):
        pass


@dataclass(frozen=True)
class Gate:
    """Where the gate files are, and which of the module docstring's holds apply."""

    folder: str
    helper: bool = False
    hold_ready: bool = False
    hold_first: bool = False
    release_on: bytes | None = None
    wait_for_helper: bool = False

    def path(self, name: str) -> str:
        return os.path.join(self.folder, name)


class GatedLz4(Lz4):
    """See the module docstring; ``GatedLz4(folder, hold_first=True, ...)``."""

    def __init__(self, folder: str | os.PathLike, **holds) -> None:
        super().__init__()
        self.gate = Gate(os.fspath(folder), **holds)
        self.calls = 0

    def clone(self) -> GatedLz4:
        g = self.gate
        return GatedLz4(g.folder, helper=True, hold_ready=g.hold_ready, hold_first=g.hold_first)

    def __setstate__(self, state: dict) -> None:      # in the helper, as it loads
        self.__dict__.update(state)
        if self.gate.helper and self.gate.hold_ready:
            wait_for(self.gate.path("ready"))

    def compress(self, page: bytes) -> bytes:
        g = self.gate
        self.calls += 1
        first = self.calls == 1
        if g.helper and first and g.hold_first:
            touch(g.path("entered"))
            wait_for(g.path("go"))
        if not g.helper and first and g.wait_for_helper:
            wait_for(g.path("helped"))
        out = super().compress(page)
        if g.helper and first:
            touch(g.path("helped"))
        if not g.helper and g.release_on is not None and page == g.release_on:
            touch(g.path("go"))
        return out
