"""The ``lzo`` and ``lzo-rle`` compressors: our encoder, with liblzo2 where it helps.

Why two paths: the pure-Python encoder (``zramsim.lzo_compress``) is exact
but costs ~0.4-0.5 ms a page. For plain lzo the system library liblzo2
(Debian ``liblzo2-2``), called through ctypes, writes byte for byte the same
stream: its ``lzo1x_1_15_compress`` output equals the kernel's parse on every
page and every generated input of 32 bytes or more we compared
(docs/fidelity.md; its ``lzo1x_1_compress``, which python-lzo calls, does
not), 20-50 times faster. It is optional: where it cannot be loaded, the
Python encoder is used and the lengths are the same.

lzo-rle has no library. It differs from lzo only where the scan meets four
zero bytes, so a page without ``b"\\0\\0\\0\\0"`` anywhere (most text) is
the 2-byte version header plus the plain lzo stream, and the library helps
there too. Example: ``b"hello zram " * 372 + bytes(4)`` is 52 bytes with lzo
and 54 with lzo-rle: its only zeros sit in the last 20 bytes, which are never
scanned, so the parses agree (the library is not asked for it, though: the
page does hold four zero bytes, and only the Python parse can tell).

Reads decode with ``zramsim.lzo.decompress`` (liblzo2's safe decoder for
plain lzo when it is loaded). Instances pickle as their class and settings
only, so helper processes of the parallel replay rebuild their own.
"""

from __future__ import annotations

import ctypes
import ctypes.util

from zramsim import lzo, lzo_compress

RLE_HEADER = bytes((17, lzo.RLE_VERSION))
RLE_BLOCK = lzo.M4_MAX_OFFSET_RLE + 1   # longer inputs: lzo-rle cuts blocks 1 byte shorter
LIBRARY_MIN = 32    # liblzo2 leaves inputs of 26..31 bytes as literals; the kernel scans them


class _Liblzo2:
    """ctypes calls into liblzo2; ``None`` from ``load()`` when it is not installed."""

    def __init__(self, lib: ctypes.CDLL) -> None:
        sizes = ctypes.POINTER(ctypes.c_size_t)
        self._compress = lib.lzo1x_1_15_compress
        self._decompress = lib.lzo1x_decompress_safe
        for fn in (self._compress, self._decompress):
            fn.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, sizes,
                           ctypes.c_void_p]
            fn.restype = ctypes.c_int
        # LZO1X_1_15_MEM_COMPRESS: 32768 dictionary entries of at most a pointer each.
        # The library clears what it uses itself (its output does not change when
        # this buffer is full of garbage), so it is not cleared between calls.
        self._work = ctypes.create_string_buffer(32768 * ctypes.sizeof(ctypes.c_void_p))
        self._out = ctypes.create_string_buffer(4096 + 4096 // 16 + 64 + 3)
        self._length = ctypes.c_size_t()

    _cdll: ctypes.CDLL | None = None
    _looked = False

    @classmethod
    def load(cls) -> _Liblzo2 | None:
        """Fresh buffers around the library, which is looked for once per process."""
        if not cls._looked:
            cls._looked = True
            for name in ("liblzo2.so.2", None):     # None: ask ctypes (slow: runs ldconfig)
                try:
                    lib = ctypes.CDLL(name or ctypes.util.find_library("lzo2") or "liblzo2")
                    lib.lzo1x_1_15_compress, lib.lzo1x_decompress_safe
                except (OSError, AttributeError):
                    continue
                cls._cdll = lib
                break
        return cls(cls._cdll) if cls._cdll is not None else None

    def compress(self, page: bytes) -> bytes:
        """The plain lzo stream of ``page``."""
        worst = len(page) + len(page) // 16 + 64 + 3      # LZO1X's bound; it writes unchecked
        if worst > len(self._out):
            self._out = ctypes.create_string_buffer(worst)
        self._length.value = len(self._out)
        if self._compress(page, len(page), self._out, ctypes.byref(self._length),
                          self._work) != 0:
            raise lzo.LzoError("liblzo2 refused to compress")
        return ctypes.string_at(self._out, self._length.value)

    def decompress(self, data: bytes, size: int) -> bytes:
        out = ctypes.create_string_buffer(size)
        length = ctypes.c_size_t(size)
        code = self._decompress(data, len(data), out, ctypes.byref(length), None)
        if code != 0 or length.value != size:
            raise lzo.LzoError(f"liblzo2 could not decode the stream (error {code})")
        return out.raw


class Lzo:
    """The kernel's ``lzo``: LZO1X-1 with a 2**13-entry dictionary.

    ``library``: True requires liblzo2, False never uses it, None (default)
    uses it when it loads.
    """

    name = "lzo"
    rle = False

    def __init__(self, library: bool | None = None) -> None:
        self.library = library
        self._lib = None if library is False else _Liblzo2.load()
        if library and self._lib is None:
            raise lzo.LzoError("liblzo2 (Debian package liblzo2-2) cannot be loaded")

    @property
    def encoder(self) -> str:
        return "liblzo2" if self._lib else "python"

    def compress(self, page: bytes) -> bytes:
        if self._lib is not None and len(page) >= LIBRARY_MIN:
            return self._lib.compress(page)
        return lzo_compress.compress(page)

    def decompress(self, data: bytes, page_size: int) -> bytes:
        if self._lib is not None:
            return self._lib.decompress(data, page_size)
        return lzo.decompress(data, page_size)

    def params(self) -> dict:
        return {"encoder": self.encoder}

    def clone(self) -> Lzo:
        """An independent instance for another thread (the library's buffers are per instance)."""
        return type(self)(self.library)

    def __reduce__(self):
        return type(self), (self.library,)


class LzoRle(Lzo):
    """The kernel's ``lzo-rle``: lzo plus zero runs, stream version 1."""

    name = "lzo-rle"
    rle = True

    def compress(self, page: bytes) -> bytes:
        if self._lib is not None and LIBRARY_MIN <= len(page) < RLE_BLOCK \
                and b"\0\0\0\0" not in page:
            return RLE_HEADER + self._lib.compress(page)
        return lzo_compress.compress(page, rle=True)

    def decompress(self, data: bytes, page_size: int) -> bytes:
        return lzo.decompress(data, page_size)
