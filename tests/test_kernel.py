"""The real-kernel driver and the kernel-measured fixtures.

Most tests run everywhere: stat parsing, the refusals, replay bookkeeping on a
fake device, and self-consistency of the committed fixtures (every counter that
follows from the trace alone must match what the kernel reported). Tests
marked ``kernel`` drive ``/dev/zram0`` and run only as root with
``ZRAMSIM_KERNEL_TESTS=1``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import zstandard

from zramsim.lz4_kernel import kernel_lz4_len
from workloads.events import PageEvent
from zramsim.kernel import (
    HUGE, SAME, KernelDeviceError, KernelZram, check_unused, kernel_page_sizes,
    parse_io_stat, parse_mm_stat, replay_on_kernel,
)

DATA = Path(__file__).parent / "data" / "kernel"
PAGE = 4096
FIXTURES = ("mixed", "memlimit", "sizes")

# -- parsing -----------------------------------------------------------------


def test_parse_mm_stat_reads_the_kernel_line():
    text = "    4096     2290    16384        0    16384        0        0        0        1\n"
    assert parse_mm_stat(text) == (4096, 2290, 16384, 0, 16384, 0, 0, 0, 1)


def test_parse_io_stat_reads_the_unpadded_literal_zero():
    assert parse_io_stat("       0      939 0      550\n") == (0, 939, 0, 550)


@pytest.mark.parametrize("text", ["1 2 3 4 5 6 7 8\n", "1 2 3 4 5 6 7 8 x\n", ""])
def test_parse_mm_stat_rejects_malformed_lines(text):
    with pytest.raises(KernelDeviceError, match="mm_stat: expected 9 integers"):
        parse_mm_stat(text)


# -- refusals ----------------------------------------------------------------


def test_refuses_without_root(tmp_path):
    with pytest.raises(KernelDeviceError, match="needs root"):
        KernelZram(str(tmp_path / "zram9"), geteuid=lambda: 1000)


def test_refuses_a_missing_device(tmp_path):
    with pytest.raises(KernelDeviceError, match="zram7 does not exist"):
        KernelZram(str(tmp_path / "zram7"), geteuid=lambda: 0)


def test_refuses_a_regular_file(tmp_path):
    path = tmp_path / "zram0"
    path.write_bytes(b"")
    with pytest.raises(KernelDeviceError, match="is not a block device"):
        KernelZram(str(path), geteuid=lambda: 0)


def fake_system(tmp_path, disksize="0\n", swaps="", mounts=""):
    (tmp_path / "sys/block/zram3").mkdir(parents=True)
    (tmp_path / "sys/block/zram3/disksize").write_text(disksize)
    (tmp_path / "proc").mkdir()
    (tmp_path / "proc/swaps").write_text(
        "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n" + swaps)
    (tmp_path / "proc/mounts").write_text("proc /proc proc rw 0 0\n" + mounts)
    return str(tmp_path / "sys"), str(tmp_path / "proc")


def test_an_idle_device_passes(tmp_path):
    assert check_unused("zram3", *fake_system(tmp_path)) is None


def test_refuses_an_initialised_device(tmp_path):
    with pytest.raises(KernelDeviceError, match="in use: disksize is 1073741824"):
        check_unused("zram3", *fake_system(tmp_path, disksize="1073741824\n"))


def test_refuses_a_swap_device(tmp_path):
    swaps = "/dev/zram3                              partition\t8388604\t\t0\t\t100\n"
    with pytest.raises(KernelDeviceError, match=r"/proc/swaps \(swap\)"):
        check_unused("zram3", *fake_system(tmp_path, swaps=swaps))


def test_refuses_a_mounted_device(tmp_path):
    mounts = "/dev/zram3 /tmp/z ext4 rw,relatime 0 0\n"
    with pytest.raises(KernelDeviceError, match=r"/proc/mounts \(mounted\)"):
        check_unused("zram3", *fake_system(tmp_path, mounts=mounts))


def test_a_similar_name_is_not_the_device(tmp_path):
    mounts = "/dev/zram30 /tmp/z ext4 rw 0 0\n"
    assert check_unused("zram3", *fake_system(tmp_path, mounts=mounts)) is None


def test_missing_sysfs_is_refused(tmp_path):
    with pytest.raises(KernelDeviceError, match="cannot read"):
        check_unused("zram5", str(tmp_path), str(tmp_path))


# -- replay bookkeeping on a fake device -------------------------------------


class Untouchable:
    """A 'kernel' that fails the test if anything is done to it."""

    def __getattr__(self, name):
        raise AssertionError(f"the device was touched: {name}")


class CountingKernel:
    """Counts calls; mm_stat field 0 is the number of calls so far."""

    def __init__(self):
        self.calls = []

    def write(self, index, page):
        self.calls.append(("W", index))
        return True

    def read(self, index):
        self.calls.append(("R", index))
        return bytes(PAGE)

    def discard(self, index, count):
        self.calls.append(("D", index, count))

    def compact(self):
        self.calls.append(("C",))

    def mm_stat(self):
        return (len(self.calls),) + (0,) * 8

    def io_stat(self):
        return (0, 0, 0, 0)


def test_sizes_only_traces_are_refused_before_the_device_is_touched():
    events = [PageEvent("W", 0, bytes(PAGE)), PageEvent("R", 0), PageEvent("W", 5, 1234)]
    with pytest.raises(KernelDeviceError, match=r"operation 3 \(W 5\) is a sizes-only write"):
        replay_on_kernel(iter(events), Untouchable())


def test_replay_snapshots_every_nth_and_the_last_operation():
    events = [PageEvent("W", 1, bytes(PAGE)), PageEvent("R", 1), PageEvent("D", 0, 4),
              PageEvent("C", 0), PageEvent("R", 9)]
    kernel = CountingKernel()
    snaps = replay_on_kernel(events, kernel, snapshot_every=2)
    assert kernel.calls == [("W", 1), ("R", 1), ("D", 0, 4), ("C",), ("R", 9)]
    assert [(s.op_number, s.mm_stat[0]) for s in snaps] == [(2, 2), (4, 4), (5, 5)]


# -- the committed fixtures --------------------------------------------------


def load_trace(name):
    """(config dict, list of (op, index, arg)) of a sizes-only fixture trace."""
    config, ops, seen_magic = {}, [], False
    for line in (DATA / f"{name}.trace").read_text().splitlines():
        if line.startswith("# config "):
            config = {k: v for k, v in (kv.split("=") for kv in line[9:].split())}
        if line.startswith("#") or not line.strip():
            continue
        if line == "zramsim-trace 1":
            seen_magic = True
            continue
        fields = line.split()
        if fields[0] == "page_size":
            continue
        op, index = fields[0], int(fields[1]) if len(fields) > 1 else 0
        arg = fields[2] if len(fields) > 2 else None
        if op == "D":
            arg = int(arg) if arg else 1
        ops.append((op, index, arg))
    assert seen_magic
    return config, ops


def load_expected(name):
    rows = []
    for line in (DATA / f"{name}.expected").read_text().splitlines():
        left, right = line.split(" | ")
        number, *mm = map(int, left.split())
        rows.append((number, tuple(mm), tuple(map(int, right.split()))))
    return rows


def stored(content):
    """compr_data_size contribution, same-filled flag, huge flag of a W content."""
    if content == "zero" or content.startswith("fill:0x"):
        return 0, True, False
    size = int(content.removeprefix("size:"))
    return size, False, size == PAGE


@pytest.mark.parametrize("name", FIXTURES)
def test_fixture_counters_follow_from_the_trace(name):
    """Replays each trace with slot bookkeeping only (no allocator) and checks
    every counter that does not depend on zsmalloc, after every operation.

    A write counts as failed exactly where the kernel's failed_writes grew, and
    (Linux 6.17+) a failed write keeps the slot's old content.
    """
    config, ops = load_trace(name)
    rows = load_expected(name)
    assert [r[0] for r in rows] == list(range(1, len(ops) + 1))
    slots = {}
    since = notify = failed = 0
    prev_mm = (0,) * 9
    for (op, index, arg), (number, mm, io) in zip(ops, rows):
        if op == "W":
            if io[1] == failed:
                slots[index] = stored(arg)
                since += slots[index][2]
            else:
                assert io[1] == failed + 1 and not stored(arg)[1], number
        elif op == "D":
            for i in range(index, index + arg):
                slots.pop(i, None)
            notify += arg
        failed = io[1]
        live = slots.values()
        assert mm[0] == PAGE * len(slots), number                    # orig_data_size
        assert mm[1] == sum(s[0] for s in live), number              # compr_data_size
        assert mm[3] == int(config["mem_limit"]), number             # mem_limit
        assert mm[5] == sum(s[1] for s in live), number              # same_pages
        assert mm[7] == sum(s[2] for s in live), number              # huge_pages
        assert mm[8] == since, number                                # huge_pages_since
        assert io == (0, failed, 0, notify), number
        assert mm[2] % PAGE == 0 and mm[2] <= mm[4], number
        assert mm[4] >= prev_mm[4], number                           # mem_used_max grows
        if op != "C":
            assert mm[6] == prev_mm[6], number                       # only C compacts
        prev_mm = mm
    assert config["algorithm"] == "lz4"


def test_mixed_fixture_compaction_frees_pages():
    _, ops = load_trace("mixed")
    rows = load_expected("mixed")
    compactions = [i for i, (op, _, _) in enumerate(ops) if op == "C"]
    assert len(compactions) == 3
    first = compactions[0]
    assert rows[first][1][6] > 0 and rows[first][1][2] < rows[first - 1][1][2]
    writes = [op for op in ops if op[0] == "W"]
    assert sum(w[2] == "zero" for w in writes) > 50
    assert sum(w[2].startswith("fill:") for w in writes) > 50
    assert sum(w[2] == "size:4096" for w in writes) > 50


def test_memlimit_fixture_hits_the_limit():
    config, _ = load_trace("memlimit")
    rows = load_expected("memlimit")
    limit = int(config["mem_limit"])
    assert limit == 2 * 1024 * 1024
    assert rows[-1][2][1] > 100                                       # failed_writes
    assert max(r[1][4] for r in rows) > limit                         # mem_used_max
    assert max(r[1][2] for r in rows) <= limit                        # mem_used_total


def test_sizes_fixture_spans_every_size_class():
    _, ops = load_trace("sizes")
    sizes = {int(arg[5:]) for op, _, arg in ops if op == "W"}
    # zsmalloc size classes at 4 KiB pages are 16 bytes apart from 32; the
    # object needs comp_len + 8 bytes; 3624 is the largest non-huge length
    raw_classes = {(s + 8 - 32 + 15) // 16 for s in sizes if s < PAGE}
    assert raw_classes == set(range(min(raw_classes), 226)) and min(raw_classes) <= 1
    assert max(s for s in sizes if s < PAGE) == 3624 and PAGE in sizes


# -- lz4 page-length fixture -------------------------------------------------


def load_pages():
    data = zstandard.ZstdDecompressor().decompress((DATA / "pages_lz4.bin.zst").read_bytes())
    pages = [data[i:i + PAGE] for i in range(0, len(data), PAGE)]
    sizes = [line if line in (SAME, HUGE) else int(line)
             for line in (DATA / "pages_lz4.sizes").read_text().splitlines()
             if not line.startswith("#")]
    return pages, sizes


def test_pages_fixture_marks_exactly_the_same_filled_pages():
    pages, sizes = load_pages()
    assert len(pages) == len(sizes) == 300
    assert [p == p[:8] * 512 for p in pages] == [s == SAME for s in sizes]
    assert sum(s == HUGE for s in sizes) == 12


def test_kernel_lz4_model_matches_every_fixture_page():
    pages, sizes = load_pages()
    for number, (page, size) in enumerate(zip(pages, sizes)):
        if size == SAME:
            continue
        length = kernel_lz4_len(page)
        if size == HUGE:
            assert length >= 3625, number
        else:
            assert length == size, number


def test_kernel_lz4_model_on_small_inputs():
    assert kernel_lz4_len(b"") == 1
    assert kernel_lz4_len(b"abc") == 4                      # token + 3 literals
    # a zero page: token + 1 literal; a match from byte 1 to byte 4091 (the
    # last 5 bytes must stay literals): 4090 - 4 = 4086 overflows the token
    # nibble, 15 + 16 * 255 + 51, so 16 extra bytes after the 2-byte offset;
    # then a token and the 5 trailing literals
    assert kernel_lz4_len(bytes(PAGE)) == (1 + 1) + (2 + 16) + (1 + 5)


# -- the real kernel ----------------------------------------------------------

kernel_only = pytest.mark.skipif(
    os.environ.get("ZRAMSIM_KERNEL_TESTS") != "1" or os.geteuid() != 0,
    reason="needs root and ZRAMSIM_KERNEL_TESTS=1")


def disksize():
    return int(Path("/sys/block/zram0/disksize").read_text())


@pytest.mark.kernel
@kernel_only
def test_real_device_counts_same_huge_and_discards():
    text = (b"static int zram_write_page(struct zram *zram, u32 index);\n" * 80)[:PAGE]
    fill = (0x2A).to_bytes(8, "little") * 512
    noise = bytes((i * 7919 + (i >> 3) * 104729) % 251 for i in range(PAGE))
    with KernelZram() as kernel:
        kernel.configure("lz4", 64 * PAGE)
        assert kernel.selected_algorithm() == "lz4"
        for slot, page in enumerate((bytes(PAGE), fill, noise, text)):
            assert kernel.write(slot, page)
        assert kernel.read(1) == fill and kernel.read(3) == text
        assert kernel.read(40) == bytes(PAGE)
        mm = kernel.mm_stat()
        assert mm[0] == 4 * PAGE and mm[5] == 2
        assert mm[1] == PAGE * (mm[7] == 1) + kernel_lz4_len(text) + \
            (kernel_lz4_len(noise) if kernel_lz4_len(noise) < 3625 else 0)
        kernel.discard(0, 10)
        assert kernel.mm_stat()[:3] == (0, 0, 0)
        assert kernel.io_stat() == (0, 0, 0, 10)
        assert kernel.mm_stat_text().endswith("\n") and kernel.io_stat_text().count(" 0 ") >= 1
        with pytest.raises(KernelDeviceError, match="in use: disksize is 262144"):
            KernelZram()
    assert disksize() == 0


@pytest.mark.kernel
@kernel_only
def test_real_device_takes_a_run_of_pages_in_one_write():
    pages = [bytes(PAGE), (b"zram write_pages " * 241)[:PAGE], (7).to_bytes(8, "little") * 512]
    with KernelZram() as kernel:
        kernel.configure("lz4", 8 * PAGE)
        assert kernel.write_pages(2, pages)
        assert [kernel.read(i) for i in range(2, 5)] == pages
        mm = kernel.mm_stat()
        assert (mm[0], mm[5]) == (3 * PAGE, 2)
        with pytest.raises(KernelDeviceError, match="must be 4096 bytes"):
            kernel.write_pages(0, [b"short"])
    assert disksize() == 0


@pytest.mark.kernel
@kernel_only
def test_real_device_is_reset_after_an_exception():
    with pytest.raises(KeyError):
        with KernelZram() as kernel:
            kernel.configure("lz4", 16 * PAGE)
            raise KeyError("boom")
    assert disksize() == 0


@pytest.mark.kernel
@kernel_only
def test_real_device_reproduces_the_pages_fixture():
    pages, sizes = load_pages()
    with KernelZram() as kernel:
        assert kernel_page_sizes(pages, kernel, "lz4") == sizes
    assert disksize() == 0


@pytest.mark.kernel
@kernel_only
def test_real_device_reproduces_the_sizes_fixture():
    """The 'sizes' workload is built from a seed only, so it can be re-run."""
    import random

    from tools.measure_kernel import build_sizes, measure_sizes, run_workload

    seed = int(re.search(r"--seed (\d+)", (DATA / "sizes.trace").read_text()).group(1))
    events, size, limit = build_sizes(random.Random(f"{seed}:sizes"))
    sizes = measure_sizes([arg for op, _, arg in events if op == "W"], "lz4")
    snaps = run_workload(events, size, limit, sizes, "lz4")
    assert [(s.op_number, s.mm_stat, s.io_stat) for s in snaps] == load_expected("sizes")
    assert disksize() == 0


# -- simulator against kernel --------------------------------------------------

from workloads.open_trace import open_trace  # noqa: E402
from zramsim.kernel_diff import device_for, diff_rows, fixture_config, load_expected as \
    load_snapshots  # noqa: E402


@pytest.mark.parametrize("name", FIXTURES)
def test_simulator_matches_the_kernel_after_every_operation(name):
    trace = DATA / f"{name}.trace"
    snapshots = load_snapshots(DATA / f"{name}.expected")
    rows = diff_rows(open_trace(trace), snapshots, device_for(fixture_config(trace)))
    assert rows == []


def test_diff_rows_reports_a_wrong_size_from_the_first_operation():
    trace = DATA / "mixed.trace"
    events = list(open_trace(trace))
    assert events[0] == PageEvent("W", 639, 1696)
    events[0] = PageEvent("W", 639, 1896)
    rows = diff_rows(events, load_snapshots(DATA / "mixed.expected"),
                     device_for(fixture_config(trace)))
    assert rows[0] == (1, "compr_data_size", 1896, 1696, 200)


def test_diff_rows_all_fields_and_a_trace_that_ends_early():
    trace = DATA / "sizes.trace"
    snapshots = load_snapshots(DATA / "sizes.expected")
    events = list(open_trace(trace))
    rows = diff_rows(events[:3], snapshots[:3], device_for(fixture_config(trace)),
                     all_fields=True)
    assert len(rows) == 39 and all(r[4] == 0 for r in rows)
    assert rows[0][:2] == (1, "orig_data_size") and rows[0][3] == 4096
    with pytest.raises(KernelDeviceError, match="ended after 3 operations"):
        diff_rows(events[:3], snapshots[:4], device_for(fixture_config(trace)))


def test_fixture_config_and_expected_refuse_malformed_files(tmp_path):
    assert fixture_config(DATA / "memlimit.trace") == {
        "disksize": 16 * 1024 * 1024, "mem_limit": 2 * 1024 * 1024, "algorithm": "lz4"}
    bare = tmp_path / "bare.trace"
    bare.write_text("# nothing here\nzramsim-trace 1\n# config disksize=1 mem_limit=0 algorithm=lz4\n")
    with pytest.raises(KernelDeviceError, match="no '# config"):
        fixture_config(bare)
    bad = tmp_path / "bad.expected"
    bad.write_text("1 0 0 0 0 0 0 0 0 0 | 0 0 0 0\n2 0 0 0 0 0 0 0 0 0 0 0 0 0\n")
    with pytest.raises(KernelDeviceError, match="bad.expected:2: expected"):
        load_snapshots(bad)
