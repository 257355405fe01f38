"""The little-endian 32-bit word at every byte offset of a page, fast.

Both pure-Python encoders that must match the kernel's lengths exactly (lz4 and
lzo) hash the 4 bytes at each position; reading them one ``int.from_bytes`` at a
time costs ~2.5 ms a 4 KiB page. Four strided arrays (offsets k, k+4, k+8, ...
for k = 0..3) do it in ~0.05 ms: for ``b"abcdefg"`` the words are those at
offsets 0..3, ``0x64636261``, ``0x65646362``, ``0x66656463``, ``0x67666564``.
"""

from __future__ import annotations

import sys
from array import array

_U32 = "I" if array("I").itemsize == 4 else "L"


def u32_words(src: bytes) -> list[int]:
    """The little-endian 32-bit word at every byte offset 0 .. len - 4 (none if shorter)."""
    n = len(src) - 3
    words = [0] * max(n, 0)
    for k in range(min(4, n)):
        count = (n - 1 - k) // 4 + 1
        strided = array(_U32, src[k:k + 4 * count])
        if sys.byteorder == "big":
            strided.byteswap()
        words[k::4] = strided
    return words
