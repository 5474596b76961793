"""Rewrites around linear layers: one GEMM for several layers that read the same input; scales, offsets and
row-centering folded into the weights at construction; the activation or residual add that follows fused
into oneDNN's matmul (`torch.ops.mkldnn._linear_pointwise`), optionally with prepacked weights.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from assay.search._offline._codegen import path_expr
from assay.search._offline._ir import Graph, Meta, Node, Ref
from assay.search._offline._match import become, is_scalar, kind, last_dim, new_node


@dataclass
class _Linear:
    node: Node
    x: Any
    weight: str  # constructor expression (over `base` and earlier buffers)
    bias: str | None


def _param_code(graph: Graph, value: Any) -> str | None:
    node = graph.get(value) if isinstance(value, Ref) else None
    if node is not None and node.op == "get_attr":
        return path_expr("base", node.target)
    if isinstance(value, Ref) and any(b.name == value.name for b in graph.buffers):
        return f"self.{value.name}"
    return None


def linear_of(graph: Graph, node: Node) -> _Linear | None:
    """A linear layer, as a module call or `F.linear` on weights known at construction."""
    if kind(graph, node) != "linear" or len(node.args) < 1:
        return None
    x_node = graph.get(node.args[0])
    if x_node is None or not x_node.meta.tensor or x_node.meta.dtype != "float32":
        return None
    if node.op == "call_module":
        info = graph.module(node)
        bias = path_expr("base", node.target + ".bias") if info.get("has_bias") else None
        return _Linear(node, node.args[0], path_expr("base", node.target + ".weight"), bias)
    weight = node.arg(1, "weight")
    bias_value = node.arg(2, "bias")
    w_code = _param_code(graph, weight)
    b_code = None if bias_value is None else _param_code(graph, bias_value)
    if w_code is None or (bias_value is not None and b_code is None):
        return None
    return _Linear(node, node.args[0], w_code, b_code)


def _param_refs(graph: Graph, lin: _Linear) -> tuple[Ref, Ref | None]:
    """References usable in forward for the layer's weight and bias."""
    if lin.node.op != "call_module":
        return lin.node.arg(1, "weight"), lin.node.arg(2, "bias")
    w = new_node(graph, lin.node.name, "weight", "get_attr", lin.node.target + ".weight")
    b = new_node(graph, lin.node.name, "bias", "get_attr", lin.node.target + ".bias") if lin.bias else None
    return w, b


def fuse_shared_input(graph: Graph, option: str) -> list[str]:
    """Linear layers reading the same tensor (q, k, v projections) become one GEMM and a split."""
    groups: dict[str, list[_Linear]] = {}
    for node in graph.nodes:
        lin = linear_of(graph, node)
        if lin is not None and node.op == "call_module" and isinstance(lin.x, Ref):
            groups.setdefault(lin.x.name, []).append(lin)
    found: list[str] = []
    for members in groups.values():
        if len(members) < 2 or len({m.bias is None for m in members}) != 1:
            continue
        outs = [m.node.meta.shape[-1] for m in members]
        first = members[0].node
        w = graph.add_buffer("k_w", f"_torch.cat([{', '.join(m.weight for m in members)}]).contiguous()")
        b = (
            None
            if members[0].bias is None
            else graph.add_buffer("k_b", f"_torch.cat([{', '.join(str(m.bias) for m in members)}]).contiguous()")
        )
        storage = graph.new_storage()
        shape = (*first.meta.shape[:-1], sum(outs))
        fused_meta = Meta(tensor=True, shape=shape, stride=_contiguous(shape), dtype="float32", storage=storage)
        fused = new_node(
            graph,
            first.name,
            "fused_linear",
            "call_function",
            "torch.nn.functional.linear",
            members[0].x,
            w,
            b,
            meta=fused_meta,
        )
        parts = new_node(graph, first.name, "parts", "call_method", "split", fused, outs, -1)
        for i, m in enumerate(members):
            become(m.node, "call_function", "operator.getitem", parts, i)
            m.node.meta = replace(m.node.meta, storage=storage)
            for user in graph.users(m.node.name):
                if user.op == "call_method" and user.target == "view":
                    user.target = "reshape"  # a slice of the fused output may not be viewable
        found.append(f"{len(members)} linear layers on one input as one GEMM")
    graph.erase_dead()
    return found


def _contiguous(shape: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(math.prod(shape[i + 1 :]) for i in range(len(shape)))


def _scalar_step(graph: Graph, node: Node, cur: str) -> tuple[str, Any] | None:
    """`cur * s`, `s * cur`, `cur / s`, `cur + s`, `s + cur`, `cur - s`: the operation and the scalar."""
    k = kind(graph, node)
    if k not in ("mul", "div", "add", "sub") or node.kwargs or len(node.args) != 2:
        return None
    a, b = node.args
    if isinstance(a, Ref) and a.name == cur and is_scalar(b):
        return k, b
    if isinstance(b, Ref) and b.name == cur and is_scalar(a) and k in ("mul", "add"):
        return k, a
    return None


def _centering(graph: Graph, cur: Node) -> Node | None:
    """`y - y.mean(-1, keepdim=True)` where y is `cur`: returns the subtraction."""
    users = graph.users(cur.name)
    if len(users) != 2 or not cur.meta.tensor:
        return None
    mean = next((u for u in users if kind(graph, u) == "mean"), None)
    sub = next((u for u in users if kind(graph, u) == "sub"), None)
    if mean is None or sub is None or graph.users(mean.name) != [sub] or sub.args != (Ref(cur.name), Ref(mean.name)):
        return None
    dim = mean.arg(1, "dim")
    keepdim = mean.args[2] if len(mean.args) > 2 else mean.kwargs.get("keepdim", False)
    extra = set(mean.kwargs) - {"dim", "keepdim"}
    return sub if keepdim is True and not extra and last_dim(dim, len(cur.meta.shape)) else None


def fold_into_weights(graph: Graph, option: str) -> list[str]:
    """Scales, scalar offsets and row-centering after a linear layer, folded into its weight and bias."""
    found: list[str] = []
    for node in list(graph.nodes):
        lin = linear_of(graph, node) if node in graph.nodes else None
        if lin is None:
            continue
        w, b = lin.weight, lin.bias
        cur, steps = node, list[str]()
        while True:
            users = graph.users(cur.name)
            step = _scalar_step(graph, users[0], cur.name) if len(users) == 1 else None
            if step is not None:
                op, s = step
                if op in ("mul", "div"):
                    sym = "*" if op == "mul" else "/"
                    w, b = f"({w} {sym} {s!r})", None if b is None else f"({b} {sym} {s!r})"
                else:
                    sym = "+" if op == "add" else "-"
                    base_b = b if b is not None else f"{w}.new_zeros({w}.shape[0])"
                    b = f"({base_b} {sym} {s!r})"
                cur, steps = users[0], [*steps, op]
                continue
            sub = _centering(graph, cur)
            if sub is not None:
                w = f"({w} - {w}.mean(0, keepdim=True))"
                b = None if b is None else f"({b} - {b}.mean())"
                cur, steps = sub, [*steps, "centering"]
                continue
            break
        if not steps:
            continue
        w_ref = graph.add_buffer("k_w", f"{w}.contiguous()")
        b_ref = None if b is None else graph.add_buffer("k_b", f"{b}.contiguous()")
        become(cur, "call_function", "torch.nn.functional.linear", lin.x, w_ref, b_ref)
        cur.meta = replace(cur.meta, storage=graph.new_storage())
        found.append(" and ".join(steps) + " folded into a linear layer")
    graph.erase_dead()
    return found


def _epilogue(graph: Graph, user: Node) -> tuple[str, list[float], str] | None:
    """The oneDNN post-op for an activation: (attr, scalars, algorithm)."""
    k = kind(graph, user)
    info = graph.module(user)
    simple = {"relu": "relu", "sigmoid": "sigmoid", "tanh": "tanh", "silu": "swish"}
    if k in simple and len(user.args) == 1 and not user.kwargs:
        return simple[k], [], ""
    if k == "gelu" and len(user.args) == 1:
        approximate = info.get("approximate") if info else user.kwargs.get("approximate", "none")
        return (
            ("gelu", [], "tanh" if approximate == "tanh" else "none") if set(user.kwargs) <= {"approximate"} else None
        )
    if k == "clamp":
        lo, hi = user.arg(1, "min"), user.arg(2, "max")
        if is_scalar(lo) and is_scalar(hi) and lo <= hi:
            return "hardtanh", [float(lo), float(hi)], ""
    if k == "hardtanh" and info:
        return "hardtanh", [float(info.get("min_val", -1.0)), float(info.get("max_val", 1.0))], ""
    return None


def _residual(graph: Graph, user: Node, cur: str) -> Any:
    """The other operand of `cur + other` when it has the output's shape (no broadcasting)."""
    if kind(graph, user) != "add" or user.kwargs or len(user.args) != 2:
        return None
    a, b = user.args
    other = b if isinstance(a, Ref) and a.name == cur else a if isinstance(b, Ref) and b.name == cur else None
    other_node = graph.get(other)
    if other_node is None or other_node.meta.shape != user.meta.shape or other_node.meta.dtype != "float32":
        return None
    return other


def onednn_linear(graph: Graph, option: str) -> list[str]:
    """Linear layers as oneDNN matmuls, with the following activation or residual add as a post-op;
    `packed` also reorders each weight once into oneDNN's blocked layout."""
    found: list[str] = []
    for node in list(graph.nodes):
        lin = linear_of(graph, node) if node in graph.nodes else None
        if lin is None:
            continue
        users = graph.users(node.name)
        user = users[0] if len(users) == 1 else None
        post = _epilogue(graph, user) if user is not None else None
        other = _residual(graph, user, node.name) if user is not None and post is None else None
        w, b = _param_refs(graph, lin)
        if option == "packed":
            rows = math.prod(graph.get(lin.x).meta.shape[:-1])  # type: ignore[union-attr]
            w = graph.add_buffer("k_packed", f"_torch.ops.mkldnn._reorder_linear_weight({lin.weight}.detach(), {rows})")
        if post is not None and user is not None:
            become(user, "call_function", "torch.ops.mkldnn._linear_pointwise", lin.x, w, b, *post)
            found.append(f"linear + {post[0]} as one oneDNN matmul")
        elif other is not None and user is not None:
            become(user, "call_function", "torch.ops.mkldnn._linear_pointwise.binary", lin.x, other, w, b, "add")
            found.append("linear + residual add as one oneDNN matmul")
        else:
            become(node, "call_function", "torch.ops.mkldnn._linear_pointwise", lin.x, w, b, "none", [], "")
            found.append("linear as a oneDNN matmul")
    graph.erase_dead()
    return found
