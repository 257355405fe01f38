"""Binary traces: millions of page events, streamed in constant memory.

A text trace names its pages; a captured workload has real page bytes, and a
million 4 KiB pages is 4 GB.  The binary form stores them compactly: records
go through one zstd stream, same-filled pages shrink to their 8-byte word, and
a page whose bytes were stored recently becomes a reference to that copy.

Layout (all integers little-endian; docs/trace-format.md has the full table)::

    0   u32  0x184D2A5E   zstd skippable-frame magic: zstd tools skip the header
    4   u32  24           header payload length
    8   8s   b"ZRAMSIMT"  our magic
    16  u16  1            version
    18  u16  0            flags (none defined)
    20  u32  page_size
    24  u32  dict_pages   size of the reference window, in pages
    28  u32  0            reserved
    32  ...  one zstd frame (with checksum) holding the records
    then a 16-byte trailer, another skippable frame:
         u32 0x184D2A5E, u32 8, u64 length of the zstd frame in bytes

The end record inside the frame and the trailer after it let a reader tell a
complete trace from a cut one (zstd itself reads a cut frame without error).

Each record is one opcode byte, then fixed-width fields: the low 4 bits are
the record kind, bits 4-5 the width of the slot index and bits 6-7 the width
of the argument (0, 1, 2, 3 mean 1, 2, 4, 8 bytes).  ``W 70000 size:1234``
is opcode ``0x04 | 2 << 4 | 1 << 6 = 0x64``, then ``70 11 01 00`` (70000 as
u32), then ``d2 04`` (1234 as u16): 7 bytes before compression.

Deduplication window: the n-th literal page (counting from 0) goes to window
slot ``n % dict_pages`` and stays referable until literal ``n + dict_pages``
replaces it.  The writer (``workloads.page_window``) and the reader each keep
one page per slot: at most ``dict_pages`` pages, 16 MiB by default (4096
pages of 4 KiB).
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable

from workloads.contents import (
    DEFAULT_PAGE_SIZE,
    fill_page,
    fraction_read,
    page_size_problem,
    size_problem,
)
from workloads.errors import BadOption, OutputError, TraceFormatError, open_trace_file
from workloads.events import (COMPACT, DISCARD, READ, WRITE, PageEvent, discard_problem,
                              event_problem, same_filled_word)
from workloads.output_file import OutputFile, output_error
from workloads.page_window import PageWindow
from workloads.zstd_frame import FrameWriter, HelperFailed

HEADER = struct.Struct("<II8sHHIII")
TRAILER = struct.Struct("<IIQ")
SKIPPABLE_MAGIC = 0x184D2A5E
PAYLOAD_LEN = HEADER.size - 8
TAG = b"ZRAMSIMT"
VERSION = 1
DEFAULT_DICT_BYTES = 16 << 20
# zstd's level -1 (a "fast" level, no Huffman-coded literals) reads back 1.6x as
# fast as level 3, which a replay of the trace pays on every page: streaming
# 200 MB of real-page records, 2.95 -> 1.85 us of CPU a 4 KiB page, and the
# frame 34% -> 45% of the records' size; writing it takes half as long.
# ``--zstd-level`` chooses another level (19: smallest, slow to write).
DEFAULT_LEVEL = -1
LEVELS = (-7, 22)           # offered: zstd's fast levels down to -7, up to its maximum
CHUNK = 1 << 20

# Record kinds (low 4 bits of the opcode) and which fields each one carries:
# (has index, has argument, trailing fixed field: "" or "Q" for a fill word).
END, PAGE, REF, FILL, SIZE, RD, DISC, COMP = range(8)
_FIELDS = {
    END: (False, True, ""),     # argument: number of records before this one
    PAGE: (True, False, ""),    # followed by page_size bytes
    REF: (True, True, ""),      # argument: window slot
    FILL: (True, False, "Q"),   # the same-filled word
    SIZE: (True, True, ""),     # argument: compressed size
    RD: (True, False, ""),
    DISC: (True, True, ""),     # argument: page count
    COMP: (False, False, ""),
}
_WIDTH_FORMATS = "BHIQ"


def _build_table() -> list[tuple[int, struct.Struct] | None]:
    """Opcode byte -> (kind, field struct); None for opcodes with no meaning."""
    table: list[tuple[int, struct.Struct] | None] = [None] * 256
    for opcode in range(256):
        kind, index_width, arg_width = opcode & 15, (opcode >> 4) & 3, opcode >> 6
        if kind not in _FIELDS:
            continue
        has_index, has_arg, tail = _FIELDS[kind]
        if (index_width and not has_index) or (arg_width and not has_arg):
            continue
        fields = (_WIDTH_FORMATS[index_width] if has_index else "")
        fields += (_WIDTH_FORMATS[arg_width] if has_arg else "") + tail
        table[opcode] = (kind, struct.Struct("<" + fields))
    return table


_TABLE = _build_table()
# opcode and slot index of a PAGE record, by the index's width code
_PAGE_HEADS = [struct.Struct("<B" + _WIDTH_FORMATS[width]) for width in range(4)]


def _width(value: int) -> int:
    """The width code (0..3) of the narrowest unsigned field holding ``value``."""
    if value < 0x100:
        return 0
    if value < 0x10000:
        return 1
    return 2 if value < 0x100000000 else 3


class BinaryTraceWriter:
    """Writes ``PageEvent`` records to a binary trace; use as a context manager.

    The trace is written to a temporary file and put in place by ``close``; if
    the ``with`` block raises, it is discarded and an existing file at ``path``
    is left untouched. On standard output (``path`` ``-``) a trace cut short
    has no end record, so readers report it as truncated.
    """

    def __init__(self, path: str | os.PathLike, page_size: int = DEFAULT_PAGE_SIZE, *,
                 level: int = DEFAULT_LEVEL, dict_bytes: int = DEFAULT_DICT_BYTES,
                 helper: bool | Callable[[], bool] | None = None) -> None:
        """``helper``: where the zstd frame is compressed (``workloads.zstd_frame``:
        a function says whether a second core is free for a long trace)."""
        problem = page_size_problem(page_size)
        if problem:
            raise ValueError(problem)
        if type(level) is not int or not LEVELS[0] <= level <= LEVELS[1]:
            raise BadOption(f"zstd level {level!r}: give a whole number from {LEVELS[0]} "
                            f"(fastest) to {LEVELS[1]} (smallest)")
        self.path = os.fspath(path)
        self.page_size = page_size
        self.dict_pages = max(0, dict_bytes // page_size)
        if self.dict_pages & (self.dict_pages - 1):
            raise ValueError(f"a reference window of {self.dict_pages} pages: it must be a"
                             " power of two (or 0) so readers can check it")
        self.records = 0
        self._window = PageWindow(self.dict_pages) if self.dict_pages else None
        self._buf = bytearray()
        self._output = OutputFile(self.path)      # a temporary file until close()
        try:
            self._file = self._output.open()
            self._file.write(HEADER.pack(SKIPPABLE_MAGIC, PAYLOAD_LEN, TAG, VERSION, 0,
                                         page_size, self.dict_pages, 0))
            self._frame = FrameWriter(self._file, level, helper=helper)
        except BaseException:                     # Ctrl-C, say: no temporary file left
            self._output.discard()
            raise

    def _record(self, kind: int, *fields: int, index: int | None = None,
                arg: int | None = None) -> None:
        opcode = kind
        values = []
        if index is not None:
            opcode |= _width(index) << 4
            values.append(index)
        if arg is not None:
            opcode |= _width(arg) << 6
            values.append(arg)
        buf = self._buf
        buf.append(opcode)
        buf += _TABLE[opcode][1].pack(*values, *fields)
        self.records += 1
        if len(buf) >= CHUNK:
            self._frame_call(self._frame.write, buf)
            buf.clear()

    def _frame_call(self, method, *args):
        """``method(*args)`` of the frame writer, a compressing helper's failure
        told as any failure to write the output is."""
        try:
            return method(*args)
        except HelperFailed as exc:
            raise OutputError(self.path, str(exc)) from None
        except BrokenPipeError:                  # the reader of standard output left
            raise
        except OSError as exc:                   # the helper's own write failed
            raise output_error(self.path, exc) from None

    def write(self, event: PageEvent) -> None:
        """Append one event; ValueError if it is not a valid event for this page size."""
        problem = event_problem(event, self.page_size)
        if problem:
            raise ValueError(problem)
        op, index, arg = event
        if op == WRITE:
            self._write_page(index, arg)
        elif op == READ:
            self._record(RD, index=index)
        elif op == DISCARD:
            self._record(DISC, index=index, arg=arg)
        else:
            self._record(COMP)

    def _write_page(self, index: int, page: bytes | int) -> None:
        if type(page) is int:
            if not 1 <= page <= self.page_size:
                raise ValueError(size_problem(page, self.page_size))
            self._record(SIZE, index=index, arg=page)
            return
        word = same_filled_word(page)
        if word is not None:
            self._record(FILL, word, index=index)
            return
        if self._window is not None:
            slot = self._window.find_or_add(page)
            if slot is not None:
                self._record(REF, index=index, arg=slot)
                return
        # the PAGE record, written out: the commonest record, kept cheap
        width = _width(index)
        buf = self._buf
        buf += _PAGE_HEADS[width].pack(PAGE | width << 4, index)
        buf += page
        self.records += 1
        if len(buf) >= CHUNK:
            self._frame_call(self._frame.write, buf)
            buf.clear()

    def close(self) -> None:
        """Write the end record and put the file in place (a second close does nothing)."""
        if self._file.closed:
            return
        try:
            self._record(END, arg=self.records)
            self._frame_call(self._frame.write, self._buf)
            self._buf.clear()
            frame_length = self._frame_call(self._frame.close)
            self._file.write(TRAILER.pack(SKIPPABLE_MAGIC, TRAILER.size - 8, frame_length))
            self._output.commit()
        except BaseException:
            self.discard()
            raise
        self._file.close()

    def discard(self) -> None:
        """Drop what was written: an existing file at ``path`` stays as it was."""
        self._frame.abort()
        self._output.discard()
        self._file.close()

    def __enter__(self) -> BinaryTraceWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.discard()


class _TailKeeper:
    """The file as zstd reads it, remembering how many bytes went by and the last 16.

    The trailer sits after the zstd frame; zstd may already have read past the
    frame's end, so instead of seeking (impossible on a pipe) the reader
    drains what is left through here and checks the last bytes and the length.
    """

    def __init__(self, file) -> None:
        self._file = file
        self.count = 0
        self.tail = b""

    def read(self, size: int = -1) -> bytes:
        data = self._file.read(size)
        self.count += len(data)
        self.tail = (self.tail + data[-TRAILER.size:])[-TRAILER.size:]
        return data

    def drain(self) -> tuple[int, bytes]:
        """Read to the end of the file; (bytes read in all, the last TRAILER.size)."""
        while self.read(CHUNK):
            pass
        return self.count, self.tail


class BinaryTraceReader:
    """Streams the ``PageEvent`` records of a binary trace (single pass).

    Errors name the record number (1-based; the header is record 0) as the line.
    """

    format = "binary"

    def __init__(self, path: str | os.PathLike, *, page_size: int | None = None,
                 stream=None) -> None:
        """``stream``: the trace already open (binary, at its start); ``path`` then names it."""
        self.path = os.fspath(path)
        self._last = 0
        self._file = open_trace_file(self.path, stream)
        try:
            self._read_header(page_size)
        except BaseException:
            self._file.close()
            raise
        import zstandard      # here, not at every command's start (8 ms alone, ~1 with click)
        self._corrupt = zstandard.ZstdError
        self._source = _TailKeeper(self._file)
        self._stream = zstandard.ZstdDecompressor().stream_reader(self._source, read_size=CHUNK,
                                                                  closefd=False)

    def _read_header(self, wanted: int | None) -> None:
        raw = self._file.read(HEADER.size)
        if len(raw) < HEADER.size:
            raise TraceFormatError(self.path, 0, "truncated header")
        magic, length, tag, version, flags, page_size, window, reserved = HEADER.unpack(raw)
        if magic != SKIPPABLE_MAGIC or length != PAYLOAD_LEN or tag != TAG:
            raise TraceFormatError(self.path, 0, "not a zramsim binary trace (bad magic)")
        if version != VERSION:
            raise TraceFormatError(self.path, 0,
                                   f"unsupported version {version} (this reader knows {VERSION})")
        if flags or reserved:
            raise TraceFormatError(self.path, 0, "unknown header flags")
        problem = page_size_problem(page_size)
        if problem:
            raise TraceFormatError(self.path, 0, problem)
        if window > DEFAULT_DICT_BYTES * 16 // page_size:
            raise TraceFormatError(self.path, 0, f"reference window of {window} pages is too large")
        if window & (window - 1):
            raise TraceFormatError(self.path, 0, f"reference window of {window} pages is not"
                                                 " a power of two (damaged header)")
        if wanted is not None and wanted != page_size:
            raise TraceFormatError(self.path, 0,
                                   f"trace page_size {page_size} differs from requested {wanted}")
        self.page_size = page_size
        self.dict_pages = window

    def location(self) -> str:
        """``path:record`` of the last record yielded (0 before the first)."""
        return f"{self.path}:{self._last}"

    def fraction_read(self) -> float:
        """Share of the file consumed so far (0.0 to 1.0), for progress displays."""
        return fraction_read(self._file)

    def _read_into(self, view: memoryview, record: int) -> int:
        try:
            return self._stream.readinto(view)
        except self._corrupt as exc:
            raise TraceFormatError(self.path, record, f"corrupt compressed data: {exc}") from None

    def __iter__(self):
        path, page_size = self.path, self.page_size
        # per opcode: (kind, field unpacker, record length after the opcode byte)
        layout = [None if entry is None else
                  (entry[0], entry[1].unpack_from,
                   entry[1].size + (page_size if entry[0] == PAGE else 0))
                  for entry in _TABLE]
        window = [None] * self.dict_pages
        window_len = len(window)
        fills: dict[int, bytes] = {}
        new = tuple.__new__
        literals = 0
        record = 0
        need = 1 + 8 + 8 + page_size           # the longest record
        # Records are decompressed into one buffer, reused: what is left of the
        # last chunk moves to its front and the next chunk lands after it. (A
        # fresh bytes object a chunk, joined to the rest, copied every record
        # twice more and faulted in new memory each time: 3.50 -> 2.73 us of CPU
        # an event, reading 145,008 real pages written at zstd level -1.)
        buf = bytearray(need + CHUNK)
        view = memoryview(buf)
        pos, end, eof = 0, 0, False
        while True:
            record += 1
            if end - pos < need and not eof:
                view[:end - pos] = view[pos:end]        # a memoryview copies overlaps safely
                pos, end = 0, end - pos
                while not eof and end < need:
                    got = self._read_into(view[end:], record)
                    eof = not got
                    end += got
            if pos >= end:
                raise TraceFormatError(path, record, "truncated: the end record is missing")
            entry = layout[buf[pos]]
            if entry is None:
                raise TraceFormatError(path, record, f"unknown record opcode 0x{buf[pos]:02x}")
            kind, unpack, length = entry
            start = pos + 1
            pos = start + length
            if pos > end:
                raise TraceFormatError(path, record, "truncated in the middle of a record")
            values = unpack(buf, start)
            if kind == FILL:
                word = values[1]
                page = fills.get(word)
                if page is None:
                    if len(fills) >= 64:
                        fills.clear()
                    page = fills[word] = fill_page(word, page_size)
                event = new(PageEvent, (WRITE, values[0], page))
            elif kind == REF:
                slot = values[1]
                page = window[slot] if slot < window_len else None
                if page is None:
                    raise TraceFormatError(path, record, f"reference to empty window slot {slot}")
                event = new(PageEvent, (WRITE, values[0], page))
            elif kind == PAGE:
                page = bytes(view[pos - page_size:pos])
                if window_len:
                    window[literals % window_len] = page
                literals += 1
                event = new(PageEvent, (WRITE, values[0], page))
            elif kind == RD:
                event = new(PageEvent, (READ, values[0], None))
            elif kind == SIZE:
                if not 1 <= values[1] <= page_size:
                    raise TraceFormatError(path, record, size_problem(values[1], page_size))
                event = new(PageEvent, (WRITE, values[0], values[1]))
            elif kind == DISC:
                problem = discard_problem(values[0], values[1])
                if problem:
                    raise TraceFormatError(path, record, problem)
                event = new(PageEvent, (DISCARD, values[0], values[1]))
            elif kind == COMP:
                event = new(PageEvent, (COMPACT, 0, None))
            else:
                self._finish(values[0], record, bytes(view[pos:end]))
                return
            self._last = record
            yield event

    def _finish(self, count: int, record: int, rest: bytes) -> None:
        """Check the end record: its count, and that nothing follows it."""
        if count != record - 1:
            raise TraceFormatError(self.path, record,
                                   f"end record counts {count} records, found {record - 1}")
        if rest or self._read_into(memoryview(bytearray(1)), record):
            raise TraceFormatError(self.path, record, "data after the end record")
        size, trailer = self._source.drain()
        size += HEADER.size
        if len(trailer) < TRAILER.size:
            raise TraceFormatError(self.path, record, "truncated: the trailer is missing")
        magic, length, frame_length = TRAILER.unpack(trailer)
        if (magic, length) != (SKIPPABLE_MAGIC, TRAILER.size - 8):
            raise TraceFormatError(self.path, record, "truncated: the trailer is missing")
        if HEADER.size + frame_length + TRAILER.size != size:
            raise TraceFormatError(self.path, record,
                                   f"file is {size} bytes, its trailer says"
                                   f" {HEADER.size + frame_length + TRAILER.size}")

    def close(self) -> None:
        """Close the trace file (a reader exists only once its header was read)."""
        self._stream.close()
        self._file.close()

    def __enter__(self) -> BinaryTraceReader:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
