"""Quiz answers agree with an independent computation written from the spec, not the code.

The model below rebuilds the class table (min-waste chain rule, merging walking
down) and a tiny zsmalloc (zspages as occupancy counts, allocation into the
fullest non-full zspage, release when empty) without importing the allocator.
"""

from __future__ import annotations

import re

import pytest

from zramsim.teach.quiz import KINDS, make_quiz, render_quiz

PAGE, CHAIN = 4096, 8


def _table():
    """index -> (representative index, size, pages, objs), per spec §1.2-§1.4."""
    by_index, prev, huge_class_size = {}, None, None
    for i in range(254, -1, -1):
        size = min(32 + 16 * i, PAGE)
        if size & (size - 1) == 0:
            pages = 1
        else:
            pages = min(range(1, CHAIN + 1), key=lambda n: (n * PAGE % size, n))
        objs = pages * PAGE // size
        if huge_class_size is None and pages != 1 and objs != 1:
            huge_class_size = size - 7
        if prev and (prev[2], prev[3]) == (pages, objs):
            by_index[i] = prev
        else:
            prev = (i, size, pages, objs)
            by_index[i] = prev
    return by_index, huge_class_size


TABLE, HUGE = _table()


def _cls(request: int):
    n = request + 8
    return TABLE[min(254, 0 if n <= 32 else -(-(n - 32) // 16))]


def test_model_matches_the_spec():
    assert len(set(TABLE.values())) == 119 and HUGE == 3625
    assert _cls(1560) == (96, 1568, 5, 13)


class _MiniPool:
    """Per class, a list of occupancy counts; objects remembered as (class, zspage no)."""

    def __init__(self):
        self.zspages: dict[int, dict[int, int]] = {}    # class index -> {zspage no: inuse}
        self.next = 0
        self.pages = 0

    def malloc(self, size):
        c = _cls(size)
        zs = self.zspages.setdefault(c[0], {})
        open_ = [z for z, n in zs.items() if n < c[3]]
        if open_:
            z = max(open_, key=lambda z: zs[z])
        else:
            self.next += 1
            z = self.next
            zs[z] = 0
            self.pages += c[2]
        zs[z] += 1
        return c, z

    def free(self, obj):
        c, z = obj
        zs = self.zspages[c[0]]
        zs[z] -= 1
        if zs[z] == 0:
            del zs[z]
            self.pages -= c[2]


def _run_mm(trace):
    pool, slots, peak = _MiniPool(), {}, 0
    stored = compr = same = huge = 0
    for line in trace:
        parts = line.split()
        op, index = parts[0], int(parts[1])
        old = slots.pop(index, None)
        if op == "W" and parts[2] != "zero":
            n = int(parts[2][5:])
            size = PAGE if n >= HUGE else n
            obj = pool.malloc(size)
            peak = max(peak, pool.pages)
        if old is not None:                       # free the old contents (6.17+ order)
            kind, osize, oobj = old
            stored -= 1
            if kind == "same":
                same -= 1
            else:
                compr -= osize
                huge -= osize == PAGE
                pool.free(oobj)
        if op == "W":
            stored += 1
            if parts[2] == "zero":
                same += 1
                slots[index] = ("same", 0, None)
            else:
                compr += size
                huge += size == PAGE
                slots[index] = ("obj", size, obj)
    return (stored * PAGE, compr, pool.pages * PAGE, 0, peak * PAGE, same, 0, huge,
            None)


@pytest.mark.parametrize("seed", range(12))
def test_quiz_answers_agree_with_the_model(seed):
    quiz = make_quiz(seed, count=8)
    assert [q.kind for q in quiz.questions] == list(KINDS) * 2
    for q in quiz.questions:
        if q.kind == "class":
            n = int(re.search(r"compresses to (\d+) bytes", q.prompt).group(1))
            c = _cls(n)
            assert q.value == (c[0], c[1], n >= HUGE)
        elif q.kind == "pages":
            count, n = map(int, re.search(r"do (\d+) objects of (\d+) bytes", q.prompt).groups())
            c = _cls(n)
            assert q.value == -(-count // c[3]) * c[2]
        elif q.kind == "mm_stat":
            m = q.value
            got = (m.orig_data_size, m.compr_data_size, m.mem_used_total, m.mem_limit,
                   m.mem_used_max, m.same_pages, m.pages_compacted, m.huge_pages, None)
            assert got == _run_mm(q.trace)
        else:
            count, n = map(int, re.search(r"(\d+) pages compressing to (\d+) bytes",
                                          q.prompt).groups())
            gone = [int(x) for x in q.trace[1].split("(")[0].split()[1:]]
            pool = _MiniPool()
            objs = [pool.malloc(n) for _ in range(count)]
            for i in gone:
                pool.free(objs[i])
            c = _cls(n)
            zspages = len(pool.zspages[c[0]])
            live = count - len(gone)
            assert q.value == (zspages - -(-live // c[3])) * c[2]


def test_same_seed_same_quiz_and_rendering():
    assert make_quiz(5) == make_quiz(5)
    assert make_quiz(5) != make_quiz(6)
    text = render_quiz(make_quiz(5))
    assert text.startswith("zramsim quiz, seed 5 (4096-byte pages, chain limit 8")
    assert "Answer" not in text and text.endswith("Run again with -c to see the answers.\n")
    answered = render_quiz(make_quiz(5), answers=True)
    assert answered.count("  Answer: ") == 4


def test_kinds_can_be_chosen_and_are_checked():
    quiz = make_quiz(3, count=3, kinds=("compact",))
    assert [q.kind for q in quiz.questions] == ["compact"] * 3
    with pytest.raises(ValueError):
        make_quiz(3, kinds=("nonsense",))
