"""The paired speedup and its bootstrap interval, and the decision rule."""

import numpy as np
import pytest

from assay.timing import Speedup, paired_bootstrap


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
