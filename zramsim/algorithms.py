"""What ``zramsim algorithms`` lists: every zram algorithm, its knobs, and how exact we are.

The facts live in the registry (``zramsim.compressors.COMPRESSORS`` and
``NOT_AVAILABLE``); this module only arranges them into rows, one per
algorithm in the registry's order and then the ones we cannot simulate, and
renders them as a table. Example row: ``lzo-rle`` is the kernel's
``lzo-rle``, takes no parameters, and is ``exact``.
"""

from __future__ import annotations

import json

from zramsim.compressors import COMPRESSORS, NOT_AVAILABLE


def kernel_twins() -> dict[str, str]:
    """Our algorithms that were checked on a real kernel -> the kernel's name for them."""
    return {name: b.kernel_name for name, b in COMPRESSORS.items()
            if b.fidelity in ("exact", "close")}


def algorithm_rows() -> list[dict]:
    """One dict per algorithm: name, kernel name, parameters, fidelity, note."""
    rows = []
    for name, b in COMPRESSORS.items():
        params = [f"{b.level_name}={b.default_level}"] if b.level_name else []
        params += ["dict=FILE"] if b.takes_dictionary else []
        rows.append({"name": name, "kernel": b.kernel_name, "parameter": b.level_name,
                     "default": b.default_level, "dictionary": b.takes_dictionary,
                     "parameters": " ".join(params), "fidelity": b.fidelity,
                     "available": True, "note": b.note})
    for name, why in NOT_AVAILABLE.items():
        rows.append({"name": name, "kernel": name, "parameter": None, "default": None,
                     "dictionary": False, "parameters": "", "fidelity": "not available",
                     "available": False, "note": why})
    return rows


def render_algorithms(rows: list[dict], fmt: str = "table") -> str:
    """A fixed-width table: algorithm, kernel name, parameters, fidelity, then the note;
    or the rows as JSON."""
    if fmt == "json":
        return json.dumps(rows, indent=2)
    head = f"{'algorithm':<11}{'kernel':<9}{'parameters':<22}{'fidelity':<14}note\n"
    return head + "".join(f"{r['name']:<11}{r['kernel']:<9}{r['parameters'] or '-':<22}"
                          f"{r['fidelity']:<14}{r['note']}\n" for r in rows)
