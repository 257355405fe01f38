"""Compressing helpers: who claims a page, forced each way (issue 14's memory-order item).

``ProcessCompressing`` shares each batch between a helper process (from the
front) and this one (from the back). Claims go through a record lock on the
shared memory file, so they are ordered on any CPU. These tests force each
outcome of the race instead of hoping a run hits it: the helper stopped while
this process claims every page; this process waiting until the helper has
claimed and answered every page; and the two racing on batches of one page,
whichever wins. Each checks every page's bytes and who did it.
"""

from __future__ import annotations

import os
import random
import select
import signal
import subprocess
import sys

import pytest

from zramsim.compressors import Lz4
from zramsim.helper_processes import STARTED, STOP, ProcessCompressing

PAGE = 4096


def _pages(count: int, seed: int = 3) -> list[bytes]:
    rng = random.Random(seed)
    words = [b"claim ", b"lock ", b"page ", rng.randbytes(4)]
    return [b"".join(rng.choice(words) for _ in range(1000))[:PAGE] for _ in range(count)]


@pytest.fixture()
def ahead():
    with ProcessCompressing(Lz4(), 1, PAGE, 16) as compressing:
        assert compressing.wait_ready()
        yield compressing


def test_a_stopped_helper_leaves_every_page_to_this_process(ahead):
    helper = ahead._helpers[0]
    pages = _pages(16)
    os.kill(helper.process.pid, signal.SIGSTOP)
    try:
        pending = ahead.start(pages)
        got = pending()
        control = helper.buffers[0].control
        assert control[STOP] == 0 and control[STARTED] == 0   # all claimed here
    finally:
        os.kill(helper.process.pid, signal.SIGCONT)
    assert [bytes(d) for d in got] == [Lz4().compress(p) for p in pages]
    # the helper, let go, finds nothing left to claim and answers; the next batches work
    more = _pages(16, seed=4)
    assert [bytes(d) for d in ahead.start(more)()] == [Lz4().compress(p) for p in more]
    assert [bytes(d) for d in ahead.start(pages)()] == [Lz4().compress(p) for p in pages]


def test_a_late_collector_takes_every_page_from_the_helper(ahead):
    helper = ahead._helpers[0]
    pages = _pages(16)
    pending = ahead.start(pages)
    # wait for the helper's answer: it has claimed and compressed the whole chunk
    assert select.select([helper.process.stdout], [], [], 30)[0]
    control = helper.buffers[0].control
    assert control[STARTED] == 16 and control[STOP] == 16
    got = pending()
    assert control[STOP] == 16                 # nothing was claimed from the back
    assert [bytes(d) for d in got] == [Lz4().compress(p) for p in pages]


def test_one_page_batches_race_for_their_page_and_only_one_side_claims_it(ahead):
    """Both sides go for page 0 of every batch at once. Whoever wins, the counters
    say exactly one side claimed it: (STARTED, STOP) is (0, 0) when this process
    did, (1, 1) when the helper did; (1, 0), both, is what an unordered claim
    allows."""
    lz4 = Lz4()
    for page in _pages(200, seed=9):
        got = ahead.start([page])()
        assert bytes(got[0]) == lz4.compress(page)
        helper = ahead._helpers[0]
        helper.settle(ahead._next ^ 1)          # the helper is done with the batch too
        control = helper.buffers[ahead._next ^ 1].control
        assert (control[STARTED], control[STOP]) in ((0, 0), (1, 1))


def test_a_lock_held_elsewhere_stops_the_stealing_instead_of_hanging(ahead):
    """A helper stopped while it holds a claim's lock must not hang this process:
    another process holds the lock, and the claim gives up after its patience."""
    from zramsim.helper_processes import _claim_back
    buffer = ahead._helpers[0].buffers[0]
    path = f"/proc/{os.getpid()}/fd/{buffer.lock_fd}"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, os, sys; f = open(sys.argv[1], 'rb+'); "
         "fcntl.lockf(f, fcntl.LOCK_EX, 1, int(sys.argv[2])); print('held', flush=True); "
         "sys.stdin.read()", path, str(buffer.at)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline() == b"held\n"
        control = buffer.control
        control[STARTED], control[STOP] = 0, 8
        assert _claim_back(buffer, patience=0.05) == -1       # gave up, claimed nothing
        assert control[STOP] == 8
    finally:
        holder.stdin.close()
        holder.wait()
    assert _claim_back(buffer, patience=0.05) == 7            # free again: claims page 7
