"""The cycle collector's pace during a replay: raised while it runs, restored after."""

from __future__ import annotations

import gc

import pytest

from zramsim.collector import YOUNG_OBJECTS, fewer_collections


def test_the_threshold_is_raised_inside_and_restored_after_even_on_an_error():
    before = gc.get_threshold()
    with fewer_collections():
        assert gc.get_threshold() == (max(YOUNG_OBJECTS, before[0]), *before[1:])
    assert gc.get_threshold() == before
    with pytest.raises(KeyError):
        with fewer_collections(young=5000):
            assert gc.get_threshold()[0] == max(5000, before[0])
            raise KeyError("x")
    assert gc.get_threshold() == before


def test_a_higher_threshold_already_set_is_kept():
    before = gc.get_threshold()
    gc.set_threshold(50_000, *before[1:])
    try:
        with fewer_collections():
            assert gc.get_threshold()[0] == 50_000
    finally:
        gc.set_threshold(*before)
