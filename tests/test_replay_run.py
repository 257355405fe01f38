"""A command's replay: run to the end, or returned with what stopped it (zramsim/replay_run.py).

Counts are worked by hand from the events each test feeds in.
"""

from __future__ import annotations

import pytest

from workloads.events import PageEvent
from zramsim import DeviceError, ZramDevice
from zramsim.progress import Progress
from zramsim.replay_run import replay_until_stopped

PAGE = bytes(range(256)) * 16          # not same-filled: compressed and stored


class Reader:
    """A trace reader as the command line hands one over: events, where it is, closable."""

    def __init__(self, events, version="1"):
        self.events, self.version, self.line, self.closed = list(events), version, 0, False

    def __iter__(self):
        for self.line, event in enumerate(self.events, 1):
            yield event

    def location(self) -> str:
        return f"t.trace:{self.line}"

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.closed = True


def run(trace, **options):
    reader = Reader(trace, options.pop("version", "1"))
    replay, stop = replay_until_stopped(ZramDevice(), reader, Progress(None), **options)
    return replay, stop, reader


def test_a_whole_replay_returns_no_stop_and_closes_the_reader():
    replay, stop, reader = run([PageEvent("W", 0, PAGE), PageEvent("W", 1, PAGE),
                                PageEvent("R", 0, None)])
    assert stop is None and replay.applied == 3 and reader.closed
    assert replay.device.stats().mm_stat.orig_data_size == 2 * 4096


def test_an_error_of_ours_is_returned_with_how_far_it_got():
    # disksize 8 KiB holds slots 0 and 1; reading slot 5 is out of range.
    reader = Reader([PageEvent("W", 0, PAGE), PageEvent("R", 5, None), PageEvent("W", 1, PAGE)])
    replay, stop = replay_until_stopped(ZramDevice(8192), reader, Progress(None),
                                        stops=(DeviceError,))
    assert isinstance(stop, DeviceError) and replay.applied == 1 and reader.closed


def test_an_error_not_named_in_stops_is_raised():
    with pytest.raises(DeviceError):
        replay_until_stopped(ZramDevice(8192), Reader([PageEvent("R", 5, None)]), Progress(None))


def test_ctrl_c_is_returned_not_raised():
    def interrupted():
        yield PageEvent("W", 0, PAGE)
        raise KeyboardInterrupt
    replay, stop, _ = run([], events=interrupted())
    assert isinstance(stop, KeyboardInterrupt) and replay.applied == 1


def test_a_broken_invariant_is_raised_even_when_ours():
    def broken():
        yield PageEvent("W", 0, PAGE)
        raise AssertionError("invariant")
    with pytest.raises(AssertionError):
        run([], events=broken(), stops=(DeviceError, AssertionError))


def test_a_refused_attribute_write_warns_naming_its_line_or_stops_with_strict():
    # Linux 6.18 has no max_comp_streams any more: the write at line 3 fails (ENOENT).
    events = [PageEvent("W", 0, PAGE), PageEvent("S", 0, ("mem_limit", "64K")),
              PageEvent("S", 0, ("max_comp_streams", "2"))]
    warnings = []
    replay, stop, _ = run(events, version="2", warn=warnings.append)
    assert stop is None and replay.applied == 3
    assert len(warnings) == 1 and warnings[0].startswith("t.trace:3: max_comp_streams 2: ")
    replay, stop, _ = run(events, version="2", strict=True, stops=(DeviceError,))
    assert isinstance(stop, DeviceError) and replay.applied == 2


def test_narration_says_each_step_then_an_empty_line_and_shows_no_progress():
    lines, shown = [], []
    progress = Progress(shown.append)
    replay, stop = replay_until_stopped(ZramDevice(), Reader([PageEvent("W", 0, PAGE)]),
                                        progress, say=lines.append)
    assert stop is None and replay.applied == 1
    assert lines[-1] == "" and any("slot 0" in line for line in lines[:-1])
    assert shown == [] and progress.write is None
