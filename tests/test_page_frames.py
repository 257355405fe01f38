"""Page frames carved from blocks: sizes, independence, reuse within and across pools."""

from __future__ import annotations

import gc

import pytest

from allocator import page_frames
from allocator.page_frames import FIRST_BLOCK, MAX_BLOCK, PageFrames


@pytest.fixture(autouse=True)
def no_blocks_kept(monkeypatch):
    """Each test starts with no blocks left by earlier pools (fresh memory is zeroed)."""
    monkeypatch.setattr(page_frames, "_kept", {})


def blocks_of(frames: list[memoryview]) -> list[int]:
    """How many of ``frames`` (in order of taking) came from each block."""
    counts: list[int] = []
    last = None
    for frame in frames:
        block = frame.obj
        if block is not last:
            counts.append(0)
            last = block
        counts[-1] += 1
    return counts


def test_blocks_double_from_64_kib_to_2_mib_as_the_docstring_works_out():
    frames = PageFrames(4096).take(16 + 32 + 64 + 128 + 256 + 512 + 512 + 3)
    assert blocks_of(frames) == [16, 32, 64, 128, 256, 512, 512, 3]
    assert FIRST_BLOCK == 16 * 4096 and MAX_BLOCK == 512 * 4096


@pytest.mark.parametrize("page_size", [4096, 16384, 65536])
def test_frames_are_zeroed_writable_and_do_not_overlap(page_size):
    source = PageFrames(page_size)
    frames = source.take(40)
    assert all(len(f) == page_size and not f.readonly for f in frames)
    assert all(f.tobytes() == bytes(page_size) for f in frames)
    for n, frame in enumerate(frames):
        frame[:] = bytes([n + 1]) * page_size
    assert [f[0] for f in frames] == list(range(1, 41))
    assert all(f.tobytes() == bytes([n + 1]) * page_size for n, f in enumerate(frames))


def test_a_frame_given_back_is_the_next_taken_with_its_old_bytes():
    source = PageFrames(4096)
    first, second = source.take(2)
    first[:5] = b"hello"
    source.give_back([second, first])
    again = source.take(3)
    assert again[0] is first and again[1] is second     # last given back, first taken
    assert bytes(again[0][:5]) == b"hello"
    assert again[2].obj is first.obj and bytes(again[2]) == bytes(4096)   # then a new one


def test_the_blocks_of_a_pool_that_is_gone_serve_the_next_one(monkeypatch):
    """A sweep makes one device after another: the second maps no new memory. Only
    ``KEPT_BYTES`` are kept; the rest goes back to the system."""
    monkeypatch.setattr(page_frames, "KEPT_BYTES", (16 + 32) * 4096)
    first = PageFrames(4096)
    frames = first.take(16 + 32 + 64)
    blocks = [frames[0].obj, frames[16].obj, frames[48].obj]     # the three blocks
    assert len({id(block) for block in blocks}) == 3
    frames[0][:3] = b"old"
    del frames
    del first
    gc.collect()
    assert {size: len(kept) for size, kept in page_frames._kept.items()} == \
        {16 * 4096: 1, 32 * 4096: 1}                # the 64-frame block did not fit
    second = PageFrames(4096)
    again = second.take(16 + 32 + 1)
    assert [again[0].obj, again[16].obj] == blocks[:2]
    assert bytes(again[0]) == bytes(4096)           # zeroed: nothing of the last pool
    assert again[48].obj is not blocks[2] and page_frames._kept == {16 * 4096: [], 32 * 4096: []}


def test_without_anonymous_mmap_blocks_are_plain_memory(monkeypatch):
    """Where mmap has no anonymous mappings (Windows), blocks are bytearrays: the same
    frames, zeroed, writable, apart."""
    monkeypatch.setattr(page_frames, "_FLAGS", None)
    frames = PageFrames(4096).take(20)
    assert blocks_of(frames) == [16, 4]
    assert all(isinstance(f.obj, bytearray) and f.tobytes() == bytes(4096) for f in frames)
    frames[0][:2] = b"ab"
    assert bytes(frames[1][:2]) == b"\0\0"
