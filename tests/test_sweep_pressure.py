"""zramsim pressure --db: the same experiment on the sweep engine, one row per run."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cli import main
from sweep_support import db_rows, write_trace
from zramsim.pressure import PressureConfig
from zramsim.sweep.pressure import plan

ARGS = ("pressure", "--pages", "512", "--ram", "50%,75%", "--accesses", "5000",
        "--write-fraction", "0.1", "--format", "json")
MEASURED = ("compress_ns", "decompress_ns", "est_ns_per_access")     # wall-clock, not model


def cli(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def model_numbers(doc: dict) -> dict:
    return {**{k: v for k, v in doc.items() if k != "summaries"},
            "summaries": [{k: v for k, v in s.items() if k not in MEASURED}
                          for s in doc["summaries"]]}


def pressure_rows(db) -> list[dict]:
    import sqlite3
    with sqlite3.connect(db) as con:
        con.row_factory = sqlite3.Row
        return [dict(r) for r in con.execute("SELECT * FROM pressure_runs ORDER BY id")]


def test_pressure_on_the_engine_gives_the_same_experiment_and_resumes(tmp_path):
    db = str(tmp_path / "s.db")
    plain = json.loads(cli(*ARGS).stdout)
    result = cli(*ARGS, "--db", db, "--workers", "2")
    assert result.exit_code == 0, result.output
    on_engine = json.loads(result.stdout)
    assert model_numbers(on_engine) == model_numbers(plain)
    rows = pressure_rows(db)
    # 2 RAM sizes x (zram-lz4, zram-zstd, disk, none), each once, all ok
    assert sorted((r["ram_pages"], r["label"]) for r in rows) == sorted(
        (ram, label) for ram in (256, 384) for label in ("zram-lz4", "zram-zstd", "disk", "none"))
    assert all(r["status"] == "ok" for r in rows)
    assert {(r["algorithm"], r["level"]) for r in rows} == {("lz4", 1), ("zstd", 3), ("", 0)}
    again = cli(*ARGS, "--db", db)
    assert json.loads(again.stdout) == on_engine      # read back, measured times included
    assert pressure_rows(db) == rows                  # nothing recomputed or rewritten
    # a replay sweep shares the file: its own table
    trace = write_trace(tmp_path / "t.ztrace", "heap", 50, 1)
    assert cli("sweep", trace, "--db", db, "-q").exit_code == 0
    assert len(db_rows(db)) == 1 and len(pressure_rows(db)) == 8


def test_a_live_process_cannot_go_to_the_workers():
    with pytest.raises(ValueError, match="capture it first"):
        plan({"pid": 1}, [10], ["lz4"], PressureConfig(ram_pages=10), ())


def test_the_key_follows_trace_content_not_its_path(tmp_path):
    a = write_trace(tmp_path / "a.ztrace", "heap", 40, 1)
    b = tmp_path / "b.ztrace"
    b.write_bytes(open(a, "rb").read())
    base = PressureConfig(ram_pages=10)
    [run_a], [run_b] = (plan({"trace": t, "pattern": "zipf"}, [10], ["lz4"], base, ())
                        for t in (a, str(b)))
    assert run_a.key == run_b.key and run_a.workload != run_b.workload
    b.write_bytes(open(a, "rb").read() + b"\0")
    [run_c] = plan({"trace": str(b), "pattern": "zipf"}, [10], ["lz4"], base, ())
    assert run_c.key != run_a.key


def test_a_failing_pressure_run_is_recorded(tmp_path):
    db = str(tmp_path / "s.db")
    result = CliRunner().invoke(main, ["pressure", "--pages", "256", "--ram", "50%",
                                       "--accesses", "1000", "--algo", "lz4,zstd", "--level",
                                       "50", "--no-baselines", "--db", db, "--format", "json"])
    assert result.exit_code == 1
    assert "1 of 2 runs failed" in result.stderr
    rows = {r["label"]: r for r in pressure_rows(db)}
    assert rows["zram-lz4"]["status"] == "ok" and rows["zram-lz4"]["level"] == 50
    assert rows["zram-zstd"]["status"] == "failed"
    assert rows["zram-zstd"]["error"] == "zstd level must be 1..22 or negative, not 50"
    assert [s["label"] for s in json.loads(result.stdout)["summaries"]] == ["zram-lz4"]


def test_several_policies_run_on_the_engine_each_with_its_own_labels(tmp_path):
    db = str(tmp_path / "s.db")
    args = ("pressure", "--pages", "512", "--ram", "50%,75%", "--accesses", "5000",
            "--no-baselines", "--format", "json", "--policy")
    both = json.loads(cli(*args, "lru,clock", "--db", db).stdout)
    assert [s["label"] for s in both["summaries"]] == [
        f"zram-{a}/{p}" for p in ("lru", "clock") for _ in (256, 384) for a in ("lz4", "zstd")]
    for policy in ("lru", "clock"):                   # each equals its own plain run
        alone = json.loads(cli(*args, policy).stdout)
        mine = [dict(s, label=s["label"].split("/")[0]) for s in both["summaries"]
                if s["policy"] == policy]
        assert model_numbers({"summaries": mine}) == model_numbers(
            {"summaries": alone["summaries"]})
        assert both["knee"][f"zram-lz4/{policy}"] == alone["knee"]["zram-lz4"]
    assert {r["label"] for r in pressure_rows(db)} == {"zram-lz4", "zram-zstd"}
    result = CliRunner().invoke(main, [*args, "lru,clock"])
    assert result.exit_code == 2 and "several --policy values need --db" in result.output
