"""Keras instrumentation, installed only while a builder module runs.

* every layer / op call on symbolic tensors records its call site (keyed by the Keras
  Node it creates);
* merge layers and the `+ - *` / `keras.ops` merges check their input shapes first; on a
  conflict they are made to return a best-guess output so that building goes on and one
  run finds every mismatch;
* every functional Model construction is recorded, and a failed one keeps its output
  tensors so the graph can still be walked;
* training, saving and printing calls are skipped.

What is recorded is in records.py, how merges are recognised and recovered in merges.py,
how user-defined layers are looked into in blocks.py.
"""

from __future__ import annotations

import contextlib
import sys
from typing import Optional

import keras
from keras.src.backend.common.keras_tensor import KerasTensor
from keras.src.layers.core.input_layer import InputLayer
from keras.src.layers.core.lambda_layer import Lambda
from keras.src.layers.layer import Layer
from keras.src.models.functional import Functional
from keras.src.models.sequential import Sequential
from keras.src.ops.operation import Operation

from shapecheck.algebra.merge import best_guess, outcome
from shapecheck.capture.blocks import (
    BlockTrace,
    input_like,
    is_subclassed_model,
    is_user_block,
    skip_state_trace,
    tensors_in,
    trace_call,
    zeros_like_spec,
)
from shapecheck.capture.merges import depth, forced_output, merge_inputs, merge_spec
from shapecheck.capture.patching import patch
from shapecheck.capture.records import ModelRecord, Recorder, Site, closure_values
from shapecheck.capture.shape_functions import lambda_output_shape

SKIPPED_METHODS = (
    "fit",
    "evaluate",
    "predict",
    "train_on_batch",
    "test_on_batch",
    "predict_on_batch",
    "save",
    "save_weights",
    "load_weights",
    "export",
    "summary",
)


class Instrumentation:
    """Context manager that patches Keras for one builder run."""

    def __init__(self, recorder: Recorder) -> None:
        self.rec = recorder
        self._depths: dict[int, int] = {}
        self._stack = contextlib.ExitStack()
        self._block_depth = 0  # how many user blocks' call() are being traced right now
        self._quiet = 0  # > 0 while shapecheck itself calls ops (a Lambda's shape): nothing is recorded

    # -- patching helpers -------------------------------------------------
    def _patch(self, owner: type, name: str, replacement) -> None:
        """Set owner.name for the duration; restore (or remove) it on exit."""
        patch(self._stack, owner, name, replacement)

    def __enter__(self) -> Instrumentation:
        self._patch_layer_call()
        self._patch_maybe_build()
        self._patch_op_call()
        self._patch_model_init()
        self._patch_input_init()
        for method in SKIPPED_METHODS:
            self._patch_skipped(keras.Model, method)
        self._patch_model_writers()
        self._patch_lambda_shapes()
        return self

    def __exit__(self, *exc) -> None:
        self._stack.close()

    # -- layer and op calls -------------------------------------------------
    def _patch_layer_call(self) -> None:
        original = Layer.__call__
        inst = self

        def __call__(layer, *args, **kwargs):
            if inst._quiet:
                return original(layer, *args, **kwargs)
            if is_user_block(layer):
                return inst._block_call(original, layer, args, kwargs)
            return inst._instrumented_call(original, layer, args, kwargs)

        self._patch(Layer, "__call__", __call__)

    def _patch_maybe_build(self) -> None:
        original = Layer._maybe_build

        def _maybe_build(layer, call_spec):
            if not call_spec.eager and skip_state_trace(layer):
                layer.built = True  # the symbolic trace of call() builds its sublayers
                return
            return original(layer, call_spec)

        self._patch(Layer, "_maybe_build", _maybe_build)

    # -- user-defined layers and subclassed models (see blocks.py) ------------------
    def _block_call(self, original, layer, args, kwargs):
        if not _any_symbolic(args, kwargs):
            if self._block_depth == 0 and is_subclassed_model(layer):
                return self._model_on_data(original, layer, args, kwargs)
            return original(layer, *args, **kwargs)
        top_model = self._block_depth == 0 and is_subclassed_model(layer)
        site = Site(*self.rec.callsites.current())
        traces: list[BlockTrace] = []

        def compute_output_spec(*a, **k):
            self._block_depth += 1
            try:
                traces.append(trace_call(layer, a, k))
            finally:
                self._block_depth -= 1
            return traces[-1].spec

        object.__setattr__(layer, "compute_output_spec", compute_output_spec)
        try:
            outputs = original(layer, *args, **kwargs)
        finally:
            object.__delattr__(layer, "compute_output_spec")
        node = self._remember(outputs, site, None)
        if node is not None and traces:
            self.rec.blocks[id(node)] = traces[-1]
        if top_model:
            record = ModelRecord(site, owner=layer, inputs=tensors_in((args, kwargs)), outputs=outputs, subclassed=True)
            self.rec.models.append(record)
        return outputs

    def _model_on_data(self, original, layer, args, kwargs):
        """A subclassed model called on data: a forward pass, which shapecheck does not run.
        Its call() is traced on Inputs of the data's shape; the caller gets zeros of the
        traced output shape."""
        flat = [v for v in keras.tree.flatten(args) if v is not None]
        symbolic = [input_like(v) for v in flat]
        if not flat or any(s is None for s in symbolic):
            return original(layer, *args, **kwargs)
        batch = int(flat[0].shape[0])
        swap = iter(symbolic)
        new_args = keras.tree.map_structure(lambda v: next(swap) if v is not None else v, args)
        outputs = layer(*new_args, **kwargs)
        location, _ = self.rec.callsites.current()
        where = f" at {location.label()}" if location else ""
        self.rec.skipped_calls.append(f"{type(layer).__name__}(data){where} (traced on its shape instead)")
        return zeros_like_spec(outputs, batch)

    def _patch_op_call(self) -> None:
        original = Operation.symbolic_call
        inst = self

        def symbolic_call(op, *args, **kwargs):
            return inst._instrumented_call(original, op, args, kwargs)

        self._patch(Operation, "symbolic_call", symbolic_call)

    def _instrumented_call(self, original, op, args, kwargs):
        if self._quiet or not _any_symbolic(args, kwargs):
            return original(op, *args, **kwargs)
        location, chain = self.rec.callsites.current()
        spec = merge_spec(op)
        tensors = merge_inputs(op, args) if spec is not None else None
        if tensors is None:
            outputs = original(op, *args, **kwargs)
            self._remember(outputs, Site(location, chain), None)
            return outputs
        assert spec is not None  # tensors is None whenever spec is
        shapes = [tuple(t.shape) for t in tensors]
        if outcome(spec, shapes).ok:
            outputs = original(op, *args, **kwargs)
            self._remember(outputs, Site(location, chain), None)
            return outputs
        depths = [depth(t, self._depths) for t in tensors]
        preferred = depths.index(max(depths))
        guess = best_guess(spec, shapes, preferred)
        note = f"build went on with {guess}, from input {preferred + 1}, the deepest branch"
        with forced_output(op, guess, tensors[preferred].dtype):
            outputs = original(op, *args, **kwargs)
        self._remember(outputs, Site(location, chain), note)
        return outputs

    def _remember(self, outputs, site: Site, note: Optional[str]):
        """Record where the Keras Node behind `outputs` was called; return that Node."""
        tensor = _first_tensor(outputs)
        history = getattr(tensor, "_keras_history", None)
        if history is None:
            return None
        node = history.operation._inbound_nodes[history.node_index]
        if id(node) in self.rec.sites:
            return node  # a layer's own ops, already recorded at the layer call
        self.rec.sites[id(node)] = site
        self.rec.keep_alive.append(node)
        if note:
            self.rec.recovered[id(node)] = note
        if isinstance(node.operation, Lambda):
            function = node.operation.function
            self.rec.closures[id(node)] = (function, closure_values(function))
        return node

    def _patch_input_init(self) -> None:
        """keras.Input(...) makes its node in InputLayer.__init__, not in a call: record its line."""
        original = InputLayer.__init__
        inst = self

        def __init__(layer, *args, **kwargs):
            original(layer, *args, **kwargs)
            if layer._inbound_nodes:
                location, chain = inst.rec.callsites.current()
                node = layer._inbound_nodes[0]
                inst.rec.sites.setdefault(id(node), Site(location, chain))
                inst.rec.keep_alive.append(node)

        self._patch(InputLayer, "__init__", __init__)

    def _patch_lambda_shapes(self) -> None:
        """A Lambda's output shape from its function called on KerasTensors (shape_functions.py),
        with nothing recorded: Keras' backend trace costs ten times more."""
        original = Lambda.compute_output_shape
        inst = self

        def compute_output_shape(layer, input_shape):
            if layer._output_shape is not None or layer._fn_expects_mask_arg or layer._fn_expects_training_arg:
                return original(layer, input_shape)
            inst._quiet += 1
            try:
                return lambda_output_shape(layer, input_shape, lambda shape: original(layer, shape))
            finally:
                inst._quiet -= 1

        self._patch(Lambda, "compute_output_shape", compute_output_shape)

    # -- models ---------------------------------------------------------------
    def _patch_model_init(self) -> None:
        original = Functional.__init__
        inst = self

        def __init__(model, inputs, outputs, *args, **kwargs):
            caller = sys._getframe(1).f_locals.get("self")
            owner = caller if isinstance(caller, Sequential) else model
            location, chain = inst.rec.callsites.current()
            record = ModelRecord(Site(location, chain), owner=owner, inputs=inputs, outputs=outputs)
            inst.rec.models.append(record)
            try:
                original(model, inputs, outputs, *args, **kwargs)
            except BaseException as exc:
                record.error = exc
                raise
            record.model = model

        self._patch(Functional, "__init__", __init__)

    def _patch_skipped(self, owner: type, method: str) -> None:
        rec = self.rec

        def skipped(model, *args, **kwargs):
            location, _ = rec.callsites.current()
            where = f" at {location.label()}" if location else ""
            rec.skipped_calls.append(f"{method}(){where}")
            return keras.callbacks.History() if method == "fit" else None

        self._patch(owner, method, skipped)

    def _patch_model_writers(self) -> None:
        """Functions that write a model to disk: not run (nothing is written while checking)."""
        writers = [(keras.saving, "save_model"), (keras.models, "save_model"), (keras.saving, "save_weights")]
        tf = sys.modules.get("tensorflow")
        if tf is not None:
            writers += [
                (tf.saved_model, "save"),
                (tf.keras.models, "save_model"),
                (tf.train.Checkpoint, "save"),
                (tf.train.Checkpoint, "write"),
                (tf.train.CheckpointManager, "save"),
            ]
        rec = self.rec
        for owner, name in writers:
            if getattr(owner, name, None) is None:
                continue

            def skipped(*args, _name=name, **kwargs):
                location, _ = rec.callsites.current()
                where = f" at {location.label()}" if location else ""
                rec.skipped_calls.append(f"{_name}(){where}")

            self._patch(owner, name, skipped)


def _any_symbolic(args: tuple, kwargs: dict) -> bool:
    for value in (*args, *kwargs.values()):
        if isinstance(value, KerasTensor):
            return True
        if isinstance(value, (list, tuple)) and any(isinstance(v, KerasTensor) for v in value):
            return True
        if isinstance(value, dict) and any(isinstance(v, KerasTensor) for v in value.values()):
            return True
    return False


def _first_tensor(outputs) -> Optional[KerasTensor]:
    if isinstance(outputs, KerasTensor):
        return outputs
    if isinstance(outputs, (list, tuple)):
        for item in outputs:
            found = _first_tensor(item)
            if found is not None:
                return found
    if isinstance(outputs, dict):
        for item in outputs.values():
            found = _first_tensor(item)
            if found is not None:
                return found
    return None
