"""Each kind of HTML report opened in headless Chromium from a file, with no network.

What a reader sees is checked against what the command line prints for the same
run: the numbers of the summary against ``replay --format json`` (and the
zramctl row against the table), the step-through's map against the states the
device went through, the pressure tables against ``pressure --format json``.
Every page must log nothing to the console and render a screenshot that is not
blank. Skipped, with the reason, where no Chromium is installed (CI installs
Debian's ``chromium``: .ci/run).
"""

from __future__ import annotations

import json
import math
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from chromium import find_chromium, open_page, png_colours, screenshot
from cli import main
from test_html_report import page_data
from workloads.output_file import write_bytes
from zramsim.html_report import sweep_page

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(find_chromium() is None,
                                 reason="no chromium: install Debian's 'chromium' package "
                                        "to run the browser tests")]

ROOT = Path(__file__).resolve().parents[1]
TRACES = {"tutorial": ROOT / "docs" / "tutorial.trace",
          "mixed": ROOT / "tests" / "data" / "traces" / "device_mixed.trace"}


class Page(HTMLParser):
    """Text of every element with a data-key attribute, and every table's cells by table id."""

    def __init__(self, dom: str) -> None:
        super().__init__()
        self.keyed: dict[str, str] = {}
        self.tables: dict[str, list[list[str]]] = {}
        self._key = self._table = self._cell = None
        self.feed(dom)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self._table = self.tables.setdefault(attrs.get("id") or str(len(self.tables)), [])
        elif tag == "tr" and self._table is not None:
            self._table.append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = ""
        if "data-key" in attrs:
            self._key = (attrs["data-key"], tag)
            self.keyed[attrs["data-key"]] = ""

    def handle_endtag(self, tag):
        if self._key and tag == self._key[1]:
            self._key = None
        if tag in ("td", "th") and self._cell is not None:
            self._table[-1].append(self._cell.strip())
            self._cell = None
        if tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._key:
            self.keyed[self._key[0]] += data
        if self._cell is not None:
            self._cell += data


_OPENED: dict[tuple, tuple[str, list[str]]] = {}


def opened(path: Path, fragment: str = "", budget_ms: int = 3000) -> tuple[str, list[str]]:
    """``open_page``, once per page and fragment: each Chromium start costs a second."""
    key = (str(path), fragment, budget_ms)
    if key not in _OPENED:
        _OPENED[key] = open_page(path, fragment, budget_ms)
    return _OPENED[key]


def by_id(dom: str, element_id: str) -> str:
    """The text inside the element with this id (no nested element of the same tag)."""
    found = re.search(rf'id="{element_id}"[^>]*>(.*?)</', dom, re.S)
    return found.group(1) if found else ""


def lookup(doc: dict, dotted: str):
    for part in dotted.split("."):
        doc = doc[part]
    return doc


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """Every kind of report, written by the CLI, with what the CLI prints for the same run."""
    folder = tmp_path_factory.mktemp("reports")
    runner, out = CliRunner(), {}
    for name, trace in TRACES.items():
        path = folder / f"{name}.html"
        done = runner.invoke(main, ["report", str(trace), "-o", str(path)])
        assert done.exit_code == 0, done.output
        printed = runner.invoke(main, ["replay", str(trace), "--format", "json"]).stdout
        json_doc = json.loads(printed)
        table = runner.invoke(main, ["replay", str(trace)]).stdout
        out[name] = (path, json_doc, table)
    path = folder / "pressure.html"
    done = runner.invoke(main, ["pressure", "--pages", "256", "--ram", "40%,60%,80%,100%",
                                "--accesses", "4000", "--algo", "lz4,zstd", "--format", "json",
                                "--html", str(path)])
    assert done.exit_code == 0, done.output
    out["pressure"] = (path, json.loads(done.stdout), None)
    path = folder / "timeline.html"
    done = runner.invoke(main, ["pressure", "--pages", "256", "--ram", "80%", "--algo", "zstd",
                                "--mix", "text", "--accesses", "2000", "--timeline", "500",
                                "--html", str(path)])
    assert done.exit_code == 0, done.output
    out["timeline"] = (path, None, None)
    rows = [{"trace": "t.trace", "algorithm": a, "level": None, "chain_size": c,
             "page_size": 4096, "mem_limit": 0, "orig_data_size": 4096 * 100,
             "compr_data_size": 1000 * c, "mem_used_total": 4096 * (20 + c),
             "compression_ratio": 409.6 / c, "effective_ratio": 100 / (20 + c),
             "allocator_efficiency": 1000 * c / (4096 * (20 + c)), "seconds": 0.25 * c}
            for a in ("lz4", "zstd") for c in (4, 8)]
    path = folder / "sweep.html"
    write_bytes(path, sweep_page(rows, "a made-up sweep").encode())
    out["sweep"] = (path, rows, None)
    return out


@pytest.mark.parametrize("kind", ["tutorial", "mixed", "pressure", "timeline", "sweep"])
def test_page_runs_its_scripts_without_a_console_message(reports, kind):
    dom, console = opened(reports[kind][0])
    assert console == []
    assert 'data-ready="1"' in dom, "the page's scripts did not finish"
    assert by_id(dom, "errors") == ""


@pytest.mark.parametrize("kind", ["tutorial", "mixed"])
def test_visible_numbers_are_replay_json(reports, kind):
    path, doc, table = reports[kind]
    dom, _ = opened(path)
    page = Page(dom)
    cells = page.keyed
    # mm_stat, io_stat, pages, (disksize, reads, writes, spanning_reads), ratios, fragmentation
    assert len(cells) == 9 + 4 + 4 + 4 + 3 + 6
    for key, text in cells.items():
        expected = lookup(doc, key)
        if isinstance(expected, float):
            assert text == f"{expected:.4f}", key        # the ratios, as the table prints them
        else:
            assert int(text.replace(",", "")) == expected, key
    fragments = [int(cells[f"fragmentation.{k}"].replace(",", ""))
                 for k in ("requested", "headers", "class_rounding", "unused_slots", "tail_waste")]
    assert sum(fragments) == doc["mm_stat"]["mem_used_total"]
    # the zramctl row is the table's second line, word for word
    assert page.tables["zramctl"][1] == table.splitlines()[2].split()
    # the classes table: one row per class of the JSON, objects and pages as printed
    classes = page.tables["classes"][1:]
    assert [int(r[0]) for r in classes] == [c["index"] for c in doc["classes"]]
    assert [int(r[2].replace(",", "")) for r in classes] == [c["obj_used"] for c in doc["classes"]]
    assert [int(r[5].replace(",", "")) for r in classes] == [c["pages_used"]
                                                             for c in doc["classes"]]


def live_in_map(dom: str, element_id: str) -> int:
    found = re.search(rf'id="{element_id}".*?<svg[^>]*data-live="(\d+)"', dom, re.S)
    return int(found.group(1))


def test_step_through_advances_and_changes_the_map(reports):
    path = reports["tutorial"][0]
    states = page_data(path.read_text())["steps"]["states"]
    maps = {}
    for step in (0, 5, 17):
        dom, console = opened(path, f"steps={step}")
        assert console == []
        assert by_id(dom, "step-counter") == f"step {step} of 17"
        live = sum(1 for row in states[step]["zspages"] for o in row[6] if o >= 0)
        assert live_in_map(dom, "step-map") == live
        maps[step] = re.search(r'id="step-map".*?</svg>', dom, re.S).group(0)
    assert len({maps[0], maps[5], maps[17]}) == 3
    assert "no zspages" in maps[0]
    assert 'data-change="new"' in maps[5]
    # tooltips: class 1216 slot 3 covers bytes 3648..4863, across the first frame boundary;
    # slot 4 (4864..6079) lies in frame 1
    assert ("<title>zspage 1 slot 3: zram slot 3, object 1200 B, class 74 (1216 B), "
            "spans frames 0-1</title>") in maps[5]
    assert ("<title>zspage 1 slot 4: zram slot 4, object 1200 B, class 74 (1216 B), "
            "in frame 1 [new]</title>") in maps[5]
    # compaction moved zram slot 9 out of zspage 1, which it released: only the arrival shows
    assert 'data-change="moved_to"' in maps[17] and 'data-change="moved_from"' not in maps[17]
    # compaction released zspage 1: only zspage 2 of class 1216 and the huge page remain
    assert "zspage 1:" not in maps[17] and "zspage 2: 3/10 objects" in maps[17]


def test_play_button_steps_on_by_itself(reports):
    dom, console = opened(reports["tutorial"][0], "play", budget_ms=3000)
    assert console == []
    step = int(re.search(r'data-step="(\d+)"', dom).group(1))
    assert step >= 3                     # 700 ms a step over 3 s of virtual time
    assert by_id(dom, "step-counter") == f"step {step} of 17"


def test_pressure_tables_are_pressure_json(reports):
    path, doc, _ = reports["pressure"]
    dom, _ = opened(path)
    tables = Page(dom).tables
    runs = tables["runs-table"][1:]
    assert len(runs) == len(doc["summaries"])
    for row, run in zip(runs, doc["summaries"]):
        assert row[0] == run["label"] and int(row[1]) == run["ram_pages"]
        assert int(row[3].replace(",", "")) == run["faults"]
        assert float(row[6]) == pytest.approx(run["fault_rate"], abs=5e-4)
        # the page rounds as JavaScript's Math.round does, halves up (Python's round
        # takes halves to even): a measured 16486.5 ns is 16,487 on the page
        assert int(row[10].replace(",", "")) == math.floor(run["est_ns_per_access"] + 0.5)
    setups = {r[0]: r[1] for r in tables["setups-table"][1:]}
    assert setups == {label: "-" if knee is None else f"{knee:,}"
                      for label, knee in doc["knee"].items()}
    # a circle on both charts for each knee whose run served every access
    marked = [label for label, knee in doc["knee"].items() if any(
        r["label"] == label and r["ram_pages"] == knee and r["oom_at"] is None
        for r in doc["summaries"])]
    assert marked and dom.count('class="knee"') == 2 * len(marked)


def test_sweep_table_is_the_rows(reports):
    path, rows, _ = reports["sweep"]
    dom, _ = opened(path)
    table = Page(dom).tables["sweep-table"]
    assert table[0][0] == "configuration"
    assert [r[0] for r in table[1:]] == ["lz4 chain 4", "lz4 chain 8", "zstd chain 4",
                                        "zstd chain 8"]
    seconds = table[0].index("seconds")
    assert [float(r[seconds]) for r in table[1:]] == [r["seconds"] for r in rows]
    assert dom.count("<rect") >= 3 * len(rows)          # three bar charts, a bar per run


@pytest.mark.parametrize("kind,fragment", [("mixed", ""), ("tutorial", "steps=17&only=steps"),
                                           ("pressure", ""), ("sweep", "")])
def test_screenshot_is_not_blank(reports, kind, fragment, tmp_path):
    png = screenshot(reports[kind][0], tmp_path / "shot.png", "900,700", fragment)
    colours, inked = png_colours(png)
    assert colours >= 20 and inked > 0.03, (colours, inked)
