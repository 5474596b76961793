"""Rewrites of elementwise code: written-out activations to their fused kernels, max-with-indices to amax,
division by a square root to a multiply by rsqrt.

The activation recogniser does not look for one spelling of each formula: it collects a tree of elementwise
operations over one tensor and scalars, evaluates it in double precision at a dozen points, and compares it
with the known functions. `0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x**3)))`, however the terms are
arranged, becomes `F.gelu(x, approximate="tanh")`: one pass over memory instead of nine.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from assay.search._offline._ir import Graph, Node, Ref
from assay.search._offline._match import become, is_scalar, kind, tensor_meta_ok

Fn = Callable[[float], float]
_SAMPLES = (-4.1, -2.3, -1.1, -0.37, -0.05, 0.0, 0.21, 0.66, 1.4, 2.9, 5.3)
_MAX_TREE = 40


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


# name: (double-precision definition, function target, keyword arguments)
KNOWN: dict[str, tuple[Fn, str, dict[str, Any]]] = {
    "silu": (lambda x: x * _sigmoid(x), "torch.nn.functional.silu", {}),
    "gelu-tanh": (
        lambda x: 0.5 * x * (1.0 + math.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3))),
        "torch.nn.functional.gelu",
        {"approximate": "tanh"},
    ),
    "gelu": (lambda x: 0.5 * x * (1.0 + math.erf(x / math.sqrt(2.0))), "torch.nn.functional.gelu", {}),
    "sigmoid": (_sigmoid, "torch.sigmoid", {}),
    "tanh": (math.tanh, "torch.tanh", {}),
    "relu": (lambda x: max(x, 0.0), "torch.relu", {}),
}
_UNARY: dict[str, Fn] = {
    "relu": lambda x: max(x, 0.0),
    "sigmoid": _sigmoid,
    "tanh": math.tanh,
    "exp": math.exp,
    "erf": math.erf,
    "sqrt": math.sqrt,
    "rsqrt": lambda x: 1.0 / math.sqrt(x),
    "neg": lambda x: -x,
    "silu": lambda x: x * _sigmoid(x),
}
_BINARY: dict[str, Callable[[float, float], float]] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: float(a**b),
}


class _NoTree(Exception):
    pass


class _Tree:
    """An elementwise expression over one leaf tensor, as a Python function of a float."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.leaf: str | None = None
        self.nodes: list[str] = []

    def build(self, value: Any) -> Fn:
        if is_scalar(value):
            constant = float(value)
            return lambda _x: constant
        node = self.graph.get(value)
        if node is None:
            raise _NoTree
        k = kind(self.graph, node)
        elementwise = (k in _UNARY or k in _BINARY or k == "gelu") and not _has_options(node, k)
        if not elementwise or len(self.nodes) >= _MAX_TREE:
            if self.leaf not in (None, node.name):
                raise _NoTree
            self.leaf = node.name
            return lambda x: x
        self.nodes.append(node.name)
        if k == "gelu":
            approximate = node.kwargs.get("approximate", "none")
            return KNOWN["gelu-tanh" if approximate == "tanh" else "gelu"][0]
        if k in _UNARY:
            inner = self.build(node.args[0])
            op = _UNARY[k]
            return lambda x: op(inner(x))
        left, right = self.build(node.args[0]), self.build(node.args[1])
        fn = _BINARY[k]
        return lambda x: fn(left(x), right(x))


def _has_options(node: Node, k: str) -> bool:
    """Keyword arguments that change the meaning (alpha, rounding_mode, out...): leave such nodes alone."""
    allowed = {"approximate"} if k == "gelu" else set()
    if node.op == "call_module":
        return False
    return bool(set(node.kwargs) - allowed) or len(node.args) != (1 if k in _UNARY or k == "gelu" else 2)


def _matches(fn: Fn, ref: Fn) -> bool:
    for x in _SAMPLES:
        try:
            got, want = fn(x), ref(x)
        except (ValueError, ZeroDivisionError, OverflowError, TypeError):
            return False
        if isinstance(got, complex) or not math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-12):
            return False
    return True


def recognise_activations(graph: Graph, option: str) -> list[str]:
    """Replace written-out activations with their PyTorch functions; returns what was replaced."""
    found: list[str] = []
    done: set[str] = set()
    for root in reversed(list(graph.nodes)):
        if root.name in done or not tensor_meta_ok(root):
            continue
        tree = _Tree(graph)
        try:
            fn = tree.build(Ref(root.name))
        except _NoTree:
            continue
        leaf = graph.get(Ref(tree.leaf)) if tree.leaf else None
        if len(tree.nodes) < 2 or leaf is None or leaf.meta.shape != root.meta.shape:
            continue
        for name, (ref, target, kwargs) in KNOWN.items():
            if _matches(fn, ref):
                become(root, "call_function", target, Ref(leaf.name), **kwargs)
                done.update(tree.nodes)
                found.append(name)
                break
    graph.erase_dead()
    return found


def max_to_amax(graph: Graph, option: str) -> list[str]:
    """`torch.max(x, dim)[0]` computes indices nobody reads: `torch.amax(x, dim)` does not."""
    found: list[str] = []
    for node in list(graph.nodes):
        k = kind(graph, node)
        if k not in ("max", "min"):
            continue
        dim = node.args[1] if len(node.args) > 1 else node.kwargs.get("dim")
        keepdim = node.args[2] if len(node.args) > 2 else node.kwargs.get("keepdim", False)
        if not isinstance(dim, int) or isinstance(dim, bool) or not isinstance(keepdim, bool):
            continue
        users = graph.users(node.name)
        if not users or not all(
            u.op == "call_function" and u.target == "operator.getitem" and u.args[1] == 0 for u in users
        ):
            continue
        target = "torch.amax" if k == "max" else "torch.amin"
        for user in users:
            become(user, "call_function", target, node.args[0], dim, keepdim)
        found.append(target.removeprefix("torch."))
    graph.erase_dead()
    return found


def div_sqrt(graph: Graph, option: str) -> list[str]:
    """`a / sqrt(b)` -> `a * rsqrt(b)`: a multiply instead of a division over the large operand."""
    found: list[str] = []
    for node in list(graph.nodes):
        if kind(graph, node) != "div" or node.kwargs or len(node.args) != 2:
            continue
        root = graph.get(node.args[1])
        if root is None or kind(graph, root) != "sqrt" or len(graph.users(root.name)) != 1 or root.kwargs:
            continue
        become(root, "call_function", "torch.rsqrt", root.args[0])
        become(node, "call_function", "operator.mul", node.args[0], Ref(root.name))
        found.append("rsqrt")
    return found
