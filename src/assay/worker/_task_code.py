"""Running a task's own code: import task.py, seed every RNG, build `Model`, draw `get_inputs()`.

Trusted side: task code only, never a candidate (a candidate module is imported the same way, by the candidate
worker). Shared by the evaluator's reference and generator workers and by the task checker's probe
(`assay.vet`), so that a task is loaded, seeded and fed exactly alike by both.
"""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import torch

JSONABLE = (int, float, bool, str, type(None))


def load_module(path: Path, name: str) -> ModuleType:
    """Import a file under `name`, with its folder importable (a task may import a sibling module)."""
    folder = str(path.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def seed_everything(seed: int) -> None:
    torch.manual_seed(seed)
    np.random.seed(seed % (1 << 32))
    random.seed(seed)


def jsonable(value: Any) -> Any:
    """`value` as it crosses to the candidate in JSON: numbers, strings, None and lists of them.

    Raises:
        TypeError: anything else (a tensor among `get_init_inputs()`, say).
    """
    if isinstance(value, JSONABLE):
        return value
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    raise TypeError(f"get_init_inputs() returned a {type(value).__name__}; only numbers, strings and lists cross")


def init_inputs(module: ModuleType, seed: int) -> list[Any]:
    """`get_init_inputs()` with every RNG seeded, as JSON-able values.

    Raises:
        TypeError: a value that cannot cross as JSON; anything the task's code raises.
    """
    seed_everything(seed)
    return jsonable(list(module.get_init_inputs()))  # type: ignore[no-any-return]


def make_inputs(module: ModuleType, seed: int) -> list[Any]:
    """`get_inputs()` with every RNG seeded: plain tensors and scalars only.

    Raises:
        TypeError: something else among the inputs; anything the task's code raises.
    """
    seed_everything(seed)
    inputs = list(module.get_inputs())
    for value in inputs:
        if not isinstance(value, JSONABLE) and type(value) is not torch.Tensor:
            raise TypeError(f"get_inputs() returned a {type(value).__name__}")
    return inputs
