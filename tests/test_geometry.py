"""Golden numbers for the size-class geometry (spec §1.1-§1.4 and §5.1).

The chain-8 table below is the spec's oracle, embedded so the test stands alone.
Tables for 16 KiB and 64 KiB pages are checked against a separate brute-force
reading of the same rules, written here without looking at allocator.geometry.
"""

from __future__ import annotations

import pytest

from allocator import MIN_WASTE, USED_PERCENT, Geometry, class_index
from allocator.geometry import chain_min_waste, chain_used_percent, class_count

# index:size/pages/objs for every distinct class at 4 KiB pages, chain 8 (spec §1.4).
CHAIN8_ORACLE = """
0:32/1/128 1:48/3/256 2:64/1/64 3:80/5/256 4:96/3/128 5:112/7/256 6:128/1/32 7:144/7/199
8:160/5/128 9:176/4/93 10:192/3/64 11:208/3/59 12:224/7/128 13:240/1/17 14:256/1/16
15:272/1/15 16:288/5/71 17:304/7/94 18:320/5/64 19:336/6/73 20:352/8/93 21:368/8/89
22:384/3/32 23:400/5/51 24:416/6/59 25:432/7/66 26:448/7/64 27:464/5/44 28:480/2/17
29:496/4/33 30:512/1/8 31:528/4/31 32:544/2/15 33:560/7/51 34:576/1/7 35:592/8/55
36:608/7/47 37:624/2/13 38:640/5/32 39:656/5/31 40:672/1/6 41:688/8/47 42:704/5/29
43:720/3/17 44:736/2/11 45:752/7/38 46:768/3/16 47:784/5/26 49:816/1/5 50:832/8/39
51:848/5/24 52:864/7/33 53:880/8/37 54:896/7/32 55:912/7/31 56:928/5/22 57:944/3/13
58:960/4/17 59:976/6/25 60:992/8/33 62:1024/1/4 64:1056/8/31 65:1072/5/19 66:1088/4/15
67:1104/3/11 68:1120/8/29 69:1136/5/18 71:1168/2/7 72:1184/7/24 73:1200/5/17 74:1216/3/10
75:1232/7/23 76:1248/4/13 78:1280/5/16 79:1296/7/22 83:1360/1/3 87:1424/8/23 88:1440/6/17
89:1456/5/14 91:1488/4/11 92:1504/7/19 94:1536/3/8 95:1552/8/21 96:1568/5/13 97:1584/7/18
100:1632/2/5 103:1680/7/17 104:1696/5/12 105:1712/8/19 107:1744/3/7 110:1792/7/16
111:1808/4/9 114:1856/5/11 116:1888/6/13 117:1904/7/15 118:1920/8/17 126:2048/1/2
134:2176/8/15 135:2192/7/13 137:2224/6/11 140:2272/5/9 144:2336/4/7 147:2384/7/12
151:2448/3/5 155:2512/8/13 158:2560/5/8 160:2592/7/11 168:2720/2/3 177:2864/7/10
180:2912/5/7 184:2976/8/11 190:3072/3/4 197:3184/7/9 202:3264/4/5 211:3408/5/6
217:3504/6/7 222:3584/7/8 225:3632/8/9 254:4096/1/1
"""


def _parse(oracle: str) -> list[tuple[int, int, int, int]]:
    rows = []
    for item in oracle.split():
        index, rest = item.split(":")
        size, pages, objs = rest.split("/")
        rows.append((int(index), int(size), int(pages), int(objs)))
    return rows


def _table(geo: Geometry) -> list[tuple[int, int, int, int]]:
    return [(c.index, c.size, c.pages_per_zspage, c.objs_per_zspage) for c in geo.classes]


def test_chain8_table_matches_the_spec_oracle_row_for_row():
    oracle = _parse(CHAIN8_ORACLE)
    assert len(oracle) == 119
    assert _table(Geometry()) == oracle


def test_missing_indexes_alias_the_next_larger_class():
    geo = Geometry()
    assert geo.by_index[48].index == 49
    assert geo.by_index[61].index == 62
    assert {geo.by_index[i].index for i in range(226, 255)} == {254}
    assert geo.by_index[95].index == 95 and geo.by_index[99].index == 100


@pytest.mark.parametrize("chain, rule, huge", [
    (8, MIN_WASTE, 3625), (4, USED_PERCENT, 3257), (16, MIN_WASTE, 3833),
])
def test_huge_class_size(chain, rule, huge):
    geo = Geometry(chain_size=chain, rule=rule)
    assert geo.huge_class_size == huge
    # huge - 1 bytes still fit the largest non-huge class; huge bytes do not.
    assert not geo.class_for_request(huge - 1).huge
    assert geo.class_for_request(huge).huge
    assert geo.class_for_request(huge).size == 4096


MIN_WASTE_COUNTS = [69, 86, 94, 110, 119, 136, 141, 153, 159, 173, 179, 186, 192]
USED_PERCENT_COUNTS = [69, 86, 93, 112, 123, 140, 143, 159, 164, 180, 183, 188, 191]


@pytest.mark.parametrize("rule, counts", [(MIN_WASTE, MIN_WASTE_COUNTS),
                                          (USED_PERCENT, USED_PERCENT_COUNTS)])
def test_class_counts_per_chain_size(rule, counts):
    assert [len(Geometry(chain_size=c, rule=rule).classes) for c in range(4, 17)] == counts


def test_largest_non_huge_class_per_chain_size():
    # The zsmalloc.rst watermark column; both rules agree on it.
    watermarks = [3264, 3408, 3504, 3584, 3632, 3680, 3712, 3744, 3776, 3792, 3808, 3840, 3840]
    for rule in (MIN_WASTE, USED_PERCENT):
        assert [Geometry(chain_size=c, rule=rule).classes[-2].size
                for c in range(4, 17)] == watermarks


def test_size_208_is_where_the_rules_differ():
    assert chain_min_waste(208, 4096, 4) == 3           # 12288 = 59*208 + 16
    assert chain_used_percent(208, 4096, 4) == 2        # 8192 = 39*208 + 80: 99%
    assert Geometry(chain_size=4).by_index[11].objs_per_zspage == 59
    assert Geometry(chain_size=4, rule=USED_PERCENT).by_index[11].objs_per_zspage == 39


def test_chain16_tail():
    tail = [(c.index, c.size, c.pages_per_zspage)
            for c in Geometry(chain_size=16).classes if c.index >= 202]
    assert tail == [
        (202, 3264, 4), (206, 3328, 13), (207, 3344, 9), (208, 3360, 14), (211, 3408, 5),
        (213, 3440, 16), (214, 3456, 11), (217, 3504, 6), (219, 3536, 13), (222, 3584, 7),
        (223, 3600, 15), (225, 3632, 8), (228, 3680, 9), (230, 3712, 10), (232, 3744, 11),
        (234, 3776, 12), (235, 3792, 13), (236, 3808, 14), (238, 3840, 15), (254, 4096, 1)]
    # zsmalloc.rst prints 212 3424 16: that is the old used-percent rule.
    old = {c.index: c.size for c in Geometry(chain_size=16, rule=USED_PERCENT).classes}
    assert old.get(212) == 3424 and 213 not in old


def test_chain4_and_chain8_tails():
    assert [(c.index, c.size, c.pages_per_zspage)
            for c in Geometry(chain_size=4).classes[-2:]] == [(202, 3264, 4), (254, 4096, 1)]
    assert [(c.index, c.size, c.pages_per_zspage) for c in Geometry().classes[-5:-1]] == [
        (211, 3408, 5), (217, 3504, 6), (222, 3584, 7), (225, 3632, 8)]


def test_chain_trace_of_1568():
    # Spec §5.1: pages -> wasted bytes, used percent.
    waste = [p * 4096 % 1568 for p in range(1, 6)]
    used = [(p * 4096 - w) * 100 // (p * 4096) for p, w in zip(range(1, 6), waste)]
    assert waste == [960, 352, 1312, 704, 96]
    assert used == [76, 95, 89, 95, 99]
    assert chain_min_waste(1568, 4096, 8) == 5
    assert chain_min_waste(1568, 4096, 4) == 2        # 352 is the least within 4 pages
    assert chain_used_percent(1568, 4096, 4) == 2     # 95% at 2 and 4: the tie keeps 2
    cls = Geometry().class_for_request(1560)
    assert (cls.size, cls.pages_per_zspage, cls.objs_per_zspage) == (1568, 5, 13)
    assert cls.tail_waste(4096) == 96


def test_1568_merges_into_1632_under_the_legacy_chain4():
    geo = Geometry(chain_size=4, rule=USED_PERCENT)
    cls = geo.class_for_request(1560)          # a 1568-byte class object
    assert (cls.index, cls.size, cls.pages_per_zspage, cls.objs_per_zspage) == (100, 1632, 2, 5)
    assert {geo.by_index[i].index for i in range(95, 101)} == {100}
    assert geo.by_index[94].size == 1536 and geo.by_index[94].pages_per_zspage == 3
    zspages = -(-13 // cls.objs_per_zspage)
    assert zspages * cls.pages_per_zspage == 6


def test_class_lookup_adds_the_handle_header():
    geo = Geometry()
    assert class_index(1568, 4096) == 96
    assert class_index(32, 4096) == 0 and class_index(33, 4096) == 1
    assert class_index(5000, 4096) == 254
    assert geo.class_for_request(24).size == 32
    assert geo.class_for_request(25).size == 48
    assert geo.class_for_request(4096).size == 4096
    assert geo.class_for_size(1568).size == 1568      # zram's raw lookup: no header
    assert geo.class_for_request(1568).size == 1584


def test_class_count_and_delta_scale_with_the_page():
    assert class_count(4096) == 255
    assert class_count(16384) == 257      # ceil(16352 / 64) + 1
    assert class_count(65536) == 257      # ceil(65504 / 256) + 1


@pytest.mark.parametrize("kwargs, message", [
    (dict(page_size=2048), "page size must be a power of two >= 4096, not 2048"),
    (dict(page_size=12288), "page size must be a power of two >= 4096, not 12288"),
    (dict(chain_size=3), "chain size must be 4..16, not 3"),
    (dict(chain_size=17), "chain size must be 4..16, not 17"),
    (dict(rule="best-fit"), "chain rule must be one of min-waste, used-percent"),
])
def test_bad_geometry_is_refused(kwargs, message):
    with pytest.raises(ValueError) as info:
        Geometry(**kwargs)
    assert str(info.value) == message


# -- an independent reading of the rules, for pages other than 4 KiB ---------------


def _brute_force_table(page: int, chain: int) -> tuple[list[tuple[int, int, int, int]], int]:
    """Spec §1.1-§1.4 taken literally: objects packed by counting, not by modulo."""
    delta = page // 256
    top = (page - 32 + delta - 1) // delta
    made: list[tuple[int, int, int, int]] = []
    huge = None
    for index in range(top, -1, -1):
        size = min(32 + delta * index, page)
        options = []
        for pages in range(1, chain + 1):
            objs = 0
            while (objs + 1) * size <= pages * page:
                objs += 1
            options.append((pages * page - objs * size, pages, objs))
        if size in {1 << k for k in range(40)}:
            waste, pages, objs = 0, 1, page // size
        else:
            waste, pages, objs = min(options)      # least waste, then fewest pages
        if huge is None and pages != 1 and objs != 1:
            huge = size - 7
        if made and made[-1][2:] == (pages, objs):
            continue
        made.append((index, size, pages, objs))
    return made[::-1], huge


@pytest.mark.parametrize("page", [16384, 65536])
def test_large_page_tables_match_a_brute_force_reading(page):
    expected, huge = _brute_force_table(page, 8)
    geo = Geometry(page_size=page)
    assert _table(geo) == expected
    assert geo.huge_class_size == huge


def test_16k_spot_checks():
    # delta 64; the classes are 32, 96, 160, ... 16384.
    geo = Geometry(page_size=16384)
    table = {c.index: (c.size, c.pages_per_zspage, c.objs_per_zspage) for c in geo.classes}
    assert table[0] == (32, 1, 512)           # 16384 / 32 = 512, no waste
    assert table[5] == (352, 2, 93)           # 32768 = 93*352 + 32; one page wastes 192
    assert table[256] == (16384, 1, 1)
    # 14560 * 9 = 131040 <= 8 * 16384 = 131072: the last non-huge class, threshold 14553.
    assert geo.classes[-2].size == 14560 and geo.huge_class_size == 14553
    assert len(geo.classes) == 121


def test_64k_spot_checks():
    geo = Geometry(page_size=65536)
    table = {c.index: (c.size, c.pages_per_zspage, c.objs_per_zspage) for c in geo.classes}
    assert table[1] == (288, 2, 455)          # 131072 = 455*288 + 32
    assert table[4] == (1056, 1, 62)          # 65536 = 62*1056 + 64
    assert geo.huge_class_size == 58137       # 58144 * 9 = 523296 <= 8 * 65536
    assert len(geo.classes) == 123
