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
distribution whose metadata requires keras or tensorflow counts at once. What each installed module imports is cached per
distribution name and version (imports_cache.py), so a second run reads only the user's files.
Nothing here imports TensorFlow, Keras or the checked code.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections import deque
from dataclasses import dataclass
from typing import Optional

from shapecheck.load import source
from shapecheck.load.import_statements import KERAS, Import, imports_in, keras_import
from shapecheck.load.imports_cache import NO_CACHE, Distributions, FactsCache
from shapecheck.load.module_paths import Listings, module_files, package_root

INSTALLED_DEPTH = 5  # imports followed inside installed packages, counted from the first one


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


@dataclass
class _Facts:
    keras: Optional[str]
    imports: list[Import]


class Closure:
    """Answers `reach(path)` for many files of one run, sharing what it has read."""

    def __init__(self, cache: FactsCache = NO_CACHE):
        self.cache = cache
        self.distributions = Distributions(cache)
        self._installed: dict[str, Optional[tuple[str, ...]]] = {}  # module -> chain to keras, or None
        self._facts: dict[str, _Facts] = {}  # installed module name -> facts
        self._specs: dict[str, object] = {}
        self._runs: dict[str, Optional[list[str]]] = {}  # dotted name -> installed modules it runs
        self.listing = Listings()
        self._read_local: dict[tuple, object] = {}  # (local file, package) -> its imports, or why unreadable

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
            imports = self._local_imports(file, package)
            if isinstance(imports, str):
                return "unknown", (chain + (name,), imports)
            queue.append((imports, chain + (name,)))
        return "none", None

    def _local_imports(self, file: str, package: Optional[str]):
        """A local module's imports (read once per run), or why it cannot be read."""
        key = (file, package)
        if key not in self._read_local:
            try:
                self._read_local[key] = imports_in(source.parse(file), package)
            except source.Unreadable as exc:
                self._read_local[key] = f"cannot be read ({exc.message} at line {exc.line})"
            except source.CheckError:
                self._read_local[key] = "cannot be read"
        return self._read_local[key]

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
        answer = None
        queue: deque[tuple[str, int, tuple[str, ...]]] = deque([(start, 0, (start,))])
        seen = {start}
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
        followed = [
            Import(i.name, deferred=i.deferred) for i in imports if not i.deferred or i.name.partition(".")[0] == own
        ]
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
