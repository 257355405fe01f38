"""Swap-pressure experiments: how much more a workload holds with zram as swap."""
