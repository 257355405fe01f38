"""zramsim sweep: the grid, rows equal to replay's, resume, exactly once, failures, report."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from run_cli import ROOT, run_zramsim, zramsim_argv, zramsim_env
from sweep_support import comparable, db_rows, wait_for, write_trace
from workloads.open_trace import open_trace
from zramsim.sweep import Config, Store, Sweep, expand
from zramsim.option_spec import split_list
from zramsim.sweep.grid import file_sha256
from zramsim.sweep.options import algorithm
from zramsim.sweep.run import run_one

MM_IO = ["orig_data_size", "compr_data_size", "mem_used_total", "mem_used_max", "same_pages",
         "pages_compacted", "huge_pages", "huge_pages_since", "failed_reads", "failed_writes",
         "invalid_io", "notify_free"]


def cli(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def traces(tmp_path_factory) -> list[str]:
    """A binary heap trace with overwrites, discards and compaction, and a text one."""
    here = tmp_path_factory.mktemp("traces")
    return [write_trace(here / "heap.ztrace", "heap", 160, 1, overwrite_rate=0.3,
                        discard_rate=0.05, compact_rate=0.02),
            write_trace(here / "mix.trace", {"text": 0.5, "zero": 0.3, "random": 0.2}, 120, 2,
                        read_rate=0.2)]


def test_grid_expands_every_combination_in_order(traces, tmp_path):
    runs = expand(traces, ["lz4", "zstd"], None, [4, 8], None, [0, 10000], opener=open_trace)
    assert len(runs) == 2 * 2 * 2 * 2
    assert [r.trace for r in runs] == [traces[0]] * 8 + [traces[1]] * 8
    # algorithm, then level, chain size, page size, mem_limit; defaults resolved:
    # lz4 acceleration 1, zstd level 3, the trace's 4096 pages, 10000 -> 3 pages.
    assert [r.config for r in runs[:8]] == [
        Config(a, lvl, c, 4096, m) for a, lvl in (("lz4", 1), ("zstd", 3))
        for c in (4, 8) for m in (0, 12288)]
    assert runs[0].trace_sha256 == file_sha256(traces[0])
    assert runs[0].path == os.path.abspath(traces[0])
    # levels apply to every algorithm; a second path to the same bytes is the same trace
    copy = tmp_path / "copy.ztrace"
    copy.write_bytes(Path(traces[0]).read_bytes())
    runs = expand([traces[0], str(copy)], ["lz4"], [1, 2], [8], [4096], [0], opener=open_trace)
    assert [(r.trace, r.config.level) for r in runs] == [(traces[0], 1), (traces[0], 2)]
    # a raw image has no page size of its own: 4096
    raw = tmp_path / "image.bin"
    raw.write_bytes(bytes(8192))
    assert expand([str(raw)], opener=open_trace)[0].config == Config("lz4", 1, 8, 4096, 0)


def test_lists_are_parsed_like_pressure_and_bad_items_are_usage_errors(traces, tmp_path):
    assert split_list(" lz4,zstd, lz4 ", algorithm) == ["lz4", "zstd"]
    with pytest.raises(ValueError, match="unknown algorithm 'lz5'"):
        split_list("lz4,lz5", algorithm)
    for option, value, message in (("--algo", "lz4,lz5", "unknown algorithm 'lz5'"),
                                   ("--chain-size", "8,17", "chain size '17' is not in 4..16"),
                                   ("--page-size", "4096,8192", "page size '8192'"),
                                   ("--mem-limit", "0,lots", "'lots' is not a size")):
        result = cli("sweep", traces[0], option, value, "--db", str(tmp_path / "x.db"))
        assert result.exit_code == 2, (option, result.output)
        assert message in result.output
    assert not (tmp_path / "x.db").exists()


def test_a_row_equals_what_replay_prints(traces, tmp_path):
    db = str(tmp_path / "s.db")
    result = cli("sweep", *traces, "--algo", "lz4,zstd", "--chain-size", "4,8",
                 "--mem-limit", "0,200K", "--db", db, "--workers", "2", "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert {k: doc[k] for k in ("total", "computed", "skipped", "failed", "lost")} == \
        {"total": 16, "computed": 16, "skipped": 0, "failed": 0, "lost": 0}
    assert len(doc["rows"]) == 16 and db_rows(db) != []
    assert sorted(map(comparable, doc["rows"]), key=str) == \
        sorted(map(comparable, db_rows(db)), key=str)
    assert any(r["failed_writes"] for r in doc["rows"])      # the 200K limit bites
    for row in doc["rows"]:
        replay = json.loads(cli("replay", row["trace"], "--algo", row["algorithm"],
                                "--chain-size", str(row["chain_size"]), "--mem-limit",
                                str(row["mem_limit"]), "--format", "json", "-q").stdout)
        stats = {**replay["mm_stat"], **replay["io_stat"]}
        assert {k: row[k] for k in MM_IO} == {k: stats[k] for k in MM_IO}
        assert row["mem_limit"] == replay["mm_stat"]["mem_limit"] == replay["config"]["mem_limit"]
        for key in ("compression_ratio", "effective_ratio", "allocator_efficiency", "events",
                    "disksize"):
            assert row[key] == replay[key], key
        assert row["trace_sha256"] == file_sha256(row["trace"])
        assert row["status"] == "ok" and row["error"] is None and row["seconds"] > 0


def test_levels_and_page_sizes_match_replay_too(tmp_path):
    from workloads.generators import heap_page, text_page
    image = tmp_path / "image.bin"          # a raw image takes any page size
    image.write_bytes(b"".join((heap_page if i % 3 else text_page)(i) for i in range(64)))
    result = cli("sweep", str(image), "--algo", "lz4,zstd", "--level", "2,5", "--page-size",
                 "4096,16384", "--db", str(tmp_path / "s.db"), "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["rows"]
    assert [(r["algorithm"], r["level"], r["page_size"]) for r in rows] == [
        (a, lvl, p) for a in ("lz4", "zstd") for lvl in (2, 5) for p in (4096, 16384)]
    assert len({r["compr_data_size"] for r in rows}) == 8      # every knob matters here
    for row in rows:
        replay = json.loads(cli("replay", str(image), "--algo", row["algorithm"], "--level",
                                str(row["level"]), "--page-size", str(row["page_size"]),
                                "--format", "json", "-q").stdout)
        stats = {**replay["mm_stat"], **replay["io_stat"]}
        assert {k: row[k] for k in MM_IO} == {k: stats[k] for k in MM_IO}
        assert (row["effective_ratio"], row["events"]) == (replay["effective_ratio"],
                                                          replay["events"])


def test_rerun_computes_nothing_and_changes_no_row(traces, tmp_path):
    db = str(tmp_path / "s.db")
    args = ("sweep", *traces, "--algo", "lz4,zstd", "--db", db, "--format", "json")
    first = json.loads(cli(*args).stdout)
    before = db_rows(db)
    again = json.loads(cli(*args).stdout)
    assert (first["computed"], again["computed"], again["skipped"]) == (4, 0, 4)
    assert db_rows(db) == before                  # same ids, same seconds, same timestamps
    with sqlite3.connect(db) as con:              # the documented file format
        assert con.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert con.execute("PRAGMA user_version").fetchone() == (1,)
    assert again["rows"] == first["rows"]
    # a larger grid computes only the new cells
    more = json.loads(cli(*args[:-2], "--chain-size", "8,4", "--format", "json").stdout)
    assert (more["computed"], more["skipped"]) == (4, 4)
    assert len(db_rows(db)) == 8


def test_a_failing_run_is_recorded_then_retried(traces, tmp_path):
    db = str(tmp_path / "s.db")
    # the text trace declares 4096-byte pages: its 16384 run cannot be replayed
    result = cli("sweep", traces[1], "--page-size", "4096,16384", "--db", db, "--format", "json")
    assert result.exit_code == 1
    assert "1 of 2 runs failed" in result.stderr
    rows = {r["page_size"]: r for r in db_rows(db)}
    assert rows[4096]["status"] == "ok" and rows[4096]["error"] is None
    assert rows[16384]["status"] == "failed" and rows[16384]["orig_data_size"] is None
    assert "16384" in rows[16384]["error"] and traces[1] in rows[16384]["error"]
    again = json.loads(cli("sweep", traces[1], "--page-size", "4096,16384", "--db", db,
                           "--format", "json").stdout)
    assert (again["computed"], again["skipped"], again["failed"]) == (1, 1, 1)
    assert [r["id"] for r in db_rows(db)] == [1, 2]            # replaced in place, not added


def test_a_trace_that_differs_on_the_worker_fails_by_hash(traces, tmp_path):
    trace = tmp_path / "t.ztrace"
    trace.write_bytes(Path(traces[0]).read_bytes())
    run = expand([str(trace)], opener=open_trace)[0]
    assert run_one(run, open_trace)["status"] == "ok"
    trace.write_bytes(Path(traces[0]).read_bytes() + b"\0")
    result = run_one(run, open_trace)
    assert result["status"] == "failed"
    assert "trace changed or differs on this worker" in result["error"]
    trace.unlink()
    assert "No such file" in run_one(run, open_trace)["error"]


def test_progress_counts_rate_and_time_left(traces, tmp_path):
    times = iter([100.0, 100.0, 122.5])
    with Store(str(tmp_path / "s.db")) as store:
        job = Sweep(expand(traces, ["lz4"], None, [8], None, [0], opener=open_trace), store,
                    clock=lambda: next(times))
        assert job.progress_text() == "0/2 runs"
        job.skipped, job.total, job.computed, job.failed = 5, 64, 36, 1
        assert job.progress_text() == ("41/64 runs, 5 already done, 1 failed, 1.60 runs/s, "
                                       "about 14 s left")


def test_report_best_per_trace_and_per_algorithm(traces, tmp_path):
    db = str(tmp_path / "s.db")
    cli("sweep", *traces, "--algo", "lz4,zstd", "--chain-size", "4,8", "--mem-limit", "0,200K",
        "--db", db, "-q")
    rows = db_rows(db)
    doc = json.loads(cli("sweep", "--db", db, "--report", "--format", "json").stdout)
    assert doc["runs"] == 16
    for trace in traces:
        mine = [r for r in rows if r["trace"] == trace and r["failed_writes"] == 0]
        best = max(mine, key=lambda r: (r["effective_ratio"], -r["seconds"]))
        [got] = [b for b in doc["best_per_trace"] if b["trace"] == trace]
        assert comparable(got) == comparable(best)
    lz4 = [r for r in rows if r["algorithm"] == "lz4"]
    [row] = [a for a in doc["per_algorithm"] if a["algorithm"] == "lz4"]
    assert row["runs"] == 8 and row["failed"] == 0
    assert row["effective_ratio"] == pytest.approx(sum(r["effective_ratio"] for r in lz4) / 8)
    table = cli("sweep", "--db", db, "--report").stdout
    assert "best configuration per trace" in table and "per algorithm" in table
    pytest.importorskip("matplotlib")
    plot = tmp_path / "r.svg"
    assert cli("sweep", "--db", db, "--report", "-o", str(plot)).exit_code == 0
    assert plot.read_text().lstrip().startswith("<?xml")


def test_bad_database_and_missing_traces_are_clear_errors(traces, tmp_path):
    not_db = tmp_path / "notes.txt"
    not_db.write_text("hello\n" * 200)
    result = run_zramsim("sweep", traces[0], "--db", not_db)
    assert result.returncode == 1 and b"file is not a database" in result.stderr
    assert not_db.read_text() == "hello\n" * 200
    result = run_zramsim("sweep", tmp_path / "nope.trace", "--db", tmp_path / "s.db")
    assert result.returncode == 1 and b"nope.trace" in result.stderr
    result = run_zramsim("sweep", "--db", tmp_path / "missing.db", "--report")
    assert result.returncode == 1 and b"no such database" in result.stderr
    result = run_zramsim("sweep", "--db", tmp_path / "s.db")
    assert result.returncode == 2 and b"give at least one TRACE" in result.stderr


def test_scheduler_without_dask_says_what_to_install(traces, tmp_path):
    fake = tmp_path / "nodask" / "distributed"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('no distributed here')\n")
    env = zramsim_env(PYTHONPATH=os.pathsep.join([str(fake.parent), str(ROOT)]))
    result = subprocess.run(zramsim_argv("sweep", traces[0], "--db", tmp_path / "s.db",
                                         "--scheduler", "tcp://127.0.0.1:8786"),
                            env=env, capture_output=True, timeout=60)
    assert result.returncode == 1
    assert b"pip install 'zramsim[dask]'" in result.stderr
    assert not (tmp_path / "s.db").exists()


# --- a real process tree: SIGKILL, Ctrl-C, a pool process killed ---------------------------

@pytest.fixture(scope="module")
def slow_trace(tmp_path_factory) -> str:
    """A trace whose lz4-kernel replay takes a few tenths of a second."""
    return write_trace(tmp_path_factory.mktemp("slow") / "slow.ztrace", "heap", 400, 5)


SLOW_GRID = ("--algo", "lz4-kernel", "--level", "1,2,3,4", "--chain-size", "4,8")   # 8 runs


def start_sweep(trace: str, db: str, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(zramsim_argv("sweep", trace, *SLOW_GRID, "--db", db, *extra),
                            env=zramsim_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)


def stop_group(proc: subprocess.Popen) -> None:
    """Kill what is left of the sweep's session (its pool processes) and reap it."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.communicate(timeout=60)


def test_sigkill_mid_sweep_then_rerun_has_every_row_once(slow_trace, tmp_path):
    db = str(tmp_path / "s.db")
    proc = start_sweep(slow_trace, db, "--workers", "2")
    try:
        wait_for(lambda: len(db_rows(db)) >= 2, what="two rows")
        pool = children(proc.pid)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        kept = db_rows(db)
        # the orphaned pool processes notice and end (they would block for ever)
        wait_for(lambda: not any(map(alive, pool)), timeout=30, what="the pool to end")
    finally:
        stop_group(proc)
    assert 2 <= len(kept) < 8, "the sweep must be killed mid-way"
    result = run_zramsim("sweep", slow_trace, *SLOW_GRID, "--db", db, "--format", "json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert (doc["computed"], doc["skipped"]) == (8 - len(kept), len(kept))
    rows = db_rows(db)
    keys = [(r["level"], r["chain_size"]) for r in rows]
    assert sorted(keys) == [(lvl, c) for lvl in (1, 2, 3, 4) for c in (4, 8)]
    assert rows[:len(kept)] == kept                       # untouched by the rerun
    assert all(r["status"] == "ok" for r in rows)


def test_ctrl_c_keeps_what_finished_and_exits_130(slow_trace, tmp_path):
    db = str(tmp_path / "s.db")
    proc = start_sweep(slow_trace, db, "--workers", "2", "--format", "json")
    try:
        wait_for(lambda: db_rows(db), what="a row")
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        stop_group(proc)
    assert proc.returncode == 130, err
    assert b"interrupted:" in err
    doc = json.loads(out)
    assert doc["computed"] == len(db_rows(db)) < 8
    stored = [{k: v for k, v in r.items() if k != "id"} for r in db_rows(db)]
    assert sorted(doc["rows"], key=str) == sorted(stored, key=str)     # printed, all of them


def children(pid: int) -> list[int]:
    """Process ids whose parent is ``pid`` (from /proc/*/stat: field 4 is the ppid)."""
    found = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:               # gone meanwhile
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry))
    return sorted(found)


def alive(pid: int) -> bool:
    """Running (not gone, not a zombie waiting to be reaped)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            return not any(line.startswith("State:\tZ") for line in f)
    except FileNotFoundError:
        return False


def test_a_pool_process_killed_mid_run_loses_no_run(slow_trace, tmp_path):
    db = str(tmp_path / "s.db")
    proc = start_sweep(slow_trace, db, "--workers", "2", "--format", "json")
    try:
        wait_for(lambda: db_rows(db), what="a row")
        victim = wait_for(lambda: children(proc.pid), what="pool processes")[0]
        os.kill(victim, signal.SIGKILL)
        out, err = proc.communicate(timeout=120)
    finally:
        stop_group(proc)
    assert proc.returncode == 0, err
    doc = json.loads(out)
    assert doc["lost"] >= 1 and doc["total"] == 8 and doc["failed"] == 0
    rows = db_rows(db)
    assert len(rows) == 8 and all(r["status"] == "ok" for r in rows)


def die(run):
    """A task that kills its pool process, as an out-of-memory kill would."""
    os._exit(3)


def test_a_run_that_kills_its_process_every_time_is_recorded_failed():
    from zramsim.sweep.execute import LocalPool, execute
    results, lost, pools = {}, [], []

    def make():
        pools.append(LocalPool(1))
        return pools[-1]

    execute(["bad"], make, die, results.__setitem__, on_lost=lost.append)
    assert results == {"bad": {"status": "failed", "error": "its worker process died 3 times"}}
    assert lost == ["bad"] * 3 and len(pools) == 3
