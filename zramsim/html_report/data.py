"""The data behind a replay report: the summary, mm_stat along the trace, the zspage map.

Everything here is read from the device the command line replayed into and from
the dict ``replay --format json`` prints (``report.replay_document``), so the
page and the terminal cannot disagree. The dict is JSON-able and bounded in size
whatever the trace's length:

* ``mm_stat`` is sampled before every ``every``-th event. ``every`` starts at 1
  and doubles whenever more than ``max_samples`` samples are held, dropping
  every other one: with ``max_samples`` 400, a 100,000-event replay keeps the
  samples at multiples of 256 (391 of them) plus the final state, and a
  40-event one keeps all 41.
* The zspage map holds, per size class, zspages in id order until they hold
  ``MAP_SLOTS`` slots (at least one zspage): class 1216 (10 slots a zspage)
  shows 26 zspages, class 32 (128 slots) two. Every object carries its zram
  slot and stored size, for the tooltip.
"""

from __future__ import annotations

from dataclasses import astuple, fields
from typing import Callable, Iterable, Iterator

from allocator import GROUP_LABELS, Fragmentation
from zramsim.teach import zspage_map
from zramsim.device import ZramDevice
from zramsim.html_report.steps import record_steps
from zramsim.html_report.zspage_rows import zspage_rows
from zramsim.report import summary_columns
from zramsim.stats import MmStat

MAX_SAMPLES = 400
STEP_LIMIT = 200        # a trace of at most this many events gets a step-through
MAP_SLOTS = 256         # per class, the map shows zspages until they hold this many slots
MM_FIELDS = [f.name for f in fields(MmStat)]
DRAWING = {name: getattr(zspage_map, name) for name in   # the same drawing as `zspages --svg`
           ("FRAME_W", "FRAME_H", "GAP", "ROW_H", "LEFT", "TOP", "LIVE_FILLS", "SPAN_STROKE")}


class ReplayRecorder:
    """Watches the events on their way into a one-worker replay of ``device``.

    ``watch(events)`` yields them unchanged; the replay applies event n before
    it asks for event n + 1, so a sample taken when event n is asked for is the
    device after n events. The first ``step_limit + 1`` events are kept: if the
    trace ends within ``step_limit``, ``twin()`` (a fresh device built like
    ``device``) replays them once more, narrated, for the step-through.
    """

    def __init__(self, device: ZramDevice, twin: Callable[[], ZramDevice] | None = None,
                 max_samples: int = MAX_SAMPLES, step_limit: int = STEP_LIMIT) -> None:
        self.device = device
        self.twin = twin
        self.max_samples = max_samples
        self.step_limit = step_limit
        self.every = 1
        self.samples: list[tuple[int, tuple]] = []
        self.head: list[tuple] = []

    def watch(self, events: Iterable[tuple]) -> Iterator[tuple]:
        head, keep = self.head, self.step_limit + 1
        for n, event in enumerate(events):
            if n % self.every == 0:
                self._sample(n)
            if n < keep:
                head.append(event)
            yield event

    def _sample(self, applied: int) -> None:
        self.samples.append((applied, astuple(self.device.mm_stat())))
        if len(self.samples) > self.max_samples:
            self.every *= 2
            self.samples = [s for s in self.samples if s[0] % self.every == 0]

    def sample_data(self, applied: int) -> dict:
        """The samples, the device after ``applied`` events last (unless already there)."""
        samples = list(self.samples)
        if not samples or samples[-1][0] != applied:
            samples.append((applied, astuple(self.device.mm_stat())))
        return {"fields": MM_FIELDS, "every": self.every,
                "events": [n for n, _ in samples], "values": [list(v) for _, v in samples]}

    def step_events(self, applied: int) -> list[tuple] | None:
        """The events for a step-through: all of them, if the trace was short enough."""
        if self.twin is None or applied != len(self.head) or applied > self.step_limit:
            return None
        return self.head


def replay_data(device: ZramDevice, doc: dict, title: str,
                recorder: ReplayRecorder | None = None) -> dict:
    """The report's dict: ``doc`` is ``report.replay_document`` of the same replay."""
    rows, total = zspage_rows(device, MAP_SLOTS)
    applied = doc["events"]
    steps_from = recorder.step_events(applied) if recorder and "error" not in doc else None
    return {
        "kind": "replay", "title": title, "doc": doc,
        "zramctl": summary_columns(device.stats()),
        "group_labels": ["empty", *GROUP_LABELS],
        "fragmentation_parts": [f.name for f in fields(Fragmentation)],
        "class_extra": [{"zspages": c["obj_allocated"] // c["objs_per_zspage"],
                         "waste": Fragmentation(**c["fragmentation"]).wasted}
                        for c in doc["classes"]],
        "drawing": DRAWING,
        "samples": recorder.sample_data(applied) if recorder else None,
        "map": {"page_size": device.page_size, "zspages": rows, "total": total,
                "per_class": MAP_SLOTS},
        "steps": record_steps(recorder.twin(), steps_from) if steps_from else None,
    }
