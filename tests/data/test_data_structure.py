"""The shape of ``asdlens.data``, read from its source: no import circle, short generator functions, short
parameter lists."""

from __future__ import annotations

import ast
from pathlib import Path

import asdlens.data

DATA = Path(asdlens.data.__file__).parent
PACKAGE = "asdlens.data"


def _module_name(path: Path) -> str:
    parts = path.relative_to(DATA).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join((PACKAGE, *parts))


def _modules() -> dict[str, tuple[Path, ast.Module]]:
    return {_module_name(p): (p, ast.parse(p.read_text())) for p in sorted(DATA.rglob("*.py"))}


def _imports(name: str, path: Path, tree: ast.Module, known: set[str]) -> set[str]:
    """Modules of ``asdlens.data`` that ``name`` imports anywhere in its body (lazy imports too)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")
            base = base[: len(base) - node.level + 1] if node.level else []
            target = ".".join([*base, *(node.module.split(".") if node.module else [])])
            # `from . import x` imports the module x; `from .x import y` imports x (y is a name in it)
            submodules = [f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in known]
            candidates = submodules or [target]
        elif isinstance(node, ast.Import):
            candidates = [a.name for a in node.names]
        else:
            continue
        out |= {c for c in candidates if c in known and c != name}
    return out


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_circle_in_data():
    modules = _modules()
    graph = {name: _imports(name, path, tree, set(modules)) for name, (path, tree) in modules.items()}
    assert "asdlens.data.synth.tree" in graph and graph["asdlens.data.synth.tree"]
    assert _cycle(graph) is None, " -> ".join(_cycle(graph))
    # the test sees a circle when there is one
    assert _cycle({**graph, "asdlens.data.clips": {"asdlens.data.synth.tree"}}) is not None


def _functions(tree: ast.Module):
    """Module-level functions and methods of module-level classes (not nested functions)."""
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            yield node, False
        elif isinstance(node, ast.ClassDef):
            yield from ((f, True) for f in node.body if isinstance(f, ast.FunctionDef))


def test_generator_functions_fit_on_a_screen():
    long = [
        f"{path.relative_to(DATA)}:{f.lineno} {f.name} ({f.end_lineno - f.lineno + 1} lines)"
        for path, tree in _modules().values()
        if "synth" in path.relative_to(DATA).parts
        for f, _ in _functions(tree)
        if f.end_lineno - f.lineno + 1 > 60
    ]
    assert long == []


def test_no_public_function_in_data_takes_more_than_eight_parameters():
    def count(f: ast.FunctionDef, method: bool) -> int:
        a = f.args
        n = len(a.posonlyargs) + len(a.args) + len(a.kwonlyargs) + bool(a.vararg) + bool(a.kwarg)
        return n - (method and bool(a.posonlyargs or a.args))  # self / cls

    wide = [
        f"{path.relative_to(DATA)}:{f.lineno} {f.name} ({count(f, method)})"
        for path, tree in _modules().values()
        for f, method in _functions(tree)
        if not f.name.startswith("_") and count(f, method) > 8
    ]
    assert wide == []
