"""In-place elementwise operations where no one can tell: the operand is memory this forward allocated (never
an input, a parameter or a buffer), nothing reads it or any view of it afterwards, and the result has its
shape and dtype. Saves an allocation and a pass of page faults per operation on large tensors.

Aliasing comes from the analysis: nodes whose fake tensors shared a storage carry the same label.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from assay.search._offline._ir import Graph, Node, Ref
from assay.search._offline._match import become, kind

_UNARY_METHOD = {
    "relu": "relu_",
    "sigmoid": "sigmoid_",
    "tanh": "tanh_",
    "exp": "exp_",
    "neg": "neg_",
    "sqrt": "sqrt_",
    "rsqrt": "rsqrt_",
    "erf": "erf_",
}
_BINARY_METHOD = {"add": "add_", "sub": "sub_", "mul": "mul_", "div": "div_"}
_COMMUTATIVE = ("add", "mul")


def _protected(graph: Graph) -> set[int]:
    """Storage labels of inputs and of the module's own tensors."""
    return {n.meta.storage for n in graph.nodes if n.op in ("placeholder", "get_attr") and n.meta.tensor}


def _writable(graph: Graph, value: Any, at: Node, protected: set[int]) -> bool:
    """May `at` overwrite the tensor `value`?"""
    node = graph.get(value)
    if node is None or node.op in ("placeholder", "get_attr") or not node.meta.tensor:
        return False
    if any(b.name == node.name for b in graph.buffers):
        return False
    meta = node.meta
    if meta.storage in protected or meta.storage < 0 or 0 in meta.stride:
        return False
    if meta.shape != at.meta.shape or meta.dtype != at.meta.dtype or not at.meta.tensor:
        return False
    here = graph.position(at.name)
    for other in _aliases(graph, meta.storage):
        for user in graph.users(other.name):
            if user is not at and graph.position(user.name) >= here:
                return False
    return True


def _aliases(graph: Graph, storage: int) -> list[Node]:
    """Nodes that may share this storage: those labelled with it, and any node a rewrite made (nothing known
    of it) that takes one of them as an argument, transitively."""
    found = [n for n in graph.nodes if n.meta.tensor and n.meta.storage == storage]
    names = {n.name for n in found}
    for n in graph.nodes:
        if not n.meta.known and n.name not in names and names & set(n.refs()):
            found.append(n)
            names.add(n.name)
    return found


def in_place(graph: Graph, option: str) -> list[str]:
    found: list[str] = []
    protected = _protected(graph)
    for node in list(graph.nodes):
        k = kind(graph, node)
        if node.op == "call_module" or not node.meta.tensor:
            continue
        if k in _UNARY_METHOD and len(node.args) == 1 and not node.kwargs:
            if _writable(graph, node.args[0], node, protected):
                become(node, "call_method", _UNARY_METHOD[k], node.args[0])
            else:
                continue
        elif k == "silu" and len(node.args) == 1 and not node.kwargs:
            if not _writable(graph, node.args[0], node, protected):
                continue
            become(node, "call_function", "torch.nn.functional.silu", node.args[0], inplace=True)
        elif k == "clamp" and _writable(graph, node.args[0], node, protected):
            become(node, "call_method", "clamp_", *node.args, **node.kwargs)
        elif k in _BINARY_METHOD and len(node.args) == 2 and not node.kwargs:
            a, b = node.args
            if isinstance(a, Ref) and _writable(graph, a, node, protected):
                become(node, "call_method", _BINARY_METHOD[k], a, b)
            elif k in _COMMUTATIVE and isinstance(b, Ref) and _writable(graph, b, node, protected):
                become(node, "call_method", _BINARY_METHOD[k], b, a)
            else:
                continue
        else:
            continue
        written = graph.get(node.args[0])
        assert written is not None
        node.meta = replace(node.meta, storage=written.meta.storage)
        found.append(f"{k} in place")
    return found
