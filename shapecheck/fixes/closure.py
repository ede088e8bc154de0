"""SC203: bind the late-bound names as defaults: `lambda x: ... c ...` -> `lambda x, c=c: ...`."""

from __future__ import annotations

import ast
from typing import Iterator, Optional

from shapecheck.fixes import FindingSite, suggester
from shapecheck.fixes._source import Source, calls_at, end_of, inside, line_label, read_source
from shapecheck.rules.base import Fix, TextEdit


@suggester("SC203")
def bind_defaults(site: FindingSite) -> Iterator[Fix]:
    finding, location = site.finding, site.node.location
    names = late_bound_names(site)
    if not names or location is None or not finding.line:
        return
    source = read_source(location.path, location.cell)
    edit = closure_edit(source, finding.line, finding.column, names, finding.path, finding.cell) if source else None
    bound = ", ".join(f"{name}={name}" for name in names)
    where = line_label(finding)
    yield Fix(
        description=f"lambda ..., {bound}: bind {', '.join(names)} when the Lambda is made{where}",
        kind="closure",
        path=finding.path,
        line=finding.line,
        edits=(edit,) if edit else (),
        safe=edit is not None,
        cell=finding.cell,
        cost=len(names),
    )


def late_bound_names(site: FindingSite) -> list[str]:
    """The names the rule reported: late-bound in any Lambda created at the finding's line."""
    where = site.node.location
    names: set[str] = set()
    for _, node in site.model.walk():
        if node.op == "Lambda" and node.location == where:
            names.update(name for name, _, _ in node.config.get("late_bound") or ())
    return sorted(names)


def closure_edit(
    source: Source, line: int, column: Optional[int], names: list[str], path: str, cell: Optional[int] = None
) -> Optional[TextEdit]:
    """The edit adding `name=name` defaults to the one lambda of the layer call at (line,
    column), or None when that is not exact: no lambda or several there, a name it does not
    read, parameters (*args, keyword-only, positional-only) a default cannot simply follow."""
    lambdas = _lambdas_at(source.tree, line, column)
    if len(lambdas) != 1:
        return None
    function = lambdas[0]
    params = function.args
    if params.vararg or params.kwarg or params.kwonlyargs or params.posonlyargs:
        return None
    taken = {a.arg for a in params.args}
    if taken & set(names) or not set(names) <= _free_names(function):
        return None
    defaults = ", ".join(f"{name}={name}" for name in names)
    if params.args:
        last = params.defaults[-1] if params.defaults else params.args[-1]
        start_line, start = end_of(last)
        replacement = ", " + defaults
    else:
        start_line, start = function.lineno, function.col_offset + len("lambda")
        if source.lines[start_line - 1].encode("utf-8")[start : start + 1] != b":":
            return None  # `lambda :` with a space, a line break: not the form we rewrite
        replacement = " " + defaults
    edit = source.edit(start_line, start, start_line, start, replacement, path, cell)
    return edit if _still_compiles(source, function, start_line, start, replacement, names) else None


def _lambdas_at(tree: ast.AST, line: int, column: Optional[int]) -> list[ast.Lambda]:
    """Lambdas inside the call at (line, column); failing that, those starting on the line."""
    calls = calls_at(tree, line, column) if column else []
    found = {id(node): node for call in calls[:1] for node in inside(call, ast.Lambda)}
    if not found:
        found = {id(node): node for node in inside(tree, ast.Lambda) if node.lineno == line}
    return list(found.values())


def _free_names(function: ast.Lambda) -> set[str]:
    params = {a.arg for a in function.args.args}
    return {n.id for n in inside(function.body, ast.Name) if isinstance(n.ctx, ast.Load)} - params


def _still_compiles(source: Source, function: ast.Lambda, line: int, start: int, insert: str, names: list[str]) -> bool:
    """The lambda's text with the insertion parses, and binds every name."""
    raw = [text.encode("utf-8") for text in source.lines]
    raw[line - 1] = raw[line - 1][:start] + insert.encode("utf-8") + raw[line - 1][start:]
    first, (last, function_end) = function.lineno, end_of(function)
    end = function_end + (len(insert.encode("utf-8")) if last == line else 0)
    chunk = b"".join(raw[first - 1 : last])
    chunk = chunk[function.col_offset : len(chunk) - len(raw[last - 1]) + end]
    try:
        text = "(" + chunk.decode("utf-8") + "\n)"
        compile(text, "<lambda>", "eval", dont_inherit=True)  # duplicate parameters fail here, not in the parser
        rewritten = ast.parse(text, mode="eval").body
    except (SyntaxError, UnicodeDecodeError, ValueError):
        return False
    return isinstance(rewritten, ast.Lambda) and set(names) <= {a.arg for a in rewritten.args.args}
