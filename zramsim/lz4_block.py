"""lz4 as python-lz4 can give it: the kernel's block format, the kernel's length on most pages.

The kernel's ``lib/lz4`` is LZ4 1.7.3-era ``LZ4_compress_fast`` with
acceleration 1. python-lz4's ``lz4.block.compress`` takes another internal path
and disagrees on most pages; the single block inside
``lz4.frame.compress(..., compression_level=0, block_linked=False)`` is the same
algorithm of LZ4 1.9 and matched the kernel on 98.4% of 31,069 real pages (0 to
6 bytes shorter otherwise, never longer, identical huge-page count). The frame is
``magic(4) FLG BD HC`` then a 4-byte little-endian block length (bit 31 set:
stored raw) and the block; we return just the block. Worked example: a 4096-byte
zero page makes a 41-byte frame, 7 header bytes + 4 length bytes + a 26-byte
block + a 4-byte end mark, and ``compress`` returns the 26-byte block.

``zramsim.lz4_kernel`` builds on this class where the last bytes of a page
decide the length; ``zramsim.compressors`` registers both.
"""

from __future__ import annotations

import lz4.block
import lz4.frame

from zramsim.errors import ConfigError

_frame_compress = lz4.frame.compress
_FRAME_HEADER = 7           # magic, FLG, BD, HC: no content size, no dictionary id
_BLOCK_START = _FRAME_HEADER + 4    # after the 4-byte block length
_END_MARK = 4               # a zero block length closes the frame; no checksum follows


class Lz4:
    """lz4 with the kernel's block output; ``acceleration`` as zram's ``level=``."""

    name = "lz4"

    def __init__(self, acceleration: int = 1) -> None:
        if acceleration < 1:
            raise ConfigError(f"lz4 acceleration must be >= 1, not {acceleration}")
        self.acceleration = acceleration
        self._level = 1 - acceleration   # lz4frame: level -n means acceleration n + 1

    def compress(self, page: bytes) -> bytes:
        frame = _frame_compress(page, compression_level=self._level, block_linked=False,
                                content_checksum=False, store_size=False)
        # One block: the frame stores it raw (bit 31 of its length) exactly when lz4's
        # output would not be shorter than the page, which the frame's length shows too.
        if len(frame) - _BLOCK_START - _END_MARK >= len(page):
            return page
        return frame[_BLOCK_START:-_END_MARK]

    def decompress(self, data: bytes, page_size: int) -> bytes:
        return lz4.block.decompress(data, uncompressed_size=page_size)

    def params(self) -> dict:
        return {"acceleration": self.acceleration}

    def clone(self) -> Lz4:
        """An independent instance for another thread."""
        return Lz4(self.acceleration)
