"""Starting the reader helper's interpreter, and starting it before the command line.

Why: a replay that reads ahead (``zramsim.read_ahead``) runs its reading in a
fresh interpreter, which needs ~30 ms to start and import its modules before
it reads a line; the command line itself needs ~30 ms after ``import zramsim``
to import click and itself before it replays. ``prestart``, called by the
entry point (``zramsim/__main__.py``) before it imports the command line,
starts the helper then, so that both starts run side by side and the helper is
waiting when the replay begins. Measured: ``zramsim replay`` of 40,000 real
pages, farm-bench, 15 pairs: 0.953 of the wall time (~23 ms less).

``prestart`` guesses from the raw arguments, before click has read them:
``replay`` with a file of at least ``SMALLEST`` bytes among them, neither
``--workers`` nor ``--explain`` (which decide for themselves), and a second
core free (``second_core_free``, the rule ``read_ahead.plan`` applies; asked
now, before the helper itself counts as a task). The guess never decides
anything: ``read_ahead.plan`` does, as before, and takes the waiting helper
(``take``) or lets it go (``let_go``: its standard input closed, it exits).
A command that ends before that (a usage error, Ctrl-C) closes that input by
exiting, which ends the helper too. A wrong guess costs the other core one
interpreter start.

The helper's ring of shared memory (``zramsim.page_ring``) is a file made
here with nothing in it; its size, which depends on the page size, is set
when the helper is taken.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from zramsim.helper_start import PACKAGE_ROOT, ctrl_c_held, second_core_free
from zramsim.page_ring import memory_file

if TYPE_CHECKING:
    import subprocess

# The smallest trace file a replay reads ahead, by format (why: ``read_ahead``).
AUTO_BYTES = {"text": 256 << 10, "binary": 8 << 20, "raw": 24 << 20}
SMALLEST = min(AUTO_BYTES.values())
# The helper imports only the modules it needs: the packages' __init__ (the
# device, the allocator, generators, capture...) would double its ~0.1 s start,
# so they are stood in for by bare package objects. A compressor or reader
# that needs them fails to load there, and the replay then reads itself.
BOOT = ("import os, sys, types; root = sys.argv[1]; sys.path.insert(0, root)\n"
        "for name in ('zramsim', 'workloads'):\n"
        "    package = sys.modules[name] = types.ModuleType(name)\n"
        "    package.__path__ = [os.path.join(root, name)]\n"
        "from zramsim.read_ahead_helper import serve; serve()")

_waiting: tuple[subprocess.Popen, int, int] | None = None    # process, its pipe, ring file


def spawn(ring_fd: int) -> tuple[subprocess.Popen, int]:
    """A new reader helper given the ring file ``ring_fd``: the process, and the read
    end of the pipe it sends its batches down. It waits for its setup on standard
    input (``read_ahead.ReadAhead.start``). Call it with Ctrl-C held
    (``ctrl_c_held``) and store the process before letting go, so that no helper
    is ever left unknown."""
    import subprocess       # here: every command starts with this module, few spawn (~2 ms)
    read_end, write_end = os.pipe()
    try:
        process = subprocess.Popen(
            [sys.executable, "-c", BOOT, PACKAGE_ROOT, str(write_end)],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(write_end, ring_fd), start_new_session=True)   # Ctrl-C is ours
    except BaseException:
        os.close(read_end)
        raise
    finally:
        os.close(write_end)
    return process, read_end


def prestart(argv: list[str]) -> None:
    """Start a reader helper now if the command line ``argv`` looks like a replay that
    will want one (see the module docstring); never raises."""
    global _waiting
    if _waiting is not None or not _looks_worth_it(argv[1:]):
        return
    try:
        ring_fd = memory_file("zramsim-pages")
    except OSError:
        return
    with ctrl_c_held():
        try:
            _waiting = (*spawn(ring_fd), ring_fd)
        except OSError:
            os.close(ring_fd)


def _looks_worth_it(args: list[str]) -> bool:
    if not args or args[0] != "replay" or os.name != "posix":
        return False
    if any(arg.split("=")[0] in ("--workers", "--explain") for arg in args[1:]):
        return False
    if not any(_big_file(arg) for arg in args[1:] if not arg.startswith("-")):
        return False
    return second_core_free()


def _big_file(path: str) -> bool:
    try:
        return os.path.isfile(path) and os.path.getsize(path) >= SMALLEST
    except (OSError, ValueError):
        return False


def take() -> tuple[subprocess.Popen, int, int] | None:
    """The helper ``prestart`` started, still alive, with its pipe's read end and its
    ring file (both the caller's to close from now on); None if there is none."""
    global _waiting
    waiting, _waiting = _waiting, None
    if waiting is not None and waiting[0].poll() is not None:    # it died meanwhile
        _close(waiting)
        return None
    return waiting


def let_go() -> None:
    """The replay reads without a helper: the waiting one, if any, ends."""
    global _waiting
    waiting, _waiting = _waiting, None
    if waiting is not None:
        _close(waiting)


def waiting() -> bool:
    """Is a helper waiting (so a second core was free when the command began)?"""
    return _waiting is not None


def _close(waiting: tuple[subprocess.Popen, int, int]) -> None:
    process, read_end, ring_fd = waiting
    try:
        process.stdin.close()                # its setup never comes: it exits
    except OSError:
        pass
    os.close(read_end)
    os.close(ring_fd)
