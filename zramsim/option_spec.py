"""The command line's options as plain data, declared beside the library that knows each knob.

A knob's range, default and meaning belong with the code that uses it: the
chain size's 4..16 with the device's options, zramctl's columns with zramctl,
the pressure model's latencies with the pressure command. So each of those
modules lists its options as ``Option`` records, and ``cli.py`` (the only
module that imports click) turns every record into a click option with one
small translator. A command there reads as its decorators, then parse, call,
print.

An option is its flags (then, if it differs from the long flag's, the name the
command receives), its kind, default and help. Kinds: ``int``, ``float``,
``str``; ``FLAG`` (or ``Flag(value)``, which stores ``value`` in the name of
another option); ``SIZE`` (``64K``, ``1.5G``: ``zramsim.size_parse``);
``Choices``; ``Range`` of ints or floats; ``Path``; ``File``; ``ListOf``
(comma-separated, each item checked). ``parse`` turns the value into what the
command receives; a ValueError it raises is a usage error (exit 2). ``metavar``
names the value in the help.

Example: ``Option("--chain-size", Range(int, 4, 16), 8)`` is shown as
``--chain-size INTEGER RANGE  ... [default: 8; 4<=x<=16]``; ``--chain-size 99``
is refused: ``99 is not in the range 4<=x<=16.``

These are named tuples rather than frozen dataclasses: they are defined every
time the command line starts, and a named tuple class costs about a sixth as
much to define (57 against 365 microseconds each, measured here).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple


class Option(NamedTuple):
    """One option: ``decls`` is its flags and, last, the receiving name if it is
    not the long flag's, space-separated (``"-o --plot plot_path"``)."""

    decls: str
    kind: object = str
    default: object = None
    help: str | None = None
    multiple: bool = False
    required: bool = False
    metavar: str | None = None
    parse: Callable[[str], object] | None = None


class Flag(NamedTuple):
    """An option without a value: True when given, or ``value`` when it shares its
    name with another option (``--output-all`` is ``-o`` with every column)."""

    value: object = True


class Size(NamedTuple):
    """A byte count written as util-linux writes sizes: 4096, 64K, 512KB, 1.5G."""


class Choices(NamedTuple):
    """One of ``values``, spelled exactly."""

    values: tuple[str, ...]


class Range(NamedTuple):
    """An ``int`` or a ``float`` from ``low`` to ``high`` inclusive; None: unbounded."""

    of: type
    low: float | None = None
    high: float | None = None


class Path(NamedTuple):
    """A path; ``file_only``: not a folder; ``dash``: ``-`` allowed (standard input
    or output)."""

    file_only: bool = False
    dash: bool = False


class File(NamedTuple):
    """A file opened in ``mode`` when the command line is parsed."""

    mode: str


class ListOf(NamedTuple):
    """A comma-separated list (``lz4,zstd``), each item through the function ``item``
    (``one_of(...)``, or a parser of the command's own); see ``split_list``."""

    item: Callable[[str], object]

    def parse(self, text: str | None) -> list | None:
        """The items; None for an option not given; ValueError for an empty list
        (``--policy ''``), as for a bad item."""
        return None if text is None else split_list(text, self.item)


def split_list(text: str, item: Callable[[str], object]) -> list:
    """``"lz4, zstd,lz4"`` -> ``['lz4', 'zstd']``: comma-separated, each through ``item``,
    duplicates dropped, order kept; an empty list is a ValueError."""
    values = list(dict.fromkeys(item(part.strip()) for part in text.split(",") if part.strip()))
    if not values:
        raise ValueError(f"{text!r} is an empty list")
    return values


def one_of(*choices: str) -> Callable[[str], str]:
    """An item parser that accepts only ``choices`` (for lists of names)."""
    def item(text: str) -> str:
        if text not in choices:
            raise ValueError(f"{text!r} is not one of {', '.join(choices)}")
        return text
    return item


FLAG = Flag()
SIZE = Size()
