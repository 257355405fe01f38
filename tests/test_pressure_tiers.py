"""The writeback and recompression tiers of the pressure model, worked by hand.

The tier's job runs after every ``tier_period`` accesses: first the day's work
(``writeback type=idle`` under the budget, or ``recompress type=idle``), then
``idle all``. So the first job finds nothing idle; each later one acts on the
pages that stayed in zram since the job before.
"""

from __future__ import annotations

import json
import random

import pytest
from click.testing import CliRunner

from cli import main

from zramsim.pressure import MemoryModel, PressureConfig

PAGE = 4096


def pages(n: int, seed: int = 1) -> list[bytes]:
    """1600 random a's and b's then zeros: lz4 keeps about 985 bytes of each, zstd
    about 394 (entropy coding), a much smaller size class."""
    rng = random.Random(seed)
    return [bytes(rng.choice(b"ab") for _ in range(1600)) + bytes(PAGE - 1600)
            for _ in range(n)]


def cold_then_hot(n: int, hot_accesses: int) -> list[tuple[int, bool]]:
    # touch every page once, then only the last one (a hit every time)
    return [(p, False) for p in range(n)] + [(n - 1, False)] * hot_accesses


def test_writeback_budget_per_day():
    # 20 pages, 12 frames: 19 pages end in zram (they take 5 frames). Jobs after accesses 20, 40, 60
    # and 80. Job 1 finds nothing idle and marks the zram pages idle; jobs 2, 3 and 4 each
    # write back the budget of 2 idle pages: 6 flash writes, none read (only page 19 is
    # used). Touching every page again then reads those 6 back from flash, once each.
    contents = pages(20)
    config = PressureConfig(ram_pages=12, tier="writeback", tier_period=20, flash_budget=2)
    model = MemoryModel(config, contents)
    model.run(cold_then_hot(20, 60))
    s = model.summary()
    assert (s.flash_writes, s.flash_reads, model.tier.jobs) == (6, 0, 4)
    assert model.device.bd_stat().bd_count == 6
    assert s.flash_writes_per_access == 6 / 80
    model.check(deep=True)
    model.run([(p, False) for p in range(20)])
    s = model.summary()
    assert (s.flash_writes, s.flash_reads) == (6, 6)
    assert s.est_ns_per_access > s.ram_access_ns
    assert [model.peek(p) for p in range(20)] == contents
    model.check(deep=True)


def test_unlimited_budget_writes_every_idle_page():
    contents = pages(20)
    config = PressureConfig(ram_pages=12, tier="writeback", tier_period=20)
    model = MemoryModel(config, contents)
    model.run(cold_then_hot(20, 20))
    # job 2 (after access 40) writes back every page in zram: all of them were idle
    in_zram = sum(model.location(p) == "zram" for p in range(20))
    assert model.summary().flash_writes == in_zram == model.device.bd_stat().bd_count
    assert model.device.mm_stat().mem_used_total == 0       # zsmalloc holds nothing now
    model.check(deep=True)


def test_recompression_tier_gives_frames_back():
    # 300 pages, 100 frames: 293 end in zram, lz4 at about 985 bytes each: 93 frames.
    # The job after access 600 (the second) recompresses all 293 with zstd (about 394
    # bytes): the pool falls to 49 frames, which the workload can use again.
    contents = pages(300)
    plain = MemoryModel(PressureConfig(ram_pages=100), contents)
    plain.run(cold_then_hot(300, 300))
    model = MemoryModel(PressureConfig(ram_pages=100, tier="recompress", tier_period=300),
                        contents)
    model.run(cold_then_hot(300, 300))
    s = model.summary()
    assert (plain.zram_frames(), model.zram_frames(), s.recompressed) == (93, 49, 293)
    assert s.label == "zram-lz4+recompress" and s.oom_at is None
    assert [model.peek(p) for p in range(300)] == contents
    model.check(deep=True)


def test_recompression_can_cost_memory_at_small_scale():
    # 20 pages, 12 frames: 19 in zram take 5 frames under lz4. Recompressed, the 19
    # objects spread over several size classes, and each class opens a zspage of up to 8
    # frames: the pool grows to 19 frames. Reclaim after the job cannot balance that
    # (every page is in zram already), so the run is out of memory after the job.
    contents = pages(20)
    model = MemoryModel(PressureConfig(ram_pages=12, tier="recompress", tier_period=20),
                        contents)
    model.run(cold_then_hot(20, 20))
    s = model.summary()
    assert (s.recompressed, model.zram_frames(), s.oom_at, s.accesses) == (19, 19, 40, 40)
    assert [model.location(p) for p in range(20)] == ["zram"] * 20
    assert [model.peek(p) for p in range(20)] == contents
    model.check(deep=True)


def test_tier_needs_zram():
    with pytest.raises(ValueError):
        PressureConfig(ram_pages=4, swap="disk", tier="writeback")
    with pytest.raises(ValueError):
        PressureConfig(ram_pages=4, tier="flash")


def test_cli_reports_flash_writes_per_access():
    # 1024 pages, populate pass + 20,000 accesses = 21,024; jobs every 2,000: 10 jobs, the
    # first only marks pages idle, the other 9 each write the budget of 50: 450 writes.
    result = CliRunner().invoke(main, [
        "pressure", "--pages", "1024", "--ram", "60%", "--accesses", "20000", "--algo", "lz4",
        "--tiers", "writeback", "--tier-period", "2000", "--flash-budget", "50",
        "--no-baselines", "--format", "json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    (summary,) = json.loads(result.stdout)["summaries"]
    assert (summary["label"], summary["accesses"], summary["flash_writes"]) == (
        "zram-lz4+writeback", 21024, 450)
    assert summary["flash_writes_per_access"] == 450 / 21024
    assert 0 < summary["flash_reads"] <= summary["zram_ins"]
