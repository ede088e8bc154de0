"""The import statements of one module, read from its syntax tree: every `import` and `from
... import`, wherever it is, relative ones made absolute, and `importlib.import_module("x")` /
`__import__("x")` with a literal name. Each says whether it is optional (inside `try: ...
except ImportError`) and whether it is deferred (inside a function)."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Optional

KERAS = frozenset({"keras", "tensorflow", "tf_keras"})
IMPORT_ERRORS = {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}


@dataclass(frozen=True)
class Import:
    name: str  # absolute dotted name
    optional: bool = False  # inside `try: ... except ImportError`
    deferred: bool = False  # inside a function: runs when called, not on import


class _ImportVisitor(ast.NodeVisitor):
    """Every import in a module, wherever it is (a builder may import keras inside a function)."""

    def __init__(self, package: Optional[str]):
        self.package = package
        self.found: list[Import] = []
        self.guarded = 0
        self.functions = 0

    def add(self, name: Optional[str]) -> None:
        if name:
            self.found.append(Import(name, self.guarded > 0, self.functions > 0))

    def visit_FunctionDef(self, node) -> None:
        self.functions += 1
        self.generic_visit(node)
        self.functions -= 1

    visit_AsyncFunctionDef = visit_Lambda = visit_FunctionDef

    def visit_Try(self, node) -> None:
        guarded = any(_catches_import_error(h.type) for h in node.handlers)
        self.guarded += guarded
        for statement in node.body:
            self.visit(statement)
        self.guarded -= guarded
        for part in node.handlers + node.orelse + node.finalbody:
            self.visit(part)

    visit_TryStar = visit_Try

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.add(alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = _absolute(node.module, node.level, self.package)
        if base is None:
            return  # a relative import outside any package: it fails when run, it reaches nothing
        self.add(base)
        for alias in node.names:
            if alias.name != "*":
                self.add(f"{base}.{alias.name}" if base else alias.name)  # maybe a submodule

    def visit_Call(self, node: ast.Call) -> None:
        """importlib.import_module("x") and __import__("x") with a literal name."""
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if name in ("import_module", "__import__") and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str) and not first.value.startswith("."):
                self.add(first.value)
        self.generic_visit(node)


def _catches_import_error(handler_type) -> bool:
    if handler_type is None:
        return True  # a bare except
    names = handler_type.elts if isinstance(handler_type, ast.Tuple) else [handler_type]
    return any(getattr(n, "id", getattr(n, "attr", None)) in IMPORT_ERRORS for n in names)


def _absolute(module: Optional[str], level: int, package: Optional[str]) -> Optional[str]:
    if not level:
        return module
    if not package:
        return None
    parts = package.split(".")
    if level - 1 >= len(parts):
        return None
    base = ".".join(parts[: len(parts) - (level - 1)])
    return f"{base}.{module}" if module else base


def imports_in(tree: ast.Module, package: Optional[str]) -> list[Import]:
    visitor = _ImportVisitor(package)
    visitor.visit(tree)
    return visitor.found


def keras_import(imports: list[Import]) -> Optional[str]:
    for imp in imports:
        top = imp.name.partition(".")[0]
        if top in KERAS:
            return top
    return None
