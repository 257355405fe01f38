"""The options of the teaching commands (explain, quiz, compare, zspages), as data.

Declared beside the modules that use them (``zramsim.option_spec``); the
command line turns them into click's. ``ZSPAGES`` picks the objects of a fresh
pool (``--size 1560 --count 15 --free 3``: 15 objects of 1,560 bytes, the
fourth freed) and ``MAP`` how the map is drawn.
"""

from __future__ import annotations

from allocator.interface import ALLOCATORS
from zramsim.device_options import ALGO
from zramsim.option_spec import FLAG, Choices, Option, Path, Range
from zramsim.teach.quiz import KINDS

EXPLAIN = (Option("--count", Range(int, 1), 1000, "Objects to price."),)
QUIZ = (
    Option("--seed -s", int, 0),
    Option("--count -n", Range(int, 1), 4, "Problems (kinds rotate)."),
    Option("--kind kinds", Choices(KINDS), multiple=True,
           help="Only these kinds of problem (repeatable)."),
    Option("-c --answers", FLAG, help="Print the simulator's answers."),
)
COMPARE = (
    ALGO._replace(help="Compression algorithm for pages with bytes."),
    Option("--allocator names", Choices(tuple(ALLOCATORS)), multiple=True,
           help="Only these allocators (repeatable)."),
)
ZSPAGES = (
    Option("--size", Range(int, 1), None,
           "Without TRACE: allocate --count objects of SIZE bytes in a fresh pool."),
    Option("--count", Range(int, 1), 1),
    Option("--free free_list", str, "",
           "Without TRACE: comma-separated object numbers (0-based) to free."),
    Option("--class-size", Range(int, 1), None, "Only zspages of this class."),
)
MAP = (
    Option("--width", Range(int, 8, 256), 64, "Characters per page frame in the text map."),
    Option("--svg svg_path", Path(file_only=True), None,
           "Also write the map as an SVG image to this file."),
)
