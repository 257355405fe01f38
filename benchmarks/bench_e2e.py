"""End to end, as users run it: whole ``zramsim`` commands against a bare loop, timed alike.

The in-process benchmarks measure the device; users type ``zramsim replay
TRACE``. Here every figure is a separate process, started the same way, so the
interpreter's start, the imports, reading the trace and its page files all count
(with compiled bytecode, as an installed zramsim runs: see ``env``).
The baseline is a bare single-threaded python-lz4 loop over the same pages,
reading them from the same file, also a whole process: the ratio
``replay / bare`` is what a user feels (0.9 means replay takes 1/0.9 of the
loop's time).

Worked example: 40,000 real pages; the bare loop takes 0.60 s and ``zramsim
replay real.trace`` 1.20 s: the row says 33,333 pages/s against 66,667, ratio 0.50.

Rows: replay of a text trace of ``file:`` pages and of the same trace as
``.ztrace`` (default options, then ``--workers 1``); with ZRAMSIM_KERNEL_TESTS=1
(root, an unused /dev/zram0, as the kernel tests), the real kernel zram
writing the same pages, timed in the same turns as the text replay: the
device reset and set to lz4 and the trace's size, then ``dd bs=1M
oflag=direct`` of the page file, all as one ``sh -c`` process (the device is
reset again at the end); a sizes-only text trace in operations per second; ``generate`` of the default mix, ``convert`` text to
binary and ``capture --path`` in pages per second. Commands run in turn (the
command, then the bare loop, again and again) and the medians are kept.
``--before OTHER_CHECKOUT`` times that checkout's command in the same turns
(this one, the other, the bare loop), for before/after in one run; its binary
replay reads the ``.ztrace`` its own ``convert`` wrote (each checkout's
default zstd level).

    python -m benchmarks.run_all e2e            # the full sizes (~2 minutes)
    python -m benchmarks.bench_e2e --pages 145008
    python -m benchmarks.bench_e2e --pages 30000 --before /tmp/base --only replay
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


def env(folder: str) -> dict[str, str]:
    """The commands' environment: this checkout first on the path, and compiled
    bytecode kept between runs (under ``folder``), as an installed zramsim has it
    (pip compiles it at install). Without it, a checkout run with
    PYTHONDONTWRITEBYTECODE=1 compiles all of zramsim again at every start
    (~0.07 s a replay, measured), which no installed copy does."""
    environment = {**os.environ, "PYTHONPATH": ROOT,
                   "PYTHONPYCACHEPREFIX": os.path.join(folder, ".bytecode")}
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    return environment


def seconds(argv: list[str], cwd: str) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env(cwd), check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


ZRAM = "/sys/block/zram0"


def kernel_command(pages_path: str, count: int) -> list[str] | None:
    """The kernel's row, as one process: reset /dev/zram0, lz4, disksize, then dd the
    pages in. None unless opted in (ZRAMSIM_KERNEL_TESTS=1) with root and the device."""
    if os.environ.get("ZRAMSIM_KERNEL_TESTS") != "1" or os.geteuid() != 0 or \
            not os.path.exists(ZRAM):
        return None
    script = (f"echo 1 > {ZRAM}/reset && echo lz4 > {ZRAM}/comp_algorithm && "
              f"echo {count * PAGE} > {ZRAM}/disksize && "
              f"exec dd if={pages_path} of=/dev/zram0 bs=1M oflag=direct status=none")
    return ["sh", "-c", script]


def reset_kernel_device() -> None:
    with open(f"{ZRAM}/reset", "w") as reset:
        reset.write("1")


def round_robin(commands: list[list[str]], cwd: str, runs: int) -> list[float]:
    """Median seconds of each command, run in turn (A, B, C, A, B, C, ...) after one
    warm-up of each, so that a change in the machine's load touches them alike."""
    for argv in commands:
        seconds(argv, cwd)
    times: list[list[float]] = [[] for _ in commands]
    for _ in range(runs):
        for k, argv in enumerate(commands):
            times[k].append(seconds(argv, cwd))
    return [statistics.median(t) for t in times]


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
                   env=env(folder), check=True, capture_output=True)
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


def jobs(paths: dict[str, str], count: int, root: str, label: str) -> list[tuple]:
    """(row name, argv, operations, compare with the bare loop?) of every command timed."""
    def cmd(*args: str) -> list[str]:
        return zramsim(*args) if root == ROOT else ["env", f"PYTHONPATH={root}",
                                                    *zramsim(*args)]
    binary = "real.ztrace"
    if root != ROOT:                      # the other checkout reads its own conversion
        binary = "real.before.ztrace"
        subprocess.run(cmd("convert", "real.trace", binary), cwd=os.path.dirname(paths[
            "real.trace"]), env=env(os.path.dirname(paths["real.trace"])), check=True,
            capture_output=True)
    rows = []
    for kind, trace in (("text", "real.trace"), ("binary", binary)):
        for extra in ((), ("--workers", "1")):
            rows.append((f"e2e replay {kind} lz4 {' '.join(extra) or 'default'}{label}",
                         cmd("replay", trace, "-q", "--format", "mm_stat", *extra), count,
                         True))
    rows.append((f"e2e replay sizes-only text{label}",
                 cmd("replay", "sizes.trace", "-q", "--format", "mm_stat"), count * 4, False))
    rows.append((f"e2e generate default mix{label}",
                 cmd("generate", "gen.ztrace", "--pages", str(count), "--seed", "1"), count,
                 False))
    rows.append((f"e2e convert text->binary{label}", cmd("convert", "real.trace", "conv.ztrace"),
                 count, False))
    rows.append((f"e2e capture --path{label}", cmd("capture", "--path", "tree", "cap.ztrace"),
                 count, False))
    return rows


NOTES = {"replay sizes": "operations, whole process", "generate": "pages to .ztrace",
         "convert": "file: pages, whole process", "capture": "pages of one file, whole process"}


def run(quick: bool, pages: int | None = None, runs: int | None = None,
        before: str | None = None, only: str | None = None) -> list[dict]:
    """Rows for every command; with ``before`` (another checkout), its rows too, each
    command of the two checkouts timed in the same run."""
    count = pages or (4000 if quick else 40000)
    runs = runs or (1 if quick else 3)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        paths = build_corpus(folder, count)
        os.makedirs(os.path.join(folder, "tree"))
        os.link(paths["pages.bin"], os.path.join(folder, "tree", "pages.bin"))
        bare = [sys.executable, "-c", BARE_LZ4, paths["pages.bin"]]
        todo = [jobs(paths, count, ROOT, "")]
        if before:
            todo.append(jobs(paths, count, os.path.abspath(before), " (before)"))
        kernel = kernel_command(paths["pages.bin"], count)
        try:
            for group in zip(*todo):      # this checkout's command, the other's, the loop
                group = [job for job in group if not only or only in job[0]]
                if group:
                    rows += _time_group(group, bare, kernel, folder, runs)
        finally:
            if kernel is not None:
                reset_kernel_device()
    return rows


def _time_group(group: list[tuple], bare: list[str], kernel: list[str] | None, folder: str,
                runs: int) -> list[dict]:
    """The rows of one command (and its other checkout's), timed in turns with the bare
    loop, and for the default text replay with the kernel too."""
    with_bare = group[0][3]
    with_kernel = kernel is not None and "replay text lz4 default" in group[0][0]
    extra = ([kernel] if with_kernel else []) + ([bare] if with_bare else [])
    took = round_robin([argv for _, argv, _, _ in group] + extra, folder, runs)
    base = took[-1] if with_bare else None
    rows = []
    for (name, argv, ops, _), median in zip(group, took):
        note = next((text for key, text in NOTES.items() if key in name),
                    "real pages, whole process vs bare lz4 loop")
        rows.append(make_row(name, ops / median, ops / base if base else None,
                             note=f"{ops} {note}"))
    if with_kernel:
        ops, kernel_seconds = group[0][2], took[len(group)]
        rows.append(make_row("e2e kernel zram lz4 (dd)", ops / kernel_seconds, ops / base,
                             note=f"{ops} real pages, reset+setup+dd vs bare lz4 loop"))
        for (name, _, _, _), median in zip(group, took):
            rows.append(make_row(f"{name} vs kernel", ops / median, ops / kernel_seconds,
                                 note="ratio: replay against the kernel, same turns"))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=None)
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--before", metavar="CHECKOUT",
                        help="also time another checkout's commands, alternated with these")
    parser.add_argument("--only", metavar="WORD", help="only the rows whose name has WORD")
    args = parser.parse_args(argv)
    print(format_table(run(args.quick, args.pages, args.runs, args.before, args.only)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
