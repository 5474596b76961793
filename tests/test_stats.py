"""The speedup in mean time per call, its bootstrap interval, and the decision rule."""

import math

import numpy as np
import pytest

from assay.timing import (
    Sample,
    Speedup,
    approx_halfwidth,
    mean_speedup,
    mean_times,
    speedup_interval,
    twin_check,
)


def _samples(ref: np.ndarray, cand: np.ndarray, rng: np.random.Generator | None = None) -> list[Sample]:
    rng = rng or np.random.default_rng(0)
    return [Sample(float(r), float(c), bool(rng.random() < 0.5)) for r, c in zip(ref, cand, strict=True)]


def test_known_ratio_is_recovered_with_a_tight_interval() -> None:
    rng = np.random.default_rng(1)
    ref = 5e-3 * (1 + 0.03 * rng.standard_normal(60))
    cand = ref / 2 * (1 + 0.01 * rng.standard_normal(60))
    s = speedup_interval(_samples(ref, cand), rng=np.random.default_rng(2))
    assert 1.95 < s.value < 2.05
    assert s.low <= s.value <= s.high
    assert s.halfwidth < 0.03
    assert s.comparison(0.02) == "faster"


def test_equal_samples_are_no_measurable_difference() -> None:
    rng = np.random.default_rng(3)
    ref = 5e-3 * (1 + 0.03 * rng.standard_normal(40))
    cand = 5e-3 * (1 + 0.03 * rng.standard_normal(40))
    s = speedup_interval(_samples(ref, cand), rng=np.random.default_rng(4))
    assert s.low < 1.0 < s.high
    assert s.comparison(0.02) == "no measurable difference"


def test_slower_is_reported_as_slower() -> None:
    assert Speedup(value=0.9, low=0.88, high=0.92, rounds=20).comparison(0.02) == "slower"
    # Significant but inside the noise floor: not called faster.
    assert Speedup(value=1.01, low=1.005, high=1.015, rounds=20).comparison(0.02) == "no measurable difference"


def test_bad_input_raises() -> None:
    with pytest.raises(ValueError):
        speedup_interval([Sample(1.0, 1.0, True)])
    with pytest.raises(ValueError):
        speedup_interval([Sample(1.0, 1.0, True), Sample(1.0, 0.0, False)])
    with pytest.raises(ValueError):
        mean_speedup([Sample(1.0, 1.0, True), Sample(math.nan, 1.0, False)])


def test_pairing_cancels_a_machine_that_jumps_between_two_speeds() -> None:
    rng = np.random.default_rng(5)
    state = rng.choice([1.0, 1.8], size=200)  # the whole round runs slow or fast
    ref = 5e-3 * state * (1 + 0.02 * rng.standard_normal(200))
    cand = 5e-3 * state * (1 + 0.02 * rng.standard_normal(200))
    s = speedup_interval(_samples(ref, cand), rng=np.random.default_rng(6))
    assert abs(s.value - 1) < 0.01
    assert s.halfwidth < 0.015


def test_slow_work_hidden_in_a_minority_of_rounds_is_charged() -> None:
    # Twice as fast in 85% of the rounds, 25 times slower in the rest: a trimmed mean of log-ratios read 2x.
    rng = np.random.default_rng(7)
    ref = 5e-3 * (1 + 0.02 * rng.standard_normal(120))
    cand = ref / 2
    cand[rng.permutation(120)[:18]] *= 50
    s = speedup_interval(_samples(ref, cand), rng=np.random.default_rng(8))
    true_ratio = ref.mean() / cand.mean()
    assert s.value == pytest.approx(true_ratio, rel=0.05)
    assert s.value < 0.5
    assert s.comparison(0.02) == "slower"


@pytest.mark.parametrize("fraction", [0.05, 0.1, 0.15, 0.19, 0.3])
def test_no_fraction_of_slow_rounds_escapes_the_mean(fraction: float) -> None:
    rng = np.random.default_rng(int(fraction * 100))
    ref = 5e-3 * np.ones(200)
    cand = ref / 2
    cand[: int(fraction * 200)] = ref[0] * 20
    assert mean_speedup(_samples(ref, cand, rng)) == pytest.approx(ref.sum() / cand.sum(), rel=0.05)


def test_the_order_effect_cancels_however_unequal_the_two_orders() -> None:
    # The first side of a round runs 3% slower; 30 reference-first rounds against 90 candidate-first ones.
    rng = np.random.default_rng(9)
    first = np.array([True] * 30 + [False] * 90)
    ref = 5e-3 * (1 + 0.01 * rng.standard_normal(120)) * np.where(first, 1.03, 1.0)
    cand = 5e-3 * (1 + 0.01 * rng.standard_normal(120)) * np.where(first, 1.0, 1.03)
    samples = [Sample(float(r), float(c), bool(f)) for r, c, f in zip(ref, cand, first, strict=True)]
    assert mean_speedup(samples) == pytest.approx(1.0, abs=0.004)
    naive = ref.mean() / cand.mean()
    assert abs(naive - 1) > 0.01  # what an unstratified mean would have said
    mean_ref, mean_cand = mean_times(samples)
    assert mean_ref / mean_cand == pytest.approx(mean_speedup(samples))


@pytest.mark.parametrize("n", [20, 60, 200])
def test_the_cheap_half_width_tracks_the_bootstrap(n: int) -> None:
    rng = np.random.default_rng(n)
    ref = 5e-3 * np.exp(0.05 * rng.standard_normal(n))
    cand = 5e-3 * np.exp(0.05 * rng.standard_normal(n))
    cand[rng.permutation(n)[: n // 10]] *= 1.5
    samples = _samples(ref, cand, np.random.default_rng(n + 2))
    boot = speedup_interval(samples, resamples=4000, rng=np.random.default_rng(n + 1)).halfwidth
    # Below the bootstrap costs only an extra bootstrap; above it would end a run late, so that side is tight.
    assert 0.7 * boot < approx_halfwidth(samples) < 1.15 * boot


def test_the_cheap_half_width_needs_three_rounds_of_each_order() -> None:
    samples = [Sample(1.0, 1.0, True), Sample(2.0, 2.0, False), Sample(1.0, 1.1, True), Sample(1.0, 1.2, True)]
    assert approx_halfwidth(samples) == float("inf")


def test_widening_adds_the_between_runs_spread_in_quadrature() -> None:
    s = Speedup(value=1.0, low=0.99, high=1.01, rounds=100)
    w = s.widened(0.0046)
    assert w.value == s.value and w.rounds == s.rounds
    # sqrt(0.01^2 + (1.96 x 0.0046)^2) = 0.0134 on the log scale, at each end.
    assert w.low == pytest.approx(math.exp(-math.hypot(math.log(1 / 0.99), 1.96 * 0.0046)))
    assert w.high == pytest.approx(math.exp(math.hypot(math.log(1.01), 1.96 * 0.0046)))
    assert 0.0133 < w.halfwidth < 0.0136
    assert s.widened(0.0) == s


def test_a_narrow_interval_just_above_one_is_no_longer_faster_once_widened() -> None:
    # An A/A run seen here: 140 rounds gave this run's own interval, which excluded 1.
    s = Speedup(value=1.0123, low=1.0004, high=1.0253, rounds=200)
    assert s.low > 1
    assert s.widened(0.0046).low < 1
    assert s.widened(0.0046).comparison(0.0) == "no measurable difference"


def _twin_samples(offset: float, noise: float, n: int, seed: int) -> list[Sample]:
    """n rounds of identical code whose twin 1 is `offset` slower (a process's own speed), in turn."""
    rng = np.random.default_rng(seed)
    ref = 5e-3 * np.exp(noise * rng.standard_normal(n))
    cand = ref * np.exp(noise * rng.standard_normal(n))
    twin = np.arange(n) % 2
    ref = ref * np.where(twin == 1, 1 + offset, 1.0)
    return [
        Sample(float(r), float(c), bool(rng.random() < 0.5), int(t)) for r, c, t in zip(ref, cand, twin, strict=True)
    ]


def test_twins_that_agree_add_nothing_to_the_usual_spread() -> None:
    found = [twin_check(_twin_samples(0.0, 0.03, 200, seed)) for seed in range(40)]
    assert all(t is not None for t in found)
    spreads = sorted(t.between_sd for t in found if t is not None)
    # The ratio's scatter is sampling alone: most runs read no excess, and none reads past the usual 1.3%.
    assert spreads[len(spreads) // 2] < 0.004 and spreads[-1] < 0.013, spreads


def test_twins_that_differ_measure_the_spread_between_processes() -> None:
    t = twin_check(_twin_samples(0.05, 0.01, 200, 1))
    assert t is not None
    assert t.ratio == pytest.approx(1 / 1.05, rel=0.01)  # twin 1 is slower: the speedup over its rounds is higher
    # A 5% gap between two processes is a per-process sd of 5% / sqrt(2); the speedup carries 1.5 offsets.
    assert t.between_sd == pytest.approx(math.sqrt(0.75) * math.log(1.05), rel=0.1)


def test_one_process_or_too_few_rounds_gives_no_twin_check() -> None:
    samples = _twin_samples(0.0, 0.01, 40, 2)
    assert twin_check([Sample(s.reference_s, s.candidate_s, s.reference_first, 0) for s in samples]) is None
    assert twin_check(samples[:8]) is None
