"""The binary writer's reference window: a reference exactly when an equal page is in it."""

from __future__ import annotations

import random

import pytest

import workloads.page_window as page_window
from workloads.page_window import PageWindow


def page(tag: int) -> bytes:
    return tag.to_bytes(2, "little") * 2048


def test_the_worked_example_of_the_docstring():
    a, b, c, d, e = map(page, range(5))
    window = PageWindow(4)
    found = [window.find_or_add(p) for p in (a, b, c, a, d, e, b)]
    assert found == [None, None, None, 0, None, None, 1]
    assert window.literals == 5


def test_a_page_that_left_the_window_is_a_new_literal():
    window = PageWindow(2)
    assert [window.find_or_add(page(t)) for t in (1, 2, 3, 1, 3)] == [None, None, None, None, 0]
    # literal 3 (page 1 again) took slot 1; page 3 is literal 2 in slot 0


@pytest.mark.parametrize("crc", [lambda data: 7, lambda data: data[0] & 1])
def test_pages_with_the_same_crc_are_told_apart_by_their_bytes(monkeypatch, crc):
    """Against a window that compares every page (a list search), with CRCs that
    collide always or half the time."""
    monkeypatch.setattr(page_window, "crc32", crc)
    rng = random.Random(3)
    window, naive = PageWindow(8), []
    for _ in range(2000):
        p = page(rng.randrange(20))
        expected = next((n % 8 for n in range(len(naive) - 1, max(-1, len(naive) - 9), -1)
                         if naive[n] == p), None)
        assert window.find_or_add(p) == expected
        if expected is None:
            naive.append(p)


def test_a_bytearray_page_is_copied_not_kept():
    window = PageWindow(4)
    buffer = bytearray(page(1))
    assert window.find_or_add(buffer) is None
    buffer[:2] = b"zz"
    assert window.find_or_add(page(1)) == 0
