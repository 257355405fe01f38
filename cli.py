"""zramsim's command line: parse, wire readers to the device, print. Nothing else.

stdout carries only the result; progress (on a terminal, not with ``-q``),
notes, warnings and errors (one line, ``Error: ...``) go to stderr. Exit codes:
0 success; 1 a domain error (a malformed trace, a refused capture, an output
that cannot be written); 2 a usage error or a bad option value; 3 a verify
mismatch; 130 interrupted, after printing what was computed. ``EXIT_CODES`` is
the only mapping from our exceptions to codes. ``-`` is standard output for
``generate`` and ``convert``; outputs are whole or absent.

A new command: ``@command()`` (which adds ``-q``), its options declared as data
beside the library that uses them (``zramsim.option_spec``; ``options(...)``
turns them into click's) and the shared decorators (``device_options``,
``trace_options``, ``format_option``, ...), then parse, call the library,
print. Let our exceptions propagate: the group turns each into one line and
its exit code.
"""

from __future__ import annotations

import errno
import functools
import os
import sys

import click

from allocator import Geometry, ObjectSizeError
from workloads import WorkloadError
from workloads.access import ACCESS_PATTERNS
from workloads.binary_trace import DEFAULT_LEVEL as ZSTD_DEFAULT, LEVELS as ZSTD_LEVELS
from workloads.capture import INCLUDE_CHOICES
from workloads.default import (DEFAULT_PAGES, DEFAULT_SEED, DESCRIPTION, DefaultWorkload,
                               default_workload)
from workloads.errors import BadOption
from workloads.generators import KINDS
from workloads.open_trace import INPUT_FORMATS
from workloads.output_file import output_error
from zramsim import ConfigError, DeviceError, VerifyMismatch
from zramsim.collector import no_collection_at_exit
from zramsim.device_options import (ALGO, CONFIGS, DEVICE, DEVICE_OPTIONS, GENERATOR, GEOMETRY,
                                    PAGE_SIZE, RAM, ZRAM_DEVICE, device_maker)
from zramsim.helper_start import usable_workers
from zramsim.kernel_diff_options import OPTIONS as KERNEL_DIFF
from zramsim.option_spec import Choices, File, Flag, ListOf, Option, Path, Range, Size
from zramsim.pressure import options as pressure_options
from zramsim.progress import Progress
from zramsim.replay_run import EXPLAIN, STRICT, VERIFY, WORKERS
from zramsim.report import (plural, render_class_table, render_replay, replay_config,
                            replay_document, replay_formats, replay_warnings)
from zramsim.size_parse import SizeError, parse_size
from zramsim.sweep import options as sweep_options
from zramsim.teach import options as teach_options
from zramsim.teach.quiz import KINDS as QUIZ_KINDS
from zramsim.zramctl import OPTIONS as ZRAMCTL, ZramctlOptions, ZramctlUsageError

EXIT_DOMAIN, EXIT_USAGE, EXIT_VERIFY, EXIT_INTERRUPTED = 1, 2, 3, 130
# Our exceptions and their exit codes, most specific first: the one place they are mapped.
# Anything else (a bare ValueError, OSError, a broken invariant) is a bug: a traceback.
EXIT_CODES = ((VerifyMismatch, EXIT_VERIFY), (ConfigError, EXIT_USAGE), (BadOption, EXIT_USAGE),
              (ObjectSizeError, EXIT_USAGE), (WorkloadError, EXIT_DOMAIN),
              (DeviceError, EXIT_DOMAIN))
OUR_ERRORS = tuple(cls for cls, _ in EXIT_CODES)
STDOUT_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO)   # writing the result


def exit_code(exc: BaseException) -> int:
    return next(code for cls, code in EXIT_CODES if isinstance(exc, cls))


class Failure(click.ClickException):
    """An error with our exit code; printed as ``Error: <message>`` on one line."""

    def __init__(self, message: str, code: int = EXIT_DOMAIN) -> None:
        super().__init__(message)
        self.exit_code = code


class Zramsim(click.Group):
    """The group that turns every outcome into one stderr line and an exit code."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except OUR_ERRORS as exc:
            if isinstance(exc, AssertionError):  # a broken invariant is a bug: show it whole
                raise
            raise Failure(str(exc), exit_code(exc)) from None
        except BrokenPipeError:                  # `zramsim classes | head -1`: not an error
            return _stdout_gone()
        except KeyboardInterrupt:                # say how far the command's progress got
            shown, noun, after = ctx.meta.get("zramsim.progress", (None, "", ""))
            raise Failure(f"interrupted after {plural(shown.count, noun)}{after}" if shown
                          else "interrupted", EXIT_INTERRUPTED) from None

    def main(self, args=None, prog_name=None, **extra):
        extra.pop("standalone_mode", None)
        if args is None:            # the process's own command line, not a test's call
            no_collection_at_exit()
        try:
            code = super().main(args, prog_name, standalone_mode=False, **extra)
            sys.stdout.flush()
        except click.exceptions.NoArgsIsHelpError as exc:   # plain `zramsim`: the help
            click.echo(exc.ctx.get_help())
            code = 0
        except click.ClickException as exc:
            ctx = getattr(exc, "ctx", None)
            hint = f" (see '{ctx.command_path} --help')" \
                if isinstance(exc, click.UsageError) and ctx else ""
            code = _error(exc.format_message() + hint, exc.exit_code)
        except (click.Abort, KeyboardInterrupt):
            code = _error("interrupted", EXIT_INTERRUPTED)
        except BrokenPipeError:                   # `zramsim classes | head -1`: not an error
            code = _stdout_gone()
        except OSError as exc:                    # `zramsim replay > /dev/full`: one line
            if exc.filename is not None or exc.errno not in STDOUT_FULL:
                raise                             # not the result's writing: a bug, shown
            _stdout_gone()
            code = _error(str(output_error("standard output", exc)), EXIT_DOMAIN)
        sys.exit(code if isinstance(code, int) else 0)


def _error(message: str, code: int) -> int:
    click.echo(f"Error: {' '.join(message.split())}", err=True)
    return code


def _stdout_gone() -> int:
    """The reader of stdout left: send what is still buffered nowhere, exit 0 silently."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):    # not a real file (a test runner's)
        pass
    return 0


def _version(ctx, param, value) -> None:
    """--version, looked up only when asked (importlib.metadata is slow to import)."""
    if not value or ctx.resilient_parsing:
        return
    import importlib.metadata
    try:
        version = importlib.metadata.version("zramsim")
    except importlib.metadata.PackageNotFoundError:
        version = "unknown (run from a checkout, not installed)"
    click.echo(f"zramsim, version {version}")
    ctx.exit()


@click.group(cls=Zramsim, context_settings={"help_option_names": ["-h", "--help"],
                                             "show_default": True})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_version,
              help="Show the version and exit.")
def main():
    """zramsim: a simulated Linux zram device on a faithful zsmalloc allocator.

    Exit codes: 0 success, 1 domain error (bad trace, output not written),
    2 usage error (incl. a bad option value), 3 verify mismatch, 130 interrupted.
    '-' is standard output for generate and convert.

    Example: zramsim replay            (the built-in default workload)
    """


# --- output on stderr: notes, warnings, progress -------------------------------------

def _quiet() -> bool:
    ctx = click.get_current_context(silent=True)
    return bool(ctx and ctx.meta.get("zramsim.quiet"))


def note(text: str) -> None:
    """An informative line on stderr (not with -q)."""
    if not _quiet():
        click.echo(text, err=True)


def warn(text: str) -> None:
    """Something the user must know although the command succeeded (always shown)."""
    click.echo(f"Warning: {text}", err=True)


def progress(noun: str = "event", fraction=None, total: int | None = None,
             after: str = "") -> Progress:
    """A progress line on stderr when it is a terminal and -q was not given; a Ctrl-C
    says how far it got (``interrupted after 1,234 events`` + ``after``)."""
    shown = not _quiet() and sys.stderr.isatty()
    write = (lambda line: click.echo(line, err=True, nl=False)) if shown else None
    counter = Progress(write, noun + "s", fraction, total)
    click.get_current_context().meta["zramsim.progress"] = (counter, noun, after)
    return counter


# --- shared options -------------------------------------------------------------------

def _set_quiet(ctx, param, value) -> None:
    ctx.meta["zramsim.quiet"] = value


def command(*args, **kwargs):
    """``@main.command`` plus ``-q``, which every command takes."""
    def decorate(func):
        func = click.option("-q", "--quiet", is_flag=True, expose_value=False, is_eager=True,
                            callback=_set_quiet, help="No progress or notes on stderr.")(func)
        return main.command(*args, **kwargs)(func)
    return decorate


class SizeType(click.ParamType):
    """A size parsed like util-linux's (zramsim.size_parse): 4096, 64K, 512KB, 1.5G."""

    name = "size"

    def convert(self, value, param, ctx):
        try:
            return value if isinstance(value, int) else parse_size(value)
        except SizeError as exc:
            self.fail(str(exc), param, ctx)


SIZE = SizeType()


RANGES = {int: click.IntRange, float: click.FloatRange}
CLICK_TYPES = {          # each kind of option (zramsim.option_spec) as click's type
    Range: lambda kind: RANGES[kind.of](kind.low, kind.high),
    Choices: lambda kind: click.Choice(kind.values),
    Path: lambda kind: click.Path(dir_okay=not kind.file_only, allow_dash=kind.dash),
    File: lambda kind: click.File(kind.mode),
    Size: lambda kind: SIZE,
    type: lambda kind: kind,            # int, float, str: click knows them
}


def to_click(option: Option):
    """``option``, declared as data, as a click option; ``parse`` (a list's own, if it is
    one) turns the value into what the command receives."""
    kind, parse = option.kind, option.parse
    attrs = dict(help=option.help, multiple=option.multiple, required=option.required,
                 metavar=option.metavar)
    if option.default is not None:          # a flag given default=None would be None
        attrs["default"] = option.default
    if isinstance(kind, Flag):
        attrs.update({"is_flag": True} if kind.value is True else {"flag_value": kind.value})
    elif isinstance(kind, ListOf):
        attrs["metavar"], parse = "LIST", kind.parse
    else:
        attrs["type"] = CLICK_TYPES[type(kind)](kind)
    if parse:
        attrs["callback"] = functools.partial(_parsed, parse)
    return click.option(*option.decls.split(), **attrs)


def _parsed(parse, ctx, param, value):
    try:
        return value if value is None else parse(value)
    except ValueError as exc:                 # worded by the library: a usage error
        raise click.BadParameter(str(exc)) from None


def options(*items):
    """Options, declared as data (``Option``) or as click decorators, in help order."""
    def decorate(func):
        for item in reversed(items):
            func = (item if callable(item) else to_click(item))(func)
        return func
    return decorate


def format_option(*choices: str):
    return click.option("--format", "fmt", type=click.Choice(choices), default=choices[0],
                        help="Output format.")


allow_outside_option = click.option(
    "--allow-outside", is_flag=True, help="Let file: contents of a text trace leave its folder.")


def device_options(func):
    """The options of every command that builds a device, handed to it as one ``device``."""
    @functools.wraps(func)
    def bundled(**kwargs):
        return func(device={name: kwargs.pop(name) for name in DEVICE_OPTIONS}, **kwargs)
    return options(*DEVICE)(bundled)


input_format_option = click.option(
    "--input-format", type=click.Choice(INPUT_FORMATS), default="auto", expose_value=False,
    is_eager=True, callback=lambda ctx, _, value: ctx.meta.update(input_format=value),
    help="What TRACE ('-': standard input) holds; raw images only when asked or named "
         ".img/.bin/.raw/.iso/.dd.")


def trace_options(func):
    """An optional TRACE (default: the built-in workload, which --seed picks)."""
    return options(
        click.argument("trace", type=click.Path(dir_okay=False, allow_dash=True),
                       required=False),
        click.option("--seed", type=int, default=None,
                     help=f"Seed of the built-in workload (default {DEFAULT_SEED}; no TRACE)."),
        allow_outside_option, input_format_option,
    )(func)


def zramctl_options(func):
    """zramctl's options (for --format zramctl / zramctl-json), handed on as ``zramctl``."""
    @functools.wraps(func)
    def bundled(output, in_bytes, noheadings, raw, name, **kwargs):
        try:
            kwargs["zramctl"] = ZramctlOptions.parse(output, in_bytes, raw, noheadings, name,
                                                     fmt=kwargs["fmt"])
        except ZramctlUsageError as exc:
            raise click.UsageError(str(exc)) from None
        return func(**kwargs)
    return options(*ZRAMCTL)(bundled)


# --- wiring ---------------------------------------------------------------------------

def open_events(trace, seed, allow_outside, page_size):
    """(reader, source description) for TRACE, or for the built-in workload without one."""
    if trace is None:
        seed = DEFAULT_SEED if seed is None else seed
        return DefaultWorkload(seed, DEFAULT_PAGES, page_size or 4096), {
            "trace": None, "workload": "default", "seed": seed, "description": DESCRIPTION}
    if seed is not None:
        raise click.UsageError("--seed picks the built-in workload; it does not apply to a TRACE")
    reader = reopen(trace, allow_outside, page_size)()
    return reader, {"trace": trace, "format": reader.format, "seed": None}


def reopen(trace, allow_outside, page_size):
    """What opens TRACE as ``open_events`` does, also again in another process (it pickles)."""
    from workloads.open_trace import open_trace
    input_format = click.get_current_context().meta.get("input_format", "auto")
    return functools.partial(open_trace, trace, allow_outside=allow_outside, page_size=page_size,
                             input_format=input_format)


def from_generator(device: dict, configs, ram, name) -> tuple[dict, dict | None]:
    """``device``'s options with zram-generator.conf's settings for those not given on
    the command line, and what the configuration says (for the JSON)."""
    if not configs:
        return device, None
    from click.core import ParameterSource
    from zramsim.device_options import from_generator as merge
    source = click.get_current_context().get_parameter_source
    device, generated, warnings = merge(
        device, configs, ram, name, lambda key: source(key) is ParameterSource.COMMANDLINE)
    for text in warnings:
        warn(text)
    return device, generated


def open_device(trace, seed, allow_outside, options: dict, verify: bool = False):
    """TRACE's reader (or the built-in workload's), what it is, the device ``options``
    describe at its page size, and what makes an identical fresh device."""
    reader, source = open_events(trace, seed, allow_outside, options["page_size"])
    try:
        make = device_maker(options, reader.page_size, verify)
        return reader, source, make(), make
    except BaseException:
        reader.close()
        raise


def run_replay(device, reader, workers: int = 1, explain: bool = False, strict: bool = False,
               events=None):
    """Replay (zramsim.replay_run); returns (replay, error message or None, exit code)
    and never raises ours."""
    from zramsim.replay_run import replay_until_stopped
    replayer, stop = replay_until_stopped(
        device, reader, progress("event", reader.fraction_read), workers=workers, strict=strict,
        events=events, warn=warn, say=click.echo if explain else None, stops=OUR_ERRORS)
    if stop is None:
        return replayer, None, 0
    if isinstance(stop, KeyboardInterrupt):
        return replayer, f"interrupted after {plural(replayer.applied, 'event')}", EXIT_INTERRUPTED
    if isinstance(stop, WorkloadError):              # its message names the file and line
        return replayer, str(stop), exit_code(stop)
    return replayer, f"{replayer.failed_at or reader.location()}: {stop}", exit_code(stop)


def finish(message: str | None, code: int, warnings=()) -> None:
    for text in warnings:
        warn(text)
    if message is not None:
        raise Failure(message, code)


def write_trace(out, write, unit="event", inputs=(), fmt=None) -> None:
    """``write(progress)`` writes ``out`` whole or not at all; say how it went."""
    from workloads.output_file import refuse_overlap
    from workloads.trace_output import output_paths
    refuse_overlap(output_paths(out, fmt), inputs)
    with progress(unit, after=f": {out} not written") as shown:
        count = write(shown)
    note(f"{plural(count, unit)} written to {'standard output' if out == '-' else out}")


def events_to(out, page_size, events, fmt, level):
    from workloads.trace_output import write_events
    from zramsim.helper_start import second_core_free   # a replay's rule for a helper
    return lambda shown: write_events(out, page_size, events, fmt=fmt, progress=shown,
                                      helper=second_core_free, level=level)


def write_file(path, data: bytes, what: str) -> None:
    from workloads.output_file import write_bytes
    write_bytes(path, data)
    note(f"{what} written to {path}")


def emit(text: str) -> None:
    """Print a result that may or may not end in a newline, with exactly one."""
    click.echo(text, nl=not text.endswith("\n"))


# --- commands -------------------------------------------------------------------------

@command()
@trace_options
@device_options
@options(VERIFY, EXPLAIN, WORKERS, format_option(*replay_formats()))
@zramctl_options
@options(STRICT, *GENERATOR)
def replay(trace, seed, allow_outside, device, verify, explain, workers, fmt, zramctl, strict,
           configs, ram, zram_device):
    """Replay TRACE (text, binary or raw image) into a zram device and report.

    With no TRACE, replays the built-in default workload (16 MiB of realistic pages).
    --format is ours (table, json, csv), zramctl's, or one kernel file exactly.

    Example: zramsim replay tests/data/traces/mixed.trace --format zramctl
    """
    if explain and fmt != "table":
        raise click.UsageError("--explain narrates in words: use it with --format table")
    workers, capped = usable_workers(workers) if workers else (None, None)
    asked = workers                  # None: as many as pay, so the same for a file and a pipe
    if capped:
        note(capped)
    options, generator = from_generator(device, configs, ram, zram_device)
    reader, source, device, _ = open_device(trace, seed, allow_outside, options, verify)
    if not explain:
        from zramsim.read_ahead import plan
        reopen_trace = reopen(trace, allow_outside, options["page_size"])
        reader, workers = plan(device, reader, workers, reopen_trace)
    replayer, message, code = run_replay(device, reader, workers or 1, explain, strict)
    warnings = replay_warnings(device.stats())
    config = replay_config(device, source, generator, verify=verify, workers=asked)
    click.echo(render_replay(fmt, device, replayer.applied, config, message, warnings, zramctl),
               nl=False)
    finish(message, code, warnings)


@command()
@trace_options
@device_options
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True,
              help="The HTML file to write (replaced whole if it exists).")
@options(*GENERATOR)
def report(trace, seed, allow_outside, device, output, configs, ram, zram_device):
    """Replay TRACE as `replay` does and write one self-contained HTML report.

    Example: zramsim report docs/tutorial.trace -o report.html
    """
    from zramsim.html_report import ReplayRecorder, replay_page
    from workloads.output_file import refuse_overlap
    refuse_overlap([output], [trace] if trace else [])
    options, generator = from_generator(device, configs, ram, zram_device)
    reader, source, device, twin = open_device(trace, seed, allow_outside, options)
    recorder = ReplayRecorder(device, twin)
    replayer, message, code = run_replay(device, reader, events=recorder.watch(reader))
    doc = replay_document(device, replayer.applied, replay_config(device, source, generator),
                          message)
    write_file(output, replay_page(device, doc, source["trace"] or "default workload",
                                   recorder).encode(), "report")
    finish(message, code, replay_warnings(device.stats()))


@command()
@click.argument("traces", nargs=-1, type=click.Path(dir_okay=False))
@options(*sweep_options.GRID, *sweep_options.ENGINE, *sweep_options.REPORT)
@format_option("table", "csv", "json")
def sweep(traces, db, workers, scheduler, report, plot, html_path, fmt, **grid):
    """Replay every TRACE x configuration (comma-separated lists) into a SQLite database.

    Runs already ok in --db are skipped, failed ones retried; exit 1 if a run failed.

    Example: zramsim sweep tests/data/traces/mixed.trace --algo lz4,zstd --db s.db
    """
    from workloads.open_trace import open_trace
    from zramsim.sweep import executor_factory, report as rep, sweep as run_sweep
    if report:
        rows = rep.load(db)
        for path, data, what in rep.figures(rows, db, plot, html_path):
            write_file(path, data, what)
        return emit(rep.render_summary(rows, fmt))
    if not traces:
        raise click.UsageError("give at least one TRACE, or --report")
    shown = not _quiet() and sys.stderr.isatty()
    out = run_sweep(traces, grid, db, executor_factory(workers, scheduler), open_trace,
                    shown and (lambda job: click.echo(f"\r{job.progress_text():<72}", err=True,
                                                      nl=False)))
    click.echo("", err=True, nl=shown)
    emit(rep.render_rows(out.rows, fmt, out.counts))
    finish(out.message, EXIT_INTERRUPTED if out.interrupted else EXIT_DOMAIN)


@command()
@trace_options
@device_options
@format_option("table", "json", "csv")
def classes(trace, seed, allow_outside, device, fmt):
    """The zsmalloc size classes: after replaying TRACE, or the bare geometry.

    With TRACE, prints the debugfs 'classes' table after replaying it; with no
    TRACE, the class geometry for --page-size, --chain-size and --chain-rule.

    Example: zramsim classes --page-size 16384 --format json
    """
    if trace is None and seed is None:
        return emit(render_class_table(fmt, Geometry(device["page_size"] or 4096,
                                                     device["chain_size"], device["chain_rule"])))
    reader, _, device, _ = open_device(trace, seed, allow_outside, device)
    _, message, code = run_replay(device, reader)
    click.echo(render_class_table(fmt, rows=device.pool.class_stats()), nl=False)
    finish(message, code, replay_warnings(device.stats()))


@command()
@format_option("table", "json")
def algorithms(fmt):
    """List the compression algorithms and their parameters.

    Example: zramsim algorithms --format json
    """
    from zramsim.algorithms import algorithm_rows, render_algorithms
    emit(render_algorithms(algorithm_rows(), fmt))


@command("config")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@options(RAM._replace(help="MemTotal of the simulated machine (default: this machine's)."),
         format_option("table", "json"))
def config_command(paths, ram, fmt):
    """The zram devices a zram-generator configuration creates, in sysfs terms.

    PATHS are zram-generator.conf files, drop-ins, or folders laid out as the
    generator reads them; later ones override earlier ones.

    Example: zramsim config docs/examples/zram-generator.conf --ram 16G
    """
    from zramsim.zram_generator import machine_ram, read_devices
    from zramsim.zram_generator.render import render_devices
    devices, warnings = read_devices(list(paths), ram or machine_ram())
    emit(render_devices(devices, warnings, fmt))


def trace_output_options(func):
    """--output-format and --zstd-level: how OUT is written."""
    func = click.option("--zstd-level", "level", type=click.IntRange(*ZSTD_LEVELS),
                        default=None, metavar="N",
                        help=f"zstd level of a binary OUT, {ZSTD_LEVELS[0]} (fastest to write "
                             f"and to replay) to {ZSTD_LEVELS[1]} (smallest)  [default: "
                             f"{ZSTD_DEFAULT}]")(func)
    return click.option("--output-format", "out_fmt", type=click.Choice(["binary", "text"]),
                        default=None,
                        help="Trace format of OUT (default: from its suffix; '-': binary).")(func)


@command()
@click.argument("src", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.argument("dst", type=click.Path(dir_okay=False, allow_dash=True))
@allow_outside_option
@trace_output_options
def convert(src, dst, allow_outside, out_fmt, level):
    """Convert a trace between text (.trace/.txt) and binary (.ztrace/.zst).

    Text to binary inlines file: and random: contents; binary to text writes page
    bytes to a side file DST.pages. DST '-' is standard output (binary).

    Example: zramsim convert tests/data/traces/mixed.trace mixed.ztrace
    """
    from workloads.open_trace import convert as convert_trace
    from zramsim.helper_start import second_core_free
    write_trace(dst, lambda shown: convert_trace(src, dst, allow_outside=allow_outside,
                                                 fmt=out_fmt, progress=shown,
                                                 helper=second_core_free, level=level),
                inputs=[src], fmt=out_fmt)


@command()
@click.argument("out", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--kind", default=None,
              help=f"Content kind ({', '.join(KINDS)}), or a mix such as "
                   "heap=0.6,text=0.3,zero=0.1.")
@click.option("--pages", type=click.IntRange(1), default=DEFAULT_PAGES)
@click.option("--seed", type=int, default=0)
@options(PAGE_SIZE._replace(default="4096"))
@click.option("--overwrite-rate", type=click.FloatRange(0, 1), default=0.0)
@click.option("--read-rate", type=click.FloatRange(0, 1), default=0.0)
@click.option("--discard-rate", type=click.FloatRange(0, 1), default=0.0)
@click.option("--compact-rate", type=click.FloatRange(0, 1), default=0.0)
@trace_output_options
def generate(out, kind, pages, seed, page_size, overwrite_rate, read_rate, discard_rate,
             compact_rate, out_fmt, level):
    """Write a generated trace to OUT (.ztrace binary or .trace text; '-': stdout).

    With no --kind, writes the built-in default workload.

    Example: zramsim generate heap.ztrace --kind heap=0.7,zero=0.3 --pages 1000
    """
    from workloads.mixes import generate_trace, parse_mix
    if kind is None:
        events = default_workload(seed, pages, page_size)
    else:
        events = generate_trace(parse_mix(kind), pages, seed, page_size,
                                overwrite_rate=overwrite_rate, read_rate=read_rate,
                                discard_rate=discard_rate, compact_rate=compact_rate)
    write_trace(out, events_to(out, page_size, events, out_fmt, level), fmt=out_fmt)


@command()
@click.argument("out", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--pid", type=click.IntRange(1), help="Capture a live process's resident pages.")
@click.option("--path", type=click.Path(), help="Capture a file, or every file under a folder.")
@click.option("--include", type=click.Choice(INCLUDE_CHOICES),
              default="private", help="Which mappings of a process.")
@trace_output_options
def capture(out, pid, path, include, out_fmt, level):
    """Capture pages of a live process (--pid) or of files (--path) into trace OUT.

    Example: zramsim capture --path tests/data/traces captured.ztrace
    """
    from workloads.capture import capture_path, capture_process
    if (pid is None) == (path is None):
        raise click.UsageError("give exactly one of --pid and --path")
    events = capture_process(pid, include=include) if pid is not None else capture_path(path)
    write_trace(out, events_to(out, 4096, events, out_fmt, level), "page", [path] if path else [],
                out_fmt)


@command("kernel-diff")
@click.argument("trace", type=click.Path(dir_okay=False, allow_dash=True))
@options(*KERNEL_DIFF, allow_outside_option, input_format_option, format_option("table", "json"))
def kernel_diff(trace, device_path, algorithm, disksize, mem_limit, every, per_page,
                allow_outside, fmt):
    """Replay TRACE on a real, unused zram device and on the simulator; show both.

    Needs root and an unused device (disksize 0, not swap, not mounted); the device
    is reset afterwards, also after an error or Ctrl-C. Sizes-only traces cannot be
    replayed on a kernel.

    Example: sudo zramsim kernel-diff tests/data/traces/mixed.trace --every 100
    """
    from zramsim.kernel_diff import report
    reader, _ = open_events(trace, None, allow_outside, None)
    with reader:
        emit(report(reader, device_path, trace, algorithm=algorithm, disksize=disksize,
                    mem_limit=mem_limit, every=every, per_page=per_page, fmt=fmt))


@command()
@click.argument("size", type=int)
@options(*GEOMETRY, *teach_options.EXPLAIN, format_option("table", "json"))
def explain(size, page_size, chain_size, chain_rule, count, fmt):
    """Explain how zsmalloc stores an object (a compressed page) of SIZE bytes.

    Shows the size class (with the 8-byte handle), every chain length and its
    waste, objects per zspage, whether it is huge, and what COUNT objects cost
    with chained zspages and with single pages.

    Example: zramsim explain 1560
    """
    from zramsim.teach.explain import explain as explain_size, render
    emit(render(explain_size(size, Geometry(page_size, chain_size, chain_rule), count), fmt))


@command()
@options(*teach_options.QUIZ)
def quiz(seed, count, kinds, answers):
    """Print zsmalloc/zram problems for a seed; -c prints the answers.

    Example: zramsim quiz --seed 7 -c
    """
    from zramsim.teach.quiz import make_quiz, render_quiz
    click.echo(render_quiz(make_quiz(seed, count, tuple(kinds) or QUIZ_KINDS), answers),
               nl=False)


@command()
@trace_options
@options(*teach_options.COMPARE, format_option("table", "json"))
def compare(trace, seed, allow_outside, algorithm, names, fmt):
    """Compare zsmalloc, single pages, zbud and z3fold on one trace.

    Every allocator stores the same objects (compressed pages, huge ones raw);
    pages used and the fragmentation breakdown are printed side by side.

    Example: zramsim compare tests/data/traces/mixed.trace --format json
    """
    from zramsim.compressors import make_compressor
    from zramsim.teach.compare import compare as compare_trace, render
    reader, _ = open_events(trace, seed, allow_outside, None)
    with reader, progress("event", reader.fraction_read) as shown:
        result = compare_trace(shown.counting(reader), reader.page_size,
                               make_compressor(algorithm), names or None)
    emit(render(result, fmt))


@command()
@click.argument("trace", type=click.Path(dir_okay=False, allow_dash=True), required=False)
@options(*teach_options.ZSPAGES, *GEOMETRY, *teach_options.MAP, allow_outside_option,
         input_format_option, ALGO, format_option("table", "json", "svg"))
def zspages(trace, size, count, free_list, class_size, page_size, chain_size, chain_rule,
            width, svg_path, allow_outside, algorithm, fmt):
    """Draw zspages as chains of page frames: after replaying TRACE, or for --size.

    Objects that span two frames are marked; free slots show as '.'.

    Example: zramsim zspages --size 1560 --count 15 --free 3 --svg map.svg
    """
    from zramsim.teach.zspage_map import device_views, object_views, render, render_svg
    if (trace is None) == (size is None):
        raise click.UsageError("give a TRACE or --size")
    geometry = Geometry(page_size, chain_size, chain_rule)
    if trace is None:
        views = object_views(size, count, free_list, class_size, geometry)
    else:
        options = dict(algorithm=algorithm, page_size=page_size, chain_size=chain_size,
                       chain_rule=chain_rule)
        reader, _, device, _ = open_device(trace, None, allow_outside, options)
        _, message, code = run_replay(device, reader)
        finish(message, code)
        views = device_views(device, class_size)
    if svg_path:
        from workloads.output_file import refuse_overlap
        refuse_overlap([svg_path], [trace] if trace else [])
        write_file(svg_path, render_svg(views).encode(), "SVG")
    emit(render(views, fmt, width))


@command()
@options(pressure_options.TRACE, input_format_option, *pressure_options.CONTENTS,
         Option("--pattern", Choices((*ACCESS_PATTERNS, "trace")), "zipf",
                "Access pattern; 'trace': the trace's own accesses."),
         *pressure_options.ACCESSES, *pressure_options.MODEL, format_option("table", "json", "csv"),
         *pressure_options.OUTPUTS, CONFIGS, ZRAM_DEVICE)
def pressure(trace, pid, pages, mix, pattern, accesses, zipf_s, write_fraction, no_populate,
             seed, fmt, plot_path, html_path, workers, scheduler, **options):
    """Swap pressure: how much more a workload holds with zram as swap, at what cost.

    Sweeps RAM sizes x zram algorithms (plus disk-only and no-swap baselines) and
    reports faults, effective memory, the thrashing knee and the OOM point. With
    --config, each RAM size is the MemTotal a zram-generator configuration sees.

    Example: zramsim pressure --pages 256 --ram 30%,60%,90% --accesses 2000
    """
    from workloads.address_space import load_workload
    from workloads.output_file import refuse_overlap
    from zramsim import pressure_command
    from zramsim.pressure.results import render as render_pressure
    if zipf_s is not None and pattern != "zipf":
        raise click.UsageError(f"--zipf-s is zipf's exponent, not for --pattern {pattern}")
    if plot_path:
        from zramsim.pressure.plot import check_plot
        check_plot(plot_path)                  # before the runs: the extra, the suffix
    refuse_overlap([path for path in (plot_path, html_path) if path], [trace] if trace else [])
    described = dict(trace=trace, pid=pid, pages=pages, mix=mix, pattern=pattern,
                     accesses=accesses, seed=seed, write_fraction=write_fraction,
                     populate=not no_populate, **({} if zipf_s is None else {"s": zipf_s}),
                     input_format=click.get_current_context().meta.get("input_format", "auto"))
    workload = load_workload(**described)
    plan = pressure_command.plan(workload, **options)
    if plan.on_engine:
        from zramsim.sweep import executor_factory
        from zramsim.sweep.pressure import run_on_engine
        out = run_on_engine(described, plan, executor_factory(workers, scheduler), load_workload)
    else:
        with progress("run", total=plan.runs, after=f" of {plan.runs}") as shown:
            out = pressure_command.run(workload, plan, tick=lambda: shown(shown.count + 1))
    for path, data, what in pressure_command.figures(out.result, workload.name, plan, plot_path,
                                                     html_path):
        write_file(path, data, what)
    emit(render_pressure(out.result, fmt))
    finish(out.message, EXIT_INTERRUPTED if out.interrupted else EXIT_DOMAIN)


# --- end of commands ---


if __name__ == "__main__":
    main()
