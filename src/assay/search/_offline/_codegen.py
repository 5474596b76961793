"""Print a (rewritten) graph as the body of a generated module: attribute aliases, buffers, and `forward`.

The generated code names torch, math and operator through private aliases (`_torch`, `_math`, `_operator`)
so that nothing it defines can shadow a name the task's own `Model` uses.
"""

from __future__ import annotations

import keyword
from dataclasses import dataclass
from typing import Any

from assay.search._offline._ir import Const, Graph, Node, Ref

_INFIX = {
    "operator.add": "+",
    "operator.sub": "-",
    "operator.mul": "*",
    "operator.truediv": "/",
    "operator.floordiv": "//",
    "operator.mod": "%",
    "operator.pow": "**",
    "operator.matmul": "@",
    "operator.and_": "&",
    "operator.or_": "|",
    "operator.xor": "^",
    "operator.eq": "==",
    "operator.ne": "!=",
    "operator.lt": "<",
    "operator.le": "<=",
    "operator.gt": ">",
    "operator.ge": ">=",
}
_PREFIX = {"operator.neg": "-", "operator.pos": "+", "operator.invert": "~", "operator.not_": "not "}
_RESERVED = {"self", "base", "_torch", "_math", "_operator", "getattr", "float", "slice", "int", "len"}


@dataclass(frozen=True)
class Printed:
    """The pieces of the generated `_Impl` module: constructor lines and the forward method."""

    init_lines: list[str]
    forward_lines: list[str]


def path_expr(root: str, path: str) -> str:
    """`base.net.0.weight` as Python that works for Sequential indices and ordinary attributes."""
    expr = root
    for part in path.split("."):
        expr = f"{expr}.{part}" if part.isidentifier() and not keyword.iskeyword(part) else f"getattr({expr}, {part!r})"
    return expr


def module_alias(target: str) -> str:
    return "m_" + "".join(c if c.isalnum() else "_" for c in target)


class _Printer:
    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.names: dict[str, str] = {}
        buffer_names = {b.name for b in graph.buffers}
        for node in graph.nodes:
            name = node.name
            if node.op != "placeholder" and (
                name in _RESERVED or keyword.iskeyword(name) or name.startswith(("m_", "k_")) or name in buffer_names
            ):
                name = f"{name}_v"
            self.names[node.name] = name

    def value(self, v: Any) -> str:
        if isinstance(v, Ref):
            if any(b.name == v.name for b in self.graph.buffers):
                return f"self.{v.name}"
            return self.names[v.name]
        if isinstance(v, Const):
            return v.code
        if isinstance(v, tuple):
            inner = ", ".join(self.value(x) for x in v)
            return f"({inner},)" if len(v) == 1 else f"({inner})"
        if isinstance(v, list):
            return "[" + ", ".join(self.value(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{" + ", ".join(f"{k!r}: {self.value(x)}" for k, x in v.items()) + "}"
        if isinstance(v, float) and v != v:
            return "float('nan')"
        return repr(v)

    def call_args(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
        parts = [self.value(a) for a in args] + [f"{k}={self.value(v)}" for k, v in kwargs.items()]
        return ", ".join(parts)

    def function(self, target: str) -> str:
        if target.startswith("torch."):
            return "_torch." + target.removeprefix("torch.")
        if target.startswith("math."):
            return "_math." + target.removeprefix("math.")
        if target.startswith("operator."):
            return "_operator." + target.removeprefix("operator.")
        if target.startswith("task."):
            return target.removeprefix("task.")
        return target  # a builtin

    def expr(self, node: Node) -> str:
        a, kw = node.args, node.kwargs
        if node.op == "get_attr":
            return path_expr("self.base", node.target)
        if node.op == "call_module":
            return f"self.{module_alias(node.target)}({self.call_args(a, kw)})"
        if node.op == "call_method":
            return f"{self.value(a[0])}.{node.target}({self.call_args(a[1:], kw)})"
        if node.target in _INFIX and len(a) == 2 and not kw:
            return f"({self.value(a[0])} {_INFIX[node.target]} {self.value(a[1])})"
        if node.target in _PREFIX and len(a) == 1 and not kw:
            return f"({_PREFIX[node.target]}{self.value(a[0])})"
        if node.target == "operator.getitem" and len(a) == 2:
            return f"{self.value(a[0])}[{self.value(a[1])}]"
        if node.target == "getattr" and len(a) == 2 and isinstance(a[1], str) and a[1].isidentifier():
            return f"{self.value(a[0])}.{a[1]}"
        return f"{self.function(node.target)}({self.call_args(a, kw)})"

    def signature(self) -> str:
        params = ["self"]
        for node in self.graph.nodes:
            if node.op != "placeholder":
                continue
            if node.args:
                params.append(f"{node.target}={self.value(node.args[0])}")
            else:
                params.append(node.target)
        return ", ".join(params)


def print_graph(graph: Graph) -> Printed:
    """The constructor lines (after `self.base` is set) and the forward method of the generated module."""
    p = _Printer(graph)
    init: list[str] = []
    for target in sorted({n.target for n in graph.nodes if n.op == "call_module"}):
        init.append(f"self.{module_alias(target)} = base.get_submodule({target!r})")
    if graph.buffers:
        init.append("with _torch.no_grad():")
        for b in graph.buffers:
            init.append(f"    self.register_buffer({b.name!r}, {b.code}, persistent=False)")
    # Each intermediate is released after its last use, as in the task's own expressions: a large temporary
    # kept alive to the end costs memory and, for memory-bound code, fresh page faults on every call.
    last_use: dict[str, str] = {}
    for node in graph.nodes:
        for ref in node.refs():
            last_use[ref] = node.name
    intermediates = {n.name for n in graph.nodes if n.op not in ("placeholder", "output")}
    body = [f"def forward({p.signature()}):"]
    for node in graph.nodes:
        if node.op == "placeholder":
            if p.names[node.name] != node.target:
                body.append(f"    {p.names[node.name]} = {node.target}")
            continue
        if node.op == "output":
            body.append(f"    return {p.value(node.args[0])}")
            continue
        body.append(f"    {p.names[node.name]} = {p.expr(node)}")
        done = sorted({r for r in node.refs() if last_use.get(r) == node.name} & set(intermediates))
        if done:
            body.append("    del " + ", ".join(p.names[r] for r in done))
    return Printed(init, body)
