"""zramctl's output, pinned to the real tool, and the sysfs texts it is computed from.

The two ``REAL_*`` states are sysfs files read from a real /dev/zram0 (Linux
6.18); every expected text below is what util-linux 2.38.1's ``zramctl``
printed for them, byte for byte (trailing blanks included). ``ONE_OBJECT`` is
worked out by hand from the format.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cli import main
from zramsim import ZramDevice
from zramsim.sysfs import (DEBUGFS_VIEWS, SYSFS_VIEWS, comp_algorithm_text, kernel_name,
                           sysfs_texts, view)
from zramsim.zramctl import (ALL_COLUMNS, OUTPUT_ALL, ZramctlOptions, ZramctlUsageError,
                             as_json, parse_columns, render)

PAGE = 4096

# 1,800 pages of libLLVM-15.so written to a 64M lz4 device.
REAL_LLVM = {"disksize": "67108864\n", "comp_algorithm": "lzo-rle lzo [lz4] \n",
             "mm_stat": " 7372800  3230948  4444160        0  4444160       21        0"
                        "       53       53\n"}
# 7 MiB of it on a 100M device with mem_limit 3M (one write failed), every other
# 8 pages discarded, then compacted.
REAL_COMPACTED = {"disksize": "104857600\n", "comp_algorithm": "lzo-rle lzo [lz4] \n",
                  "mm_stat": " 3047424  1179549  1978368  3145728  3149824       10      191"
                             "       24       53\n"}

LLVM_DEFAULT = ("NAME       ALGORITHM DISKSIZE DATA COMPR TOTAL STREAMS MOUNTPOINT\n"
                "/dev/zram0 lz4            64M   7M  3.1M  4.2M         \n")
LLVM_ALL = ("NAME       DISKSIZE DATA COMPR ALGORITHM STREAMS ZERO-PAGES TOTAL MEM-LIMIT "
            "MEM-USED MIGRATED MOUNTPOINT\n"
            "/dev/zram0      64M   7M  3.1M lz4                       21  4.2M        0B "
            "    4.2M       0B \n")
LLVM_ALL_BYTES_RAW_NOHEADINGS = "/dev/zram0 67108864 7372800 3230948 lz4  21 4444160 0 4444160 0 \n"


@pytest.mark.parametrize("options, expected", [
    ({}, LLVM_DEFAULT),
    ({"columns": ALL_COLUMNS}, LLVM_ALL),
    ({"columns": ALL_COLUMNS, "in_bytes": True, "raw": True, "noheadings": True},
     LLVM_ALL_BYTES_RAW_NOHEADINGS),
    ({"raw": True}, "NAME ALGORITHM DISKSIZE DATA COMPR TOTAL STREAMS MOUNTPOINT\n"
                    "/dev/zram0 lz4 64M 7M 3.1M 4.2M  \n"),
    ({"noheadings": True}, "/dev/zram0 lz4            64M   7M  3.1M  4.2M         \n"),
    ({"in_bytes": True}, "NAME       ALGORITHM DISKSIZE    DATA   COMPR   TOTAL STREAMS "
                         "MOUNTPOINT\n/dev/zram0 lz4       67108864 7372800 3230948 4444160"
                         "         \n"),
    ({"columns": ALL_COLUMNS, "in_bytes": True},
     "NAME       DISKSIZE    DATA   COMPR ALGORITHM STREAMS ZERO-PAGES   TOTAL MEM-LIMIT "
     "MEM-USED MIGRATED MOUNTPOINT\n/dev/zram0 67108864 7372800 3230948 lz4               "
     "        21 4444160         0  4444160        0 \n"),
    ({"columns": ALL_COLUMNS, "raw": True},
     "NAME DISKSIZE DATA COMPR ALGORITHM STREAMS ZERO-PAGES TOTAL MEM-LIMIT MEM-USED "
     "MIGRATED MOUNTPOINT\n/dev/zram0 64M 7M 3.1M lz4  21 4.2M 0B 4.2M 0B \n"),
    ({"columns": ("NAME", "ZERO-PAGES", "MIGRATED", "MEM-LIMIT", "MEM-USED")},
     "NAME       ZERO-PAGES MIGRATED MEM-LIMIT MEM-USED\n"
     "/dev/zram0         21       0B        0B     4.2M\n"),
])
def test_what_the_real_zramctl_printed_for_the_llvm_pages(options, expected):
    assert render(REAL_LLVM, **options) == expected


@pytest.mark.parametrize("options, expected", [
    ({}, "NAME       ALGORITHM DISKSIZE  DATA COMPR TOTAL STREAMS MOUNTPOINT\n"
         "/dev/zram0 lz4           100M  2.9M  1.1M  1.9M         \n"),
    ({"columns": ALL_COLUMNS},
     "NAME       DISKSIZE  DATA COMPR ALGORITHM STREAMS ZERO-PAGES TOTAL MEM-LIMIT MEM-USED "
     "MIGRATED MOUNTPOINT\n/dev/zram0     100M  2.9M  1.1M lz4                       10  "
     "1.9M        3M       3M     191B \n"),
    ({"columns": ("DISKSIZE", "ALGORITHM")}, "DISKSIZE ALGORITHM\n    100M lz4\n"),
    ({"columns": ("ALGORITHM", "NAME")}, "ALGORITHM NAME\nlz4       /dev/zram0\n"),
    ({"columns": ("NAME", "NAME", "DATA")}, "NAME       NAME        DATA\n"
                                            "/dev/zram0 /dev/zram0  2.9M\n"),
    ({"columns": ("DATA",)}, " DATA\n 2.9M\n"),
    ({"columns": ("ALGORITHM", "ZERO-PAGES"), "noheadings": True}, "lz4               10\n"),
    ({"columns": ("NAME", "STREAMS"), "raw": True}, "NAME STREAMS\n/dev/zram0 \n"),
    ({"columns": ("MIGRATED", "ZERO-PAGES"), "in_bytes": True},
     "MIGRATED ZERO-PAGES\n     191         10\n"),
])
def test_what_the_real_zramctl_printed_after_a_compaction(options, expected):
    """DATA is 5 wide for '2.9M' (its width hint) and 4 for '7M'; MIGRATED is pages as a size."""
    assert render(REAL_COMPACTED, **options) == expected


def one_object_device() -> ZramDevice:
    dev = ZramDevice(1 << 20)
    assert dev.write_size(0, 1200)
    return dev


def test_one_object_worked_out_by_hand():
    """1200 bytes + 8 in class 1216 (3 pages, 10 objects): DATA 4K, COMPR 1.2K, TOTAL 12K.

    1200 = 1K + 176; 176/1024 = 0.171 -> (171 + 50) // 100 = 2 tenths. DATA's
    widest cell '4K' is under its header, so 4 wide; DISKSIZE '1M' right in 8.
    """
    files = sysfs_texts(one_object_device())
    assert render(files) == (
        "NAME       ALGORITHM DISKSIZE DATA COMPR TOTAL STREAMS MOUNTPOINT\n"
        "/dev/zram0 lz4             1M   4K  1.2K   12K         \n")
    assert render(files, "/dev/zram7", ("ZERO-PAGES", "MIGRATED", "NAME"), in_bytes=True) == (
        "ZERO-PAGES MIGRATED NAME\n"
        "         0        0 /dev/zram7\n")
    assert as_json(files, columns=ALL_COLUMNS) == {"devices": [{
        "name": "/dev/zram0", "disksize": 1 << 20, "data": PAGE, "compr": 1200,
        "algorithm": "lz4", "streams": None, "zero-pages": 0, "total": 3 * PAGE,
        "mem-limit": 0, "mem-used": 3 * PAGE, "migrated": 0, "mountpoint": None}]}


def test_raw_escapes_blanks_and_backslashes_as_util_linux_does():
    assert render(REAL_LLVM, "my zram\\1", ("NAME", "ALGORITHM"), raw=True, noheadings=True) \
        == "my\\x20zram\\x5c1 lz4\n"


def test_an_uninitialised_device_is_not_listed():
    dev = one_object_device()
    dev.reset()
    files = sysfs_texts(dev)
    assert (files["disksize"], files["initstate"]) == ("0\n", "0\n")
    assert render(files) == "" and render(files, raw=True) == ""
    assert as_json(files) == {"devices": []}


def test_column_lists_are_parsed_as_zramctl_parses_them():
    assert parse_columns("name,Data,NAME") == ("NAME", "DATA", "NAME")
    for bad, message in (("FOO", "unknown column: FOO"), ("NAME,", "an empty column name"),
                         ("", "give 1 to 24"), (",".join(["NAME"] * 25), "give 1 to 24"),
                         ("+NAME", "unknown column: \\+NAME")):
        with pytest.raises(ZramctlUsageError, match=message):
            parse_columns(bad)
    assert ZramctlOptions.parse(OUTPUT_ALL).columns == ALL_COLUMNS
    with pytest.raises(ZramctlUsageError, match="go with --format zramctl or zramctl-json"):
        ZramctlOptions.parse(in_bytes=True, fmt="table")
    for name in ("a b", "x" * 32, "", "a\\b", "zram\x01"):
        with pytest.raises(ZramctlUsageError, match="device name"):
            ZramctlOptions.parse(name=name)


# -- the sysfs texts -----------------------------------------------------------

def test_comp_algorithm_lists_kernel_names_in_the_kernel_order():
    assert kernel_name("lz4-kernel") == "lz4" and kernel_name("zstd") == "zstd"
    assert comp_algorithm_text("lz4-kernel", ["lz4", "lz4-kernel", "zstd"]) == "[lz4] zstd \n"
    assert comp_algorithm_text("zstd", ["zstd", "lzo", "lz4", "lzo-rle", "lz4-kernel"]) == \
        "lzo-rle lzo lz4 [zstd] \n"
    assert comp_algorithm_text("lz4", ["lz4", "zzz", "aaa"]) == "[lz4] aaa zzz \n"


def test_every_view_of_a_known_state():
    dev = ZramDevice(1 << 20, "zstd", mem_limit=13000)      # 4 pages
    assert dev.write_size(0, 1200) and dev.write(1, bytes(PAGE))
    dev.discard(1)
    texts = {name: view(dev, name) for name in [*SYSFS_VIEWS, *DEBUGFS_VIEWS]}
    assert texts["disksize"] == "1048576\n" and texts["initstate"] == "1\n"
    assert texts["comp_algorithm"] == "lzo-rle lzo lz4 lz4hc [zstd] deflate \n"
    assert texts["mem_limit"] == "16384\n" and texts["mem_used_max"] == "12288\n"
    assert texts["mm_stat"] == ("    4096     1200    12288    16384    12288        0"
                                "        0        0        0\n")
    assert texts["io_stat"] == "       0        0 0        1\n"
    assert texts["debug_stat"] == "version: 1\n0        0\n"
    # class 1216 (3 pages, 10 objects) holds 1 object: 10% used is the "20%" group
    # (100 x 1 // 10 = 10 -> group 10 // 10 + 1); nothing freeable: (10 - 1) // 10 = 0
    row = [line for line in texts["classes"].splitlines() if line.startswith("    74  1216")]
    assert row[0].split()[2:] == ["0", "1"] + ["0"] * 9 + ["10", "1", "3", "3", "0"]


# -- the command line ----------------------------------------------------------

def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def one_object(tmp_path):
    trace = tmp_path / "one.trace"
    trace.write_text("zramsim-trace 1\nW 0 size:1200\n")
    return str(trace)


def test_replay_prints_zramctl_with_its_options(one_object):
    result = run("replay", one_object, "--disksize", "1M", "--format", "zramctl")
    assert result.exit_code == 0 and result.stdout == (
        "NAME       ALGORITHM DISKSIZE DATA COMPR TOTAL STREAMS MOUNTPOINT\n"
        "/dev/zram0 lz4             1M   4K  1.2K   12K         \n")
    result = run("replay", one_object, "--disksize", "1M", "--format", "zramctl", "--name",
                 "/dev/zram3", "-o", "name,total", "-b", "-n", "--raw")
    assert result.stdout == "/dev/zram3 12288\n"
    both = run("replay", one_object, "--disksize", "1M", "--format", "zramctl",
               "-o", "DATA", "--output-all")           # the last one wins, as in zramctl
    assert both.stdout.startswith("NAME       DISKSIZE DATA COMPR ALGORITHM STREAMS ")


def test_replay_zramctl_json_and_every_view(one_object):
    doc = json.loads(run("replay", one_object, "--disksize", "1M", "--format",
                         "zramctl-json", "-o", "NAME,COMPR,MIGRATED").stdout)
    assert doc == {"devices": [{"name": "/dev/zram0", "compr": 1200, "migrated": 0}]}
    assert run("replay", one_object, "--format", "comp_algorithm",
               "--algo", "lz4-kernel").stdout.count("[lz4] ") == 1
    assert run("replay", one_object, "--format", "disksize").stdout == "4096\n"
    full = json.loads(run("replay", one_object, "--format", "json").stdout)
    assert full["sysfs"]["mm_stat"] == run("replay", one_object, "--format", "mm_stat").stdout
    assert set(full["sysfs"]) == set(SYSFS_VIEWS) and "classes" in full["debugfs"]


def test_an_empty_trace_leaves_nothing_for_zramctl_to_list(tmp_path):
    trace = tmp_path / "empty.trace"
    trace.write_text("zramsim-trace 1\n")
    assert run("replay", str(trace), "--format", "zramctl").stdout == ""
    assert run("replay", str(trace), "--format", "initstate").stdout == "1\n"


@pytest.mark.parametrize("args, message", [
    (("-b",), "go with --format zramctl or zramctl-json"),
    (("--format", "json", "--output-all"), "go with --format zramctl"),
    (("--format", "zramctl", "-o", "FOO"), "unknown column: FOO"),
    (("--format", "zramctl", "--name", "my zram"), "device name 'my zram'"),
])
def test_replay_refuses_what_zramctl_would(one_object, args, message):
    result = run("replay", one_object, *args)
    assert result.exit_code == 2 and message in result.stderr
