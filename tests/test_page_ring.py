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


def test_while_the_ring_is_full_the_helper_compresses_what_it_left_to_the_applier():
    """The applier is behind (4 KiB of room, nothing freed): rather than wait, the
    helper compresses the pages it had left raw, one at a time, until the batch
    fits: three 4 KiB text pages shrink to ~40 bytes each, in the room there was."""
    from zramsim.compressors import make_compressor
    from zramsim.read_ahead_helper import PREPARED, _Preparer, _to_ring

    class Orders:                       # the applier frees the ring once it is asked to wait
        freed = 0

        def follow(self, wait: float = 0.0) -> None:
            if wait:
                self.freed = ring.placed

    ring, fd = PageRing.create(64 << 10)
    os.close(fd)
    ring.place(ring.start_of(60 << 10), [bytes(60 << 10)])     # nothing freed yet
    text = [(b"zram page %d " % k) * 400 for k in range(3)]
    events = [("W", k, page[:4096]) for k, page in enumerate(text)] + [("R", 9, None)]
    assert {len(page) for _, _, page in events[:3]} == {4096}
    preparer = _Preparer(make_compressor("lz4"), huge_class_size=3264)
    preparer.share = 0.0                # everything left to the applier at first
    assert preparer.prepare(events, [0, 1, 2]) == (pytest.approx(0.0, abs=0.01), 0)
    places, waited, seconds, taken = _to_ring(events, ring, Orders(), preparer)
    assert taken == 3 and [op for op, _, _ in events] == [PREPARED] * 3 + ["R"]
    assert all(arg is None for _, _, arg in events)            # the bytes are in the ring
    assert len(places) == 3 * 3 * 8 and waited == 0.0 and seconds > 0.0
    assert ring.freed == 0 and ring.placed < 64 << 10         # no wait, no new lap
    ring.close()
