"""The paired speedup and its bootstrap interval, and the decision rule."""

import math

import numpy as np
import pytest

from assay.timing import Speedup, approx_halfwidth, paired_bootstrap


def test_known_ratio_is_recovered_with_a_tight_interval() -> None:
    rng = np.random.default_rng(1)
    ref = 5e-3 * (1 + 0.03 * rng.standard_normal(60))
    cand = ref / 2 * (1 + 0.01 * rng.standard_normal(60))
    s = paired_bootstrap(ref, cand, rng=np.random.default_rng(2))
    assert 1.95 < s.value < 2.05
    assert s.low <= s.value <= s.high
    assert s.halfwidth < 0.03
    assert s.comparison(0.02) == "faster"


def test_equal_samples_are_no_measurable_difference() -> None:
    rng = np.random.default_rng(3)
    ref = 5e-3 * (1 + 0.03 * rng.standard_normal(40))
    cand = 5e-3 * (1 + 0.03 * rng.standard_normal(40))
    s = paired_bootstrap(ref, cand, rng=np.random.default_rng(4))
    assert s.low < 1.0 < s.high
    assert s.comparison(0.02) == "no measurable difference"


def test_slower_is_reported_as_slower() -> None:
    assert Speedup(value=0.9, low=0.88, high=0.92, rounds=20).comparison(0.02) == "slower"
    # Significant but inside the noise floor: not called faster.
    assert Speedup(value=1.01, low=1.005, high=1.015, rounds=20).comparison(0.02) == "no measurable difference"


def test_bad_input_raises() -> None:
    with pytest.raises(ValueError):
        paired_bootstrap([1.0], [1.0])
    with pytest.raises(ValueError):
        paired_bootstrap([1.0, 2.0], [1.0, 0.0])


def test_pairing_cancels_a_machine_that_jumps_between_two_speeds() -> None:
    rng = np.random.default_rng(5)
    state = rng.choice([1.0, 1.8], size=200)  # the whole round runs slow or fast
    ref = 5e-3 * state * (1 + 0.02 * rng.standard_normal(200))
    cand = 5e-3 * state * (1 + 0.02 * rng.standard_normal(200))
    s = paired_bootstrap(ref, cand, rng=np.random.default_rng(6))
    assert abs(s.value - 1) < 0.01
    assert s.halfwidth < 0.01


def test_slowness_in_a_third_of_the_calls_is_charged() -> None:
    rng = np.random.default_rng(7)
    ref = 5e-3 * (1 + 0.02 * rng.standard_normal(100))
    cand = ref * (1 + 0.02 * rng.standard_normal(100))
    cand[rng.permutation(100)[:30]] *= 3  # a median of the rounds would not see these
    s = paired_bootstrap(ref, cand, rng=np.random.default_rng(8))
    assert s.value < 0.9
    assert s.comparison(0.02) == "slower"


@pytest.mark.parametrize("n", [20, 60, 200])
def test_the_cheap_half_width_tracks_the_bootstrap(n: int) -> None:
    # Heavy-tailed log-ratios, like a noisy machine's: a few rounds with a stall on one side.
    rng = np.random.default_rng(n)
    ref = 5e-3 * np.exp(0.05 * rng.standard_normal(n))
    cand = 5e-3 * np.exp(0.05 * rng.standard_normal(n))
    cand[rng.permutation(n)[: n // 10]] *= 1.5
    boot = paired_bootstrap(ref, cand, resamples=4000, rng=np.random.default_rng(n + 1)).halfwidth
    # Below the bootstrap costs only an extra bootstrap; above it would end a run late, so that side is tight.
    assert 0.7 * boot < approx_halfwidth(ref, cand) < 1.1 * boot


def test_the_cheap_half_width_needs_three_rounds() -> None:
    assert approx_halfwidth([1.0, 2.0], [1.0, 2.0]) == float("inf")


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
