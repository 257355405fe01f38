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


class GatedLz4(Lz4):
    """See the module docstring."""

    def __init__(self, folder: str | os.PathLike, *, helper: bool = False,
                 hold_ready: bool = False, hold_first: bool = False,
                 release_on: bytes | None = None, wait_for_helper: bool = False) -> None:
        super().__init__()
        self.folder = os.fspath(folder)
        self.helper = helper
        self.hold_ready = hold_ready
        self.hold_first = hold_first
        self.release_on = release_on
        self.wait_for_helper = wait_for_helper
        self.calls = 0

    def clone(self) -> GatedLz4:
        return GatedLz4(self.folder, helper=True, hold_ready=self.hold_ready,
                        hold_first=self.hold_first)

    def __setstate__(self, state: dict) -> None:      # in the helper, as it loads
        self.__dict__.update(state)
        if self.helper and self.hold_ready:
            wait_for(os.path.join(self.folder, "ready"))

    def compress(self, page: bytes) -> bytes:
        self.calls += 1
        first = self.calls == 1
        if self.helper and first and self.hold_first:
            touch(os.path.join(self.folder, "entered"))
            wait_for(os.path.join(self.folder, "go"))
        if not self.helper and first and self.wait_for_helper:
            wait_for(os.path.join(self.folder, "helped"))
        out = super().compress(page)
        if self.helper and first:
            touch(os.path.join(self.folder, "helped"))
        if not self.helper and self.release_on is not None and page == self.release_on:
            touch(os.path.join(self.folder, "go"))
        return out
