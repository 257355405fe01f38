"""The reader helper started before the command line's imports (``zramsim.reader_start``):
when it is started, that the replay takes that very process, that one not wanted
ends, and that the whole command gives what one process gives."""

from __future__ import annotations

import json
import os
import time
from functools import partial
from pathlib import Path

import pytest

import zramsim.reader_start as reader_start
from tests.run_cli import run_zramsim
from tests.test_reader_helper import _device, _write_corpus
from workloads.open_trace import open_trace
from zramsim import Replay
from zramsim.read_ahead import AUTO_BYTES, ReadAhead, plan


@pytest.fixture()
def long_trace(tmp_path):
    """A text trace past the size a replay reads ahead from (padded with comments)."""
    _write_corpus(tmp_path, pages=600)
    path = tmp_path / "real.trace"
    with open(path, "a") as trace:
        trace.write(("# padding " + "x" * 90 + "\n") * (AUTO_BYTES["text"] // 100 + 1))
    assert path.stat().st_size >= reader_start.SMALLEST
    return path


@pytest.fixture(autouse=True)
def nothing_waiting():
    """No helper is left waiting by a test, for the next one to find."""
    yield
    reader_start.let_go()


def _ended(process, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    return process.poll() is not None


@pytest.mark.parametrize("args, started", [
    (["replay", "{trace}"], True),
    (["replay", "-q", "--format", "json", "{trace}"], True),
    (["replay", "{trace}", "--workers", "2"], False),         # the option decides
    (["replay", "{trace}", "--workers=1"], False),
    (["replay", "{trace}", "--explain"], False),              # narrated: read in order here
    (["replay", "{small}"], False),                           # too short to read ahead
    (["replay"], False),                                      # the built-in workload
    (["replay", "-"], False),                                 # standard input
    (["classes", "{trace}"], False),
    ([], False),
])
def test_started_only_for_a_replay_of_a_long_trace_file(long_trace, tmp_path, monkeypatch,
                                                        args, started):
    monkeypatch.setattr(reader_start, "second_core_free", lambda: True)
    small = tmp_path / "small.trace"
    small.write_text("zramsim-trace 1\nW 0 size:100\n")
    reader_start.prestart(["zramsim", *(a.format(trace=long_trace, small=small) for a in args)])
    assert reader_start.waiting() is started


def test_not_started_without_a_free_core(long_trace, monkeypatch):
    monkeypatch.setattr(reader_start, "second_core_free", lambda: False)
    reader_start.prestart(["zramsim", "replay", str(long_trace)])
    assert not reader_start.waiting()


def test_the_replay_reads_ahead_with_the_very_process_started_early(long_trace, monkeypatch):
    monkeypatch.setattr(reader_start, "second_core_free", lambda: True)
    monkeypatch.setattr("zramsim.read_ahead.cores_available", lambda: 2)
    reader_start.prestart(["zramsim", "replay", str(long_trace)])
    early = reader_start._waiting[0]
    serial = _device()
    with open_trace(long_trace) as reader:
        Replay(serial).run(reader)
    device = _device()
    with open_trace(long_trace) as reader:
        ahead, workers = plan(device, reader, None, partial(open_trace, long_trace))
        assert isinstance(ahead, ReadAhead) and workers == 2
        with ahead:
            Replay(device).run(ahead)
            assert ahead.process is early and ahead.fallback is None
    assert not reader_start.waiting()
    assert device.stats() == serial.stats()


def test_a_helper_not_wanted_ends(long_trace, monkeypatch):
    """``plan`` keeps one process (here: --workers 1): the waiting helper is let go
    and exits, no process left behind."""
    monkeypatch.setattr(reader_start, "second_core_free", lambda: True)
    reader_start.prestart(["zramsim", "replay", str(long_trace)])
    early = reader_start._waiting[0]
    with open_trace(long_trace) as reader:
        assert plan(_device(), reader, 1, partial(open_trace, long_trace)) == (reader, 1)
    assert not reader_start.waiting() and _ended(early)


def test_a_helper_that_died_while_waiting_is_replaced(long_trace, monkeypatch):
    monkeypatch.setattr(reader_start, "second_core_free", lambda: True)
    monkeypatch.setattr("zramsim.read_ahead.cores_available", lambda: 2)
    reader_start.prestart(["zramsim", "replay", str(long_trace)])
    early = reader_start._waiting[0]
    early.kill()
    assert _ended(early)
    device = _device()
    with open_trace(long_trace) as reader:
        ahead, _ = plan(device, reader, None, partial(open_trace, long_trace))
        with ahead:
            Replay(device).run(ahead)
            assert ahead.process is not early and ahead.fallback is None


def _helpers() -> set[int]:
    """Reader helpers left without their replay (by their command line; a helper whose
    process is gone is handed to process 1), so another replay running meanwhile on
    this machine does not count."""
    found = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
            parent = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1]
        except (OSError, IndexError):
            continue
        if reader_start.BOOT.encode() in command and parent == "1":
            found.add(int(pid))
    return found


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs Linux's /proc")
def test_the_whole_command_gives_what_one_process_gives_and_leaves_no_helper(long_trace):
    """As users run it: the entry point starts the helper before its imports. A usage
    error found after that start (a bad --format) leaves no helper running."""
    before = _helpers()
    docs = []
    for extra in ([], ["--workers", "1"]):
        done = run_zramsim("replay", long_trace, "--format", "json", "-q", *extra)
        assert done.returncode == 0, done.stderr
        docs.append(json.loads(done.stdout))
    assert docs[0]["config"].pop("workers") is None and docs[1]["config"].pop("workers") == 1
    assert docs[0] == docs[1]
    assert run_zramsim("replay", long_trace, "--format", "yaml").returncode == 2
    deadline = time.monotonic() + 10
    while _helpers() - before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _helpers() - before


def test_the_installed_script_enters_where_python_m_does():
    """`zramsim` (pyproject's script) and `python -m zramsim` share the entry that
    starts the helper first; pointing the script at cli.main would skip it."""
    import importlib
    import tomllib
    root = Path(__file__).resolve().parents[1]
    target = tomllib.loads((root / "pyproject.toml").read_text())["project"]["scripts"]["zramsim"]
    module, name = target.split(":")
    entry = importlib.import_module("zramsim.__main__")
    assert getattr(importlib.import_module(module), name) is entry.main
