"""What ``zramctl`` prints for a device: util-linux 2.38's columns, layout and options.

People look at zram through ``zramctl``. This module computes its output from
our sysfs texts (``zramsim.sysfs``) the way util-linux computes it from the
real files, so ``zramsim replay --format zramctl`` can be diffed with the real
tool byte for byte. Learned from util-linux's sys-utils/zramctl.c and
libsmartcols, and checked against the real ``zramctl`` on a real ``/dev/zram0``.

Columns (``--output-all`` order; the default set is NAME ALGORITHM DISKSIZE
DATA COMPR TOTAL STREAMS MOUNTPOINT):

============  ====================================  =====  ==================
column        value                                 align  printed as
============  ====================================  =====  ==================
NAME          the device path (``/dev/zram0``)      left   as is
DISKSIZE      ``disksize``                          right  size
DATA          mm_stat 1 ``orig_data_size``          right  size
COMPR         mm_stat 2 ``compr_data_size``         right  size
ALGORITHM     text between the last ``[`` and       left   as is
              ``]`` of ``comp_algorithm``
STREAMS       ``max_comp_streams``: gone in Linux   right  empty
              6.15, so always empty here
ZERO-PAGES    mm_stat 6 ``same_pages``              right  number, always
TOTAL         mm_stat 3 ``mem_used_total``          right  size
MEM-LIMIT     mm_stat 4 ``mem_limit``               right  size
MEM-USED      mm_stat 5 ``mem_used_max`` (the peak) right  size
MIGRATED      mm_stat 7 ``pages_compacted``: a      right  size (a quirk:
              page count                                   191 pages -> 191B)
MOUNTPOINT    nothing: zramsim's device is never    left   empty
              mounted
============  ====================================  =====  ==================

A size is ``zramsim.sizes.human_size`` (``6.9M``), or with ``-b`` the bytes
exactly as the sysfs file has them.

Layout (libsmartcols, output to a pipe or file): a column is as wide as its
widest cell, and never narrower than its header, even with ``-n``. One quirk:
a column whose width hint exceeds that (DATA: header 4, hint 5) widens to the
hint when its widest cell is exactly the header's width, so DATA is 4 wide for
``7M`` but 5 for ``2.9M``. Cells are padded to the width (right-aligned ones on
the left), one space between columns, except that the last column is not
padded when left-aligned; an empty last cell still follows a separator.
``--raw`` joins the cells with single spaces, no padding (a blank or ``\\``
inside a cell would print as ``\\x20``/``\\x5c``; our names contain none).
A device with disksize 0 is not listed: the output is empty, header included.

Worked example, default columns, a 64 MiB lz4 device holding 1,800 pages
(orig 7,372,800 = 7.03 MiB -> ``7M``; compr 3,230,948 -> ``3.1M``; total
4,444,160 -> ``4.2M``)::

    NAME       ALGORITHM DISKSIZE DATA COMPR TOTAL STREAMS MOUNTPOINT
    /dev/zram0 lz4            64M   7M  3.1M  4.2M

where the row really ends in 9 blanks after ``4.2M``: a separator, STREAMS' 7,
and the separator before the empty MOUNTPOINT.

``OPTIONS`` declares zramctl's own options (``-o``, ``--output-all``, ``-b``,
``-n``, ``--raw``, ``--name``) for the command line (``zramsim.option_spec``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

from zramsim.option_spec import FLAG, Flag, Option
from zramsim.sizes import human_size

Files = Mapping[str, str]

MAX_COLUMNS = 24            # zramctl's column array holds twice its 12 columns


class ZramctlUsageError(ValueError):
    """zramctl options that cannot be: an unknown column in ``-o``, a name with blanks."""


def _mm_stat(field: int) -> Callable[[Files, str], str]:
    return lambda files, name: files["mm_stat"].split()[field]


def _algorithm(files: Files, name: str) -> str | None:
    text = files["comp_algorithm"].rstrip("\n")
    left, right = text.rfind("["), text.rfind("]")
    return text[left + 1:right] if left >= 0 and right - left > 1 else None


def _streams(files: Files, name: str) -> str | None:
    streams = files.get("max_comp_streams")        # absent since Linux 6.15
    return None if streams is None else streams.rstrip("\n")


@dataclass(frozen=True)
class Column:
    """One zramctl column: header, libsmartcols width hint, alignment, where its text comes from."""

    name: str
    hint: float          # >= 1: a width to widen to (see the module text); < 1: relative
    right: bool
    read: Callable[[Files, str], str | None]    # the text zramctl reads (None: nothing)
    size: bool = False   # printed as a size unless -b
    number: bool = False  # a count in the JSON form


COLUMNS: dict[str, Column] = {c.name: c for c in (
    Column("NAME", 0.25, False, lambda files, name: name),
    Column("DISKSIZE", 5, True, lambda files, name: files["disksize"].rstrip("\n"), size=True),
    Column("DATA", 5, True, _mm_stat(0), size=True),
    Column("COMPR", 5, True, _mm_stat(1), size=True),
    Column("ALGORITHM", 3, False, _algorithm),
    Column("STREAMS", 3, True, _streams, number=True),
    Column("ZERO-PAGES", 3, True, _mm_stat(5), number=True),
    Column("TOTAL", 5, True, _mm_stat(2), size=True),
    Column("MEM-LIMIT", 5, True, _mm_stat(3), size=True),
    Column("MEM-USED", 5, True, _mm_stat(4), size=True),
    Column("MIGRATED", 5, True, _mm_stat(6), size=True),     # pages, printed as a size
    Column("MOUNTPOINT", 0.10, False, lambda files, name: None),
)}
DEFAULT_COLUMNS = ("NAME", "ALGORITHM", "DISKSIZE", "DATA", "COMPR", "TOTAL", "STREAMS",
                   "MOUNTPOINT")
ALL_COLUMNS = tuple(COLUMNS)


def parse_columns(text: str) -> tuple[str, ...]:
    """``-o LIST``: comma-separated names in any case, repeats allowed (``name,DATA``)."""
    names = text.split(",")
    if not text or len(names) > MAX_COLUMNS:
        raise ZramctlUsageError(f"{text!r}: give 1 to {MAX_COLUMNS} comma-separated columns "
                                f"of {', '.join(COLUMNS)}")
    for name in names:
        if name.upper() not in COLUMNS:
            raise ZramctlUsageError(f"unknown column: {name}" if name else
                                    f"{text!r}: an empty column name")
    return tuple(name.upper() for name in names)


OUTPUT_ALL = "\0all"       # --output-all, given to parse() in place of a -o list
FORMATS = ("zramctl", "zramctl-json")
# zramctl's options, for --format zramctl / zramctl-json
OPTIONS = (Option("-o --output output", str, None,
                  "zramctl columns, e.g. NAME,DATA,TOTAL (see docs/zramctl.md).",
                  metavar="LIST"),
           Option("--output-all output", Flag(OUTPUT_ALL), help="All zramctl columns."),
           Option("-b --bytes in_bytes", FLAG, help="zramctl sizes in bytes."),
           Option("-n --noheadings", FLAG, help="No zramctl header line."),
           Option("--raw", FLAG, help="zramctl's raw format: no alignment."),
           Option("--name", str, None, "Device name in zramctl's NAME column [/dev/zram0]."))


@dataclass(frozen=True)
class ZramctlOptions:
    """zramctl's status options: ``-o``/``--output-all``, ``-b``, ``--raw``, ``-n``; and the name."""

    columns: tuple[str, ...] = DEFAULT_COLUMNS
    in_bytes: bool = False
    raw: bool = False
    noheadings: bool = False
    name: str = "/dev/zram0"

    @classmethod
    def parse(cls, output: str | None = None, in_bytes: bool = False, raw: bool = False,
              noheadings: bool = False, name: str | None = None, *,
              fmt: str = "zramctl") -> ZramctlOptions:
        """From command-line values; ``output`` is a ``-o`` list or OUTPUT_ALL.

        ``fmt`` is the output format they come with: they mean nothing unless it
        is one of ``FORMATS`` (JSON takes ``-o`` and the name; it is always in bytes).
        """
        columns = (DEFAULT_COLUMNS if output is None else ALL_COLUMNS if output == OUTPUT_ALL
                   else parse_columns(output))
        if name is not None and not (0 < len(name) < 32 and name.isascii() and name.isprintable()
                                     and not any(ch in name for ch in " \t\\")):
            raise ZramctlUsageError(f"device name {name!r}: zramctl names are 1 to 31 "
                                    f"printable characters without blanks or backslashes")
        options = cls(columns, in_bytes, raw, noheadings, name or cls.name)
        if options.given and fmt not in FORMATS:
            raise ZramctlUsageError("-o, --output-all, -b, -n, --raw and --name go with "
                                    f"--format {' or '.join(FORMATS)}")
        return options

    @property
    def given(self) -> bool:
        """Whether any option differs from zramctl's defaults."""
        return self != ZramctlOptions()


def cell(files: Files, column: str, name: str, in_bytes: bool) -> str | None:
    """The text zramctl puts in ``column`` (None: it leaves the cell empty)."""
    col = COLUMNS[column]
    text = col.read(files, name)
    return human_size(int(text)) if col.size and not in_bytes and text is not None else text


def listed(files: Files) -> bool:
    """zramctl without a device lists only devices with a disksize."""
    return files["disksize"].strip() not in ("", "0")


def render(files: Files, name: str = "/dev/zram0", columns: tuple[str, ...] = DEFAULT_COLUMNS,
           *, in_bytes: bool = False, raw: bool = False, noheadings: bool = False) -> str:
    """zramctl's output (``-o``/``--output-all`` as ``columns``, ``-b``, ``--raw``, ``-n``)."""
    if not listed(files):
        return ""
    cols = [COLUMNS[c] for c in columns]
    rows = [[cell(files, c, name, in_bytes) or "" for c in columns]]
    lines = [] if noheadings else [[c.name for c in cols]]
    lines += rows
    if raw:
        return "".join(" ".join(map(_nonblank, line)) + "\n" for line in lines)
    widths = [_width(col, [row[i] for row in rows]) for i, col in enumerate(cols)]
    return "".join(_human_line(line, cols, widths) + "\n" for line in lines)


def _width(col: Column, cells: list[str]) -> int:
    """libsmartcols, not on a terminal: widest cell, at least the header, then the hint."""
    header = len(col.name)
    width = max((len(c) for c in cells), default=0)
    if width < header:
        return header
    if col.hint >= 1 and width < col.hint and header < col.hint:
        return int(col.hint)
    return width


def _human_line(line: list[str], cols: list[Column], widths: list[int]) -> str:
    out = []
    for i, (text, col, width) in enumerate(zip(line, cols, widths)):
        if col.right:
            out.append(text.rjust(width))
        elif i == len(cols) - 1:
            out.append(text)                 # a left-aligned last cell is not padded
        else:
            out.append(text.ljust(width))
    return " ".join(out)


def _nonblank(text: str) -> str:
    """--raw's escaping: blanks, backslashes and unprintable bytes as ``\\xHH``."""
    return "".join(ch if ch.isprintable() and ch.isascii() and ch not in " \t\\"
                   else "".join(f"\\x{b:02x}" for b in ch.encode()) for ch in text)


def as_json(files: Files, name: str = "/dev/zram0",
            columns: tuple[str, ...] = DEFAULT_COLUMNS) -> dict:
    """The same columns for scripts: ``{"devices": [{"name": ..., "disksize": 67108864}]}``.

    Keys are the column names in lower case; sizes are bytes, ZERO-PAGES and
    MIGRATED page counts; an empty cell is null; no device when disksize is 0.
    """
    if not listed(files):
        return {"devices": []}
    row = {}
    for column in columns:
        col = COLUMNS[column]
        text = col.read(files, name)
        row[column.lower()] = int(text) if text is not None and (col.size or col.number) else text
    return {"devices": [row]}
