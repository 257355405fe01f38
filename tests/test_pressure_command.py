"""What ``zramsim pressure`` runs, decided from its options (zramsim/pressure_command.py).

Run counts are worked by hand from the module docstring's rule: RAM sizes x
(algorithms x tiers + baselines).
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from zramsim.errors import ConfigError
from zramsim import pressure_command as command

WORKLOAD = SimpleNamespace(pages=4096, name="w")


def test_the_docstring_example_makes_twelve_runs():
    plan = command.plan(WORKLOAD, "25%,50%", ["lz4", "zstd"], ["lru"], ["none", "writeback"])
    assert plan.rams == [1024, 2048]                  # 25% and 50% of 4,096 pages
    assert plan.runs == 2 * (2 * 2 + 2) == 12 and not plan.on_engine


def test_a_timeline_is_one_run_and_never_on_the_engine():
    plan = command.plan(WORKLOAD, "50%", ["lz4"], ["lru"], ["none"], timeline=500, db="x.db")
    assert (plan.runs, plan.on_engine, plan.timeline) == (1, False, 500)
    assert command.plan(WORKLOAD, "50%", ["lz4"], ["lru"], ["none"], db="x.db").on_engine


def test_options_arrive_by_name_latencies_in_microseconds():
    plan = command.plan(WORKLOAD, "50%", ["zstd"], ["clock"], ["none"], no_baselines=True,
                        disk_latency_us=2.5, flash_latency_us=40, level=7, mem_limit=1 << 20)
    base = plan.base
    assert (base.disk_latency_ns, base.flash_read_ns) == (2500, 40_000)
    assert (base.algorithm, base.policy, base.level, base.mem_limit) == ("zstd", "clock", 7,
                                                                       1 << 20)
    assert plan.baselines == () and plan.runs == 1


def test_several_policies_need_the_database():
    with pytest.raises(ConfigError, match="need --db"):
        command.plan(WORKLOAD, "50%", ["lz4"], ["lru", "clock"], ["none"])


def test_figures_are_made_one_at_a_time_only_when_asked(tmp_path):
    from workloads.address_space import mix_workload
    workload = mix_workload(64, accesses=200)
    plan = command.plan(workload, "50%", ["lz4"], ["lru"], ["none"])
    assert list(command.figures(None, "w", plan)) == []
    out = command.run(workload, plan)
    assert (out.interrupted, out.message) == (False, None)     # here, never stopped early
    result = out.result
    [(path, data, what)] = command.figures(result, "w", plan, html_path=str(tmp_path / "r.html"))
    assert (path, what) == (str(tmp_path / "r.html"), "report")
    assert data.startswith(b"<!DOCTYPE html>") and b"zram-lz4" in data


def test_zipf_s_is_refused_for_another_pattern_in_the_users_words():
    """Once a TypeError traceback from the uniform pattern; now exit 2 and one line."""
    from click.testing import CliRunner
    from cli import main
    result = CliRunner().invoke(main, ["pressure", "--pattern", "uniform", "--zipf-s", "1.2",
                                       "--pages", "64", "--accesses", "100", "-q"])
    assert result.exit_code == 2
    assert "--zipf-s is zipf's exponent, not for --pattern uniform" in result.output
    from workloads.address_space import load_workload
    from workloads.errors import BadOption
    with pytest.raises(BadOption, match="the access pattern 'hotcold' takes no s"):
        load_workload(pages=16, pattern="hotcold", accesses=10, s=1.2)
    assert load_workload(pages=16, pattern="zipf", accesses=10, s=1.2).accesses == 16 + 10
