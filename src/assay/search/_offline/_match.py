"""Recognising operations in the graph whatever way the task wrote them (function, method or module).

`kind(graph, node)` names what a node computes: `torch.relu(x)`, `F.relu(x)`, `x.relu()` and a call to an
`nn.ReLU` module are all "relu". `operands(node)` lists its positional inputs with the tensor first, the same
for all three spellings.
"""

from __future__ import annotations

from typing import Any

from assay.search._offline._ir import Const, Graph, Meta, Node, Ref

_FUNCTIONS = {
    "relu": ("torch.relu", "torch.nn.functional.relu"),
    "sigmoid": ("torch.sigmoid", "torch.nn.functional.sigmoid", "torch.special.expit"),
    "tanh": ("torch.tanh", "torch.nn.functional.tanh"),
    "exp": ("torch.exp",),
    "erf": ("torch.erf", "torch.special.erf"),
    "sqrt": ("torch.sqrt",),
    "rsqrt": ("torch.rsqrt",),
    "neg": ("operator.neg", "torch.neg"),
    "gelu": ("torch.nn.functional.gelu",),
    "silu": ("torch.nn.functional.silu",),
    "hardtanh": ("torch.nn.functional.hardtanh",),
    "leaky_relu": ("torch.nn.functional.leaky_relu",),
    "add": ("operator.add", "torch.add"),
    "sub": ("operator.sub", "torch.sub", "torch.subtract"),
    "mul": ("operator.mul", "torch.mul", "torch.multiply"),
    "div": ("operator.truediv", "torch.div", "torch.true_divide", "torch.divide"),
    "pow": ("operator.pow", "torch.pow"),
    "matmul": ("torch.matmul", "operator.matmul", "torch.bmm", "torch.mm"),
    "softmax": ("torch.softmax", "torch.nn.functional.softmax", "torch.special.softmax"),
    "max": ("torch.max",),
    "min": ("torch.min",),
    "mean": ("torch.mean",),
    "clamp": ("torch.clamp", "torch.clip"),
    "linear": ("torch.nn.functional.linear",),
    "conv1d": ("torch.nn.functional.conv1d",),
    "conv2d": ("torch.nn.functional.conv2d",),
    "conv3d": ("torch.nn.functional.conv3d",),
    "batch_norm": ("torch.nn.functional.batch_norm",),
    "transpose": ("torch.transpose",),
    "triu": ("torch.triu",),
    "ones": ("torch.ones",),
    "masked_fill": ("torch.masked_fill",),
}
_METHODS = {
    "relu": "relu",
    "sigmoid": "sigmoid",
    "tanh": "tanh",
    "exp": "exp",
    "erf": "erf",
    "sqrt": "sqrt",
    "rsqrt": "rsqrt",
    "neg": "neg",
    "add": "add",
    "sub": "sub",
    "mul": "mul",
    "div": "div",
    "pow": "pow",
    "matmul": "matmul",
    "bmm": "matmul",
    "softmax": "softmax",
    "max": "max",
    "min": "min",
    "mean": "mean",
    "clamp": "clamp",
    "clip": "clamp",
    "transpose": "transpose",
    "triu": "triu",
    "masked_fill": "masked_fill",
}
_MODULES = {
    "ReLU": "relu",
    "Sigmoid": "sigmoid",
    "Tanh": "tanh",
    "GELU": "gelu",
    "SiLU": "silu",
    "Hardtanh": "hardtanh",
    "LeakyReLU": "leaky_relu",
    "Linear": "linear",
    "Conv1d": "conv1d",
    "Conv2d": "conv2d",
    "Conv3d": "conv3d",
    "Softmax": "softmax",
}
_BY_TARGET = {target: kind for kind, targets in _FUNCTIONS.items() for target in targets}
# The function each kind is written as when a rewrite creates it.
FUNCTION = {kind: targets[0] for kind, targets in _FUNCTIONS.items()}


def kind(graph: Graph, node: Node | None) -> str:
    """What the node computes, or "" when it is none of the operations the rewrites know."""
    if node is None:
        return ""
    if node.op == "call_function":
        return _BY_TARGET.get(node.target, "")
    if node.op == "call_method":
        return _METHODS.get(node.target, "")
    if node.op == "call_module":
        info = graph.module(node)
        return _MODULES.get(str(info.get("type")), "") if info.get("torch") else ""
    return ""


def operands(node: Node) -> tuple[Any, ...]:
    """Positional inputs, the tensor first (for a method, `self`)."""
    return node.args


def producer(graph: Graph, value: Any, want: str) -> Node | None:
    """The node behind `value` if it computes `want`."""
    node = graph.get(value)
    return node if node is not None and kind(graph, node) == want else None


def is_scalar(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_neg_inf(value: Any) -> bool:
    if isinstance(value, float):
        return value == float("-inf")
    return isinstance(value, Const) and value.code == "float('-inf')"


def tensor_meta_ok(node: Node | None, dtype: str = "float32") -> bool:
    return node is not None and node.meta.tensor and node.meta.dtype == dtype


def last_dim(value: Any, ndim: int) -> bool:
    """True when `value` names the last dimension of an ndim-dimensional tensor (-1, ndim-1, [-1], (-1,))."""
    if isinstance(value, list | tuple) and len(value) == 1:
        value = value[0]
    return isinstance(value, int) and not isinstance(value, bool) and value in (-1, ndim - 1)


def new_node(
    graph: Graph, before: str, stem: str, op: str, target: str, *args: Any, meta: Meta | None = None, **kwargs: Any
) -> Ref:
    """Insert a node before `before` and return a reference to it (without meta: never written in place)."""
    node = Node(graph.fresh(stem), op, target, tuple(args), dict(kwargs), meta or Meta())
    graph.insert_before(before, node)
    return Ref(node.name)


def become(node: Node, op: str, target: str, *args: Any, **kwargs: Any) -> None:
    """Rewrite a node in place: same name and meta (its users are unchanged), new computation."""
    node.op, node.target, node.args, node.kwargs = op, target, tuple(args), dict(kwargs)
