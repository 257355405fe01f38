"""The data behind the pressure and sweep reports: curves over RAM, bars per configuration.

A pressure sweep's page embeds exactly the dict ``pressure --format json``
prints (``results.to_json``), plus the order of its setups; the script draws
fault rate and time per access against RAM, one line per setup, the knee
circled, runs that ran out of memory left out (as ``pressure -o plot.svg``). A
``--timeline`` run embeds its timeline.

A configuration sweep is a list of row dicts, one per run (trace, algorithm,
level, chain_size, page_size, mem_limit, the ``mm_stat`` fields, the ratios,
seconds). Each row gets a label made of the settings that differ between rows:
rows ``lz4 chain 8`` and ``zstd chain 8`` are labelled ``lz4`` and ``zstd``.
"""

from __future__ import annotations

import json
import math

from zramsim.pressure.results import PressureResult, SweepResult, to_json

SETTINGS = ("trace", "algorithm", "level", "chain_size", "page_size", "mem_limit")
_PREFIX = {"chain_size": "chain ", "page_size": "page ", "mem_limit": "limit ",
           "level": "level "}


def pressure_data(result: SweepResult | PressureResult, title: str) -> dict:
    """The pressure page's dict: the JSON the CLI prints, and the setups in order."""
    doc = json.loads(to_json(result))
    if isinstance(result, SweepResult):
        return {"kind": "pressure", "mode": "sweep", "title": title, "doc": doc,
                "labels": result.labels()}
    return {"kind": "pressure", "mode": "timeline", "title": title, "doc": doc}


def config_label(row: dict, varying: list[str]) -> str:
    """The row's settings that vary between rows, e.g. ``zstd level 3 chain 4``."""
    parts = [f"{_PREFIX.get(k, '')}{row.get(k)}" for k in varying]
    return " ".join(parts) or str(row.get("algorithm", "run"))


def sweep_data(rows: list[dict], title: str) -> dict:
    """The sweep page's dict: the rows as given, a label per row, and the columns.

    A float that is not finite (an infinite ratio) becomes None, as in replay's JSON.
    """
    rows = [{k: None if isinstance(v, float) and not math.isfinite(v) else v
             for k, v in row.items()} for row in rows]
    varying = [k for k in SETTINGS if len({json.dumps(r.get(k)) for r in rows}) > 1]
    columns = list(dict.fromkeys(k for r in rows for k in r))
    return {"kind": "sweep", "title": title, "columns": columns, "rows": rows,
            "labels": [config_label(r, varying) for r in rows]}
