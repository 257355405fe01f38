"""Text trace v1: contents byte for byte, every malformed form, path rules, the writer."""

import os
import random
import shutil
from pathlib import Path

import pytest

from workloads.contents import PageFiles, fill_page
from workloads.errors import TraceFormatError
from workloads.events import PageEvent, same_filled_word
from workloads.text_trace import TextTraceReader, TextTraceWriter

DATA = Path(__file__).parent / "data" / "traces"
PAGES = (DATA / "pages.bin").read_bytes()


def write_trace(folder: Path, body: str, name: str = "t.trace") -> Path:
    path = folder / name
    path.write_text(body)
    return path


def events_of(path, **options):
    with TextTraceReader(path, **options) as reader:
        return list(reader)


def test_mixed_sample_exact_events():
    events = events_of(DATA / "mixed.trace")
    ops = [(e.op, e.index, e.arg if not isinstance(e.arg, bytes) else len(e.arg)) for e in events]
    assert ops == [
        ("W", 0, 4096), ("W", 1, 4096), ("W", 2, 4096), ("W", 3, 4096), ("W", 4, 4096),
        ("W", 5, 4096), ("W", 6, 1234), ("W", 7, 4096), ("R", 3, None), ("R", 9, None),
        ("D", 0, 2), ("D", 6, 1), ("W", 3, 4096), ("C", 0, None),
    ]
    assert events[0].arg == bytes(4096)
    assert events[1].arg[:8] == bytes.fromhex("efbeaddeefbeadde")
    assert events[1].arg == bytes.fromhex("efbeaddeefbeadde") * 512
    assert events[2].arg == (b"\xff" + bytes(7)) * 512
    assert events[3].arg == random.Random(42).randbytes(4096)
    assert events[4].arg == PAGES[:4096]
    assert events[5].arg == PAGES[8192:] + bytes(2288)
    assert events[7].arg == events[4].arg
    assert events[12].arg == random.Random(43).randbytes(4096)


def test_header_and_location(tmp_path):
    path = write_trace(tmp_path, "# c\n\nzramsim-trace 1 # magic\npage_size 16384\n\nR 5\n\nC\n")
    with TextTraceReader(path) as reader:
        assert reader.page_size == 16384
        assert reader.path == str(path)
        assert reader.location() == f"{path}:0"
        it = iter(reader)
        assert next(it) == PageEvent("R", 5, None)
        assert reader.location() == f"{path}:6"
        assert next(it) == PageEvent("C", 0, None)
        assert reader.location() == f"{path}:8"
        assert list(it) == []


def test_default_page_size_and_zero_at_16k(tmp_path):
    assert TextTraceReader(write_trace(tmp_path, "zramsim-trace 1\n")).page_size == 4096
    path = write_trace(tmp_path, "zramsim-trace 1\npage_size 65536\nW 0 fill:1\n")
    [event] = events_of(path)
    assert event.arg == (b"\x01" + bytes(7)) * 8192


def test_fill_forms_are_equal(tmp_path):
    body = "zramsim-trace 1\nW 0 fill:0xABCDEF\nW 0 fill:abcdef\nW 0 fill:0X0000000000abcdef\n"
    a, b, c = events_of(write_trace(tmp_path, body))
    assert a == b == c
    assert a.arg[:8] == bytes.fromhex("efcdab0000000000")


def test_requested_page_size_must_match(tmp_path):
    path = write_trace(tmp_path, "zramsim-trace 1\npage_size 16384\nC\n")
    with pytest.raises(TraceFormatError) as info:
        TextTraceReader(path, page_size=4096)
    assert (info.value.path, info.value.line, info.value.reason) == (
        str(path), 2, "trace page_size 16384 differs from requested 4096")
    with pytest.raises(TraceFormatError) as info:
        TextTraceReader(write_trace(tmp_path, "# c\nzramsim-trace 1\nC\n"), page_size=16384)
    assert (info.value.line, info.value.reason) == (
        2, "trace page_size 4096 differs from requested 16384")


MALFORMED = [
    # (file body, line, how the reason starts)
    ("", 1, "empty trace"),
    ("# only\n\n# comments\n", 3, "empty trace"),
    ("W 0 zero\n", 1, "missing magic line 'zramsim-trace 1' (found 'W')"),
    ("zramsim-trace\n", 1, "missing version"),
    ("zramsim-trace 3\n", 1, "unsupported version '3'"),
    ("zramsim-trace 1\nS idle all\n", 2, "operation 'S' needs 'zramsim-trace 2'"),
    ("zramsim-trace 2\nS idle\n", 2, "expected 'S <attribute> <value>'"),
    ("zramsim-trace 2\nT -1\n", 2, "bad seconds '-1'"),
    ("zramsim-trace 2\nT 1.0000000001\n", 2, "bad seconds '1.0000000001': finer than a nanosecond"),
    ("zramsim-trace 2\nT 1 2\n", 2, "expected 'T <seconds>'"),
    ("zramsim-trace 1 extra\n", 1, "extra tokens after 'zramsim-trace 1': 'extra'"),
    ("ZRAMSIM-TRACE 1\n", 1, "missing magic"),
    ("zramsim-trace 1\nX 1\n", 2, "unknown operation 'X'"),
    ("zramsim-trace 1\nw 0 zero\n", 2, "unknown operation 'w'"),
    ("zramsim-trace 1\nW x zero\n", 2, "bad index 'x'"),
    ("zramsim-trace 1\nW -1 zero\n", 2, "bad index '-1'"),
    ("zramsim-trace 1\nR +1\n", 2, "bad index '+1'"),
    ("zramsim-trace 1\nR 0x5\n", 2, "bad index '0x5'"),
    ("zramsim-trace 1\nR 1_000\n", 2, "bad index '1_000'"),
    ("zramsim-trace 1\nR \u0663\n", 2, "bad index"),
    ("zramsim-trace 1\nR 18446744073709551616\n", 2,
     "bad index '18446744073709551616': larger than 2**64 - 1"),
    ("zramsim-trace 1\nR 1" + "0" * 30 + "\n", 2, "bad index"),
    ("zramsim-trace 1\n\nD 0 0\n", 3, "bad count 0"),
    ("zramsim-trace 1\nD 0 -2\n", 2, "bad count '-2'"),
    ("zramsim-trace 1\nD 0 two\n", 2, "bad count 'two'"),
    ("zramsim-trace 1\nD 18446744073709551615 2\n", 2,
     "discard of 2 pages from 18446744073709551615 passes 2**64"),
    ("zramsim-trace 1\nW 0 fill:0xg\n", 2, "bad fill value '0xg'"),
    ("zramsim-trace 1\nW 0 fill:\n", 2, "bad fill value ''"),
    ("zramsim-trace 1\nW 0 fill:0x\n", 2, "bad fill value '0x'"),
    ("zramsim-trace 1\nW 0 fill:-1\n", 2, "bad fill value '-1'"),
    ("zramsim-trace 1\nW 0 fill:0x1ffffffffffffffff\n", 2,
     "bad fill value '0x1ffffffffffffffff': expected 1 to 16 hex digits"),
    ("zramsim-trace 1\nW 0 ones\n", 2, "unknown content 'ones'"),
    ("zramsim-trace 1\nW 0 Zero\n", 2, "unknown content 'Zero'"),
    ("zramsim-trace 1\nW 0 zero:1\n", 2, "unknown content 'zero:1'"),
    ("zramsim-trace 1\nW 0 size\n", 2, "unknown content 'size'"),
    ("zramsim-trace 1\nW 0 size:0\n", 2, "bad size 0"),
    ("zramsim-trace 1\nW 0 size:-5\n", 2, "bad size '-5'"),
    ("zramsim-trace 1\nW 0 random:-1\n", 2, "bad random seed '-1'"),
    ("zramsim-trace 1\nW 0 random:x\n", 2, "bad random seed 'x'"),
    ("zramsim-trace 1\nW 0 file:missing.bin:0\n", 2, "cannot open file 'missing.bin'"),
    ("zramsim-trace 1\nW 0 file:pages.bin\n", 2,
     "bad file content 'file:pages.bin': expected file:<path>:<n>"),
    ("zramsim-trace 1\nW 0 file:pages.bin:x\n", 2, "bad file page number 'x'"),
    ("zramsim-trace 1\nW 0 file::0\n", 2, "empty file path"),
    ("zramsim-trace 1\nW 0 file:.:0\n", 2, "file '.' is a directory, not a regular file"),
    ("zramsim-trace 1\nW 0 file:/etc/hostname:0\n", 2,
     "absolute file path '/etc/hostname' refused"),
    ("zramsim-trace 1\nW 0 file:../x.bin:0\n", 2, "file path '../x.bin' leaves the trace folder"),
    ("zramsim-trace 1\nW 0 file:sub/../../x.bin:0\n", 2,
     "file path 'sub/../../x.bin' leaves the trace folder"),
    ("zramsim-trace 1\nR 0\npage_size 4096\n", 3, "page_size must come before the first operation"),
    ("zramsim-trace 1\npage_size 4096\npage_size 4096\n", 3, "page_size given twice"),
    ("zramsim-trace 1\npage_size 5000\n", 2, "page_size 5000 is not a power of two"),
    ("zramsim-trace 1\npage_size 2048\n", 2, "page_size 2048 is outside 4096..262144"),
    ("zramsim-trace 1\npage_size 1048576\n", 2, "page_size 1048576 is outside 4096..262144"),
    ("zramsim-trace 1\npage_size\n", 2, "expected 'page_size <bytes>'"),
    ("zramsim-trace 1\npage_size 4k\n", 2, "bad page_size '4k'"),
    ("zramsim-trace 1\nW 0 zero extra\n", 2,
     "expected 'W <index> <content>': extra tokens 'extra'"),
    ("zramsim-trace 1\nR 1 2\n", 2, "expected 'R <index>': extra tokens '2'"),
    ("zramsim-trace 1\nC 1\n", 2, "expected 'C': extra tokens '1'"),
    ("zramsim-trace 1\nD 0 1 2\n", 2, "expected 'D <index> [<count>]': extra tokens '2'"),
    ("zramsim-trace 1\nW 0\n", 2, "expected 'W <index> <content>'"),
    ("zramsim-trace 1\nR\n", 2, "expected 'R <index>'"),
    ("zramsim-trace 1\nD\n", 2, "expected 'D <index> [<count>]'"),
    ("zramsim-trace 1\nC\nC\nW 1 zero\nW 2 bogus\n", 5, "unknown content 'bogus'"),
]


@pytest.mark.parametrize("body, line, reason", MALFORMED)
def test_malformed_raises_with_file_and_line(tmp_path, body, line, reason):
    shutil.copy(DATA / "pages.bin", tmp_path / "pages.bin")
    path = write_trace(tmp_path, body)
    with pytest.raises(TraceFormatError) as info:
        events_of(path)
    assert info.value.path == str(path)
    assert info.value.line == line
    assert info.value.reason.startswith(reason)
    assert str(info.value) == f"{path}:{line}: {info.value.reason}"


def test_not_utf8_names_the_line(tmp_path):
    path = tmp_path / "t.trace"
    path.write_bytes(b"zramsim-trace 1\nC\n\xff\xfe\n")
    with pytest.raises(TraceFormatError) as info:
        events_of(path)
    assert (info.value.line, info.value.reason) == (3, "line is not UTF-8 text")


def test_events_before_an_error_are_yielded(tmp_path):
    path = write_trace(tmp_path, "zramsim-trace 1\nR 1\nR 2\nQ\n")
    reader = TextTraceReader(path)
    it = iter(reader)
    assert [next(it), next(it)] == [PageEvent("R", 1), PageEvent("R", 2)]
    with pytest.raises(TraceFormatError) as info:
        next(it)
    assert info.value.line == 4
    reader.close()


def test_file_pages_relative_to_trace_folder(tmp_path):
    sub = tmp_path / "deep" / "er"
    sub.mkdir(parents=True)
    shutil.copy(DATA / "pages.bin", sub / "pages.bin")
    (tmp_path / "deep" / "inner").mkdir()
    path = write_trace(tmp_path / "deep", "zramsim-trace 1\nW 0 file:er/pages.bin:1\n"
                       "W 1 file:inner/../er/pages.bin:99\n")
    first, second = events_of(path)
    assert first.arg == PAGES[4096:8192]
    assert second.arg == bytes(4096)


def test_symlink_out_of_folder_refused_unless_allowed(tmp_path):
    outside = tmp_path / "outside.bin"
    outside.write_bytes(b"\x07" * 5000)
    folder = tmp_path / "traces"
    folder.mkdir()
    os.symlink(outside, folder / "link.bin")
    path = write_trace(folder, "zramsim-trace 1\nW 0 file:link.bin:1\n")
    with pytest.raises(TraceFormatError) as info:
        events_of(path)
    assert info.value.line == 2
    assert info.value.reason.startswith("file path 'link.bin' leaves the trace folder")
    [event] = events_of(path, allow_outside=True)
    assert event.arg == b"\x07" * 904 + bytes(3192)


def test_symlink_inside_folder_allowed(tmp_path):
    shutil.copy(DATA / "pages.bin", tmp_path / "pages.bin")
    os.symlink("pages.bin", tmp_path / "alias.bin")
    [event] = events_of(write_trace(tmp_path, "zramsim-trace 1\nW 0 file:alias.bin:0\n"))
    assert event.arg == PAGES[:4096]


def test_absolute_and_dotdot_allowed_with_option(tmp_path):
    outside = tmp_path / "o.bin"
    outside.write_bytes(b"\x01\x02" * 2048)
    folder = tmp_path / "t"
    folder.mkdir()
    path = write_trace(folder, f"zramsim-trace 1\nW 0 file:{outside}:0\nW 1 file:../o.bin:0\n")
    with pytest.raises(TraceFormatError) as info:
        events_of(path)
    assert info.value.reason.startswith(f"absolute file path '{outside}' refused")
    first, second = events_of(path, allow_outside=True)
    assert first.arg == second.arg == b"\x01\x02" * 2048


def test_path_may_hold_colons(tmp_path):
    (tmp_path / "a:b.bin").write_bytes(b"\x05" * 4096)
    [event] = events_of(write_trace(tmp_path, "zramsim-trace 1\nW 0 file:a:b.bin:0\n"))
    assert event.arg == b"\x05" * 4096


def test_page_files_keeps_at_most_max_open_handles(tmp_path):
    for n in range(5):
        (tmp_path / f"{n}.bin").write_bytes(bytes([n]) * 8192)
    files = PageFiles(str(tmp_path), 4096, max_open=2)
    for round_ in range(3):
        for n in range(5):
            assert files.page(f"{n}.bin", round_ % 2) == bytes([n]) * 4096
            assert len(files._open) <= 2
    files.close()
    assert len(files._open) == 0


def test_page_files_reads_right_through_repeats_evictions_and_close(tmp_path):
    """The same file again is served from the latest handle; a file evicted from
    the cache (max_open 1) or closed is opened again, and every page is its own."""
    for n in range(3):
        (tmp_path / f"{n}.bin").write_bytes(bytes([n]) * 4096 + bytes([n + 10]) * 4096)
    files = PageFiles(str(tmp_path), 4096, max_open=1)
    for name, number in [(0, 0), (0, 1), (1, 1), (1, 0), (0, 1), (2, 0), (2, 0), (0, 0)]:
        assert files.page(f"{name}.bin", number) == bytes([name + 10 * number]) * 4096
        assert list(files._open) == [f"{name}.bin"]       # only the latest stays open
    files.close()
    assert files.page("1.bin", 1) == bytes([11]) * 4096
    files.close()


def test_same_filled_word_is_on_8_byte_words():
    assert same_filled_word(bytes(4096)) == 0
    assert same_filled_word(b"ab" * 2048) == 0x6261626162616261
    assert same_filled_word(b"abc" * 1365 + b"a") is None
    assert same_filled_word(bytes(4095) + b"\x01") is None
    assert fill_page(0x0102030405060708, 4096)[:9] == bytes.fromhex("080706050403020108")


def test_writer_exact_output_and_side_file(tmp_path):
    text_page = PAGES[:4096]
    rnd = random.Random(3).randbytes(4096)
    events = [
        PageEvent("W", 0, bytes(4096)),
        PageEvent("W", 1, fill_page(0xDEADBEEF, 4096)),
        PageEvent("W", 2, text_page),
        PageEvent("W", 3, rnd),
        PageEvent("W", 4, text_page),
        PageEvent("W", 5, 777),
        PageEvent("R", 2, None),
        PageEvent("D", 0, 1),
        PageEvent("D", 1, 3),
        PageEvent("C", 0, None),
    ]
    out = tmp_path / "out.trace"
    with TextTraceWriter(out, 4096) as writer:
        for event in events:
            writer.write(event)
    assert out.read_text() == (
        "zramsim-trace 1\npage_size 4096\n"
        "W 0 zero\nW 1 fill:0x00000000deadbeef\n"
        "W 2 file:out.trace.pages:0\nW 3 file:out.trace.pages:1\nW 4 file:out.trace.pages:0\n"
        "W 5 size:777\nR 2\nD 0\nD 1 3\nC\n")
    assert (tmp_path / "out.trace.pages").read_bytes() == text_page + rnd
    assert events_of(out) == events


def test_writer_without_pages_makes_no_side_file(tmp_path):
    out = tmp_path / "s.trace"
    with TextTraceWriter(out, 16384) as writer:
        writer.write(PageEvent("W", 0, 5))
    assert not (tmp_path / "s.trace.pages").exists()
    assert events_of(out) == [PageEvent("W", 0, 5)]


def test_writer_rejects_bad_input(tmp_path):
    with pytest.raises(ValueError, match="not a power of two"):
        TextTraceWriter(tmp_path / "a.trace", 6000)
    for name in ("a b.trace", "a#b.trace"):
        with pytest.raises(ValueError, match="cannot appear in a text trace"):
            TextTraceWriter(tmp_path / name, 4096)
    with TextTraceWriter(tmp_path / "b.trace", 4096) as writer:
        with pytest.raises(ValueError, match="page of 100 bytes"):
            writer.write(PageEvent("W", 0, b"x" * 100))
        with pytest.raises(ValueError, match="unknown operation 'Z'"):
            writer.write(PageEvent("Z", 0, None))


# -- limits: every field at its largest and one past it ------------------------------------

MAX = 2**64 - 1


def test_largest_fields_are_read(tmp_path):
    """Indexes and counts are u64 (a size at most the page); a discard may end exactly
    on slot 2**64 - 1."""
    path = write_trace(tmp_path, "zramsim-trace 1\n"
                       f"D {MAX}\nD {MAX - 1} 2\nD 0 {MAX}\nR {MAX}\nW {MAX} size:4096\n")
    assert events_of(path) == [PageEvent("D", MAX, 1), PageEvent("D", MAX - 1, 2),
                               PageEvent("D", 0, MAX), PageEvent("R", MAX, None),
                               PageEvent("W", MAX, 4096)]


@pytest.mark.parametrize("line", [f"D {MAX} 2", f"D 2 {MAX}", f"D {MAX - 1} 3"])
def test_a_discard_past_the_last_u64_slot_is_refused(tmp_path, line):
    path = write_trace(tmp_path, f"zramsim-trace 1\n{line}\n")
    with pytest.raises(TraceFormatError, match="passes 2\\*\\*64"):
        events_of(path)


@pytest.mark.parametrize("page_size", [4096, 262144])
def test_smallest_and_largest_page_sizes_round_trip(tmp_path, page_size):
    events = [PageEvent("W", 0, random.Random(1).randbytes(page_size)),
              PageEvent("W", 1, bytes(page_size))]
    out = tmp_path / "p.trace"
    with TextTraceWriter(out, page_size) as writer:
        for event in events:
            writer.write(event)
    assert events_of(out) == events


@pytest.mark.parametrize("event, message", [
    (PageEvent("R", MAX + 1, None), "slot index"),
    (PageEvent("R", -1, None), "slot index"),
    (PageEvent("W", 0, 0), "compressed size 0"),
    (PageEvent("W", 0, MAX + 1), "compressed size"),
    (PageEvent("D", 0, 0), "discard count 0"),
    (PageEvent("D", MAX, 2), "passes 2\\*\\*64"),
])
def test_writer_refuses_what_the_reader_would_refuse(tmp_path, event, message):
    with TextTraceWriter(tmp_path / "w.trace", 4096) as writer:
        with pytest.raises(ValueError, match=message):
            writer.write(event)
        writer.write(PageEvent("D", MAX, 1))       # the largest valid discard
    assert events_of(tmp_path / "w.trace") == [PageEvent("D", MAX, 1)]


def test_writer_side_page_sharing_restarts_past_its_memory(tmp_path, monkeypatch):
    """Past SIDE_DEDUP_ENTRIES remembered pages the map restarts (module docstring):
    with room for 2, pages a b c a store a again, as side page 3."""
    import workloads.text_trace as text_trace
    monkeypatch.setattr(text_trace, "SIDE_DEDUP_ENTRIES", 2)
    a, b, c = (random.Random(seed).randbytes(4096) for seed in (1, 2, 3))
    out = tmp_path / "d.trace"
    with TextTraceWriter(out, 4096) as writer:
        for i, page in enumerate([a, b, c, a, c]):
            writer.write(PageEvent("W", i, page))
    assert out.read_text().splitlines()[2:] == [
        "W 0 file:d.trace.pages:0", "W 1 file:d.trace.pages:1", "W 2 file:d.trace.pages:2",
        "W 3 file:d.trace.pages:3", "W 4 file:d.trace.pages:2"]
    assert (tmp_path / "d.trace.pages").read_bytes() == a + b + c + a


def test_a_comment_runs_from_the_first_hash(tmp_path):
    path = write_trace(tmp_path, "zramsim-trace 1  # v1 # of 1\nR 3 # read # slot 3\n")
    assert events_of(path) == [PageEvent("R", 3, None)]


def test_a_line_of_exactly_max_line_bytes_is_read_and_one_more_is_refused(tmp_path):
    """MAX_LINE counts the line with its newline: 'W 0 zero', spaces, '\\n' of
    MAX_LINE bytes in all is one write; one space more is refused at line 2."""
    from workloads.text_trace import MAX_LINE
    fits = "W 0 zero" + " " * (MAX_LINE - len("W 0 zero") - 1) + "\n"
    assert len(fits) == MAX_LINE
    path = write_trace(tmp_path, "zramsim-trace 1\n" + fits + "R 0\n")
    assert [event.op for event in events_of(path)] == ["W", "R"]
    path = write_trace(tmp_path, "zramsim-trace 1\n" + " " + fits + "R 0\n", "long.trace")
    with pytest.raises(TraceFormatError) as caught:
        events_of(path)
    assert (caught.value.line, caught.value.reason) == (2, f"line longer than {MAX_LINE} bytes")
    assert caught.value.path == str(path)


@pytest.mark.parametrize("text, ns", [("5", 5_000_000_000), ("1.5", 1_500_000_000),
                                      ("0.000000001", 1), ("2.25", 2_250_000_000),
                                      ("0.123456789", 123_456_789), ("0", 0)])
def test_t_seconds_are_read_to_the_nanosecond(tmp_path, text, ns):
    """Worked by hand: the fraction is padded to 9 digits (0.25 s = 250,000,000 ns)."""
    path = write_trace(tmp_path, f"zramsim-trace 2\nT {text}\n")
    assert events_of(path) == [PageEvent("T", 0, ns)]


@pytest.mark.parametrize("text, reason", [
    ("1.1234567891", "bad seconds '1.1234567891': finer than a nanosecond"),
    ("1.2.3", "bad seconds '1.2.3': expected a non-negative decimal such as 60 or 0.25"),
    ("-1", "bad seconds '-1': expected a non-negative decimal such as 60 or 0.25"),
    ("1.x", "bad seconds '1.x': expected a non-negative decimal such as 60 or 0.25"),
    ("7.", "bad seconds '7.': expected a non-negative decimal such as 60 or 0.25"),
    ("\u0661", "bad seconds '\u0661': expected a non-negative decimal such as 60 or 0.25")])
def test_bad_t_seconds_are_refused_in_words(tmp_path, text, reason):
    path = write_trace(tmp_path, f"zramsim-trace 2\nW 0 zero\nT {text}\n")
    with pytest.raises(TraceFormatError) as caught:
        events_of(path)
    assert (caught.value.line, caught.value.reason) == (3, reason)


def test_the_writer_spells_s_and_t_exactly_and_a_version_1_writer_refuses_them(tmp_path):
    out = tmp_path / "v2.trace"
    with TextTraceWriter(out, 4096, version="2") as writer:
        writer.write(PageEvent("S", 0, ("writeback", "type=huge_idle")))
        writer.write(PageEvent("T", 0, 3_000_000_250))
        writer.write(PageEvent("T", 0, 0))
        writer.write(PageEvent("W", 1, 4096))              # a size of a whole page is valid
    assert out.read_text().splitlines()[-4:] == [
        "S writeback type=huge_idle", "T 3.000000250", "T 0.000000000", "W 1 size:4096"]
    assert events_of(out)[:2] == [PageEvent("S", 0, ("writeback", "type=huge_idle")),
                                  PageEvent("T", 0, 3_000_000_250)]
    with TextTraceWriter(tmp_path / "v1.trace", 4096) as writer:
        for event in (PageEvent("S", 0, ("idle", "all")), PageEvent("T", 0, 5)):
            with pytest.raises(ValueError, match=f"operation '{event.op}' needs a version 2"):
                writer.write(event)
        with pytest.raises(ValueError, match="bad size 4097: larger than the 4096-byte page"):
            writer.write(PageEvent("W", 0, 4097))
        writer.write(PageEvent("R", 0, None))
    assert (tmp_path / "v1.trace").read_text() == "zramsim-trace 1\npage_size 4096\nR 0\n"


def test_an_s_value_keeps_its_words_and_a_bare_s_is_refused(tmp_path):
    path = write_trace(tmp_path, "zramsim-trace 2\nS recomp_algorithm algo=zstd priority=1\n")
    assert events_of(path) == [PageEvent("S", 0, ("recomp_algorithm", "algo=zstd priority=1"))]
    path = write_trace(tmp_path, "zramsim-trace 2\nS idle\n", "bare.trace")
    with pytest.raises(TraceFormatError) as caught:
        events_of(path)
    assert (caught.value.line, caught.value.reason) == (
        2, "expected 'S <attribute> <value>': missing fields after 'S idle'")


def test_page_bytes_in_a_text_trace_on_standard_output_are_refused_in_words():
    from workloads.errors import OutputError
    writer = TextTraceWriter("-", 4096)
    with pytest.raises(OutputError) as caught:
        writer.write(PageEvent("W", 0, bytes(range(256)) * 16))
    assert str(caught.value) == ("cannot write standard output: page bytes go to a side file"
                                 " beside a text trace: write a binary trace to standard output")
    writer.discard()
