"""Swap-pressure experiments: how much more a workload holds with zram as swap.

``model`` charges zram's pool to the RAM it extends, ``policies`` choose what
to swap out, ``experiment`` runs baselines and sweeps and finds the knee, ``results`` holds
the numbers and writes CSV and JSON, ``plot`` draws them (optional matplotlib).
"""

from zramsim.pressure.experiment import (BASELINES, knee, locate, resolve_ram, resolve_rams,
                                         run_pressure, sweep)
from zramsim.pressure.model import MemoryModel, PressureConfig
from zramsim.pressure.policies import POLICIES, make_policy
from zramsim.pressure.results import PressureResult, Sample, Summary, SweepResult

__all__ = [
    "BASELINES", "knee", "locate", "resolve_ram", "resolve_rams", "run_pressure", "sweep",
    "MemoryModel", "PressureConfig", "POLICIES", "make_policy", "PressureResult", "Sample",
    "Summary", "SweepResult",
]
