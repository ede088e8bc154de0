"""Where a dotted module name leads below a folder: the files `import a.b.c` runs, found the way
Python's path finder does (package, module, compiled extension, namespace folder), with one
directory listing per folder."""

from __future__ import annotations

import importlib.machinery
import os
from typing import Optional


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
