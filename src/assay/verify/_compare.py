"""Element-by-element comparison of raw output bytes, done by trusted code in the orchestrator.

Both sides arrive as bytes; the dtype and shape come from the reference. Nothing from the candidate is ever
called: no `==`, no `allclose` on its objects (docs/exploits.md `eq-override`, `checker-lib-patch`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Bytes = bytes | bytearray | memoryview  # raw output or input bytes, a copy or a view of a channel

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


def from_bytes(data: Bytes, dtype: str, shape: list[int]) -> np.ndarray:
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
    same_dtype = expected.dtype == actual.dtype
    if same_dtype and (_equal_bytes(_raw(expected), _raw(actual)) or _surely_close(expected, actual, atol, rtol)):
        return None  # bit-identical (NaNs and infinities included), or within the tolerance with a margin
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


_CHUNK = 1 << 18  # elements per step of the fast tests: their temporaries stay in the CPU's cache
_MARGIN = 1 - 1e-6  # the fast test's limit is this much tighter than the exact one, far above its rounding


def _surely_close(expected: np.ndarray, actual: np.ndarray, atol: float, rtol: float) -> bool:
    """True only if every element is within the tolerance, tested in the outputs' own precision in chunks.

    The exact test widens everything to float64 and makes several full-size temporaries: 75 ms for a 25 MB
    float32 output here, more than the call it checks. This one runs in float32 (float64 for float64), so each
    step rounds by up to 2^-24 of its value; with the limit tightened by `_MARGIN` (about 17 such roundings),
    what it accepts the exact test accepts too. Anything it does not accept (a NaN, an infinity, an element
    near the limit or past it) is left to the exact test: False means "not decided here".
    """
    if expected.dtype.kind != "f" or expected.size == 0:
        return False
    dtype = np.float64 if expected.dtype == np.float64 else np.float32
    e_flat, a_flat = expected.reshape(-1), actual.reshape(-1)
    scale, offset = dtype(rtol * _MARGIN), dtype(atol * _MARGIN)
    largest = np.finfo(dtype).max  # an infinite limit (the reference is infinite) must not accept an infinite error
    size = min(e_flat.size, _CHUNK)
    err, limit, good = np.empty(size, dtype), np.empty(size, dtype), np.empty(size, bool)
    for start in range(0, e_flat.size, _CHUNK):
        e = e_flat[start : start + _CHUNK]
        n = e.size
        with np.errstate(invalid="ignore", over="ignore"):
            np.subtract(a_flat[start : start + n], e, out=err[:n], dtype=dtype)
            np.abs(err[:n], out=err[:n])
            np.abs(e, out=limit[:n], dtype=dtype)
            np.multiply(limit[:n], scale, out=limit[:n])
            np.add(limit[:n], offset, out=limit[:n])
            np.minimum(limit[:n], largest, out=limit[:n])
            np.less_equal(err[:n], limit[:n], out=good[:n])
        if not good[:n].all():
            return False
    return True


def same_bytes(a: Bytes, b: Bytes) -> bool:
    """Whether two buffers hold the same bytes, compared in place (a memoryview's own == goes byte by byte in
    Python, 4.5 ms per 1.5 MB here; this runs at memory speed)."""
    return _equal_bytes(np.frombuffer(a, dtype=np.uint8), np.frombuffer(b, dtype=np.uint8))


def _equal_bytes(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal uint8 arrays, compared in chunks (one full-size comparison would allocate as many bytes again)."""
    step = _CHUNK * 4
    return a.size == b.size and all(np.array_equal(a[i : i + step], b[i : i + step]) for i in range(0, a.size, step))


def _raw(a: np.ndarray) -> np.ndarray:
    """The bytes of `a` as a flat uint8 array (0-d and non-contiguous arrays included)."""
    return np.ascontiguousarray(a).reshape(-1).view(np.uint8)


def _scalar(value: np.generic | np.ndarray) -> float:
    v = complex(value) if np.iscomplexobj(value) else float(value)
    return abs(v) if isinstance(v, complex) else v
