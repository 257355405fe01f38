"""A quiz in the tradition of the OSTEP simulators: random problems, answers on request.

OSTEP's homework simulators print a few problems for a seed and, with ``-c``,
the answers the simulator computes; a student works them by hand and checks.
Here the problems are zsmalloc and zram arithmetic:

* **class**: which size class holds a page compressed to N bytes?
  (N + 8, rounded up to 32 + 16k, merged upward; huge from 3625);
* **pages**: how many pages do K objects of N bytes take?
  (ceil(K / objects per zspage) x pages per zspage);
* **mm_stat**: what does ``mm_stat`` read after a short sizes-only trace?
* **compact**: after these writes and discards, how many pages does
  compaction free? (whole zspages' worth of free slots, per class).

Worked example: 40 objects of 1200 bytes sit in class 1216 (3 pages, 10
objects): 4 zspages = 12 pages. Discard 25 of them and 15 remain, enough for
2 zspages, so compaction frees (4 - 2) x 3 = 6 pages, whichever 25 they were.

Problems come from ``random.Random(seed)``; answers come from running the
simulator itself (``explain``, ``Pool``, ``ZramDevice``), never from a copy of
the formulas, so the tests can check them against an independent computation.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from allocator import Geometry, Pool
from workloads.events import COMPACT, DISCARD, WRITE, PageEvent
from zramsim.device import ZramDevice
from zramsim.errors import ConfigError

KINDS = ("class", "pages", "mm_stat", "compact")


@dataclass(frozen=True)
class Question:
    """One problem: its words, the trace it refers to (if any) and the answer."""

    kind: str
    prompt: str
    trace: tuple[str, ...]      # text-trace lines the problem shows, may be empty
    answer: str                 # the answer in words
    value: object               # the answer as data, for checking


@dataclass(frozen=True)
class Quiz:
    seed: int
    page_size: int
    chain_size: int
    questions: tuple[Question, ...]


def _trace_line(event: PageEvent) -> str:
    op, index, arg = event
    if op == WRITE:
        return f"W {index} zero" if isinstance(arg, bytes) else f"W {index} size:{arg}"
    if op == DISCARD:
        return f"D {index} {arg}" if arg != 1 else f"D {index}"
    return "C"


def _class_question(rng: random.Random, geo: Geometry) -> Question:
    size = rng.choice([rng.randint(20, 600), rng.randint(600, 3000), rng.randint(3000, 4096)])
    from zramsim.teach.explain import explain     # not at start: only a quiz needs it
    e = explain(size, geo)
    huge = " It is huge: one object per page." if e.huge else ""
    return Question(
        "class", f"A page compresses to {size} bytes. Which zsmalloc size class stores it "
        f"(index and class size), and is it huge?", (),
        f"class {e.class_index} ({e.class_size} bytes): {size} + 8 = {e.with_header} "
        f"bytes rounds up to class index {e.nominal_index}"
        + (f", merged into class {e.class_index}" if e.nominal_index != e.class_index else "")
        + f".{huge or ' Not huge.'}",
        (e.class_index, e.class_size, e.huge))


def _pages_question(rng: random.Random, geo: Geometry) -> Question:
    size = rng.randint(40, 3600)
    count = rng.randint(5, 400)
    from zramsim.teach.explain import explain
    e = explain(size, geo, count)
    pool = Pool(geo)
    for _ in range(count):
        pool.malloc(size)
    return Question(
        "pages", f"How many pages do {count} objects of {size} bytes take in zsmalloc?", (),
        f"{pool.total_pages} pages: class {e.class_size} holds {e.objs_per_zspage} objects in "
        f"{e.pages_per_zspage} pages, so {count} objects need {e.zspages} zspages "
        f"(without spanning: {e.single_pages} pages)",
        pool.total_pages)


def _mm_stat_question(rng: random.Random, geo: Geometry) -> Question:
    page = geo.page_size
    events = [PageEvent(WRITE, i, rng.choice([rng.randint(30, 1500), rng.randint(1500, 4000)]))
              for i in range(rng.randint(3, 5))]
    events.append(PageEvent(WRITE, len(events), bytes(page)))        # a zero page
    events.append(PageEvent(WRITE, rng.randrange(len(events) - 1), rng.randint(30, 3000)))
    if rng.random() < 0.5:
        events.append(PageEvent(DISCARD, rng.randrange(len(events) - 1), 1))
    dev = ZramDevice(page_size=page, chain_size=geo.chain_size, chain_rule=geo.rule)
    for ev in events:
        _apply(dev, ev)
    m = dev.mm_stat()
    return Question(
        "mm_stat", "What does mm_stat read after this trace? (size:N = a page compressing "
        "to N bytes, zero = an all-zero page)",
        tuple(_trace_line(e) for e in events),
        f"{m.text().rstrip()}  (orig_data_size {m.orig_data_size}, compr_data_size "
        f"{m.compr_data_size}, mem_used_total {m.mem_used_total}, same_pages "
        f"{m.same_pages}, huge_pages {m.huge_pages})",
        m)


def _compact_question(rng: random.Random, geo: Geometry) -> Question:
    candidates = [c for c in geo.classes if 3 <= c.objs_per_zspage <= 12 and not c.huge]
    cls = rng.choice(candidates)
    size = cls.size - 8 - rng.randrange(min(16, cls.size - 40))
    count = cls.objs_per_zspage * rng.randint(3, 5) + rng.randrange(cls.objs_per_zspage)
    gone = sorted(rng.sample(range(count), rng.randint(count // 3, count - 2)))
    events = [PageEvent(WRITE, i, size) for i in range(count)]
    events += [PageEvent(DISCARD, i, 1) for i in gone]
    dev = ZramDevice(page_size=geo.page_size, chain_size=geo.chain_size, chain_rule=geo.rule)
    for ev in events:
        _apply(dev, ev)
    before = dev.pool.total_pages
    freed = dev.compact()
    shown = [f"W 0..{count - 1} size:{size}   ({count} writes)",
             "D " + " ".join(str(i) for i in gone) + f"   ({len(gone)} single-page discards)",
             "C"]
    live = count - len(gone)
    return Question(
        "compact", f"{count} pages compressing to {size} bytes are written, then {len(gone)} "
        f"of them discarded. How many pages does compaction free?", tuple(shown),
        f"{freed} pages: class {cls.size} ({cls.pages_per_zspage} pages, "
        f"{cls.objs_per_zspage} objects); {before // cls.pages_per_zspage} zspages hold "
        f"{live} objects, which fit in {-(-live // cls.objs_per_zspage)}",
        freed)


def _apply(dev: ZramDevice, event: PageEvent) -> None:
    op, index, arg = event
    if op == WRITE:
        if isinstance(arg, bytes):
            dev.write(index, arg)
        else:
            dev.write_size(index, arg)
    elif op == DISCARD:
        dev.discard(index, arg)
    elif op == COMPACT:
        dev.compact()


_MAKERS = {"class": _class_question, "pages": _pages_question,
           "mm_stat": _mm_stat_question, "compact": _compact_question}


def make_quiz(seed: int, count: int = 4, kinds: tuple[str, ...] = KINDS,
              geometry: Geometry | None = None) -> Quiz:
    """``count`` problems cycling through ``kinds``; the same seed gives the same quiz."""
    geo = geometry or Geometry()
    unknown = [k for k in kinds if k not in _MAKERS]
    if unknown or not kinds:
        raise ConfigError(f"quiz kinds are {', '.join(KINDS)}, not {', '.join(unknown)}")
    rng = random.Random(seed)
    questions = tuple(_MAKERS[kinds[i % len(kinds)]](rng, geo) for i in range(count))
    return Quiz(seed, geo.page_size, geo.chain_size, questions)


def render_quiz(quiz: Quiz, answers: bool = False) -> str:
    """The problems, and with ``answers`` the simulator's answer under each."""
    out = [f"zramsim quiz, seed {quiz.seed} ({quiz.page_size}-byte pages, chain limit "
           f"{quiz.chain_size}, Linux 6.18 zsmalloc/zram)\n"]
    for n, q in enumerate(quiz.questions, 1):
        out.append(f"\nProblem {n} ({q.kind}). {q.prompt}\n")
        for line in q.trace:
            out.append(f"    {line}\n")
        if answers:
            out.append(f"  Answer: {q.answer}\n")
    if not answers:
        out.append("\nRun again with -c to see the answers.\n")
    return "".join(out)
