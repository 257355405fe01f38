"""Sizes typed by people (``--disksize 1.5G``), read the way util-linux reads them.

zram is configured with ``zramctl --size``, which parses sizes with util-linux's
``strtosize``; a simulator that read ``512KB`` differently from the tool its
users already know would print numbers for another device. So the grammar is
util-linux's, minus its C-library accidents::

    <digits>[.<digits>][<unit>]      unit: K M G T P E Z Y (any case), optionally
                                     followed by "iB" (powers of 1024, same as
                                     no suffix) or "B" (powers of 1000)

Worked examples: ``4096`` is 4096; ``64K`` and ``64KiB`` are 65,536; ``512KB``
is 512,000; ``1.5G`` is 1.5 x 2**30 = 1,610,612,736; ``0.5MB`` is 500,000. A
fraction is exact and rounded down to a whole byte (``1.999K`` is 2046).

Refused, each with one sentence saying why: anything but ASCII digits (``٤M``
or ``²K`` look like numbers to ``str.isdigit`` but are not), a sign, a fraction
without a unit (``1.5``: util-linux refuses it too), ``0x10K`` and ``010K``
(util-linux reads them as hexadecimal and octal, which nobody means), and any
value above 2**64 - 1 (the kernel's ``disksize`` is a u64).
"""

from __future__ import annotations

import re
from fractions import Fraction

MAX_SIZE = (1 << 64) - 1
UNITS = "KMGTPEZY"
_SIZE = re.compile(r"([0-9]+)(?:\.([0-9]+))?(?:([KMGTPEZY])(iB|B)?)?", re.ASCII | re.IGNORECASE)
EXAMPLES = "such as 4096, 64K, 512KB, 1.5G or 2GiB"


class SizeError(ValueError):
    """A size that does not parse, or does not fit in 64 bits."""


def parse_size(text: str) -> int:
    """Bytes from a size such as ``4096``, ``64K``, ``512KB``, ``1.5G``; SizeError if bad."""
    word = text.strip()
    match = _SIZE.fullmatch(word)
    if not match:
        raise SizeError(_why_not(word))
    whole, fraction, unit, base_word = match.groups()
    if len(whole) > 1 and whole[0] == "0":
        raise SizeError(f"{word!r} has a leading zero (util-linux would read it as octal); "
                        f"write the plain decimal number")
    if fraction is not None and unit is None:
        raise SizeError(f"{word!r}: a fraction needs a unit, as in {whole}.{fraction}K")
    scale = 1
    if unit is not None:
        base = 1000 if base_word is not None and base_word.upper() == "B" else 1024
        scale = base ** (UNITS.index(unit.upper()) + 1)
    value = int(Fraction(f"{whole}.{fraction or 0}") * scale)
    if value > MAX_SIZE:
        raise SizeError(f"{word!r} is larger than 2**64 - 1 bytes")
    return value


def _why_not(word: str) -> str:
    """The one-sentence reason ``word`` is not a size."""
    if not word:
        return f"an empty size: expected a size {EXAMPLES}"
    if any(not ch.isascii() for ch in word):
        return (f"{word!r} is not a size: only the ASCII digits 0-9 count "
                f"(expected a size {EXAMPLES})")
    if word[0] in "+-":
        return f"{word!r} is not a size: no sign allowed (expected a size {EXAMPLES})"
    if word[:2].lower() == "0x":
        return f"{word!r} is not a size: hexadecimal is not accepted (expected a size {EXAMPLES})"
    return f"{word!r} is not a size {EXAMPLES}"
