"""The benchmarks' shared measure: alternated pairs, caches reset before each run, the median of
the pair ratios with its spread."""

from __future__ import annotations

from bench.report import Pairs, alternate


def test_subject_and_baseline_alternate_and_swap_order_each_round() -> None:
    calls: list[str] = []
    ticks = iter(range(1000))
    pairs = alternate(
        lambda item: calls.append(f"S{item}"),
        lambda item: calls.append(f"B{item}"),
        [1, 2],
        rounds=2,
        reset=lambda: calls.append("reset"),
        clock=lambda: float(next(ticks)),
    )
    runs = [c for c in calls if c != "reset"]
    assert runs == ["S1", "B1", "S2", "B2", "B1", "S1", "B2", "S2"]
    assert calls.count("reset") == 8  # before every single run
    assert len(pairs.subject) == len(pairs.baseline) == 4


def test_the_ratio_is_the_median_of_pairs_with_its_range() -> None:
    pairs = Pairs(subject=[2.0, 3.0, 10.0], baseline=[1.0, 1.0, 1.0])
    assert pairs.ratio == 3.0  # not the best (2.0), not the mean
    assert pairs.spread == "2.00–10.00×"
