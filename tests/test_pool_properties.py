"""Property-based runs of the pool: random malloc/write/free/compact sequences.

After every step ``Pool.check()`` walks the structures, and every live object whose
bytes we know reads back exactly, before and after compaction. A full compaction
must leave each class with ceil(live / objs_per_zspage) zspages (spec §9).
"""

from __future__ import annotations

import random

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from allocator import Geometry, Pool


def _machine(page_size: int, chain_size: int) -> type[RuleBasedStateMachine]:
    geo = Geometry(page_size=page_size, chain_size=chain_size)
    # Crowd a few classes with few objects per zspage, so that within a short run
    # zspages fill, span pages, empty and compact; the rest of the range is visited too.
    few = sorted(geo.classes[:-1], key=lambda c: c.objs_per_zspage)[:3]
    popular = [c.size - 8 for c in few] + [page_size]
    sizes = st.one_of(st.sampled_from(popular), st.sampled_from(popular),
                      st.integers(1, page_size))

    class PoolMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.pool = Pool(geo)
            self.expected: dict[int, bytes | None] = {}   # None: contents unknown

        def _pick(self, pick: int) -> int:
            return sorted(self.expected)[pick % len(self.expected)]

        @rule(size=sizes, count=st.integers(1, 12), write=st.booleans(),
              seed=st.integers(0, 2**16))
        def malloc(self, size, count, write, seed):
            rng = random.Random(seed)
            for _ in range(count):
                handle = self.pool.malloc(size)
                assert handle > 0 and handle not in self.expected
                data = None
                if write:
                    data = rng.randbytes(size)
                    self.pool.write(handle, data)
                self.expected[handle] = data

        @precondition(lambda self: self.expected)
        @rule(pick=st.integers(0, 2**16), cut=st.integers(0, 100), seed=st.integers(0, 2**16))
        def overwrite(self, pick, cut, seed):
            handle = self._pick(pick)
            size = self.pool.size_of(handle)
            n = size * cut // 100
            data = random.Random(seed).randbytes(n)
            self.pool.write(handle, data)
            old = self.expected[handle]
            self.expected[handle] = data + old[n:] if old is not None else (
                data if n == size else None)

        @precondition(lambda self: self.expected)
        @rule(pick=st.integers(0, 2**16), stride=st.integers(1, 3), count=st.integers(1, 12))
        def free(self, pick, stride, count):
            """Free ``count`` live handles ``stride`` apart: holes across many zspages."""
            live = sorted(self.expected)
            for handle in live[pick % len(live)::stride][:count]:
                self.pool.free(handle)
                del self.expected[handle]

        @precondition(lambda self: self.expected)
        @rule()
        def compact(self):
            self._check_contents()
            before = self.pool.total_pages
            freeable = sum(r.freeable for r in self.pool.class_stats())
            total_before = self.pool.pages_compacted
            freed = self.pool.compact()
            assert freed == before - self.pool.total_pages
            assert freed == freeable     # ceil(live / objs) zspages remain per class
            assert self.pool.pages_compacted == total_before + freed
            for row in self.pool.class_stats():
                assert row.zspages == -(-row.obj_used // row.objs_per_zspage)

        @invariant()
        def consistent(self):
            self.pool.check()
            assert self.pool.live_objects == len(self.expected)
            assert self.pool.fragmentation().total == self.pool.total_pages * page_size
            self._check_contents()

        def _check_contents(self):
            for handle, data in self.expected.items():
                got = self.pool.read(handle)
                assert len(got) == self.pool.size_of(handle)
                if data is not None:
                    assert got == data

    return PoolMachine


_SETTINGS = settings(max_examples=25, stateful_step_count=40, deadline=None)

TestPool4kChain8 = _machine(4096, 8).TestCase
TestPool4kChain8.settings = _SETTINGS
TestPool4kChain4 = _machine(4096, 4).TestCase
TestPool4kChain4.settings = _SETTINGS
TestPool16kChain8 = _machine(16384, 8).TestCase
TestPool16kChain8.settings = _SETTINGS
TestPool16kChain16 = _machine(16384, 16).TestCase
TestPool16kChain16.settings = _SETTINGS
