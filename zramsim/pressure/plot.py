"""Plots of swap-pressure results, through the optional ``plot`` extra (matplotlib).

matplotlib is heavy and not a core dependency, so it is imported inside each
function; without it the functions raise ``PlotUnavailable`` with the command
that installs it. The format follows the file name: ``.png`` or ``.svg``.

A sweep plot has two panels over RAM size (frames): the fault rate (swap-ins
per access, linear scale) and the estimated time per access (log scale), one
line per setup, the knee of each zram setup circled and runs that ran out of
memory left out. A timeline plot shows resident pages, pages held in zram and
zram's frames against accesses. Each function returns the file's bytes and
writes nothing: the command line puts them in place whole (never half a file).
"""

from __future__ import annotations

import io
import os

from zramsim.errors import ConfigError
from zramsim.pressure.results import PressureResult, SweepResult

FORMATS = (".png", ".svg")


class PlotUnavailable(ConfigError):
    """matplotlib is not installed, or the file name has no supported suffix."""


def _pyplot(path: str):
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in FORMATS:
        raise PlotUnavailable(f"a plot is written as .png or .svg, not {path!r}")
    try:
        import matplotlib
    except ImportError:
        raise PlotUnavailable("plots need matplotlib: pip install 'zramsim[plot]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def check_plot(path: str) -> None:
    """PlotUnavailable now, before a long run, if a plot to ``path`` cannot be made."""
    _pyplot(path)


def _save(fig, path: str) -> bytes:
    """The figure as the bytes of a .png or .svg file (the caller writes them); an SVG
    gets no date and fixed element ids, so the same plot is the same bytes."""
    import matplotlib
    fig.tight_layout()
    fmt = os.path.splitext(path)[1].lower()[1:]
    out = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": "zramsim"}):
        fig.savefig(out, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    return out.getvalue()


def plot_sweep(result: SweepResult, path: str, title: str = "") -> bytes:
    """Fault rate and time per access against RAM size; see the module docstring."""
    plt = _pyplot(path)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 7), sharex=True)
    for label in result.labels():
        runs = [s for s in result.runs(label) if s.oom_at is None]
        if not runs:
            continue
        ram = [s.ram_pages for s in runs]
        line, = top.plot(ram, [s.fault_rate for s in runs], marker=".", label=label)
        bottom.plot(ram, [s.est_ns_per_access / 1000 for s in runs], marker=".",
                    color=line.get_color(), label=label)
        knee = result.knee.get(label)
        if knee is not None and label.startswith("zram"):
            at = next(s for s in runs if s.ram_pages == knee)
            top.plot([knee], [at.fault_rate], "o", color=line.get_color(),
                     markersize=9, fillstyle="none")
    top.set_ylim(bottom=0)
    top.set_ylabel("swap-ins per access")
    top.legend(fontsize="small")
    top.set_title(title or "swap pressure (circles: thrashing knee; OOM runs left out)")
    bottom.set_yscale("log")
    bottom.set_ylabel("estimated time per access (µs)")
    bottom.set_xlabel("RAM (frames of 4 KiB)")
    data = _save(fig, path)
    plt.close(fig)
    return data


def plot_timeline(result: PressureResult, path: str, title: str = "") -> bytes:
    """Resident pages, pages held in zram and zram's frames against accesses."""
    plt = _pyplot(path)
    fig, ax = plt.subplots(figsize=(7, 4))
    t = result.timeline
    x = [s.access for s in t]
    ax.plot(x, [s.resident_pages for s in t], label="resident pages")
    ax.plot(x, [s.zram_pages for s in t], label="pages held in zram")
    ax.plot(x, [s.zram_frames for s in t], label="zram frames (mem_used_total)")
    ax.axhline(result.summary.ram_pages, color="grey", linestyle=":", label="RAM")
    ax.set_xlabel("accesses")
    ax.set_ylabel("pages")
    ax.legend(fontsize="small")
    s = result.summary
    ax.set_title(title or f"{s.label}, {s.policy}, {s.ram_pages} frames")
    data = _save(fig, path)
    plt.close(fig)
    return data
