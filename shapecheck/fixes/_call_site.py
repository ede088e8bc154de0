"""--suggest-rebuild's candidates: an argument of a call in the chain, and its exact edit.

For each (caller, callee) pair of a finding's call chain, each boolean or small-integer
argument of the callee gives the other value(s); the edit is exact when the caller's line,
in the checked file, has one call of the callee that passes that value as a literal (it is
replaced) or not at all (the keyword is added).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Iterator, Optional, Union

from shapecheck.fixes._source import Source, end_of
from shapecheck.graph import ChainFrame
from shapecheck.rules.base import Finding, TextEdit

LARGEST_SMALL_INT = 8  # an int argument up to this may pick a branch (strides, a block count)


@dataclass(frozen=True)
class Candidate:
    """One argument of one call, with the other value to try."""

    caller: str
    callee: str
    line: int
    name: str
    new: str
    edit: TextEdit

    def describe(self) -> str:
        by = "the module's" if self.caller == "<module>" else f"{self.caller}()'s"
        return f"{self.name}={self.new} in {by} call of {self.callee} (line {self.line}): verified by rebuilding"


def candidates(finding: Finding, source: Source, path: str) -> Iterator[Candidate]:
    """Every exact candidate edit of the finding's call chains (its own and its repeats'),
    innermost call first."""
    seen = set()
    for chain in finding.chains():
        for caller, callee in reversed(list(zip(chain, chain[1:]))):
            if caller.cell is not None or callee.cell is not None:
                continue
            for name, value in callee.args:
                for new in other_values(value):
                    edit = call_site_edit(source, caller, callee, name, value, new, path)
                    candidate = (
                        Candidate(caller.function, callee.function, caller.line, name, new, edit) if edit else None
                    )
                    if candidate is not None and candidate not in seen:
                        seen.add(candidate)
                        yield candidate


def other_values(value: str) -> list[str]:
    if value in ("True", "False"):
        return ["False" if value == "True" else "True"]
    if value.isdigit() and int(value) <= LARGEST_SMALL_INT:
        number = int(value)
        return [str(n) for n in (number + 1, number - 1) if n >= 0]
    return []


def call_site_edit(
    source: Source, caller: ChainFrame, callee: ChainFrame, name: str, old: str, new: str, path: str
) -> Optional[TextEdit]:
    """The edit giving `name` the value `new` in the one call of `callee` on the caller's line,
    if that call is in this file and passes a literal `old` (or nothing: the default)."""
    if not _in_caller(source.tree, caller):
        return None
    calls = [
        n
        for n in ast.walk(source.tree)
        if isinstance(n, ast.Call) and n.lineno == caller.line and _name(n.func) == callee.function
    ]
    definition = _function(source.tree, callee.function)
    if len(calls) != 1 or definition is None:
        return None
    call = calls[0]
    if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
        return None
    value = next((k.value for k in call.keywords if k.arg == name), None)
    params = [a.arg for a in definition.args.posonlyargs + definition.args.args]
    if params[:1] in (["self"], ["cls"]) and isinstance(call.func, ast.Attribute):
        params = params[1:]  # self.block(x, ...): the first argument written is the second parameter
    if value is None and name in params and params.index(name) < len(call.args):
        value = call.args[params.index(name)]
    if value is not None:
        end_line, end_offset = end_of(value)
        if not (isinstance(value, ast.Constant) and repr(value.value) == old) or value.lineno != end_line:
            return None
        return source.edit(value.lineno, value.col_offset, end_line, end_offset, new, path, None)
    if name not in params + [a.arg for a in definition.args.kwonlyargs]:
        return None
    arguments = call.args + [k for k in call.keywords]
    if arguments:
        last_line, last_end = end_of(max(arguments, key=end_of))
        return source.edit(last_line, last_end, last_line, last_end, f", {name}={new}", path, None)
    end_line, end_offset = end_of(call)
    end = end_offset - 1  # the closing parenthesis
    return source.edit(end_line, end, end_line, end, f"{name}={new}", path, None)


def _in_caller(tree: ast.Module, caller: ChainFrame) -> bool:
    """The caller's line lies in a function of that name in this file (or at module level)."""
    if caller.function == "<module>":
        return True
    return any(
        isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
        and n.name == caller.function
        and n.lineno <= caller.line <= end_of(n)[0]
        for n in ast.walk(tree)
    )


def _function(tree: ast.Module, name: str) -> Optional[Union[ast.FunctionDef, ast.AsyncFunctionDef]]:
    found = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == name]
    return found[0] if len(found) == 1 else None


def _name(func: ast.AST) -> str:
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
