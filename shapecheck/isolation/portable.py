"""A report made in a child process, stripped of what only that process can hold."""

from __future__ import annotations


def portable(report):
    """Drop Keras objects and shape functions (closures over Keras) from a FileReport."""
    for graph in report.models:
        graph.source = None
        for owner, node in graph.walk():
            node.shape_function = None
            owner.source = None
    return report
