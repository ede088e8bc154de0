"""Source locations and user call chains, read from the Python stack.

A frame is the user's when its file lies outside keras, tensorflow, shapecheck, the
standard library and site-packages. The location of a layer call is the innermost
user frame; the chain is every user frame from the outermost in.
"""

from __future__ import annotations

import os
import sys
import sysconfig
from functools import lru_cache
from types import CodeType, FrameType
from typing import Optional

from shapecheck.cells import split_cell_filename
from shapecheck.graph import ChainFrame, Location

_SIMPLE = (bool, int, float, str, type(None))
MAX_ARG_REPR = 40


def _library_roots() -> tuple[str, ...]:
    roots = {os.path.dirname(os.path.dirname(os.path.abspath(__file__)))}  # shapecheck itself
    paths = sysconfig.get_paths()
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        if paths.get(key):
            roots.add(os.path.realpath(paths[key]))
    for name in ("keras", "tensorflow", "tf_keras", "optree", "numpy"):
        module = sys.modules.get(name)
        file = getattr(module, "__file__", None) if module is not None else None
        if file:
            roots.add(os.path.dirname(os.path.realpath(file)))
    return tuple(sorted(r + os.sep for r in roots))


class CallSites:
    """Reads the stack of the current call; cheap enough to run on every layer call."""

    def __init__(self) -> None:
        self._roots = _library_roots()
        self._user_files: dict[str, bool] = {}
        self.seen_codes: set[CodeType] = set()  # user functions seen on the stack of a layer call
        self.boundary: Optional[FrameType] = None  # the loader's frame: the chain stops there
        # id(frame) -> (frame, serial): tells one call of a function from the next. The frames
        # are held for the capture's lifetime so that their ids cannot be reused meanwhile.
        self._calls: dict[int, tuple[FrameType, int]] = {}

    def is_user_file(self, filename: str) -> bool:
        known = self._user_files.get(filename)
        if known is None:
            real = os.path.realpath(filename) if not filename.startswith("<") else filename
            known = not filename.startswith("<") and not real.startswith(self._roots)
            self._user_files[filename] = known
        return known

    def current(self, start: Optional[FrameType] = None) -> tuple[Optional[Location], tuple[ChainFrame, ...]]:
        frame: Optional[FrameType] = start or sys._getframe(1)
        user_frames = []
        while frame is not None and frame is not self.boundary:
            if self.is_user_file(frame.f_code.co_filename):
                user_frames.append(frame)
            frame = frame.f_back
        if not user_frames:
            return None, ()
        self.seen_codes.update(f.f_code for f in user_frames)
        inner = user_frames[0]
        line, column = _position(inner.f_code, inner.f_lasti)
        location = _location(inner.f_code.co_filename, line or inner.f_lineno, column)
        chain = tuple(c for f in reversed(user_frames) for c in _chain_frames(f, self._serial(f)))
        return location, chain

    def _serial(self, frame: FrameType) -> int:
        known = self._calls.get(id(frame))
        if known is None or known[0] is not frame:
            known = (frame, len(self._calls) + 1)
            self._calls[id(frame)] = known
        return known[1]


@lru_cache(maxsize=1024)
def _notebook_cell(filename: str) -> Optional[tuple[str, int]]:
    """(notebook path, cell) for code compiled from a notebook cell (load/notebook_run.py)."""
    return split_cell_filename(filename)


def _location(filename: str, line: int, column: int) -> Location:
    cell = _notebook_cell(filename)
    if cell is not None:
        return Location(cell[0], line, column, cell[1])
    return Location(os.path.abspath(filename), line, column)


def _chain_frames(frame: FrameType, call: int) -> tuple[ChainFrame, ...]:
    """One chain frame; the `call()` of a layer is preceded by the layer it belongs to,
    with its constructor's simple arguments: ResidualBlock 'residual_block_1' (filters=32)."""
    code = frame.f_code
    cell = _notebook_cell(code.co_filename)
    here = ChainFrame(code.co_name, frame.f_lineno, _simple_args(frame), call, cell[1] if cell else None)
    if code.co_name != "call":
        return (here,)
    owner = frame.f_locals.get("self")
    name = getattr(owner, "name", None)
    if not isinstance(name, str) or not hasattr(owner, "_inbound_nodes"):
        return (here,)
    label = f"{type(owner).__name__} '{name}'" if name else type(owner).__name__
    return (ChainFrame(label, 0, _init_args(owner), call), here)


def _init_args(layer) -> tuple[tuple[str, str], ...]:
    """Simple constructor arguments Keras recorded for the layer's get_config."""
    auto = getattr(layer, "_auto_config", None)
    values = getattr(auto, "config", None) or {}
    out = []
    for name, value in values.items():
        text = _simple_repr(value)
        if text is not None and name not in ("name", "trainable", "dtype"):
            out.append((name, text))
    return tuple(out)


def _simple_args(frame: FrameType) -> tuple[tuple[str, str], ...]:
    code = frame.f_code
    if code.co_name == "<module>":
        return ()
    count = code.co_argcount + code.co_kwonlyargcount
    names = code.co_varnames[:count]
    values = frame.f_locals
    out = []
    for name in names:
        if name == "self" or name not in values:
            continue
        text = _simple_repr(values[name])
        if text is not None:
            out.append((name, text))
    return tuple(out)


def _simple_repr(value) -> Optional[str]:
    if isinstance(value, _SIMPLE):
        text = repr(value)
    elif isinstance(value, tuple) and len(value) <= 6 and all(isinstance(v, _SIMPLE) for v in value):
        text = repr(value)
    else:
        return None
    return text if len(text) <= MAX_ARG_REPR else text[: MAX_ARG_REPR - 3] + "..."


@lru_cache(maxsize=4096)
def _positions(code: CodeType) -> tuple:
    return tuple(code.co_positions()) if hasattr(code, "co_positions") else ()


def _position(code: CodeType, lasti: int) -> tuple[Optional[int], int]:
    """(line, 1-based column) of the instruction being executed."""
    positions = _positions(code)
    index = lasti // 2
    if 0 <= index < len(positions):
        line, _end, col, _end_col = positions[index]
        return line, (col or 0) + 1
    return None, 1
