"""The command line as a user meets it: exit codes, exact JSON, clear errors, help."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from by_hand import expected_counters
from cli import main
from workloads.default import DEFAULT_PAGES, default_workload
from zramsim import ZramDevice

KERNEL = Path(__file__).parent / "data" / "kernel"


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_replay_json_matches_the_kernel_fixture_exactly():
    # The last line of mixed.expected is what the real 6.18 kernel reported.
    result = run("replay", str(KERNEL / "mixed.trace"), "--format", "json", "-q")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    last = (KERNEL / "mixed.expected").read_text().splitlines()[-1]
    mm, io = last.split("|")
    fields = ["orig_data_size", "compr_data_size", "mem_used_total", "mem_limit",
              "mem_used_max", "same_pages", "pages_compacted", "huge_pages", "huge_pages_since"]
    assert doc["mm_stat"] == dict(zip(fields, map(int, mm.split()[1:])))
    assert doc["io_stat"] == dict(zip(["failed_reads", "failed_writes", "invalid_io",
                                       "notify_free"], map(int, io.split())))
    assert doc["events"] == int(mm.split()[0])
    assert doc["config"]["algorithm"] == "lz4" and doc["config"]["seed"] is None
    ratios = doc["mm_stat"]["orig_data_size"] / doc["mm_stat"]["compr_data_size"]
    assert doc["compression_ratio"] == pytest.approx(ratios)
    assert sum(c["obj_used"] for c in doc["classes"]) == \
        doc["pages"]["stored"] - doc["pages"]["same_filled"]
    frag = doc["fragmentation"]
    assert frag["total"] == doc["mm_stat"]["mem_used_total"]


def test_replay_mm_stat_format_is_the_kernel_line():
    result = run("replay", str(KERNEL / "memlimit.trace"), "--format", "mm_stat", "-q",
                 "--mem-limit", "2M")
    assert result.exit_code == 0
    last = (KERNEL / "memlimit.expected").read_text().splitlines()[-1]
    expected = " ".join(f"{int(v):8d}" for v in last.split("|")[0].split()[1:])
    assert result.stdout == expected + "\n"


def _by_hand(doc: dict, seed: int, page_size: int) -> None:
    """The counters the default workload's events give by hand (tests/by_hand.py)."""
    events = default_workload(seed, DEFAULT_PAGES, page_size)
    hand = expected_counters(events, page_size, doc["config"]["huge_class_size"])
    for name in ("orig_data_size", "compr_data_size", "same_pages", "huge_pages",
                 "huge_pages_since"):
        assert doc["mm_stat"][name] == getattr(hand, name), name
    assert doc["io_stat"]["notify_free"] == hand.notify_free


def test_default_workload_replays_and_records_its_seed():
    result = run("replay", "--format", "json", "-q", "--seed", "3")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["config"]["seed"] == 3 and doc["config"]["workload"] == "default"
    _by_hand(doc, 3, 4096)
    # regression pins of what _by_hand checks independently
    assert (doc["mm_stat"]["same_pages"], doc["mm_stat"]["huge_pages"]) == (600, 115)
    again = json.loads(run("replay", "--format", "json", "-q", "--seed", "3").stdout)
    assert again["mm_stat"] == doc["mm_stat"]


def test_table_and_csv_formats(tmp_path):
    table = run("replay", str(KERNEL / "sizes.trace"), "-q")
    assert table.exit_code == 0
    assert "DISKSIZE" in table.stdout and "COMP-RATIO" in table.stdout
    assert "\nmm_stat  2027520  1122619  2797568 " in table.stdout
    csv = run("replay", str(KERNEL / "sizes.trace"), "-q", "--format", "csv")
    header, row = csv.stdout.splitlines()
    values = dict(zip(header.split(","), row.split(",")))
    assert values["mem_used_total"] == "2797568" and values["pages_compacted"] == "170"


def test_malformed_trace_names_file_and_line_and_exits_1(tmp_path):
    bad = tmp_path / "bad.trace"
    bad.write_text("zramsim-trace 1\nW 0 zero\nW 1 fill:0xzz\n")
    result = run("replay", str(bad), "-q", "--format", "json")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {bad}:3: ")
    # what was computed before the error is still reported
    assert json.loads(result.stdout)["mm_stat"]["same_pages"] == 1


def test_missing_trace_and_bad_option_values():
    missing = run("replay", "/nonexistent/x.trace", "-q")
    assert missing.exit_code == 1 and "Error: /nonexistent/x.trace:0:" in missing.stderr
    bad_size = run("replay", "--mem-limit", "lots")
    assert bad_size.exit_code == 2 and "is not a size" in bad_size.stderr


def test_slot_beyond_disksize_is_a_domain_error_with_location(tmp_path):
    trace = tmp_path / "t.trace"
    trace.write_text("zramsim-trace 1\nW 0 size:100\nW 99 size:100\n")
    result = run("replay", str(trace), "--disksize", "8K", "-q", "--format", "mm_stat")
    assert result.exit_code == 1
    assert f"Error: {trace}:3: slot 99 is outside the device" in result.stderr
    assert result.stdout.split()[0] == "4096"


def test_verify_mismatch_exits_3(tmp_path, monkeypatch):
    trace = tmp_path / "t.trace"
    trace.write_text("zramsim-trace 1\nW 0 random:1\nW 1 file:data:0\nR 1\n")
    (tmp_path / "data").write_bytes(b"abc" * 2000)
    from zramsim.compressors import Lz4
    monkeypatch.setattr(Lz4, "decompress", lambda self, data, size: bytes(size))
    result = run("replay", str(trace), "--verify", "-q")
    assert result.exit_code == 3
    assert f"Error: {trace}:4: slot 1:" in result.stderr


def test_interrupt_still_prints_statistics(monkeypatch):
    real_write = ZramDevice.write

    def write_then_interrupt(self, index, page):
        if self.writes == 100:
            raise KeyboardInterrupt
        return real_write(self, index, page)

    monkeypatch.setattr(ZramDevice, "write", write_then_interrupt)
    result = run("replay", "-q", "--format", "json")
    assert result.exit_code == 130
    doc = json.loads(result.stdout)
    assert doc["events"] == 100 and doc["mm_stat"]["orig_data_size"] == 100 * 4096
    assert "interrupted after 100 events" in result.stderr


def test_classes_geometry_json_and_table():
    doc = json.loads(run("classes", "--format", "json").stdout)
    assert len(doc) == 119
    by_index = {c["index"]: c for c in doc}
    assert 93 not in by_index     # merged into class 94 (1536: 3 pages, 8 objects)
    assert by_index[96] == {"index": 96, "size": 1568, "pages_per_zspage": 5,
                       "objs_per_zspage": 13, "huge": False, "tail_waste": 96}
    sixteen = json.loads(run("classes", "--format", "json", "--page-size", "16384").stdout)
    assert sixteen[-1]["size"] == 16384 and sixteen[-1]["huge"]
    legacy = run("classes", "--chain-size", "4", "--chain-rule", "used-percent")
    assert legacy.stdout.startswith("# 69 classes, huge_class_size 3257")


def test_classes_after_replay_is_the_debugfs_table():
    result = run("classes", str(KERNEL / "sizes.trace"), "-q")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["class", "size", "10%"]
    total = lines[-1].split()
    assert total[0] == "Total" and int(total[-2]) == 2797568 // 4096


def test_algorithms_json():
    doc = json.loads(run("algorithms", "--format", "json").stdout)
    assert {r["name"]: r["default"] for r in doc} == {
        "lz4": 1, "lz4-kernel": 1, "lzo": None, "lzo-rle": None, "lz4hc": 9, "zstd": 3,
        "deflate": -1, "842": None}
    fidelity = {r["name"]: (r["kernel"], r["fidelity"]) for r in doc}
    assert fidelity["lzo-rle"] == ("lzo-rle", "exact") and fidelity["lz4"] == ("lz4", "close")
    assert fidelity["842"] == ("842", "not available") and fidelity["deflate"][1] == "not checked"


def test_generate_convert_replay_round_trip(tmp_path):
    binary = tmp_path / "g.ztrace"
    made = run("generate", str(binary), "--kind", "heap=0.5,zero=0.5", "--pages", "64",
               "--seed", "5")
    assert made.exit_code == 0 and "64 events" in made.stderr
    text = tmp_path / "g.trace"
    assert run("convert", str(binary), str(text)).exit_code == 0
    a = json.loads(run("replay", str(binary), "-q", "--format", "json").stdout)
    b = json.loads(run("replay", str(text), "-q", "--format", "json").stdout)
    assert a["mm_stat"] == b["mm_stat"] and a["mm_stat"]["orig_data_size"] == 64 * 4096
    unknown = run("generate", str(tmp_path / "x.ztrace"), "--kind", "nonsense")
    assert unknown.exit_code == 2 and "unknown content kind" in unknown.stderr


def test_capture_refuses_a_missing_process(tmp_path):
    result = run("capture", "--pid", "999999999", str(tmp_path / "c.ztrace"))
    assert result.exit_code == 1 and result.stderr.startswith("Error: ")
    both = run("capture", str(tmp_path / "c.ztrace"))
    assert both.exit_code == 2


def test_capture_a_directory_and_replay_it(tmp_path):
    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "a.txt").write_bytes(b"zram " * 2000)       # 10000 bytes: 3 pages
    (folder / "b.bin").write_bytes(bytes(4096))            # one zero page
    out = tmp_path / "files.ztrace"
    assert run("capture", "--path", str(folder), str(out)).exit_code == 0
    doc = json.loads(run("replay", str(out), "-q", "--format", "json").stdout)
    assert doc["mm_stat"]["orig_data_size"] == 4 * 4096
    assert doc["mm_stat"]["same_pages"] == 1


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_command_has_help_ending_with_an_example(command):
    result = run(command, "--help")
    assert result.exit_code == 0
    doc = main.commands[command].help or ""
    assert "Example:" in doc.strip().splitlines()[-1], command


def test_readme_commands_are_the_ci_commands():
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    marker = readme.index("<!-- test-command -->")
    block = readme[marker:].split("```")[1].splitlines()[1]
    # the dask extra: CI runs the sweep tests on a real Dask cluster (tests/test_sweep_dask.py)
    assert "pip install '.[test,dask]'" in block and "pytest" in block
    assert "zramsim replay" in readme.split("```")[1]
    assert os.access(Path(__file__).parents[1] / ".ci" / "run", os.R_OK)


def test_replay_explain_narrates_every_event_then_reports(tmp_path):
    trace = tmp_path / "t.trace"
    trace.write_text("zramsim-trace 1\nW 0 size:1200\nW 1 zero\nR 1\nD 0\nC\n")
    result = run("replay", str(trace), "--explain")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert "class" in lines[0] and "1216" in lines[0]
    mm_stat = next(line for line in lines if line.startswith("mm_stat"))
    assert mm_stat.split()[1:] == ["4096", "0", "0", "0", "12288", "1", "0", "0", "0"]
    refused = run("replay", str(trace), "--explain", "--format", "json")
    assert refused.exit_code == 2 and refused.stdout == ""          # no prose in JSON


@pytest.mark.parametrize("algorithm", ["zstd", "lz4"])     # threads; a helper process
def test_workers_give_identical_results(algorithm):
    one = json.loads(run("replay", "-q", "--format", "json", "--algo", algorithm).stdout)
    two = json.loads(run("replay", "-q", "--format", "json", "--algo", algorithm,
                         "--workers", "2").stdout)
    assert two["config"]["workers"] == 2
    assert one["mm_stat"] == two["mm_stat"] and one["classes"] == two["classes"]


def test_readme_sample_output_is_what_replay_prints():
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    start = readme.index("```\ndefault workload (seed 0)") + 4
    shown = readme[start:readme.index("```", start)]
    assert run("replay", "-q").stdout == shown


def test_generate_help_names_every_content_kind():
    from workloads.generators import KINDS
    text = " ".join(run("generate", "--help").stdout.split())
    assert f"({', '.join(KINDS)})" in text


def test_readers_report_how_much_of_the_file_they_consumed(tmp_path):
    from workloads.open_trace import open_trace
    raw = tmp_path / "image.bin"
    raw.write_bytes(bytes(4096 * 4))
    binary = Path(__file__).parent / "data" / "traces" / "mixed.ztrace"
    for path in (KERNEL / "sizes.trace", raw, binary):
        with open_trace(path) as reader:
            events = iter(reader)
            next(events)
            assert 0.0 < reader.fraction_read() <= 1.0
            list(events)
            assert reader.fraction_read() == 1.0


def test_progress_bar_shows_share_and_rate():
    from zramsim.progress import Progress
    lines = []
    ticks = iter([0.0, 2.0])                # 8192 events in 2 s
    progress = Progress(lines.append, "events", lambda: 0.5, clock=lambda: next(ticks))
    progress(8192)
    assert lines == ["\r[" + "#" * 15 + "." * 15 + "]  50%         8,192 events"
                     "       4,096 events/s"]


def test_default_workload_at_16k_pages():
    doc = json.loads(run("replay", "-q", "--format", "json", "--page-size", "16384").stdout)
    assert doc["config"]["page_size"] == 16384 and doc["config"]["huge_class_size"] == 14553
    _by_hand(doc, 0, 16384)
    # Regression pins: the first two are checked by hand above; mem_used_total
    # against the classes rows' pages_used, a count of its own.
    assert (doc["mm_stat"]["orig_data_size"], doc["mm_stat"]["compr_data_size"]) == \
        (64765952, 22576614)
    assert doc["mm_stat"]["mem_used_total"] == 26312704 == \
        16384 * sum(row["pages_used"] for row in doc["classes"])


@pytest.mark.parametrize("command", ["replay", "classes"])
def test_an_impossible_device_is_a_usage_error(command):
    result = run(command, str(KERNEL / "sizes.trace"), "--algo", "zstd", "--level", "99")
    assert result.exit_code == 2                          # a bad option value
    assert result.stderr == "Error: zstd level must be 1..22 or negative, not 99\n"


def test_json_config_names_the_trace_format(tmp_path):
    raw = tmp_path / "image.bin"
    raw.write_bytes(b"abc" * 5000)
    binary = Path(__file__).parent / "data" / "traces" / "mixed.ztrace"
    for path, kind in ((KERNEL / "sizes.trace", "text"), (binary, "binary"), (raw, "raw")):
        doc = json.loads(run("replay", str(path), "-q", "--format", "json").stdout)
        assert doc["config"]["format"] == kind
