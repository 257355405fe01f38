"""The HTML reports' data and files, without a browser (test_html_report_browser opens them)."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from workloads.events import PageEvent
from zramsim import ZramDevice
from zramsim.html_report import ReplayRecorder, replay_data, sweep_page
from zramsim.html_report.zspage_rows import zspage_rows
from zramsim.html_report.page import SCRIPTS, render
from zramsim.html_report.sweeps import sweep_data
from zramsim.replay import Replay
from zramsim.report import replay_document

ROOT = Path(__file__).resolve().parents[1]
TUTORIAL = ROOT / "docs" / "tutorial.trace"
TEMPLATES = ROOT / "zramsim" / "html_report" / "templates"


def page_data(html: str) -> dict:
    """The JSON a page embeds, read back as the browser reads it."""
    found = re.search(r'<script type="application/json" id="data">(.*?)</script>', html, re.S)
    return json.loads(found.group(1))


def replayed(events, **recorder_args) -> tuple[ZramDevice, ReplayRecorder, dict]:
    device = ZramDevice()
    recorder = ReplayRecorder(device, ZramDevice, **recorder_args)
    applied = Replay(device).run(recorder.watch(events))
    doc = replay_document(device, applied, device.config())
    return device, recorder, doc


def test_samples_thin_to_the_bound_worked_by_hand():
    # max 4 samples over 10 events: 0..4 (5 > 4) -> keep 0,2,4 at every 2; 6; 8 (5 > 4)
    # -> keep 0,4,8 at every 4; then the final state after 10 events.
    _, recorder, doc = replayed([PageEvent("W", i, 100 * (i + 1)) for i in range(10)],
                                max_samples=4)
    samples = recorder.sample_data(doc["events"])
    assert samples["events"] == [0, 4, 8, 10] and samples["every"] == 4
    assert samples["values"][0] == [0] * 9
    # sample n is the device after n events: after 4 writes of 100..400 bytes
    assert samples["values"][1][1] == 100 + 200 + 300 + 400
    assert samples["values"][-1] == list(doc["mm_stat"].values())


def test_a_long_trace_keeps_at_most_max_samples_plus_the_last():
    device = ZramDevice()
    recorder = ReplayRecorder(device)
    for _ in recorder.watch(PageEvent("R", 0, 0) for _ in range(100_000)):
        pass
    samples = recorder.sample_data(100_000)
    assert samples["every"] == 256                      # as the data module's docstring says
    assert samples["events"][:3] == [0, 256, 512] and len(samples["events"]) == 391 + 1
    assert recorder.step_events(100_000) is None        # far too long to step through


def test_map_shows_zspages_of_a_class_up_to_the_slot_budget():
    # 300 objects of class 1216 (10 a zspage): 30 zspages, the map keeps 26 (260 slots >= 256)
    device, _, _ = replayed([PageEvent("W", i, 1200) for i in range(300)])
    rows, total = zspage_rows(device, 256)
    assert total == 30 and len(rows) == 26
    zid, index, size, pages, objs, group, owner, sizes = rows[0]
    assert (size, pages, objs, group) == (1216, 3, 10, 11)
    assert sorted(owner) == owner and sizes == [1200] * 10
    assert {o for r in rows for o in r[6]} == set(range(260))


def test_tutorial_step_through_ends_where_the_replay_ends():
    from workloads.open_trace import open_trace
    with open_trace(str(TUTORIAL)) as reader:
        device, recorder, doc = replayed(reader)
    data = replay_data(device, doc, "tutorial", recorder)
    states = data["steps"]["states"]
    assert len(states) == 18 and states[0]["zspages"] == [] and states[0]["event"] == ""
    assert states[1]["event"] == "W 0 size:1200" and states[1]["changes"] == [[1, 0, "new"]]
    assert states[-1]["event"] == "C"
    assert states[-1]["changes"] == [[1, 9, "moved_from"], [2, 2, "moved_to"]]
    assert states[-1]["lines"][0].startswith("C compact: 3 pages freed")
    assert states[-1]["mm"] == list(doc["mm_stat"].values())     # the twin ends as the replay
    assert states[-1]["zspages"] == data["map"]["zspages"]
    assert sum(states[-1]["groups"]) == len(states[-1]["zspages"]) == 2


def test_class_extras_are_the_class_rows_own_numbers():
    from workloads.open_trace import open_trace
    with open_trace(str(TUTORIAL)) as reader:
        device, recorder, doc = replayed(reader)
    data = replay_data(device, doc, "tutorial", recorder)
    # class 1216 after compaction: 1 zspage, 3 live objects of 1200 bytes in 3 pages
    c, extra = doc["classes"][0], data["class_extra"][0]
    assert (c["size"], c["obj_used"], extra["zspages"]) == (1216, 3, 1)
    assert extra["waste"] == 3 * 4096 - 3 * 1200
    assert sum(doc["fragmentation"][k] for k in data["fragmentation_parts"]) \
        == doc["mm_stat"]["mem_used_total"]


def test_a_script_end_tag_in_the_data_cannot_end_the_element():
    html = sweep_page([{"trace": "</script><script>alert(1)</script>", "algorithm": "lz4",
                        "seconds": 1.0}], title="</script>")
    assert html.count("</script>") == 3                   # the page's own three elements
    assert page_data(html)["rows"][0]["trace"] == "</script><script>alert(1)</script>"


def test_the_page_links_nothing():
    html = sweep_page([{"trace": "t", "algorithm": "lz4", "seconds": 1.0}])
    assert not re.search(r"\b(src|href)\s*=|<link|@import|url\(", html)
    assert "http" not in html.replace("http://www.w3.org/2000/svg", "")


def test_sweep_rows_are_labelled_by_what_differs():
    rows = [{"trace": "a", "algorithm": a, "level": None, "chain_size": c, "page_size": 4096,
             "seconds": 0.5} for a in ("lz4", "zstd") for c in (4, 8)]
    data = sweep_data(rows, "s")
    assert data["labels"] == ["lz4 chain 4", "lz4 chain 8", "zstd chain 4", "zstd chain 8"]
    assert data["rows"] == rows and data["columns"][:2] == ["trace", "algorithm"]
    infinite = sweep_data([{"algorithm": "lz4", "compression_ratio": float("inf")}], "s")
    assert infinite["rows"] == [{"algorithm": "lz4", "compression_ratio": None}]
    assert infinite["labels"] == ["lz4"]            # nothing differs: the algorithm names it


def test_package_data_ships_every_template():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["zramsim.html_report"]
    shipped = {p.name for pattern in patterns for p in TEMPLATES.glob(pattern.split("/")[1])}
    needed = {"page.html", "style.css", *{n for names in SCRIPTS.values() for n in names}}
    assert needed <= shipped == {p.name for p in TEMPLATES.iterdir()}


def test_cli_report_replaces_a_file_whole_or_not_at_all(tmp_path):
    target = tmp_path / "r.html"
    target.write_text("old")
    done = CliRunner().invoke(main, ["report", str(TUTORIAL), "-o", str(target)])
    assert done.exit_code == 0 and target.read_text().startswith("<!DOCTYPE html>")
    assert list(tmp_path.iterdir()) == [target]              # no temporary file left
    missing = CliRunner().invoke(main, ["report", str(TUTORIAL), "-o",
                                        str(tmp_path / "no" / "such" / "dir.html")])
    assert missing.exit_code == 1 and "does not exist" in missing.stderr


def test_cli_report_embeds_what_replay_json_prints(tmp_path):
    out = tmp_path / "r.html"
    runner = CliRunner()
    done = runner.invoke(main, ["report", str(TUTORIAL), "-o", str(out)])
    assert done.exit_code == 0, done.output
    doc = json.loads(runner.invoke(main, ["replay", str(TUTORIAL), "--format", "json"]).output)
    data = page_data(out.read_text())
    for key in ("workers", "verify"):
        doc["config"].pop(key)
    assert data["doc"] == doc
    assert [v for _, v in data["zramctl"]] == ["56K", "20K", "7.5K", "16K", "28K", "1", "1",
                                              "1.2500"]


def test_cli_report_of_a_broken_trace_writes_what_it_has_and_exits_1(tmp_path):
    trace = tmp_path / "bad.trace"
    trace.write_text("zramsim-trace 1\nW 0 size:1200\nW 1 size:1200\nX 2\n")
    out = tmp_path / "r.html"
    done = CliRunner().invoke(main, ["report", str(trace), "-o", str(out)])
    assert done.exit_code == 1
    assert "bad.trace:4" in done.output
    data = page_data(out.read_text())
    assert data["doc"]["events"] == 2 and "bad.trace:4" in data["doc"]["error"]
    assert data["steps"] is None


def test_cli_report_needs_an_output_and_a_writable_place(tmp_path):
    assert CliRunner().invoke(main, ["report", str(TUTORIAL)]).exit_code == 2
    done = CliRunner().invoke(main, ["report", str(TUTORIAL), "-o",
                                     str(tmp_path / "missing" / "r.html")])
    assert done.exit_code == 1 and done.output.startswith("Error: ")


def test_pressure_html_embeds_the_json_of_the_same_run(tmp_path):
    out = tmp_path / "p.html"
    done = CliRunner().invoke(main, ["pressure", "--pages", "256", "--ram", "50%,90%",
                                     "--accesses", "3000", "--algo", "lz4", "--format", "json",
                                     "--html", str(out)])
    assert done.exit_code == 0, done.output
    data = page_data(out.read_text())
    assert data["doc"] == json.loads(done.stdout)
    assert data["labels"] == ["zram-lz4", "disk", "none"] and data["mode"] == "sweep"


def test_pressure_timeline_html_embeds_its_timeline(tmp_path):
    out = tmp_path / "t.html"
    done = CliRunner().invoke(main, ["pressure", "--pages", "256", "--ram", "80%", "--algo",
                                     "zstd", "--mix", "text", "--accesses", "2000",
                                     "--timeline", "500", "--format", "json", "--html", str(out)])
    assert done.exit_code == 0, done.output
    data = page_data(out.read_text())
    assert data["mode"] == "timeline" and data["doc"] == json.loads(done.stdout)
    # the 256 populating accesses count too: a sample every 500, the last after all 2256
    assert [s["access"] for s in data["doc"]["timeline"]] == [500, 1000, 1500, 2000, 2256]


def test_every_kind_renders_with_its_scripts():
    data = sweep_data([{"trace": "t", "algorithm": "lz4", "seconds": 1.0}], "s")
    html = render(data)
    for name in SCRIPTS["sweep"]:
        assert (TEMPLATES / name).read_text() in html
    assert "{{" not in html.replace((TEMPLATES / "common.js").read_text(), "")


def test_a_100000_page_report_stays_far_under_2_mb():
    import random
    rng = random.Random(20)
    events = [PageEvent("W", i, rng.randrange(40, 4096)) for i in range(100_000)]
    events += [PageEvent("D", i, 1) for i in range(0, 100_000, 7)] + [PageEvent("C", 0, 0)]
    device, recorder, doc = replayed(events)
    html = render(replay_data(device, doc, "big", recorder))
    data = page_data(html)
    assert len(html.encode()) < 2 << 20
    assert len(data["samples"]["events"]) <= 401 and data["steps"] is None
    # a class adds zspages while it holds fewer than max(256, objs) slots
    slots = {}
    for row in data["map"]["zspages"]:
        slots[row[1]] = slots.get(row[1], 0) + row[4]
    for c in doc["classes"]:
        objs = c["objs_per_zspage"]
        assert slots[c["index"]] <= max(256, objs) + objs - 1


def test_sweep_report_files_come_one_at_a_time_only_when_asked(tmp_path):
    from zramsim.sweep.report import figures
    rows = [{"trace": "t", "algorithm": "lz4", "seconds": 1.0}]
    assert list(figures(rows, "s.db")) == []
    [(path, data, what)] = figures(rows, "s.db", html_path=str(tmp_path / "s.html"))
    assert (path, what) == (str(tmp_path / "s.html"), "report")
    assert page_data(data.decode())["title"] == "zramsim sweep: s.db"
