"""A package's names, each imported from its module when first used.

Why: the command line reads a few packages' option declarations at every
start (``sweep.options``, ``pressure.options``); a package ``__init__`` that
imported all its modules would load the sweep engine (SQLite, process pools)
or the pressure model's dataclasses for every command, ~5 ms each, measured
with ``python -X importtime``.

Example: ``__getattr__ = names_from(__name__, {"Store": "store"})`` in
``zramsim/sweep/__init__.py`` makes ``zramsim.sweep.Store`` import
``zramsim.sweep.store`` the first time it is asked for.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable


def names_from(package: str, home: dict[str, str]) -> Callable[[str], object]:
    """A module ``__getattr__`` that finds each name of ``home`` in its module."""
    def __getattr__(name: str) -> object:
        if name not in home:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{home[name]}"), name)
    return __getattr__
