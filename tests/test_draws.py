"""WeightedDraw: rng.choices(population, cum_weights=cum, k=k) in bulk: same picks, same stream."""

from __future__ import annotations

import random
from itertools import accumulate

import pytest

from workloads.draws import WeightedDraw


def weights(rng: random.Random, n: int, kind: str) -> list[float]:
    if kind == "uniform-ish":
        return [rng.random() for _ in range(n)]
    if kind == "zeros":                          # equal cumulative weights: empty items
        w = [rng.choice([0, 0, 1, 2.5, 1e-9, 3]) for _ in range(n)]
        w[-1] = w[-1] or 1
        return w
    if kind == "zipf":
        return [1.0 / (k + 2) for k in range(n)]
    return [float(rng.randint(1, 5)) for _ in range(n)]


@pytest.mark.parametrize("n", [1, 2, 7, 224, 254, 255, 1000])   # bytes table below 255 items
@pytest.mark.parametrize("kind", ["uniform-ish", "zeros", "zipf", "ints"])
def test_the_same_picks_and_the_same_stream_as_choices(n, kind):
    rng = random.Random(n * 31 + len(kind))
    cum = list(accumulate(weights(rng, n, kind)))
    draw = WeightedDraw(cum)
    population = [f"item{i}" for i in range(n)]
    ours, theirs = random.Random(n), random.Random(n)
    for k in (0, 1, 5, 409, 2000):
        assert draw.draw(ours, population, k) == theirs.choices(population, cum_weights=cum, k=k)
    assert ours.getrandbits(64) == theirs.getrandbits(64)      # left where choices leaves it


def test_draws_in_cut_buckets_are_worked_out_exactly():
    """5000 tiny items below one big one: hundreds of buckets are cut by a
    threshold, and 200,000 draws land in them often."""
    cum = list(accumulate([1e-6] * 5000 + [1.0]))
    draw = WeightedDraw(cum)
    assert draw.table.count(-1) > 300
    ours, theirs = random.Random(1), random.Random(1)
    assert draw.indices(ours, 200_000) == theirs.choices(range(5001), cum_weights=cum, k=200_000)


def test_the_worked_example_of_the_docstring():
    draw = WeightedDraw([1, 3, 4])
    assert draw.thresholds == [2 ** 51, 3 * 2 ** 51]
    edges = (draw.table[16383], draw.table[16384], draw.table[49151], draw.table[49152])
    assert edges == (0, 1, 1, 2)
    assert draw.table[0x9E37] == 1

