"""Run every benchmark and print one table.

Each ``benchmarks/bench_*.py`` module exposing ``run(quick: bool) -> list[dict]``
contributes its rows (``name, ops_per_s, baseline_per_s, ratio, peak_rss_mb,
note``; see ``common``). Modules run in name order, in this one process; the
peak RSS is reset before each module (Linux), so ``peak_rss_mb`` is the peak
since that module started, up to the moment its row was made.

    python -m benchmarks.run_all --quick      # seconds
    python benchmarks/run_all.py              # the full sizes, minutes
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from benchmarks.common import format_table, reset_peak_rss   # noqa: E402


def bench_modules() -> list[str]:
    """Names of the benchmark modules, sorted: ``bench_allocator``, ``bench_replay``, ..."""
    here = os.path.join(ROOT, "benchmarks")
    return sorted(name[:-3] for name in os.listdir(here)
                  if name.startswith("bench_") and name.endswith(".py"))


def run_all(quick: bool, only: list[str] | None = None) -> list[dict]:
    """Rows of every benchmark module (or of those whose name contains an ``only`` word)."""
    rows: list[dict] = []
    for name in bench_modules():
        if only and not any(word in name for word in only):
            continue
        module = importlib.import_module(f"benchmarks.{name}")
        if callable(getattr(module, "run", None)):
            reset_peak_rss()
            rows.extend(module.run(quick))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("only", nargs="*", help="run only modules whose name contains these")
    args = parser.parse_args(argv)
    sys.stdout.write(format_table(run_all(args.quick, args.only)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
