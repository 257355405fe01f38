"""Access-pattern generators: ranges, determinism, statistics at fixed seeds, speed."""

import random
from collections import Counter

import pytest

from workloads.access import (
    ACCESS_PATTERNS, hotcold, phases, sequential, uniform, zipf, zipf_cdf,
)

NAMES = sorted(ACCESS_PATTERNS)


def test_registry():
    assert NAMES == ["hotcold", "phases", "sequential", "uniform", "zipf"]


@pytest.mark.parametrize("name", NAMES)
def test_range_count_and_types(name):
    accesses = list(ACCESS_PATTERNS[name](300, 5000, seed=1, write_fraction=0.5))
    assert len(accesses) == 5000
    assert all(type(p) is int and 0 <= p < 300 and type(w) is bool for p, w in accesses)
    assert 2300 < sum(w for _, w in accesses) < 2700


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_stream_and_rng_accepted(name):
    f = ACCESS_PATTERNS[name]
    a = list(f(500, 2000, seed=7, write_fraction=0.3))
    assert a == list(f(500, 2000, seed=7, write_fraction=0.3))
    assert a == list(f(500, 2000, seed=random.Random(7), write_fraction=0.3))
    if name != "sequential":
        assert a != list(f(500, 2000, seed=8, write_fraction=0.3))


@pytest.mark.parametrize("name", NAMES)
def test_reads_only_by_default_and_bad_arguments(name):
    f = ACCESS_PATTERNS[name]
    assert not any(w for _, w in f(50, 1000, seed=0))
    assert list(f(50, 0, seed=0)) == []
    for bad in ({"pages": 0, "count": 1}, {"pages": 5, "count": -1},
                {"pages": 5, "count": 1, "write_fraction": 1.5}):
        with pytest.raises(ValueError):
            list(f(**bad))


def test_sequential_loops():
    assert [p for p, _ in sequential(5, 7, start=3)] == [3, 4, 0, 1, 2, 3, 4]


def test_uniform_is_flat():
    counts = Counter(p for p, _ in uniform(10, 100_000, seed=4))
    assert counts[0] == 9846 and counts[9] == 10231   # regression pins; the bound below
    assert all(9500 < c < 10500 for c in counts.values())   # is 10000 +- 5 sigma by hand


def test_zipf_cdf_worked_example():
    assert zipf_cdf(4, 1.0) == pytest.approx([1, 1.5, 11 / 6, 25 / 12])


def test_zipf_shares_match_weights():
    counts = Counter(p for p, _ in zipf(4, 100_000, s=1.0, seed=1))
    # regression pins; the shares below are the worked example's, by hand
    assert [counts[k] for k in range(4)] == [47971, 23954, 15943, 12132]
    for k, share in enumerate((0.48, 0.24, 0.16, 0.12)):   # 12/25, 6/25, 4/25, 3/25
        assert abs(counts[k] / 100_000 - share) < 0.005


def test_zipf_s0_is_uniform_and_larger_s_is_more_skewed():
    flat = Counter(p for p, _ in zipf(100, 50_000, s=0.0, seed=2))
    assert max(flat.values()) < 650
    top1 = Counter(p for p, _ in zipf(1000, 50_000, s=1.0, seed=3))[0]
    top2 = Counter(p for p, _ in zipf(1000, 50_000, s=2.0, seed=3))[0]
    assert 6000 < top1 < 7500 < 29000 < top2 < 32000   # 1/H(1000)=13.4 %, 1/zeta(2)~60.8 %
    with pytest.raises(ValueError):
        list(zipf(10, 1, s=-1))


def test_zipf_shuffle_scatters_the_hot_page():
    plain = Counter(p for p, _ in zipf(1000, 20_000, s=1.2, seed=5))
    mixed = Counter(p for p, _ in zipf(1000, 20_000, s=1.2, seed=5, shuffle=True))
    # regression pins, each beside its check by hand: page 0 gets 1 / sum k**-1.2 = 23.1 %
    # of accesses and page 1 10.0 %; shuffled, ranks 0 and 1 land where
    # random.Random(5).shuffle puts them, pages 910 and 516.
    assert plain.most_common(2) == [(0, 4461), (1, 2024)]
    assert mixed.most_common(2) == [(910, 4566), (516, 2101)]
    weights = [k ** -1.2 for k in range(1, 1001)]
    for (_, count), share in zip(plain.most_common(2), weights):
        assert abs(count / 20_000 - share / sum(weights)) < 0.01
    order = list(range(1000))
    random.Random(5).shuffle(order)
    assert [page for page, _ in mixed.most_common(2)] == order[:2]


def test_hotcold_share():
    accesses = list(hotcold(1000, 100_000, seed=2, write_fraction=0.25))
    hot = sum(1 for p, _ in accesses if p < 200)
    writes = sum(w for _, w in accesses)
    assert (hot, writes) == (80210, 24886)    # regression pins; by hand below:
    assert abs(hot / 100_000 - 0.8) < 0.005   # 80 % to the 20 % hot pages (sigma 0.13 %)
    assert abs(writes / 100_000 - 0.25) < 0.005   # write_fraction 0.25 (sigma 0.14 %)
    assert {p for p, _ in hotcold(10, 1000, hot_fraction=1.0, seed=0)} == set(range(10))
    with pytest.raises(ValueError):
        list(hotcold(10, 1, hot_fraction=0.0))


def test_phases_move_the_working_set():
    accesses = [p for p, _ in phases(100, 40, working_set=10, shift_every=10, seed=3)]
    for phase in range(4):
        window = set(range(10 * phase, 10 * phase + 10))
        assert set(accesses[10 * phase:10 * phase + 10]) <= window
    wrapped = [p for p, _ in phases(25, 30, working_set=10, shift_every=10, shift=20, seed=1)]
    assert set(wrapped[10:20]) <= set(range(20, 25)) | set(range(0, 5))
    with pytest.raises(ValueError):
        list(phases(10, 1, working_set=11))


def test_a_million_accesses_stream_lazily():
    # Speed is measured in benchmarks/ (bench_pressure), not asserted here.
    stream = zipf(100_000, 1_000_000, s=1.0, seed=1, write_fraction=0.3)
    assert iter(stream) is stream                    # a generator, not a list
    assert sum(1 for _ in stream) == 1_000_000
