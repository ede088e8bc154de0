"""`[tool.shapecheck]` in pyproject.toml, found like ruff finds its own: the nearest
pyproject.toml with that table, walking up from the checked path (or from the working
directory); `--config FILE` names one. Unknown keys are errors that name the key.

    [tool.shapecheck]
    select = ["SC1", "SC2"]
    ignore = ["SC301"]
    fail-on = "error"
    sizes = "32:2048"
    timeout = 60

    [tool.shapecheck.per-file-ignores]
    "legacy/*.py" = ["SC201"]

    [tool.shapecheck.entries]
    "models/unet.py" = ["build_unet"]
    "models/resnet.py" = [{ function = "build_resnet", args = { depth = 50 } }]
"""

from __future__ import annotations

import ast
import fnmatch
import os
import tomllib
from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Union, cast

from shapecheck import bounded
from shapecheck.errors import CheckError

KEYS = {"select", "ignore", "per-file-ignores", "fail-on", "entries", "sizes", "timeout", "input-shapes"}
FAIL_ON = {"error", "warning", "info", "never"}
InputShape = Union[tuple, List[tuple]]  # a batch shape, or a list of them (one per input)


@dataclass(frozen=True)
class Entry:
    """A builder function to call, with keyword arguments (from the config)."""

    function: str
    args: tuple = ()  # ((name, value), ...)


@dataclass
class Config:
    path: Optional[str] = None  # the pyproject.toml it came from
    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    per_file_ignores: dict[str, list[str]] = field(default_factory=dict)
    fail_on: Optional[str] = None
    entries: dict[str, list[Entry]] = field(default_factory=dict)
    sizes: Optional[str] = None
    timeout: Optional[float] = None
    input_shapes: dict[str, InputShape] = field(default_factory=dict)  # subclassed model name -> batch shape

    @property
    def root(self) -> str:
        return os.path.dirname(os.path.abspath(self.path)) if self.path else os.getcwd()

    def _matching(self, table: dict, path: str) -> list:
        relative = os.path.relpath(os.path.abspath(path), self.root).replace(os.sep, "/")
        found = []
        for pattern, values in table.items():
            if fnmatch.fnmatch(relative, pattern) or fnmatch.fnmatch(os.path.basename(path), pattern):
                found.extend(values)
        return found

    def ignores_for(self, path: str) -> list[str]:
        return self._matching(self.per_file_ignores, path)

    def entries_for(self, path: str) -> list[Entry]:
        return self._matching(self.entries, path)


def find(paths: Sequence[str], explicit: Optional[str] = None) -> Config:
    if explicit:
        if not os.path.isfile(explicit):
            raise CheckError(f"--config {explicit}: no such file")
        config = load(explicit, require_table=False)
        assert config is not None  # without require_table, load always gives a Config
        return config
    start = os.path.abspath(paths[0]) if paths else os.getcwd()
    folder = start if os.path.isdir(start) else os.path.dirname(start)
    while True:
        candidate = os.path.join(folder, "pyproject.toml")
        if os.path.isfile(candidate):
            config = load(candidate, require_table=True)
            if config is not None:
                return config
        parent = os.path.dirname(folder)
        if parent == folder:
            return Config()
        folder = parent


def load(path: str, require_table: bool) -> Optional[Config]:
    try:
        data = tomllib.loads(bounded.read_file(path, bounded.MAX_SETTINGS_BYTES, "pyproject.toml").decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise CheckError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except RecursionError:
        raise CheckError(f"{path}: invalid TOML: nested too deeply") from None
    except tomllib.TOMLDecodeError as exc:
        raise CheckError(f"{path}: invalid TOML: {exc}") from None
    except OSError as exc:
        raise CheckError(f"{path}: cannot read: {exc.strerror}") from None
    table = data.get("tool", {}).get("shapecheck")
    if table is None:
        return None if require_table else Config(path=path)
    return parse(table, path)


def parse(table: dict, path: str) -> Config:
    where = f"{path}: [tool.shapecheck]"
    unknown = sorted(set(table) - KEYS)
    if unknown:
        raise CheckError(f"{where}: unknown key '{unknown[0]}' (known: {', '.join(sorted(KEYS))})")
    config = Config(path=path)
    config.select = _codes(table.get("select", []), f"{where} select")
    config.ignore = _codes(table.get("ignore", []), f"{where} ignore")
    for pattern, codes in _table(table.get("per-file-ignores", {}), f"{where} per-file-ignores").items():
        config.per_file_ignores[pattern] = _codes(codes, f"{where} per-file-ignores '{pattern}'")
    if "fail-on" in table:
        if table["fail-on"] not in FAIL_ON:
            raise CheckError(f"{where} fail-on: expected one of {', '.join(sorted(FAIL_ON))}, got {table['fail-on']!r}")
        config.fail_on = table["fail-on"]
    if "sizes" in table:
        config.sizes = str(table["sizes"])
    if "timeout" in table:
        if (
            not isinstance(table["timeout"], (int, float))
            or isinstance(table["timeout"], bool)
            or table["timeout"] <= 0
        ):
            raise CheckError(f"{where} timeout: expected a positive number of seconds")
        config.timeout = float(table["timeout"])
    for pattern, entries in _table(table.get("entries", {}), f"{where} entries").items():
        config.entries[pattern] = [
            _entry(e, f"{where} entries '{pattern}'") for e in _list(entries, f"{where} entries")
        ]
    for name, shape in _table(table.get("input-shapes", {}), f"{where} input-shapes").items():
        config.input_shapes[name] = input_shape(str(shape), f"{where} input-shapes '{name}'")
    return config


def input_shape(text: str, where: str = "--input-shape") -> InputShape:
    """'224,224,3' or '(None, None, 3)' -> (None, 224, 224, 3): a batch shape; several
    inputs as a list of tuples, '[(30,), (None,)]'."""
    try:
        value = ast.literal_eval(text if text.strip().startswith(("(", "[")) else f"({text},)")
    except (ValueError, SyntaxError):
        value = None

    def one(shape) -> Optional[tuple]:
        dims = tuple(shape) if isinstance(shape, (tuple, list)) else None
        if not dims or not all(d is None or (isinstance(d, int) and not isinstance(d, bool) and d > 0) for d in dims):
            return None
        return (None,) + dims

    if isinstance(value, list) and value and all(isinstance(v, (tuple, list)) for v in value):
        shapes = [one(v) for v in value]
        if all(shapes):
            return cast("List[tuple]", shapes)  # no None among them
    elif shape := one(value):
        return shape
    raise CheckError(
        f"{where}: expected a shape without the batch axis, such as 224,224,3 or (None, None, 3); got {text!r}"
    )


def parse_input_shapes(values: Sequence[str]) -> dict[str, InputShape]:
    """--input-shape NAME=SHAPE (repeatable): NAME is a variable, builder or class name."""
    shapes = {}
    for value in values:
        name, sep, shape = value.partition("=")
        if not sep or not name.strip():
            raise CheckError(f"--input-shape {value!r}: expected NAME=SHAPE, e.g. Net=224,224,3")
        shapes[name.strip()] = input_shape(shape, f"--input-shape {name.strip()}")
    return shapes


def _table(value, where: str) -> dict:
    if not isinstance(value, dict):
        raise CheckError(f"{where}: expected a table")
    return value


def _list(value, where: str) -> list:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        raise CheckError(f"{where}: expected a list")
    return value


def _codes(value, where: str) -> list[str]:
    items = _list(value, where)
    if not all(isinstance(v, str) for v in items):
        raise CheckError(f"{where}: expected rule codes as strings")
    return [v.strip().upper() for v in items]


def _entry(value, where: str) -> Entry:
    if isinstance(value, str):
        return Entry(value)
    if isinstance(value, dict):
        unknown = sorted(set(value) - {"function", "args"})
        if unknown:
            raise CheckError(f"{where}: unknown key '{unknown[0]}' (known: args, function)")
        if not isinstance(value.get("function"), str):
            raise CheckError(f'{where}: an entry needs function = "name"')
        args = _table(value.get("args", {}), f"{where} args")
        return Entry(value["function"], tuple(sorted((k, _frozen(v)) for k, v in args.items())))
    raise CheckError(f"{where}: an entry is a function name or {{ function = ..., args = {{...}} }}")


def _frozen(value):
    """TOML arrays become tuples (shapes); 'None' strings inside them become None (TOML has no null)."""
    if isinstance(value, list):
        return tuple(None if v == "None" else _frozen(v) for v in value)
    return value
