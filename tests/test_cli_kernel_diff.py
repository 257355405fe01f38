"""`zramsim kernel-diff`: refusals everywhere, the real device only when enabled."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main

KERNEL = Path(__file__).parent / "data" / "kernel"


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_sizes_only_trace_is_refused_before_any_device_is_touched():
    result = run("kernel-diff", str(KERNEL / "sizes.trace"), "--device", "/dev/nonexistent")
    assert result.exit_code == 1
    assert "sizes-only write" in result.stderr and "cannot be replayed" in result.stderr


def test_missing_device_is_refused(tmp_path):
    trace = tmp_path / "t.trace"
    trace.write_text("zramsim-trace 1\nW 0 random:1\n")
    result = run("kernel-diff", str(trace), "--device", "/dev/nonexistent")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")
    assert "nonexistent" in result.stderr


def test_zstd_has_no_kernel_twin_here(tmp_path):
    trace = tmp_path / "t.trace"
    trace.write_text("zramsim-trace 1\nW 0 random:1\n")
    result = run("kernel-diff", str(trace), "--algo", "zstd")
    assert result.exit_code == 2


def test_lzo_and_lzo_rle_are_kernel_twins(tmp_path):
    trace = tmp_path / "t.trace"
    trace.write_text("zramsim-trace 1\nW 0 random:1\n")
    for algorithm in ("lzo", "lzo-rle"):
        result = run("kernel-diff", str(trace), "--algo", algorithm,
                     "--device", "/dev/nonexistent")
        assert result.exit_code == 1 and "nonexistent" in result.stderr   # a device error


ENABLED = os.environ.get("ZRAMSIM_KERNEL_TESTS") == "1" and os.geteuid() == 0


@pytest.mark.kernel
@pytest.mark.skipif(not ENABLED, reason="set ZRAMSIM_KERNEL_TESTS=1 and run as root")
def test_lz4_kernel_matches_the_real_device_on_every_counter(tmp_path):
    trace = tmp_path / "mix.trace"
    made = run("generate", str(trace), "--pages", "300", "--seed", "4",
               "--kind", "heap=0.5,text=0.2,code=0.2,zero=0.05,random=0.05",
               "--overwrite-rate", "0.3", "--discard-rate", "0.05", "--compact-rate", "0.01")
    assert made.exit_code == 0
    result = run("kernel-diff", str(trace), "--algo", "lz4-kernel", "--format", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["snapshots"] > 300 and doc["differences"] == []
    assert doc["final"]["pages_compacted"]["kernel"] > 0
    assert Path("/sys/block/zram0/disksize").read_text().strip() == "0"
