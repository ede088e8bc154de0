"""SC104, SC202, SC301: merges that agree only at some input sizes, found by the size sweep;
SC002: merges the sweep could not reach (never a silent "ok")."""

from __future__ import annotations

from dataclasses import replace
from typing import Iterator

from shapecheck.graph import Graph
from shapecheck.provenance import format_shape
from shapecheck.rules.base import Context, Finding, NodeSite, Rule, Severity, register


def _sweep(model: Graph, context: Context):
    if context.sweeps is None:
        return None
    sweep = context.sweeps.get(model)
    return None if sweep.skipped else sweep


def _declared_ok(node) -> bool:
    """Merges that already fail at the declared size are SC101-SC103's to report."""
    from shapecheck.algebra.merge import outcome

    return outcome(node.merge, node.input_shapes).ok


def _sized_merges(sweep, square: bool) -> list:
    """The sweep's failing merges that are not already wrong at the declared size: those
    failing where each input is square (square=True: SC104, SC301), or only when one
    input's H != W (SC202). Merges only Keras found failing are SC104's (`_keras_merges`)."""
    return [m for m in sweep.merges if not m.from_keras and sweep.fails_square(m) == square and _declared_ok(m.node)]


def _keras_merges(sweep) -> list:
    """Merges Keras refused at a witness size where the algebra said they agree (or could not follow)."""
    return [m for m in sweep.merges if m.from_keras and _declared_ok(m.node)]


def _confirmed(sweep, merge) -> str:
    """'; Keras confirms: refuses 33×33, builds 32×32' from the witness sizes."""
    witnessed = sweep.witnessed
    if witnessed is None or not witnessed.sizes or witnessed.disputes:
        return ""
    fails = [row.size for row in witnessed.rows if merge.node.name in row.refused]
    builds = [row.size for row in witnessed.rows if row.built]
    if not fails:
        return ""
    return f"; Keras confirms: refuses {fails[0]}" + (f", builds {', '.join(builds[:2])}" if builds else "")


def _tried(sweep) -> str:
    return sweep.tried()


def _not_swept(sweep) -> str:
    count = len(sweep.unchecked)
    return f"; {count} merge{'s' if count != 1 else ''} could not be swept" if count else ""


@register
class SizeDependentMismatch(Rule):
    """What it does: for a model declared with None spatial dimensions, evaluates every
    input size in a range (default 1..1024) and finds merges whose inputs disagree at
    some of them; states the rule in words ("H and W must be multiples of 16").

    Why is this bad? The model builds and trains at the sizes you tried, then fails at
    run time on the first image of another size, with an error from deep inside the
    graph. Stride-2 layers round odd sizes down while the upsampling path doubles.

    Example:
        inputs = Input((None, None, 3))
        skip = Conv2D(32, 3, padding="same")(inputs)
        x = UpSampling2D()(MaxPooling2D()(skip))
        x = Concatenate()([x, skip])   # fails for odd H or W

    Use instead: feed only sizes at which every merge agrees: pad or resize inputs to the
    required multiple before the model (here: even H and W), or declare such a size:
        inputs = Input((224, 224, 3))
    """

    code, name, severity = "SC104", "size-dependent-mismatch", Severity.ERROR
    checks_none_sizes = about_sizes = fails_at_sizes = True
    verdict, short, fix_check, marks = "sizes", "fails at some input sizes", "across the sweep", "sizes"

    def check_model(self, model: Graph, path: str, context: Context) -> Iterator[Finding]:
        sweep = _sweep(model, context)
        if sweep is None or sweep.fixed:
            return
        merges = _sized_merges(sweep, square=True)
        if merges:
            model_rule = sweep.constraint(sweep.union(merges))
        for merge in merges:
            node = merge.node
            confirmed = _confirmed(sweep, merge)
            if len(merges) == 1:
                rule = f"{model_rule} (fails at {sweep.examples(merge.failing)}; {_tried(sweep)}{_not_swept(sweep)}{confirmed})"
            else:
                rule = (
                    f"it fails at {sweep.examples(merge.failing)}, ...; with the model's {len(merges) - 1} other "
                    f"failing merges: {model_rule} ({_tried(sweep)}{_not_swept(sweep)}{confirmed})"
                )
            yield self.finding(
                NodeSite(model, merge.graph, node, path),
                f"{node.op} '{node.name}' accepts any size as declared but not at run time: {rule}",
                claim=rule,
            )
        yield from self._from_keras(model, path, sweep)

    def _from_keras(self, model: Graph, path: str, sweep) -> Iterator[Finding]:
        """What Keras refused where the algebra said it agrees, or could not follow: Keras'
        answer, at the sizes Keras was asked."""
        witnessed = sweep.witnessed
        asked = len(witnessed.sizes) + witnessed.sampled if witnessed else 0
        built = (
            f", builds {', '.join(witnessed.built[:3])}" if witnessed and witnessed.built else ", builds none of them"
        )
        for merge in _keras_merges(sweep):
            node = merge.node
            said = (
                f"Keras refuses it at {sweep.examples(merge.failing, count=4)}{built} "  # listed: a sample is no rule
                f"(asked at {asked} sizes; {_why_keras(sweep, node)})"
            )
            yield self.finding(
                NodeSite(model, merge.graph, node, path),
                f"{node.op} '{node.name}' accepts any size as declared but not at run time: {said}",
                claim=said,
            )
        for layer, line, rows in witnessed.inside if witnessed else ():
            import numpy as np  # only once there is a sweep (an ordinary module's check imports no numpy)

            found = model.find_node(layer)
            owner, block = found if found is not None else (model, model.nodes[model.inputs[0]])
            where = block.location or model.location
            at_line = replace(block, location=replace(where, line=line, column=1) if where else None)
            failing = np.zeros(len(sweep.candidates), dtype=bool)
            failing[rows] = True
            yield self.finding(
                NodeSite(model, owner, at_line, path),
                f"the call() of {block.op} '{block.name}' fails at line {line} at some sizes the model accepts as "
                f"declared: Keras refuses {sweep.examples(failing, count=4)} there (run at {asked} sizes; the shape "
                f"algebra cannot see inside that call())",
            )


@register
class SquareOnlyMatch(Rule):
    """What it does: finds merges whose inputs agree at every square input size tried but
    disagree when height and width differ.

    Why is this bad? One branch swaps or mixes the spatial axes (a Permute, a transpose,
    a Reshape written for square inputs). With a square input the swap is invisible, so
    the model builds and trains; the first non-square image breaks it, or, worse, a
    broadcast hides the swap.

    Example:
        x = Input((64, 64, 32))
        t = Permute((2, 1, 3))(x)      # (W, H, C)
        out = Add()([x, t])            # agrees only because 64 == 64

    Use instead: undo the swap on the same branch (Permute((2, 1, 3)) again), or use the
    axis order you meant:
        out = Add()([x, Permute((2, 1, 3))(t)])
    """

    code, name, severity = "SC202", "square-only-match", Severity.WARNING
    checks_none_sizes = about_sizes = fails_at_sizes = True
    verdict, short, fix_check, marks = "square-only", "fails when H ≠ W", "across the sweep", "sizes"

    def check_model(self, model: Graph, path: str, context: Context) -> Iterator[Finding]:
        sweep = _sweep(model, context)
        if sweep is None:
            return
        for merge in _sized_merges(sweep, square=False):
            node = merge.node
            claim = (
                f"agrees at every square size but not when H ≠ W (fails at {_non_square_examples(sweep, merge)}): "
                "one branch swaps or mixes the spatial axes"
            )
            yield self.finding(
                NodeSite(model, merge.graph, node, path), f"{node.op} '{node.name}' {claim}", claim=claim
            )


@register
class SizeConstraint(Rule):
    """What it does: for a model declared with a fixed input size, evaluates the same graph
    at every other size in a range and states at which sizes its merges would still agree.
    Reported once per model, at its Input.

    Why is this bad? It is not: the model works at its declared size. But the constraint
    is implicit; whoever changes the input size (fine-tuning at a new resolution, dropping
    the size to None) meets it as a build error. The message states it up front.

    Example:
        inputs = Input((256, 256, 3))   # a U-Net with four 2x poolings
        ...                             # needs H and W multiples of 16

    Use instead: nothing to fix; document the constraint, or pad inputs in the data
    pipeline when the size changes.
    """

    code, name, severity = "SC301", "size-constraint", Severity.INFO
    about_sizes, marks = True, "sizes"

    def check_model(self, model: Graph, path: str, context: Context) -> Iterator[Finding]:
        sweep = _sweep(model, context)
        if sweep is None or not sweep.fixed or not _sized_merges(sweep, square=True):
            return
        merges = sweep.merges  # every merge that fails somewhere: the constraint is their intersection
        failing = sweep.union(merges)
        lines = sorted({(m.node.location.cell or 0, m.node.line) for m in merges if m.node.line})
        if any(m.node.location.cell is not None for m in merges if m.node.location):
            where = " at " + ", ".join(f"cell {cell}:{line}" for cell, line in lines) if lines else ""
        else:
            where = (
                f" at line{'s' if len(lines) > 1 else ''} {', '.join(str(line) for _, line in lines)}" if lines else ""
            )
        inp = model.nodes[model.inputs[0]]
        broken = sum(1 for _, node in model.merges() if not _declared_ok(node))
        if broken:
            state = (
                f"where {broken} merge{'s' if broken > 1 else ''} already fail{'' if broken > 1 else 's'} "
                f"(reported above)"
            )
        else:
            state = "where it works"
        yield self.finding(
            NodeSite(model, model, inp, path),
            f"built for {sweep.declared_text()} {format_shape(inp.output_shapes[0])}, {state}; at other sizes its "
            f"{len(merges)} merge{'s' if len(merges) > 1 else ''}{where} agree{'' if len(merges) > 1 else 's'} "
            f"only at some sizes: {sweep.constraint(failing)} "
            f"(fails at {sweep.examples(failing)}; {_tried(sweep)}{_not_swept(sweep)})",
        )


def _keras_instead(sweep) -> str:
    witnessed = sweep.witnessed
    if witnessed is None or not witnessed.sampled:
        return ""
    return (
        f"; Keras was run at {len(witnessed.sizes) + witnessed.sampled} sizes instead, and what it refused is reported"
    )


def _why_keras(sweep, node) -> str:
    if any(n.name == node.name for _, n, _ in sweep.unchecked):
        return "the shape algebra cannot follow the path to it"
    return "the shape algebra said it agrees there: a shapecheck bug, see the note"


def _non_square_examples(sweep, merge) -> str:
    rows = ~sweep.square_rows()
    return sweep.examples(merge.failing & rows, groups=tuple(set(sweep.groups[rows].tolist())))


@register
class SweepIncomplete(Rule):
    """What it does: for a model declared with None sizes, reports each layer or op the size
    sweep could not follow (no shape arithmetic for it, and Keras' own shape inference could
    not answer for the sizes tried), with the merges behind it. Those merges get the verdict
    `unchecked sizes` in the table, and the file's JSON status is `partial`.

    Why is this bad? Without this note a model whose merges were never evaluated at other
    sizes would read "ok": a silent ok is the worst thing a checker can say. The merges
    behind that layer may still fail at run time for some input sizes.

    Example:
        x = keras.Input((None, None, 3))
        y = MyOpaqueLayer()(x)             # neither the algebra nor Keras can say its shape per size
        out = layers.Concatenate()([x, y])  # unchecked sizes

    Use instead: declare the input size the model is fed (the sweep then only states, as
    SC301, which other sizes would work), give the layer shape arithmetic Keras can answer
    for concrete sizes (a `compute_output_shape` helps only where shapecheck cannot follow
    its `call()`), or accept the gap knowingly (`--ignore SC002`):
        x = keras.Input((224, 224, 3))
    """

    code, name, severity = "SC002", "sweep-incomplete", Severity.INFO
    checks_none_sizes = True

    def check_model(self, model: Graph, path: str, context: Context) -> Iterator[Finding]:
        sweep = _sweep(model, context)
        if sweep is None or sweep.fixed or not sweep.unchecked:
            return
        behind: dict[int, list] = {}
        for _, node, stop in sweep.unchecked:
            behind.setdefault(id(stop), [stop]).append(node)
        for stop, *merges in behind.values():
            names = ", ".join(f"'{m.name}'" for m in merges[:5]) + (", ..." if len(merges) > 5 else "")
            yield self.finding(
                NodeSite(model, stop.graph, stop.node, path),
                f"the size sweep cannot follow {stop.node.op} '{stop.node.name}' ({stop.why}): "
                f"{len(merges)} merge{'s' if len(merges) > 1 else ''} behind it not swept ({names}), "
                f"reported as `unchecked sizes`{_keras_instead(sweep)}",
            )
