"""Text traces, version 1: a page workload people can read, write and diff.

A text trace is one operation per line, after a magic line::

    # a comment runs from '#' to the end of the line
    zramsim-trace 1
    page_size 4096          # optional, before the first operation
    W 0 zero                # write an all-zero page to slot 0
    W 1 fill:0xdeadbeef     # a same-filled page
    W 2 random:7            # random.Random(7).randbytes(4096)
    W 3 file:data.bin:2     # bytes 8192..12287 of data.bin, next to the trace
    W 4 size:1234           # sizes only: a page compressing to 1234 bytes
    R 2                     # read slot 2
    D 0 2                   # discard slots 0 and 1
    C                       # compact

The reader streams: it holds one line at a time, reads the header (magic and
``page_size``) in its constructor, and yields ``PageEvent`` records.  Every
malformed line raises ``TraceFormatError(path, line, reason)``.  Contents are
decoded by ``workloads.contents``; ``file:`` paths stay inside the trace's
folder unless ``allow_outside=True``.

The writer spells what it can symbolically (``zero``, ``fill:0x...``,
``size:``) and stores other page bytes in a side file ``<trace>.pages``, one
page per record, referenced as ``file:<trace name>.pages:<n>``.  Identical pages
share a record: 1000 writes of the same text page cost 4096 bytes, not 4 MB.
"""

from __future__ import annotations

import hashlib
import os

from workloads.contents import (
    DEFAULT_PAGE_SIZE,
    MAX_U64,
    ContentDecoder,
    ContentError,
    PageFiles,
    fill_word_text,
    fraction_read,
    page_size_problem,
    parse_u64,
    same_filled_word,
)
from workloads.errors import TraceFormatError
from workloads.events import COMPACT, DISCARD, READ, WRITE, PageEvent

_new = tuple.__new__             # PageEvent without its Python-level __new__ (~0.2 us)
MAGIC = "zramsim-trace"
VERSION = "1"
SIDE_SUFFIX = ".pages"
# Digests of side-file pages remembered for sharing; past this the map restarts.
SIDE_DEDUP_ENTRIES = 1 << 16


class TextTraceReader:
    """Streams the ``PageEvent`` records of a version 1 text trace (single pass)."""

    format = "text"

    def __init__(self, path: str | os.PathLike, *, allow_outside: bool = False,
                 page_size: int | None = None) -> None:
        self.path = os.fspath(path)
        self.page_size = DEFAULT_PAGE_SIZE
        self._line = 0
        self._last = 0
        self._pending: list[str] | None = None
        try:
            self._file = open(self.path, "rb")
        except OSError as exc:
            raise TraceFormatError(self.path, 0, f"cannot open trace: {exc.strerror}") from None
        try:
            self._read_header()
            if page_size is not None and page_size != self.page_size:
                raise TraceFormatError(
                    self.path, self._page_size_line,
                    f"trace page_size {self.page_size} differs from requested {page_size}")
        except BaseException:
            self._file.close()
            raise
        folder = os.path.dirname(os.path.abspath(self.path))
        self._files = PageFiles(folder, self.page_size, allow_outside=allow_outside)
        self._decoder = ContentDecoder(self.page_size, self._files)

    def _next_tokens(self) -> list[str] | None:
        """The tokens of the next line that is not blank or a comment; None at EOF."""
        for raw in self._file:
            self._line += 1
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise TraceFormatError(self.path, self._line, "line is not UTF-8 text") from None
            tokens = text.split("#", 1)[0].split()
            if tokens:
                return tokens
        return None

    def _fail(self, reason: str) -> TraceFormatError:
        return TraceFormatError(self.path, self._line, reason)

    def _read_header(self) -> None:
        tokens = self._next_tokens()
        if tokens is None:
            raise TraceFormatError(self.path, max(self._line, 1),
                                   f"empty trace: missing magic line '{MAGIC} {VERSION}'")
        if tokens[0] != MAGIC:
            raise self._fail(f"missing magic line '{MAGIC} {VERSION}' (found {tokens[0]!r})")
        if len(tokens) < 2:
            raise self._fail(f"missing version after '{MAGIC}'")
        if tokens[1] != VERSION:
            raise self._fail(f"unsupported version {tokens[1]!r} (this reader knows {VERSION})")
        if len(tokens) > 2:
            raise self._fail(f"extra tokens after '{MAGIC} {VERSION}': {' '.join(tokens[2:])!r}")
        self._magic_line = self._line
        self._page_size_line = self._line       # where the page size was decided
        tokens = self._next_tokens()
        while tokens is not None and tokens[0] == "page_size":
            if self._page_size_line != self._magic_line:
                raise self._fail("page_size given twice")
            self.page_size = self._parse_page_size(tokens)
            self._page_size_line = self._line
            tokens = self._next_tokens()
        self._pending = tokens

    def _parse_page_size(self, tokens: list[str]) -> int:
        if len(tokens) != 2:
            raise self._fail("expected 'page_size <bytes>'")
        try:
            value = parse_u64(tokens[1], "page_size")
        except ContentError as exc:
            raise self._fail(str(exc)) from None
        problem = page_size_problem(value)
        if problem:
            raise self._fail(f"{problem} (must be a power of two >= 4096)")
        return value

    def location(self) -> str:
        """``path:line`` of the last record yielded (line 0 before the first)."""
        return f"{self.path}:{self._last}"

    def fraction_read(self) -> float:
        """Share of the file consumed so far (0.0 to 1.0), for progress displays."""
        return fraction_read(self._file)

    def __iter__(self):
        tokens, self._pending = self._pending, None
        while tokens is not None:
            event = self._parse(tokens)
            self._last = self._line
            yield event
            tokens = self._next_tokens()

    def _parse(self, tokens: list[str]) -> PageEvent:
        op = tokens[0]
        try:
            if op == WRITE:             # most lines: no call that can be saved is made
                if len(tokens) != 3:
                    self._arity(tokens, 3, "W <index> <content>")
                return _new(PageEvent, (WRITE, parse_u64(tokens[1], "index"),
                                        self._decoder.decode(tokens[2])))
            if op == READ:
                self._arity(tokens, 2, "R <index>")
                return PageEvent(READ, self._index(tokens[1]), None)
            if op == DISCARD:
                if len(tokens) not in (2, 3):
                    raise self._fail("expected 'D <index> [<count>]'"
                                     + _extra(tokens, 3))
                index = self._index(tokens[1])
                count = parse_u64(tokens[2], "count") if len(tokens) == 3 else 1
                if count < 1:
                    raise self._fail("bad count 0: a discard covers at least 1 page")
                if index + count - 1 > MAX_U64:
                    raise self._fail(f"discard of {count} pages from {index} passes 2**64")
                return PageEvent(DISCARD, index, count)
            if op == COMPACT:
                self._arity(tokens, 1, "C")
                return PageEvent(COMPACT, 0, None)
        except ContentError as exc:
            raise self._fail(str(exc)) from None
        if op == "page_size":
            raise self._fail("page_size must come before the first operation")
        raise self._fail(f"unknown operation {op!r} (expected W, R, D or C)")

    def _arity(self, tokens: list[str], count: int, form: str) -> None:
        if len(tokens) != count:
            raise self._fail(f"expected '{form}'" + _extra(tokens, count))

    def _index(self, text: str) -> int:
        return parse_u64(text, "index")

    def close(self) -> None:
        """Close the trace and every cached ``file:`` handle."""
        self._file.close()
        if hasattr(self, "_files"):
            self._files.close()

    def __enter__(self) -> TextTraceReader:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def _extra(tokens: list[str], allowed: int) -> str:
    if len(tokens) > allowed:
        return f": extra tokens {' '.join(tokens[allowed:])!r}"
    return f": missing fields after {' '.join(tokens)!r}"


class TextTraceWriter:
    """Writes ``PageEvent`` records as a version 1 text trace.

    Pages that are not same-filled go to the side file ``<path>.pages`` (created
    only when needed) and are referenced by ``file:`` with the side file's name,
    which sits in the same folder as the trace, so the pair can be moved together.
    """

    def __init__(self, path: str | os.PathLike, page_size: int = DEFAULT_PAGE_SIZE) -> None:
        problem = page_size_problem(page_size)
        if problem:
            raise ValueError(problem)
        self.path = os.fspath(path)
        self.page_size = page_size
        self.side_path = self.path + SIDE_SUFFIX
        self._side_name = os.path.basename(self.side_path)
        if any(ch.isspace() or ch == "#" for ch in self._side_name):
            raise ValueError(f"side file name {self._side_name!r} cannot appear in a text"
                             " trace (it holds whitespace or '#')")
        self._side = None
        self._side_pages = 0
        self._seen: dict[bytes, int] = {}
        self._out = open(self.path, "w", encoding="utf-8", newline="\n")
        self._out.write(f"{MAGIC} {VERSION}\npage_size {page_size}\n")

    def write(self, event: PageEvent) -> None:
        """Append one event; ValueError if it is not a valid event for this page size."""
        op, index, arg = event
        if op == WRITE:
            self._out.write(f"W {index} {self._content(arg)}\n")
        elif op == READ:
            self._out.write(f"R {index}\n")
        elif op == DISCARD:
            self._out.write(f"D {index}\n" if arg == 1 else f"D {index} {arg}\n")
        elif op == COMPACT:
            self._out.write("C\n")
        else:
            raise ValueError(f"unknown operation {op!r}")

    def _content(self, arg: bytes | int) -> str:
        if isinstance(arg, int):
            return f"size:{arg}"
        if len(arg) != self.page_size:
            raise ValueError(f"page of {len(arg)} bytes in a trace of {self.page_size}-byte pages")
        word = same_filled_word(arg)
        if word is not None:
            return fill_word_text(word)
        return f"file:{self._side_name}:{self._side_page(arg)}"

    def _side_page(self, page: bytes) -> int:
        digest = hashlib.blake2b(page, digest_size=16).digest()
        number = self._seen.get(digest)
        if number is None:
            if self._side is None:
                self._side = open(self.side_path, "wb")
            self._side.write(page)
            number = self._side_pages
            self._side_pages += 1
            if len(self._seen) >= SIDE_DEDUP_ENTRIES:
                self._seen.clear()
            self._seen[digest] = number
        return number

    def close(self) -> None:
        """Flush and close the trace and its side file."""
        self._out.close()
        if self._side is not None:
            self._side.close()

    def __enter__(self) -> TextTraceWriter:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
