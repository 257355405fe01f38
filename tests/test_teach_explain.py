"""explain agrees with the geometry, and the zspage map draws exactly what the pool holds."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from allocator import Geometry, ObjectSizeError, Pool
from zramsim import ZramDevice
from zramsim.teach.explain import explain, render_text
from zramsim.teach.zspage_map import device_views, render_svg, render_text as map_text
from zramsim.teach.zspage_map import zspage_views


def _brute_chain(size: int, page: int, limit: int) -> int:
    """Independent chain rule: least (pages*page mod size), powers of two take 1 page."""
    if size & (size - 1) == 0:
        return 1
    return min(range(1, limit + 1), key=lambda n: (n * page % size, n))


@pytest.mark.parametrize("size", [1, 24, 25, 100, 1000, 1560, 2040, 2041, 3000, 3624,
                                  3625, 4096])
def test_explain_agrees_with_geometry(size):
    geo = Geometry()
    e = explain(size)
    cls = geo.class_for_request(size)
    assert (e.class_index, e.class_size) == (cls.index, cls.size)
    assert (e.pages_per_zspage, e.objs_per_zspage) == (cls.pages_per_zspage,
                                                       cls.objs_per_zspage)
    assert e.pages_per_zspage == _brute_chain(e.class_size, 4096, 8)
    assert e.huge == (size >= geo.huge_class_size)
    assert e.zspages == -(-1000 // cls.objs_per_zspage)
    assert e.pages == e.zspages * cls.pages_per_zspage
    for opt in e.chain:
        assert (opt.objs, opt.waste) == (opt.pages * 4096 // e.class_size,
                                         opt.pages * 4096 % e.class_size)
    assert e.tail_waste == e.chain[e.pages_per_zspage - 1].waste
    # a real pool agrees on the pages a thousand objects take
    pool = Pool(geo)
    for _ in range(1000):
        pool.malloc(size)
    assert pool.total_pages == e.pages


def test_explain_1560_golden_numbers():
    e = explain(1560)
    assert (e.with_header, e.nominal_index, e.class_index, e.class_size) == (1568, 96, 96, 1568)
    assert [(o.pages, o.waste) for o in e.chain] == [
        (1, 960), (2, 352), (3, 1312), (4, 704), (5, 96), (6, 1056), (7, 448), (8, 1408)]
    assert (e.pages_per_zspage, e.objs_per_zspage, e.rounding, e.tail_waste) == (5, 13, 0, 96)
    assert (e.zspages, e.pages, e.single_class_size, e.single_objs_per_page,
            e.single_pages) == (77, 385, 2048, 2, 500)
    text = render_text(e)
    assert "-> size class 96 (1568 bytes)" in text
    assert "      5       13          96   99%  <- chosen" in text
    assert "1000 such objects: 77 zspages = 385 pages (1.5M)" in text
    assert "2 per page in class 2048 -> 500 pages (2M)" in text


def test_explain_merged_huge_and_chain4():
    e = explain(3700)
    assert (e.nominal_index, e.class_index, e.class_size, e.huge, e.rounding) == (
        230, 254, 4096, True, 396)
    assert "huge: yes" in render_text(e)
    e = explain(1540)          # 1548 bytes: ceil(1516/16) = index 95, class 1552
    assert (e.class_index, e.class_size, e.pages_per_zspage, e.objs_per_zspage) == (
        95, 1552, 8, 21)
    old = explain(1560, Geometry(chain_size=4, rule="used-percent"))
    assert (old.class_size, old.pages_per_zspage, old.objs_per_zspage) == (1632, 2, 5)
    assert "(index 96 is merged into class 100" in render_text(old)
    assert explain(1560, count=13).pages == 5


@pytest.mark.parametrize("bad", [0, -5, 4097])
def test_explain_rejects_impossible_sizes(bad):
    with pytest.raises(ObjectSizeError):
        explain(bad)


def test_map_marks_spanning_objects_free_slots_and_tail():
    pool = Pool()
    handles = [pool.malloc(1560) for _ in range(15)]
    pool.free(handles[3])
    views = zspage_views(pool)
    assert [(v.zid, v.inuse, v.group_label) for v in views] == [(1, 12, "99%"), (2, 2, "20%")]
    first = views[0]
    assert [s.slot for s in first.slots if s.spans] == [2, 5, 7, 10]
    assert first.slots[3].handle == 0 and first.tail_waste == 96
    text = map_text(views)
    assert "  frame 0 |0000000000000000000000000111111111111111111111111222222222222222>" in text
    assert "  frame 1 |2222222222........................444444444444444444444444455555>" in text
    assert "  frame 4 |AAAAAAAAAAAAAABBBBBBBBBBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCCCCCCCCCC-|" in text
    assert ("spanning objects: slot 2 (frames 0-1), slot 5 (frames 1-2), "
            "slot 7 (frames 2-3), slot 10 (frames 3-4)") in text
    assert len(zspage_views(pool, class_size=1568)) == 2
    assert zspage_views(pool, class_size=48) == []


def test_map_svg_is_wellformed_and_complete():
    pool = Pool()
    for _ in range(14):
        pool.malloc(1560)
    svg = render_svg(zspage_views(pool))
    root = ET.fromstring(svg)
    rects = root.findall("{http://www.w3.org/2000/svg}rect")
    # background + 2 zspages x 5 frames + 26 slots + 4 spanning slots x 2 (one extra fragment)
    assert len(rects) == 1 + 10 + 26 + 8
    spanning = [r for r in rects if r.get("stroke") == "#e15759"]
    assert len(spanning) == 16
    titles = [t.text for r in rects for t in r.findall("{http://www.w3.org/2000/svg}title")]
    assert len(titles) == 26 + 8
    assert titles[0] == "slot 0, handle 1"
    assert titles[3] == "slot 2, handle 3, spans frames 0-1"
    assert titles.count("slot 1, free") == 1
    assert "no zspages" in render_svg([])


def test_device_map_labels_objects_with_zram_slots():
    dev = ZramDevice(disksize=1 << 20)
    for index, size in enumerate([100, 1560, 1560, 200]):
        dev.write_size(index, size)
    views = device_views(dev)
    assert [(v.class_size, v.inuse) for v in views] == [(112, 1), (208, 1), (1568, 2)]
    text = map_text(views)
    assert "  objects: 0: zram slot 1, 1: zram slot 2\n" in text
