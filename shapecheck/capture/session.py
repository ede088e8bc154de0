"""One capture session: instrument Keras, then turn what was recorded into IR graphs."""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import sys
import tempfile
from typing import Any, Iterator

from shapecheck.keras_home import keras_home

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")


def _private_keras_home() -> None:
    """Keras writes keras.json into KERAS_HOME (~/.keras) when it is imported: point it at a
    temporary copy holding the user's settings, so that checking writes nothing into the
    user's home. (Not when Keras is already imported, or the warden set it for a child.)"""
    if "keras" in sys.modules or os.environ.get("SHAPECHECK_PRIVATE_KERAS_HOME"):
        return

    folder = tempfile.mkdtemp(prefix="shapecheck-keras-")
    atexit.register(shutil.rmtree, folder, True)
    os.environ["KERAS_HOME"] = keras_home(folder)
    os.environ["SHAPECHECK_PRIVATE_KERAS_HOME"] = "1"


_private_keras_home()


@contextlib.contextmanager
def _silenced_stderr_fd():
    """TensorFlow's C++ libraries log to file descriptor 2 at import and device set-up,
    past any Python-level redirection; --debug (SHAPECHECK_DEBUG=1) keeps them."""
    if os.environ.get("SHAPECHECK_DEBUG"):
        yield
        return
    saved = os.dup(2)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)


with _silenced_stderr_fd():
    import keras  # noqa: E402

    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.list_physical_devices("GPU")  # device set-up logs now, not mid-report

from shapecheck.capture import weights  # noqa: E402
from shapecheck.capture.blocks import (  # noqa: E402
    build_shape,
    is_subclassed_model,
    is_user_block,
    placeholders_for,
    trace_call,
)
from shapecheck.capture.instrumentation import Instrumentation  # noqa: E402
from shapecheck.capture.records import ModelRecord, Recorder, Site  # noqa: E402
from shapecheck.capture.to_ir import duplicate_layer_names, graph_from_tensors, layer_name, producer_node  # noqa: E402
from shapecheck.capture.weights import DeferredWeights  # noqa: E402
from shapecheck.capture.witness import keras_judge  # noqa: E402
from shapecheck.errors import message_line  # noqa: E402
from shapecheck.graph import Graph  # noqa: E402


@contextlib.contextmanager
def capture(defer_weights: bool = False) -> Iterator[Recorder]:
    """Instrument Keras while the block runs. `defer_weights`: variables get no values
    (weights.py); a read of one raises WeightsRead, and `recorder.weights.read` says what."""
    # fresh layer-name counters: names do not depend on run order (a supervised child has
    # nothing to free: it skips the collection, which would touch the zygote's whole heap)
    keras.utils.clear_session(free_memory=not weights.DISPOSABLE)
    recorder = Recorder()
    data_format = keras.config.image_data_format()
    deferral = DeferredWeights(lambda: recorder.callsites.current()[0]) if defer_weights else contextlib.nullcontext()
    recorder.weights = deferral if defer_weights else None
    try:
        with Instrumentation(recorder), deferral:
            yield recorder
    finally:  # a module that sets channels_first globally must not change the next file's layout
        recorder.data_format = keras.config.image_data_format()
        keras.config.set_image_data_format(data_format)


def trace_subclassed(
    recorder: Recorder, candidates: list[tuple[str, Any]], input_shapes: dict
) -> tuple[list[str], list[str]]:
    """Subclassed models the module made (globals, builders' return values) but never called
    on a symbolic input: trace each on the shape it was built with, or the one given by
    --input-shape (by variable or class name). Call inside capture(). Returns (skipped
    with the hint, notes)."""
    # a Sequential subclass with its own call() builds a functional model that call() ignores
    done = {id(r.owner) for r in recorder.models if r.subclassed or not is_subclassed_model(r.owner)}
    skipped, notes = [], []
    for name, model in candidates:
        if not is_subclassed_model(model) or id(model) in done:
            continue
        done.add(id(model))
        cls = type(model).__name__
        shape = input_shapes.get(name) or input_shapes.get(cls) or build_shape(model)
        if shape is None:
            skipped.append(
                f"{name}: a subclassed {cls} whose input shape is unknown; build it in the module "
                f"(model.build((None, ...)) or call it on a keras.Input), or pass --input-shape {cls}=SHAPE (e.g. 224,224,3)"
            )
            continue
        try:
            model(placeholders_for(shape))
            recorder.models[-1].entry = name
        except Exception as exc:  # noqa: BLE001 - the user's model raised: a note, the others still traced
            notes.append(f"{name}: tracing {cls} on {shape} raised {type(exc).__name__}: {message_line(exc)}")
    return skipped, notes


def graph_of_object(model) -> tuple[Graph | None, list[str]]:
    """The IR of a model built elsewhere in this process (shapecheck.check(model)). Its
    user-defined layers are traced now, so the merges inside them are checked too; a
    subclassed model is traced on the shape it was built with."""
    with capture() as recorder:
        if is_subclassed_model(model):
            skipped, notes = trace_subclassed(recorder, [(model.name, model)], {})
        else:
            skipped, notes = [], []
            for knode in _nodes_of(model):
                if is_user_block(knode.operation):
                    recorder.blocks[id(knode)] = trace_call(
                        knode.operation, knode.arguments.args, knode.arguments.kwargs
                    )
                    recorder.keep_alive.append(knode)
            inner = getattr(model, "_functional", None) or model  # a Sequential's functional model
            recorder.models.append(ModelRecord(Site(None, ()), owner=model, model=inner, entry="object"))
    graphs, more = collect_graphs(recorder)
    return (graphs[0] if graphs else None), skipped + notes + more


def _nodes_of(model) -> list:
    """Every Keras Node of a functional model, nested functional models included."""
    inner = getattr(model, "_functional", None) or model
    found = []
    for depth_nodes in getattr(inner, "_nodes_by_depth", {}).values():
        for knode in depth_nodes:
            found.append(knode)
            if isinstance(knode.operation, keras.Model) and not is_user_block(knode.operation):
                found.extend(_nodes_of(knode.operation))
    return found


def collect_graphs(recorder: Recorder) -> tuple[list[Graph], list[str]]:
    """IR graphs of the top-level models built (models used inside others are walked there)."""
    notes: list[str] = []
    latest: dict[int, ModelRecord] = {}
    for record in recorder.models:  # a Sequential rebuilds itself: keep its last model
        latest[id(record.owner)] = record
    records = list(latest.values())
    nested: set[int] = set()
    graphs: list[tuple[ModelRecord, Graph]] = []
    for record in records:
        graph = _graph_of(record, recorder, nested, notes)
        if graph is not None:
            graphs.append((record, graph))
    top = [(r, g) for r, g in graphs if id(r.owner) not in nested and id(r.model) not in nested]
    seen: dict[tuple, Graph] = {}
    unique = []
    for record, graph in top:  # the same model built twice from the same code is checked once
        first = seen.setdefault(structure(graph), graph)
        if first is not graph:
            notes.append(
                f"model {graph.name} ({graph.entry}) is the same as {first.name} ({first.entry}): checked once"
            )
            continue
        graph.source = record.owner if record.error is None else None  # for the Python API and tests
        graph.judge = keras_judge(graph, graph.source)  # Keras' own answer at other sizes (witness.py)
        unique.append(graph)
    return unique, notes


def structure(graph: Graph) -> tuple:
    """What makes two models the same for a check: every node's op, source line and shapes."""
    return tuple(
        (node.op, node.location, tuple(node.input_shapes), tuple(node.output_shapes)) for _, node in graph.walk()
    )


def _graph_of(record: ModelRecord, recorder: Recorder, nested: set, notes: list[str]) -> Graph | None:
    site = record.site
    line = f" at {site.location.label()}" if site.location else ""
    if record.subclassed:
        graph = _subclassed_graph(record, recorder, nested)
    elif record.error is None:
        model = record.model
        graph = graph_from_tensors(record.owner.name, model.outputs, recorder, nested=nested, inputs=model.inputs)
    else:
        try:
            graph = graph_from_tensors(
                "model", record.outputs, recorder, nested=nested, inputs=_tensors_or_none(record.inputs)
            )
        except Exception:  # noqa: BLE001 - a failed Model(...) whose tensors cannot be walked: a note
            notes.append(f"Model(...){line} failed and its tensors could not be walked: {message_line(record.error)}")
            return None
        if record.raised_in:
            graph.partial = (
                f"{record.raised_in} raised before building a model: {type(record.error).__name__}: "
                f"{message_line(record.error)}"
            )
            graph.name = record.raised_in.replace("()", "")
            graph.finished = False  # the layers after the raise are missing: no claim about sizes
            notes.append(
                graph.partial + "; checked the layers it had built (the raise may follow from a mismatch "
                "guessed past above)"
            )
        else:
            graph.partial = f"Model(...){line} failed: {type(record.error).__name__}: {message_line(record.error)}"
            graph.name = f"model{line.replace(' at line ', '@').replace(' at cell ', '@cell')}"
            notes.append(graph.partial + "; checked the graph from its output tensors")
        for name, where in duplicate_layer_names(record.outputs, recorder):
            lines = " and ".join(loc.label() if loc else "an unknown line" for loc in where)
            notes.append(f"layer name '{name}' is used by {len(where)} layers, created at {lines}")
    graph.location = site.location
    graph.entry = record.entry or next((f.function for f in site.chain if f.function != "<module>"), "<module>")
    if graph.entry == "<module>" and site.location is not None and site.location.cell is not None:
        graph.entry = f"cell {site.location.cell}"  # a notebook's model built by a cell's own code
    return graph


def _tensors_or_none(inputs):
    """The inputs a failed Model(...) call was given, if they are all tensors of the graph."""
    from shapecheck.capture.to_ir import flatten_tensors

    tensors = flatten_tensors(inputs)
    return tensors if tensors and all(getattr(t, "_keras_history", None) for t in tensors) else None


def _subclassed_graph(record: ModelRecord, recorder: Recorder, nested: set) -> Graph:
    """The graph of a subclassed model's traced call(); when it could not be followed, the
    model as one opaque node between its inputs and outputs (so the report says so)."""
    trace = recorder.blocks.get(id(producer_node(record.outputs)))
    if trace is not None and not trace.opaque:
        return graph_from_tensors(layer_name(record.owner), trace.outputs, recorder, nested=nested, inputs=trace.inputs)
    own: set = set()
    graph = graph_from_tensors(layer_name(record.owner), record.outputs, recorder, nested=own, inputs=record.inputs)
    nested.update(own - {id(record.owner)})
    return graph
