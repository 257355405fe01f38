"""Writeback, idle and recompression under random v2 workloads (hypothesis).

A state machine drives a verify-mode device through ``Replay`` with every
kind of event a version 2 trace has: page writes of every compressibility,
reads, discards, the clock, ``idle``, ``writeback`` (every type, page ranges,
a budget), ``recompress`` (types, thresholds, max_pages) and compaction. The
model is a dict slot -> page. After every step:

* every read returned what was last written (verify mode raises otherwise),
  also for slots written back or recompressed;
* ``check()`` holds: slot table, pool, backing device and counters agree;
* bd_count equals the number of written-back slots, and orig_data_size counts
  them (pages_stored = same-filled + zsmalloc objects + written back);
* no written-back or same-filled slot is IDLE, INCOMPRESSIBLE or recompressed.

A second property writes the operations out as a text trace, reads it back
through the v2 reader and replays it: same device state either way.
"""

from __future__ import annotations

import os
import random
import tempfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from tests.test_device_properties import make_page
from workloads.text_trace import TextTraceReader
from zramsim import Replay, ZramDevice
from zramsim.slot_flags import IDLE, INCOMPRESSIBLE, PRIO_SHIFT, SAME, WB

PAGE = 4096
SLOTS = 10
KINDS = ("zero", "fill", "random", "repeat", "half", "sparse", "letters", "letters")
slot = st.integers(0, SLOTS - 1)


def page_of(kind: str, seed: int) -> bytes:
    """``make_page``'s kinds plus ``letters``: random letters of a small alphabet, which
    lz4 (no matches, no entropy coding) keeps large and zstd shrinks by classes."""
    if kind != "letters":
        return make_page(kind, seed, PAGE)
    rng = random.Random(seed)
    alphabet = bytes(range(97, 97 + rng.choice((2, 4, 16, 64))))
    return bytes(rng.choice(alphabet) for _ in range(PAGE))


def writeback_value():
    return st.one_of(
        st.sampled_from(["idle", "huge", "huge_idle", "incompressible", "type=idle",
                         "type=huge", "type=huge_idle", "type=incompressible", "bogus"]),
        st.builds(lambda i: f"page_index={i}", slot),
        st.builds(lambda a, b: f"page_indexes={min(a, b)}-{max(a, b)}", slot, slot))


def recompress_value():
    return st.builds(
        lambda t, th, mp: " ".join(filter(None, [t, th, mp])) or "max_pages=100",
        st.sampled_from(["", "type=idle", "type=huge", "type=huge_idle"]),
        st.sampled_from(["", "threshold=1000", "threshold=3000"]),
        st.sampled_from(["", "max_pages=1", "max_pages=3"]))


class V2Machine(RuleBasedStateMachine):
    """One device, one replay, the model of what each slot should read back."""

    @initialize(backing=st.sampled_from(["8K", "16K", "32K", "64K"]),
                second=st.booleans())
    def setup(self, backing, second):
        self.device = ZramDevice(disksize=SLOTS * PAGE, verify=True)
        self.replay = Replay(self.device, strict=True)      # setup must never fail
        self.model: dict[int, bytes] = {}
        self.setup_events = [("S", 0, ("backing_dev", backing)),
                             ("S", 0, ("recomp_algorithm", "algo=zstd priority=1"))]
        if second:
            self.setup_events.append(("S", 0, ("recomp_algorithm", "algo=lz4 priority=2")))
        self.run(*self.setup_events)
        self.replay.strict = False

    @rule()
    def reset(self):
        """``reset``, then the same setup again: it must be accepted (uninitialised)."""
        self.replay.strict = True
        self.run(("S", 0, ("reset", "1")), *self.setup_events)
        self.replay.strict = False
        self.model.clear()
        assert self.device.bd_stat().bd_writes == 0

    def run(self, *events):
        self.replay.run(events)

    @rule(index=slot, kind=st.sampled_from(KINDS), seed=st.integers(0, 1 << 16))
    def write(self, index, kind, seed):
        page = page_of(kind, seed)
        self.run(("W", index, page))
        self.model[index] = page

    @rule(first=slot, seed=st.integers(0, 1 << 16))
    def fill(self, first, seed):
        """Several slots at once, so that writeback and recompression find work."""
        for index in range(first, SLOTS):
            self.write(index, KINDS[(seed + index) % len(KINDS)], seed + index)

    @rule(index=slot)
    def read(self, index):
        self.run(("R", index, None))
        assert self.device.read(index) == self.model.get(index, bytes(PAGE))

    @rule(index=slot, count=st.integers(1, 3))
    def discard(self, index, count):
        count = min(count, SLOTS - index)
        self.run(("D", index, count))
        for i in range(index, index + count):
            self.model.pop(i, None)

    @rule(seconds=st.integers(0, 100))
    def tick(self, seconds):
        self.run(("T", 0, seconds * 10 ** 9))

    @rule(value=st.sampled_from(["all", "0", "10", "50", "1000"]))
    def idle(self, value):
        self.run(("S", 0, ("idle", value)))

    @rule(value=writeback_value())
    def writeback(self, value):
        self.run(("S", 0, ("writeback", value)))

    @rule(enable=st.booleans(), pages=st.integers(0, 4))
    def budget(self, enable, pages):
        self.run(("S", 0, ("writeback_limit", str(pages))),
                 ("S", 0, ("writeback_limit_enable", str(int(enable)))))

    @rule(value=recompress_value())
    def recompress(self, value):
        self.run(("S", 0, ("recompress", value)))

    @rule()
    def compact(self):
        self.run(("C", 0, None))

    @invariant()
    def consistent(self):
        if not hasattr(self, "device"):
            return
        dev = self.device
        dev.check()
        written_back = 0
        for i in range(SLOTS):
            flags = dev.slot_flags(i)
            if flags & (WB | SAME):
                assert not flags & (IDLE | INCOMPRESSIBLE) and not flags >> PRIO_SHIFT
            written_back += bool(flags & WB)
        assert dev.bd_stat().bd_count == written_back
        assert dev.mm_stat().orig_data_size == len(self.model) * PAGE
        assert dev.stats().pages_stored == len(self.model)


V2Machine.TestCase.settings = settings(max_examples=60, stateful_step_count=40, deadline=None)
TestV2Machine = V2Machine.TestCase


op = st.one_of(
    st.builds(lambda i, s: f"W {i} random:{s}", slot, st.integers(0, 99)),
    st.builds(lambda i, n: f"W {i} file:pages.bin:{n}", slot, st.integers(0, 7)),
    st.builds(lambda i: f"W {i} zero", slot),
    st.builds(lambda i: f"R {i}", slot),
    st.builds(lambda i: f"D {i}", slot),
    st.builds(lambda s: f"T {s}.5", st.integers(0, 30)),
    st.sampled_from(["S idle all", "S idle 20", "C"]),
    st.builds(lambda v: f"S writeback {v}", writeback_value()),
    st.builds(lambda v: f"S recompress {v}", recompress_value()),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(op, max_size=40))
def test_text_v2_trace_replays_like_the_events(lines):
    rng = random.Random(7)
    pages = b"".join(page_of(k, rng.randrange(1 << 16))
                     for k in ("repeat", "half", "sparse", "letters", "repeat", "letters",
                               "sparse", "fill"))
    head = ["zramsim-trace 2", "S backing_dev 24K", "S recomp_algorithm algo=zstd"]
    with tempfile.TemporaryDirectory() as folder:
        with open(os.path.join(folder, "pages.bin"), "wb") as out:
            out.write(pages)
        path = os.path.join(folder, "t.trace")
        with open(path, "w") as out:
            out.write("\n".join(head + lines) + "\n")
        with TextTraceReader(path) as reader:
            events = list(reader)
    device = ZramDevice(disksize=SLOTS * PAGE, verify=True)
    Replay(device).run(events)
    device.check()
    expected: dict[int, bytes] = {}
    for line in lines:
        parts = line.split()
        if parts[0] == "W":
            index = int(parts[1])
            if parts[2] == "zero":
                expected[index] = bytes(PAGE)
            elif parts[2].startswith("random:"):
                expected[index] = random.Random(int(parts[2][7:])).randbytes(PAGE)
            else:
                n = int(parts[2].rsplit(":", 1)[1])
                expected[index] = pages[n * PAGE:(n + 1) * PAGE]
        elif parts[0] == "D":
            expected.pop(int(parts[1]), None)
    assert device.mm_stat().orig_data_size == len(expected) * PAGE
    for i in range(SLOTS):
        assert device.read(i) == expected.get(i, bytes(PAGE))
