"""The options of ``zramsim sweep``, declared as data (``zramsim.option_spec``).

``GRID`` is the configurations, each a comma-separated list parsed by the
grid's own item parsers (``grid.algorithm``, ``grid.level``...): the runs are
every combination, ``--algo lz4,zstd --chain-size 4,8`` is 2 x 2 = 4 runs per
trace. ``ENGINE`` is where the results go and what runs them; ``REPORT``
summarises a database instead.
"""

from __future__ import annotations

from zramsim.compressors import COMPRESSORS
from zramsim.option_spec import FLAG, ListOf, Option, Path, Range
from zramsim.size_parse import parse_size

GRID = (
    Option("--algo", ListOf("algorithm"), "lz4", f"From {', '.join(sorted(COMPRESSORS))}."),
    Option("--level", ListOf("level"), None, "Default: each algorithm's own."),
    Option("--chain-size", ListOf("chain_size"), "8"),
    Option("--page-size", ListOf("page_size"), None, "Default: the trace's."),
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
