"""The integrity findings from measured rounds (the rounds are built here; the evaluator's own runs are in
test_eval.py and the red-team corpus)."""

import numpy as np

from assay.evaluate._flags import harm_flags, timing_flags
from assay.evaluate._round import Block, Round
from assay.timing import Step


def _block(cpu: float, inner: float, interrupts: int = 1) -> Block:
    return Block(wall_s=cpu, cpu_s=cpu, inner_s=inner, host_s=inner, interrupts=interrupts)


def _round(ref: Block, cand: Block, ref_first: bool) -> Round:
    return Round(step=Step("measure", 1, ref_first), ref=ref, cand=cand, call_bytes=0, cpu_clock=True)


def _rounds(cand_inner: float, cand_extra: float, fixed: float, jitter: float, n: int = 20) -> list[Round]:
    """Rounds of a 3.2 ms call whose workers each spend `fixed` outside it."""
    rng = np.random.default_rng(0)
    rounds = []
    for i in range(n):
        ref_cpu = 3.2e-3 + fixed * (1 + jitter * rng.standard_normal())
        cand_cpu = 3.2e-3 + fixed * (1 + jitter * rng.standard_normal()) + cand_extra
        rounds.append(_round(_block(ref_cpu, 3.2e-3), _block(cand_cpu, cand_inner), i % 2 == 0))
    return rounds


def _ids(rounds: list[Round]) -> list[str]:
    return [f.id for f in timing_flags(rounds, 1)]


def test_a_large_fixed_cost_that_jitters_is_not_a_patched_clock() -> None:
    # 3.5 ms outside the call beside a 3.2 ms call, 0.4 ms more of it on the candidate's side.
    assert "clock-mismatch" not in _ids(_rounds(cand_inner=3.2e-3, cand_extra=0.4e-3, fixed=3.5e-3, jitter=0.05))


def test_a_clock_that_hides_the_work_is_flagged_even_beside_a_large_fixed_cost() -> None:
    assert "clock-mismatch" in _ids(_rounds(cand_inner=0.0, cand_extra=0.0, fixed=3.5e-3, jitter=0.05))
    assert "clock-mismatch" in _ids(_rounds(cand_inner=1.6e-3, cand_extra=0.0, fixed=3.5e-3, jitter=0.05))


def test_a_clock_that_hides_a_fifth_of_a_small_tasks_work_is_flagged() -> None:
    assert "clock-mismatch" in _ids(_rounds(cand_inner=2.5e-3, cand_extra=0.0, fixed=0.7e-3, jitter=0.05))
    assert "clock-mismatch" not in _ids(_rounds(cand_inner=3.2e-3, cand_extra=0.0, fixed=0.7e-3, jitter=0.05))


def _ordered(harm: float, n: int = 80, noise: float = 0.06, seed: int = 1) -> list[Round]:
    """Rounds in random order whose reference is `harm` slower when it runs right after the candidate."""
    rng = np.random.default_rng(seed)
    rounds = []
    for _ in range(n):
        ref_first = bool(rng.random() < 0.5)
        ref = 2e-3 * (1 + noise * rng.standard_normal()) * (1 if ref_first else 1 + harm)
        cand = 2e-3 * (1 + noise * rng.standard_normal())
        rounds.append(_round(_block(ref, ref), _block(cand, cand), ref_first))
    return rounds


def test_a_reference_slowed_only_after_the_candidate_is_harmed() -> None:
    flags = harm_flags(_ordered(harm=0.35))
    assert [f.id for f in flags] == ["reference-harmed"]
    assert "right after the candidate" in flags[0].evidence


def test_the_order_effect_of_honest_candidates_is_not_harm() -> None:
    # Honest runs showed the reference up to 12% slower right after the candidate on a loaded machine.
    for seed in range(20):
        assert harm_flags(_ordered(harm=0.10, seed=seed)) == []


def test_interrupts_aimed_at_the_reference_are_harm() -> None:
    rounds = [
        _round(_block(2e-3, 2e-3, interrupts=40), _block(2e-3, 2e-3, interrupts=1), i % 2 == 0) for i in range(30)
    ]
    flags = harm_flags(rounds)
    assert [f.id for f in flags] == ["reference-harmed"]
    assert "interrupts per second" in flags[0].evidence
    quiet = [_round(_block(2e-3, 2e-3, interrupts=1), _block(2e-3, 2e-3, interrupts=1), i % 2 == 0) for i in range(30)]
    assert harm_flags(quiet) == []
    unknown = [_round(_block(2e-3, 2e-3, interrupts=-1), _block(2e-3, 2e-3, interrupts=-1), True) for _ in range(30)]
    assert harm_flags(unknown) == []
