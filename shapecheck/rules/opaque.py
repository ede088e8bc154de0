"""SC003: a layer shapecheck could not look inside, so the merges in it are unchecked."""

from __future__ import annotations

from typing import Iterator

from shapecheck.graph import Graph
from shapecheck.rules.base import Context, Finding, NodeSite, Rule, Severity, register


@register
class OpaqueLayer(Rule):
    """What it does: reports a custom layer or subclassed model whose inside shapecheck
    could not follow: its `call()` uses something that cannot run on symbolic tensors (a
    TensorFlow op without a `keras.ops` twin, `.numpy()`, `tf.range` over a length
    unknown until run time, Python control flow on values), or, in a saved file,
    the layer's code is not in the file. Its output shape comes from Keras' own
    inference, and the rest of the model is checked as usual.

    Why is this bad? Any merge inside that layer is unchecked: without this note the
    report would read "ok" for code shapecheck never saw.

    Example:
        class Block(layers.Layer):
            def call(self, x):
                return x + tf.clip_by_value(self.conv(x), 0.0, 6.0)   # a raw TensorFlow op

    Use instead: the `keras.ops` equivalent, which runs on symbolic tensors:
        class Block(layers.Layer):
            def call(self, x):
                return x + keras.ops.clip(self.conv(x), 0.0, 6.0)
    """

    code, name, severity = "SC003", "opaque-layer", Severity.INFO

    def check_model(self, model: Graph, path: str, context: Context) -> Iterator[Finding]:
        for graph, node in model.walk():
            if node.opaque:
                site = NodeSite(model, graph, node, path)
                yield self.finding(
                    site,
                    f"{node.op} '{node.name}' was not looked into: {node.opaque}; merges inside it are not checked",
                )
