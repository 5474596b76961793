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
