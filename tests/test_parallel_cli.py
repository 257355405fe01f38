"""--workers as a user meets it: same errors as serial, bounded by the cores, never stuck."""

from __future__ import annotations

import json
import os
import random
import signal

import pytest
from click.testing import CliRunner

import zramsim.helper_processes as helper_processes
from cli import main
from zramsim.compressors import make_compressor
from zramsim.parallel import ProcessCompressing, cores_available


def run(*args: str):
    return CliRunner().invoke(main, list(args), prog_name="zramsim")


def test_an_error_names_the_same_line_with_and_without_workers(tmp_path):
    # 3000 text pages, then a slot outside a 2000-page disk at line 3003:
    # with workers the reader is a batch ahead when the device refuses it.
    lines = [f"W {i} random:{i}" for i in range(3000)] + ["W 5000 zero"] + \
            [f"R {i}" for i in range(500)]
    trace = tmp_path / "t.trace"
    trace.write_text("zramsim-trace 1\n# comment\n" + "\n".join(lines) + "\n")
    serial = run("replay", str(trace), "--disksize", "16000K", "-q")
    parallel = run("replay", str(trace), "--disksize", "16000K", "-q", "--workers", "2")
    assert serial.exit_code == parallel.exit_code == 1
    assert serial.stderr == parallel.stderr
    assert serial.stderr.startswith(f"Error: {trace}:3003: slot 5000 ")


def test_workers_beyond_the_cores_are_clamped_with_a_note():
    cores = cores_available()
    result = run("replay", "--workers", str(cores + 30), "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["config"]["workers"] == cores
    noun = "core" if cores == 1 else "cores"
    assert result.stderr == (f"--workers {cores + 30}: only {cores} {noun} available, "
                             f"using {cores}\n")


def test_a_stopped_helper_is_given_up_and_its_pages_done_here(monkeypatch):
    monkeypatch.setattr(helper_processes, "ANSWER_TIMEOUT", 0.2)
    lz4 = make_compressor("lz4")
    pages = [(random.Random(n).randbytes(1500) * 3)[:4096] for n in range(64)]
    with ProcessCompressing(lz4, 1, 4096, 64) as ahead:
        assert ahead.wait_ready()
        helper = ahead._helpers[0]
        os.kill(helper.process.pid, signal.SIGSTOP)
        try:
            got = [[bytes(page) for page in ahead.start(pages)()] for _ in range(4)]
        finally:
            helper.process.kill()
        assert ahead._helpers == []                      # given up, not waited on forever
    assert got == [[lz4.compress(page) for page in pages]] * 4


@pytest.mark.parametrize("command", ["classes", "compare"])
def test_dash_is_standard_input_not_the_built_in_workload(command):
    # '-' is a trace on standard input (read by the input side), never the default workload
    dash = CliRunner().invoke(main, [command, "-"], input=b"zramsim-trace 1\nW 0 size:100\n")
    assert dash.stdout != CliRunner().invoke(main, [command, "--seed", "0"]).stdout


def test_a_verify_mismatch_names_the_same_line_with_and_without_workers(tmp_path, monkeypatch):
    from zramsim.compressors import Lz4
    monkeypatch.setattr(Lz4, "decompress", lambda self, data, size: bytes(size))  # all wrong
    lines = [f"W {i} file:data:{i % 3}" for i in range(600)] + ["R 5"] + \
            [f"W {i} random:{i}" for i in range(600, 900)]
    (tmp_path / "data").write_bytes(b"zram page " * 1300)      # three compressible pages
    trace = tmp_path / "t.trace"
    trace.write_text("zramsim-trace 1\n" + "\n".join(lines) + "\n")
    serial = run("replay", str(trace), "--verify", "-q")
    parallel = run("replay", str(trace), "--verify", "-q", "--workers", "2")
    assert serial.exit_code == parallel.exit_code == 3
    assert serial.stderr == parallel.stderr
    assert serial.stderr.startswith(f"Error: {trace}:602: slot 5: data read back differs")


def test_a_helper_stopped_with_batches_in_flight_is_given_up(monkeypatch):
    """As a replay does: the next batch starts before this one's results are taken."""
    monkeypatch.setattr(helper_processes, "ANSWER_TIMEOUT", 0.2)
    lz4 = make_compressor("lz4")
    pages = [(random.Random(n).randbytes(1500) * 3)[:4096] for n in range(256)]
    expected = [lz4.compress(page) for page in pages]
    with ProcessCompressing(lz4, 1, 4096, 256) as ahead:
        assert ahead.wait_ready()
        helper = ahead._helpers[0]
        try:
            pending = ahead.start(pages)
            os.kill(helper.process.pid, signal.SIGSTOP)
            got = []
            for _ in range(4):
                following = ahead.start(pages)
                got.append([bytes(page) for page in pending()])
                pending = following
            got.append([bytes(page) for page in pending()])
        finally:
            helper.process.kill()
        assert ahead._helpers == []
    assert got == [expected] * 5
