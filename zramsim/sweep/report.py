"""What a sweep found: its rows as table, CSV or JSON, and summaries of a database.

The rows come straight from the ``runs`` table (``store.read_rows``: a list of
dicts whose keys are the column names, the shape an HTML report or a notebook
wants). Two summaries answer the usual questions:

* best configuration per trace: the ``ok`` run with the highest
  ``effective_ratio`` (orig_data_size / mem_used_total: the least RAM for the
  data), the fastest on a tie, among the runs that stored every page
  (``failed_writes`` 0: a ``mem_limit`` that refuses pages is no answer); if
  every run refused pages, among all of them;
* per algorithm: runs, failures, mean compression ratio, mean effective ratio
  and mean seconds over its ``ok`` runs. Worked example: two lz4 runs with
  effective ratios 2.0 and 3.0 taking 1.2 s and 0.8 s give a mean effective
  ratio of 2.5 and 1.0 s a run.

Plots (``plot``: the ``plot`` extra, matplotlib) draw the per-algorithm means.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from statistics import fmean

from zramsim.sweep.store import NAMES, read_rows

TABLE = (("trace", 24), ("algorithm", 10), ("level", 5), ("chain_size", 5), ("page_size", 6),
         ("mem_limit", 10), ("status", 6), ("orig_data_size", 12), ("mem_used_total", 12),
         ("effective_ratio", 9), ("seconds", 8))
HEADS = {"chain_size": "chain", "page_size": "page", "orig_data_size": "orig_data",
         "mem_used_total": "mem_used", "effective_ratio": "eff.ratio"}


def load(path: str) -> list[dict]:
    """Every run of the database at ``path``, as dicts keyed by column name."""
    return read_rows(path)


def _cell(value) -> str:
    if value is None:
        return "-"
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def _table(rows: list[dict], columns) -> str:
    lines = [" ".join(f"{HEADS.get(c, c):>{w}}" for c, w in columns)]
    for row in rows:
        lines.append(" ".join(f"{_cell(row.get(c)):>{w}}" for c, w in columns))
    return "\n".join(lines) + "\n"


def _csv(rows: list[dict], names) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(names), extrasaction="ignore",
                            lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def render_rows(rows: list[dict], fmt: str, counts: dict | None = None) -> str:
    """The rows of a sweep as ``table``, ``csv`` or ``json`` (with ``counts`` in JSON)."""
    if fmt == "json":
        return json.dumps({**(counts or {}), "rows": rows}, indent=2) + "\n"
    if fmt == "csv":
        return _csv(rows, NAMES)
    failed = [f"{row['trace']}: {row['error']}" for row in rows if row["status"] != "ok"]
    return _table(rows, TABLE) + "".join(f"failed: {line}\n" for line in failed)


def best_per_trace(rows: list[dict]) -> list[dict]:
    """For each trace content, its best ok run (see the module docstring)."""
    best: dict[str, dict] = {}
    ok = [row for row in rows if row["status"] == "ok"]
    complete = {row["trace_sha256"] for row in ok if row["failed_writes"] == 0}
    for row in ok:
        if row["failed_writes"] and row["trace_sha256"] in complete:
            continue
        key = (row["effective_ratio"] or 0.0, -(row["seconds"] or 0.0))
        held = best.get(row["trace_sha256"])
        if held is None or key > (held["effective_ratio"] or 0.0, -(held["seconds"] or 0.0)):
            best[row["trace_sha256"]] = row
    return list(best.values())


def per_algorithm(rows: list[dict]) -> list[dict]:
    """Per algorithm: runs, failed, and the means of its ok runs (see the docstring)."""
    out = []
    for name in dict.fromkeys(row["algorithm"] for row in rows):
        mine = [r for r in rows if r["algorithm"] == name]
        ok = [r for r in mine if r["status"] == "ok"]

        def mean(column: str) -> float | None:
            values = [r[column] for r in ok if r[column] is not None]
            return round(fmean(values), 6) if values else None

        out.append({"algorithm": name, "runs": len(mine), "failed": len(mine) - len(ok),
                    "compression_ratio": mean("compression_ratio"),
                    "effective_ratio": mean("effective_ratio"), "seconds": mean("seconds")})
    return out


def summary(rows: list[dict]) -> dict:
    return {"runs": len(rows), "best_per_trace": best_per_trace(rows),
            "per_algorithm": per_algorithm(rows)}


ALGO_TABLE = (("algorithm", 10), ("runs", 6), ("failed", 6), ("compression_ratio", 11),
              ("effective_ratio", 9), ("seconds", 8))


def render_summary(rows: list[dict], fmt: str) -> str:
    """The two summaries as ``table``, ``csv`` (two blocks) or ``json``."""
    s = summary(rows)
    if fmt == "json":
        return json.dumps(s, indent=2) + "\n"
    if fmt == "csv":
        return (_csv(s["best_per_trace"], NAMES) + "\n"
                + _csv(s["per_algorithm"], [c for c, _ in ALGO_TABLE]))
    return (f"best configuration per trace (highest effective ratio), {s['runs']} runs:\n"
            + _table(s["best_per_trace"], TABLE)
            + "\nper algorithm (means over ok runs):\n"
            + _table(s["per_algorithm"], ALGO_TABLE).replace("compression_ratio", "compr.ratio"))


def plot(rows: list[dict], path: str) -> bytes:
    """Bars of the mean effective ratio and mean seconds per algorithm: the bytes of a
    .png or .svg file (``path``'s suffix says which; the caller writes it)."""
    from zramsim.pressure.plot import PlotUnavailable, _pyplot, _save
    stats = [s for s in per_algorithm(rows) if s["effective_ratio"] is not None]
    if not stats:
        raise PlotUnavailable("nothing to plot: no ok runs in the database")
    plt = _pyplot(path)
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
    names = [s["algorithm"] for s in stats]
    left.bar(names, [s["effective_ratio"] for s in stats], color="tab:blue")
    left.set_ylabel("mean effective ratio (orig / mem_used_total)")
    right.bar(names, [s["seconds"] for s in stats], color="tab:orange")
    right.set_ylabel("mean seconds per run")
    fig.suptitle(f"zramsim sweep: {len(rows)} runs")
    data = _save(fig, path)
    plt.close(fig)
    return data


def figures(rows: list[dict], db: str, plot_path: str | None = None,
            html_path: str | None = None) -> Iterator[tuple[str, bytes, str]]:
    """The files ``sweep --report`` writes beside the summary, one at a time as
    ``(path, bytes, what)``: the plot and an HTML page of every run in ``db``."""
    if plot_path:
        yield plot_path, plot(rows, plot_path), "plot"
    if html_path:
        from zramsim.html_report import sweep_page
        yield html_path, sweep_page(rows, f"zramsim sweep: {db}").encode(), "report"
