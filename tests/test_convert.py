"""Format detection, raw images and conversion between text and binary traces."""

import random
import shutil
from pathlib import Path

import pytest

from workloads.binary_trace import BinaryTraceReader
from workloads.errors import TraceFormatError, WorkloadError
from workloads.events import PageEvent
from workloads.open_trace import convert, detect_format, open_trace
from workloads.raw_image import RawImageReader
from workloads.text_trace import TextTraceReader

DATA = Path(__file__).parent / "data" / "traces"


def events_of(path, **options):
    with open_trace(path, **options) as reader:
        return list(reader)


@pytest.fixture
def mixed(tmp_path):
    shutil.copy(DATA / "mixed.trace", tmp_path / "mixed.trace")
    shutil.copy(DATA / "pages.bin", tmp_path / "pages.bin")
    return tmp_path / "mixed.trace"


def test_detection(tmp_path):
    (tmp_path / "t").write_text("# comment\n\n   zramsim-trace 9 # later an error\n")
    (tmp_path / "e").write_bytes(b"")
    (tmp_path / "r").write_bytes(b"W 0 zero\n")
    assert detect_format(DATA / "mixed.trace") == "text"
    assert detect_format(DATA / "mixed.ztrace") == "binary"
    assert detect_format(DATA / "pages.bin") == "raw"
    (tmp_path / "b").write_bytes(bytes(100))
    # no magic line: still text (an error when read), never a raw image
    assert [detect_format(tmp_path / n) for n in "trb"] == ["text", "text", "raw"]
    with pytest.raises(TraceFormatError, match="empty input: not a trace"):
        detect_format(tmp_path / "e")
    assert isinstance(open_trace(DATA / "mixed.trace"), TextTraceReader)
    assert isinstance(open_trace(DATA / "mixed.ztrace"), BinaryTraceReader)
    assert isinstance(open_trace(DATA / "pages.bin"), RawImageReader)
    with pytest.raises(TraceFormatError) as info:
        open_trace(tmp_path / "t")
    assert (info.value.line, info.value.reason) == (
        3, "unsupported version '9' (this reader knows 1 and 2)")
    assert events_of(tmp_path / "e", input_format="raw") == []


def test_missing_file(tmp_path):
    with pytest.raises(TraceFormatError) as info:
        open_trace(tmp_path / "nope.trace")
    assert (info.value.path, info.value.line) == (str(tmp_path / "nope.trace"), 0)
    assert info.value.reason == "cannot open trace: No such file or directory"


def test_committed_binary_sample_matches_text_sample():
    """Pins the binary format: a reader change that misreads old files fails here."""
    assert events_of(DATA / "mixed.ztrace") == events_of(DATA / "mixed.trace")
    with open_trace(DATA / "sizes16k.trace") as reader:
        assert reader.page_size == 16384
        assert list(reader) == [PageEvent("W", 0, 100), PageEvent("W", 1, 16384),
                                PageEvent("W", 2, 3000), PageEvent("D", 1, 1), PageEvent("C", 0)]


def test_raw_image_pages(tmp_path):
    data = random.Random(5).randbytes(10000)
    (tmp_path / "img").write_bytes(data)
    with open_trace(tmp_path / "img") as reader:
        assert reader.page_size == 4096
        events = list(reader)
        assert reader.location() == f"{tmp_path / 'img'}:3"
    assert events == [PageEvent("W", 0, data[:4096]), PageEvent("W", 1, data[4096:8192]),
                      PageEvent("W", 2, data[8192:] + bytes(2288))]
    assert events_of(tmp_path / "img", page_size=16384) == [
        PageEvent("W", 0, data + bytes(16384 - 10000))]
    with pytest.raises(ValueError, match="not a power of two"):
        open_trace(tmp_path / "img", page_size=12288)


def test_page_size_argument_checked_against_traces(tmp_path):
    with pytest.raises(TraceFormatError, match="differs from requested 4096"):
        open_trace(DATA / "sizes16k.trace", page_size=4096)
    with pytest.raises(TraceFormatError, match="differs from requested 65536"):
        open_trace(DATA / "mixed.ztrace", page_size=65536)


def test_text_binary_text_round_trip(mixed, tmp_path):
    original = events_of(mixed)
    assert convert(mixed, tmp_path / "a.ztrace") == 14
    assert events_of(tmp_path / "a.ztrace") == original
    out = tmp_path / "out" / "b.trace"
    out.parent.mkdir()
    assert convert(tmp_path / "a.ztrace", out) == 14
    assert events_of(out) == original
    # random:42, the text page (stored once for slots 4 and 7), the padded page, random:43
    assert (out.parent / "b.trace.pages").stat().st_size == 4 * 4096
    lines = out.read_text().splitlines()
    assert lines[2:7] == ["W 0 zero", "W 1 fill:0xdeadbeefdeadbeef",
                          "W 2 fill:0x00000000000000ff", "W 3 file:b.trace.pages:0",
                          "W 4 file:b.trace.pages:1"]
    assert lines[9] == "W 7 file:b.trace.pages:1"
    # and back to binary through the .zst spelling and the .txt spelling
    assert convert(out, tmp_path / "c.zst") == 14
    assert convert(tmp_path / "c.zst", tmp_path / "d.txt") == 14
    assert events_of(tmp_path / "d.txt") == original


def test_binary_to_binary_is_identical(mixed, tmp_path):
    convert(mixed, tmp_path / "a.ztrace")
    convert(tmp_path / "a.ztrace", tmp_path / "b.ztrace")
    assert (tmp_path / "a.ztrace").read_bytes() == (tmp_path / "b.ztrace").read_bytes()


def test_convert_raw_image(tmp_path):
    data = b"\x11" * 4096 + random.Random(1).randbytes(4096)
    (tmp_path / "disk.img").write_bytes(data)
    assert convert(tmp_path / "disk.img", tmp_path / "disk.trace") == 2
    assert (tmp_path / "disk.trace").read_text() == (
        "zramsim-trace 1\npage_size 4096\nW 0 fill:0x1111111111111111\n"
        "W 1 file:disk.trace.pages:0\n")
    assert convert(tmp_path / "disk.img", tmp_path / "disk16.ztrace", page_size=16384) == 1
    assert events_of(tmp_path / "disk16.ztrace") == [PageEvent("W", 0, data + bytes(8192))]


def test_convert_refusals(mixed, tmp_path):
    with pytest.raises(WorkloadError, match="cannot tell the output format"):
        convert(mixed, tmp_path / "out.bin")
    with pytest.raises(WorkloadError, match="also an input"):
        convert(mixed, mixed)
    assert not (tmp_path / "out.bin").exists()


def test_convert_path_rules(tmp_path):
    (tmp_path / "data.bin").write_bytes(b"\x42" * 4096)
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "t.trace").write_text("zramsim-trace 1\nW 0 file:../data.bin:0\n")
    with pytest.raises(TraceFormatError) as info:
        convert(sub / "t.trace", tmp_path / "o.ztrace")
    assert (info.value.path, info.value.line) == (str(sub / "t.trace"), 2)
    assert "leaves the trace folder" in info.value.reason
    assert convert(sub / "t.trace", tmp_path / "o.ztrace", allow_outside=True) == 1
    assert events_of(tmp_path / "o.ztrace") == [PageEvent("W", 0, b"\x42" * 4096)]


@pytest.mark.parametrize("reader", [TextTraceReader, BinaryTraceReader])
def test_a_missing_trace_is_a_format_error_at_line_0(tmp_path, reader):
    path = tmp_path / "none"
    with pytest.raises(TraceFormatError) as info:
        reader(path)
    assert (info.value.path, info.value.line, info.value.reason) == (
        str(path), 0, "cannot open trace: No such file or directory")
