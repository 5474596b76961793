"""`task.toml`: the metadata a task folder may declare (docs/design.md section 1)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

DType = Literal["float32", "float64", "float16", "bfloat16"]

# fp32 default in the spirit of KernelBench's 1e-4; low-precision dtypes get its 1e-2.
DEFAULT_TOLERANCE: dict[str, tuple[float, float]] = {
    "float64": (1e-7, 1e-7),
    "float32": (1e-4, 1e-4),
    "float16": (1e-2, 1e-2),
    "bfloat16": (1e-2, 1e-2),
}


class Tolerance(BaseModel):
    """Element-wise closeness: |candidate - reference| <= atol + rtol * |reference|."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    atol: float = Field(ge=0)
    rtol: float = Field(ge=0)


class Work(BaseModel):
    """Work per call, for the roofline check: floating-point operations and bytes moved."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    flops: float = Field(default=0.0, ge=0)
    bytes: float = Field(default=0.0, ge=0)


class TaskSpec(BaseModel):
    """Everything `task.toml` may say. Every field is optional; a bare KernelBench file gets the defaults."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    version: int = 1
    description: str = ""
    level: int | None = Field(default=None, ge=1, le=9)
    dtype: DType = "float32"
    tolerance: Tolerance | None = None
    work: Work | None = None
    # Extra sizes a correct candidate must also handle: each entry overrides module-level size constants
    # (for example {batch_size = 3}) before `get_inputs()` is called; the model is not rebuilt.
    extra_sizes: tuple[dict[str, int], ...] = ()
    mutates_inputs: bool = False
    time_budget_s: float | None = Field(default=None, gt=0)

    def effective_tolerance(self) -> Tolerance:
        if self.tolerance is not None:
            return self.tolerance
        atol, rtol = DEFAULT_TOLERANCE[self.dtype]
        return Tolerance(atol=atol, rtol=rtol)
