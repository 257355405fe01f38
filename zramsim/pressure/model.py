"""A memory model: N frames of RAM, a workload, a reclaim policy, and zram as swap.

The question users bring is "with this much RAM and zram as swap, how much more
can my workload hold, and at what cost?". What makes it interesting is that
zram's own memory comes out of the RAM it extends: every page swapped out frees
one frame and takes back a fraction of one. So the model charges zram's pool to
RAM and keeps, after every access it serves::

    resident pages + zram frames <= ram_pages,  zram frames = ceil(mem_used_total / page size)

(zsmalloc's pool is whole pages, so mem_used_total is already a multiple of
the page size and the ceiling is exact.)

Vocabulary: a page of the workload's address space is *untouched*, *resident*
(in a frame), *in zram* (a swap slot of a real ``ZramDevice``, real bytes, real
lz4/zstd) or *on disk* (a modelled disk swap that takes no RAM and costs a
configured latency per page moved). An access to a resident page is a *hit*; any
other access is a *fault*: a first touch, a swap-in from zram, or one from disk.

The modelling choices, each a decision the kernel makes differently in detail:

* **Room for a fault.** A fault needs one free frame. While resident + zram
  frames + 1 > ram_pages, the policy gives a victim and it is swapped out. A
  swap-out may make zram *grow* (a new zspage takes up to ``chain_size``
  frames at once, more than the one frame it frees); the kernel takes such
  pages from its reserves below the watermarks, and so does the model: the
  loop just goes on reclaiming until the books balance. By default the reserve
  is unbounded, so a fault that can not balance evicts every resident page
  before it is declared OOM (zram's frames at that moment, and so
  ``zram_frames_max``, may exceed RAM; no served access ever does). With
  ``reserve=R`` a swap-out whose allocation would take resident + zram frames
  beyond ram_pages + R fails like a zsmalloc allocation failure: the device's
  write fails and counts in ``failed_writes`` (the model lowers the device's
  page limit for that one write to say so).
* **The shrinker.** zsmalloc registers a memory shrinker that compacts the
  pool; reclaim calls it once per round of ``SWAP_CLUSTER_MAX`` (32) pages. The
  model compacts after every 32 swap-outs when a fault needs room, and once
  more before it declares OOM (``shrinker=False`` turns both off). Without it,
  swap-ins leave holes in zspages and zram's frames creep up until RAM is gone.
* **Swap-out** = ``device.write(slot, page)`` into the lowest free slot (a heap;
  the kernel's cluster allocator picks others, but zram's accounting does not
  depend on the slot number). The model then drops its copy of the bytes.
* **Swap-in** = ``device.read(slot)`` then ``device.discard(slot)``: zram is a
  synchronous swap device, so the kernel reads the page without the swap cache
  and frees the slot at once (``swap_slot_free_notify``, counted in
  ``notify_free``). A page swapped in and out again is therefore always
  compressed again, written to or not.
* **Writes** change a page's contents. An access ``(page, True)`` overwrites one
  sixteenth of the page (a 256-byte block of a 4 KiB page) at a seeded offset
  with the same block of a seeded donor page of the initial image; ``(page,
  data)`` with ``bytes`` replaces the page. Sizes-only pages (an ``int``
  compressed length from a sizes trace) keep their size.
* **zram full.** When zram refuses a page (every slot used, ``mem_limit``
  reached or no reserve left: the write fails as the kernel's does), the victim
  goes to the disk swap if ``on_full == "disk"``, else the run ends in OOM.
* **OOM** is the first access whose fault can not get a frame: no resident page
  is left to reclaim, or the swap refused the victim with nowhere to spill. The
  run stops there; ``oom_at`` is that access's 0-based index (= accesses served).

Worked example: 4 frames, lz4, LRU, pages that compress to ~1200 bytes (class
1216, 3 pages per zspage for 10 objects). Touching pages 0..4 faults five times;
the fifth finds 4 resident + 0 zram frames + 1 > 4 and swaps page 0 out, which
creates a zspage of 3 frames: 3 resident + 3 zram + 1 = 7 > 4, so pages 1 and 2
go out too (into the same zspage), leaving 1 resident + 3 zram + 1 = 5 > 4: page 3
follows, and page 4 finally gets its frame: 1 resident + 3 zram = 4 frames, 5
pages held.

Hits are cheap (a bytearray lookup and the policy's ``touch``: for LRU a bare
``OrderedDict.move_to_end``); only faults touch compression.
"""

from __future__ import annotations

import heapq
import random
import time
from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from zramsim.device import ZramDevice
from zramsim.errors import ConfigError
from zramsim.pressure.policies import make_policy
from zramsim.pressure.results import PressureResult, Sample, Summary
from zramsim.pressure.tiers import ON_FULL, TIERS, Tier

UNTOUCHED, RESIDENT, IN_ZRAM, ON_DISK = 0, 1, 2, 3
SWAPS = ("zram", "disk", "none")
WRITE_BLOCKS = 16           # a write replaces one of 16 blocks of the page
SWAP_CLUSTER_MAX = 32       # pages reclaimed per reclaim round; the shrinker runs once a round


@dataclass(frozen=True)
class PressureConfig:
    """Knobs of one run. Sizes in bytes (``disksize``, ``mem_limit``) as zram's."""

    ram_pages: int
    swap: str = "zram"              # zram, disk (the disk-only baseline) or none
    algorithm: str = "lz4"
    level: int | None = None
    policy: str = "lru"
    on_full: str = "oom"            # what a refused zram swap-out does: oom or disk
    disksize: int | None = None     # None: one slot per page of the address space
    mem_limit: int = 0              # 0: unlimited
    disk_pages: int | None = None   # capacity of the disk swap; None: unlimited
    disk_latency_ns: int = 100_000  # per page read or written (an SSD: ~0.1 ms)
    ram_access_ns: int = 100        # the cost of a hit in the time estimate
    page_size: int = 4096
    chain_size: int = 8
    reserve: int | None = None      # frames a swap-out may borrow; None: no bound
    shrinker: bool = True           # compact zsmalloc once per reclaim round and before OOM
    seed: int = 0                   # drives the write mutations
    tier: str = "none"              # behind zram: none, writeback (to flash) or recompress
    tier_period: int = 10_000       # accesses between the tier's jobs ("a day")
    flash_pages: int | None = None  # flash for writeback; None: the address space
    flash_budget: int = 0           # pages written back per job (writeback_limit); 0: no limit
    flash_read_ns: int = 100_000    # a fault on a written-back page reads flash
    recomp_algorithm: str = "zstd"

    def __post_init__(self) -> None:
        if self.ram_pages < 1:
            raise ConfigError(f"ram_pages must be >= 1, not {self.ram_pages}")
        if self.swap not in SWAPS:
            raise ConfigError(f"swap must be one of {', '.join(SWAPS)}, not {self.swap!r}")
        if self.on_full not in ON_FULL:
            raise ConfigError(f"on_full must be one of {', '.join(ON_FULL)}, "
                             f"not {self.on_full!r}")
        if self.disk_latency_ns < 0 or self.ram_access_ns < 0 or self.flash_read_ns < 0:
            raise ConfigError("latencies can not be negative")
        if self.tier not in TIERS or (self.tier != "none" and self.swap != "zram"):
            raise ConfigError(f"tier must be one of {', '.join(TIERS)}, and behind zram")

    @property
    def label(self) -> str:
        """``zram-<algorithm>``, ``disk`` or ``none``: how results name the run."""
        if self.swap != "zram":
            return self.swap
        return f"zram-{self.algorithm}" + ("" if self.tier == "none" else f"+{self.tier}")


class MemoryModel:
    """The address space of one workload in ``config.ram_pages`` frames.

    ``contents[p]`` is page p's initial contents (``bytes`` of one page, or an
    ``int`` compressed length). ``clock`` returns nanoseconds; it times only
    the device calls of swap-outs and swap-ins.
    """

    def __init__(self, config: PressureConfig, contents: Sequence[bytes | int], *,
                 clock: Callable[[], int] = time.perf_counter_ns) -> None:
        if not contents:
            raise ConfigError("the workload has no pages")
        self.config = config
        self.ram_pages = config.ram_pages
        self.pages = len(contents)
        self.policy = make_policy(config.policy)
        self.clock = clock
        self._donors = list(contents)
        self._content: list[bytes | int | None] = list(contents)
        self._state = bytearray(self.pages)
        self._slot_of = array("q", bytes(8 * self.pages))
        self._rng = random.Random(config.seed)
        self.device = None
        self._free_slots: list[int] = []
        if config.swap == "zram":
            disksize = config.disksize or self.pages * config.page_size
            self.device = ZramDevice(disksize, config.algorithm, level=config.level,
                                     page_size=config.page_size, chain_size=config.chain_size,
                                     mem_limit=config.mem_limit)
            # sorted: already a heap. No more slots than pages are ever in use at
            # once, so a huge --disksize costs no more than the address space.
            self._free_slots = list(range(self._usable_slots()))
            self._limit_pages = self.device.limit_pages
        self.tier = None if config.tier == "none" else Tier(
            config.tier, self.device, period=config.tier_period,
            flash_pages=config.flash_pages or self.pages, budget=config.flash_budget,
            recomp_algorithm=config.recomp_algorithm, after_job=self._after_job)
        self.reserve = config.reserve
        self.accesses = self.first_touches = 0
        self.zram_ins = self.zram_outs = self.disk_reads = self.disk_writes = 0
        self.refused_outs = 0
        self.disk_pages = 0
        self.held_max = 0
        self._shrink_due = 0                # swap-outs since the shrinker last ran
        self.compress_ns = self.decompress_ns = 0
        self.oom_at: int | None = None

    # -- accounting -------------------------------------------------------------

    @property
    def hits(self) -> int:
        """Accesses served that found their page resident: accesses - faults."""
        return self.accesses - self.first_touches - self.zram_ins - self.disk_reads

    def zram_frames(self) -> int:
        """Frames zsmalloc holds: ceil(mem_used_total / page size)."""
        return self.device.pool.total_pages if self.device is not None else 0

    def _usable_slots(self) -> int:
        """Swap slots the model hands out: the device's, but never more than the pages."""
        return min(self.device.slots, self.pages)

    def zram_pages(self) -> int:
        """Pages held in zram, same-filled ones included (pages_stored)."""
        return self.device.pages_stored if self.device is not None else 0

    def resident_pages(self) -> int:
        return len(self.policy)

    # -- one access -------------------------------------------------------------

    def access(self, page: int, write: bool | bytes = False) -> bool:
        """Serve one access; False (and ``oom_at`` set) if it could not be served."""
        if self.oom_at is not None:
            raise RuntimeError(f"the model is out of memory since access {self.oom_at}")
        if self._state[page] == RESIDENT:
            self.policy.touch(page)
            if write:
                self._write(page, write)
        elif not self._fault(page, write):
            return False
        self.accesses += 1
        return True

    def run(self, accesses: Iterable[tuple[int, bool | bytes]], every: int = 0) -> PressureResult:
        """Serve every access (stopping at OOM); a timeline sample every ``every``
        accesses (none if 0) and one at the end."""
        if self.tier is not None:
            accesses = self.tier.interleave(accesses, self.accesses)
        state, touch, fault, resident = self._state, self.policy.touch, self._fault, RESIDENT
        timeline: list[Sample] = []
        mark = self.accesses + every if every > 0 else -1
        served = self.accesses
        for served, (page, write) in enumerate(accesses, served + 1):
            if state[page] == resident:
                touch(page)
                if write:
                    self._write(page, write)
            else:
                self.accesses = served - 1      # oom_at reads it
                if not fault(page, write):
                    served -= 1
                    break
            if served == mark:
                self.accesses = served
                timeline.append(self.sample())
                mark += every
        self.accesses = served
        if not timeline or timeline[-1].access != self.accesses:
            timeline.append(self.sample())
        return PressureResult(self.summary(), tuple(timeline))

    # -- faults and reclaim -----------------------------------------------------

    def _fault(self, page: int, write: bool | bytes) -> bool:
        if not self._make_room():
            self.oom_at = self.accesses
            return False
        where = self._state[page]
        if where == UNTOUCHED:
            self.first_touches += 1
        elif where == IN_ZRAM:
            slot = self._slot_of[page]
            t0 = self.clock()
            data = self.device.read(slot)
            self.decompress_ns += self.clock() - t0
            self.device.discard(slot)
            heapq.heappush(self._free_slots, slot)
            if data is not None:
                self._content[page] = data
            self.zram_ins += 1
        else:
            self.disk_reads += 1
            self.disk_pages -= 1
        self._state[page] = RESIDENT
        self.policy.insert(page)
        if where != IN_ZRAM:
            held = len(self.policy) + self.zram_pages()
            if held > self.held_max:
                self.held_max = held
        if write:
            self._write(page, write)
        return True

    def _make_room(self) -> bool:
        """Reclaim until one frame is free; False if that is impossible (OOM)."""
        policy, ram = self.policy, self.ram_pages
        while len(policy) + self.zram_frames() + 1 > ram:
            if self._shrink_due >= SWAP_CLUSTER_MAX and self._shrink():
                continue
            if len(policy) and self._swap_out():
                self._shrink_due += 1
                continue
            if not self._shrink():          # the last chance before OOM
                return False
        return True

    def _after_job(self, served: int) -> bool:
        """After a tier's job (which may grow the pool): reclaim as a fault would; if
        even that cannot balance the books, the run is out of memory after ``served``."""
        if self._make_room():
            return True
        self.oom_at = served
        return False

    def _shrink(self) -> int:
        """zsmalloc's shrinker: compact the pool; frames freed."""
        self._shrink_due = 0
        if self.device is None or not self.config.shrinker:
            return 0
        return self.device.compact()

    def _swap_out(self) -> bool:
        victim = self.policy.evict()
        swap = self.config.swap
        if swap == "zram":
            if self._to_zram(victim):
                return True
            self.refused_outs += 1
            if self.config.on_full == "disk" and self._to_disk(victim):
                return True
        elif swap == "disk" and self._to_disk(victim):
            return True
        self.policy.insert(victim)          # it stays resident: nowhere to put it
        return False

    def _to_zram(self, page: int) -> bool:
        if not self._free_slots:
            return False
        dev = self.device
        limit = self._limit_pages
        lowered = None
        if self.reserve is not None:
            room = self.ram_pages + self.reserve - len(self.policy)   # frames zram may reach
            if room < 1:
                return False
            lowered = room if not limit or room < limit else limit
        slot = heapq.heappop(self._free_slots)
        data = self._content[page]
        t0 = self.clock()
        if lowered is not None:
            dev.set_mem_limit(lowered * dev.page_size)
        try:
            if type(data) is int:
                ok = dev.write_size(slot, data)
            else:
                ok = dev.write(slot, data)
        finally:
            if lowered is not None:
                dev.set_mem_limit(limit * dev.page_size)
        self.compress_ns += self.clock() - t0
        if not ok:
            heapq.heappush(self._free_slots, slot)
            return False
        self._state[page] = IN_ZRAM
        self._slot_of[page] = slot
        if type(data) is not int:
            self._content[page] = None      # the bytes now live only in zram
        self.zram_outs += 1
        return True

    def _to_disk(self, page: int) -> bool:
        cap = self.config.disk_pages
        if cap is not None and self.disk_pages >= cap:
            return False
        self._state[page] = ON_DISK
        self.disk_pages += 1
        self.disk_writes += 1
        return True

    def _write(self, page: int, write: bool | bytes) -> None:
        if write is not True:
            self._content[page] = write
            return
        data = self._content[page]
        if type(data) is int:
            return
        r = self._rng.getrandbits(32)
        donor = self._donors[(r >> 4) % self.pages]
        if type(donor) is int:
            return
        block = len(data) // WRITE_BLOCKS
        lo = (r % WRITE_BLOCKS) * block
        self._content[page] = data[:lo] + donor[lo:lo + block] + data[lo + block:]

    # -- results and checks -----------------------------------------------------

    def sample(self) -> Sample:
        """The timeline point for the accesses served so far."""
        dev = self.device
        if dev is None:
            mem = orig = compr = 0
        else:
            mem = dev.pool.total_pages * dev.page_size
            orig, compr = dev.pages_stored * dev.page_size, dev.compr_data_size
        return Sample(
            access=self.accesses, resident_pages=len(self.policy),
            zram_pages=self.zram_pages(), disk_pages=self.disk_pages,
            zram_frames=self.zram_frames(), mem_used_total=mem, orig_data_size=orig,
            compr_data_size=compr, faults=self.first_touches + self.zram_ins + self.disk_reads,
            swap_ins=self.zram_ins + self.disk_reads, swap_outs=self.zram_outs + self.disk_writes)

    def summary(self, seed: int | None = None) -> Summary:
        """The run so far; ``seed`` (default the config's) names the workload's seed."""
        cfg, dev = self.config, self.device
        s = self.sample()
        return Summary(
            label=cfg.label, swap=cfg.swap, algorithm=cfg.algorithm if dev else "",
            policy=cfg.policy, ram_pages=cfg.ram_pages, pages=self.pages,
            seed=cfg.seed if seed is None else seed, accesses=self.accesses, hits=self.hits,
            first_touches=self.first_touches, zram_ins=self.zram_ins, zram_outs=self.zram_outs,
            disk_reads=self.disk_reads, disk_writes=self.disk_writes,
            refused_outs=self.refused_outs, oom_at=self.oom_at, held_max=self.held_max,
            resident_pages=s.resident_pages, zram_pages=s.zram_pages, disk_pages=s.disk_pages,
            zram_frames_max=dev.max_used_pages if dev else 0,
            pages_compacted=dev.pool.pages_compacted if dev else 0,
            mem_used_total=s.mem_used_total, orig_data_size=s.orig_data_size,
            compr_data_size=s.compr_data_size, compress_ns=self.compress_ns,
            decompress_ns=self.decompress_ns, disk_latency_ns=cfg.disk_latency_ns,
            ram_access_ns=cfg.ram_access_ns,
            flash_reads=dev.bd_stat().bd_reads if dev else 0,
            flash_writes=dev.bd_stat().bd_writes if dev else 0,
            recompressed=self.tier.recompressed if self.tier else 0,
            flash_read_ns=cfg.flash_read_ns if self.tier else 0)

    def peek(self, page: int) -> bytes | int:
        """Page p's current contents wherever it is (a zram read, for checks and tests)."""
        if self._state[page] == IN_ZRAM:
            data = self.device.read(self._slot_of[page])
            if data is not None:
                return data
        return self._content[page]

    def location(self, page: int) -> str:
        """Where a page is: untouched, resident, zram or disk."""
        return ("untouched", "resident", "zram", "disk")[self._state[page]]

    def check(self, deep: bool = False) -> None:
        """The RAM invariant and the books; ``deep`` also runs the device's check()."""
        resident, frames = len(self.policy), self.zram_frames()
        if self.oom_at is None and resident + frames > self.ram_pages:
            raise AssertionError(f"{resident} resident + {frames} zram frames "
                                 f"> {self.ram_pages} frames of RAM")
        counts = [0, 0, 0, 0]
        for where in self._state:
            counts[where] += 1
        if counts[RESIDENT] != resident:
            raise AssertionError(f"{counts[RESIDENT]} pages marked resident, "
                                 f"policy holds {resident}")
        if counts[IN_ZRAM] != self.zram_pages() or counts[ON_DISK] != self.disk_pages:
            raise AssertionError("zram or disk page counts disagree with page states")
        if self.device is not None:
            if len(self._free_slots) + counts[IN_ZRAM] != self._usable_slots():
                raise AssertionError("free slots + used slots != device slots")
            if deep:
                self.device.check()
