"""Element-by-element comparison of raw output bytes, done by trusted code in the orchestrator.

Both sides arrive as bytes; the dtype and shape come from the reference. Nothing from the candidate is ever
called: no `==`, no `allclose` on its objects (exploits.md `eq-override`, `checker-lib-patch`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NUMPY_DTYPES: dict[str, str] = {
    "float64": "float64",
    "float32": "float32",
    "float16": "float16",
    "int64": "int64",
    "int32": "int32",
    "int16": "int16",
    "int8": "int8",
    "uint8": "uint8",
    "bool": "bool",
    "complex64": "complex64",
    "complex128": "complex128",
}


def from_bytes(data: bytes | bytearray | memoryview, dtype: str, shape: list[int]) -> np.ndarray:
    """An array of `dtype` and `shape` over raw bytes; bfloat16 is widened to float32 exactly."""
    if dtype == "bfloat16":
        # bfloat16 is the top half of a float32: shift the 16 bits up and reinterpret.
        halves = np.frombuffer(data, dtype=np.uint16).astype(np.uint32) << 16
        return halves.view(np.float32).reshape(shape)
    return np.frombuffer(data, dtype=NUMPY_DTYPES[dtype]).reshape(shape)


@dataclass(frozen=True)
class Mismatch:
    """Where an output differs from the reference: the first bad element and how many are bad."""

    index: tuple[int, ...]
    expected: float
    actual: float
    count: int
    total: int
    max_abs_error: float

    def describe(self) -> str:
        where = "[" + ", ".join(map(str, self.index)) + "]"
        return (
            f"{self.count} of {self.total} elements differ; first at {where}: "
            f"got {self.actual!r}, expected {self.expected!r} (largest absolute error {self.max_abs_error:.3g})"
        )


def compare(expected: np.ndarray, actual: np.ndarray, atol: float, rtol: float) -> Mismatch | None:
    """None when every element of `actual` is close to `expected`, else the first mismatch.

    Close means |actual - expected| <= atol + rtol * |expected| for finite values; a NaN must face a NaN
    and an infinity the same infinity, exactly where the reference has them and nowhere else.

    Raises:
        ValueError: the shapes differ.
    """
    if expected.shape != actual.shape:
        raise ValueError(f"shape {actual.shape} differs from the reference's {expected.shape}")
    if expected.dtype == actual.dtype and np.array_equal(_raw(expected), _raw(actual)):
        return None  # bit-identical, NaNs and infinities included
    wide = np.complex128 if np.iscomplexobj(expected) else np.float64
    e = expected.astype(wide)
    a = actual.astype(wide)
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.abs(a - e)
        limit = np.abs(e)
        limit *= rtol
        limit += atol
        good = err <= limit  # False wherever either side is NaN, or the error is infinite
        good &= np.isfinite(limit)  # an infinite reference is matched only by the same infinity, below
    if bool(good.all()):
        return None
    # Only the few elements that failed the plain test can still be a matching NaN or infinity.
    flat = np.flatnonzero(~good)
    ef, af = e.reshape(-1)[flat], a.reshape(-1)[flat]
    special = (np.isnan(ef) & np.isnan(af)) | (np.isinf(ef) & (af == ef))
    bad = flat[~special]
    if bad.size == 0:
        return None
    first = np.unravel_index(int(bad[0]), e.shape) if e.ndim else ()
    errors = err.reshape(-1)[bad].real
    finite_errors = errors[np.isfinite(errors)]
    return Mismatch(
        index=tuple(int(i) for i in first),
        expected=_scalar(e[first]),
        actual=_scalar(a[first]),
        count=int(bad.size),
        total=int(e.size),
        max_abs_error=float(finite_errors.max()) if finite_errors.size else float("inf"),
    )


def _raw(a: np.ndarray) -> np.ndarray:
    """The bytes of `a` as a flat uint8 array (0-d and non-contiguous arrays included)."""
    return np.ascontiguousarray(a).reshape(-1).view(np.uint8)


def _scalar(value: np.generic | np.ndarray) -> float:
    v = complex(value) if np.iscomplexobj(value) else float(value)
    return abs(v) if isinstance(v, complex) else v
