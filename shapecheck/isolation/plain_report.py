"""A report made in a child process, stripped of what only that process can hold."""

from __future__ import annotations

from numbers import Integral, Real


def plain_report(report):
    """Drop Keras objects and shape functions (closures over Keras) from a FileReport, and
    make every layer configuration plain data (Keras keeps some lists as tracked lists)."""
    for graph in report.models:
        graph.source = None
        graph.judge = None
        for owner, node in graph.walk():
            node.shape_function = None
            owner.source = None
            owner.judge = None
            node.config = {str(k): plain(v) for k, v in node.config.items()}
    return report


def plain(value):
    """Builtin containers and scalars only (a numpy int becomes an int)."""
    if isinstance(value, (str, bool)) or value is None or value is Ellipsis:
        return value
    if isinstance(value, Integral):
        return int(value)
    if isinstance(value, Real):
        return float(value)
    if isinstance(value, slice):
        return slice(plain(value.start), plain(value.stop), plain(value.step))
    if isinstance(value, tuple):
        return tuple(plain(v) for v in value)
    if isinstance(value, (list, set, frozenset)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return repr(value)
