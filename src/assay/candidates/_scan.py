"""Static scan of a candidate's source: telemetry for a person, never a line of defence on its own.

Every finding here can be evaded (docs/exploits.md `static-evasion`); enforcement comes from the sandbox and the
runtime checks. The scan says where to look when a verdict is surprising.
"""

from __future__ import annotations

import ast

_MODULES = {
    "ctypes": "ctypes (raw memory access)",
    "gc": "gc (object-graph introspection)",
    "inspect": "inspect (frame access)",
    "threading": "threads",
    "concurrent": "threads or processes",
    "multiprocessing": "processes",
    "subprocess": "processes",
    "signal": "signals",
    "socket": "network sockets",
    "importlib": "dynamic imports",
    "builtins": "builtins patching",
    "resource": "resource limits",
}
_CALLS = {
    "exec": "exec of dynamic code",
    "eval": "eval of dynamic code",
    "compile": "compile of dynamic code",
    "__import__": "dynamic imports",
    "_getframe": "frame access",
    "fork": "processes",
    "setattr": "attribute patching",
    "kill": "signals",
    "killpg": "signals",
}
_PATCHED_ROOTS = {"torch", "time", "np", "numpy", "os", "sys", "F", "nn"}


def _root_name(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def scan_source(source: str) -> list[str]:
    """Lines of the form 'line N: uses <what>' for constructs worth a closer look; [] if it does not parse."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    found: dict[str, int] = {}
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            for name in names:
                what = _MODULES.get(name.split(".")[0])
                if what:
                    found.setdefault(what, line)
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name in _CALLS:
                found.setdefault(_CALLS[name], line)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Attribute) and _root_name(target) in _PATCHED_ROOTS:
                    found.setdefault(f"assignment to {ast.unparse(target)} (monkeypatching)", line)
    return [f"line {line}: uses {what}" for what, line in sorted(found.items(), key=lambda kv: kv[1])]
