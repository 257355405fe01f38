"""What a swap-pressure run reports: a timeline, a summary, and their files.

Results are frozen dataclasses; derived metrics are properties whose formula is
in the docstring, and JSON keys equal field names (properties are added under
their own names). Formatting for people stays in the CLI; this module only turns
results into CSV and JSON text.

Worked example of the derived metrics: a run on 1000 frames of RAM that ends
with 700 resident pages and 2100 pages held in zram (taking 290 of the frames)
has ``effective_memory = (700 + 2100) / 1000 = 2.8``: the RAM holds 2.8 times
the pages it could hold without zram. If 200,000 accesses caused 15,000
swap-ins and 15,400 swap-outs, costing 150 ms of compression and 30 ms of
decompression, ``fault_rate = 15,000 / 200,000 = 0.075`` and the estimated time
per access is ``ram_access_ns + (150e6 + 30e6) / 200,000 = 100 + 900 ns``.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass, fields


@dataclass(frozen=True)
class Sample:
    """One point of the timeline, taken after ``access`` accesses."""

    access: int
    resident_pages: int
    zram_pages: int             # pages held in zram (pages_stored, same-filled included)
    disk_pages: int             # pages on the modelled disk swap
    zram_frames: int            # ceil(mem_used_total / page size): RAM frames zram takes
    mem_used_total: int         # bytes
    orig_data_size: int
    compr_data_size: int
    faults: int                 # first touches + swap-ins, so far
    swap_ins: int               # from zram and from disk, so far
    swap_outs: int              # to zram and to disk, so far

    @property
    def compr_ratio(self) -> float:
        """orig_data_size / compr_data_size (0 when zram holds no compressed bytes)."""
        return self.orig_data_size / self.compr_data_size if self.compr_data_size else 0.0


@dataclass(frozen=True)
class Summary:
    """One run: its configuration, its counters and its costs."""

    label: str                  # e.g. "zram-lz4", "disk", "none"
    swap: str                   # zram, disk or none
    algorithm: str
    policy: str
    ram_pages: int
    pages: int                  # size of the workload's address space
    seed: int
    accesses: int               # accesses served (all of them unless OOM)
    hits: int
    first_touches: int          # faults on pages never touched before: no swap-in
    zram_ins: int               # swap-ins from zram: read (decompress), then notify_free
    zram_outs: int              # swap-outs to zram: compress and store
    disk_reads: int
    disk_writes: int
    refused_outs: int           # swap-outs zram refused (slots all used or mem_limit)
    oom_at: int | None          # index of the access that could not get a frame
    held_max: int               # peak of resident + zram pages
    resident_pages: int         # at the end
    zram_pages: int
    disk_pages: int
    zram_frames_max: int        # peak RAM frames taken by zsmalloc (mem_used_max)
    pages_compacted: int        # frames the shrinker's compactions gave back
    mem_used_total: int         # at the end, bytes
    orig_data_size: int
    compr_data_size: int
    compress_ns: int            # measured time in the device's write path on swap-out
    decompress_ns: int          # measured time in the device's read path on swap-in
    disk_latency_ns: int
    ram_access_ns: int
    flash_reads: int = 0        # faults served from the writeback tier's flash (bd_reads)
    flash_writes: int = 0       # pages the writeback tier wrote to flash (bd_writes)
    recompressed: int = 0       # pages the recompression tier re-packed
    flash_read_ns: int = 0

    @property
    def swap_ins(self) -> int:
        """zram_ins + disk_reads."""
        return self.zram_ins + self.disk_reads

    @property
    def swap_outs(self) -> int:
        """zram_outs + disk_writes."""
        return self.zram_outs + self.disk_writes

    @property
    def faults(self) -> int:
        """first_touches + swap_ins: every access that did not find its page in RAM."""
        return self.first_touches + self.swap_ins

    @property
    def fault_rate(self) -> float:
        """swap_ins / accesses: the share of accesses that wait for swap."""
        return self.swap_ins / self.accesses if self.accesses else 0.0

    @property
    def effective_memory(self) -> float:
        """held_max / ram_pages: pages the RAM held at its best, per frame."""
        return self.held_max / self.ram_pages

    @property
    def compr_ratio(self) -> float:
        """orig_data_size / compr_data_size at the end (0 when zram holds nothing)."""
        return self.orig_data_size / self.compr_data_size if self.compr_data_size else 0.0

    @property
    def est_ns_per_access(self) -> float:
        """ram_access_ns + (compress_ns + decompress_ns
        + (disk_reads + disk_writes) * disk_latency_ns
        + flash_reads * flash_read_ns) / accesses."""
        if not self.accesses:
            return 0.0
        disk = (self.disk_reads + self.disk_writes) * self.disk_latency_ns
        disk += self.flash_reads * self.flash_read_ns
        return self.ram_access_ns + (self.compress_ns + self.decompress_ns + disk) / self.accesses

    @property
    def flash_writes_per_access(self) -> float:
        """flash_writes / accesses: the flash wear writeback costs per access."""
        return self.flash_writes / self.accesses if self.accesses else 0.0

    def counts(self) -> dict:
        """Every field except the measured times: equal for equal seeds."""
        d = asdict(self)
        del d["compress_ns"], d["decompress_ns"]
        return d


@dataclass(frozen=True)
class PressureResult:
    """A summary with the timeline that led to it."""

    summary: Summary
    timeline: tuple[Sample, ...]


_SUMMARY_DERIVED = ("swap_ins", "swap_outs", "faults", "fault_rate", "effective_memory",
                    "compr_ratio", "est_ns_per_access", "flash_writes_per_access")
_SAMPLE_DERIVED = ("compr_ratio",)


def _row(obj, derived: tuple[str, ...]) -> dict:
    row = asdict(obj)
    for name in derived:
        row[name] = getattr(obj, name)
    return row


def summary_row(summary: Summary) -> dict:
    """Fields then derived metrics of a summary, as one flat dict."""
    return _row(summary, _SUMMARY_DERIVED)


def sample_row(sample: Sample) -> dict:
    """Fields then derived metrics of a timeline sample."""
    return _row(sample, _SAMPLE_DERIVED)


def summary_columns() -> list[str]:
    return [f.name for f in fields(Summary)] + list(_SUMMARY_DERIVED)


def sample_columns() -> list[str]:
    return [f.name for f in fields(Sample)] + list(_SAMPLE_DERIVED)


def to_csv(rows: list[dict], columns: list[str]) -> str:
    """CSV text with a header line; None is written as an empty cell."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def summaries_csv(summaries: list[Summary]) -> str:
    return to_csv([summary_row(s) for s in summaries], summary_columns())


def timeline_csv(timeline: tuple[Sample, ...] | list[Sample]) -> str:
    return to_csv([sample_row(s) for s in timeline], sample_columns())


def to_json(obj) -> str:
    """JSON of a SweepResult, PressureResult, Summary, Sample, or a dict/list of them."""
    return json.dumps(_jsonable(obj), indent=2)


def _jsonable(obj):
    if isinstance(obj, PressureResult):
        return {"summary": summary_row(obj.summary),
                "timeline": [sample_row(s) for s in obj.timeline]}
    if isinstance(obj, SweepResult):
        return {"summaries": [summary_row(s) for s in obj.summaries], "knee": obj.knee,
                "min_ram": obj.min_ram, "gain": obj.gain}
    if isinstance(obj, Summary):
        return summary_row(obj)
    if isinstance(obj, Sample):
        return sample_row(obj)
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    return obj


@dataclass(frozen=True)
class SweepResult:
    """Runs over RAM sizes and swap setups, with what they locate per label.

    ``knee[label]`` is the thrashing knee in frames (None if the curve has no
    bend), ``min_ram[label]`` the smallest RAM that served every access (None
    if every size ran out of memory), and ``gain[label]`` the best effective
    memory of a run that did not run out: ``pages / min_ram`` once the whole
    address space was touched.
    """

    summaries: tuple[Summary, ...]
    knee: dict
    min_ram: dict
    gain: dict

    def labels(self) -> list[str]:
        return list(dict.fromkeys(s.label for s in self.summaries))

    def runs(self, label: str) -> list[Summary]:
        """The runs of one label, by RAM size."""
        return sorted((s for s in self.summaries if s.label == label),
                      key=lambda s: s.ram_pages)


def _table(header: list[str], rows: list[list]) -> str:
    cells = [header] + [["-" if v is None else (f"{v:.3f}" if isinstance(v, float) else str(v))
                         for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    return "".join("  ".join(c.rjust(w) for c, w in zip(r, widths)).rstrip() + "\n"
                   for r in cells)


def sweep_table(result: SweepResult) -> str:
    """A plain-text table of a sweep, then one line per label: knee, fit, gain."""
    header = ["setup", "ram", "oom_at", "faults", "swap_ins", "swap_outs", "fault_rate",
              "ratio", "zram_max", "eff_mem", "ns/access", "flash_w/access"]
    rows = [[s.label, s.ram_pages, s.oom_at, s.faults, s.swap_ins, s.swap_outs,
             s.fault_rate, s.compr_ratio, s.zram_frames_max, s.effective_memory,
             round(s.est_ns_per_access), s.flash_writes_per_access]
            for s in result.summaries]
    lines = [_table(header, rows), "\n"]
    for label in result.labels():
        lines.append(f"{label}: knee {_or_dash(result.knee[label], '{} frames')}, smallest "
                     f"RAM without OOM {_or_dash(result.min_ram[label])}, effective memory "
                     f"{_or_dash(result.gain[label], '{:.2f}x')}\n")
    return "".join(lines)


def timeline_table(result: PressureResult) -> str:
    header = ["access", "resident", "zram_pages", "disk", "zram_frames", "faults",
              "swap_ins", "swap_outs", "ratio"]
    rows = [[t.access, t.resident_pages, t.zram_pages, t.disk_pages, t.zram_frames, t.faults,
             t.swap_ins, t.swap_outs, t.compr_ratio] for t in result.timeline]
    s = result.summary
    return (_table(header, rows) + f"\n{s.label} on {s.ram_pages} frames: effective memory "
            f"{s.effective_memory:.2f}x, OOM at {_or_dash(s.oom_at)}, "
            f"{s.est_ns_per_access:.0f} ns per access\n")


def _or_dash(value, fmt: str = "{}") -> str:
    return "-" if value is None else fmt.format(value)


def render(result: PressureResult | SweepResult, fmt: str) -> str:
    """A sweep or a timeline run as ``table``, ``json`` or ``csv`` text."""
    if fmt == "json":
        return to_json(result)
    if isinstance(result, PressureResult):
        return timeline_table(result) if fmt == "table" else timeline_csv(result.timeline)
    return sweep_table(result) if fmt == "table" else summaries_csv(list(result.summaries))
