"""The package's shape, read from its source (``ast``, every import statement, those inside functions too).

- no import circle anywhere in ``src/asdlens``;
- ``engine/`` imports nothing that runs experiments or sits above them;
- every import between packages runs down :data:`LAYERS` (the one place the layering rule lives);
- no function in ``engine/``, ``experiment/`` or ``data/synth/`` is over :data:`MAX_LINES` lines, no public function anywhere takes
  more than :data:`MAX_PARAMETERS` parameters (group options into a frozen dataclass).

Each allow-list below names code that is someone else's to change in the house issue; an entry that no longer
matches anything fails the test too, so each list shrinks as that code lands.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "asdlens"

#: The layers of HELPERS.md, bottom first. A package may import the packages of the layers below its own, and
#: those named before it in its own layer (``models`` imports ``evaluate``); nothing above, nothing after.
LAYERS = (
    ("runtime", "atomic", "keys", "pcm", "groups", "user_code"),
    ("features", "evaluate", "report", "models"),
    ("data", "diff", "engine"),
    ("experiment",),
    ("explain", "deploy"),
    ("benchmark", "demo"),
    ("cli", "__main__"),
)
#: What ``engine/`` must not import, not even inside a function: it knows nothing of experiments.
ENGINE_MUST_NOT_IMPORT = ("experiment", "explain", "cli", "deploy", "benchmark", "demo")

#: Import circles allowed for now (none: keep it so).
PENDING_CIRCLES: set[frozenset[str]] = set()

MAX_LINES = 60
LENGTH_CHECKED = ("engine", "experiment", "data/synth")
#: Functions over MAX_LINES in LENGTH_CHECKED allowed for now (none: keep it so).
LONG_PENDING: set[str] = set()

MAX_PARAMETERS = 8
#: The typer command functions: their parameters are the command's options, one per option.
CLI_COMMANDS = {
    "cli/data.py:synth",
    "cli/deploy.py:export_command",
    "cli/deploy.py:deploy_check_command",
    "cli/explain.py:explain_command",
    "cli/protocol.py:run",
}
#: Public functions with more than MAX_PARAMETERS parameters allowed for now (none: keep it so).
MANY_PARAMETERS_PENDING: set[str] = set()


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def _modules() -> dict[str, tuple[Path, ast.Module]]:
    return {_module_name(p): (p, ast.parse(p.read_text(), str(p))) for p in sorted(PACKAGE.rglob("*.py"))}


def _imported(name: str, path: Path, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The asdlens modules an import statement of module ``name`` (file ``path``) names."""
    modules = _modules()
    if isinstance(node, ast.Import):
        targets = [a.name for a in node.names]
    else:
        base = node.module or ""
        if node.level:
            package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
            package = package[: len(package) - node.level + 1]
            base = ".".join(package + ([node.module] if node.module else []))
        targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
    out = []
    for target in targets:
        while target not in modules and "." in target:
            target = target.rsplit(".", 1)[0]
        if target in modules and target != name:
            out.append(target)
    return out


@cache
def _imports() -> dict[str, set[str]]:
    """Module -> the asdlens modules it imports (anywhere in its file)."""
    graph: dict[str, set[str]] = {}
    for name, (path, tree) in _modules().items():
        graph[name] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                graph[name].update(_imported(name, path, node))
    return graph


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _circles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(frozenset(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_circle():
    circles = set(_circles(_imports()))
    new = [sorted(c) for c in circles - PENDING_CIRCLES]
    assert not new, f"import circles: {new}"
    gone = [sorted(c) for c in PENDING_CIRCLES - circles]
    assert not gone, f"these circles are gone: remove them from PENDING_CIRCLES: {gone}"


def test_the_engine_imports_nothing_of_experiments():
    bad = [
        f"{module} imports {target}"
        for module, targets in sorted(_imports().items())
        if _package(module) == "engine"
        for target in sorted(targets)
        if _package(target) in ENGINE_MUST_NOT_IMPORT
    ]
    assert not bad, "\n".join(bad)


def test_imports_run_down_the_layers():
    rank = {package: (layer, i) for layer, names in enumerate(LAYERS) for i, package in enumerate(names)}
    unknown = sorted({_package(m) for m in _modules()} - set(rank) - {""})
    assert not unknown, f"packages missing from LAYERS: {unknown}"
    bad = []
    for module, targets in sorted(_imports().items()):
        here = _package(module)
        for target in sorted(targets):
            there = _package(target)
            if here and there and here != there and rank[there] >= rank[here]:
                bad.append(
                    f"{module} ({here}, layer {rank[here][0]}) imports {target} (layer {rank[there][0]})"
                )
    assert not bad, "imports running up (or sideways to a package named later in its layer):\n" + "\n".join(
        bad
    )


def _defs(node: ast.AST, where: str, private: bool):
    """``(where, node, private)`` of the functions under ``node``; nested functions and ``_names`` are private."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            name = f"{where}{child.name}"
            hidden = private or (child.name.startswith("_") and child.name != "__init__")
            if isinstance(child, ast.ClassDef):
                yield from _defs(child, name + ".", hidden)
            else:
                yield name, child, hidden
                yield from _defs(child, name + ".", True)


def _functions():
    """``(where, node, private)`` for every function and method, ``where`` = ``"pkg/module.py:qualified.name"``."""
    for path, tree in _modules().values():
        yield from _defs(tree, path.relative_to(PACKAGE).as_posix() + ":", False)


def test_functions_fit_on_a_screen():
    long = {
        where: node.end_lineno - node.lineno + 1
        for where, node, _ in _functions()
        if where.startswith(tuple(f"{p}/" for p in LENGTH_CHECKED))
        and node.end_lineno - node.lineno + 1 > MAX_LINES
    }
    new = {w: n for w, n in long.items() if w not in LONG_PENDING}
    assert not new, f"functions over {MAX_LINES} lines (docstring included): {new}"
    gone = sorted(LONG_PENDING - set(long))
    assert not gone, f"no longer over {MAX_LINES} lines: remove them from LONG_PENDING: {gone}"


def _parameters(node: ast.FunctionDef) -> list[str]:
    a = node.args
    names = [p.arg for p in (*a.posonlyargs, *a.args, *a.kwonlyargs)]
    names += [p.arg for p in (a.vararg, a.kwarg) if p is not None]
    return [n for n in names if n not in ("self", "cls")]


def test_public_functions_take_at_most_eight_parameters():
    many = {where: len(_parameters(node)) for where, node, hidden in _functions() if not hidden}
    many = {w: n for w, n in many.items() if n > MAX_PARAMETERS}
    allowed = CLI_COMMANDS | MANY_PARAMETERS_PENDING
    new = {w: n for w, n in many.items() if w not in allowed}
    assert not new, (
        f"public functions with more than {MAX_PARAMETERS} parameters (use a frozen dataclass): {new}"
    )
    gone = sorted(MANY_PARAMETERS_PENDING - set(many))
    assert not gone, (
        f"no longer over {MAX_PARAMETERS} parameters: remove them from MANY_PARAMETERS_PENDING: {gone}"
    )
