"""One capture session: instrument Keras, then turn what was recorded into IR graphs."""

from __future__ import annotations

import contextlib
import os
from typing import Iterator

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")


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

from shapecheck.capture.hooks import Instrumentation, ModelRecord, Recorder  # noqa: E402
from shapecheck.capture.to_ir import duplicate_layer_names, graph_from_tensors  # noqa: E402
from shapecheck.graph import Graph  # noqa: E402


@contextlib.contextmanager
def capture() -> Iterator[Recorder]:
    keras.utils.clear_session()  # fresh layer-name counters: names do not depend on run order
    recorder = Recorder()
    with Instrumentation(recorder):
        yield recorder


def collect_graphs(recorder: Recorder, module=None) -> tuple[list[Graph], list[str]]:
    """IR graphs of the top-level models built (models used inside others are walked there)."""
    notes: list[str] = []
    latest: dict[int, ModelRecord] = {}
    for record in recorder.models:  # a Sequential rebuilds itself: keep its last model
        latest[id(record.owner)] = record
    records = list(latest.values())
    recorded_ids = {id(r.owner) for r in records} | {id(r.model) for r in records}
    if module is not None:
        notes.extend(_unrecorded_module_models(module, recorded_ids))
    nested: set[int] = set()
    graphs: list[tuple[ModelRecord, Graph]] = []
    for record in records:
        graph = _graph_of(record, recorder, nested, notes)
        if graph is not None:
            graphs.append((record, graph))
    top = [(r, g) for r, g in graphs if id(r.owner) not in nested and id(r.model) not in nested]
    for record, graph in top:  # the Keras model behind a graph, for the Python API and tests
        graph.source = record.owner if record.error is None else None
    return [g for _, g in top], notes


def _graph_of(record: ModelRecord, recorder: Recorder, nested: set, notes: list[str]) -> Graph | None:
    site = record.site
    line = f" at line {site.location.line}" if site.location else ""
    if record.error is None:
        graph = graph_from_tensors(record.owner.name, record.model.outputs, recorder, nested=nested)
    else:
        try:
            graph = graph_from_tensors("model", record.outputs, recorder, nested=nested)
        except Exception:
            notes.append(f"Model(...){line} failed and its tensors could not be walked: {_first_line(record.error)}")
            return None
        graph.partial = f"Model(...){line} failed: {type(record.error).__name__}: {_first_line(record.error)}"
        graph.name = f"model{line.replace(' at line ', '@')}"
        notes.append(graph.partial + "; checked the graph from its output tensors")
        for name, where in duplicate_layer_names(record.outputs, recorder):
            lines = " and ".join(f"line {loc.line}" if loc else "an unknown line" for loc in where)
            notes.append(f"layer name '{name}' is used by {len(where)} layers, created at {lines}")
    graph.location = site.location
    graph.entry = next((f.function for f in site.chain if f.function != "<module>"), "<module>")
    return graph


def _unrecorded_module_models(module, recorded_ids: set) -> list[str]:
    notes = []
    for name, value in vars(module).items():
        if isinstance(value, keras.Model) and id(value) not in recorded_ids:
            notes.append(f"{name}: a {type(value).__name__} without a functional graph (subclassed model); not checked")
    return notes


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else ""
