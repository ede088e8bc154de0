"""Run a builder module under instrumentation and collect the models it builds.

The module is executed the way pytest imports a test file: under its own name (never
`__main__`), with its folder on sys.path, its output captured. Then builder-looking
functions that need no arguments are called once each, unless the module already
called them.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import io
import os
import re
import sys
import time
import traceback
import types
from dataclasses import dataclass, field
from typing import Optional, Sequence

from shapecheck import timing
from shapecheck.cells import is_notebook
from shapecheck.errors import CheckError, message_line
from shapecheck.graph import Graph
from shapecheck.load import source
from shapecheck.load.module_paths import package_root
from shapecheck.load.notebook_run import NotebookRun
from shapecheck.load.time_limit import alarm

BUILDER_NAME = re.compile(r"^(build|create|get|make)|model|net", re.IGNORECASE)


class BuilderTimeout(BaseException):
    """Raised inside the module when --timeout expires (BaseException: user `except
    Exception` blocks must not swallow it)."""


@dataclass
class LoadedModule:
    graphs: list[Graph] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # functions not called, with the reason
    output: str = ""  # what the module printed
    # a builder raised after mismatches were recorded: the layers built so far are checked and
    # this is the file's error (exit 2), beside the findings (never lost)
    fatal: Optional[str] = None


def load_builder_module(
    path: str,
    entries: Sequence[str] = (),
    timeout: float = 120.0,
    input_shapes: Optional[dict] = None,
    defer_weights: bool = True,
    text: Optional[str] = None,
) -> LoadedModule:
    """`input_shapes`: batch shapes for subclassed models, by variable or class name. A
    notebook (.ipynb) runs cell by cell (notebook_run.py); a cell that raises is noted.
    `text`: run this source instead of the file's, under the file's name (an edited copy
    that --suggest-rebuild tries; nothing is written).

    With `defer_weights`, variables get no values while the module runs (capture/weights.py);
    a module that reads one is run again the ordinary way, within what is left of `timeout`."""
    from shapecheck.capture import weights  # imports Keras: only once a module is worth running

    start = time.monotonic()
    if defer_weights:
        try:
            return _load(path, entries, timeout, input_shapes, text, defer_weights=True)
        except weights.WeightsRead as read:
            note = f"the module reads weight values ({read}): run again with weights initialised"
        timeout = max(timeout - (time.monotonic() - start), 0.01)
        result = _load(path, entries, timeout, input_shapes, text, defer_weights=False)
        if os.environ.get("SHAPECHECK_DEBUG"):
            result.notes.append(note)
        return result
    return _load(path, entries, timeout, input_shapes, text, defer_weights=False)


def _load(
    path: str,
    entries: Sequence[str],
    timeout: float,
    input_shapes: Optional[dict],
    text: Optional[str],
    defer_weights: bool,
) -> LoadedModule:
    cells = NotebookRun(path) if is_notebook(path) and text is None else None
    code = None if cells is not None else _compile(source.read_text(path) if text is None else text, path)
    from shapecheck.capture import session
    from shapecheck.capture.weights import WeightsRead

    module = _new_module(path)
    result = LoadedModule()
    raised: list[str] = []  # builders that raised without building a model
    with (
        timing.phase("module"),
        session.capture(defer_weights) as recorder,
        _module_context(path, module) as printed,
        _deadline(timeout),
    ):
        recorder.callsites.boundary = sys._getframe()
        user = recorder.callsites.is_user_file
        if cells is not None:
            cells.execute(
                module.__dict__, _run, user, lambda e: any(r.error is e for r in recorder.models), (BuilderTimeout,)
            )
            result.notes.extend(cells.notes)
        else:
            assert code is not None  # compiled: no cells
            _, exc = _run(lambda: exec(code, module.__dict__))
            if exc is not None and not recorder.models and not recorder.sites:
                raise CheckError(describe_exception(exc, path, user))
            if exc is not None and not recorder.models and _salvage(recorder, 0, exc, "the module"):
                result.fatal = describe_exception(exc, path, user)
                exc = None
            if exc is not None and not any(record.error is exc for record in recorder.models):
                result.notes.append(f"the module raised after building: {describe_exception(exc, path, user)}")
        builders, result.skipped = _builder_functions(module, entries, recorder.callsites.seen_codes)
        needs_arguments = list(result.skipped)
        made = list(vars(module).items())
        for name, function in builders:
            before, recorded = len(recorder.models), len(recorder.keep_alive)
            value, exc = _run(function)
            made.append((name + "()", value))
            if exc is None or any(record.error is exc for record in recorder.models):
                continue
            where = describe_exception(exc, path, user, name)
            if len(recorder.models) == before and _salvage(recorder, recorded, exc, f"{name}()"):
                result.fatal = result.fatal or (f"--entry {name}: {where}" if entries else where)
                continue
            if entries:
                raise CheckError(f"--entry {name}: {where}")
            if len(recorder.models) == before:
                raised.append(where)
            result.notes.append(f"{name}() raised: {where}")
        skipped, notes = session.trace_subclassed(recorder, made, input_shapes or {})
        result.skipped += skipped
        result.notes += notes
        if recorder.weights is not None and recorder.weights.read:  # the module caught WeightsRead itself
            raise WeightsRead(recorder.weights.read)
    result.output = printed.getvalue()
    with timing.phase("graph"):
        result.graphs, notes = session.collect_graphs(recorder)
    result.notes.extend(notes)
    if not result.graphs and cells is not None and cells.failures:
        raise CheckError(cells.no_model_reason())
    if not result.graphs and raised:
        raise CheckError(raised[0])
    if result.graphs:  # builders that need arguments matter only when nothing was built
        needs = [s for s in result.skipped if s in needs_arguments]
        result.skipped = [s for s in result.skipped if s not in needs_arguments]
        if os.environ.get("SHAPECHECK_DEBUG"):
            result.notes.extend(f"not called: {s}" for s in needs)
    if recorder.skipped_calls:
        result.notes.append(
            "not run: " + ", ".join(recorder.skipped_calls) + " (shapecheck never trains, saves or prints)"
        )
    return result


def _salvage(recorder, start: int, exc: BaseException, who: str) -> bool:
    """A builder that raised before `Model(...)`, after a merge mismatch was recorded (and
    guessed past): keep what it built as a partial model, so those findings are reported
    beside the raise. False when no mismatch was recorded: then the raise is the whole story."""
    from shapecheck.capture.records import ModelRecord, Site

    if not recorder.mismatch_since(start):
        return False
    outputs = recorder.frontier_since(start)
    if not outputs:
        return False
    recorder.models.append(ModelRecord(Site(None, ()), owner=object(), outputs=outputs, error=exc, raised_in=who))
    return True


def _compile(text: str, path: str):
    try:
        return compile(text, os.path.abspath(path), "exec", dont_inherit=True)
    except SyntaxError as exc:
        col = f":{exc.offset}" if exc.offset else ""
        raise CheckError(f"{path}:{exc.lineno}{col}: SyntaxError: {exc.msg}") from None
    except ValueError as exc:  # e.g. null bytes
        raise CheckError(f"{path}: cannot compile: {exc}") from None


def _new_module(path: str) -> types.ModuleType:
    """A module named as pytest would import it: `pkg.sub.mod` inside a package (so relative
    imports work), its file's stem outside one."""
    stem = os.path.splitext(os.path.basename(path))[0]
    package = package_root(path)[1]
    name = (package if stem == "__init__" else f"{package}.{stem}") if package else stem
    if not all(part.isidentifier() for part in name.split(".")) or name in sys.modules:
        name = f"shapecheck_builder_{abs(hash(path))}"
    module = types.ModuleType(name)
    module.__file__ = os.path.abspath(path)
    module.__package__ = package  # relative imports resolve from it, whatever the name
    return module


@contextlib.contextmanager
def _module_context(path: str, module: types.ModuleType):
    """sys.modules entry, the module's folder (and its package root, for a file inside a
    package) on sys.path, and captured stdout/stderr."""
    folders = list(dict.fromkeys([os.path.dirname(os.path.abspath(path)), package_root(path)[0]]))
    sys.modules[module.__name__] = module
    sys.path[:0] = folders
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
            yield printed
    finally:
        sys.modules.pop(module.__name__, None)
        for folder in folders:
            with contextlib.suppress(ValueError):
                sys.path.remove(folder)


def _deadline(seconds: float):
    return alarm(seconds, lambda: BuilderTimeout(f"timed out after {seconds:g} s (--timeout)"))


def _run(function) -> tuple[object, Optional[BaseException]]:
    """Call `function`; return (its value, what it raised)."""
    from shapecheck.capture.weights import WeightsRead

    try:
        return function(), None
    except (KeyboardInterrupt, WeightsRead):
        raise
    except BaseException as exc:  # noqa: BLE001 - the user's code may raise anything, SystemExit included
        return None, exc


def describe_exception(exc: BaseException, path: str, is_user_file=None, function: str = "") -> str:
    """'file:line: Type: first line of the message', at the user's innermost line (in the
    checked file, or in another user file it called: `is_user_file(filename)`)."""
    target = os.path.abspath(path)
    frames = traceback.extract_tb(exc.__traceback__)
    mine = [f for f in frames if os.path.abspath(f.filename) == target or (is_user_file and is_user_file(f.filename))]
    where = path
    if mine:
        inner = mine[-1]
        shown = path if os.path.abspath(inner.filename) == target else os.path.relpath(inner.filename)
        where = f"{shown}:{inner.lineno}"
    by = f" (in {function}())" if function else ""
    if isinstance(exc, BuilderTimeout):
        return f"{where}: {exc}{by}"
    message = message_line(exc)
    text = f": {message}" if message else ""
    return f"{where}: {type(exc).__name__}{text}{by}"


def _builder_functions(module, entries: Sequence[str], seen_codes) -> tuple[list, list[str]]:
    """Functions to call, and the ones skipped with a reason."""
    calls: list = []
    skipped: list[str] = []
    args: dict
    for entry in entries:
        name, args = (entry, {}) if isinstance(entry, str) else (entry.function, dict(entry.args))
        function = module.__dict__.get(name)
        if not callable(function):
            raise CheckError(f"{module.__file__}: --entry {name}: no such function in the module")
        missing = [p for p in _required_parameters(function) if p not in args]
        if missing:
            raise CheckError(f"{module.__file__}: --entry {name}: needs arguments ({', '.join(missing)})")
        calls.append((name, functools.partial(function, **args) if args else function))
    if entries:
        return calls, skipped
    for name, function in list(module.__dict__.items()):
        if not inspect.isfunction(function) or function.__module__ != module.__name__:
            continue
        if not BUILDER_NAME.search(name) or name.startswith("_"):
            continue
        if function.__code__ in seen_codes:
            continue  # the module already called it while building
        missing = _required_parameters(function)
        if missing:
            skipped.append(f"{name}() needs arguments ({', '.join(missing)}); pass --entry or call it in the module")
            continue
        calls.append((name, function))
    return calls, skipped


def _required_parameters(function) -> list[str]:
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return []
    return [
        p.name
        for p in signature.parameters.values()
        if p.default is inspect.Parameter.empty
        and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    ]
