"""zramsim's command line: parse, wire readers to the device, print. Nothing else.

Exit codes (documented in the README and in ``zramsim --help``):
0 success; 1 a domain error (malformed trace, impossible configuration, capture
refused); 2 a usage error (click's own); 3 a verify mismatch; 130 interrupted
(Ctrl-C), after printing the statistics gathered so far.
"""

from __future__ import annotations

import json
import sys
import time
from contextlib import nullcontext
from dataclasses import asdict

import click

from allocator import CHAIN_RULES, AllocatorError, Geometry, render_classes
from workloads import WorkloadError
from workloads.default import DEFAULT_PAGES, DEFAULT_SEED, DESCRIPTION, default_workload
from zramsim import COMPRESSORS, DeviceError, Replay, VerifyMismatch, ZramDevice
from zramsim.report import render_csv, render_geometry, render_table

EXIT_DOMAIN, EXIT_USAGE, EXIT_VERIFY, EXIT_INTERRUPTED = 1, 2, 3, 130
DOMAIN_ERRORS = (WorkloadError, DeviceError, AllocatorError, OSError, ValueError)


class Failure(click.ClickException):
    """An error with our exit code; click prints ``Error: <message>`` on stderr."""

    def __init__(self, message: str, code: int = EXIT_DOMAIN) -> None:
        super().__init__(message)
        self.exit_code = code


def parse_size(text: str) -> int:
    """Bytes from ``4096``, ``64K``, ``512M``, ``2G`` (powers of 1024, like memparse)."""
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
    text = text.strip()
    scale = units.get(text[-1:].lower(), 1)
    number = text[:-1] if scale > 1 else text
    if not number.isdigit():
        raise click.BadParameter(f"{text!r} is not a size such as 4096, 64K, 512M or 2G")
    return int(number) * scale


class SizeType(click.ParamType):
    name = "size"

    def convert(self, value, param, ctx):
        if isinstance(value, int):
            return value
        try:
            return parse_size(value)
        except click.BadParameter as exc:
            self.fail(str(exc), param, ctx)


SIZE = SizeType()


class PageSizeType(click.Choice):
    """4096, 16384 or 65536, given back as an int."""

    def __init__(self) -> None:
        super().__init__(["4096", "16384", "65536"])

    def convert(self, value, param, ctx):
        return int(super().convert(str(value), param, ctx))


PAGE_SIZE = PageSizeType()


def device_options(func):
    """Options shared by every command that builds a device."""
    options = [
        click.option("--algo", "algorithm", type=click.Choice(sorted(COMPRESSORS)),
                     default="lz4", show_default=True, help="Compression algorithm."),
        click.option("--level", type=int, default=None,
                     help="lz4 acceleration or zstd level (default: the kernel's: 1 / 3)."),
        click.option("--dict", "dict_path", type=click.Path(exists=True, dir_okay=False),
                     help="zstd dictionary file (zram's algorithm_params dict=)."),
        click.option("--disksize", type=SIZE, default=None,
                     help="Device size, e.g. 1G (default: grows to fit the trace)."),
        click.option("--mem-limit", type=SIZE, default=0, show_default=True,
                     help="zram mem_limit, e.g. 64M; 0 is unlimited."),
        click.option("--page-size", type=PAGE_SIZE,
                     default=None, help="Page size (default: the trace's, else 4096)."),
        click.option("--chain-size", type=click.IntRange(4, 16), default=8, show_default=True,
                     help="zsmalloc pages per zspage limit (CONFIG_ZSMALLOC_CHAIN_SIZE)."),
        click.option("--chain-rule", type=click.Choice(CHAIN_RULES), default="min-waste",
                     show_default=True, help="Chain length rule: 6.3+ or legacy."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def trace_options(func):
    func = click.option("--seed", type=int, default=DEFAULT_SEED, show_default=True,
                        help="Seed of the built-in default workload.")(func)
    func = click.option("--allow-outside", is_flag=True,
                        help="Let file: contents of a text trace leave the trace's folder.")(func)
    return click.argument("trace", type=click.Path(dir_okay=False), required=False)(func)


def build_device(algorithm, level, dict_path, disksize, mem_limit, page_size, chain_size,
                 chain_rule, verify=False) -> ZramDevice:
    """The device the options describe; an impossible one is a domain error (exit 1)."""
    try:
        dictionary = open(dict_path, "rb").read() if dict_path else None
        return ZramDevice(disksize, algorithm, level=level, dictionary=dictionary,
                          page_size=page_size, chain_size=chain_size, chain_rule=chain_rule,
                          mem_limit=mem_limit, verify=verify)
    except (DeviceError, OSError) as exc:
        raise Failure(str(exc)) from None


def open_events(trace, seed, allow_outside, page_size):
    """(reader or None, events, trace description) for a path or the default workload."""
    if trace is None:
        events = default_workload(seed, DEFAULT_PAGES, page_size or 4096)
        return None, events, {"trace": None, "workload": "default", "seed": seed,
                              "description": DESCRIPTION}
    from workloads.open_trace import open_trace
    try:
        reader = open_trace(trace, allow_outside=allow_outside, page_size=page_size)
    except WorkloadError as exc:
        raise Failure(str(exc)) from None
    return reader, reader, {"trace": trace, "format": reader.format, "seed": None}


def reopen(trace, allow_outside, page_size):
    """What opens ``trace`` again, in another process: ``open_events``'s reader."""
    from functools import partial
    from workloads.open_trace import open_trace
    return partial(open_trace, trace, allow_outside=allow_outside, page_size=page_size)


class Progress:
    """A bar (when the input's size is known) with events per second, on stderr.

    Shown only on a terminal and not with -q: ``[#########...........]  45%
    1,234,567 events  402,113 events/s``.
    """

    WIDTH = 30

    def __init__(self, quiet: bool, reader=None) -> None:
        self.enabled = not quiet and sys.stderr.isatty()
        self.fraction = getattr(reader, "fraction_read", None)
        self.start = time.perf_counter()

    def __call__(self, applied: int) -> None:
        if not self.enabled:
            return
        rate = applied / max(time.perf_counter() - self.start, 1e-9)
        bar = ""
        if self.fraction is not None:
            done = self.fraction()
            filled = round(done * self.WIDTH)
            bar = f"[{'#' * filled}{'.' * (self.WIDTH - filled)}] {done:4.0%}  "
        click.echo(f"\r{bar}{applied:>12,} events  {rate:>10,.0f} events/s", err=True, nl=False)

    def done(self) -> None:
        if self.enabled:
            click.echo("", err=True)


def run_replay(device, reader, events, quiet, explain: bool = False,
               workers: int = 1) -> tuple[Replay, str | None, int]:
    """Replay; returns (replay, error message or None, exit code) and never raises."""
    progress = Progress(quiet or explain, reader)
    replayer = Replay(device, progress, workers=workers)
    where = (lambda: reader.location()) if reader is not None else (
        lambda: f"<default workload>:{replayer.applied + 1}")
    message, code = None, 0
    try:
        with reader if reader is not None else nullcontext():
            if explain:
                narrate_into(replayer, events)
            else:
                replayer.run(events)
    except VerifyMismatch as exc:
        message, code = f"{where()}: {exc}", EXIT_VERIFY
    except KeyboardInterrupt:
        message, code = f"interrupted after {replayer.applied} events", EXIT_INTERRUPTED
    except WorkloadError as exc:
        message, code = str(exc), EXIT_DOMAIN
    except DOMAIN_ERRORS as exc:
        message, code = f"{where()}: {exc}", EXIT_DOMAIN
    finally:
        progress.done()
    return replayer, message, code


def narrate_into(replayer: Replay, events) -> None:
    """Drive the device through the narrating replay, printing each step."""
    from zramsim.teach.narrate import narrate
    for line in narrate(replayer.device, events):
        click.echo(line)
        if not line.startswith(" "):     # one unindented line per event
            replayer.applied += 1


def finish(message: str | None, code: int) -> None:
    if message is not None:
        click.echo(f"Error: {message}", err=True)
        sys.exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="zramsim")
def main():
    """zramsim: a simulated Linux zram device on a faithful zsmalloc allocator.

    Exit codes: 0 success, 1 domain error (bad trace, bad configuration),
    2 usage error, 3 verify mismatch, 130 interrupted.

    Example: zramsim replay            (the built-in default workload)
    """


@main.command()
@trace_options
@device_options
@click.option("--verify", is_flag=True, help="Check every read against the last write.")
@click.option("--explain", is_flag=True,
              help="Narrate every step in words first (for small traces).")
@click.option("--workers", type=click.IntRange(1), default=None,
              help="1: all in this process; N: read and compress ahead on other cores "
                   "(default: all, for a trace file of 512K or more, when a core is "
                   "idle); results are identical.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "mm_stat", "csv"]),
              default="table", show_default=True)
@click.option("-q", "--quiet", is_flag=True, help="No progress on stderr.")
def replay(trace, seed, allow_outside, algorithm, level, dict_path, disksize, mem_limit,
           page_size, chain_size, chain_rule, verify, explain, workers, fmt, quiet):
    """Replay TRACE (text, binary or raw image) into a zram device and report.

    With no TRACE, replays the built-in default workload (16 MiB of realistic pages).

    Example: zramsim replay traces/mixed.trace --algo zstd --format json
    """
    reader, events, source = open_events(trace, seed, allow_outside, page_size)
    try:
        device = build_device(algorithm, level, dict_path, disksize, mem_limit,
                              page_size or (reader.page_size if reader else 4096),
                              chain_size, chain_rule, verify)
    except Failure:
        if reader is not None:
            reader.close()
        raise
    asked = workers                  # None: as many as pay, so the same for a file and a pipe
    if reader is not None and not explain:
        from zramsim.read_ahead import plan
        reader, workers = plan(device, reader, workers, reopen(trace, allow_outside, page_size))
        events = reader
    replayer, message, code = run_replay(device, reader, events, quiet, explain, workers or 1)
    if explain:
        click.echo("")
    stats = device.stats()
    config = {**device.config(), **source, "verify": verify, "workers": asked}
    if fmt == "json":
        doc = {"config": config, "events": replayer.applied, **stats.as_dict(),
               "classes": [r.as_dict() for r in device.pool.class_stats() if r.obj_allocated]}
        if message is not None:
            doc["error"] = message
        click.echo(json.dumps(doc, indent=2))
    elif fmt == "mm_stat":
        click.echo(stats.mm_stat.text(), nl=False)
    elif fmt == "csv":
        click.echo(render_csv(stats, config), nl=False)
    else:
        name = source["trace"] or f"default workload (seed {seed})"
        click.echo(render_table(stats, config, f"{name}: {replayer.applied} events"), nl=False)
    finish(message, code)


@main.command()
@trace_options
@device_options
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@click.option("-q", "--quiet", is_flag=True, help="No progress on stderr.")
def classes(trace, seed, allow_outside, algorithm, level, dict_path, disksize, mem_limit,
            page_size, chain_size, chain_rule, fmt, quiet):
    """The zsmalloc size classes: after replaying TRACE, or the bare geometry.

    With TRACE, prints the debugfs 'classes' table after replaying it ('-' replays
    the built-in default workload); with no TRACE, the class geometry for
    --page-size, --chain-size and --chain-rule.

    Example: zramsim classes --page-size 16384 --format json
    """
    if trace is None:
        geometry = Geometry(page_size or 4096, chain_size, chain_rule)
        if fmt == "json":
            click.echo(json.dumps([{"index": c.index, "size": c.size,
                                    "pages_per_zspage": c.pages_per_zspage,
                                    "objs_per_zspage": c.objs_per_zspage, "huge": c.huge,
                                    "tail_waste": c.tail_waste(geometry.page_size)}
                                   for c in geometry.classes], indent=2))
        else:
            click.echo(f"# {len(geometry.classes)} classes, huge_class_size "
                       f"{geometry.huge_class_size}")
            click.echo(render_geometry(geometry.classes, geometry.page_size), nl=False)
        return
    if trace == "-":
        trace = None
    reader, events, _ = open_events(trace, seed, allow_outside, page_size)
    device = build_device(algorithm, level, dict_path, disksize, mem_limit,
                          page_size or (reader.page_size if reader else 4096),
                          chain_size, chain_rule)
    _, message, code = run_replay(device, reader, events, quiet)
    rows = device.pool.class_stats()
    if fmt == "json":
        click.echo(json.dumps([r.as_dict() for r in rows], indent=2))
    else:
        click.echo(render_classes(rows), nl=False)
    finish(message, code)


@main.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
def algorithms(fmt):
    """List the compression algorithms and their parameters.

    Example: zramsim algorithms --format json
    """
    rows = [{"name": name, "parameter": b.level_name, "default": b.default_level,
             "dictionary": b.takes_dictionary, "note": b.note}
            for name, b in COMPRESSORS.items()]
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    for r in rows:
        extra = ", dict=FILE" if r["dictionary"] else ""
        click.echo(f"{r['name']:<6} {r['parameter']}={r['default']}{extra}  ({r['note']})")


@main.command()
@click.argument("src", type=click.Path(exists=True, dir_okay=False))
@click.argument("dst", type=click.Path(dir_okay=False))
@click.option("--allow-outside", is_flag=True,
              help="Let file: contents of a text trace leave the trace's folder.")
def convert(src, dst, allow_outside):
    """Convert a trace between text (.trace/.txt) and binary (.ztrace/.zst).

    Text to binary inlines file: and random: contents; binary to text writes page
    bytes to a side file DST.pages.

    Example: zramsim convert mixed.trace mixed.ztrace
    """
    from workloads.open_trace import convert as convert_trace
    try:
        count = convert_trace(src, dst, allow_outside=allow_outside)
    except WorkloadError as exc:
        raise Failure(str(exc)) from None
    click.echo(f"{count} events written to {dst}", err=True)


@main.command()
@click.argument("out", type=click.Path(dir_okay=False))
@click.option("--kind", default=None,
              help="Content kind (zero, same, text, source, heap, code, random), or a mix "
                   "such as heap=0.6,text=0.3,zero=0.1.")
@click.option("--pages", type=click.IntRange(1), default=DEFAULT_PAGES, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--page-size", type=PAGE_SIZE, default="4096")
@click.option("--overwrite-rate", type=click.FloatRange(0, 1), default=0.0)
@click.option("--read-rate", type=click.FloatRange(0, 1), default=0.0)
@click.option("--discard-rate", type=click.FloatRange(0, 1), default=0.0)
@click.option("--compact-rate", type=click.FloatRange(0, 1), default=0.0)
def generate(out, kind, pages, seed, page_size, overwrite_rate, read_rate, discard_rate,
             compact_rate):
    """Write a generated trace to OUT (.ztrace binary or .trace text).

    With no --kind, writes the built-in default workload.

    Example: zramsim generate heap.ztrace --kind heap=0.7,zero=0.3 --pages 100000 --seed 7
    """
    from workloads.generators import KINDS
    from workloads.mixes import generate_trace
    size = page_size
    if kind is None:
        events = default_workload(seed, pages, size)
    else:
        try:
            mix = kind if "=" not in kind else {k: float(v) for k, v in
                                                 (p.split("=") for p in kind.split(","))}
        except ValueError:
            raise click.BadParameter(f"{kind!r}: a mix is kind=weight,kind=weight",
                                     param_hint="--kind") from None
        if isinstance(mix, str) and mix not in KINDS:
            raise click.BadParameter(f"unknown kind {mix!r}; known: {', '.join(KINDS)}",
                                     param_hint="--kind")
        try:
            events = generate_trace(mix, pages, seed, size, overwrite_rate=overwrite_rate,
                                    read_rate=read_rate, discard_rate=discard_rate,
                                    compact_rate=compact_rate)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--kind") from None
    count = _write_events(out, size, events)
    click.echo(f"{count} events written to {out}", err=True)


def _write_events(out, page_size, events) -> int:
    from workloads.open_trace import writer_for
    count = 0
    try:
        with writer_for(out, page_size) as writer:
            for event in events:
                writer.write(event)
                count += 1
    except (WorkloadError, ValueError, OSError) as exc:
        raise Failure(str(exc)) from None
    return count


@main.command()
@click.argument("out", type=click.Path(dir_okay=False))
@click.option("--pid", type=int, default=None, help="Capture a live process's resident pages.")
@click.option("--path", "path", type=click.Path(), default=None,
              help="Capture a file, or every file under a directory.")
@click.option("--include", type=click.Choice(["private", "anonymous", "all"]), default="private",
              show_default=True, help="Which mappings of a process to capture.")
def capture(out, pid, path, include):
    """Capture pages of a live process (--pid) or of files (--path) into trace OUT.

    Example: zramsim capture --pid 1234 python-heap.ztrace
    """
    from workloads.capture import capture_path, capture_process
    if (pid is None) == (path is None):
        raise click.UsageError("give exactly one of --pid and --path")
    try:
        events = capture_process(pid, include=include) if pid is not None else capture_path(path)
        count = _write_events(out, 4096, events)
    except WorkloadError as exc:
        raise Failure(str(exc)) from None
    click.echo(f"{count} pages captured to {out}", err=True)


@main.command("kernel-diff")
@click.argument("trace", type=click.Path(dir_okay=False))
@click.option("--device", "device_path", default="/dev/zram0", show_default=True)
@click.option("--algo", "algorithm", type=click.Choice(["lz4", "lz4-kernel"]), default="lz4",
              show_default=True, help="Our compressor; the kernel side uses its lz4.")
@click.option("--disksize", type=SIZE, default=None, help="Default: fits the trace.")
@click.option("--mem-limit", type=SIZE, default=0, show_default=True)
@click.option("--every", type=click.IntRange(1), default=1, show_default=True,
              help="Compare after every N operations (and after the last).")
@click.option("--per-page", is_flag=True,
              help="Instead: the kernel's compressed length of every written page, "
                   "against each of our lz4 compressors.")
@click.option("--allow-outside", is_flag=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
def kernel_diff(trace, device_path, algorithm, disksize, mem_limit, every, per_page,
                allow_outside, fmt):
    """Replay TRACE on a real, unused zram device and on the simulator; show both.

    Needs root and an unused device (disksize 0, not swap, not mounted); the device
    is reset afterwards, also after an error or Ctrl-C. Sizes-only traces cannot be
    replayed on a kernel.

    Example: sudo zramsim kernel-diff traces/mixed.trace --every 100
    """
    from zramsim.kernel import (KernelDeviceError, KernelZram, check_replayable,
                                kernel_page_sizes)
    from zramsim import kernel_diff as kd
    reader, events, _ = open_events(trace, 0, allow_outside, None)
    try:
        with reader:
            events = list(events) if per_page else check_replayable(events)
        size = disksize or 4096 * (1 + max((e[1] + (e[2] if e[0] == "D" else 1) - 1
                                            for e in events), default=0))
        kernel = KernelZram(device_path)
        if per_page:
            pages = [e[2] for e in events if e[0] == "W" and not isinstance(e[2], int)]
            with kernel:
                theirs = kernel_page_sizes(pages, kernel, "lz4")
            huge = ZramDevice().huge_class_size
            results = {name: kd.page_agreement(theirs, kd.our_page_lengths(pages, name), huge)
                       for name in kd.KERNEL_ALGORITHM}
            click.echo(json.dumps({k: asdict(v) for k, v in results.items()}, indent=2)
                       if fmt == "json" else kd.render_agreement(results), nl=fmt == "json")
            return
        diff = kd.run_kernel_diff(events, kernel, algorithm, disksize=size,
                                  mem_limit=mem_limit, every=every)
    except (KernelDeviceError, WorkloadError, OSError) as exc:
        raise Failure(str(exc)) from None
    if fmt == "json":
        click.echo(json.dumps({"trace": trace, "algorithm": algorithm, "disksize": size,
                               **kd.diff_as_dict(diff)}, indent=2))
    else:
        click.echo(kd.render_diff(diff, f"{trace}: {len(events)} operations, compared at "
                                        f"{diff.snapshots} points"), nl=False)


def geometry_options(func):
    """Page size and chain options of the teaching commands that need no device."""
    func = click.option("--chain-rule", type=click.Choice(CHAIN_RULES), default="min-waste",
                        show_default=True, help="Chain length rule: 6.3+ or legacy.")(func)
    func = click.option("--chain-size", type=click.IntRange(4, 16), default=8,
                        show_default=True, help="zsmalloc pages per zspage limit.")(func)
    return click.option("--page-size", type=PAGE_SIZE,
                        default="4096", show_default=True)(func)


@main.command()
@click.argument("size", type=int)
@geometry_options
@click.option("--count", type=click.IntRange(1), default=1000, show_default=True,
              help="How many such objects to price.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
def explain(size, page_size, chain_size, chain_rule, count, fmt):
    """Explain how zsmalloc stores an object (a compressed page) of SIZE bytes.

    Shows the size class (with the 8-byte handle), every chain length and its
    waste, objects per zspage, whether it is huge, and what COUNT objects cost
    with chained zspages and with single pages.

    Example: zramsim explain 1560
    """
    from zramsim.teach.explain import explain as explain_size, render_text
    try:
        result = explain_size(size, Geometry(page_size, chain_size, chain_rule), count)
    except DOMAIN_ERRORS as exc:
        raise Failure(str(exc)) from None
    click.echo(json.dumps(result.as_dict(), indent=2) if fmt == "json"
               else render_text(result).rstrip("\n"))


@main.command()
@click.option("--seed", "-s", type=int, default=0, show_default=True)
@click.option("--count", "-n", type=click.IntRange(1), default=4, show_default=True,
              help="Number of problems (kinds rotate).")
@click.option("--kind", "kinds", multiple=True,
              type=click.Choice(["class", "pages", "mm_stat", "compact"]),
              help="Only these kinds of problem (repeatable).")
@click.option("-c", "--answers", is_flag=True, help="Print the simulator's answers.")
def quiz(seed, count, kinds, answers):
    """Print zsmalloc/zram problems for a seed; -c prints the answers.

    Example: zramsim quiz --seed 7 -c
    """
    from zramsim.teach.quiz import KINDS, make_quiz, render_quiz
    click.echo(render_quiz(make_quiz(seed, count, tuple(kinds) or KINDS), answers), nl=False)


@main.command()
@trace_options
@click.option("--algo", "algorithm", type=click.Choice(sorted(COMPRESSORS)), default="lz4",
              show_default=True, help="Compression algorithm for pages with bytes.")
@click.option("--allocator", "names", multiple=True, help="Only these allocators (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
def compare(trace, seed, allow_outside, algorithm, names, fmt):
    """Compare zsmalloc, single pages, zbud and z3fold on one trace.

    Every allocator stores the same objects (compressed pages, huge ones raw);
    pages used and the fragmentation breakdown are printed side by side.

    Example: zramsim compare tests/data/traces/mixed.trace --format json
    """
    from allocator.interface import ALLOCATORS
    from zramsim.compressors import make_compressor
    from zramsim.teach.compare import compare as compare_trace, render_table as compare_table
    unknown = [n for n in names if n not in ALLOCATORS]
    if unknown:
        raise click.BadParameter(f"unknown allocator {unknown[0]!r}; known: "
                                 f"{', '.join(ALLOCATORS)}", param_hint="--allocator")
    reader, events, _ = open_events(trace, seed, allow_outside, None)
    page_size = reader.page_size if reader else 4096
    try:
        with reader if reader is not None else nullcontext():
            result = compare_trace(events, page_size, make_compressor(algorithm),
                                   names or None)
    except DOMAIN_ERRORS as exc:
        raise Failure(str(exc)) from None
    click.echo(json.dumps(result.as_dict(), indent=2) if fmt == "json"
               else compare_table(result).rstrip("\n"))


@main.command()
@click.argument("trace", type=click.Path(dir_okay=False), required=False)
@click.option("--size", type=click.IntRange(1), default=None,
              help="Without TRACE: allocate --count objects of SIZE bytes in a fresh pool.")
@click.option("--count", type=click.IntRange(1), default=1, show_default=True)
@click.option("--free", "free_list", default="",
              help="Without TRACE: comma-separated object numbers (0-based) to free.")
@click.option("--class-size", type=int, default=None, help="Only zspages of this class.")
@click.option("--width", type=click.IntRange(8, 256), default=64, show_default=True,
              help="Characters per page frame in the text map.")
@click.option("--svg", "svg_path", type=click.Path(dir_okay=False), default=None,
              help="Also write the map as an SVG image to this file.")
@click.option("--allow-outside", is_flag=True)
@click.option("--algo", "algorithm", type=click.Choice(sorted(COMPRESSORS)), default="lz4",
              show_default=True)
def zspages(trace, size, count, free_list, class_size, width, svg_path, allow_outside,
            algorithm):
    """Draw zspages as chains of page frames: after replaying TRACE, or for --size.

    Objects that span two frames are marked; free slots show as '.'.

    Example: zramsim zspages --size 1560 --count 15 --free 3 --svg map.svg
    """
    from allocator import Pool
    from zramsim.teach.zspage_map import device_views, render_svg, render_text as map_text
    from zramsim.teach.zspage_map import zspage_views
    if (trace is None) == (size is None):
        raise click.UsageError("give a TRACE or --size")
    try:
        if trace is None:
            pool = Pool()
            handles = [pool.malloc(size) for _ in range(count)]
            for n in (int(x) for x in free_list.split(",") if x.strip()):
                pool.free(handles[n])
            views = zspage_views(pool, class_size)
        else:
            reader, events, _ = open_events(trace, None, allow_outside, None)
            device = build_device(algorithm, None, None, None, 0, reader.page_size, 8,
                                  "min-waste")
            replayer, message, code = run_replay(device, reader, events, True)
            finish(message, code)
            views = device_views(device, class_size)
    except (IndexError, *DOMAIN_ERRORS) as exc:
        raise Failure(str(exc)) from None
    click.echo(map_text(views, width), nl=False)
    if svg_path:
        with open(svg_path, "w") as out:
            out.write(render_svg(views))
        click.echo(f"SVG written to {svg_path}", err=True)


@main.command()
@click.option("--trace", type=click.Path(dir_okay=False), help="Contents from a trace file.")
@click.option("--pid", type=int, help="Contents from the resident pages of a live process.")
@click.option("--pages", type=click.IntRange(1), default=4096, show_default=True,
              help="Generated address space size (without --trace/--pid).")
@click.option("--mix", default="default", show_default=True,
              help="Content kind of generated pages, or 'default' for the default mix.")
@click.option("--pattern", default="zipf", show_default=True,
              help="Access pattern: zipf, uniform, hotcold, phases, sequential, or 'trace' "
                   "(the trace's own reads and writes).")
@click.option("--accesses", type=click.IntRange(0), default=100_000, show_default=True)
@click.option("--zipf-s", type=float, default=None, help="zipf exponent (default 1.0).")
@click.option("--write-fraction", type=float, default=0.0, show_default=True)
@click.option("--no-populate", is_flag=True, help="Do not touch every page once first.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--ram", default="30%,40%,50%,60%,70%,80%,90%,100%", show_default=True,
              help="RAM sizes: pages or percentages of the address space, comma-separated.")
@click.option("--algo", "algorithms", default="lz4,zstd", show_default=True,
              help="zram algorithms, comma-separated.")
@click.option("--level", type=int, default=None, help="lz4 acceleration or zstd level.")
@click.option("--policy", type=click.Choice(["lru", "clock", "twolist"]), default="lru",
              show_default=True)
@click.option("--on-full", type=click.Choice(["oom", "disk"]), default="oom", show_default=True,
              help="When zram refuses a page: OOM, or spill to the disk swap.")
@click.option("--disksize", type=SIZE, default=None, help="zram size (default: the workload).")
@click.option("--mem-limit", type=SIZE, default=0, show_default=True)
@click.option("--disk-latency-us", type=float, default=100.0, show_default=True)
@click.option("--no-baselines", is_flag=True, help="Skip the disk-only and no-swap runs.")
@click.option("--timeline", "every", type=click.IntRange(1), default=None,
              help="One run (first RAM size and algorithm) sampled every N accesses.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
              show_default=True)
@click.option("-o", "--plot", "plot_path", type=click.Path(dir_okay=False),
              help="Write a plot (.png or .svg; needs the 'plot' extra).")
def pressure(trace, pid, pages, mix, pattern, accesses, zipf_s, write_fraction, no_populate,
             seed, ram, algorithms, level, policy, on_full, disksize, mem_limit,
             disk_latency_us, no_baselines, every, fmt, plot_path):
    """Swap pressure: how much more a workload holds with zram as swap, at what cost.

    Sweeps RAM sizes x zram algorithms (plus disk-only and no-swap baselines) and
    reports faults, effective memory, the thrashing knee and the OOM point.

    Example: zramsim pressure --pages 8192 --ram 30%,50%,70%,90% --accesses 200000 -o knee.svg
    """
    from workloads.address_space import load_workload
    from zramsim.pressure import (BASELINES, PressureConfig, resolve_rams,
                                  run_pressure, sweep)
    from zramsim.pressure import results as res
    params = {} if zipf_s is None else {"s": zipf_s}
    try:
        workload = load_workload(trace=trace, pid=pid, pages=pages, mix=mix, pattern=pattern,
                                 accesses=accesses, seed=seed, write_fraction=write_fraction,
                                 populate=not no_populate, **params)
        rams, algos = resolve_rams(ram, workload.pages), algorithms.split(",")
        base = PressureConfig(ram_pages=rams[0], algorithm=algos[0], level=level, policy=policy,
                              on_full=on_full, disksize=disksize, mem_limit=mem_limit,
                              disk_latency_ns=round(disk_latency_us * 1000))
        if every:
            result = run_pressure(workload, base, every=every)
            text = {"table": res.timeline_table, "json": res.to_json,
                    "csv": lambda r: res.timeline_csv(r.timeline)}[fmt](result)
        else:
            result = sweep(workload, rams, algorithms=algos, base=base,
                           baselines=() if no_baselines else BASELINES)
            text = {"table": res.sweep_table, "json": res.to_json,
                    "csv": lambda r: res.summaries_csv(list(r.summaries))}[fmt](result)
        if plot_path:
            from zramsim.pressure.plot import plot_sweep, plot_timeline
            (plot_timeline if every else plot_sweep)(result, plot_path, title=workload.name)
    except (*DOMAIN_ERRORS, RuntimeError) as exc:
        raise Failure(str(exc)) from None
    click.echo(text, nl=not text.endswith("\n"))


# --- end of commands ---


if __name__ == "__main__":
    main()
