"""The options of ``zramsim sweep``, declared as data (``zramsim.option_spec``).

``GRID`` is the configurations, each a comma-separated list of items parsed
here (``algorithm``, ``level``, ``chain_size``, ``page_size``): the runs are
every combination, ``--algo lz4,zstd --chain-size 4,8`` is 2 x 2 = 4 runs per
trace. ``ENGINE`` is where the results go and what runs them; ``REPORT``
summarises a database instead.
"""

from __future__ import annotations

from zramsim.compressors import COMPRESSORS
from zramsim.option_spec import FLAG, ListOf, Option, Path, Range
from zramsim.size_parse import parse_size

PAGE_SIZES = (4096, 16384, 65536)
CHAIN_SIZES = range(4, 17)


def algorithm(text: str) -> str:
    """A registered compressor's name, else ValueError (for list parsers)."""
    if text not in COMPRESSORS:
        raise ValueError(f"unknown algorithm {text!r}; choose from {', '.join(COMPRESSORS)}")
    return text


def page_size(text: str) -> int:
    """4096, 16384 or 65536, else ValueError."""
    if not text.isdigit() or int(text) not in PAGE_SIZES:
        raise ValueError(f"page size {text!r} is not one of {', '.join(map(str, PAGE_SIZES))}")
    return int(text)


def chain_size(text: str) -> int:
    """4 to 16 pages per zspage, else ValueError."""
    if not text.isdigit() or int(text) not in CHAIN_SIZES:
        raise ValueError(f"chain size {text!r} is not in 4..16")
    return int(text)


def level(text: str) -> int:
    """An integer level (its range is the algorithm's business), else ValueError."""
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"level {text!r} is not an integer") from None


GRID = (
    Option("--algo", ListOf(algorithm), "lz4", f"From {', '.join(sorted(COMPRESSORS))}."),
    Option("--level", ListOf(level), None, "Default: each algorithm's own."),
    Option("--chain-size", ListOf(chain_size), "8"),
    Option("--page-size", ListOf(page_size), None, "Default: the trace's."),
    Option("--mem-limit", ListOf(parse_size), "0", "Sizes such as 0,64M."),
)
ENGINE = (
    Option("--db", Path(file_only=True), None, "SQLite results.", required=True),
    Option("--workers", Range(int, 1), None, "Local processes [default: all cores]."),
    Option("--scheduler", str, None, "Run on a Dask cluster: tcp://HOST:PORT (extra 'dask')."),
)
REPORT = (
    Option("--report", FLAG, help="Summarise --db (-o: a .png/.svg plot too)."),
    Option("-o --plot", Path(file_only=True)),
    Option("--html html_path", Path(file_only=True), None,
           "With --report: a self-contained HTML page of every run."),
)
