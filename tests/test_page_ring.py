"""The shared ring that carries page bytes from the reader helper: placing, wrapping,
waiting for freed room, and bytes seen alike through a second mapping (as the
applying process sees them)."""

from __future__ import annotations

import os

import pytest

from zramsim.page_ring import RING_BYTES, PageRing, ring_size


@pytest.fixture
def rings():
    """The helper's ring and a second mapping of the same file (the applier's)."""
    writer, fd = PageRing.create(1000)
    reader = PageRing(fd, 1000)
    os.close(fd)
    yield writer, reader
    writer.close()
    reader.close()


def test_pieces_are_placed_one_after_another_and_seen_by_the_other_mapping(rings):
    writer, reader = rings
    start = writer.start_of(7)
    assert start == 0
    assert writer.place(start, [b"abc", b"defg"]) == [0, 3]
    assert writer.placed == 7
    assert bytes(reader.view[3:7]) == b"defg"
    assert writer.place(writer.start_of(5), [memoryview(b"hello")]) == [7]
    assert bytes(reader.view[0:12]) == b"abcdefghello"


def test_a_piece_that_would_run_past_the_end_starts_the_next_lap(rings):
    writer, reader = rings
    writer.place(writer.start_of(900), [bytes(900)])
    assert writer.start_of(200) is None           # nothing freed: offset 0 is in use
    writer.freed = 100
    assert writer.start_of(200) is None           # 1000 + 200 - 100 = 1100 > 1000
    writer.freed = 200
    assert writer.start_of(200) == 1000           # the tail 900..999 is skipped
    assert writer.place(1000, [b"x" * 200]) == [0]
    assert writer.placed == 1200 and bytes(reader.view[0:2]) == b"xx"
    assert writer.start_of(100) is None           # 1300 - 200 > 1000: wait for more
    writer.freed = 900
    assert writer.start_of(100) == 1200


def test_the_worked_example_of_the_module():
    ring = PageRing.__new__(PageRing)
    ring.size, ring.placed, ring.freed = 16_777_216, 16_700_000, 16_600_000
    assert ring.start_of(200_000) == 16_777_216
    ring.freed = 199_999            # 16,977,216 - 199,999 is one byte more than the ring
    assert ring.start_of(200_000) is None


def test_more_bytes_than_the_ring_are_refused(rings):
    writer, _ = rings
    with pytest.raises(ValueError, match="do not fit"):
        writer.start_of(1001)


def test_the_ring_holds_several_of_the_largest_batches():
    assert ring_size(128 * 4096) == RING_BYTES == 16 << 20
    assert ring_size(128 * 65536) == 4 * 128 * 65536
