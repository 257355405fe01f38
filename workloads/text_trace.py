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

Version 2 (``zramsim-trace 2``) adds two operations; version 1 lines mean the
same in both::

    S writeback type=huge_idle   # echo 'type=huge_idle' > /sys/block/zram0/writeback
    T 3600                       # 3600 simulated seconds pass (a decimal: T 0.25)

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
    ContentDecoder,
    ContentError,
    PageFiles,
    fill_word_text,
    fraction_read,
    page_size_problem,
    parse_u64,
    size_problem,
)
from workloads.errors import OutputError, TraceFormatError, open_trace_file
from workloads.events import (COMPACT, DISCARD, READ, SET, TIME, WRITE, PageEvent,
                              discard_problem, event_problem, same_filled_word)
from workloads.output_file import OutputFile

_new = tuple.__new__             # PageEvent without its Python-level __new__ (~0.2 us)
MAGIC = "zramsim-trace"
VERSION = "1"
VERSIONS = ("1", "2")       # 2 = 1 plus S (attribute write) and T (clock)
NS_PER_SECOND = 10 ** 9
SIDE_SUFFIX = ".pages"
# Digests of side-file pages remembered for sharing; past this the map restarts.
SIDE_DEDUP_ENTRIES = 1 << 16
# The longest line accepted, in bytes: a real line is under 4200 (a file: path
# of PATH_MAX), so a longer one is a damaged or hostile file, refused before it
# is held in memory.
MAX_LINE = 1 << 16
BOM = b"\xef\xbb\xbf"


class TextTraceReader:
    """Streams the ``PageEvent`` records of a version 1 or 2 text trace (single pass)."""

    format = "text"

    def __init__(self, path: str | os.PathLike, *, allow_outside: bool = False,
                 page_size: int | None = None, stream=None, folder: str | None = None) -> None:
        """``stream``: the trace already open (binary, at its start), ``path`` then names
        it; ``folder``: where ``file:`` paths start (default: the trace's folder)."""
        self.path = os.fspath(path)
        self.page_size = DEFAULT_PAGE_SIZE
        self.version = VERSION
        self._line = 0
        self._last = 0
        self._pending: list[str] | None = None
        self._file = open_trace_file(self.path, stream)
        try:
            if self._file.peek(len(BOM))[:len(BOM)] == BOM:
                self._file.read(len(BOM))         # a UTF-8 byte order mark is tolerated
            self._token_lines = self._lines_of_tokens()
            self._read_header()
            if page_size is not None and page_size != self.page_size:
                raise TraceFormatError(
                    self.path, self._page_size_line,
                    f"trace page_size {self.page_size} differs from requested {page_size}")
        except BaseException:
            self._file.close()
            raise
        if folder is None:
            folder = os.path.dirname(os.path.abspath(self.path))
        self._files = PageFiles(folder, self.page_size, allow_outside=allow_outside)
        self._decoder = ContentDecoder(self.page_size, self._files)

    def _next_tokens(self) -> list[str] | None:
        """The tokens of the next line that is not blank or a comment; None at EOF."""
        return next(self._token_lines, None)

    def _lines_of_tokens(self):
        """The tokens of each line that is not blank or a comment, counting lines.

        One generator for the whole file: its locals stay bound from line to
        line, cheaper than a call per line (~0.1 us of ~2.7 a ``file:`` line)."""
        readline = self._file.readline
        limit = MAX_LINE + 1
        while raw := readline(limit):
            self._line += 1
            if len(raw) > MAX_LINE:
                raise TraceFormatError(self.path, self._line,
                                       f"line longer than {MAX_LINE} bytes")
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise TraceFormatError(self.path, self._line, "line is not UTF-8 text") from None
            tokens = (text.split("#", 1)[0] if "#" in text else text).split()
            if tokens:
                yield tokens

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
        if tokens[1] not in VERSIONS:
            raise self._fail(f"unsupported version {tokens[1]!r} (this reader knows "
                             f"{' and '.join(VERSIONS)})")
        if len(tokens) > 2:
            raise self._fail(f"extra tokens after '{MAGIC} {tokens[1]}': "
                             f"{' '.join(tokens[2:])!r}")
        self.version = tokens[1]
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

    def refuse_reading(self, paths) -> None:
        """Make ``file:`` contents naming any of ``paths`` an error (they are being written)."""
        self._files.refused.update(os.path.realpath(p) for p in paths)

    def location(self) -> str:
        """``path:line`` of the last record yielded (line 0 before the first)."""
        return f"{self.path}:{self._last}"

    def fraction_read(self) -> float:
        """Share of the file consumed so far (0.0 to 1.0), for progress displays."""
        return fraction_read(self._file)

    def __iter__(self):
        tokens, self._pending = self._pending, None
        if tokens is None:
            return
        parse = self._parse
        event = parse(tokens)
        self._last = self._line
        yield event
        for tokens in self._token_lines:
            event = parse(tokens)
            self._last = self._line
            yield event

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
                problem = discard_problem(index, count)
                if problem:
                    raise self._fail(problem)
                return PageEvent(DISCARD, index, count)
            if op == COMPACT:
                self._arity(tokens, 1, "C")
                return PageEvent(COMPACT, 0, None)
        except ContentError as exc:
            raise self._fail(str(exc)) from None
        if op == "page_size":
            raise self._fail("page_size must come before the first operation")
        if op in (SET, TIME):
            return self._parse_v2(tokens)
        raise self._fail(f"unknown operation {op!r} (expected W, R, D or C)")

    def _parse_v2(self, tokens: list[str]) -> PageEvent:
        """``S <attribute> <value...>`` and ``T <seconds>``, only in version 2."""
        if self.version == "1":
            raise self._fail(f"operation {tokens[0]!r} needs '{MAGIC} 2' (this trace is "
                             f"version 1)")
        if tokens[0] == SET:
            if len(tokens) < 3:
                raise self._fail("expected 'S <attribute> <value>'" + _extra(tokens, 3))
            return PageEvent(SET, 0, (tokens[1], " ".join(tokens[2:])))
        self._arity(tokens, 2, "T <seconds>")
        return PageEvent(TIME, 0, self._seconds(tokens[1]))

    def _seconds(self, text: str) -> int:
        """Nanoseconds from a non-negative decimal: ``1.5`` -> 1500000000."""
        whole, dot, fraction = text.partition(".")
        if not (whole.isascii() and whole.isdigit()) or (
                dot and not (fraction.isascii() and fraction.isdigit())):
            raise self._fail(f"bad seconds {text!r}: expected a non-negative decimal "
                             f"such as 60 or 0.25")
        if len(fraction) > 9:
            raise self._fail(f"bad seconds {text!r}: finer than a nanosecond")
        return int(whole) * NS_PER_SECOND + int(fraction.ljust(9, "0") or 0)

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
    """Writes ``PageEvent`` records as a text trace (version 1, or 2 for S and T).

    Pages that are not same-filled go to the side file ``<path>.pages`` (created
    only when needed) and are referenced by ``file:`` with the side file's name,
    which sits in the same folder as the trace, so the pair can be moved together.
    Both are written to temporary files and put in place by ``close``; if the
    ``with`` block raises they are discarded and existing targets stay as they were.
    """

    def __init__(self, path: str | os.PathLike, page_size: int = DEFAULT_PAGE_SIZE,
                 version: str = VERSION) -> None:
        if version not in VERSIONS:
            raise ValueError(f"no text trace version {version!r}")
        self.version = version
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
        self._side_output: OutputFile | None = None
        self._output = OutputFile(self.path)     # temporary files until close()
        try:
            self._out = self._output.open(text=True)
            self._out.write(f"{MAGIC} {version}\npage_size {page_size}\n")
        except BaseException:                    # Ctrl-C, say: no temporary file left
            self._output.discard()
            raise

    def write(self, event: PageEvent) -> None:
        """Append one event; ValueError if it is not a valid event for this page size."""
        problem = event_problem(event, self.page_size)
        op, index, arg = event
        if not problem and op == WRITE and type(arg) is int and arg > self.page_size:
            problem = size_problem(arg, self.page_size)
        if problem:
            raise ValueError(problem)
        if op == WRITE:
            self._out.write(f"W {index} {self._content(arg)}\n")
        elif op == READ:
            self._out.write(f"R {index}\n")
        elif op == DISCARD:
            self._out.write(f"D {index}\n" if arg == 1 else f"D {index} {arg}\n")
        elif op in (SET, TIME):
            if self.version == VERSION:
                raise ValueError(f"operation {op!r} needs a version 2 text trace")
            self._out.write(f"S {arg[0]} {arg[1]}\n" if op == SET else
                            f"T {arg // NS_PER_SECOND}.{arg % NS_PER_SECOND:09d}\n")
        else:
            self._out.write("C\n")

    def _content(self, arg: bytes | int) -> str:
        if type(arg) is int:
            return f"size:{arg}"
        word = same_filled_word(arg)
        if word is not None:
            return fill_word_text(word)
        return f"file:{self._side_name}:{self._side_page(arg)}"

    def _side_page(self, page: bytes) -> int:
        digest = hashlib.blake2b(page, digest_size=16).digest()
        number = self._seen.get(digest)
        if number is None:
            if self._side is None:
                if self._output.in_place:       # standard output, /dev/null, a FIFO
                    where = "standard output" if self._output.is_stdout else self.path
                    raise OutputError(where, "page bytes go to a side file beside a text"
                                      f" trace: write a binary trace to {where}")
                self._side_output = OutputFile(self.side_path)
                self._side = self._side_output.open()
            self._side.write(page)
            number = self._side_pages
            self._side_pages += 1
            if len(self._seen) >= SIDE_DEDUP_ENTRIES:
                self._seen.clear()
            self._seen[digest] = number
        return number

    def close(self) -> None:
        """Put the side file, then the trace, in place of their targets."""
        if self._out.closed:
            return
        outputs = [out for out in (self._side_output, self._output) if out is not None]
        try:
            for output in outputs:              # every byte written before either is put
                output.finish()                 # in place: never a side file alone
            for output in outputs:
                output.commit()
        except BaseException:
            self.discard()
            raise
        if self._side is not None:
            self._side.close()
        self._out.close()

    def discard(self) -> None:
        """Drop what was written: existing files at the targets stay as they were."""
        for output in (self._side_output, self._output):
            if output is not None:
                output.discard()
        self._out.close()
        if self._side is not None:
            self._side.close()

    def __enter__(self) -> TextTraceWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.discard()
