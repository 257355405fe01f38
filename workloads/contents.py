"""Page contents named by a word: the `<content>` field of a text trace.

A text trace cannot hold 4096 raw bytes on a line, so it names each written
page instead: ``zero``, ``fill:<hex>``, ``random:<seed>``, ``file:<path>:<n>``
or ``size:<n>``.  This module turns such a word into the bytes of one page (or,
for ``size:``, into the int compressed size of a sizes-only write), and back:
it spots same-filled pages so a writer can name them symbolically.

Exact byte definitions (``P`` is the page size; see docs/trace-format.md):

- ``zero``: ``bytes(P)``.
- ``fill:<hex>``: the 64-bit word, little-endian, repeated ``P / 8`` times.
  ``fill:0x0102030405060708`` gives a page starting ``08 07 06 05 04 03 02 01
  08 07 ...``.  The ``0x`` prefix is optional; 1 to 16 hex digits.
- ``random:<seed>``: ``random.Random(seed).randbytes(P)`` for a decimal seed in
  ``0 .. 2**64 - 1`` (equivalently ``getrandbits(8 * P).to_bytes(P, "little")``).
- ``file:<path>:<n>``: bytes ``n * P`` up to ``(n + 1) * P`` of the file,
  zero-padded past its end.  Page 2 of a 9000-byte file at P = 4096 is bytes
  8192..8999 followed by 3288 zero bytes.
- ``size:<n>``: no bytes at all, the int ``n >= 1``.

Same-filled means what zram means (``workloads.events.same_filled_word``).
"""

from __future__ import annotations

import os
import random
import re
import stat
from collections import OrderedDict

from workloads.events import MAX_U64, WORD

DEFAULT_PAGE_SIZE = 4096
MIN_PAGE_SIZE = 4096
# The largest base page Linux supports (hexagon, powerpc 256K configs); bigger
# values would only let a malformed trace ask for absurd allocations.
MAX_PAGE_SIZE = 256 * 1024

_DECIMAL = re.compile(r"[0-9]{1,20}", re.ASCII)    # what parse_u64 accepts
_HEX = re.compile(r"(?:0[xX])?([0-9a-fA-F]{1,16})", re.ASCII)


class ContentError(Exception):
    """A content word or number is malformed; the reader adds the file and line."""


def page_size_problem(page_size: object) -> str | None:
    """Why ``page_size`` is unusable, or None if it is a power of two in range."""
    if not isinstance(page_size, int) or isinstance(page_size, bool):
        return f"page_size {page_size!r} is not an integer"
    if page_size < MIN_PAGE_SIZE or page_size > MAX_PAGE_SIZE:
        return f"page_size {page_size} is outside {MIN_PAGE_SIZE}..{MAX_PAGE_SIZE}"
    if page_size & (page_size - 1):
        return f"page_size {page_size} is not a power of two"
    return None


def parse_u64(text: str, what: str) -> int:
    """A plain decimal number in 0 .. 2**64 - 1 (no sign, no underscores)."""
    # what _DECIMAL matches, tested without the regex (half the time; every line has one)
    if not (text.isascii() and text.isdigit() and len(text) <= 20):
        raise ContentError(f"bad {what} {text!r}: expected a non-negative decimal integer")
    value = int(text)
    if value > MAX_U64:
        raise ContentError(f"bad {what} {text!r}: larger than 2**64 - 1")
    return value


def size_problem(size: int, page_size: int) -> str:
    """Why ``size:<size>`` is no compressed length of a ``page_size`` page.

    Anything at or above the huge threshold is stored as the raw page, so a
    size above the page itself can only be a mistake.
    """
    if size < 1:
        return "bad size 0: a compressed size is at least 1"
    return f"bad size {size}: larger than the {page_size}-byte page"


def parse_fill_word(text: str) -> int:
    """The word of ``fill:<text>``: 1 to 16 hex digits, optional ``0x``."""
    match = _HEX.fullmatch(text)
    if not match:
        raise ContentError(
            f"bad fill value {text!r}: expected 1 to 16 hex digits, optionally after 0x")
    return int(match.group(1), 16)


def zero_page(page_size: int) -> bytes:
    """An all-zero page."""
    return bytes(page_size)


def fill_page(word: int, page_size: int) -> bytes:
    """The page holding ``word`` (little-endian) in every 8-byte slot."""
    return word.to_bytes(WORD, "little") * (page_size // WORD)


def random_page(seed: int, page_size: int) -> bytes:
    """The incompressible page of ``random:<seed>``."""
    return random.Random(seed).randbytes(page_size)


def fill_word_text(word: int) -> str:
    """How a writer spells a same-filled page: ``zero`` or ``fill:0x<16 hex>``."""
    return "zero" if word == 0 else f"fill:0x{word:016x}"


class PageFiles:
    """Pages read out of files for ``file:`` contents, with cached open handles.

    Relative paths are taken from ``base_dir`` (the trace file's folder).  Unless
    ``allow_outside`` is true, a path may not leave that folder: absolute paths
    are refused, and so is any path whose real location (after ``..`` and
    symlinks are resolved) is not inside the folder's real location.  At most
    ``max_open`` files stay open; the least recently used one is closed first.
    """

    def __init__(self, base_dir: str, page_size: int, *, allow_outside: bool = False,
                 max_open: int = 16) -> None:
        self.base_dir = os.path.abspath(base_dir)
        self.page_size = page_size
        self.allow_outside = allow_outside
        self.max_open = max_open
        self._real_base = os.path.realpath(self.base_dir)
        self._open: OrderedDict[str, tuple[object, int]] = OrderedDict()
        self._latest: tuple[str, tuple[object, int]] | None = None   # the most recent entry
        self.refused: set[str] = set()   # real paths a command is writing: never read them

    def resolve(self, name: str) -> str:
        """The absolute path ``name`` stands for, or ContentError if refused."""
        if not name:
            raise ContentError("empty file path")
        if "\0" in name:
            raise ContentError(f"file path {name!r} contains a NUL byte")
        if os.path.isabs(name) and not self.allow_outside:
            raise ContentError(
                f"absolute file path {name!r} refused (pass allow_outside to permit it)")
        full = os.path.join(self.base_dir, name)
        if not self.allow_outside:
            real = os.path.realpath(full)
            if os.path.commonpath([real, self._real_base]) != self._real_base:
                raise ContentError(
                    f"file path {name!r} leaves the trace folder {self.base_dir}"
                    " (pass allow_outside to permit it)")
        return full

    def _handle(self, name: str) -> tuple[object, int]:
        latest = self._latest
        if latest is not None and latest[0] == name:    # most lines: the same file again
            return latest[1]
        entry = self._open.get(name)
        if entry is not None:
            self._open.move_to_end(name)
            self._latest = (name, entry)
            return entry
        full = self.resolve(name)
        if os.path.realpath(full) in self.refused:
            raise ContentError(f"file {name!r} is also this command's output: write to"
                               " another name")
        try:
            # stat first: opening a FIFO would wait for a writer, a device may act
            _require_regular(name, os.stat(full).st_mode)
            fd = os.open(full, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        except (OSError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise ContentError(f"cannot open file {name!r}: {reason}") from None
        handle = os.fdopen(fd, "rb")
        try:
            info = os.fstat(fd)
            _require_regular(name, info.st_mode)    # swapped in after the stat
            size = info.st_size
        except OSError as exc:
            handle.close()
            raise ContentError(f"cannot read file {name!r}: {exc.strerror}") from None
        except ContentError:
            handle.close()
            raise
        self._open[name] = (handle, size)
        if len(self._open) > self.max_open:
            _, (oldest, _) = self._open.popitem(last=False)
            oldest.close()
        self._latest = (name, (handle, size)) if name in self._open else None
        return handle, size

    def page(self, name: str, number: int) -> bytes:
        """Page ``number`` of file ``name``, zero-padded past the end of the file."""
        handle, size = self._handle(name)
        offset = number * self.page_size
        if offset >= size:
            return bytes(self.page_size)
        try:
            data = os.pread(handle.fileno(), self.page_size, offset)   # no seek, no buffer
        except OSError as exc:
            raise ContentError(f"cannot read file {name!r}: {exc.strerror}") from None
        if len(data) < self.page_size:
            data += bytes(self.page_size - len(data))
        return data

    def close(self) -> None:
        """Close every cached handle."""
        self._latest = None
        while self._open:
            _, (handle, _) = self._open.popitem()
            handle.close()


_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"),
          (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"))


def _require_regular(name: str, mode: int) -> None:
    """ContentError unless ``mode`` is a regular file's: pages come from files only."""
    if stat.S_ISREG(mode):
        return
    kind = next((what for test, what in _KINDS if test(mode)), "not a regular file")
    raise ContentError(f"file {name!r} is {kind}, not a regular file")


class ContentDecoder:
    """Turns content words into page bytes (or an int size) for one page size."""

    def __init__(self, page_size: int, files: PageFiles) -> None:
        self.page_size = page_size
        self.files = files
        self._zero = zero_page(page_size)
        self._keywords = {
            "fill": self._fill,
            "random": self._random,
            "file": self._file,
            "size": self._size,
        }

    def decode(self, word: str) -> bytes | int:
        """The page bytes, or the int size for ``size:<n>``; ContentError if malformed."""
        if word == "zero":
            return self._zero
        keyword, colon, rest = word.partition(":")
        handler = self._keywords.get(keyword) if colon else None
        if handler is None:
            raise ContentError(
                f"unknown content {word!r}: expected zero, fill:<hex>, random:<seed>,"
                " file:<path>:<n> or size:<n>")
        return handler(rest)

    def _fill(self, rest: str) -> bytes:
        word = parse_fill_word(rest)
        return self._zero if word == 0 else fill_page(word, self.page_size)

    def _random(self, rest: str) -> bytes:
        return random_page(parse_u64(rest, "random seed"), self.page_size)

    def _file(self, rest: str) -> bytes:
        name, colon, number = rest.rpartition(":")
        if not colon:
            raise ContentError(f"bad file content 'file:{rest}': expected file:<path>:<n>")
        return self.files.page(name, parse_u64(number, "file page number"))

    def _size(self, rest: str) -> int:
        size = parse_u64(rest, "size")
        if not 1 <= size <= self.page_size:
            raise ContentError(size_problem(size, self.page_size))
        return size


def fraction_read(file) -> float:
    """Share of an open file consumed so far, 0.0 to 1.0: what a progress bar shows.

    A pipe has no size to measure against: 0.0 until its end is known.
    """
    try:
        info = os.fstat(file.fileno())
        position = file.tell()
    except (OSError, ValueError):       # io.UnsupportedOperation is both
        return 0.0
    if not stat.S_ISREG(info.st_mode):
        return 0.0
    return min(position / info.st_size, 1.0) if info.st_size else 1.0
