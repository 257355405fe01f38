"""Swap-pressure experiments: how much more a workload holds with zram as swap.

``model`` charges zram's pool to the RAM it extends, ``policies`` choose what
to swap out, ``experiment`` runs baselines and sweeps and finds the knee, ``results`` holds
the numbers and writes CSV and JSON, ``plot`` draws them (optional matplotlib).
"""

from zramsim.lazy_names import names_from

_HOME = {"BASELINES": "experiment", "knee": "experiment", "locate": "experiment",
         "resolve_ram": "experiment", "resolve_rams": "experiment",
         "run_pressure": "experiment", "sweep": "experiment", "MemoryModel": "model",
         "PressureConfig": "model", "POLICIES": "policies", "make_policy": "policies",
         "PressureResult": "results", "Sample": "results", "Summary": "results",
         "SweepResult": "results"}

__all__ = list(_HOME)
__getattr__ = names_from(__name__, _HOME)   # each imported when first used (lazy_names)
