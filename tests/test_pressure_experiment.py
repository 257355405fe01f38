"""Swap-pressure experiments: sweeps, baselines, the knee, workloads, files, CLI."""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
import struct
import sys
import zlib
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner

from cli import main
from workloads.address_space import (Workload, contents_from_events, mix_workload,
                                     trace_workload)
from workloads.events import PageEvent
from zramsim.pressure import (PressureConfig, knee, resolve_ram, resolve_rams, run_pressure,
                              sweep)
from zramsim.pressure import results as res


def fake_clock():
    return itertools.count().__next__


def tiny(stream=(), pages=6, size=2040):
    """Sizes-only pages two to a zspage frame; the stream follows a full populate."""
    refs = tuple((p, False) for p in range(pages)) + tuple(stream)
    return Workload("tiny", (size,) * pages, lambda: iter(refs), seed=7, accesses=len(refs))


# -- knee and RAM sizes -------------------------------------------------------

def test_knee_docstring_example():
    assert knee([(100, 0.5), (200, 0.1), (300, 0.05), (400, 0.0)]) == 200


def test_knee_needs_three_points_and_a_bend():
    assert knee([(100, 0.5), (200, 0.1)]) is None
    assert knee([(100, 0.2), (200, 0.2), (300, 0.2)]) is None
    # a late drop (concave, unsorted here) has no point below its chord
    assert knee([(300, 0.0), (100, 1.0), (200, 0.9)]) is None


def test_resolve_ram():
    assert resolve_ram("40%", 2000) == 800 and resolve_ram(1500, 2000) == 1500
    assert resolve_rams("100%, 10%,200", 2000) == [200, 2000]
    for bad in ("0", "x", "0.01%"):
        with pytest.raises(ValueError):
            resolve_ram(bad, 2000)


# -- sweeps with baselines ----------------------------------------------------

def test_sweep_locates_oom_points_and_gains():
    result = sweep(tiny(), [2, 3, 4, 5, 6], algorithms=("lz4",), clock=fake_clock())
    assert result.labels() == ["zram-lz4", "disk", "none"]
    oom = {(s.label, s.ram_pages): s.oom_at for s in result.summaries}
    # no swap: the fault on page `ram` finds RAM full; zram at 3 frames: page 5
    # needs a third zspage frame with nothing left to evict (worked in the docs)
    assert [oom["none", r] for r in (2, 3, 4, 5, 6)] == [2, 3, 4, 5, None]
    assert [oom["zram-lz4", r] for r in (2, 3, 4, 5, 6)] == [3, 5, None, None, None]
    assert result.min_ram == {"zram-lz4": 4, "disk": 2, "none": 6}
    assert result.gain == {"zram-lz4": 1.5, "disk": 1.0, "none": 1.0}
    zram4 = next(s for s in result.runs("zram-lz4") if s.ram_pages == 4)
    assert (zram4.zram_outs, zram4.resident_pages, zram4.zram_frames_max) == (4, 2, 2)
    assert all(s.seed == 7 for s in result.summaries)


def test_same_seed_same_result_different_seed_differs():
    mix = {"text": 1, "zero": 1}
    a, b, c = (mix_workload(200, mix, "zipf", 600, seed=seed, write_fraction=0.3)
               for seed in (3, 3, 4))
    config = PressureConfig(ram_pages=170)
    ra, rb, rc = (run_pressure(w, config, every=100) for w in (a, b, c))
    assert ra.summary.counts() == rb.summary.counts()
    assert ra.timeline == rb.timeline and len(ra.timeline) == 8    # 800 accesses, every 100
    assert ra.summary.zram_ins > 0 and ra.summary.seed == 3
    assert rc.summary.counts() != ra.summary.counts()


def test_populate_then_pattern():
    w = mix_workload(40, "zero", "sequential", 10, seed=1)
    assert w.accesses == 50 and w.pages == 40
    stream = list(w.stream())
    assert stream[:40] == [(p, False) for p in range(40)] and stream[40:] == stream[:10]
    assert list(w.stream()) == stream                       # the factory replays


# -- workloads from events ----------------------------------------------------

def test_contents_from_events_first_write_wins():
    events = [PageEvent("W", 2, b"b" * 8), PageEvent("R", 0), PageEvent("W", 2, b"c" * 8),
              PageEvent("W", 0, 77)]
    assert contents_from_events(events, 8) == [77, bytes(8), b"b" * 8]
    with pytest.raises(ValueError):
        contents_from_events([PageEvent("R", 0)], 8)


def test_trace_is_its_own_access_stream():
    page = b"q" * 4096
    events = [PageEvent("W", 0, page), PageEvent("W", 1, 900), PageEvent("R", 0),
              PageEvent("D", 0, 1), PageEvent("W", 0, b"r" * 4096), PageEvent("W", 1, 901),
              PageEvent("C", 0), PageEvent("R", 3)]
    w = trace_workload(events)
    assert w.contents == (page, 900, bytes(4096), bytes(4096))
    assert list(w.stream()) == [(0, False), (1, False), (0, False), (0, b"r" * 4096),
                                (1, True), (3, False)]
    s = run_pressure(w, PressureConfig(ram_pages=2), clock=fake_clock()).summary
    assert (s.first_touches, s.hits, s.accesses) == (3, 3, 6)


# -- files ----------------------------------------------------------------------

def test_json_and_csv_carry_fields_and_derived_metrics():
    result = sweep(tiny(), [4, 6], algorithms=("lz4",), baselines=("none",), clock=fake_clock())
    data = json.loads(res.to_json(result))
    first = data["summaries"][0]
    assert (first["label"], first["ram_pages"], first["effective_memory"]) == ("zram-lz4", 4, 1.5)
    assert first["faults"] == first["first_touches"] + first["zram_ins"] + first["disk_reads"]
    assert data["min_ram"] == {"zram-lz4": 4, "none": 6}
    rows = list(csv.DictReader(io.StringIO(res.summaries_csv(list(result.summaries)))))
    assert len(rows) == 4 and rows[1]["label"] == "none" and rows[1]["oom_at"] == "4"
    assert list(rows[0]) == res.summary_columns()


def test_timeline_csv():
    result = run_pressure(tiny([(0, False), (5, False)]), PressureConfig(ram_pages=4),
                          every=4, clock=fake_clock())
    rows = list(csv.DictReader(io.StringIO(res.timeline_csv(result.timeline))))
    assert [int(r["access"]) for r in rows] == [4, 8]
    assert (rows[0]["resident_pages"], rows[0]["zram_pages"]) == ("4", "0")
    # access 0 evicts 4 and 5 (a third zspage), access 5 evicts 0 into 0's freed hole
    last = rows[1]
    assert (last["resident_pages"], last["zram_pages"], last["zram_frames"]) == ("1", "5", "3")
    assert (last["swap_ins"], last["swap_outs"], last["faults"]) == ("2", "7", "8")


def _png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """(type, body) of every chunk of a PNG, each CRC checked."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, at = [], 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at:at + 4])
        kind, body = data[at + 4:at + 8], data[at + 8:at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length:at + 12 + length])
        assert crc == zlib.crc32(kind + body), kind
        chunks.append((kind, body))
        at += 12 + length
    return chunks


def test_sweep_plot_is_a_well_formed_svg_that_leaves_oom_runs_out(tmp_path):
    """6 pages in 4 or 5 frames with no swap run out of memory at every size, so
    'none' has no line and no legend entry; zram and disk both have one. Texts are
    kept as comments in matplotlib's SVG. The file has no date: two plots of the
    same result are the same bytes."""
    from zramsim.pressure.plot import plot_sweep
    result = sweep(tiny(), [4, 5], algorithms=("lz4",), clock=fake_clock())
    assert [s.oom_at is not None for s in result.runs("none")] == [True, True]
    text = plot_sweep(result, "s.svg").decode()
    root = ElementTree.fromstring(text)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert (root.get("width"), root.get("height")) == ("504pt", "504pt")   # 7 x 7 inches
    comments = set(re.findall(r"<!-- (.*?) -->", text))
    assert {"swap-ins per access", "estimated time per access (µs)", "RAM (frames of 4 KiB)",
            "zram-lz4", "disk"} <= comments
    assert "none" not in comments
    assert plot_sweep(result, "again.svg") == text.encode()
    assert list(tmp_path.iterdir()) == []          # bytes only: the caller writes them


def test_timeline_plot_is_a_well_formed_png_of_the_figure_size(tmp_path):
    from zramsim.pressure.plot import plot_timeline
    chunks = _png_chunks(plot_timeline(run_pressure(tiny(), PressureConfig(ram_pages=4),
                                                    every=2), "t.png"))
    assert chunks[0][0] == b"IHDR" and chunks[-1] == (b"IEND", b"")
    width, height = struct.unpack(">II", chunks[0][1][:8])
    assert (width, height) == (700, 400)          # 7 x 4 inches at 100 dpi


def test_plots_say_what_is_missing(tmp_path, monkeypatch):
    from zramsim.pressure.plot import PlotUnavailable, plot_sweep
    result = sweep(tiny(), [4], algorithms=("lz4",), clock=fake_clock())
    with pytest.raises(PlotUnavailable, match="as .png or .svg"):
        plot_sweep(result, str(tmp_path / "s.pdf"))
    monkeypatch.setitem(sys.modules, "matplotlib", None)      # as if not installed
    with pytest.raises(PlotUnavailable, match=r"pip install 'zramsim\[plot\]'"):
        plot_sweep(result, str(tmp_path / "s.svg"))
    assert not (tmp_path / "s.svg").exists()


# -- the command line -----------------------------------------------------------

def test_cli_sweep_json():
    out = CliRunner().invoke(main, ["pressure", "--pages", "64", "--mix", "zero",
                                    "--ram", "8,64", "--accesses", "200", "--algo", "lz4",
                                    "--format", "json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    labels = [(s["label"], s["ram_pages"]) for s in data["summaries"]]
    assert labels == [("zram-lz4", 8), ("disk", 8), ("none", 8),
                      ("zram-lz4", 64), ("disk", 64), ("none", 64)]
    # zero pages are same-filled: zram holds all 64 pages in no memory at all
    assert data["summaries"][0]["effective_memory"] == 8.0
    assert data["summaries"][2]["oom_at"] == 8 and data["min_ram"]["none"] == 64


def test_cli_timeline_csv_and_table():
    args = ["pressure", "--pages", "32", "--mix", "zero", "--ram", "8", "--accesses", "40",
            "--timeline", "24", "--algo", "lz4"]
    out = CliRunner().invoke(main, args + ["--format", "csv"])
    assert out.exit_code == 0, out.output
    rows = list(csv.DictReader(io.StringIO(out.output)))
    assert [r["access"] for r in rows] == ["24", "48", "72"]
    table = CliRunner().invoke(main, args)
    assert "zram-lz4 on 8 frames: effective memory 4.00x, OOM at -" in table.output


def test_cli_bad_values_exit_2():
    out = CliRunner().invoke(main, ["pressure", "--pages", "16", "--ram", "0"])
    assert out.exit_code == 2 and "less than one page" in out.output
    out = CliRunner().invoke(main, ["pressure", "--pages", "16", "--pattern", "nope"])
    assert out.exit_code == 2 and "'nope' is not one of 'sequential'" in out.output
    out = CliRunner().invoke(main, ["pressure", "--pattern", "trace"])
    assert out.exit_code == 2 and "needs a trace file" in out.output
