"""End to end, as users run it: whole ``zramsim`` commands against a bare loop, timed alike.

The in-process benchmarks measure the device; users type ``zramsim replay
TRACE``. Here every figure is a separate process, started the same way, so the
interpreter's start, the imports, reading the trace and its page files all count.
The baseline is a bare single-threaded python-lz4 loop over the same pages,
reading them from the same file, also a whole process: the ratio
``replay / bare`` is what a user feels (0.9 means replay takes 1/0.9 of the
loop's time).

Worked example: 40,000 real pages; the bare loop takes 0.60 s and ``zramsim
replay real.trace`` 1.20 s: the row says 33,333 pages/s against 66,667, ratio 0.50.

Rows: replay of a text trace of ``file:`` pages and of the same trace as
``.ztrace`` (default options, then ``--workers 1``); a sizes-only text trace in
operations per second; ``generate`` of the default mix, ``convert`` text to
binary and ``capture --path`` in pages per second. Commands alternate A, B, A, B
and the medians are kept.

    python -m benchmarks.run_all e2e            # the full sizes (~2 minutes)
    python -m benchmarks.bench_e2e --pages 145008
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from benchmarks.bench_replay import real_pages  # noqa: E402
from benchmarks.common import format_table, make_row  # noqa: E402

PAGE = 4096
BARE_LZ4 = """
import sys, lz4.frame
compress = lz4.frame.compress
with open(sys.argv[1], "rb") as f:
    while page := f.read(4096):
        compress(page, compression_level=0, block_linked=False, content_checksum=False,
                 store_size=False)
"""


def zramsim(*args: str) -> list[str]:
    return [sys.executable, "-m", "zramsim", *args]


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": ROOT}


def seconds(argv: list[str], cwd: str) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env(), check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def paired(a: list[str], b: list[str] | None, cwd: str, runs: int) -> tuple[float, float | None]:
    """Median seconds of A and of B, run alternately after one warm-up of each."""
    seconds(a, cwd)
    if b:
        seconds(b, cwd)
    times_a, times_b = [], []
    for _ in range(runs):
        times_a.append(seconds(a, cwd))
        if b:
            times_b.append(seconds(b, cwd))
    return statistics.median(times_a), statistics.median(times_b) if b else None


def build_corpus(folder: str, count: int) -> dict[str, str]:
    """Real pages in one file, and the traces that name them."""
    pages = real_pages(count)
    paths = {name: os.path.join(folder, name) for name in
             ("pages.bin", "real.trace", "real.ztrace", "sizes.trace")}
    with open(paths["pages.bin"], "wb") as f:
        f.writelines(pages)
    with open(paths["real.trace"], "w") as f:
        f.write("zramsim-trace 1\n")
        f.writelines(f"W {i} file:pages.bin:{i}\n" for i in range(len(pages)))
    subprocess.run(zramsim("convert", paths["real.trace"], paths["real.ztrace"]), cwd=folder,
                   env=env(), check=True, capture_output=True)
    rng = random.Random(7)
    with open(paths["sizes.trace"], "w") as f:
        f.write("zramsim-trace 1\n")
        slots = max(16, count // 2)
        for _ in range(count * 4):
            r = rng.random()
            if r < 0.9:
                f.write(f"W {rng.randrange(slots)} size:{rng.randint(20, 4096)}\n")
            elif r < 0.98:
                f.write(f"R {rng.randrange(slots)}\n")
            else:
                f.write(f"D {rng.randrange(slots)} {rng.randint(1, 4)}\n")
    return paths


def run(quick: bool, pages: int | None = None, runs: int | None = None) -> list[dict]:
    count = pages or (4000 if quick else 40000)
    runs = runs or (1 if quick else 3)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        paths = build_corpus(folder, count)
        bare = [sys.executable, "-c", BARE_LZ4, paths["pages.bin"]]
        for label, trace in (("text", "real.trace"), ("binary", "real.ztrace")):
            for extra in ((), ("--workers", "1")):
                replay = zramsim("replay", trace, "-q", "--format", "mm_stat", *extra)
                took, base = paired(replay, bare, folder, runs)
                rows.append(make_row(f"e2e replay {label} lz4 {' '.join(extra) or 'default'}",
                                     count / took, count / base,
                                     note=f"{count} real pages, whole process vs bare lz4 loop"))
        sizes_ops = count * 4
        took, _ = paired(zramsim("replay", "sizes.trace", "-q", "--format", "mm_stat"), None,
                         folder, runs)
        rows.append(make_row("e2e replay sizes-only text", sizes_ops / took,
                             note=f"{sizes_ops} operations, whole process"))
        gen_pages = count
        took, _ = paired(zramsim("generate", "gen.ztrace", "--pages", str(gen_pages), "--seed",
                                 "1"), None, folder, runs)
        rows.append(make_row("e2e generate default mix", gen_pages / took,
                             note=f"{gen_pages} pages to .ztrace, whole process"))
        took, _ = paired(zramsim("convert", "real.trace", "conv.ztrace"), None, folder, runs)
        rows.append(make_row("e2e convert text->binary", count / took,
                             note=f"{count} file: pages, whole process"))
        os.makedirs(os.path.join(folder, "tree"))
        os.link(paths["pages.bin"], os.path.join(folder, "tree", "pages.bin"))
        took, _ = paired(zramsim("capture", "--path", "tree", "cap.ztrace"), None, folder, runs)
        rows.append(make_row("e2e capture --path", count / took,
                             note=f"{count} pages of one file, whole process"))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=None)
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    print(format_table(run(args.quick, args.pages, args.runs)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
