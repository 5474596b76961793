"""What the analysis child records of a module the graph calls: its class and the settings a rewrite needs.

Runs in the analysis child (imports torch); the parent reads the plain dictionaries it returns.
"""

from __future__ import annotations

from typing import Any

import torch.nn as nn

# Settings worth knowing, by attribute name; read when the module has them.
_FIELDS = (
    "in_features",
    "out_features",
    "in_channels",
    "out_channels",
    "kernel_size",
    "stride",
    "padding",
    "dilation",
    "groups",
    "padding_mode",
    "output_padding",
    "transposed",
    "eps",
    "momentum",
    "affine",
    "track_running_stats",
    "normalized_shape",
    "elementwise_affine",
    "inplace",
    "approximate",
    "min_val",
    "max_val",
    "negative_slope",
    "dim",
    "ceil_mode",
    "count_include_pad",
    "divisor_override",
    "return_indices",
    "start_dim",
    "end_dim",
)


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return repr(value)


def module_info(module: nn.Module) -> dict[str, Any]:
    cls = type(module)
    info: dict[str, Any] = {
        "type": cls.__name__,
        "torch": cls.__module__.startswith("torch.nn."),
        "training": bool(module.training),
    }
    for name in _FIELDS:
        if name in vars(module) or hasattr(type(module), name):
            try:
                info[name] = _plain(getattr(module, name))
            except Exception:  # a property that raises: not worth knowing
                continue
    for name in ("weight", "bias", "running_mean", "running_var"):
        tensor = getattr(module, name, None)
        info["has_" + name] = tensor is not None
    return info
