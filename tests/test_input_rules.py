"""The input rule: what zramsim reads is a trace, a raw image asked for, or one clear error.

Every case of issue 13's input half is here, reproduced as the user met it:
each bad input must end with the right exit code and exactly one ``Error:``
line on stderr (no traceback, no Python exception text), never with numbers
computed from a misread file. Standard input, pipes and ``<(cat trace)`` must
give exactly what the same file gives.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
import zstandard
from click.testing import CliRunner

from cli import main
from tests.run_cli import run_zramsim, zramsim_argv, zramsim_env
from workloads.binary_trace import HEADER
from workloads.errors import TraceFormatError
from workloads.events import PageEvent
from workloads.open_trace import open_trace, sniff
from zramsim import ZramDevice
from zramsim.disksize import disksize_for
from zramsim.size_parse import SizeError, parse_size

DATA = Path(__file__).parent / "data" / "traces"
PYTHON_NOISE = ("Traceback", "Exception", "Errno", "invalid literal", "object has no")


def run(*args: str, input: bytes | None = None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input,
                              catch_exceptions=False)


def one_error(result, code: int) -> str:
    """The single stderr line of a failed command, after checking code and form."""
    assert result.exit_code == code, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("Error: ")
    assert not any(word in lines[0] for word in PYTHON_NOISE)
    return lines[0]


@pytest.fixture
def folder(tmp_path):
    for name in ("mixed.trace", "mixed.ztrace", "pages.bin"):
        shutil.copy(DATA / name, tmp_path / name)
    return tmp_path


# -- a damaged or unmarked trace is an error, never a raw image ----------------

def bad_inputs(tmp: Path) -> list[tuple[str, bytes, str]]:
    """(file name, bytes, the reason after 'Error: <path>:<line>: ')."""
    ztrace = (DATA / "mixed.ztrace").read_bytes()
    flipped = bytearray(ztrace)
    flipped[0] ^= 0xFF
    window = bytearray(ztrace)
    window[24:28] = (4095).to_bytes(4, "little")
    return [
        ("n.trace", b"W 0 zero\nR 0\n", "1: missing magic line 'zramsim-trace 1' (found 'W')"),
        ("n", b"W 0 zero\nR 0\n", "1: missing magic line 'zramsim-trace 1' (found 'W')"),
        ("c", b"# only a comment\n\n", "2: empty trace: missing magic line 'zramsim-trace 1'"),
        ("e", b"", "0: empty input: not a trace (an empty raw image needs --input-format raw)"),
        ("e.trace", b"", "1: empty trace: missing magic line 'zramsim-trace 1'"),
        ("cut.ztrace", ztrace[:20], "0: truncated header"),
        ("cut", ztrace[:20], "0: truncated header"),
        ("tiny", ztrace[:3], "0: truncated header"),
        ("magic.ztrace", bytes(flipped), "0: not a zramsim binary trace (bad magic)"),
        ("window.ztrace", bytes(window),
         "0: reference window of 4095 pages is not a power of two (damaged header)"),
        ("big.trace", b"zramsim-trace 1\nW 0 size:99999\n",
         "2: bad size 99999: larger than the 4096-byte page"),
        ("d.trace", b"zramsim-trace 1\nD 18446744073709551615 2\n",
         "2: discard of 2 pages from 18446744073709551615 passes 2**64"),
    ]


@pytest.mark.parametrize("case", range(12))
def test_bad_inputs_are_one_clear_error(tmp_path, case):
    name, data, reason = bad_inputs(tmp_path)[case]
    path = tmp_path / name
    path.write_bytes(data)
    for command in ("replay", "classes", "compare"):
        line = one_error(run(command, path), 1)
        assert line == f"Error: {path}:{reason}"


def test_a_bom_is_tolerated(folder):
    text = (folder / "mixed.trace").read_bytes()
    (folder / "bom.trace").write_bytes(b"\xef\xbb\xbf" + text)
    with open_trace(folder / "bom.trace") as a, open_trace(folder / "mixed.trace") as b:
        assert list(a) == list(b)


def test_raw_images_only_when_asked(folder):
    assert sniff(b"hello\n", "notes") == "text"
    assert sniff(b"hello\n", "notes.img") == "raw"
    assert sniff(b"\x00\x01\x02", "blob") == "raw"
    assert sniff(b"\xff\xfe text", "blob") == "raw"              # not UTF-8
    assert sniff("é".encode()[:1], "cut") == "text"                # a cut character is fine
    assert sniff(b"", "disk", stat.S_IFBLK) == "raw"
    with pytest.raises(TraceFormatError, match="empty input"):
        sniff(b"", "e")
    # a text file is a raw image when the user says so, and only then
    (folder / "notes").write_bytes(b"W 0 zero\n")
    doc = json.loads(run("replay", folder / "notes", "--input-format", "raw", "-q",
                         "--format", "json").stdout)
    assert (doc["config"]["format"], doc["events"]) == ("raw", 1)
    (folder / "e").write_bytes(b"")
    doc = json.loads(run("replay", folder / "e", "--input-format", "raw", "-q",
                         "--format", "json").stdout)
    assert doc["events"] == 0
    # and a trace is read as what the user names, errors included
    line = one_error(run("replay", folder / "mixed.trace", "--input-format", "binary"), 1)
    assert line == f"Error: {folder / 'mixed.trace'}:0: not a zramsim binary trace (bad magic)"


def test_every_trace_reading_command_takes_input_format(folder):
    (folder / "notes").write_bytes(b"hello world\n" * 1000)
    line = one_error(run("pressure", "--trace", folder / "notes", "--accesses", "10"), 1)
    assert line == (f"Error: {folder / 'notes'}:1: missing magic line 'zramsim-trace 1'"
                    " (found 'hello')")
    result = run("pressure", "--trace", folder / "notes", "--input-format", "raw",
                 "--accesses", "10", "--algo", "lz4", "--format", "json", "--no-baselines")
    assert result.exit_code == 0 and json.loads(result.stdout)["summaries"][0]["pages"] == 3
    line = one_error(run("zspages", folder / "mixed.trace", "--input-format", "binary"), 1)
    assert line == f"Error: {folder / 'mixed.trace'}:0: not a zramsim binary trace (bad magic)"
    assert "--input-format" in run("kernel-diff", "--help").stdout


def test_file_sources_must_be_regular_files(folder):
    os.mkfifo(folder / "fifo")
    (folder / "t.trace").write_text("zramsim-trace 1\nW 0 file:fifo:0\n")
    # a subprocess with a timeout: the old reader waited for a writer forever
    result = run_zramsim("replay", folder / "t.trace", timeout=60)
    assert result.returncode == 1
    assert result.stderr.decode() == (f"Error: {folder / 't.trace'}:2: file 'fifo' is a FIFO,"
                                      " not a regular file\n")
    (folder / "d.trace").write_text("zramsim-trace 1\nW 0 file:/dev/null:0\n")
    line = one_error(run("replay", folder / "d.trace", "--allow-outside"), 1)
    assert line.endswith(":2: file '/dev/null' is a character device, not a regular file")


# -- standard input, pipes and process substitution ----------------------------

def replay_json(*args: str, stdin: bytes | None = None, cwd=None) -> dict:
    result = run_zramsim("replay", *args, "-q", "--format", "json", input=stdin, cwd=cwd)
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    doc["config"].pop("trace")
    return doc


@pytest.mark.parametrize("name, options", [("mixed.trace", ()), ("mixed.ztrace", ()),
                                           ("pages.bin", ("--input-format", "raw"))])
def test_stdin_and_pipes_equal_the_file(folder, name, options):
    """Text (its file: paths from the current folder), binary and raw, three ways in."""
    from_file = replay_json(folder / name, *options)
    from_stdin = replay_json("-", *options, stdin=(folder / name).read_bytes(), cwd=folder)
    substituted = subprocess.run(
        ["bash", "-c", 'exec "$@" <(cat "$0")', folder / name,
         *zramsim_argv("replay", *options, "-q", "--format", "json")],
        cwd=folder, env=zramsim_env(), capture_output=True, timeout=120)
    assert substituted.returncode == 0, substituted.stderr
    piped = json.loads(substituted.stdout)
    piped["config"].pop("trace")
    assert from_file["events"] > 0
    assert from_stdin == from_file == piped


def test_a_large_binary_trace_through_a_pipe(tmp_path):
    """More than the 64 KiB peeked and the zstd read-ahead: every byte arrives once."""
    path = tmp_path / "g.ztrace"
    result = run_zramsim("generate", path, "--kind", "random", "--pages", "300")
    assert result.returncode == 0, result.stderr
    assert path.stat().st_size > 1 << 20
    assert replay_json("-", stdin=path.read_bytes()) == replay_json(path)
    cut = path.read_bytes()[:-1]
    result = run_zramsim("replay", "-", "-q", input=cut)
    assert result.returncode == 1
    assert result.stderr.decode().startswith("Error: <stdin>:301: ")
    assert len(result.stderr.splitlines()) == 1


def test_classes_and_convert_read_stdin(folder, monkeypatch):
    monkeypatch.chdir(folder)               # file: paths of a piped trace start here
    text = (folder / "mixed.trace").read_bytes()
    from_stdin = run("classes", "-", input=text)
    assert from_stdin.exit_code == 0, from_stdin.stderr
    assert from_stdin.stdout == run("classes", folder / "mixed.trace").stdout
    binary = (folder / "mixed.ztrace").read_bytes()
    result = run("convert", "-", folder / "copy.ztrace", input=binary)
    assert result.exit_code == 0, result.stderr
    with open_trace(folder / "copy.ztrace") as a, open_trace(folder / "mixed.ztrace") as b:
        assert list(a) == list(b)


# -- sizes like util-linux -----------------------------------------------------

# Each value as util-linux 2.38.1 reads it (checked with ``fallocate -l``).
UTIL_LINUX = {"4096": 4096, "64K": 65536, "64k": 65536, "1.5G": 1610612736,
              "1GiB": 1073741824, "512KB": 512000, "0.5MiB": 524288, "0.5MB": 500000,
              "1.5K": 1536, "1kib": 1024, "1kB": 1000, "1Kb": 1000, "1.05KB": 1050,
              " 4K": 4096, "15E": 15 << 60}


def test_sizes_parse_like_util_linux():
    for text, value in UTIL_LINUX.items():
        assert parse_size(text) == value, text
    assert parse_size("1.999K") == 2046          # exact, rounded down (util-linux: 2150)
    for text in ("1.5", "16E", "1Z", "0x10K", "010K", "+4K", "-1", "", "K", "1e3", "1.K",
                 "4 K", "٤M", "²K", "4\u0664"):
        with pytest.raises(SizeError):
            parse_size(text)


@pytest.mark.parametrize("text, reason", [
    ("٤M", "'٤M' is not a size: only the ASCII digits 0-9 count"),
    ("²K", "'²K' is not a size: only the ASCII digits 0-9 count"),
    ("010K", "'010K' has a leading zero (util-linux would read it as octal)"),
    ("99E", "'99E' is larger than 2**64 - 1 bytes"),
])
def test_bad_sizes_are_usage_errors(text, reason):
    result = run("replay", DATA / "mixed.trace", "--disksize", text)
    assert result.exit_code == 2
    last = result.stderr.splitlines()[-1]
    assert last.startswith("Error: Invalid value for '--disksize': " + reason)
    assert not any(word in result.stderr for word in PYTHON_NOISE)


# -- auto disksize covers every slot touched -----------------------------------

def test_auto_disksize_is_one_the_trace_replays_on(folder):
    auto = json.loads(run("replay", folder / "mixed.trace", "-q", "--format", "json").stdout)
    assert auto["config"]["disksize"] == 40960          # R 9 touches slot 9
    given = json.loads(run("replay", folder / "mixed.trace", "-q", "--format", "json",
                           "--disksize", "40K").stdout)
    assert given["mm_stat"] == auto["mm_stat"] and given["io_stat"] == auto["io_stat"]
    line = one_error(run("replay", folder / "mixed.trace", "-q", "--disksize", "36K",
                         "--format", "mm_stat"), 1)
    assert line == (f"Error: {folder / 'mixed.trace'}:14: slot 9 is outside the device"
                    " (9 slots of 4096 bytes)")
    with open_trace(folder / "mixed.trace") as reader:
        assert disksize_for(reader) == 40960


def test_growing_device_and_disksize_for_agree():
    events = [PageEvent("W", 3, 100), PageEvent("R", 11, None), PageEvent("D", 20, 5),
              PageEvent("C", 0, None)]
    for n in range(1, len(events) + 1):
        dev = ZramDevice()
        for op, index, arg in events[:n]:
            {"W": dev.write_size, "R": lambda i, _: dev.read(i),
             "D": dev.discard, "C": lambda *_: dev.compact()}[op](index, arg)
        assert dev.disksize == disksize_for(events[:n])
    assert dev.disksize == 25 * 4096 and disksize_for([]) == 4096


def test_binary_records_checked_like_text(tmp_path):
    """A discard record passing 2**64 - 1 and a size above the page, as the text reader says."""
    header = (DATA / "mixed.ztrace").read_bytes()[:HEADER.size]
    cases = [
        (bytes.fromhex("36") + (2**64 - 1).to_bytes(8, "little") + bytes([2]),
         "discard of 2 pages from 18446744073709551615 passes 2**64"),
        (bytes.fromhex("84 00") + (99999).to_bytes(4, "little"),
         "bad size 99999: larger than the 4096-byte page"),
    ]
    for body, reason in cases:
        path = tmp_path / "r.ztrace"
        path.write_bytes(header + zstandard.ZstdCompressor().compress(body + b"\x00\x01"))
        with pytest.raises(TraceFormatError) as info:
            with open_trace(path) as reader:
                list(reader)
        assert (info.value.line, info.value.reason) == (1, reason)
    # the last slot itself is fine: D 18446744073709551615 with count 1
    path = tmp_path / "ok.trace"
    path.write_text("zramsim-trace 1\nD 18446744073709551615\n")
    with open_trace(path) as reader:
        assert list(reader) == [PageEvent("D", 2**64 - 1, 1)]
