"""Ctrl-C (SIGINT) on a real process: exit 130, what was done reported, no partial file.

Each test starts the command, waits until it is demonstrably at work (its
temporary output exists, or it has read part of its input), then interrupts
it. Nothing here depends on how long anything takes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.run_cli import run_zramsim, zramsim_argv, zramsim_env

pytestmark = pytest.mark.skipif(os.name != "posix", reason="signals and /proc")


def _default_sigint() -> None:
    # A shell starts background jobs with SIGINT ignored, and Python installs its
    # KeyboardInterrupt handler only where SIGINT is not ignored: restore it.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture
def started():
    """Start commands; any still running at the end of the test is killed."""
    processes = []

    def start(*args, cwd) -> subprocess.Popen:
        process = subprocess.Popen(zramsim_argv(*args), cwd=cwd, env=zramsim_env(),
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   preexec_fn=_default_sigint)
        processes.append(process)
        return process
    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait()


def wait_for(condition, process, limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        assert process.poll() is None, "the command ended before it could be interrupted"
        assert time.monotonic() < deadline, "the command never got to work"
        time.sleep(0.01)


def interrupt(process) -> tuple[int, bytes, bytes]:
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    return process.returncode, out, err


def position(pid: int, path: Path) -> int:
    """How far process ``pid`` has read into ``path`` (0 while it has not opened it)."""
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            if os.readlink(fd) == str(path):
                info = Path(f"/proc/{pid}/fdinfo/{fd.name}").read_text()
                return int(info.split("pos:")[1].split()[0])
        except OSError:
            continue
    return 0


def parts(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.endswith(".part")]


@pytest.mark.parametrize("out", ["keep.ztrace", "keep.trace"])
def test_generate_interrupted_keeps_the_old_file(started, tmp_path, out):
    (tmp_path / out).write_bytes(b"keep me")
    process = started("generate", out, "--pages", "2000000", cwd=tmp_path)
    wait_for(lambda: parts(tmp_path), process)
    code, stdout, stderr = interrupt(process)
    assert code == 130
    assert stderr.decode().startswith("Error: interrupted after ")
    assert stderr.decode().endswith(f": {out} not written\n")
    assert (tmp_path / out).read_bytes() == b"keep me"
    assert parts(tmp_path) == [] and not (tmp_path / f"{out}.pages").exists()


def test_convert_interrupted_leaves_no_partial_file(started, tmp_path):
    made = run_zramsim("generate", "big.ztrace", "--pages", "8000", "--kind", "text", "-q",
                       cwd=tmp_path)
    assert made.returncode == 0
    process = started("convert", "big.ztrace", "big.trace", cwd=tmp_path)
    wait_for(lambda: parts(tmp_path), process)
    code, _, stderr = interrupt(process)
    assert code == 130 and b"big.trace not written" in stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.ztrace"]


def test_replay_interrupted_reports_what_it_applied(started, tmp_path):
    trace = tmp_path / "sizes.trace"
    trace.write_text("zramsim-trace 1\n" + "".join(f"W {i} size:1200\n" for i in range(400000)))
    process = started("replay", str(trace), "--format", "json", cwd=tmp_path)
    wait_for(lambda: position(process.pid, trace) > 1 << 20, process)
    code, stdout, stderr = interrupt(process)
    assert code == 130
    doc = json.loads(stdout)
    assert 0 < doc["events"] < 400000
    assert doc["error"] == f"interrupted after {doc['events']:,} events"
    assert doc["mm_stat"]["orig_data_size"] == doc["events"] * 4096
    assert stderr.decode() == f"Error: {doc['error']}\n"


def test_pressure_interrupted_writes_no_plot_and_no_table(started, tmp_path):
    pytest.importorskip("matplotlib", reason="the plot extra is not installed")
    process = started("pressure", "--pages", "3000", "--accesses", "300000", "--format", "json",
                    "-o", "knee.svg", cwd=tmp_path)
    # at work: it has generated its pages (it reads them from nowhere: watch its CPU time)
    wait_for(lambda: int(Path(f"/proc/{process.pid}/stat").read_text().split()[13]) > 100,
             process)
    code, stdout, stderr = interrupt(process)
    assert code == 130 and stdout == b""
    assert stderr.decode().startswith("Error: interrupted after ")
    assert list(tmp_path.iterdir()) == []
