"""Bad invocations of every command: one clear line, the right exit code, nothing lost.

Each case runs in a folder holding a few small inputs and files a user wants to
keep; after it, every file is byte for byte what it was and no file was added
(no partial output, no temporary left behind). Exit codes: 1 a domain error,
2 a usage error or a bad option value (README, "Exit codes and conventions").
The cases of issue 13 are pinned with their exact message in ``EXACT``.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from zramsim import COMPRESSORS

ALGOS = ", ".join(map(repr, sorted(COMPRESSORS)))

DATA = Path(__file__).parent / "data" / "traces"
PYTHON_TEXT = re.compile(r"Traceback|Errno|invalid literal|list index|\['|object has no "
                         r"attribute|NoneType|Exception|<class ")

# (arguments with {d} for the folder, exit code)
CASES = [
    # replay
    ("replay --algo lz5", 2), ("replay --format yaml", 2), ("replay --disksize 4Q", 2),
    ("replay --disksize ٤M", 2), ("replay --disksize ²K", 2), ("replay --mem-limit -1", 2),
    ("replay --page-size 8192", 2), ("replay --chain-size 99", 2),
    ("replay --chain-rule sloppy", 2), ("replay --workers 0", 2),
    ("replay {d}/ok.trace --algo zstd --level 99", 2), ("replay {d}/missing.trace", 1),
    ("replay {d}/ok.trace --seed 3", 2), ("replay {d}/ok.trace --explain --format json", 2),
    ("replay --explain --format csv", 2), ("replay --dict {d}/missing.dict", 2),
    ("replay {d}/bad.trace", 1), ("replay {d}/far.trace --disksize 4K", 1), ("replay --bogus", 2),
    ("replay {d}/ok.trace {d}/ok.trace", 2), ("replay {d}", 2), ("replay --workers x", 2),
    # classes
    ("classes --page-size 1234", 2), ("classes --format yaml", 2), ("classes --chain-size 3", 2),
    ("classes {d}/missing.trace", 1), ("classes {d}/ok.trace --seed 1", 2),
    ("classes {d}/bad.trace", 1), ("classes --algo lz5", 2),
    # algorithms
    ("algorithms --format csv", 2), ("algorithms extra", 2),
    # generate
    ("generate", 2), ("generate {d}/keep.ztrace --kind heapp --pages 3", 2),
    ("generate {d}/keep.ztrace --kind heap=a --pages 3", 2),
    ("generate {d}/keep.ztrace --kind heap=-1 --pages 3", 2),
    ("generate {d}/out.bin --pages 3", 1), ("generate {d}/nofolder/out.ztrace --pages 3", 1),
    ("generate {d}/keep.ztrace --pages 0", 2), ("generate {d}/keep.ztrace --overwrite-rate 2", 2),
    ("generate {d}/keep.ztrace --page-size 5", 2), ("generate {d} --pages 3", 2),
    ("generate {d}/keep.ztrace --output-format xml", 2), ("generate /proc/x.ztrace --pages 3", 1),
    ("generate {d}/keep.ztrace --seed s", 2), ("generate /dev/null --output-format text", 1),
    ("generate {d}/keep.ztrace --pages 3 --zstd-level 23", 2),
    ("generate {d}/keep.ztrace --pages 3 --zstd-level -8", 2),
    ("generate {d}/keep.ztrace --pages 3 --zstd-level fast", 2),
    ("generate {d}/out.trace --pages 3 --zstd-level 3", 2),
    ("generate {d}/keep.ztrace --pages 3 --output-format text --zstd-level 3", 2),
    # convert
    ("convert {d}/missing.trace {d}/x.ztrace", 2), ("convert {d}/ok.trace {d}/ok.trace", 1),
    ("convert {d}/ok.trace {d}/out.bin", 1), ("convert {d}/ok.trace {d}/nofolder/x.ztrace", 1),
    ("convert {d}/reads_b.trace {d}/b.trace", 1), ("convert {d}/bad.trace {d}/keep.ztrace", 1),
    ("convert {d}/ok.trace", 2), ("convert {d}/ok.trace {d}/x.ztrace --output-format xml", 2),
    ("convert {d}/ok.trace {d}/keep.ztrace/x.trace", 1), ("convert {d}/ok.trace {d}", 2),
    ("convert {d}/ok.trace {d}/x.trace --zstd-level 1", 2),
    # capture
    ("capture {d}/keep.ztrace --pid 4999999", 1), ("capture {d}/keep.ztrace", 2),
    ("capture {d}/keep.ztrace --pid 1 --path {d}", 2),
    ("capture {d}/keep.ztrace --path {d}/missing", 1),
    ("capture {d}/sub/out.ztrace --path {d}/sub", 1), ("capture {d}/keep.ztrace --pid 0", 2),
    ("capture {d}/keep.ztrace --pid -5", 2), ("capture {d}/keep.ztrace --pid 1 --include x", 2),
    ("capture {d}/out.bin --path {d}/sub", 1),
    ("capture {d}/x.trace --path {d}/sub --zstd-level 1", 2),
    # kernel-diff (all refused before the device is touched)
    ("kernel-diff", 2), ("kernel-diff {d}/missing.trace", 1),
    ("kernel-diff {d}/ok.trace --algo zstd", 2), ("kernel-diff {d}/ok.trace --every 0", 2),
    # explain
    ("explain", 2), ("explain abc", 2), ("explain 0", 2), ("explain 5000", 2),
    ("explain 100 --count 0", 2), ("explain 100 --page-size 3", 2), ("explain 100 --format x", 2),
    # quiz
    ("quiz --count 0", 2), ("quiz --kind bogus", 2), ("quiz --seed x", 2),
    # compare
    ("compare --allocator slab", 2), ("compare {d}/missing.trace", 1),
    ("compare {d}/ok.trace --seed 2", 2), ("compare --algo lz5", 2), ("compare {d}/bad.trace", 1),
    # zspages
    ("zspages", 2), ("zspages --size 1560 --count 3 --free 7", 2),
    ("zspages --size 1560 --free a", 2), ("zspages --size 99999", 2),
    ("zspages --size 100 {d}/ok.trace", 2), ("zspages --size 100 --format yaml", 2),
    ("zspages --size 100 --svg {d}/nofolder/m.svg", 1),
    ("zspages {d}/ok.trace --svg {d}/ok.trace", 1), ("zspages --size 100 --width 2", 2),
    ("zspages --size 100 --page-size 5", 2), ("zspages --size 1560 --free -1", 2),
    # config, report, sweep
    ("config {d}/missing.conf", 1), ("config", 2), ("config {d}/ok.trace --ram lots", 2),
    ("config {d}/bad.conf", 1), ("replay --config {d}/bad.conf --ram 1G", 1),
    ("report", 2), ("report {d}/missing.trace -o {d}/r.html", 1),
    ("report {d}/ok.trace -o {d}/nofolder/r.html", 1), ("report {d}/ok.trace -o {d}/ok.trace", 1),
    ("sweep {d}/ok.trace", 2), ("sweep --db {d}/s.db", 2), ("sweep {d}/missing.trace --db {d}/s.db", 1), ("sweep {d}/ok.trace --db {d}/s.db "
                                                          "--algo lz5", 2),
    # pressure
    ("pressure --pages 16 --mix heapp", 2), ("pressure --pages 16 --pattern zipff", 2),
    ("pressure --pages 16 --ram 5x", 2), ("pressure --pages 16 --algo lz5", 2),
    ("pressure --pages 16 --algo lz4,,zstdd", 2), ("pressure --pages 16 --ram 0", 2),
    ("pressure --pages 16 --write-fraction 2", 2), ("pressure --pages 16 --policy fifo", 2),
    ("pressure --pages 16 --on-full swap", 2), ("pressure --pages 16 --disk-latency-us -1", 2),
    ("pressure --pattern trace", 2), ("pressure --trace {d}/missing.trace", 1),
    ("pressure --pages 16 --mix heap=x", 2), ("pressure --pages 16 --zipf-s -1", 2),
    ("pressure --pid 4999999", 1), ("pressure --pages 16 --accesses 10 -o {d}/knee.pdf", 2),
    # the group
    ("frobnicate", 2), ("--bogus", 2),
]

# The cases of issue 13, with the exact line they now print.
EXACT = {
    "zspages --size 1560 --count 3 --free 7":
        "Error: there is no object 7 to free: 3 objects are numbered from 0",
    "zspages --size 1560 --free a":
        "Error: objects to free are numbers such as 0,3,5, not 'a'",
    "pressure --pages 16 --mix heapp":
        "Error: unknown content kind heapp; known: zero, same, text, source, heap, code, random",
    "replay --algo lz5": f"Error: Invalid value for '--algo': 'lz5' is not one of {ALGOS}. "
                         "(see 'zramsim replay --help')",
    "pressure --pages 16 --algo lz5": f"Error: Invalid value for '--algo': 'lz5' is not one of "
                                      f"{ALGOS}. (see 'zramsim pressure --help')",
    "compare --algo lz5": f"Error: Invalid value for '--algo': 'lz5' is not one of {ALGOS}. "
                          "(see 'zramsim compare --help')",
    "capture {d}/keep.ztrace --pid 4999999": "Error: no process with pid 4999999",
    "convert {d}/reads_b.trace {d}/b.trace":
        "Error: {d}/reads_b.trace:3: file 'b.trace.pages' is also this command's output: "
        "write to another name",
    "convert {d}/ok.trace {d}/nofolder/x.ztrace":
        "Error: cannot write {d}/nofolder/x.ztrace: folder {d}/nofolder does not exist",
    "capture {d}/sub/out.ztrace --path {d}/sub":
        "Error: cannot write {d}/sub/out.ztrace: it would be written inside {d}/sub, which is "
        "being read: write it elsewhere",
    "replay {d}/ok.trace --seed 3": "Error: --seed picks the built-in workload; it does not "
                                    "apply to a TRACE (see 'zramsim replay --help')",
    "replay {d}/ok.trace --explain --format json": "Error: --explain narrates in words: use it "
                                                   "with --format table (see 'zramsim replay "
                                                   "--help')",
    "replay --disksize ٤M": "Error: Invalid value for '--disksize': '٤M' is not a size: only "
                            "the ASCII digits 0-9 count (expected a size such as 4096, 64K, "
                            "512KB, 1.5G or 2GiB) (see 'zramsim replay --help')",
}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "ok.trace").write_text("zramsim-trace 1\nW 0 zero\nW 1 size:1200\nR 1\n")
    (tmp_path / "bad.trace").write_text("zramsim-trace 1\nW 0 zero\nX 1\n")
    (tmp_path / "bad.conf").write_text("[zram0]\nzram-size = ram / (ram - ram)\n")
    (tmp_path / "far.trace").write_text("zramsim-trace 1\nW 0 zero\nW 99 zero\n")
    (tmp_path / "keep.ztrace").write_bytes(b"a trace the user wants to keep")
    (tmp_path / "b.trace.pages").write_bytes(bytes(range(256)) * 16)
    (tmp_path / "reads_b.trace").write_text("zramsim-trace 1\nW 0 zero\nW 1 file:b.trace.pages:0\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "data.bin").write_bytes(b"\x01" * 5000)
    return tmp_path


def snapshot(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def run(args: list[str]):
    return CliRunner().invoke(main, args, prog_name="zramsim")


@pytest.mark.parametrize("line, code", CASES, ids=[c[0] for c in CASES])
def test_a_bad_invocation_is_one_clear_line_and_loses_nothing(folder, line, code):
    before = snapshot(folder)
    result = run([part.replace("{d}", str(folder)) for part in line.split()])
    assert result.exit_code == code, result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert not PYTHON_TEXT.search(result.stderr), result.stderr
    if line in EXACT:
        assert lines[0] == EXACT[line].replace("{d}", str(folder))
    assert snapshot(folder) == before                # nothing changed, nothing added


def test_there_are_at_least_80_cases_across_every_command():
    assert len(CASES) >= 80
    assert {line.split()[0] for line, _ in CASES[:-2]} == set(main.commands)


def test_failed_writes_under_mem_limit_are_a_warning_with_the_count():
    result = run(["replay", "-q", "--mem-limit", "1", "--format", "json"])
    assert result.exit_code == 0            # writes the device refused are a result
    message = "3,674 writes refused by the device at mem_limit 4,096 bytes (io_stat failed_writes)"
    assert result.stderr == f"Warning: {message}\n"
    import json
    doc = json.loads(result.stdout)
    assert doc["io_stat"]["failed_writes"] == 3674 and doc["warnings"] == [message]


def test_one_page_is_singular(tmp_path):
    result = run(["generate", str(tmp_path / "one.ztrace"), "--pages", "1", "--kind", "zero"])
    assert result.stderr == f"1 event written to {tmp_path / 'one.ztrace'}\n"
    assert run(["generate", str(tmp_path / "q.ztrace"), "--pages", "1", "-q"]).stderr == ""


@pytest.mark.parametrize("command, target", [
    (["compare", str(DATA / "mixed.trace")], "zramsim.teach.compare.compare"),
    (["explain", "1560"], "zramsim.teach.explain.explain"),
    (["zspages", "--size", "100"], "zramsim.teach.zspage_map.object_views"),
    (["classes", str(DATA / "mixed.trace")], "zramsim.device.ZramDevice.write"),
])
def test_ctrl_c_on_any_command_exits_130_with_one_line(monkeypatch, command, target):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    module, _, attribute = target.rpartition(".")
    if module.endswith("ZramDevice"):
        from zramsim.device import ZramDevice as owner
    else:
        owner = __import__(module, fromlist=["_"])
    monkeypatch.setattr(owner, attribute, interrupted)
    result = run(command)
    assert result.exit_code == 130
    assert result.stderr in ("Error: interrupted\n", "Error: interrupted after 0 events\n")


def test_a_broken_invariant_is_a_bug_not_an_exit_code(monkeypatch):
    from allocator.errors import InvariantError
    from zramsim.replay import Replay

    def broken(self, events):
        raise InvariantError("two live objects overlap")
    monkeypatch.setattr(Replay, "run", broken)
    result = run(["replay", "-q"])
    assert isinstance(result.exception, InvariantError)     # a traceback, not "Error: ..."


def test_classes_as_csv_bare_and_after_a_replay():
    bare = run(["classes", "--format", "csv"]).stdout.splitlines()
    assert bare[0] == "index,size,pages_per_zspage,objs_per_zspage,huge,tail_waste"
    assert bare[1] == "0,32,1,128,False,0" and len(bare) == 1 + 119
    after = run(["classes", str(DATA / "mixed.trace"), "--format", "csv"]).stdout.splitlines()
    header = after[0].split(",")
    assert header[:3] == ["index", "size", "10%"] and header[-1] == "fragmentation_tail_waste"
    assert len(after) == 1 + 119 and all(len(r.split(",")) == len(header) for r in after)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs Linux's /dev/full")
@pytest.mark.parametrize("args", [("replay", "tests/data/traces/mixed.trace"), ("classes",),
                                  ("replay", "tests/data/traces/mixed.trace", "--format",
                                   "json")])
def test_a_result_that_cannot_be_written_is_one_line_not_a_traceback(args):
    """stdout on a full disk: the small result fails at the last flush, a large one
    in the middle; either way one line and exit 1 (once an OSError traceback)."""
    import subprocess

    from tests.run_cli import zramsim_argv, zramsim_env
    root = Path(__file__).parents[1]
    with open("/dev/full", "wb") as full:
        done = subprocess.run(zramsim_argv(*args), cwd=root, env=zramsim_env(), stdout=full,
                              stderr=subprocess.PIPE, timeout=120)
    assert done.returncode == 1
    assert done.stderr.decode().splitlines() == [
        "Error: cannot write standard output: no space left on device"]
