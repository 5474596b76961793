"""Element-wise comparison semantics: tolerances, NaN and infinity exactly, bfloat16 bytes."""

import numpy as np
import pytest

from assay.verify import compare, from_bytes


def test_identical_arrays_match() -> None:
    a = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
    assert compare(a, a.copy(), 1e-4, 1e-4) is None


def test_error_within_tolerance_passes_and_beyond_fails() -> None:
    a = np.ones((3, 3), dtype=np.float32)
    b = a.copy()
    b[1, 2] += 1.5e-4  # atol + rtol*|1| = 2e-4
    assert compare(a, b, 1e-4, 1e-4) is None
    b[2, 0] += 1e-3
    m = compare(a, b, 1e-4, 1e-4)
    assert m is not None and m.index == (2, 0) and m.count == 1 and m.total == 9


def test_nan_must_match_nan_exactly() -> None:
    a = np.array([1.0, np.nan, 3.0], dtype=np.float32)
    assert compare(a, a.copy(), 1e-4, 1e-4) is None
    m = compare(a, np.array([1.0, 2.0, 3.0], dtype=np.float32), 1e-4, 1e-4)
    assert m is not None and m.index == (1,)
    m = compare(np.array([1.0, 2.0]), np.array([np.nan, 2.0]), 1e-4, 1e-4)
    assert m is not None and m.index == (0,)


def test_all_nan_output_fails() -> None:
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    m = compare(a, np.full_like(a, np.nan), 1e-4, 1e-4)
    assert m is not None and m.count == 6


def test_infinity_must_match_sign_and_position() -> None:
    a = np.array([np.inf, -np.inf, 0.0])
    assert compare(a, a.copy(), 1e-4, 1e-4) is None
    assert compare(a, np.array([-np.inf, -np.inf, 0.0]), 1e-4, 1e-4) is not None
    assert compare(a, np.array([1e30, -np.inf, 0.0]), 1e-4, 1e-4) is not None
    assert compare(np.array([1.0]), np.array([np.inf]), 1e-4, 1e-4) is not None


def test_shape_mismatch_raises() -> None:
    with pytest.raises(ValueError):
        compare(np.zeros((2, 3)), np.zeros((3, 2)), 1e-4, 1e-4)


def test_bfloat16_bytes_widen_exactly() -> None:
    values = np.array([1.0, -2.5, 3.140625], dtype=np.float32)
    top_halves = (values.view(np.uint32) >> 16).astype(np.uint16).tobytes()
    assert np.array_equal(from_bytes(top_halves, "bfloat16", [3]), values)


def test_describe_names_the_element() -> None:
    m = compare(np.zeros(4), np.array([0.0, 0.0, 5.0, 0.0]), 1e-4, 1e-4)
    assert m is not None
    text = m.describe()
    assert "[2]" in text and "got 5.0" in text and "expected 0.0" in text


def test_zero_dimensional_and_strided_outputs() -> None:
    assert compare(np.array(1.5, dtype=np.float32), np.array(1.5, dtype=np.float32), 1e-4, 1e-4) is None
    m = compare(np.array(1.5), np.array(2.5), 1e-4, 1e-4)
    assert m is not None and m.index == () and m.count == 1
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    assert compare(a.T, a.T.copy(), 1e-4, 1e-4) is None


def _exact_bad(expected: np.ndarray, actual: np.ndarray, atol: float, rtol: float) -> int:
    """The semantics, spelled out in float64: elements outside atol + rtol * |expected|, NaN and inf exact."""
    e, a = expected.astype(np.float64), actual.astype(np.float64)
    with np.errstate(invalid="ignore"):
        good = np.abs(a - e) <= atol + rtol * np.abs(e)
    good &= np.isfinite(e)
    good |= (np.isnan(e) & np.isnan(a)) | (np.isinf(e) & (a == e))
    return int((~good).sum())


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
@pytest.mark.parametrize("seed", range(4))
def test_the_fast_path_agrees_with_the_exact_semantics_at_the_limit(dtype: type, seed: int) -> None:
    # Errors packed around the limit (0.999-1.001 of it), across more than one chunk of the fast test.
    rng = np.random.default_rng(seed)
    atol, rtol = 1e-3, 1e-2
    e = (rng.standard_normal(600_000) * 10).astype(dtype)
    limit = atol + rtol * np.abs(e.astype(np.float64))
    a = (e.astype(np.float64) + rng.choice([-1, 1], e.size) * limit * rng.uniform(0.999, 1.001, e.size)).astype(dtype)
    if seed % 2:  # mostly inside, so that the fast path is what decides
        a = np.where(rng.random(e.size) < 0.9999, e, a)
    expected_bad = _exact_bad(e, a, atol, rtol)
    m = compare(e, a, atol, rtol)
    assert (m is None) == (expected_bad == 0)
    assert m is None or m.count == expected_bad


def test_an_infinite_error_against_an_infinite_reference_is_caught_by_the_fast_path() -> None:
    e = np.array([np.inf, 1.0] * 1000, dtype=np.float32)
    assert compare(e, np.where(np.isinf(e), 1.0, e).astype(np.float32), 1e-4, 1e-4) is not None
    assert compare(e, e.copy(), 1e-4, 1e-4) is None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_fast_path_decides_errors_just_inside_and_leaves_the_edge_to_the_exact_test(dtype: type) -> None:
    from assay.verify._compare import _surely_close

    rng = np.random.default_rng(7)
    atol, rtol = 1e-3, 1e-2
    e = (rng.standard_normal(300_000) * 10).astype(dtype)
    limit = atol + rtol * np.abs(e.astype(np.float64))
    inside = (e + limit * rng.uniform(0.5, 0.999, e.size)).astype(dtype)
    assert _exact_bad(e, inside, atol, rtol) == 0
    assert _surely_close(e, inside, atol, rtol)  # decided in the outputs' own precision
    assert compare(e, inside, atol, rtol) is None
    # Within a millionth of the limit the fast test abstains; the exact one still accepts what is inside.
    edge = inside.copy()
    edge[123] = e[123] + dtype(limit[123] * (1 - 2e-7))
    assert not _surely_close(e, edge, atol, rtol)
    assert (compare(e, edge, atol, rtol) is None) == (_exact_bad(e, edge, atol, rtol) == 0)
