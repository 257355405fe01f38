"""The narrated replay says exactly what the device did, and changes nothing about it."""

from __future__ import annotations

from workloads.events import PageEvent
from zramsim import ZramDevice, replay
from zramsim.teach.narrate import narrate

W, R, D, C = "W", "R", "D", "C"


def _events():
    evs = [PageEvent(W, i, 1200) for i in range(12)]
    evs += [PageEvent(W, 12, bytes(4096)), PageEvent(W, 13, 3700), PageEvent(R, 9),
            PageEvent(R, 12), PageEvent(R, 20), PageEvent(D, 0, 9), PageEvent(C, 0)]
    return evs


def test_narration_matches_a_plain_replay():
    told, plain = ZramDevice(), ZramDevice()
    lines = list(narrate(told, _events()))
    replay(plain, _events())
    assert told.mm_stat() == plain.mm_stat()
    assert told.io_stat() == plain.io_stat()
    told.check()
    assert len(lines) == len(_events()) + 3     # compaction: 1 move, 1 release, 1 group move


def test_narration_golden_lines():
    lines = list(narrate(ZramDevice(), _events()))
    assert lines[0] == (
        "W slot 0: compressed to 1200 bytes (+8 header = 1208) -> class 74 (1216 B: 3 pages, "
        "10 objects); no zspage of class 1216 had a free slot: new zspage 1 (3 pages), slot 0; "
        "zspage 1 enters group 20%; mem_used_total 0 -> 12288")
    assert lines[9].endswith("zspage 1 slot 9, the fullest zspage of the class with a free "
                             "slot (group 99%); zspage 1: 99% -> 100%")
    assert "new zspage 2 (3 pages), slot 0" in lines[10]
    assert lines[12] == ("W slot 12: same-filled page (every 8-byte word 0x0000000000000000): "
                         "no compression, no memory; same_pages 0 -> 1")
    assert lines[13].startswith("W slot 13: compressed to 3700 bytes >= huge_class_size 3625: "
                                "stored raw as a huge object (4096 bytes) in class 254; "
                                "a one-page zspage of its own: zspage 3")
    # slot 9 of class 1216: data at 9*1216 + 8 = 10952 = frame 2 offset 2760, ends at 3960
    assert lines[14] == "R slot 9: normal object of 1200 bytes in zspage 1 slot 9; it lies " \
                        "within frame 2"
    assert lines[15] == "R slot 12: same-filled: the page is refilled from its 8-byte word"
    assert lines[16] == "R slot 20: never written (or discarded): reads as zeros"
    assert lines[17].startswith("D slots 0-8: slot 0: normal object of 1200 bytes in zspage 1 "
                                "slot 0 freed;")
    assert lines[17].endswith("notify_free -> 9; zspage 1: 100% -> 20%")
    assert lines[18:] == [
        "C compact: 3 pages freed (pages_compacted 3); mem_used_total 28672 -> 16384",
        "  moved zram slot 9 (class 1216): zspage 1 slot 9 -> zspage 2 slot 2",
        "  zspage 1 (class 1216) emptied and released (3 pages back)",
        "  zspage 2: 30% -> 40%",
    ]


def test_read_spanning_and_within_one_frame():
    dev = ZramDevice()
    lines = list(narrate(dev, [PageEvent(W, i, 1200) for i in range(4)]
                         + [PageEvent(R, 2), PageEvent(R, 3)]))
    # slot 2 of class 1216: data at 2432 + 8 .. 3640 stays in frame 0;
    # slot 3: data at 3656, 1200 bytes, crosses into frame 1
    assert lines[4].endswith("zspage 1 slot 2; it lies within frame 0")
    assert lines[5].endswith("zspage 1 slot 3; it spans frames 0-1, so its two fragments are "
                             "copied into one buffer before decompression")


def test_overwrite_and_failed_write_under_mem_limit():
    dev = ZramDevice(mem_limit=4 * 4096)
    # 1200 -> class 1216 (3 pages); 500 -> class 512 (1 page): 3 + 1 = 4 pages, within the
    # limit, then the old object goes; 100 -> class 112 (7 pages): 1 + 7 > 4, refused
    lines = list(narrate(dev, [PageEvent(W, 0, 1200), PageEvent(W, 0, 500),
                               PageEvent(W, 1, 100)]))
    assert "the old contents (normal object of 1200 bytes in zspage 1 slot 0) are freed" \
        in lines[1]
    assert "zspage 1 (class 1216) emptied and released (3 pages back)" in lines[1]
    assert lines[2] == ("W slot 1: a sizes-only page of 100 compressed bytes: the new object "
                        "would take zsmalloc above mem_limit (4 pages), so it is freed again "
                        "and the write fails (failed_writes 1); the slot keeps its old "
                        "contents (empty)")
    assert dev.io_stat().failed_writes == 1


def test_compaction_with_nothing_to_do():
    lines = list(narrate(ZramDevice(), [PageEvent(W, 0, 1200), PageEvent(C, 0)]))
    assert lines[1] == ("C compact: 0 pages freed (pages_compacted 0); no class had a whole "
                        "zspage of free slots to give back")
