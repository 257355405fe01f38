"""The size formatter against util-linux: an independent oracle and the real zramctl.

``oracle`` is written from util-linux's documented rule (``size_to_human_string``
in lib/strutils.c, 2.38), with exact fractions instead of shifts, so it shares
no code with ``zramsim.sizes``. ``zramctl_sizes.txt`` holds what the real
``zramctl`` (util-linux 2.38.1) printed for 7,922 sizes
(``tools/measure_zramctl_sizes.py``).
"""

from __future__ import annotations

import random
from fractions import Fraction
from math import floor
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from zramsim.sizes import human_size

MEASURED = Path(__file__).parent / "data" / "kernel" / "zramctl_sizes.txt"
UNITS = ["B", "K", "M", "G", "T", "P", "E"]
U64 = 2**64


def oracle(n: int) -> str:
    """util-linux's rule, step by step as its documentation and source comments state it."""
    power = 0
    while power < 6 and n >= 1024 ** (power + 1):
        power += 1
    unit = 1024 ** power
    whole = n // unit
    remainder = n - whole * unit
    if remainder == 0:
        return f"{whole}{UNITS[power]}"
    # "get 3 digits after decimal point" in unsigned 64-bit arithmetic: when
    # remainder * 1000 would not fit, the remainder is divided by 1024 first.
    if remainder >= (U64 - 1) // 1000:
        thousandths = floor(Fraction((remainder // 1024) * 1000, unit // 1024))
    else:
        thousandths = floor(Fraction(remainder * 1000, unit))
    tenths = floor(Fraction(thousandths + 50, 100))     # "round 4/5, keep 1 digit"
    if tenths == 10:                                     # "rounding could have overflowed"
        return f"{whole + 1}{UNITS[power]}"
    if tenths == 0:
        return f"{whole}{UNITS[power]}"
    return f"{whole}.{tenths}{UNITS[power]}"


def measured() -> list[tuple[int, str]]:
    rows = []
    for line in MEASURED.read_text().splitlines():
        if not line.startswith("#"):
            size, text = line.split()
            rows.append((int(size), text))
    return rows


def test_readme_values_and_the_issue_examples():
    assert human_size(7_286_784) == oracle(7_286_784) == "6.9M"
    assert human_size(2_400) == oracle(2_400) == "2.3K"
    assert [human_size(n) for n in (0, 1, 1023, 1024, 4096, 5000, 1610612736)] == \
        ["0B", "1B", "1023B", "1K", "4K", "4.9K", "1.5G"]


def test_rounding_carries_into_the_whole_part():
    assert human_size(1_048_575) == "1024K"           # 1023.999 KiB
    assert human_size(2047) == "2K"                   # 1.999 -> 2
    assert human_size(1024 + 972) == "1.9K"           # 1.949: the old 1/1024 rounding said 2K
    assert human_size(U64 - 1) == oracle(U64 - 1) == "16E"


def test_against_the_oracle_on_more_than_ten_thousand_sizes():
    rng = random.Random(15)
    sizes = set(range(0, 4200)) | {7_286_784, 2_400, U64 - 1}
    for power in range(1, 7):
        unit = 1024 ** power
        for whole in (1, 9, 1023):
            for tenth in range(10):          # both sides of every rounding step
                point = whole * unit + (100 * tenth + 50) * unit // 1000
                sizes.update(range(point - 3, point + 4))
    while len(sizes) < 12_000:
        sizes.add(rng.randrange(1 << rng.randrange(1, 65)))
    wrong = [(n, human_size(n), oracle(n)) for n in sorted(sizes) if human_size(n) != oracle(n)]
    assert len(sizes) >= 12_000 and wrong == []


@given(st.integers(min_value=0, max_value=U64 - 1))
def test_matches_the_oracle_anywhere_in_64_bits(n):
    assert human_size(n) == oracle(n)


def test_matches_what_the_real_zramctl_printed():
    rows = measured()
    assert len(rows) > 7000 and (7_286_784, "6.9M") in rows
    assert [r for r in rows if human_size(r[0]) != r[1]] == []
    assert [r for r in rows if oracle(r[0]) != r[1]] == []     # the oracle is right too
    assert {text[-1] for _, text in rows} == set("BKMGTPE")


def test_negative_sizes_are_refused():
    with pytest.raises(ValueError, match="cannot be negative"):
        human_size(-1)
