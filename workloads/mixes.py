"""Mixes of content kinds, compressibility profiles, and generated traces.

Real memory is a blend: some zero pages, a lot of heap, some text and code, a
few incompressible pages. A *mix* is a dict kind -> weight (weights need not sum
to 1); ``mix_page`` draws a kind by weight, then a page of that kind.

To say how compressible a set of pages is, we measure it the way zram's
``mm_stat`` would: ``orig_data_size`` counts every page, ``compr_data_size``
counts nothing for a same-filled page, the lz4 length for an ordinary page, and
a whole page for a huge one (lz4 length >= ``huge_threshold``: the device's
``huge_class_size``, 3625 for 4 KiB pages at chain size 8; workloads know no
geometry, so the caller passes it in). Worked example: 100 pages of which 10
are zero, 5 random (huge) and 85 compress to 1200 bytes each give
``orig_data_size = 409600``, ``compr_data_size = 5*4096 + 85*1200 = 122480`` and
a ratio of 3.34.

``mix_for_ratio`` aims a mix at a target ratio by adding random pages (to lower
the ratio) or zero pages (to raise it) to a base mix; ``generate_trace`` turns a
kind or mix into a stream of ``PageEvent`` with optional overwrites, reads,
discards and compactions.
"""

from __future__ import annotations

import random
import statistics
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import accumulate

import lz4.frame

from workloads.errors import BadOption
from workloads.events import COMPACT, DISCARD, READ, WRITE, PageEvent, same_filled_word
from workloads.generators import KINDS, PAGE_SIZE, as_rng

_RAW_BLOCK = 0x8000_0000  # lz4 frame block-size flag: the block is stored uncompressed


def lz4_size(page: bytes) -> int:
    """The lz4 (level 0, unlinked block) compressed length of ``page``; a page
    lz4 cannot shrink counts as its own length."""
    frame = lz4.frame.compress(page, compression_level=0, block_linked=False,
                               content_checksum=False, store_size=False)
    size = int.from_bytes(frame[7:11], "little")
    return len(page) if size & _RAW_BLOCK else size


@dataclass(frozen=True)
class Profile:
    """How compressible a set of pages is, in zram's terms (see module docstring)."""

    pages: int
    same_pages: int
    huge_pages: int
    orig_data_size: int
    compr_data_size: int
    lz4_deciles: tuple[int, ...]   # 10%..90% of the lz4 lengths of non-same pages

    @property
    def ratio(self) -> float:
        """orig_data_size / compr_data_size (inf if every page was same-filled)."""
        return self.orig_data_size / self.compr_data_size if self.compr_data_size else float("inf")

    @property
    def same_share(self) -> float:
        """same_pages / pages."""
        return self.same_pages / self.pages if self.pages else 0.0

    @property
    def huge_share(self) -> float:
        """huge_pages / pages."""
        return self.huge_pages / self.pages if self.pages else 0.0


def profile(pages: Iterable[bytes], huge_threshold: int) -> Profile:
    """Measure a set of pages: counts, zram-style sizes and lz4 length deciles.

    ``huge_threshold`` is the device's ``huge_class_size`` (its geometry's).
    """
    n = same = huge = orig = compr = 0
    sizes = []
    for page in pages:
        n += 1
        orig += len(page)
        if same_filled_word(page) is not None:
            same += 1
            continue
        size = lz4_size(page)
        sizes.append(size)
        if size >= huge_threshold:
            huge += 1
            compr += len(page)
        else:
            compr += size
    deciles = tuple(round(q) for q in statistics.quantiles(sizes, n=10)) if len(sizes) > 1 else ()
    return Profile(n, same, huge, orig, compr, deciles)


def _check_mix(mix: Mapping[str, float]) -> None:
    unknown = sorted(set(mix) - set(KINDS))
    if unknown:
        raise BadOption(f"unknown content kind {', '.join(unknown)}; known: {', '.join(KINDS)}")
    if not mix or min(mix.values()) < 0 or sum(mix.values()) <= 0:
        raise BadOption("a mix needs non-negative weights with a positive sum")


def parse_mix(text: str) -> str | dict[str, float]:
    """A kind or a mix as a user writes it: ``heap`` -> ``"heap"``, and
    ``heap=0.7,zero=0.3`` -> ``{"heap": 0.7, "zero": 0.3}``; BadOption names
    what is wrong (an unknown kind, a weight that is not a number)."""
    if "=" not in text:
        _check_mix({text.strip(): 1.0})
        return text.strip()
    mix: dict[str, float] = {}
    for part in text.split(","):
        kind, sep, weight = part.partition("=")
        try:
            mix[kind.strip()] = float(weight)
        except ValueError:
            raise BadOption(f"{part!r} is not kind=weight (a mix is e.g. heap=0.7,zero=0.3)"
                            ) from None
    _check_mix(mix)
    return mix


class MixSampler:
    """Draws pages from a mix: ``sampler(rng)`` returns one page."""

    __slots__ = ("kinds", "gens", "cum", "total", "page_size")

    def __init__(self, mix: Mapping[str, float] | str, page_size: int = PAGE_SIZE) -> None:
        mix = {mix: 1.0} if isinstance(mix, str) else dict(mix)
        _check_mix(mix)
        self.kinds = list(mix)
        self.gens = [KINDS[k] for k in self.kinds]
        self.cum = list(accumulate(mix[k] for k in self.kinds))
        self.total = self.cum[-1] + 0.0
        self.page_size = page_size

    def kind(self, rng: random.Random) -> int:
        """Index into ``kinds`` of a kind drawn by weight."""
        if len(self.kinds) == 1:
            return 0
        # rng.choices(range(n), cum_weights=self.cum)[0], written out: the same
        # draw without the call's checks and lists (a draw a page)
        return bisect_right(self.cum, rng.random() * self.total, 0, len(self.cum) - 1)

    def __call__(self, rng: random.Random) -> bytes:
        return self.gens[self.kind(rng)](rng, self.page_size)


def mix_page(mix: Mapping[str, float] | str, rng: random.Random | int,
             page_size: int = PAGE_SIZE) -> bytes:
    """One page from ``mix`` (a kind name or a dict kind -> weight)."""
    return MixSampler(mix, page_size)(as_rng(rng))


def mix_for_ratio(target: float, base: Mapping[str, float], *, huge_threshold: int,
                  samples: int = 400, seed: int = 0,
                  page_size: int = PAGE_SIZE) -> dict[str, float]:
    """A copy of ``base`` with random or zero pages added so that its expected
    zram ratio (orig_data_size / compr_data_size) is ``target``.

    The base is measured on ``samples`` pages drawn with ``seed``; if its mean
    stored size is ``c`` bytes per page, adding weight ``w`` of random pages gives
    ``P / ((c + w P) / (1 + w))`` with P the page size, solved for ``w``; adding
    zero pages (stored as 0 bytes) scales the ratio by ``1 + w``. Example: a base
    at 1500 B per page (ratio 2.73) aimed at 2.0 needs w = (2048-1500)/(4096-2048)
    = 0.27 of random pages per unit of base weight.
    """
    if target < 1:
        raise BadOption("a zram compression ratio can not be below 1")
    _check_mix(base)
    sampler, rng = MixSampler(base, page_size), random.Random(seed)
    p = profile((sampler(rng) for _ in range(samples)), huge_threshold)
    mean = p.compr_data_size / p.pages
    total = sum(base.values())
    mix = {k: v / total for k, v in base.items()}
    goal = page_size / target
    if goal < mean:
        mix["zero"] = mix.get("zero", 0.0) + mean / goal - 1
    elif goal > mean:
        if goal >= page_size:
            return {"random": 1.0}
        mix["random"] = mix.get("random", 0.0) + (goal - mean) / (page_size - goal)
    return mix


def generate_trace(kind_or_mix: Mapping[str, float] | str, pages: int, seed: int = 0,
                   page_size: int = PAGE_SIZE, *, overwrite_rate: float = 0.0,
                   read_rate: float = 0.0, discard_rate: float = 0.0,
                   compact_rate: float = 0.0, max_discard: int = 8) -> Iterator[PageEvent]:
    """Write slots 0..pages-1 in order with pages of ``kind_or_mix``, and after
    each write, with the given probabilities (each drawn independently):
    overwrite a random written slot with a new page, read one, discard a run of
    1..``max_discard`` slots starting at one, or compact.

    Page contents come from ``random.Random(seed)`` and the extra operations from
    a second generator, so slot i's first page is the same whatever the rates.
    """
    sampler = MixSampler(kind_or_mix, page_size)
    content = random.Random(seed)
    ops = random.Random(f"{seed}/ops")
    extra = overwrite_rate or read_rate or discard_rate or compact_rate
    for slot in range(pages):
        yield PageEvent(WRITE, slot, sampler(content))
        if not extra:
            continue
        if overwrite_rate and ops.random() < overwrite_rate:
            yield PageEvent(WRITE, ops.randrange(slot + 1), sampler(content))
        if read_rate and ops.random() < read_rate:
            yield PageEvent(READ, ops.randrange(slot + 1), None)
        if discard_rate and ops.random() < discard_rate:
            first = ops.randrange(slot + 1)
            yield PageEvent(DISCARD, first, min(1 + ops.randrange(max_discard), slot + 1 - first))
        if compact_rate and ops.random() < compact_rate:
            yield PageEvent(COMPACT, 0, None)
