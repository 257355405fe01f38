"""What ``zramsim pressure`` runs, decided from its options in one place.

The options interlock: several policies need the sweep engine's database (one
sweep of the model compares one policy); a zram-generator configuration
replaces ``--algo`` and sizes the device afresh at every RAM size (it is the
MemTotal the configuration sees); tiers stand behind zram. The command line
parses the options and prints; this module checks how they combine, runs the
model here (on the sweep engine: ``zramsim.sweep.pressure.run_on_engine``) and
makes the plot and HTML report.

Example: ``--ram 25%,50% --algo lz4,zstd --tiers none,writeback`` on 4,096
pages runs 2 RAM sizes x (2 algorithms x 2 tiers + 2 baselines) = 12 runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from zramsim.compressors import COMPRESSORS
from zramsim.errors import ConfigError
from zramsim.pressure.experiment import BASELINES, resolve_rams, run_pressure, sweep
from zramsim.pressure.model import PressureConfig
from zramsim.pressure.results import PressureResult, SweepResult


@dataclass(frozen=True)
class PressurePlan:
    """The runs one ``pressure`` command makes."""

    rams: list[int]
    algorithms: list[str]
    tiers: list[str]
    baselines: tuple[str, ...]
    base: PressureConfig
    per_ram: Callable[[int], dict] | None
    policies: list[str]
    timeline: int | None = None         # one run, sampled every so many accesses
    db: str | None = None

    @property
    def on_engine(self) -> bool:
        """Whether the runs go to the sweep engine (``--db``, no timeline)."""
        return bool(self.db) and not self.timeline

    @property
    def runs(self) -> int:
        if self.timeline:
            return 1
        return len(self.rams) * (len(self.algorithms) * len(self.tiers) + len(self.baselines))


def plan(workload, ram: str, algorithms: Sequence[str], policy: Sequence[str],
         tiers: Sequence[str], *, no_baselines: bool = False, db: str | None = None,
         timeline: int | None = None, configs: Sequence[str] = (), zram_device: str = "zram0",
         disk_latency_us: float = 100.0, flash_latency_us: float = 100.0,
         **knobs) -> PressurePlan:
    """Check how the options combine, then the RAM sizes and the base configuration.

    The arguments are the command's options by name (``policy``: the list of
    ``--policy``; latencies in microseconds); ``knobs`` are the remaining
    ``PressureConfig`` fields (level, on_full, limits, tier period and budget).
    """
    knobs.update(disk_latency_ns=round(disk_latency_us * 1000),
                 flash_read_ns=round(flash_latency_us * 1000))
    if len(policy) > 1 and (not db or timeline):
        raise ConfigError("several --policy values need --db (and no --timeline)")
    if db and (configs or list(tiers) != ["none"]):
        raise ConfigError("--db runs zram and the baselines: no --config or --tiers")
    rams, per_ram, algorithms = resolve_rams(ram, workload.pages), None, list(algorithms)
    if configs:
        from zramsim.zram_generator import settings_by_ram
        per_ram = settings_by_ram(list(configs), zram_device, COMPRESSORS)
        algorithms = [per_ram(rams[0])["algorithm"]]
    base = PressureConfig(ram_pages=rams[0], algorithm=algorithms[0], policy=policy[0],
                          tier=tiers[0], **knobs)
    return PressurePlan(rams, algorithms, list(tiers), () if no_baselines else BASELINES, base,
                        per_ram, list(policy), timeline, db)


@dataclass(frozen=True)
class Outcome:
    """The model's result, and why the runs stopped early (on the engine), if they did."""

    result: PressureResult | SweepResult
    interrupted: bool = False
    message: str | None = None      # None: every run is ok


def run(workload, plan: PressurePlan, tick: Callable[[], None] | None = None) -> Outcome:
    """The model's result here: one run sampled every ``plan.timeline`` accesses, or
    the sweep (``tick()`` after each run)."""
    if plan.timeline:
        return Outcome(run_pressure(workload, plan.base, every=plan.timeline))
    return Outcome(sweep(workload, plan.rams, algorithms=plan.algorithms, base=plan.base,
                         baselines=plan.baselines, tiers=plan.tiers, per_ram=plan.per_ram,
                         progress=tick and (lambda _: tick())))


def figures(result, title: str, plan: PressurePlan, plot_path: str | None = None,
            html_path: str | None = None) -> Iterator[tuple[str, bytes, str]]:
    """The files asked for beside the printed result, one at a time as
    ``(path, bytes, what)``: the plot (the 'plot' extra) and the HTML report."""
    if plot_path:
        from zramsim.pressure.plot import plot_sweep, plot_timeline
        plot = plot_timeline if plan.timeline else plot_sweep
        yield plot_path, plot(result, plot_path, title=title), "plot"
    if html_path:
        from zramsim.html_report import pressure_page
        yield html_path, pressure_page(result, title).encode(), "report"
