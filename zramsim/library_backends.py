"""``lz4hc`` and ``deflate``: zram backends that a Python library stands in for.

Why: zram offers them (``comp_algorithm`` lists ``lz4hc`` and ``deflate``), and
a user comparing algorithms wants their ratios. Neither is on the kernel we can
measure (it offers lzo-rle, lzo and lz4), so their lengths are *not checked*,
and the registry says so. What we know of the gap:

- lz4hc: the kernel's ``lib/lz4/lz4hc_compress.c`` is LZ4 1.7.3-era HC, a hash
  chain searched ``2**(level - 1)`` times; python-lz4 bundles LZ4 1.9, whose HC
  levels 3..9 search the same number of times but also skip through repeated
  patterns, and whose levels 10..12 use an optimal parser the kernel lacks. So
  lengths may differ on any page, most at levels 10..12 (where ours are
  smaller); by how much has not been measured.
- deflate: zram calls ``zlib_deflateInit2(level, Z_DEFLATED, winbits,
  MAX_MEM_LEVEL, Z_DEFAULT_STRATEGY)`` and one ``Z_FINISH``; the defaults are
  level -1 (zlib's 6) and window bits -11 (raw deflate, no header, a 2 KiB
  window; ``deflate.winbits`` since 6.16). Python's zlib takes the same
  arguments; the kernel's ``lib/zlib_deflate`` is an older zlib whose match
  finder is the same algorithm, so the lengths should agree on most pages.

Worked example: the page ``b"hello zram " * 372 + bytes(4)`` is 41 bytes with
deflate at the defaults, and 36 with lz4hc at level 9, as with lz4: one
11-byte literal run and one long match leave nothing better to find.
"""

from __future__ import annotations

import zlib

import lz4.block

from zramsim.errors import ConfigError

LZ4HC_LEVELS = range(1, 13)          # the kernel rejects others (LZ4HC_MAX_CLEVEL 12)
DEFLATE_LEVELS = range(-1, 10)       # -1: zlib's default, 6
MAX_MEM_LEVEL = 9


class Lz4hc:
    """lz4hc at ``level`` (zram's default 9) via python-lz4's HC mode."""

    name = "lz4hc"

    def __init__(self, level: int = 9) -> None:
        if level not in LZ4HC_LEVELS:
            raise ConfigError(f"lz4hc level must be 1..12, not {level}")
        self.level = level

    def compress(self, page: bytes) -> bytes:
        return lz4.block.compress(page, mode="high_compression", compression=self.level,
                                  store_size=False)

    def decompress(self, data: bytes, page_size: int) -> bytes:
        return lz4.block.decompress(data, uncompressed_size=page_size)

    def params(self) -> dict:
        return {"level": self.level}

    def clone(self) -> Lz4hc:
        return Lz4hc(self.level)


class Deflate:
    """Raw deflate at ``level`` (default -1, zlib's 6) with ``winbits`` (default -11)."""

    name = "deflate"

    def __init__(self, level: int = -1, winbits: int = -11) -> None:
        if level not in DEFLATE_LEVELS:
            raise ConfigError(f"deflate level must be -1..9, not {level}")
        if not -15 <= winbits <= -9:
            raise ConfigError(f"deflate winbits must be -15..-9 (raw deflate), not {winbits}")
        self.level, self.winbits = level, winbits

    def compress(self, page: bytes) -> bytes:
        stream = zlib.compressobj(self.level, zlib.DEFLATED, self.winbits, MAX_MEM_LEVEL)
        return stream.compress(page) + stream.flush(zlib.Z_FINISH)

    def decompress(self, data: bytes, page_size: int) -> bytes:
        page = zlib.decompress(data, self.winbits, page_size)
        if len(page) != page_size:
            raise zlib.error(f"decoded {len(page)} bytes, not {page_size}")
        return page

    def params(self) -> dict:
        return {"level": self.level, "winbits": self.winbits}

    def clone(self) -> Deflate:
        return Deflate(self.level, self.winbits)
