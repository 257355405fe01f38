"""Version 2 traces through the command line: exact mm_stat, io_stat and bd_stat.

Every expected number below is worked out by hand from the spec (§2.3, §2.9,
§2.10, §2.11, §3.1-§3.3, §3.5); the comments show the arithmetic.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from workloads import convert

PAGE = 4096
MM = ["orig_data_size", "compr_data_size", "mem_used_total", "mem_limit", "mem_used_max",
      "same_pages", "pages_compacted", "huge_pages", "huge_pages_since"]

# random:N pages do not compress (lz4 returns more than a page): each is huge, 4096 bytes
# in a one-page zspage. size:1000 -> class of 1008 = 1024 (1 page, 4 objects);
# size:100 -> class of 108 = 112 (7 pages, 256 objects).
WRITEBACK_TRACE = """\
zramsim-trace 2
S backing_dev 32K              # 8 blocks; block 0 unused: 7 pages
W 0 random:1
W 1 random:2
W 2 random:3
W 3 size:1000
W 4 size:100                   # peak: 3 huge pages + 1 + 7 = 11 pages = 45056 bytes
W 5 zero
W 6 fill:0x0102030405060708
T 10
R 3                            # slot 3 stamped at 10 s
S idle 5                       # cutoff 5 s: slots 0, 1, 2, 4 idle; 3 not; 5, 6 same-filled
S writeback type=huge_idle     # bucket 64, last collected first: 2, 1, 0 -> blocks 1, 2, 3
S writeback idle               # slot 4 (100 bytes) -> block 4
R 1                            # from block 2: bd_reads 1
W 2 zero                       # frees block 1
D 0                            # frees block 3; notify_free 1
"""


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def replay_json(path, *extra: str) -> dict:
    result = run("replay", str(path), "--format", "json", "-q", *extra)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_writeback_trace_exact_stats(tmp_path):
    trace = tmp_path / "wb.trace"
    trace.write_text(WRITEBACK_TRACE)
    doc = replay_json(trace, "--verify")
    # stored: slots 1 (WB), 2 (same), 3, 4 (WB), 5, 6 (same) = 6 pages = 24576 bytes;
    # zsmalloc holds only slot 3: 1000 bytes in one page; same_pages 3; the three huge
    # pages were all written back (huge_pages 0, huge_pages_since 3).
    assert [doc["mm_stat"][k] for k in MM] == [24576, 1000, 4096, 0, 45056, 3, 0, 0, 3]
    assert doc["io_stat"] == {"failed_reads": 0, "failed_writes": 0, "invalid_io": 0,
                              "notify_free": 1}
    # blocks 2 and 4 still hold pages; 4 pages were written, 1 read back
    assert doc["bd_stat"] == {"bd_count": 2, "bd_reads": 1, "bd_writes": 4}
    assert doc["config"]["backing_dev"] == 32768 and "recomp_algorithm" not in doc["config"]
    assert run("replay", str(trace), "--format", "bd_stat").stdout == \
        "       2        1        4\n"
    # block_state: slot 1 was read at 10 s (after the free at writeback reset its time)
    assert run("replay", str(trace), "--format", "block_state").stdout.splitlines() == [
        "           1           10.000000 .w....",
        "           2           10.000000 s.....",
        "           3           10.000000 ......",
        "           4            0.000000 .w....",
        "           5            0.000000 s.....",
        "           6            0.000000 s....."]


def test_v1_and_v2_mean_the_same(tmp_path):
    body = "W 0 random:1\nW 1 size:1000\nR 0\nD 1\nC\n"
    (tmp_path / "one.trace").write_text("zramsim-trace 1\n" + body)
    (tmp_path / "two.trace").write_text("zramsim-trace 2\n" + body + "T 5\n")
    one, two = replay_json(tmp_path / "one.trace"), replay_json(tmp_path / "two.trace")
    assert one["mm_stat"] == two["mm_stat"] and one["io_stat"] == two["io_stat"]
    assert two["bd_stat"] == {"bd_count": 0, "bd_reads": 0, "bd_writes": 0}


ENOSPC_TRACE = """\
zramsim-trace 2
S backing_dev 8K                # 2 blocks: only block 1 is usable
S writeback_limit_enable 1
S writeback_limit 100
W 0 random:1
W 1 random:2
S writeback huge                # slot 1 -> block 1, then ENOSPC for slot 0
S comp_algorithm zstd           # EBUSY: the device is in use
W 2 zero
"""


def test_failed_attribute_writes_warn_and_go_on(tmp_path):
    trace = tmp_path / "full.trace"
    trace.write_text(ENOSPC_TRACE)
    result = run("replay", str(trace), "--format", "json", "-q")
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        f"Warning: {trace}:7: writeback huge: ENOSPC (No space left on device): backing "
        f"device full (1 page) after 1 page; 1 candidate left",
        f"Warning: {trace}:8: comp_algorithm zstd: EBUSY (Device or resource busy): "
        f"comp_algorithm can only be written before the device is used"]
    doc = json.loads(result.stdout)
    # slot 0 huge (4096), slot 1 written back, slot 2 same-filled: 3 pages stored;
    # the writeback of slot 1 released its zspage: 1 page left; peak 2 pages.
    assert [doc["mm_stat"][k] for k in MM] == [12288, 4096, 4096, 0, 8192, 1, 0, 1, 2]
    assert doc["bd_stat"] == {"bd_count": 1, "bd_reads": 0, "bd_writes": 1}
    strict = run("replay", str(trace), "--format", "bd_stat", "-q", "--strict")
    assert strict.exit_code == 1
    assert strict.stderr == (f"Error: {trace}:7: writeback huge: ENOSPC (No space left on "
                             f"device): backing device full (1 page) after 1 page; "
                             f"1 candidate left\n")
    assert strict.stdout == "       1        0        1\n"     # what was done before


def test_recompression_trace(tmp_path):
    # random:1 stays huge under lz4 and zstd: recompression tries it, fails, and marks it
    # INCOMPRESSIBLE (priority 1 is the highest active); the writeback of incompressible
    # pages then takes it. max_pages=5 is not reached.
    trace = tmp_path / "re.trace"
    trace.write_text("zramsim-trace 2\nS recomp_algorithm algo=zstd priority=1\n"
                     "S backing_dev 1M\nW 0 random:1\nW 1 zero\nS idle all\n"
                     "S recompress type=huge_idle max_pages=5\n"
                     "S writeback incompressible\nR 0\n")
    assert run("replay", str(trace), "--format", "block_state").stdout.splitlines()[0] == \
        "           0            0.000000 .w...."
    doc = replay_json(trace, "--verify")
    assert [doc["mm_stat"][k] for k in MM] == [8192, 0, 0, 0, 4096, 1, 0, 0, 1]
    assert doc["bd_stat"] == {"bd_count": 1, "bd_reads": 1, "bd_writes": 1}


def test_explain_tells_each_decision(tmp_path):
    trace = tmp_path / "wb.trace"
    trace.write_text(WRITEBACK_TRACE)
    out = run("replay", str(trace), "--explain").stdout.splitlines()
    at = out.index("S writeback type=huge_idle: 3 of 3 candidates written back")
    assert out[at + 1:at + 4] == [
        "  slot 2 (huge, 4096 bytes, bucket 64) -> block 1",
        "  slot 1 (huge, 4096 bytes, bucket 64) -> block 2",
        "  slot 0 (huge, 4096 bytes, bucket 64) -> block 3"]
    assert "T +10 s: the clock reads 10.000000 s" in out
    assert any(line.startswith("R slot 1: written back: the page is read from block 2")
               for line in out)


def test_convert_keeps_v2_as_text_and_refuses_binary(tmp_path):
    trace = tmp_path / "wb.trace"
    trace.write_text(WRITEBACK_TRACE)
    copy = tmp_path / "copy.trace"
    assert convert(trace, copy) == 16
    assert replay_json(copy)["bd_stat"] == replay_json(trace)["bd_stat"]
    assert "T 10.000000000" in copy.read_text()
    result = run("convert", str(trace), str(tmp_path / "wb.ztrace"))
    assert result.exit_code == 1
    assert "binary traces have no S or T records" in result.stderr
    assert not (tmp_path / "wb.ztrace").exists()


def test_the_example_in_trace_format_md(tmp_path):
    text = (Path(__file__).parent.parent / "docs" / "trace-format.md").read_text()
    block = text.split("Example, worked through")[1].split("```")[1]
    trace = tmp_path / "doc.trace"
    trace.write_text(block.lstrip("\n"))
    doc = replay_json(trace, "--verify")
    # stored: slot 0 same-filled, slot 1 on block 1, slot 3 (1000 bytes, one 1024-class
    # page); peak 2 huge pages + 1 = 3 pages; 2 pages written back, 1 read back, and the
    # overwrite of slot 0 freed block 2.
    assert [doc["mm_stat"][k] for k in MM] == [12288, 1000, 4096, 0, 12288, 1, 0, 0, 2]
    assert doc["bd_stat"] == {"bd_count": 1, "bd_reads": 1, "bd_writes": 2}


def test_kernel_diff_refuses_v2_operations():
    from zramsim.kernel import KernelDeviceError, check_replayable
    with pytest.raises(KernelDeviceError, match="operation 2 .S. is not W, R, D or C"):
        check_replayable([("W", 0, bytes(PAGE)), ("S", 0, ("idle", "all"))])
