"""The traced graph on the trusted side: plain Python values, no torch. Rewrites edit it; codegen prints it.

Node ops are fx's (placeholder, get_attr, call_function, call_method, call_module, output) plus `buffer`: a
tensor the candidate computes once in its constructor (a folded weight) and stores as a buffer named `target`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Ref:
    """A reference to another node's value."""

    name: str


@dataclass(frozen=True)
class Const:
    """A value written out as Python source (a dtype, float('inf'), a slice...)."""

    code: str


@dataclass(frozen=True)
class Meta:
    """What fake-tensor propagation found at the task's default sizes."""

    tensor: bool = False
    known: bool = False  # from the analysis (False: a rewrite made the node and nothing is known of it)
    shape: tuple[int, ...] = ()
    stride: tuple[int, ...] = ()
    dtype: str = ""
    storage: int = -1  # nodes with the same label share memory (views, or ops that return their input)
    value: Any = None  # an int or float the graph computed (a size), when it is one
    # The same node at each of the task's extra sizes: {"shape": [...]} or {"value": v} (or {} if neither).
    others: tuple[dict[str, Any], ...] = ()

    def values_everywhere(self) -> list[Any]:
        """The number this node holds at the default size and every extra size."""
        return [self.value] + [o.get("value") for o in self.others]

    def shapes_everywhere(self) -> list[tuple[int, ...]]:
        return [self.shape] + [tuple(o.get("shape", ())) for o in self.others]

    @property
    def contiguous(self) -> bool:
        expected, stride = 1, []
        for size in reversed(self.shape):
            stride.append(expected)
            expected *= size
        return all(s == e or n == 1 for s, e, n in zip(self.stride, reversed(stride), self.shape, strict=True))


@dataclass(eq=False)
class Node:
    name: str
    op: str
    target: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    meta: Meta = field(default_factory=Meta)

    def refs(self) -> list[str]:
        return [r.name for r in _walk((self.args, self.kwargs)) if isinstance(r, Ref)]

    def arg(self, index: int, name: str, default: Any = None) -> Any:
        """Positional argument `index` or keyword `name`."""
        if index < len(self.args):
            return self.args[index]
        return self.kwargs.get(name, default)


def _walk(value: Any) -> list[Any]:
    if isinstance(value, tuple | list):
        return [x for v in value for x in _walk(v)]
    if isinstance(value, dict):
        return [x for v in value.values() for x in _walk(v)]
    return [value]


def _substitute(value: Any, old: str, new: Any) -> Any:
    if isinstance(value, Ref) and value.name == old:
        return new
    if isinstance(value, tuple):
        return tuple(_substitute(v, old, new) for v in value)
    if isinstance(value, list):
        return [_substitute(v, old, new) for v in value]
    if isinstance(value, dict):
        return {k: _substitute(v, old, new) for k, v in value.items()}
    return value


@dataclass
class Buffer:
    """A tensor computed once in the constructor: `code` is an expression over `base` (the task's Model)
    and earlier buffers (`self.<name>`)."""

    name: str
    code: str


class Graph:
    """An ordered list of nodes with the editing operations the rewrites need."""

    def __init__(self, nodes: list[Node], modules: dict[str, dict[str, Any]]) -> None:
        self.nodes = nodes
        self.modules = modules
        self.buffers: list[Buffer] = []
        self.helpers: set[str] = set()  # names of helper functions the generated code calls
        self._counter = itertools.count()
        self.next_storage = 1_000_000

    def copy(self) -> Graph:
        g = Graph(
            [Node(n.name, n.op, n.target, n.args, dict(n.kwargs), n.meta) for n in self.nodes],
            self.modules,
        )
        g.buffers = list(self.buffers)
        g.helpers = set(self.helpers)
        g.next_storage = self.next_storage
        return g

    def new_storage(self) -> int:
        """A storage label no analysed node has: memory a rewrite allocates."""
        self.next_storage += 1
        return self.next_storage

    def node(self, name: str) -> Node:
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(name)

    def get(self, value: Any) -> Node | None:
        """The node `value` refers to; None for a constant or a buffer."""
        if not isinstance(value, Ref):
            return None
        return next((n for n in self.nodes if n.name == value.name), None)

    def position(self, name: str) -> int:
        return next(i for i, n in enumerate(self.nodes) if n.name == name)

    def users(self, name: str) -> list[Node]:
        return [n for n in self.nodes if name in n.refs()]

    def fresh(self, stem: str) -> str:
        taken = {n.name for n in self.nodes} | {b.name for b in self.buffers}
        while True:
            name = f"{stem}_{next(self._counter)}"
            if name not in taken:
                return name

    def insert_before(self, anchor: str, node: Node) -> Node:
        self.nodes.insert(self.position(anchor), node)
        return node

    def replace_uses(self, old: str, new: Any) -> None:
        for n in self.nodes:
            if n.name != old:
                n.args = _substitute(n.args, old, new)
                n.kwargs = _substitute(n.kwargs, old, new)

    def erase_dead(self) -> None:
        """Drop nodes nothing uses (never placeholders or the output)."""
        changed = True
        while changed:
            used = {r for n in self.nodes for r in n.refs()}
            keep = [n for n in self.nodes if n.op in ("placeholder", "output") or n.name in used]
            changed = len(keep) != len(self.nodes)
            self.nodes = keep

    def add_buffer(self, stem: str, code: str) -> Ref:
        name = self.fresh(stem)
        self.buffers.append(Buffer(name, code))
        return Ref(name)

    def module(self, node: Node | None) -> dict[str, Any]:
        if node is None or node.op != "call_module":
            return {}
        return self.modules.get(node.target, {})

    def only_user(self, name: str) -> Node | None:
        users = self.users(name)
        return users[0] if len(users) == 1 else None
