"""Compressors: the tiny protocol zram's backends share, and a registry of them.

A compressor turns one page into bytes and back; zram only ever looks at the
compressed *length* (to pick a size class, or to store the page raw when the
length reaches the huge threshold). So what matters most for fidelity is that
our lengths are the kernel's lengths.

lz4: ``zramsim.lz4_block`` (python-lz4's LZ4 1.9, the kernel's length on
96-98% of real pages) and ``zramsim.lz4_kernel`` (exact on every page).

zstd: level 3 and optional dictionary, like zram's ``algorithm_params``; the
kernel frame keeps the content size and the dictionary id and has no checksum,
which are python-zstandard's defaults too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Protocol


from zramsim.errors import ConfigError
from zramsim.lz4_block import Lz4
from zramsim.lz4_kernel import Lz4Kernel

__all__ = ["Backend", "COMPRESSORS", "Compressor", "Lz4", "Lz4Kernel", "Zstd", "make_compressor"]


class Compressor(Protocol):
    """What the device needs from a compression backend."""

    name: str

    def compress(self, page: bytes) -> bytes: ...

    def decompress(self, data: bytes, page_size: int) -> bytes: ...

    def params(self) -> dict: ...


class Zstd:
    """zstd at ``level`` (default 3), optionally with a raw or trained dictionary."""

    name = "zstd"

    def __init__(self, level: int = 3, dictionary: bytes | None = None) -> None:
        import zstandard      # here, not at every command's start (8 ms alone, ~1 with click)
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
    """A registry entry: how to build the compressor, what its knobs mean, how exact it is.

    ``fidelity`` is one of FIDELITY: ``exact`` (every compressed length equal
    to the kernel's, checked on a real device), ``close`` (checked on a real
    device; ``note`` gives the measured difference), ``not checked`` (no
    kernel with this backend was measured; ``note`` says what is known).
    """

    factory: Callable[..., Compressor]
    level_name: str | None       # what --level sets; None: no parameter
    default_level: int | None
    takes_dictionary: bool
    note: str = field(default="")
    kernel_name: str = ""        # the name zram's comp_algorithm takes
    fidelity: str = "not checked"


FIDELITY = ("exact", "close", "not checked")

COMPRESSORS: dict[str, Backend] = {
    "lz4": Backend(lambda level, dictionary: Lz4(level), "acceleration", 1, False,
                   "kernel-identical on 96-98% of real pages; else 0-6 bytes shorter",
                   "lz4", "close"),
    "lz4-kernel": Backend(lambda level, dictionary: Lz4Kernel(level), "acceleration", 1,
                          False, "the kernel's exact lz4 lengths on every page; ~0.8 ms/page",
                          "lz4", "exact"),
    "lzo": Backend(lambda level, dictionary: _lzo("lzo"), None, None, False,
                   "kernel lengths on 29,189/29,189 pages; liblzo2 if installed, "
                   "else pure Python (~0.5 ms/page)", "lzo", "exact"),
    "lzo-rle": Backend(lambda level, dictionary: _lzo("lzo-rle"), None, None, False,
                       "the kernel's default; kernel lengths on 29,189/29,189 pages; "
                       "pure Python (~0.5 ms/page)", "lzo-rle", "exact"),
    "lz4hc": Backend(lambda level, dictionary: _library("lz4hc", level), "level", 9, False,
                     "python-lz4 HC (LZ4 1.9); the kernel's is LZ4 1.7.3 HC, no kernel "
                     "here to measure", "lz4hc"),
    "zstd": Backend(lambda level, dictionary: Zstd(level, dictionary), "level", 3, True,
                    "python-zstandard; the kernel's zstd build may differ by a few bytes",
                    "zstd"),
    "deflate": Backend(lambda level, dictionary: _library("deflate", level), "level", -1,
                       False, "Python's zlib as raw deflate, window bits -11, memLevel 9; "
                       "the kernel's zlib is older, unmeasured", "deflate"),
}

# zram algorithms we do not simulate, and why.
NOT_AVAILABLE: dict[str, str] = {
    "842": "no sound implementation outside the kernel's lib/842 (and IBM's NX "
           "hardware); a port has not been written",
}


def _lzo(name: str) -> Compressor:
    from zramsim.lzo_backend import Lzo, LzoRle
    return LzoRle() if name == "lzo-rle" else Lzo()


def _library(name: str, level: int) -> Compressor:
    from zramsim.library_backends import Deflate, Lz4hc
    return Lz4hc(level) if name == "lz4hc" else Deflate(level)

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
    if level is not None and backend.level_name is None:
        raise ConfigError(f"{name} takes no level")
    return backend.factory(backend.default_level if level is None else level, dictionary)
