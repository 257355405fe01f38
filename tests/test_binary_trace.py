"""Binary traces: exact layout, round trips, the deduplication window, damage detection."""

import random
import struct

import pytest
import zstandard
from hypothesis import given, settings
from hypothesis import strategies as st

from workloads.binary_trace import HEADER, BinaryTraceReader, BinaryTraceWriter
from workloads.contents import fill_page
from workloads.errors import BadOption, TraceFormatError
from workloads.events import PageEvent

RNG = random.Random(11)
POOL = [RNG.randbytes(4096) for _ in range(5)]


def write(path, events, page_size=4096, **options):
    with BinaryTraceWriter(path, page_size, **options) as writer:
        for event in events:
            writer.write(event)
    return path


def read(path, **options):
    with BinaryTraceReader(path, **options) as reader:
        return list(reader)


def record_stream(path):
    """The decompressed record bytes after the 32-byte header."""
    raw = path.read_bytes()
    return zstandard.ZstdDecompressor().stream_reader(raw[HEADER.size:]).read()


EVERY_KIND = [
    PageEvent("W", 0, bytes(4096)),
    PageEvent("W", 1, fill_page(0x0123456789ABCDEF, 4096)),
    PageEvent("W", 2, POOL[0]),
    PageEvent("W", 3, POOL[0]),
    PageEvent("W", 70000, 1234),
    PageEvent("W", 2**64 - 1, 4096),
    PageEvent("R", 2**32, None),
    PageEvent("D", 5, 2**40),
    PageEvent("C", 0, None),
]


def test_header_bytes_exact(tmp_path):
    path = write(tmp_path / "a.ztrace", [], page_size=16384)
    raw = path.read_bytes()
    assert raw[:32] == bytes.fromhex(
        "5e2a4d18" "18000000") + b"ZRAMSIMT" + bytes.fromhex(
        "0100" "0000" "00400000" "00040000" "00000000")
    # the whole file is a valid zstd stream: the header is a skippable frame
    assert zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True).read() \
        == bytes([0x00, 0])  # the end record: opcode END with a 1-byte count of 0
    frame_length = len(raw) - 32 - 16
    assert raw[-16:] == bytes.fromhex("5e2a4d18" "08000000") + frame_length.to_bytes(8, "little")


def test_record_bytes_exact(tmp_path):
    path = write(tmp_path / "a.ztrace", [
        PageEvent("W", 70000, 1234),
        PageEvent("R", 3, None),
        PageEvent("D", 300, 2),
        PageEvent("C", 0, None),
        PageEvent("W", 1, fill_page(0xFF, 4096)),
    ])
    assert record_stream(path) == bytes.fromhex(
        "64" "70110100" "d204"      # SIZE, u32 index, u16 size
        "05" "03"                   # READ, u8 index
        "16" "2c01" "02"            # DISCARD, u16 index, u8 count
        "07"                        # COMPACT
        "03" "01" "ff00000000000000"  # FILL, u8 index, the word
        "00" "05")                  # END, 5 records before it


def test_round_trip_every_kind(tmp_path):
    path = write(tmp_path / "a.ztrace", EVERY_KIND)
    with BinaryTraceReader(path) as reader:
        assert (reader.page_size, reader.dict_pages, reader.location()) == (4096, 4096, f"{path}:0")
        got = list(reader)
        assert reader.location() == f"{path}:9"
    assert got == EVERY_KIND


def test_duplicates_are_references(tmp_path):
    path = write(tmp_path / "a.ztrace", [PageEvent("W", i, POOL[i % 2]) for i in range(1000)])
    stream = record_stream(path)
    assert stream.count(POOL[0]) == 1 and stream.count(POOL[1]) == 1
    # two literals (opcode, u8 index, page), 254 references with a u8 index,
    # 744 with a u16 index (opcode, index, u8 slot), the end record with a u16 count
    assert len(stream) == 2 * (1 + 1 + 4096) + 254 * 3 + 744 * 4 + 3
    assert read(path) == [PageEvent("W", i, POOL[i % 2]) for i in range(1000)]


def test_window_evicts_oldest_literal(tmp_path):
    events = [PageEvent("W", i, POOL[n]) for i, n in enumerate([0, 1, 2, 0, 2, 1, 1])]
    path = write(tmp_path / "a.ztrace", events, dict_bytes=2 * 4096)
    stream = record_stream(path)
    # 0 1 2 are literals; 0 was evicted by 2 so it is stored again (evicting 1);
    # 2 is a reference; 1 is stored again (evicting 2) and then referenced.
    assert [stream.count(page) for page in POOL[:3]] == [2, 2, 1]
    assert read(path) == events


def test_no_window_stores_every_page(tmp_path):
    events = [PageEvent("W", i, POOL[0]) for i in range(3)]
    path = write(tmp_path / "a.ztrace", events, dict_bytes=0)
    assert record_stream(path).count(POOL[0]) == 3
    assert read(path) == events


event_strategy = st.one_of(
    st.builds(PageEvent, st.just("W"), st.integers(0, 2**64 - 1), st.sampled_from(POOL)),
    st.builds(PageEvent, st.just("W"), st.integers(0, 9),
              st.integers(0, 2**64 - 1).map(lambda w: fill_page(w, 4096))),
    st.builds(PageEvent, st.just("W"), st.integers(0, 2**20), st.integers(1, 4096)),
    st.builds(PageEvent, st.just("R"), st.integers(0, 2**64 - 1), st.none()),
    st.builds(PageEvent, st.just("D"), st.integers(0, 2**33), st.integers(1, 2**33)),
    st.just(PageEvent("C", 0, None)),
)


@settings(max_examples=60, deadline=None)
@given(events=st.lists(event_strategy, max_size=40), window=st.sampled_from([0, 1, 2, 4]))
def test_round_trip_property(tmp_path_factory, events, window):
    path = tmp_path_factory.mktemp("rt") / "p.ztrace"
    write(path, events, dict_bytes=window * 4096)
    assert read(path) == events


def test_truncation_reports_record_numbers(tmp_path):
    path = write(tmp_path / "a.ztrace", [PageEvent("R", i, None) for i in range(10)])
    records = record_stream(path)
    cctx = zstandard.ZstdCompressor()
    header = path.read_bytes()[:HEADER.size]
    cases = [
        (records[:-2], 11, "truncated: the end record is missing"),
        (records[:-1], 11, "truncated in the middle of a record"),
        (records[:7], 4, "truncated in the middle of a record"),
        (records[:6], 4, "truncated: the end record is missing"),
    ]
    for body, line, reason in cases:
        path.write_bytes(header + cctx.compress(body))
        with pytest.raises(TraceFormatError) as info:
            read(path)
        assert (info.value.path, info.value.line, info.value.reason) == (str(path), line, reason)


def test_truncated_file_detected(tmp_path):
    events = [PageEvent("W", i, POOL[i % 5]) for i in range(50)]
    full = write(tmp_path / "a.ztrace", events).read_bytes()
    for cut in (len(full) - 1, len(full) - 10, len(full) // 2, 40, HEADER.size):
        (tmp_path / "cut.ztrace").write_bytes(full[:cut])
        with pytest.raises(TraceFormatError):
            read(tmp_path / "cut.ztrace")


@pytest.mark.parametrize("interruption", [RuntimeError, KeyboardInterrupt])
def test_writer_aborted_leaves_an_existing_trace_as_it_was(tmp_path, interruption):
    path = tmp_path / "a.ztrace"
    path.write_bytes(b"the user's precious trace")
    with pytest.raises(interruption):
        with BinaryTraceWriter(path, 4096) as writer:
            for n in range(5000):
                writer.write(PageEvent("W", n, random.Random(n).randbytes(4096)))
            raise interruption
    assert path.read_bytes() == b"the user's precious trace"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.ztrace"]     # no temporary left


def test_corrupt_stream_contents(tmp_path):
    header = write(tmp_path / "a.ztrace", []).read_bytes()[:HEADER.size]
    cctx = zstandard.ZstdCompressor()
    cases = [
        (bytes.fromhex("05 01 0f"), 2, "unknown record opcode 0x0f"),
        (bytes.fromhex("05 01 55 0100"), 2, "unknown record opcode 0x55"),
        (bytes.fromhex("02 01 05"), 1, "reference to empty window slot 5"),
        (bytes.fromhex("04 00 00"), 1, "bad size 0: a compressed size is at least 1"),
        (bytes.fromhex("06 00 00"), 1, "discard count 0 is not in 1 .. 2**64 - 1"),
        # DISC with a u64 index (0x06 | 3 << 4) at the last slot, 2 pages: past 2**64 - 1
        (bytes.fromhex("36 ffffffffffffffff 02"), 1,
         "discard of 2 pages from 18446744073709551615 passes 2**64"),
        (bytes.fromhex("05 01 00 07"), 2, "end record counts 7 records, found 1"),
        (bytes.fromhex("05 01 00 01 07"), 2, "data after the end record"),
    ]
    path = tmp_path / "b.ztrace"
    for body, line, reason in cases:
        path.write_bytes(header + cctx.compress(body))
        with pytest.raises(TraceFormatError) as info:
            read(path)
        assert (info.value.path, info.value.line, info.value.reason) == (str(path), line, reason)
    # a reference past the end of the window (2 pages here; none at all)
    for window, body in ((2, "02 01 02"), (0, "02 01 00")):
        path.write_bytes(header_with(window=window) + cctx.compress(bytes.fromhex(body)))
        slot = body.split()[-1].lstrip("0") or "0"
        with pytest.raises(TraceFormatError, match=f"reference to empty window slot {slot}$"):
            read(path)


def test_flipped_byte_detected(tmp_path):
    events = [PageEvent("W", i, POOL[i % 5]) for i in range(20)]
    full = bytearray(write(tmp_path / "a.ztrace", events).read_bytes())
    full[len(full) // 2] ^= 0x55
    (tmp_path / "bad.ztrace").write_bytes(full)
    with pytest.raises(TraceFormatError, match="corrupt compressed data"):
        read(tmp_path / "bad.ztrace")


def header_with(**changes):
    fields = dict(magic=0x184D2A5E, length=24, tag=b"ZRAMSIMT", version=1, flags=0,
                  page_size=4096, window=16, reserved=0)
    fields.update(changes)
    return HEADER.pack(*fields.values())


@pytest.mark.parametrize("header, reason", [
    (b"short", "truncated header"),
    (header_with(tag=b"ZRAMSIMX"), "not a zramsim binary trace (bad magic)"),
    (header_with(magic=0x184D2A5F), "not a zramsim binary trace (bad magic)"),
    (header_with(version=2), "unsupported version 2 (this reader knows 1)"),
    (header_with(flags=1), "unknown header flags"),
    (header_with(page_size=5000), "page_size 5000 is not a power of two"),
    (header_with(window=2**31), "reference window of 2147483648 pages is too large"),
])
def test_bad_header(tmp_path, header, reason):
    path = tmp_path / "h.ztrace"
    path.write_bytes(header)
    with pytest.raises(TraceFormatError) as info:
        BinaryTraceReader(path)
    assert (info.value.path, info.value.line, info.value.reason) == (str(path), 0, reason)


def test_requested_page_size_must_match(tmp_path):
    path = write(tmp_path / "a.ztrace", [], page_size=65536)
    assert BinaryTraceReader(path, page_size=65536).page_size == 65536
    with pytest.raises(TraceFormatError, match="trace page_size 65536 differs from requested 4096"):
        BinaryTraceReader(path, page_size=4096)


def test_writer_rejects_bad_events(tmp_path):
    with BinaryTraceWriter(tmp_path / "a.ztrace", 4096) as writer:
        for event, message in [
            (PageEvent("W", -1, 5), "slot index -1"),
            (PageEvent("W", 2**64, 5), "slot index"),
            (PageEvent("W", 0, 0), "compressed size 0 is not in 1"),
            (PageEvent("W", 0, b"abc"), "page of 3 bytes"),
            (PageEvent("D", 0, 0), "discard count 0"),
            (PageEvent("D", 2**64 - 1, 2), "passes 2\\*\\*64"),
            (PageEvent("X", 0, None), "unknown operation 'X'"),
        ]:
            with pytest.raises(ValueError, match=message):
                writer.write(event)
        assert writer.records == 0
    assert read(tmp_path / "a.ztrace") == []


def test_close_twice_is_harmless(tmp_path):
    writer = BinaryTraceWriter(tmp_path / "a.ztrace", 4096)
    writer.write(PageEvent("C", 0, None))
    writer.close()
    writer.close()
    assert read(tmp_path / "a.ztrace") == [PageEvent("C", 0, None)]


def test_records_larger_than_a_chunk(tmp_path):
    pages = [random.Random(n).randbytes(65536) for n in range(40)]
    events = [PageEvent("W", n, page) for n, page in enumerate(pages)]
    assert read(write(tmp_path / "a.ztrace", events, page_size=65536)) == events
    assert struct.unpack_from("<I", (tmp_path / "a.ztrace").read_bytes(), 20) == (65536,)


def test_cut_in_checksum_or_trailer_names_the_end_record(tmp_path):
    events = [PageEvent("R", 1, None), PageEvent("C", 0, None)]
    full = write(tmp_path / "a.ztrace", events).read_bytes()
    cut = tmp_path / "cut.ztrace"
    for length, reason in [
        (len(full) - 16, "truncated: the trailer is missing"),
        (len(full) - 1, "truncated: the trailer is missing"),
        (len(full) - 18, "truncated: the trailer is missing"),
    ]:
        cut.write_bytes(full[:length])
        with pytest.raises(TraceFormatError) as info:
            read(cut)
        assert (info.value.path, info.value.line, info.value.reason) == (str(cut), 3, reason)
    empty_skippable_frame = bytes.fromhex("5e2a4d18" "00000000")
    cut.write_bytes(full[:-16] + empty_skippable_frame + full[-16:])
    with pytest.raises(TraceFormatError) as info:
        read(cut)
    assert (info.value.path, info.value.line, info.value.reason) == (
        str(cut), 3, f"file is {len(full) + 8} bytes, its trailer says {len(full)}")
    cut.write_bytes(full[:-16] + b"\0" + full[-16:])
    with pytest.raises(TraceFormatError, match="corrupt compressed data"):
        read(cut)


def test_largest_fields_round_trip(tmp_path):
    """u64 indexes and counts, the largest size (a page), and the discard that ends on
    the last slot."""
    top = 2**64 - 1
    events = [PageEvent("D", top, 1), PageEvent("D", top - 1, 2), PageEvent("D", 0, top),
              PageEvent("R", top, None), PageEvent("W", top, 4096)]
    path = write(tmp_path / "m.ztrace", events)
    assert read(path) == events


@pytest.mark.parametrize("page_size", [4096, 262144])
def test_window_at_its_largest_is_read_and_one_more_page_refused(tmp_path, page_size):
    """The reader holds at most 256 MiB of window: 65536 pages of 4 KiB, 1024 of 256 KiB."""
    largest = (256 << 20) // page_size
    path = tmp_path / "w.ztrace"
    path.write_bytes(header_with(page_size=page_size, window=largest))
    assert BinaryTraceReader(path).dict_pages == largest
    path.write_bytes(header_with(page_size=page_size, window=largest + 1))
    with pytest.raises(TraceFormatError, match=f"window of {largest + 1} pages is too large"):
        BinaryTraceReader(path)


def test_field_widths_step_at_each_power_of_256(tmp_path):
    """An index or argument takes the narrowest of 1, 2, 4, 8 bytes that holds it:
    D 255 65535 is opcode, u8, u16 (4 bytes); D 65536 65536 is opcode, u32, u32
    (9 bytes); R 4294967296 is opcode, u64 (9 bytes)."""
    events = [PageEvent("D", 255, 65535), PageEvent("D", 65536, 65536),
              PageEvent("R", 2**32, None), PageEvent("R", 2**32 - 1, None),
              PageEvent("R", 256, None)]
    path = write(tmp_path / "w.ztrace", events)
    stream = record_stream(path)
    assert stream[:4] == bytes([0x06 | 0 << 4 | 1 << 6, 255, 0xFF, 0xFF])
    assert stream[4:13] == bytes([0x06 | 2 << 4 | 2 << 6]) + (65536).to_bytes(4, "little") * 2
    assert stream[13:22] == bytes([0x05 | 3 << 4]) + (2**32).to_bytes(8, "little")
    assert stream[22:27] == bytes([0x05 | 2 << 4]) + (2**32 - 1).to_bytes(4, "little")
    assert stream[27:30] == bytes([0x05 | 1 << 4]) + (256).to_bytes(2, "little")
    assert read(path) == events


def test_the_smallest_sizes_and_counts_are_read(tmp_path):
    events = [PageEvent("W", 0, 1), PageEvent("D", 0, 1)]
    assert read(write(tmp_path / "s.ztrace", events)) == events


def test_writer_refuses_a_bad_page_size_and_honours_the_level(tmp_path):
    with pytest.raises(ValueError, match="page_size 6000 is not a power of two"):
        BinaryTraceWriter(tmp_path / "bad.ztrace", 6000)
    text = (b"zram stores compressed pages in RAM " * 120)[:4096]
    events = [PageEvent("W", i, text[i:] + text[:i]) for i in range(64)]
    fast = write(tmp_path / "fast.ztrace", events, level=1).stat().st_size
    small = write(tmp_path / "small.ztrace", events, level=19).stat().st_size
    assert small < fast
    assert read(tmp_path / "small.ztrace") == events
    quick = write(tmp_path / "quick.ztrace", events, level=-7).stat().st_size
    assert quick > fast and read(tmp_path / "quick.ztrace") == events


@pytest.mark.parametrize("level", [-8, 23, 3.0, "3", None])
def test_writer_refuses_a_level_zstd_does_not_offer(tmp_path, level):
    with pytest.raises(BadOption, match=f"zstd level {level!r}: give a whole number from -7"):
        BinaryTraceWriter(tmp_path / "bad.ztrace", level=level)
    assert list(tmp_path.iterdir()) == []


def test_a_page_record_across_the_decompressed_chunk_boundary(tmp_path):
    """The reader takes 1 MiB (CHUNK) of records at a time and must refill before
    any record that does not fit whole: 903 two-byte reads put 254 page records
    of 4105 bytes (u64 index) at 1806 + 254 * 4105 = 1044476, which leaves 4100
    bytes of the first chunk: less than the next page record."""
    events = [PageEvent("R", 1, None)] * 903
    events += [PageEvent("W", 2**40 + i, POOL[i % 5]) for i in range(256)]
    path = write(tmp_path / "c.ztrace", events, dict_bytes=0)
    assert 1806 + 254 * 4105 + 4100 == 1 << 20
    assert read(path) == events


@pytest.mark.parametrize("most", [1, 3000, 4200, 9000])
def test_short_reads_of_the_decompressor_give_the_same_events(tmp_path, monkeypatch, most):
    """zstd may hand back fewer bytes than asked; each refill then moves what is left
    to the buffer's front, often onto itself (a record of 4105 bytes left at 3000
    bytes in), and must still give every record whole."""
    events = [PageEvent("R", i, None) for i in range(300)]
    events += [PageEvent("W", i, POOL[i % 5]) for i in range(40)] + [PageEvent("D", 3, 2)]
    path = write(tmp_path / "s.ztrace", events, dict_bytes=0)
    short = BinaryTraceReader._read_into
    monkeypatch.setattr(BinaryTraceReader, "_read_into",
                        lambda self, view, record: short(self, view[:most], record))
    assert read(path) == events
