"""Text renderings of a replay's results: the summary table, CSV, the class geometry.

The library never prints; these functions return strings for the command line
to print. The summary speaks zramctl's column names (DISKSIZE, DATA, COMPR,
TOTAL) and sizes (``zramsim.sizes``: 7,286,784 bytes is ``6.9M``, as zramctl
says), says in words what same-filled and huge pages are and which number is
the memory now and which the peak, shows where the pool's bytes went, and ends
with the kernel's own ``mm_stat`` / ``io_stat`` lines. ``--format zramctl``
(``zramsim.zramctl``) prints zramctl's own table instead.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict

from allocator import render_classes
from zramsim import zramctl
from zramsim.device import ZramDevice
from zramsim.sizes import human_size
from zramsim.stats import DeviceStats
from zramsim.sysfs import DEBUGFS_VIEWS, sysfs_texts, view, view_names

ZRAMCTL_FORMATS = zramctl.FORMATS


def replay_formats() -> list[str]:
    """``replay --format`` choices: ours, zramctl's, then every sysfs and debugfs view."""
    return ["table", "json", "csv", *ZRAMCTL_FORMATS, *view_names()]


def render_view(device: ZramDevice, fmt: str,
                options: zramctl.ZramctlOptions = zramctl.ZramctlOptions()) -> str:
    """``zramctl``'s output, its JSON form, or one kernel file's exact text."""
    if fmt in ZRAMCTL_FORMATS:
        files = sysfs_texts(device)
        if fmt == "zramctl-json":
            return json.dumps(zramctl.as_json(files, options.name, options.columns),
                              indent=2) + "\n"
        return zramctl.render(files, options.name, options.columns, in_bytes=options.in_bytes,
                              raw=options.raw, noheadings=options.noheadings)
    return view(device, fmt)


PER_SLOT_VIEWS = ("block_state",)     # a line per slot: --format block_state, not the JSON


def views_as_json(device: ZramDevice) -> dict:
    """The JSON's ``sysfs`` and ``debugfs`` objects: every file's exact text by name
    (``block_state``, one line per slot, only with ``--format block_state``)."""
    return {"sysfs": sysfs_texts(device),
            "debugfs": {name: text(device) for name, text in DEBUGFS_VIEWS.items()
                        if name not in PER_SLOT_VIEWS}}


def _ratio(value: float | None) -> str:
    return "inf" if value is None else f"{value:.4f}"


def summary_columns(stats: DeviceStats) -> list[tuple[str, str]]:
    """The summary row of the table, sizes as zramctl prints them: ``[("DISKSIZE", "16M"), ...]``."""
    m = stats.mm_stat
    return [("DISKSIZE", human_size(stats.disksize)), ("DATA", human_size(m.orig_data_size)),
            ("COMPR", human_size(m.compr_data_size)), ("TOTAL", human_size(m.mem_used_total)),
            ("PEAK", human_size(m.mem_used_max)), ("SAME", str(m.same_pages)),
            ("HUGE", str(m.huge_pages)),
            ("COMP-RATIO", _ratio(stats.ratios()["effective_ratio"]))]


def render_table(stats: DeviceStats, config: dict, header: str = "") -> str:
    """The default report: a summary row, pages and memory in words, bytes by use, kernel lines."""
    m = stats.mm_stat
    ratios = stats.ratios()
    cols = summary_columns(stats)
    widths = [max(len(k), len(v)) for k, v in cols]
    out = [header] if header else []
    out.append(" ".join(k.rjust(w) for (k, _), w in zip(cols, widths)))
    out.append(" ".join(v.rjust(w) for (_, v), w in zip(cols, widths)))
    out.append("")
    out.append(f"pages   {stats.pages_stored} stored = {stats.normal_pages} compressed"
               f" + {m.same_pages} same-filled (one 8-byte word repeated: no memory)")
    out.append(f"        + {m.huge_pages} huge (compressed to {config['huge_class_size']} "
               f"bytes or more: kept raw, a page each)")
    out.append(f"memory  {human_size(m.mem_used_total)} now (TOTAL, mem_used_total), "
               f"{human_size(m.mem_used_max)} at the peak (PEAK, mem_used_max, "
               f"zramctl's MEM-USED)")
    out.append(f"ratios  {_ratio(ratios['compression_ratio'])} compression (DATA/COMPR), "
               f"{_ratio(ratios['effective_ratio'])} effective (DATA/TOTAL), "
               f"{_ratio(ratios['allocator_efficiency'])} packing (COMPR/TOTAL)")
    out.append(f"device  {config['algorithm']} {config['params']}, page size "
               f"{config['page_size']}, chain size {config['chain_size']}")
    out.append("")
    frag = stats.fragmentation
    out.append(f"zsmalloc pages hold {human_size(frag.total)} ({frag.total} bytes):")
    for name, value in asdict(frag).items():
        share = 100 * value / frag.total if frag.total else 0.0
        out.append(f"  {name.replace('_', ' '):<16}{value:>14} {share:6.2f}%")
    out.append("")
    out.append("mm_stat " + stats.mm_stat.text().rstrip("\n"))
    out.append("io_stat " + stats.io_stat.text().rstrip("\n"))
    if any(asdict(stats.bd_stat).values()):
        out.append("bd_stat " + stats.bd_stat.text().rstrip("\n"))
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
    classes in use, the kernel's sysfs and debugfs texts, warnings, and the error
    that stopped it if one did. The HTML report embeds this same dict."""
    doc = {"config": config, "events": events, **device.stats().as_dict(),
           "classes": [r.as_dict() for r in device.pool.class_stats() if r.obj_allocated],
           **views_as_json(device), "warnings": list(warnings)}
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


def replay_config(device, source: dict, generator: dict | None = None, **settings) -> dict:
    """The report's ``config``: the device's, where the events came from (``source``:
    ``trace``, ``seed``, ...), the command's own ``settings`` and, from a
    zram-generator configuration, what it says (``generator``)."""
    return {**device.config(), **source, **settings,
            **({"zram_generator": generator} if generator else {})}


def render_replay(fmt: str, device, events: int, config: dict, error: str | None = None,
                  warnings: list[str] | tuple = (),
                  zramctl_options: zramctl.ZramctlOptions = zramctl.ZramctlOptions()) -> str:
    """A replay's report as ``table``, ``json``, ``csv``, zramctl's output or one kernel
    file; the table's title names the trace (or the built-in workload's seed) and
    the events applied."""
    stats = device.stats()
    if fmt == "json":
        return json.dumps(replay_document(device, events, config, error, warnings), indent=2) + "\n"
    if fmt == "csv":
        return render_csv(stats, config)
    if fmt == "table":
        name = config.get("trace") or f"default workload (seed {config.get('seed')})"
        return render_table(stats, config, f"{name}: {plural(events, 'event')}")
    return render_view(device, fmt, zramctl_options)


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
