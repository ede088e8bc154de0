"""Does a .py file reach Keras? Decided from what its imports reach, read and never imported.

A file is worth running when it, or anything it imports, imports keras, tensorflow or tf_keras:
`from models.unet import build_unet` reaches Keras through the project's own `models/unet.py`,
`import segmentation_models` through an installed library. Three answers (`Reach.verdict`):

- "keras":   the shortest chain of imports that gets there ("imports models.unet, which
             imports keras");
- "none":    nothing it imports gets there (stdlib, local modules and installed packages read);
- "unknown": it imports something that is not installed here (outside `try/except
             ImportError`), so nobody can tell; the file must be reported, never passed.

Local modules are found from the file's folder and its package root (what `sys.path` holds when
the builder runs). Installed packages are located with `importlib.util.find_spec` on the
top-level name only (on a dotted name it would import the parent), then their `__init__` and the
submodules it imports are read to a fixed depth (INSTALLED_DEPTH); other packages are followed
only where imported on import, not inside a function (an optional extra: rich's IPython support
would lead to pytest). Any import of keras in a module read counts, wherever it is. A
distribution whose metadata
requires keras or tensorflow counts at once. What each installed module imports is cached per
distribution name and version (imports_cache.py), so a second run reads only the user's files.
Nothing here imports TensorFlow, Keras or the checked code.
"""

from __future__ import annotations

import ast
import importlib.machinery
import importlib.util
import os
import sys
from collections import deque
from dataclasses import dataclass
from typing import Optional

from shapecheck.load import source
from shapecheck.load.imports_cache import Distributions, FactsCache, NO_CACHE

KERAS = frozenset({"keras", "tensorflow", "tf_keras"})
INSTALLED_DEPTH = 5  # imports followed inside installed packages, counted from the first one
IMPORT_ERRORS = {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}


@dataclass(frozen=True)
class Reach:
    """The answer for one file, with the chain of module names that explains it."""

    verdict: str  # "keras" | "none" | "unknown"
    chain: tuple[str, ...] = ()  # first the module the file imports, last keras (or the missing one)
    why: str = ""  # for "unknown": what stops the answer ("is not installed here")

    def describe(self) -> str:
        if self.verdict == "none":
            return "imports neither keras nor tensorflow, directly or through its imports"
        if self.verdict == "keras":
            return "imports " + ", which ".join(_step(name, i) for i, name in enumerate(self.chain))
        names = ", which imports ".join(f"`{name}`" for name in self.chain)
        return f"cannot tell: imports {names}, which {self.why}"


def _step(name: str, index: int) -> str:
    if name.startswith("requires "):  # a distribution's metadata, not an import
        return f"{name} (installed metadata)"
    return name if index == 0 else f"imports {name}"


@dataclass(frozen=True)
class Import:
    name: str  # absolute dotted name
    optional: bool = False  # inside `try: ... except ImportError`
    deferred: bool = False  # inside a function: runs when called, not on import


# -- reading one file's imports ---------------------------------------------------------------------------
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


# -- where a module name leads --------------------------------------------------------------------------
def package_root(path: str) -> tuple[str, Optional[str]]:
    """(folder whose child is the top package, dotted package of `path`) for a file in a
    package (folders with __init__.py); (its own folder, None) otherwise."""
    folder = os.path.dirname(os.path.abspath(path))
    parts: list[str] = []
    while os.path.isfile(os.path.join(folder, "__init__.py")):
        folder, name = os.path.split(folder)
        parts.insert(0, name)
    return folder, ".".join(parts) or None


class Listings:
    """os.listdir once per folder for one run: looking a name up is then a set lookup, not a
    handful of stat calls (an `from numpy import a, b, c` asks whether a, b, c are modules)."""

    def __init__(self):
        self._names: dict[str, Optional[frozenset]] = {}

    def __call__(self, folder: str) -> Optional[frozenset]:
        if folder not in self._names:
            try:
                self._names[folder] = frozenset(os.listdir(folder))
            except OSError:
                self._names[folder] = None  # not a folder
        return self._names[folder]


def module_files(root: str, parts: list[str], skip: int = 0, listing: Optional[Listings] = None):
    """What `import a.b.c` runs below `root` (parts[skip:] are looked up there): how the first
    part was found ("regular", "namespace", "extension", or None: not there), and the
    [(file, module name, its package)] that run."""
    listing = listing or Listings()
    found: list[tuple[str, str, Optional[str]]] = []
    here, kind = root, None
    for i in range(skip, len(parts)):
        name, part = ".".join(parts[: i + 1]), parts[i]
        names = listing(here) or frozenset()
        folder = os.path.join(here, part)
        inside = listing(folder) if part in names else None
        if inside is not None and "__init__.py" in inside:
            found.append((os.path.join(folder, "__init__.py"), name, name))
            here, step = folder, "regular"
        elif part + ".py" in names:
            found.append((folder + ".py", name, name.rpartition(".")[0] or None))
            step = "module"
        elif any(part + suffix in names for suffix in importlib.machinery.EXTENSION_SUFFIXES):
            step = "extension"  # compiled: nothing to read
        elif inside is not None:
            here, step = folder, "namespace"
        else:
            break
        kind = kind or ("regular" if step == "module" else step)
        if step in ("module", "extension"):
            break
    return kind, found


@dataclass
class _Facts:
    keras: Optional[str]
    imports: list[Import]


class Closure:
    """Answers `reach(path)` for many files of one run, sharing what it has read."""

    def __init__(self, cache: FactsCache = NO_CACHE):
        self.cache = cache
        self.distributions = Distributions()
        self.distributions.cache = cache
        self._installed: dict[str, Optional[tuple[str, ...]]] = {}  # module -> chain to keras, or None
        self._facts: dict[str, _Facts] = {}  # installed module name -> facts
        self._specs: dict[str, object] = {}
        self._runs: dict[str, Optional[list[str]]] = {}  # dotted name -> installed modules it runs
        self.listing = Listings()

    # the user's side: the file and its local modules, followed without a depth limit
    def reach(self, path: str) -> Reach:
        """Raises source.Unreadable when `path` itself cannot be read as Python."""
        tree = source.parse(path)
        root, package = package_root(path)
        roots = list(dict.fromkeys([os.path.dirname(os.path.abspath(path)), root]))
        queue = deque([(imports_in(tree, package), ())])
        seen = {os.path.abspath(path)}
        unknown: Optional[Reach] = None
        while queue:
            imports, chain = queue.popleft()
            for imp in imports:
                verdict, detail = self._follow(imp, roots, chain, seen, queue)
                if verdict == "keras":
                    return Reach("keras", detail)
                if verdict == "unknown" and unknown is None:
                    unknown = Reach("unknown", detail[0], detail[1])
        return unknown or Reach("none")

    def _follow(self, imp: Import, roots: list[str], chain: tuple, seen: set, queue: deque):
        parts = imp.name.split(".")
        top = parts[0]
        if top in KERAS:
            return "keras", chain + (top,)
        kind, files = self._local(roots, parts, allow_namespace=False)
        if kind is None and top in sys.stdlib_module_names:
            return "none", None
        if kind is None:
            installed = self._installed_files(parts)
            if installed is not None:
                for name in installed:
                    found = self.installed_reach(name)
                    if found is not None:
                        return "keras", chain + found
                return "none", None
            kind, files = self._local(roots, parts, allow_namespace=True)
        if kind is None:
            if imp.optional:
                return "none", None
            return "unknown", (chain + (top,), "is not installed here")
        for file, name, package in files:
            if file in seen:
                continue
            seen.add(file)
            try:
                tree = source.parse(file)
            except source.Unreadable as exc:
                return "unknown", (chain + (name,), f"cannot be read ({exc.message} at line {exc.line})")
            except source.CheckError:
                return "unknown", (chain + (name,), "cannot be read")
            queue.append((imports_in(tree, package), chain + (name,)))
        return "none", None

    def _local(self, roots: list[str], parts: list[str], allow_namespace: bool):
        for root in roots:
            kind, files = module_files(root, parts, listing=self.listing)
            if kind is not None and (allow_namespace or kind != "namespace"):
                return kind, files
        return None, []

    # the installed side: packages located by find_spec, followed to INSTALLED_DEPTH
    def _spec(self, top: str):
        if top not in self._specs:
            try:
                self._specs[top] = importlib.util.find_spec(top)  # top-level only: imports nothing
            except (ImportError, ValueError, AttributeError):
                self._specs[top] = None
        return self._specs[top]

    def _installed_files(self, parts: list[str]) -> Optional[list[str]]:
        """Module names that `import a.b.c` runs from an installed package (a, a.b, a.b.c as
        far as they are modules), or None when `a` is not installed."""
        key = ".".join(parts)
        if key not in self._runs:
            self._runs[key] = self._find_installed_files(parts)
        return self._runs[key]

    def _find_installed_files(self, parts: list[str]) -> Optional[list[str]]:
        spec = self._spec(parts[0])
        if spec is None:
            return None
        names = [parts[0]]
        for location in spec.submodule_search_locations or []:
            kind, files = module_files(location, parts, skip=1, listing=self.listing)
            if kind is not None:
                return names + [name for _, name, _ in files]
        return names

    def installed_reach(self, start: str) -> Optional[tuple[str, ...]]:
        """The shortest chain from installed module `start` to keras (within INSTALLED_DEPTH)."""
        if start in self._installed:
            return self._installed[start]
        self._installed[start] = None  # cycles
        answer = None
        queue, seen = deque([(start, 0, (start,))]), {start}
        while queue and answer is None:
            name, depth, chain = queue.popleft()
            requires = self.distributions.requires_keras(name.partition(".")[0], self._spec(name.partition(".")[0]))
            if requires:
                answer = chain + (f"requires {requires}",)
                break
            facts = self._installed_facts(name)
            if facts.keras:
                answer = chain + (facts.keras,)
                break
            if depth >= INSTALLED_DEPTH:
                continue
            own = name.partition(".")[0]
            for imp in facts.imports:
                parts = imp.name.split(".")
                if imp.deferred and parts[0] != own:
                    continue  # another package's import inside a function: an optional extra
                if parts[0] in sys.stdlib_module_names and parts[0] not in KERAS:
                    continue
                for module in self._installed_files(parts) or []:
                    if module not in seen:
                        seen.add(module)
                        queue.append((module, depth + 1, chain + (module,)))
        self._installed[start] = answer
        return answer

    def _installed_facts(self, name: str) -> _Facts:
        if name in self._facts:
            return self._facts[name]
        dist = self.distributions.of(name.partition(".")[0], self._spec(name.partition(".")[0]))
        cached = self.cache.get(dist, name) if dist else None
        if cached is not None:
            facts = _Facts(cached[0], [Import(n, deferred=bool(d)) for n, d in cached[1]])
        else:
            facts = self._read_installed(name)
            if dist:
                self.cache.put(dist, name, facts.keras, [[i.name, int(i.deferred)] for i in facts.imports])
        self._facts[name] = facts
        return facts

    def _read_installed(self, name: str) -> _Facts:
        path = self._installed_path(name)
        if path is None:
            return _Facts(None, [])
        try:
            tree = source.parse(path)
        except source.CheckError:
            return _Facts(None, [])  # an installed file Python cannot read is not ours to report
        package = name if path.endswith("__init__.py") else (name.rpartition(".")[0] or None)
        imports = imports_in(tree, package)
        own = name.partition(".")[0]
        followed = [Import(i.name, deferred=i.deferred) for i in imports if not i.deferred or i.name.partition(".")[0] == own]
        return _Facts(keras_import(imports), list(dict.fromkeys(followed)))

    def _installed_path(self, name: str) -> Optional[str]:
        parts = name.split(".")
        spec = self._spec(parts[0])
        if spec is None:
            return None
        if len(parts) == 1:
            return spec.origin if spec.origin and spec.origin.endswith(".py") else None
        for location in spec.submodule_search_locations or []:
            _, files = module_files(location, parts, skip=1, listing=self.listing)
            if files and files[-1][1] == name:
                return files[-1][0]
        return None

    def save(self) -> None:
        self.cache.save()
