"""Rewrites around convolutions: batch norm with running statistics folded into the convolution's weights,
the activation (and a residual add) fused into oneDNN's convolution, and the channels-last layout.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from assay.search._offline._codegen import path_expr
from assay.search._offline._ir import Const, Graph, Node, Ref
from assay.search._offline._match import become, kind, new_node
from assay.search._offline._pass_linear import _epilogue, _param_code, _residual

_CONVS = ("conv1d", "conv2d", "conv3d")


@dataclass
class _Conv:
    node: Node
    kind: str
    x: Any
    weight: str  # constructor expression
    bias: str | None
    stride: Any
    padding: Any
    dilation: Any
    groups: int


def _spatial(value: Any, n: int) -> Any:
    return [value] * n if isinstance(value, int) else list(value) if isinstance(value, list | tuple) else value


def conv_of(graph: Graph, node: Node) -> _Conv | None:
    """A convolution with zero padding whose weights are known at construction."""
    k = kind(graph, node)
    if k not in _CONVS:
        return None
    n = int(k[-2])
    if node.op == "call_module":
        info = graph.module(node)
        if info.get("padding_mode", "zeros") != "zeros" or info.get("transposed"):
            return None
        bias = path_expr("base", node.target + ".bias") if info.get("has_bias") else None
        return _Conv(
            node,
            k,
            node.args[0],
            path_expr("base", node.target + ".weight"),
            bias,
            _spatial(info["stride"], n),
            _spatial(info["padding"], n),
            _spatial(info["dilation"], n),
            int(info["groups"]),
        )
    weight, bias_value = node.arg(1, "weight"), node.arg(2, "bias")
    w_code = _param_code(graph, weight)
    b_code = None if bias_value is None else _param_code(graph, bias_value)
    if w_code is None or (bias_value is not None and b_code is None):
        return None
    return _Conv(
        node,
        k,
        node.args[0],
        w_code,
        b_code,
        _spatial(node.arg(3, "stride", 1), n),
        _spatial(node.arg(4, "padding", 0), n),
        _spatial(node.arg(5, "dilation", 1), n),
        int(node.arg(6, "groups", 1)),
    )


def _inference_batch_norm(graph: Graph, node: Node) -> tuple[str, str, str | None, str | None, float] | None:
    """(mean, var, gamma, beta, eps) as constructor expressions for `F.batch_norm(..., training=False)`."""
    if node.op != "call_function" or node.target != "torch.nn.functional.batch_norm":
        return None
    if node.arg(5, "training", False) is not False:
        return None
    codes = [node.arg(i, name) for i, name in enumerate(("input", "running_mean", "running_var", "weight", "bias"))]
    mean, var = (_param_code(graph, v) for v in codes[1:3])
    gamma = None if codes[3] is None else _param_code(graph, codes[3])
    beta = None if codes[4] is None else _param_code(graph, codes[4])
    eps = node.arg(7, "eps", 1e-5)
    if (
        mean is None
        or var is None
        or (codes[3] is not None and gamma is None)
        or (codes[4] is not None and beta is None)
    ):
        return None
    return (mean, var, gamma, beta, float(eps)) if isinstance(eps, int | float) else None


def fold_batch_norm(graph: Graph, option: str) -> list[str]:
    """conv -> batch norm (inference) becomes one convolution with scaled weights and a shifted bias."""
    found: list[str] = []
    for node in list(graph.nodes):
        conv = conv_of(graph, node) if node in graph.nodes else None
        users = graph.users(node.name) if conv is not None else []
        if conv is None or len(users) != 1:
            continue
        bn = _inference_batch_norm(graph, users[0])
        if bn is None or users[0].args[0] != Ref(node.name):
            continue
        mean, var, gamma, beta, eps = bn
        call = f"_fold_bn({conv.weight}, {conv.bias}, {mean}, {var}, {gamma}, {beta}, {eps!r})"
        graph.helpers.add("_fold_bn")
        w = graph.add_buffer("k_w", f"{call}[0]")
        b = graph.add_buffer("k_b", f"{call}[1]")
        become(
            users[0],
            "call_function",
            f"torch.nn.functional.{conv.kind}",
            conv.x,
            w,
            b,
            conv.stride,
            conv.padding,
            conv.dilation,
            conv.groups,
        )
        users[0].meta = replace(users[0].meta, storage=graph.new_storage())
        found.append("batch norm folded into a convolution")
    graph.erase_dead()
    return found


def _weight_ref(graph: Graph, conv: _Conv) -> tuple[Any, Any]:
    if conv.node.op != "call_module":
        return conv.node.arg(1, "weight"), conv.node.arg(2, "bias")
    w = new_node(graph, conv.node.name, "weight", "get_attr", conv.node.target + ".weight")
    b = new_node(graph, conv.node.name, "bias", "get_attr", conv.node.target + ".bias") if conv.bias else None
    return w, b


def onednn_conv(graph: Graph, option: str) -> list[str]:
    """2-d convolutions as oneDNN convolutions with the following activation, or residual add (and the
    activation after it), as post-ops."""
    found: list[str] = []
    for node in list(graph.nodes):
        conv = conv_of(graph, node) if node in graph.nodes else None
        if conv is None or conv.kind != "conv2d" or not all(isinstance(v, list) for v in (conv.padding, conv.stride)):
            continue
        geometry = (conv.padding, conv.stride, conv.dilation, conv.groups)
        users = graph.users(node.name)
        user = users[0] if len(users) == 1 else None
        post = _epilogue(graph, user) if user is not None else None
        other = _residual(graph, user, node.name) if user is not None and post is None else None
        w, b = _weight_ref(graph, conv)
        if post is not None and user is not None:
            become(user, "call_function", "torch.ops.mkldnn._convolution_pointwise", conv.x, w, b, *geometry, *post)
            found.append(f"convolution + {post[0]} as one oneDNN convolution")
        elif other is not None and user is not None:
            after = graph.users(user.name)
            unary = _epilogue(graph, after[0]) if len(after) == 1 else None
            last = after[0] if unary is not None else user
            # The out-of-place binary op takes "add" (not "sum") and None (not "none") for no activation.
            attr, scalars, algorithm = unary if unary is not None else (None, [], None)
            become(
                last,
                "call_function",
                "torch.ops.mkldnn._convolution_pointwise.binary",
                conv.x,
                other,
                w,
                b,
                *geometry,
                "add",
                None,
                attr,
                scalars,
                algorithm,
            )
            found.append("convolution + residual add" + (f" + {attr}" if unary else "") + " as one oneDNN convolution")
        else:
            become(
                node,
                "call_function",
                "torch.ops.mkldnn._convolution_pointwise",
                conv.x,
                w,
                b,
                *geometry,
                "none",
                [],
                "",
            )
            found.append("convolution as a oneDNN convolution")
    graph.erase_dead()
    return found


def channels_last(graph: Graph, option: str) -> list[str]:
    """2-d convolutions on channels-last inputs and weights (oneDNN's native layout: no reorders)."""
    found: list[str] = []
    for node in list(graph.nodes):
        conv = conv_of(graph, node) if node in graph.nodes else None
        if conv is None or conv.kind != "conv2d" or len(graph.get(conv.x).meta.shape) != 4:  # type: ignore[union-attr]
            continue
        x = new_node(
            graph, node.name, "x_cl", "call_method", "contiguous", conv.x, memory_format=Const("_torch.channels_last")
        )
        w = graph.add_buffer("k_w", f"{conv.weight}.contiguous(memory_format=_torch.channels_last)")
        _, b = _weight_ref(graph, conv)
        become(
            node,
            "call_function",
            "torch.nn.functional.conv2d",
            x,
            w,
            b,
            conv.stride,
            conv.padding,
            conv.dilation,
            conv.groups,
        )
        found.append("convolution in channels-last layout")
    graph.erase_dead()
    return found
