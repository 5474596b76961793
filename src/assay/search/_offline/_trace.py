"""The analysis child: `python -m assay.search._offline._trace TASK_FILE [EXTRA_SIZES_JSON]`.

Trusted, but run as a separate process (never in the orchestrator) so that a task whose import or constructor
has side effects, is slow or crashes costs one child. It imports the task, builds `Model` under a fake-tensor
mode (nothing full-size is allocated, so a KernelBench file with gigabyte inputs is analysed in a second),
traces `forward` with torch.fx and propagates fake tensors through the graph for shapes, strides and aliasing.
It prints one JSON object on its own descriptor (what the task prints goes to stderr): the graph in a plain
form, the modules it calls, and the input shapes of every size the task declares. Failure is data: `traced`
false with the reason, so that the proposer falls back to whole-module transformations.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import math
import os
import sys
import textwrap
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import torch
import torch.fx
import torch.nn.functional as F
from torch._subclasses.fake_tensor import FakeTensorMode
from torch.fx.node import _get_qualified_name
from torch.fx.passes.fake_tensor_prop import FakeTensorProp
from torch.multiprocessing.reductions import StorageWeakRef

from assay.search._offline._modinfo import module_info

TRACE_VERSION = 1
# Factories that fx cannot trace when a size is a traced value (torch.ones(n, n) with n = x.shape[-2]).
_FACTORIES = ("ones", "zeros", "empty", "full", "arange", "eye", "tril_indices", "triu_indices")


def _target_name(fn: Any, task_module: str) -> str:
    name = _get_qualified_name(fn)
    if name.startswith("_operator."):
        name = "operator." + name.removeprefix("_operator.")
    if name.startswith("torch._C._nn."):
        short = name.removeprefix("torch._C._nn.")
        if getattr(F, short, None) is fn:
            name = "torch.nn.functional." + short
    if name.startswith(task_module + "."):
        name = "task." + name.removeprefix(task_module + ".")
    root = name.split(".")[0]
    if root not in ("torch", "math", "operator", "task") and "." in name:
        raise TypeError(f"the graph calls {name}, which a candidate cannot name")
    return name


def _encode(value: Any) -> Any:
    """A graph argument in JSON: node references and non-JSON values become one-key objects."""
    if isinstance(value, torch.fx.Node):
        return {"node": value.name}
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"float": repr(value)}
    if isinstance(value, tuple):
        return {"tuple": [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {"dict": {str(k): _encode(v) for k, v in value.items()}}
    if isinstance(value, slice):
        return {"slice": [_encode(value.start), _encode(value.stop), _encode(value.step)]}
    if isinstance(value, torch.dtype):
        return {"dtype": str(value).removeprefix("torch.")}
    if isinstance(value, torch.device):
        return {"device": str(value)}
    if isinstance(value, torch.memory_format):
        return {"memory_format": str(value).removeprefix("torch.")}
    if value is Ellipsis:
        return {"ellipsis": True}
    raise TypeError(f"a graph argument of type {type(value).__name__} cannot be written out")


@contextmanager
def _traceable_factories(tracer: torch.fx.Tracer) -> Any:
    """Let `torch.ones(n, n)` with a traced n become a graph node, as fx does for math.sqrt."""

    def wrap(original: Any) -> Any:
        def factory(*args: Any, **kwargs: Any) -> Any:
            flat = [*args, *kwargs.values()]
            flat += [v for a in flat if isinstance(a, list | tuple) for v in a]
            if any(isinstance(a, torch.fx.Proxy) for a in flat):
                return tracer.create_proxy("call_function", original, args, kwargs)
            return original(*args, **kwargs)

        return factory

    originals = {name: getattr(torch, name) for name in _FACTORIES}
    try:
        for name, fn in originals.items():
            setattr(torch, name, wrap(fn))
        yield
    finally:
        for name, fn in originals.items():
            setattr(torch, name, fn)


def _meta(value: Any, storages: dict[Any, int], index: int) -> dict[str, Any]:
    if isinstance(value, torch.Tensor):
        ref = StorageWeakRef(value.untyped_storage())  # type: ignore[no-untyped-call]
        label = storages.setdefault(ref, index)
        return {
            "tensor": True,
            "shape": list(value.shape),
            "stride": list(value.stride()),
            "dtype": str(value.dtype).removeprefix("torch."),
            "storage": label,
        }
    if isinstance(value, bool | int | float):
        return {"tensor": False, "value": value if not isinstance(value, float) or math.isfinite(value) else None}
    if isinstance(value, torch.Size):
        return {"tensor": False, "size": list(value)}
    if isinstance(value, tuple | list) and all(isinstance(v, torch.Tensor) for v in value):
        return {"tensor": False, "tensors": [_meta(v, storages, index) for v in value]}
    return {"tensor": False}


def _brief(value: Any) -> Any:
    """A value at another size: a tensor's shape, or a number."""
    if isinstance(value, torch.Tensor):
        return {"shape": list(value.shape)}
    if isinstance(value, bool | int) or (isinstance(value, float) and math.isfinite(value)):
        return {"value": value}
    return {}


def _input_shapes(module: Any, mode: FakeTensorMode, sizes: dict[str, int]) -> tuple[list[Any], list[Any]]:
    """Fake inputs at these sizes, and their description."""
    saved = {k: getattr(module, k) for k in sizes}
    try:
        for k, v in sizes.items():
            setattr(module, k, v)
        with mode:
            values = list(module.get_inputs())
    finally:
        for k, v in saved.items():
            setattr(module, k, v)
    out: list[Any] = []
    for v in values:
        if isinstance(v, torch.Tensor):
            out.append({"shape": list(v.shape), "dtype": str(v.dtype).removeprefix("torch.")})
        elif isinstance(v, bool | int | float):
            out.append({"scalar": v})
        else:
            raise TypeError(f"get_inputs() returned a {type(v).__name__}")
    return values, out


def _forward_source(model: Any) -> str | None:
    """The source of `Model.forward`, for source-level rewrites when the graph cannot be traced."""
    try:
        return textwrap.dedent(inspect.getsource(type(model).forward))
    except (OSError, TypeError):
        return None


def analyse(task_file: Path, extra_sizes: list[dict[str, int]]) -> dict[str, Any]:
    spec = importlib.util.spec_from_file_location("assay_task", task_file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["assay_task"] = module
    spec.loader.exec_module(module)
    mode = FakeTensorMode(allow_non_fake_inputs=True)
    init_inputs = list(module.get_init_inputs())
    with mode:
        model = module.Model(*init_inputs)
    result: dict[str, Any] = {
        "version": TRACE_VERSION,
        "init_inputs": [v if isinstance(v, bool | int | float | str) else None for v in init_inputs],
        "input_shapes": [_input_shapes(module, mode, sizes)[1] for sizes in [{}, *extra_sizes]],
        "traced": False,
    }
    try:
        tracer = torch.fx.Tracer()
        with ExitStack() as stack:
            stack.enter_context(_traceable_factories(tracer))
            graph = tracer.trace(model)
        gm = torch.fx.GraphModule(model, graph)
        other_sizes = []
        for sizes in extra_sizes:  # values and shapes at the other sizes: which numbers are constants
            FakeTensorProp(gm, mode).propagate(*_input_shapes(module, mode, sizes)[0])
            other_sizes.append({n.name: _brief(n.meta.get("val")) for n in gm.graph.nodes})
        FakeTensorProp(gm, mode).propagate(*_input_shapes(module, mode, {})[0])
    except Exception as exc:  # any failure to trace is an answer: fall back to whole-module changes
        result["trace_error"] = f"{type(exc).__name__}: {exc}"[:500]
        result["forward_source"] = _forward_source(model)
        result["modules"] = {name: module_info(m) for name, m in model.named_modules() if name}
        return result
    storages: dict[Any, int] = {}
    nodes: list[dict[str, Any]] = []
    for index, node in enumerate(gm.graph.nodes):
        target = node.target if isinstance(node.target, str) else _target_name(node.target, "assay_task")
        entry = {
            "name": node.name,
            "op": node.op,
            "target": target,
            "args": [_encode(a) for a in node.args],
            "kwargs": {k: _encode(v) for k, v in node.kwargs.items()},
            "meta": _meta(node.meta.get("val"), storages, index),
            "other_sizes": [other[node.name] for other in other_sizes],
        }
        nodes.append(entry)
    called = {n.target for n in gm.graph.nodes if n.op == "call_module"}
    result["traced"] = True
    result["nodes"] = nodes
    result["modules"] = {str(t): module_info(gm.get_submodule(str(t))) for t in sorted(called)}
    result["training"] = bool(model.training)
    return result


def main() -> None:
    out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # what the task prints must not corrupt the answer
    task_file = Path(sys.argv[1])
    extra = json.loads(sys.argv[2]) if len(sys.argv) > 2 else []
    torch.set_num_threads(1)
    try:
        answer = analyse(task_file, extra)
    except Exception as exc:
        answer = {"version": TRACE_VERSION, "error": f"{type(exc).__name__}: {exc}"[:500]}
    out.write(json.dumps(answer, allow_nan=False) + "\n")
    out.flush()


if __name__ == "__main__":
    main()
