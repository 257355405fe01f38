"""The binary trace's zstd frame compressed by a helper process: the same bytes, the same errors.

``workloads.zstd_frame`` hands a long trace's compression to a helper process.
zstd's streaming output does not depend on how the input is cut into writes,
so the file must be byte for byte the one compressed in the command's own
process; a failure to write is told exactly as before, and an interrupted
command leaves neither a helper nor a partial file behind.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.run_cli import zramsim_argv, zramsim_env
from workloads.binary_trace import BinaryTraceReader, BinaryTraceWriter
from workloads.errors import OutputError
from workloads.events import READ, WRITE, PageEvent
from workloads.generators import heap_page, random_page
from workloads.zstd_frame import BUFFERED, FrameWriter

pytestmark = pytest.mark.skipif(os.name != "posix", reason="helper processes, /proc")

PAGES = BUFFERED // 4096 + 300            # past the point where a helper starts


def events(count: int = PAGES) -> list[PageEvent]:
    """Heap and random pages, every 11th a repeat (a REF record), and reads."""
    rng = random.Random(4)
    made, pages = [], []
    for slot in range(count):
        if slot % 11 == 10:
            page = pages[slot - 5]
        else:
            page = random_page(rng) if slot % 7 == 0 else heap_page(rng)
        pages.append(page)
        made.append(PageEvent(WRITE, slot, page))
        if slot % 5 == 0:
            made.append(PageEvent(READ, slot // 2, None))
    return made


def write(path: Path, trace: list[PageEvent], helper: bool | None) -> bytes:
    with BinaryTraceWriter(path, helper=helper) as writer:
        for event in trace:
            writer.write(event)
    return path.read_bytes()


@pytest.mark.parametrize("count", [PAGES, 3])
def test_helper_writes_the_same_bytes_as_one_process(tmp_path, count):
    trace = events(count)
    here = write(tmp_path / "here.ztrace", trace, helper=False)
    helped = write(tmp_path / "helped.ztrace", trace, helper=True)
    chosen = write(tmp_path / "chosen.ztrace", trace, helper=None)
    assert helped == here and chosen == here
    with BinaryTraceReader(tmp_path / "helped.ztrace") as reader:
        assert list(reader) == trace


def test_a_helper_only_for_a_long_trace_when_the_caller_says_a_core_is_free(tmp_path,
                                                                             monkeypatch):
    """The rule for a free core is the caller's (the command line gives a replay's,
    ``zramsim.helper_start.second_core_free``), asked only past BUFFERED bytes."""
    monkeypatch.delenv("ZRAMSIM_COMPRESS_HELPER", raising=False)
    spawned, asked = [], []
    real = FrameWriter._spawn

    def spy(self):
        spawned.append(True)
        return real(self)
    monkeypatch.setattr(FrameWriter, "_spawn", spy)

    def free(answer):
        return lambda: asked.append(answer) or answer
    write(tmp_path / "short.ztrace", events(50), helper=free(True))
    assert spawned == [] and asked == []                  # too short to ask
    write(tmp_path / "long.ztrace", events(), helper=free(True))
    assert spawned == [True] and asked == [True]
    write(tmp_path / "busy.ztrace", events(), helper=free(False))
    write(tmp_path / "nobody.ztrace", events(), helper=None)     # no rule: here
    assert spawned == [True] and asked == [True, False]
    monkeypatch.setenv("ZRAMSIM_COMPRESS_HELPER", "always")
    write(tmp_path / "forced.ztrace", events(), helper=None)
    assert spawned == [True, True]


def test_a_helper_that_cannot_write_is_an_output_error():
    with pytest.raises(OutputError, match=r"^cannot write /dev/full: no space left on device$"):
        write(Path("/dev/full"), events(), helper=True)


def test_a_helper_killed_midway_is_an_output_error_and_nothing_is_written(tmp_path):
    target = tmp_path / "out.ztrace"
    writer = BinaryTraceWriter(target, helper=True)
    trace = iter(events() * 3)
    while writer._frame._process is None:          # until a first chunk went to it
        writer.write(next(trace))
    writer._frame._process.kill()
    with pytest.raises(OutputError, match="compressing helper"):
        with writer:
            for event in trace:
                writer.write(event)
    assert list(tmp_path.iterdir()) == []


def test_discarding_stops_the_helper(tmp_path):
    writer = BinaryTraceWriter(tmp_path / "out.ztrace", helper=True)
    for event in events(300):
        writer.write(event)
    process = writer._frame._process
    writer.discard()
    assert process.returncode is not None          # killed and reaped
    assert list(tmp_path.iterdir()) == []


def test_cli_standard_output_and_file_with_and_without_a_helper_are_the_same_trace(tmp_path):
    runs = []
    for where in ("always", "never"):
        env = zramsim_env(ZRAMSIM_COMPRESS_HELPER=where)
        for out in ("file.ztrace", "-"):
            done = subprocess.run(zramsim_argv("generate", out, "--pages", "1500", "--seed", "3",
                                               "-q"), cwd=tmp_path, env=env, capture_output=True)
            assert done.returncode == 0
            runs.append(done.stdout or (tmp_path / out).read_bytes())
    assert runs[0] == runs[1] == runs[2] == runs[3]


def _helpers(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    found = []
    for child in children.read_text().split() if children.exists() else []:
        try:
            if "zstd_frame" in Path(f"/proc/{child}/cmdline").read_text():
                found.append(int(child))
        except OSError:
            continue
    return found


def test_ctrl_c_with_a_helper_running_leaves_no_helper_and_no_file(tmp_path):
    (tmp_path / "keep.ztrace").write_bytes(b"keep me")
    process = subprocess.Popen(zramsim_argv("generate", "keep.ztrace", "--pages", "2000000"),
                               cwd=tmp_path, env=zramsim_env(ZRAMSIM_COMPRESS_HELPER="always"),
                               stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 60
        while not (helpers := _helpers(process.pid)):
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.01)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130 and b"keep.ztrace not written" in stderr
    assert (tmp_path / "keep.ztrace").read_bytes() == b"keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.ztrace"]
    assert not Path(f"/proc/{helpers[0]}").exists()


def test_generate_asks_the_replays_rule_for_a_free_core(tmp_path, monkeypatch):
    """The command line hands the writer zramsim.helper_start.second_core_free: a
    helper with no other task ready to run, none with one."""
    from click.testing import CliRunner

    import zramsim.helper_start as helper_start
    from cli import main
    monkeypatch.delenv("ZRAMSIM_COMPRESS_HELPER", raising=False)
    monkeypatch.setattr(helper_start, "cores_available", lambda: 2)
    spawned = []
    real = FrameWriter._spawn

    def spy(self):
        spawned.append(True)
        return real(self)
    monkeypatch.setattr(FrameWriter, "_spawn", spy)
    outputs = []
    for others in (0, 1):
        monkeypatch.setattr(helper_start, "others_running", lambda: others)
        out = tmp_path / f"gen{others}.ztrace"
        result = CliRunner().invoke(main, ["generate", str(out), "--pages", "1500", "-q"])
        assert result.exit_code == 0, result.output
        outputs.append(out.read_bytes())
    assert spawned == [True] and outputs[0] == outputs[1]
