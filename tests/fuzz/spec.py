"""A generated model: a small, plain, printable spec, and the Python source it stands for.

A spec is a list of inputs (shape without the batch axis, `None` for a free size, layout)
and a list of ops, each a kind, its arguments and the tensors it reads (tensor ids: the
inputs are 0..k-1, op i makes tensor k+i). Every op renders to one Python expression; the
builder module is those expressions one per line (`t5 = layers.Add()([t3, t4])`), so the
oracle (oracle.py) evaluates exactly the code the module holds, line by line, and a
shrunk case printed by `render` is a ready fixture.

Op kinds (`Op.kind`):
  layer    layers.<cls>(*pos, **kw)(x)                  one tensor in
  merge    layers.<cls>(**kw)([a, b, ...])              a merge layer (Add, ..., Concatenate, Dot)
  binop    a + b, a - b, a * b                          keras' operator merges
  opmerge  ops.<fn>([a, b], axis=...) / ops.<fn>(a, b)  keras.ops merges
  opcall   ops.<fn>(x, *pos, **kw)                      keras.ops on one tensor
  getitem  x[key]                                       slicing a symbolic tensor
  lambda   layers.Lambda(lambda t: t[key])(x)           a slicing Lambda
  scale    x * 0.5
  se       layers.Multiply()([x, gate(x)])              squeeze-excite (or a plain gate) on one line
  mha      layers.MultiHeadAttention(...)(q, v)
  nested   a helper function that builds a nested keras.Model with a merge inside and calls it
  block    a custom keras.layers.Layer whose call() holds a merge
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Optional

MERGE_KINDS = {"merge", "binop", "opmerge", "se", "nested", "block"}
MERGE_LAYERS = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate"]


@dataclass
class In:
    shape: tuple  # without the batch axis; None for a free size
    layout: str = "channels_last"


@dataclass
class Op:
    kind: str
    args: dict
    inputs: list[int]

    @property
    def is_merge(self) -> bool:
        return self.kind in MERGE_KINDS

    @property
    def label(self) -> str:
        """What coverage counts: the layer class, the merge class or the op."""
        a = self.args
        if self.kind in ("layer", "merge"):
            return a["cls"]
        if self.kind in ("binop",):
            return f"`{a['sym']}`"
        if self.kind in ("opmerge", "opcall"):
            return f"ops.{a['fn']}"
        return self.kind


@dataclass
class Spec:
    seed: int
    inputs: list[In]
    ops: list[Op] = field(default_factory=list)

    def copy(self) -> Spec:
        return copy.deepcopy(self)

    @property
    def n_inputs(self) -> int:
        return len(self.inputs)

    def op_of(self, tensor: int) -> Optional[Op]:
        return None if tensor < self.n_inputs else self.ops[tensor - self.n_inputs]

    def sinks(self) -> list[int]:
        used = {i for op in self.ops for i in op.inputs}
        count = self.n_inputs + len(self.ops)
        return [t for t in range(self.n_inputs, count) if t not in used] or [count - 1]

    def upstream(self, tensor: int) -> set[int]:
        """Every tensor `tensor` is computed from (itself included)."""
        seen, todo = set(), [tensor]
        while todo:
            t = todo.pop()
            if t in seen:
                continue
            seen.add(t)
            op = self.op_of(t)
            if op is not None:
                todo.extend(op.inputs)
        return seen

    def depths(self) -> list[int]:
        out = [0] * self.n_inputs
        for op in self.ops:
            out.append(1 + max(out[i] for i in op.inputs))
        return out

    def summary(self) -> str:
        ins = ", ".join(f"{tuple(i.shape)}{'/cf' if i.layout == 'channels_first' else ''}" for i in self.inputs)
        return f"seed {self.seed}: inputs {ins}; " + " ".join(op.label for op in self.ops)

    def __repr__(self) -> str:  # printable, and valid Python given `from tests.fuzz.spec import *`
        ops = ",\n    ".join(f"Op({op.kind!r}, {op.args!r}, {op.inputs!r})" for op in self.ops)
        ins = ", ".join(f"In({tuple(i.shape)!r}, {i.layout!r})" for i in self.inputs)
        return f"Spec({self.seed}, [{ins}], [\n    {ops}])"


# -- rendering --------------------------------------------------------------------------------


def _args(pos, kw) -> str:
    parts = [repr(p) for p in pos] + [f"{k}={v!r}" for k, v in kw.items()]
    return ", ".join(parts)


def _layer(cls: str, pos=(), kw=None) -> str:
    return f"layers.{cls}({_args(pos, kw or {})})"


def expression(op: Op, names: list[str]) -> str:
    a = op.args
    x = names[0] if names else None
    if op.kind == "layer":
        return f"{_layer(a['cls'], a.get('pos', ()), a.get('kw'))}({x})"
    if op.kind == "merge":
        return f"{_layer(a['cls'], (), a.get('kw'))}([{', '.join(names)}])"
    if op.kind == "binop":
        return f" {a['sym']} ".join(names)
    if op.kind == "opmerge":
        if a["fn"] == "concatenate":
            return f"ops.concatenate([{', '.join(names)}], axis={a['axis']})"
        return f"ops.{a['fn']}({', '.join(names)})"
    if op.kind == "opcall":
        rest = _args(a.get("pos", ()), a.get("kw", {}))
        return f"ops.{a['fn']}({x}{', ' + rest if rest else ''})"
    if op.kind == "getitem":
        return f"{x}[{a['key']}]"
    if op.kind == "lambda":
        return f"layers.Lambda(lambda t: t[{a['key']}])({x})"
    if op.kind == "scale":
        return f"{x} * {a.get('factor', 0.5)}"
    if op.kind == "se":
        gate = x
        fmt = a.get("fmt")
        kw = {"data_format": fmt} if fmt else {}
        gate = f"{_layer(a['pool'], (), {**kw, 'keepdims': True})}({gate})"
        if a.get("units"):
            gate = f"layers.Dense({a['units']}, activation='sigmoid')({gate})"
        return f"layers.Multiply()([{x}, {gate}])"
    if op.kind == "mha":
        q, v = names[0], names[-1]
        return f"layers.MultiHeadAttention(num_heads={a['heads']}, key_dim={a['key_dim']})({q}, {v})"
    if op.kind in ("nested", "block"):
        return f"{a['name']}({x})"
    raise ValueError(op.kind)


def helper(op: Op) -> Optional[tuple[list[str], int]]:
    """A nested model's builder or a custom layer: (its source lines, the index of its merge line)."""
    a = op.args
    fmt = a.get("fmt")
    fkw = {"data_format": fmt} if fmt else {}
    n = a["n"]
    branch = []  # the inner branch applied to `x`, as (variable, expression)
    if a["down"]:
        branch.append(_layer(a["down"], (2,), fkw))
    branch.append(_layer(f"Conv{n}D", (a["filters"], a.get("k", 1)), {"padding": a.get("pad", "same"), **fkw}))
    if a["down"]:
        branch.append(_layer(f"UpSampling{n}D", (2,), fkw if n > 1 else {}))
    if a.get("merge", "Add") == "Concatenate":
        axis = 1 if fmt == "channels_first" else -1
        merge = f"layers.Concatenate(axis={axis})([x, y])"
    else:
        merge = f"layers.{a.get('merge', 'Add')}()([x, y])"
    if op.kind == "nested":
        lines = [f"def {a['name']}(t):", "    inp = keras.Input(t.shape[1:])", "    x = inp", "    y = inp"]
        lines += [f"    y = {expr}(y)" for expr in branch]
        lines += [f"    out = {merge}", f"    return keras.Model(inp, out, name={a['name']!r})(t)"]
        return lines, len(lines) - 2
    lines = [
        f"class {a['cls_name']}(keras.layers.Layer):",
        "    def __init__(self, **kwargs):",
        "        super().__init__(**kwargs)",
    ]
    lines += [f"        self.f{i} = {expr}" for i, expr in enumerate(branch)]
    lines += ["", "    def call(self, x):", "        y = x"]
    lines += [f"        y = self.f{i}(y)" for i in range(len(branch))]
    lines += [f"        return {merge.replace('layers.', 'layers.', 1)}"]
    return lines, len(lines) - 1


@dataclass
class Rendered:
    source: str
    lines: dict  # op index -> line of its merge (1-based), for merge ops
    op_lines: dict  # op index -> line of its call in build_model
    input_line: int  # line of the first keras.Input


def tensor_names(spec: Spec) -> list[str]:
    return [f"t{i}" for i in range(spec.n_inputs + len(spec.ops))]


def render(spec: Spec, expect: Optional[dict] = None, doc: str = "") -> Rendered:
    """The builder module. `expect`: line -> codes, written as `# expect:` comments."""
    names = tensor_names(spec)
    out = [
        '"""' + (doc or f"Generated by tests/fuzz (seed {spec.seed}).") + '"""',
        "",
        "import keras",
        "from keras import layers, ops",
        "",
        "",
    ]
    lines, op_lines = {}, {}
    for i, op in enumerate(spec.ops):
        h = helper(op) if op.kind in ("nested", "block") else None
        if h is None:
            continue
        body, merge_at = h
        lines[i] = len(out) + merge_at + 1
        out += body + ["", ""]
    out.append("def build_model():")
    input_line = len(out) + 1
    for k, inp in enumerate(spec.inputs):
        out.append(f"    {names[k]} = keras.Input({tuple(inp.shape)!r})")
    for i, op in enumerate(spec.ops):
        args = [names[t] for t in op.inputs]
        out.append(f"    {names[spec.n_inputs + i]} = {expression(op, args)}")
        op_lines[i] = len(out)
        if op.is_merge and i not in lines:
            lines[i] = len(out)
    ins = ", ".join(names[: spec.n_inputs])
    outs = ", ".join(names[t] for t in spec.sinks())
    out.append(f"    return keras.Model([{ins}], [{outs}])")
    if expect:
        for line, codes in expect.items():
            if codes:
                out[line - 1] += "  # expect: " + ", ".join(codes)
    return Rendered("\n".join(out) + "\n", lines, op_lines, input_line)


def preamble(spec: Spec) -> str:
    """The helpers (nested builders, custom layers) alone, for the oracle."""
    parts = ["import keras", "from keras import layers, ops"]
    for op in spec.ops:
        h = helper(op) if op.kind in ("nested", "block") else None
        if h is not None:
            parts += h[0] + [""]
    return "\n".join(parts) + "\n"
