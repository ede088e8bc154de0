"""The house's import contract, read from the code's own imports (no module is imported).

Every import of a shapecheck module counts, the ones inside functions too: an import put
off until a function runs is still an arrow. Two checks:

- no circle: no module reaches itself through imports;
- no upward import: the layers below are ordered from the top floor down, and a module
  imports only modules of its own layer or of layers below it. The one exception is the
  package's face, `shapecheck/__init__.py`, whose lazy re-exports (`shapecheck.check`)
  name the API above it.

A new module belongs to a layer (the test says so when it does not): adding one is
deciding where it stands.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "shapecheck"

# from the top floor down; within a layer, modules may import each other (without a circle)
LAYERS: list[tuple[str, list[str]]] = [
    ("the console entry", ["shapecheck.__main__", "shapecheck.entry"]),
    ("the command line", ["shapecheck.cli"]),
    ("Jupyter's magic", ["shapecheck.jupyter"]),
    ("the Python API", ["shapecheck.api"]),
    ("the run over many files", ["shapecheck.runner"]),
    ("builder modules in supervised children", ["shapecheck.isolation"]),
    ("one file checked", ["shapecheck.worker"]),
    ("--suggest-rebuild: build again with a flag changed", ["shapecheck.rebuild"]),
    ("graphs to findings", ["shapecheck.analysis"]),
    (
        "what reads a run's results",
        ["shapecheck.report", "shapecheck.apply_fixes", "shapecheck.baseline", "shapecheck.suppress"],
    ),
    ("the result model and the options", ["shapecheck.results", "shapecheck.options", "shapecheck.config"]),
    ("suggested fixes", ["shapecheck.fixes"]),
    ("finding and running the user's files", ["shapecheck.load"]),
    ("the saved-file front end", ["shapecheck.saved"]),
    ("the Keras front end", ["shapecheck.capture"]),
    ("what the analysis says about a graph", ["shapecheck.verdicts", "shapecheck.size_map", "shapecheck.explain"]),
    ("Keras confirms the sweep", ["shapecheck.witnesses"]),
    ("the rules, the size sweep, recovery", ["shapecheck.rules", "shapecheck.sweep", "shapecheck.recovery"]),
    ("the shape algebra, where a shape came from", ["shapecheck.algebra", "shapecheck.provenance"]),
    (
        "the ground: the IR and what every layer shares",
        [
            "shapecheck.graph",
            "shapecheck.layout",
            "shapecheck.size_range",
            "shapecheck.timing",
            "shapecheck.errors",
            "shapecheck.keras_home",
            "shapecheck.cells",
            "shapecheck.bounded",
        ],
    ),
]
FACE = "shapecheck"  # shapecheck/__init__.py: lazy re-exports of the API


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The shapecheck modules `name` imports, anywhere in the file."""
    out: set[str] = set()
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.split(".")[0] == "shapecheck")
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
            if base.split(".")[0] != "shapecheck":
                continue
            for alias in node.names:
                child = f"{base}.{alias.name}"
                out.add(child if child in known else base)
    out.discard(name)
    return {m for m in out if m in known}


def graph() -> dict[str, set[str]]:
    found = modules()
    return {name: imports_of(name, path, set(found)) for name, path in found.items()}


def layer_of(name: str) -> int | None:
    for index, (_, prefixes) in enumerate(LAYERS):
        if any(name == p or name.startswith(p + ".") for p in prefixes):
            return index
    return None


def circles(arrows: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(arrows.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(arrows):
        if v not in index:
            visit(v)
    return found


def test_every_module_stands_in_a_layer():
    assert [name for name in modules() if name != FACE and layer_of(name) is None] == []


def test_no_module_imports_itself_through_others():
    arrows = {k: v for k, v in graph().items() if k != FACE}
    assert circles(arrows) == []


def test_no_import_runs_up_the_layers():
    upward = []
    for name, targets in graph().items():
        if name == FACE:
            continue
        mine = layer_of(name)
        for target in sorted(targets):
            theirs = layer_of(target)
            if target != FACE and mine is not None and theirs is not None and theirs < mine:
                upward.append(f"{name} ({LAYERS[mine][0]}) -> {target} ({LAYERS[theirs][0]})")
    assert upward == []


def test_the_checks_see_a_circle_and_an_upward_import():
    """The checks themselves can fail: a made-up circle and a made-up upward arrow are found."""
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert layer_of("shapecheck.graph") > layer_of("shapecheck.runner")  # the ground is below the run
    assert layer_of("shapecheck.capture.witness") == layer_of("shapecheck.capture")
