"""The oracle: Keras itself, a fresh build per size.

`Oracle(spec).build(shapes)` evaluates the spec's own expressions (the lines of the
rendered module) one by one on fresh `keras.Input`s of those shapes: every layer is a new
object, so every merge runs its `build()` check at these shapes (a built Concatenate called
on other shapes would not check them again). Per op it records what Keras did:

* a merge that raised (or that built but fails when run: its expression is evaluated again
  on zeros of the concrete input shapes, batch 2, whenever those shapes differ), and whether
  it was *charged*: its inputs come from no merge that already failed at this size (the
  algebra charges a failure to the first merge only, in dataflow order). After a failing
  merge the build goes on with a fresh `keras.Input` shaped like its deepest input (for a
  concatenation: the concatenated axis summed), the continuation shapecheck documents;
  after a failing nested model or custom layer the path is dead (later merges there are
  tainted anyway);
* a size that is *not accepted*: a non-merge layer raised (a kernel larger than its input,
  a negative output size), some tensor has an empty axis, or a layer's weights have other
  shapes than at the declared size (the real model has one set of weights). This is what
  shapecheck calls "not accepted"; merges are not compared at such sizes.
"""

from __future__ import annotations

import contextlib
import traceback
from dataclasses import dataclass, field
from typing import Optional

import keras
from keras.src.backend import Variable

from .spec import Spec, expression, helper, preamble, tensor_names

PLAIN_MERGES = {"merge", "binop", "opmerge"}
# keras.ops calls and slices are checked symbolically only as far as Keras' compute_output_spec
# goes (ops.reshape(x, (-1, 6, 3)) builds at any size): these are also run on zeros
RUNTIME_CHECKED = {"opcall", "getitem", "lambda"}
PREAMBLE_FILE = "<fuzz-preamble>"
# what Keras' merge layers raise (base_merge.py, concatenate.py): a failure inside a nested
# model or custom layer is its merge's only with one of these in the message
MERGE_MESSAGES = (
    "Inputs have incompatible shapes",
    "requires inputs with matching shapes",
    "Incompatible input shapes",
    "Cannot broadcast shape",
)


@dataclass
class Verdict:
    shapes: list  # the input shapes built
    raised: dict = field(default_factory=dict)  # op index -> message (merges only)
    charged: set = field(default_factory=set)  # failing merges whose inputs are untainted
    merge_inputs: dict = field(default_factory=dict)  # op index -> input shapes (merges)
    rejected: list = field(default_factory=list)  # why the size is not accepted
    # refusals behind a merge that already failed: they depend on how the build goes on
    # after it (shapecheck's own convention), so they decide nothing
    rejected_after: list = field(default_factory=list)
    dead: bool = False  # some path could not be continued
    weights: dict = field(default_factory=dict)  # op index -> weight shapes
    runtime: set = field(default_factory=set)  # merges that built but failed when run

    @property
    def accepted(self) -> Optional[bool]:
        """False: not accepted; True; None: accepted as far as Keras got (a path died)."""
        if self.rejected:
            return False
        return None if self.dead or self.rejected_after else True


_REAL_WEIGHTS = [False]


@contextlib.contextmanager
def real_weights():
    _REAL_WEIGHTS[0] = True
    try:
        yield
    finally:
        _REAL_WEIGHTS[0] = False


@contextlib.contextmanager
def no_weight_values():
    """Variables keep their shape and initializer but get no value (what Keras itself does
    in a StatelessScope): the oracle only builds and never reads a weight, and creating
    and initialising the variables was a third of its time. Every build() still runs."""
    original = Variable._initialize_with_initializer

    def deferred(variable, initializer):
        if _REAL_WEIGHTS[0]:  # a custom layer's call() traced in a TF graph reads them
            return original(variable, initializer)
        variable._initializer = initializer
        variable._value = None

    Variable._initialize_with_initializer = deferred
    try:
        yield
    finally:
        Variable._initialize_with_initializer = original


def _message(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:200] if text else ''}"


class Oracle:
    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.names = tensor_names(spec)
        self.base: dict = {}
        exec(compile(preamble(spec), PREAMBLE_FILE, "exec"), self.base)
        self.code = []
        for i, op in enumerate(spec.ops):
            expr = expression(op, [self.names[t] for t in op.inputs])
            self.code.append(compile(expr, f"<op {i}>", "eval"))
        self.layouts = self._layouts()
        self.reference: Optional[Verdict] = None  # the declared build: its weights are the model's

    def _layouts(self) -> list[Optional[str]]:
        """Each tensor's layout as a layer declared it (data_format) on its way from the
        inputs; None where none did (an Input's layout is what its readers make of it)."""
        out: list[Optional[str]] = [None] * self.spec.n_inputs
        for op in self.spec.ops:
            kw = op.args.get("kw") or {}
            fmt = kw.get("data_format") or op.args.get("fmt")
            out.append(fmt or out[op.inputs[0]])
        return out

    def build(self, shapes: list[tuple]) -> Verdict:
        with no_weight_values():
            return self._build(shapes)

    def _build(self, shapes: list[tuple]) -> Verdict:
        spec = self.spec
        verdict = Verdict([tuple(s) for s in shapes])
        ns = dict(self.base)
        k = spec.n_inputs
        tainted = [False] * (k + len(spec.ops))
        after = set()  # ops behind a failing merge
        dead = [False] * (k + len(spec.ops))
        for i, shape in enumerate(shapes):
            ns[self.names[i]] = keras.Input(tuple(shape))
        for i, op in enumerate(spec.ops):
            t = k + i
            name = self.names[t]
            if any(dead[s] for s in op.inputs):
                dead[t] = True
                continue
            taint = any(tainted[s] for s in op.inputs)
            ins = [ns[self.names[s]] for s in op.inputs]
            if op.is_merge:
                verdict.merge_inputs[i] = [tuple(x.shape) for x in ins]
            try:
                with real_weights() if op.kind == "block" else contextlib.nullcontext():
                    value = eval(self.code[i], ns)
            except Exception as exc:  # noqa: BLE001 - Keras raises ValueError, TypeError, ...
                if not op.is_merge or (
                    op.kind in ("nested", "block") and not self._inner_merge_failed(op, ins[0], exc)
                ):
                    (verdict.rejected_after if taint else verdict.rejected).append(
                        f"op {i} {op.label}: {_message(exc)}"
                    )
                    dead[t] = True
                    continue
                verdict.raised[i] = _message(exc)
                if not taint:
                    verdict.charged.add(i)
                tainted[t] = True
                if op.kind in PLAIN_MERGES or op.kind == "se":
                    ns[name] = keras.Input(self._continuation(op, ins, t)[1:])
                else:
                    dead[t] = True
                    verdict.dead = True
                continue
            if op.kind in PLAIN_MERGES and self._fails_when_run(i, op, ins):
                verdict.raised[i] = "fails when run"
                verdict.runtime.add(i)
                if not taint:
                    verdict.charged.add(i)
                tainted[t] = True
            tainted[t] = tainted[t] or taint
            ns[name] = value
            refusals = verdict.rejected_after if tainted[t] else verdict.rejected
            if op.kind in RUNTIME_CHECKED:
                why = self._op_fails_when_run(i, op, ins, value)
                if why:
                    refusals.append(f"op {i} {op.label}: {why}")
            outs = value if isinstance(value, (list, tuple)) else [value]
            for out in outs:
                if any(isinstance(d, int) and d <= 0 for d in out.shape):
                    refusals.append(f"op {i} {op.label}: empty axis {tuple(out.shape)}")
            layer = getattr(getattr(value, "_keras_history", None), "operation", None)
            if layer is not None and getattr(layer, "weights", None):
                verdict.weights[i] = [tuple(w.shape) for w in layer.weights]
                if tainted[t] or taint:
                    after.add(i)
        if self.reference is not None:
            for i, shapes_i in verdict.weights.items():
                ref = self.reference.weights.get(i)
                if ref is not None and ref != shapes_i:
                    (verdict.rejected_after if i in after else verdict.rejected).append(
                        f"op {i} {spec.ops[i].label}: weights {shapes_i} instead of {ref}"
                    )
        verdict.dead = verdict.dead or any(dead)
        return verdict

    def _continuation(self, op, ins, t: int) -> tuple:
        if op.kind == "se":  # Multiply()([x, gate]): the gate is the deeper input
            shape = list(ins[0].shape)
            layout = self.layouts[op.inputs[0]] or "channels_last"
            ch = 1 if layout == "channels_first" else len(shape) - 1
            gate = [shape[0]] + [1] * (len(shape) - 1)
            gate[ch] = op.args.get("units") or shape[ch]
            return tuple(gate)
        depth = self.spec.depths()
        deepest = max(range(len(op.inputs)), key=lambda j: depth[op.inputs[j]])
        shape = list(ins[deepest].shape)
        concat = (op.kind == "merge" and op.args["cls"] == "Concatenate") or (
            op.kind == "opmerge" and op.args["fn"] == "concatenate"
        )
        if concat and len({len(x.shape) for x in ins}) == 1:
            axis = (op.args.get("kw") or {}).get("axis", op.args.get("axis", -1)) % len(shape)
            sizes = [x.shape[axis] for x in ins]
            shape[axis] = None if None in sizes else sum(sizes)
        return tuple(shape)

    def _fails_when_run(self, i: int, op, ins) -> bool:
        """Keras checks some merges only when they run (a Concatenate with a size-1 axis):
        evaluate the expression on zeros of the concrete shapes."""
        shapes = [tuple(x.shape) for x in ins]
        if len(set(shapes)) == 1 or any(d is None for s in shapes for d in s[1:]):
            return False
        ns = dict(self.base)
        for s, x in zip(op.inputs, shapes):
            ns[self.names[s]] = keras.ops.zeros((2,) + x[1:])
        try:
            eval(self.code[i], ns)
        except Exception:  # noqa: BLE001
            return True
        return False

    def _op_fails_when_run(self, i: int, op, ins, value) -> str:
        """Run one op on zeros (batch 2): does it raise, or change the batch or the shape
        Keras gave it symbolically?"""
        shapes = [tuple(x.shape) for x in ins]
        if any(d is None for s in shapes for d in s[1:]):
            return ""
        ns = dict(self.base)
        for s, x in zip(op.inputs, shapes):
            ns[self.names[s]] = keras.ops.zeros((2,) + x[1:])
        try:
            out = eval(self.code[i], ns)
        except Exception as exc:  # noqa: BLE001
            return f"fails when run: {_message(exc)}"
        got = tuple(out.shape)
        if got[0] != 2 or any(d is not None and d != g for d, g in zip(value.shape[1:], got[1:])):
            return f"when run on a batch of 2 gives {got}, symbolically {tuple(value.shape)}"
        return ""

    def _inner_merge_failed(self, op, x, exc) -> bool:
        """A nested model or custom layer raised: was it its merge, or a layer before it?
        Keras' merge message must be in what it raised, and the inner branch alone, on an
        input of the same shape, must build."""
        text = str(exc)
        if not any(m in text for m in MERGE_MESSAGES):
            return False
        lines, _ = helper(op)
        branch = [ln.strip() for ln in lines if ln.strip().startswith("y = ") and "(y)" in ln]
        ns = dict(self.base)
        if op.kind == "block":  # `y = self.f0(y)`: the layers are made in __init__
            inits = [ln.strip().split(" = ", 1)[1] for ln in lines if ln.strip().startswith("self.f")]
            branch = [f"y = {expr}(y)" for expr in inits]
        # the same kind of tensor: Keras marks `x[:, :-2]` sparse, and a layer may refuse that
        ns["y"] = keras.Input(tuple(x.shape[1:]), sparse=bool(getattr(x, "sparse", False)))
        try:
            for line in branch:
                exec(line, ns)
        except Exception:  # noqa: BLE001
            return False
        return not any(isinstance(d, int) and d <= 0 for d in ns["y"].shape)


def describe_failure() -> str:
    return traceback.format_exc(limit=3)
