"""Written-out attention: `softmax(q @ k^T / c [masked causally]) @ v` to `F.scaled_dot_product_attention`,
or, where only the probabilities are returned, the scale moved from the (n x n) scores onto q (n x d).

A rewrite is made only when the graph proves it: the transpose swaps the last two dimensions, the softmax is
over the last one, the mask is `triu(ones(n, n), diagonal=1)` filled with -inf over square scores, and the
scale equals 1/sqrt(head_dim) at every size the task declares (or is a constant, passed as `scale=`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from assay.search._offline._ir import Graph, Node, Ref
from assay.search._offline._match import become, is_neg_inf, is_scalar, kind, last_dim, new_node, producer


@dataclass
class _Scores:
    """`scores = (q @ k^T) op c`: the nodes and what the scale is."""

    matmul: Node
    q: Any
    k: Any
    scaled: Node | None  # the div or mul node, None when unscaled
    divisor: Any  # c when scaled by division, else None
    factor: Any  # c when scaled by multiplication, else None


def _transposed_last_two(graph: Graph, value: Any) -> Any:
    """The tensor whose last two dimensions `value` swaps, or None."""
    node = producer(graph, value, "transpose")
    if node is None or node.kwargs or len(node.args) != 3 or not node.meta.tensor:
        return None
    ndim = len(node.meta.shape)
    dims = {d % ndim if isinstance(d, int) else None for d in node.args[1:]}
    return node.args[0] if dims == {ndim - 2, ndim - 1} else None


def _scores(graph: Graph, value: Any) -> _Scores | None:
    node = graph.get(value)
    if node is None or len(graph.users(node.name)) != 1:
        return None
    scaled: Node | None = None
    divisor = factor = None
    k = kind(graph, node)
    if k in ("div", "mul") and len(node.args) == 2 and not node.kwargs:
        scaled = node
        first, second = node.args
        if k == "mul" and graph.get(first) is not None and kind(graph, graph.get(first)) != "matmul":
            first, second = second, first
        divisor, factor = (second, None) if k == "div" else (None, second)
        node = graph.get(first)
        if node is None or len(graph.users(node.name)) != 1:
            return None
    if kind(graph, node) != "matmul" or node.kwargs or len(node.args) != 2:
        return None
    k_tensor = _transposed_last_two(graph, node.args[1])
    if k_tensor is None:
        return None
    return _Scores(node, node.args[0], k_tensor, scaled, divisor, factor)


def _everywhere(graph: Graph, value: Any) -> list[float] | None:
    """A scale's value at every declared size (a constant, or a node the analysis evaluated)."""
    if is_scalar(value):
        return [float(value)]
    node = graph.get(value)
    if node is None or node.meta.tensor:
        return None
    values = node.meta.values_everywhere()
    return None if any(not is_scalar(v) for v in values) else [float(v) for v in values]


def _head_dims(graph: Graph, q: Any) -> list[int]:
    node = graph.get(q)
    return [s[-1] for s in node.meta.shapes_everywhere() if s] if node is not None else []


def _scale(graph: Graph, s: _Scores) -> tuple[bool, float | None]:
    """(ok, scale): scale None means SDPA's default 1/sqrt(head_dim)."""
    if s.scaled is None:
        return True, 1.0
    value = s.divisor if s.divisor is not None else s.factor
    values = _everywhere(graph, value)
    heads = _head_dims(graph, s.q)
    if not values or not heads or any(v == 0 for v in values):
        return False, None
    scales = [1.0 / v if s.divisor is not None else v for v in values]
    if len(scales) == len(heads) and all(
        math.isclose(sc, 1 / math.sqrt(h), rel_tol=1e-9) for sc, h in zip(scales, heads, strict=True)
    ):
        return True, None
    if is_scalar(value):
        return True, scales[0]
    return False, None


def _causal_mask(graph: Graph, value: Any, scores: Node) -> bool:
    """`triu(ones(n, n, dtype=bool), diagonal=1)` over square scores at every declared size."""
    mask = producer(graph, value, "triu")
    if mask is None:
        return False
    diagonal = mask.args[1] if len(mask.args) > 1 else mask.kwargs.get("diagonal", 0)
    ones = producer(graph, mask.args[0], "ones")
    if diagonal != 1 or ones is None or ones.kwargs.get("dtype") is None or "bool" not in str(ones.kwargs["dtype"]):
        return False
    shapes = scores.meta.shapes_everywhere()
    masks = mask.meta.shapes_everywhere()
    return len(shapes) == len(masks) and all(
        len(s) >= 2 and s[-1] == s[-2] and tuple(m) == tuple(s[-2:]) for s, m in zip(shapes, masks, strict=True)
    )


def scaled_dot_product(graph: Graph, option: str) -> list[str]:
    found: list[str] = []
    for out in list(graph.nodes):
        if kind(graph, out) != "matmul" or out.kwargs or len(out.args) != 2:
            continue
        probs = producer(graph, out.args[0], "softmax")
        if probs is None or len(graph.users(probs.name)) != 1 or not probs.meta.tensor:
            continue
        dim = probs.args[1] if len(probs.args) > 1 else probs.kwargs.get("dim")
        if set(probs.kwargs) - {"dim"} or not last_dim(dim, len(probs.meta.shape)):
            continue
        scores_value, causal = probs.args[0], False
        filled = producer(graph, scores_value, "masked_fill")
        if filled is not None:
            if len(filled.args) != 3 or not is_neg_inf(filled.args[2]) or len(graph.users(filled.name)) != 1:
                continue
            if not _causal_mask(graph, filled.args[1], filled):
                continue
            scores_value, causal = filled.args[0], True
        s = _scores(graph, scores_value)
        if s is None or not _same_batch(graph, s.q, s.k, out.args[1]):
            continue
        ok, scale = _scale(graph, s)
        if not ok:
            continue
        kwargs: dict[str, Any] = {"is_causal": True} if causal else {}
        if scale is not None:
            kwargs["scale"] = scale
        become(
            out, "call_function", "torch.nn.functional.scaled_dot_product_attention", s.q, s.k, out.args[1], **kwargs
        )
        found.append("causal attention" if causal else "attention")
    graph.erase_dead()
    return found


def _same_batch(graph: Graph, q: Any, k: Any, v: Any) -> bool:
    nodes = [graph.get(x) for x in (q, k, v)]
    if any(n is None or not n.meta.tensor or n.meta.dtype != "float32" for n in nodes):
        return False
    qs, ks, vs = (n.meta.shape for n in nodes if n is not None)
    return len(qs) >= 3 and qs[:-2] == ks[:-2] == vs[:-2] and qs[-1] == ks[-1] and ks[-2] == vs[-2]


def scale_on_query(graph: Graph, option: str) -> list[str]:
    """`(q @ k^T) / c` -> `(q * (1/c)) @ k^T`: the multiply runs over n x d elements instead of n x n."""
    found: list[str] = []
    for node in list(graph.nodes):
        if kind(graph, node) not in ("div", "mul"):
            continue
        s = _scores(graph, Ref(node.name))
        if s is None or s.scaled is not node:
            continue
        q_node = graph.get(s.q)
        if q_node is None or not q_node.meta.tensor or q_node.meta.shape[-1] >= node.meta.shape[-1]:
            continue
        if s.divisor is not None:
            factor: Any = (
                1.0 / s.divisor
                if is_scalar(s.divisor)
                else new_node(graph, node.name, "inv_scale", "call_function", "operator.truediv", 1.0, s.divisor)
            )
        else:
            factor = s.factor
        scaled_q = new_node(graph, node.name, "q_scaled", "call_function", "operator.mul", s.q, factor)
        become(
            node,
            "call_function",
            s.matmul.target if s.matmul.op == "call_function" else "torch.matmul",
            scaled_q,
            s.matmul.args[1],
        )
        found.append("scale on q")
    graph.erase_dead()
    return found
