"""Compressors: the tiny protocol zram's backends share, and a registry of them.

A compressor turns one page into bytes and back; zram only ever looks at the
compressed *length* (to pick a size class, or to store the page raw when the
length reaches the huge threshold). So what matters most for fidelity is that
our lengths are the kernel's lengths.

lz4: the kernel's ``lib/lz4`` is LZ4 1.7.3-era ``LZ4_compress_fast`` with
acceleration 1. python-lz4's ``lz4.block.compress`` takes another internal path
and disagrees on most pages; the single block inside
``lz4.frame.compress(..., compression_level=0, block_linked=False)`` is the same
algorithm of LZ4 1.9 and matched the kernel on 98.4% of 31,069 real pages (0 to
6 bytes shorter otherwise, never longer, identical huge-page count). The frame is
``magic(4) FLG BD HC`` then a 4-byte little-endian block length (bit 31 set:
stored raw) and the block; we return just the block.

zstd: level 3 and optional dictionary, like zram's ``algorithm_params``; the
kernel frame keeps the content size and the dictionary id and has no checksum,
which are python-zstandard's defaults too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Protocol

import lz4.block
import lz4.frame
import zstandard

from zramsim.errors import ConfigError

_frame_compress = lz4.frame.compress


class Compressor(Protocol):
    """What the device needs from a compression backend."""

    name: str

    def compress(self, page: bytes) -> bytes: ...

    def decompress(self, data: bytes, page_size: int) -> bytes: ...

    def params(self) -> dict: ...


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


class Zstd:
    """zstd at ``level`` (default 3), optionally with a raw or trained dictionary."""

    name = "zstd"

    def __init__(self, level: int = 3, dictionary: bytes | None = None) -> None:
        if not zstandard.MAX_COMPRESSION_LEVEL >= level >= -(1 << 17) or level == 0:
            raise ConfigError(f"zstd level must be 1..{zstandard.MAX_COMPRESSION_LEVEL} "
                              f"or negative, not {level}")
        self.level = level
        self.dictionary = dictionary
        zdict = zstandard.ZstdCompressionDict(dictionary) if dictionary else None
        self._compressor = zstandard.ZstdCompressor(level=level, dict_data=zdict)
        self._decompressor = zstandard.ZstdDecompressor(dict_data=zdict)

    def compress(self, page: bytes) -> bytes:
        return self._compressor.compress(page)

    def decompress(self, data: bytes, page_size: int) -> bytes:
        return self._decompressor.decompress(data, max_output_size=page_size)

    def params(self) -> dict:
        return {"level": self.level, "dict_bytes": len(self.dictionary or b"")}

    def clone(self) -> Zstd:
        """An independent instance for another thread (contexts are not shareable)."""
        return Zstd(self.level, self.dictionary)

    def __reduce__(self):
        """Pickled as its settings (its zstd contexts cannot be): for helper processes."""
        return Zstd, (self.level, self.dictionary)

    def compress_many(self, pages: list[bytes], threads: int) -> list[bytes]:
        """``[compress(p) for p in pages]`` on ``threads`` threads inside zstd.

        The whole batch runs without the GIL, so the calling thread's Python
        work (the replay applying the previous batch) overlaps with it; the
        frames are byte-identical to ``compress``.
        """
        if not pages:
            return []
        segments = self._compressor.multi_compress_to_buffer(pages, threads=threads)
        return [segment.tobytes() for segment in segments]


@dataclass(frozen=True)
class Backend:
    """A registry entry: how to build the compressor and what its knobs mean."""

    factory: Callable[..., Compressor]
    level_name: str              # what --level sets
    default_level: int
    takes_dictionary: bool
    note: str = field(default="")


COMPRESSORS: dict[str, Backend] = {
    "lz4": Backend(lambda level, dictionary: Lz4(level), "acceleration", 1, False,
                   "kernel-identical on 96-98% of real pages; else 0-6 bytes shorter"),
    "lz4-kernel": Backend(lambda level, dictionary: _lz4_kernel(level), "acceleration", 1,
                          False, "the kernel's exact lz4 lengths on every page; ~0.8 ms/page"),
    "zstd": Backend(lambda level, dictionary: Zstd(level, dictionary), "level", 3, True,
                    "python-zstandard; the kernel's zstd build may differ by a few bytes"),
}


def _lz4_kernel(acceleration: int) -> Compressor:
    from zramsim.lz4_kernel import Lz4Kernel   # it builds on Lz4, defined here
    return Lz4Kernel(acceleration)


def make_compressor(name: str, level: int | None = None,
                    dictionary: bytes | None = None) -> Compressor:
    """Build a registered compressor; ``level`` None means the kernel's default."""
    try:
        backend = COMPRESSORS[name]
    except KeyError:
        raise ConfigError(f"unknown algorithm {name!r}; "
                          f"choose from {', '.join(COMPRESSORS)}") from None
    if dictionary and not backend.takes_dictionary:
        raise ConfigError(f"{name} takes no dictionary")
    return backend.factory(backend.default_level if level is None else level, dictionary)
