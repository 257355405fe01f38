"""Sizes for people, exactly as util-linux prints them (``zramctl``, ``lsblk``).

Anyone who runs zram reads its sizes through ``zramctl``, so zramsim prints a
size the way util-linux's ``size_to_human_string`` does (2.38 and later), and
uses this one formatter everywhere a size is shown to a person:

- the unit is the largest power of 1024 not above the size (``B K M G T P E``,
  one letter, no space); below 1024 bytes the plain count and ``B``;
- the whole part is the size divided by the unit, rounded down;
- the remainder is first cut to *thousandths* of the unit (rounded down),
  then rounded half up to tenths; tenths of 0 print no decimal, and 10 tenths
  carry into the whole part (which can then read ``1024``).

Worked examples: 7,286,784 bytes is 6 MiB + 995,328 bytes; 995,328 / 2**20 =
0.949 (thousandths, rounded down) -> (949 + 50) // 100 = 9 tenths -> ``6.9M``
(the older "1/1024ths" rounding said ``7M``). 2,400 bytes is 2 KiB + 352;
352 / 1024 = 0.343 -> ``2.3K``. 4,096 -> ``4K``; 1,023 -> ``1023B``;
1,048,575 = 1023.999 KiB -> 1023 + 10 tenths -> ``1024K``.
"""

from __future__ import annotations

_UNITS = "BKMGTPE"
_U64_MAX = (1 << 64) - 1


def human_size(n: int) -> str:
    """``n`` bytes in util-linux's one-letter form: ``0B``, ``2.3K``, ``6.9M``, ``1.5G``."""
    if n < 0:
        raise ValueError(f"a size cannot be negative: {n}")
    exp = 0
    while exp < 60 and n >> (exp + 10):
        exp += 10
    whole, rest = n >> exp, n & ((1 << exp) - 1)
    if rest:
        # util-linux keeps 64-bit arithmetic: a remainder too large to multiply
        # by 1000 (only possible in the E range) is first divided by 1024.
        if rest >= _U64_MAX // 1000:
            thousandths = (rest >> 10) * 1000 >> (exp - 10)
        else:
            thousandths = rest * 1000 >> exp
        tenths = (thousandths + 50) // 100
        if tenths == 10:
            return f"{whole + 1}{_UNITS[exp // 10]}"
        if tenths:
            return f"{whole}.{tenths}{_UNITS[exp // 10]}"
    return f"{whole}{_UNITS[exp // 10]}"
