"""The timing protocol's state machine, driven by synthetic rounds and a fake clock (no worker, no sleep)."""

from collections.abc import Callable

import numpy as np
import pytest

from assay.timing import Observed, Plan, Schedule, Step


class FakeClock:
    """Seconds of the evaluation's budget, advanced by the rounds the test 'runs'."""

    def __init__(self, budget_s: float) -> None:
        self.budget_s = budget_s
        self.now = 0.0

    def late(self, fraction: float) -> bool:
        return self.budget_s - self.now < fraction * self.budget_s


def drive(
    plan: Plan,
    call_s: Callable[[Step, int], tuple[float, float]],
    clock: FakeClock | None = None,
    seed: int = 0,
    round_overhead_s: float = 0.02,
) -> tuple[Schedule, list[Step]]:
    """Run the schedule to its end; `call_s(step, i)` gives the per-call seconds of each side for round i."""
    clock = clock or FakeClock(300.0)
    schedule = Schedule(plan, np.random.default_rng(seed), clock.late)
    steps = []
    while (step := schedule.next()) is not None:
        ref, cand = call_s(step, len(steps))
        steps.append(step)
        clock.now += step.calls * (ref + cand) + round_overhead_s
        schedule.record(step, Observed(ref * step.calls, cand * step.calls, step.calls, call_bytes=4096))
        assert len(steps) < 10_000
    return schedule, steps


def noisy(speedup: float, sd: float, seed: int = 0) -> Callable[[Step, int], tuple[float, float]]:
    rng = np.random.default_rng(seed)

    def call_s(step: Step, i: int) -> tuple[float, float]:
        return 6e-3 * (1 + sd * rng.standard_normal()), 6e-3 / speedup * (1 + sd * rng.standard_normal())

    return call_s


def test_phases_come_in_order_and_extra_sizes_and_calibration_run_the_reference_first() -> None:
    plan = Plan(extra_sizes=[{"batch": 7}, {"batch": 129}])
    _schedule, steps = drive(plan, noisy(1.0, 0.01))
    phases = [s.phase for s in steps]
    assert phases[:4] == ["extra", "extra", "calibrate", "calibrate"]
    assert [s.sizes for s in steps[:2]] == [{"batch": 7}, {"batch": 129}]
    assert all(s.reference_first and s.calls == 1 for s in steps[:4])
    assert phases[4] == "warmup" and phases[-1] == "measure"
    assert phases == sorted(phases, key=["extra", "calibrate", "warmup", "measure"].index)
    assert all(s.sizes is None for s in steps[2:])


def test_the_default_path_stops_at_the_target_after_the_minimum() -> None:
    # Quiet machine: 1% noise per call, so the 1.25% target is met as soon as 50 rounds allow.
    schedule, _steps = drive(Plan(), noisy(1.0, 0.01))
    assert len(schedule.samples) == 50
    assert schedule.final().halfwidth <= 0.0125
    assert schedule.calls_per_sample == 1  # 6 ms calls: one per 5 ms block


def test_a_noisy_machine_runs_to_the_cap() -> None:
    schedule, _ = drive(Plan(), noisy(1.0, 0.15))
    assert len(schedule.samples) == 200
    assert schedule.final().halfwidth > 0.0125


def test_the_timing_budget_ends_the_measurement() -> None:
    schedule, _ = drive(Plan(timing_budget_s=0.3, min_rounds=5), noisy(1.0, 0.15))
    spent = min(sum(s.reference_s for s in schedule.samples), sum(s.candidate_s for s in schedule.samples))
    assert 0.3 <= spent < 0.3 + 0.011
    assert len(schedule.samples) < 200


def test_short_calls_are_timed_in_blocks_of_at_least_the_minimum() -> None:
    schedule, steps = drive(Plan(), lambda step, i: (1e-4, 1e-4))
    assert schedule.calls_per_sample == 50  # 0.1 ms calls, 5 ms blocks
    assert all(s.calls == 50 for s in steps if s.phase == "measure")


def test_blocks_are_capped_by_the_bytes_a_call_moves() -> None:
    clock = FakeClock(300.0)
    schedule = Schedule(Plan(block_bytes=3 * 4096 * 4), np.random.default_rng(0), clock.late)
    while (step := schedule.next()) is not None and step.phase != "measure":
        schedule.record(step, Observed(1e-5 * step.calls, 1e-5 * step.calls, step.calls, call_bytes=4096))
    assert schedule.calls_per_sample == 4


def test_warmup_stops_after_twelve_rounds_or_the_warmup_time() -> None:
    _, steps = drive(Plan(warmup_s=10.0), noisy(1.0, 0.01))
    assert sum(1 for s in steps if s.phase in ("calibrate", "warmup")) == 12


def test_running_late_ends_the_measurement_early() -> None:
    clock = FakeClock(budget_s=4.0)
    schedule, _ = drive(Plan(), noisy(1.0, 0.15), clock=clock, round_overhead_s=0.03)
    assert 5 <= len(schedule.samples) < 200
    assert clock.late(0.25)


@pytest.mark.parametrize("seed", range(5))
def test_orders_are_random_and_not_paired(seed: int) -> None:
    _schedule, steps = drive(Plan(), noisy(1.0, 0.15, seed), seed=seed)
    orders = [s.reference_first for s in steps if s.phase == "measure"]
    assert 0.3 < np.mean(orders) < 0.7
    # Knowing the order of round 2i does not give round 2i+1's (a balanced pair would make them opposite).
    pairs = [(orders[i], orders[i + 1]) for i in range(0, len(orders) - 1, 2)]
    assert any(a == b for a, b in pairs)


def test_a_true_speedup_is_found() -> None:
    schedule, _ = drive(Plan(), noisy(2.0, 0.03))
    s = schedule.final()
    assert 1.95 < s.value < 2.05 and s.comparison(0.02) == "faster"
