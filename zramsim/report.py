"""Text renderings of a replay's results: a zramctl-like table, CSV, sizes for humans.

The library never prints; these functions return strings for the command line
to print. The table speaks zramctl's column names (DISKSIZE, DATA, COMPR,
TOTAL, ...) and sizes the way zramctl prints them, then shows where the pool's
bytes went and the kernel's own ``mm_stat`` / ``io_stat`` lines.

Worked example of the size format (powers of 1024, one decimal when there is a
remainder): 4096 -> ``4K``; 1610612736 = 1.5 x 2**30 -> ``1.5G``; 5000 -> 4.88K,
which prints as ``4.9K``.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict

from allocator import render_classes
from zramsim.stats import DeviceStats

_SUFFIXES = "BKMGTPE"


def human_size(n: int) -> str:
    """zramctl's size format: ``4K``, ``1.5G``, ``0B``."""
    exp = 0
    while exp < 60 and n >= 1 << (exp + 10):
        exp += 10
    whole, rem = n >> exp, n & ((1 << exp) - 1)
    if rem:
        digit = ((rem >> (exp - 10)) + 50) // 100
        if digit == 10:
            whole, digit = whole + 1, 0
        if digit:
            return f"{whole}.{digit}{_SUFFIXES[exp // 10]}"
    return f"{whole}{_SUFFIXES[exp // 10]}"


def _ratio(value: float | None) -> str:
    return "inf" if value is None else f"{value:.4f}"


def render_table(stats: DeviceStats, config: dict, header: str = "") -> str:
    """The default report: zramctl-style summary, page kinds, bytes by use, kernel lines."""
    m = stats.mm_stat
    ratios = stats.ratios()
    cols = [("DISKSIZE", human_size(stats.disksize)), ("DATA", human_size(m.orig_data_size)),
            ("COMPR", human_size(m.compr_data_size)), ("TOTAL", human_size(m.mem_used_total)),
            ("MEM-USED", human_size(m.mem_used_max)), ("SAME", str(m.same_pages)),
            ("HUGE", str(m.huge_pages)), ("COMP-RATIO", _ratio(ratios["effective_ratio"]))]
    widths = [max(len(k), len(v)) for k, v in cols]
    out = [header] if header else []
    out.append(" ".join(k.rjust(w) for (k, _), w in zip(cols, widths)))
    out.append(" ".join(v.rjust(w) for (_, v), w in zip(cols, widths)))
    out.append("")
    out.append(f"algorithm {config['algorithm']} {config['params']}, page size "
               f"{config['page_size']}, chain size {config['chain_size']}, "
               f"huge threshold {config['huge_class_size']} bytes")
    out.append(f"pages stored {stats.pages_stored}: {stats.normal_pages} compressed, "
               f"{m.same_pages} same-filled, {m.huge_pages} huge")
    out.append(f"compression ratio {_ratio(ratios['compression_ratio'])} (orig/compr), "
               f"effective {_ratio(ratios['effective_ratio'])} (orig/mem_used_total), "
               f"allocator efficiency {_ratio(ratios['allocator_efficiency'])} "
               f"(compr/mem_used_total)")
    out.append("")
    frag = stats.fragmentation
    out.append(f"zsmalloc pages hold {frag.total} bytes:")
    for name, value in asdict(frag).items():
        share = 100 * value / frag.total if frag.total else 0.0
        out.append(f"  {name.replace('_', ' '):<16}{value:>14} {share:6.2f}%")
    out.append("")
    out.append("mm_stat " + stats.mm_stat.text().rstrip("\n"))
    out.append("io_stat " + stats.io_stat.text().rstrip("\n"))
    return "\n".join(out) + "\n"


def render_csv(stats: DeviceStats, config: dict) -> str:
    """One header row and one value row: config, mm_stat, io_stat, ratios, fragmentation."""
    row: dict[str, object] = {"algorithm": config["algorithm"],
                              "page_size": config["page_size"],
                              "chain_size": config["chain_size"],
                              "disksize": stats.disksize}
    row.update(asdict(stats.mm_stat))
    row.update(asdict(stats.io_stat))
    row.update({k: ("inf" if v is None else v) for k, v in stats.ratios().items()})
    row.update({f"frag_{k}": v for k, v in asdict(stats.fragmentation).items()})
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(row), lineterminator="\n")
    writer.writeheader()
    writer.writerow(row)
    return buf.getvalue()


def render_geometry(classes, page_size: int) -> str:
    """The class table of a geometry: index, size, pages, objects, tail waste, huge."""
    lines = [f"{'class':>5} {'size':>5} {'pages_per_zspage':>16} {'objs_per_zspage':>15} "
             f"{'tail_waste':>10} huge"]
    for c in classes:
        lines.append(f"{c.index:5} {c.size:5} {c.pages_per_zspage:16} {c.objs_per_zspage:15} "
                     f"{c.tail_waste(page_size):10} {'yes' if c.huge else ''}")
    return "\n".join(lines) + "\n"


def geometry_rows(geometry) -> list[dict]:
    """The class table of a geometry as JSON-ready rows (the columns of ``render_geometry``)."""
    return [{"index": c.index, "size": c.size, "pages_per_zspage": c.pages_per_zspage,
             "objs_per_zspage": c.objs_per_zspage, "huge": c.huge,
             "tail_waste": c.tail_waste(geometry.page_size)} for c in geometry.classes]


def rows_csv(rows: list[dict]) -> str:
    """Rows of equal keys as CSV: a header of the keys, then one line a row; a nested
    dict becomes columns ``<key>_<its key>`` (``fragmentation_requested``, ...)."""
    rows = [{f"{k}_{sub}" if isinstance(v, dict) else k: x
             for k, v in row.items() for sub, x in (v.items() if isinstance(v, dict)
                                                     else [(None, v)])} for row in rows]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]) if rows else [],
                            lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def replay_document(device, events: int, config: dict, error: str | None = None,
                    warnings: list[str] | tuple = ()) -> dict:
    """The JSON of a replay: config, events applied, the device's statistics, the
    classes in use, warnings, and the error that stopped it if one did."""
    doc = {"config": config, "events": events, **device.stats().as_dict(),
           "classes": [r.as_dict() for r in device.pool.class_stats() if r.obj_allocated],
           "warnings": list(warnings)}
    if error is not None:
        doc["error"] = error
    return doc


def plural(count: int, noun: str) -> str:
    """``1 page``, ``2 pages``, ``4,096 events``."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def replay_warnings(stats: DeviceStats) -> list[str]:
    """What a user must hear about a replay that succeeded: writes the device refused."""
    failed, limit = stats.io_stat.failed_writes, stats.mm_stat.mem_limit
    if not failed:
        return []
    at = f" at mem_limit {limit:,} bytes" if limit else ""
    return [f"{plural(failed, 'write')} refused by the device{at} (io_stat failed_writes)"]


def render_replay(fmt: str, device, events: int, config: dict, title: str,
                  error: str | None = None, warnings: list[str] | tuple = ()) -> str:
    """A replay's report as ``table``, ``json``, ``mm_stat`` (the kernel's line) or ``csv``."""
    stats = device.stats()
    if fmt == "json":
        return json.dumps(replay_document(device, events, config, error, warnings), indent=2) + "\n"
    if fmt == "mm_stat":
        return stats.mm_stat.text()
    return render_csv(stats, config) if fmt == "csv" else render_table(stats, config, title)


def render_class_table(fmt: str, geometry=None, rows=None) -> str:
    """``classes``: the bare class geometry, or the debugfs table of a pool's ``rows``
    (``Pool.class_stats()``), as ``table``, ``json`` or ``csv``."""
    if geometry is not None:
        dicts = geometry_rows(geometry)
        table = (f"# {len(dicts)} classes, huge_class_size {geometry.huge_class_size}\n"
                 + render_geometry(geometry.classes, geometry.page_size))
    else:
        dicts, table = [r.as_dict() for r in rows], render_classes(rows)
    if fmt == "json":
        return json.dumps(dicts, indent=2) + "\n"
    return rows_csv(dicts) if fmt == "csv" else table
