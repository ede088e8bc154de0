"""Shape arithmetic of sequence layers: Embedding, recurrent layers (and Bidirectional),
TimeDistributed, attention, RepeatVector.

These layers keep the leading (batch, time) axes and set the feature axis from their
weights, so the feature size comes from the shapes captured at the declared size
(`captured_out`): it does not depend on the sequence length. Whether a recurrent layer
returns sequences is read from the captured output's rank, which also holds for saved
files whose config nests the layer (Bidirectional).
"""

from __future__ import annotations

from typing import Sequence

from shapecheck.algebra.symbolic import SymShape, Unknown, is_varying, require, require_built

RECURRENT = {"LSTM", "GRU", "SimpleRNN", "RNN", "Bidirectional"}
ATTENTION = {"Attention", "AdditiveAttention", "MultiHeadAttention", "GroupedQueryAttention"}
LAYERS = RECURRENT | ATTENTION | {"Embedding", "TimeDistributed", "RepeatVector"}


def knows(op: str) -> bool:
    return op in LAYERS


def output_shape(op: str, config: dict, inputs: Sequence[SymShape], captured_in, captured_out):
    x = inputs[0]
    built = captured_in[0] if captured_in else None
    out_built = captured_out[0] if captured_out else None
    if op == "Embedding":
        return tuple(x) + (config["output_dim"],), None
    if op == "RepeatVector":
        return (x[0], config["n"]) + tuple(x[1:]), None
    if out_built is None and op in RECURRENT and op != "Bidirectional" and "units" in config:
        out_built = (None, None, config["units"]) if config.get("return_sequences") else (None, config["units"])
    if out_built is None:
        raise Unknown(f"{op} without a captured output shape")
    if op in RECURRENT:
        return _recurrent(x, built, out_built)
    if op == "TimeDistributed":
        return _time_distributed(x, built, out_built)
    return _attention(op, _by_name(config, inputs), _by_name(config, captured_in), out_built)


def _recurrent(x: SymShape, built, out_built):
    if len(x) != 3 or len(out_built) not in (2, 3):
        raise Unknown("recurrent layer on a tensor that is not (batch, time, features)")
    mask = require_built(x[-1], built[-1] if built else None, None)
    if len(out_built) == 3:  # return_sequences
        return (x[0], x[1], out_built[-1]), mask
    return (x[0], out_built[-1]), mask


def _time_distributed(x: SymShape, built, out_built):
    """The wrapped layer sees one step at a time: only the time axis may vary here."""
    if built is None or any(is_varying(d) for d in x[2:]) or tuple(x[2:]) != tuple(built[2:]):
        raise Unknown("TimeDistributed over a size-dependent step")
    return (x[0], x[1]) + tuple(out_built[2:]), None


def _by_name(config: dict, shapes) -> list:
    """query, value, key (and the rest) in that order, for a call given them by keyword."""
    names = config.get("input_names")
    if not names or len(names) != len(shapes):
        return list(shapes)
    by_name = dict(zip(names, shapes))
    ordered = [by_name.get(n, by_name.get(f"arg{i}")) for i, n in enumerate(("query", "value", "key"))]
    ordered = [s for s in ordered if s is not None]
    return ordered + [s for n, s in zip(names, shapes) if n not in ("query", "value", "key", "arg0", "arg1", "arg2")]


def _attention(op: str, inputs, captured_in, out_built):
    """query (B, Tq, Dq), value (B, Tv, Dv), key (B, Tv, Dk) -> (B, Tq, D_out).
    Keys and values must have the same length; weights fix the feature sizes."""
    query = inputs[0]
    value = inputs[1] if len(inputs) > 1 else query
    key = inputs[2] if len(inputs) > 2 else value
    if len(query) != 3 or len(value) != 3:
        raise Unknown(f"{op} over more than one attention axis")
    mask = None
    if value[1] is not None and key[1] is not None:
        mask = require(value[1] == key[1], mask)
    for shape, built in zip(inputs, captured_in):
        mask = require_built(shape[-1], built[-1], mask)
    last = value[-1] if op in ("Attention", "AdditiveAttention") else out_built[-1]
    return (query[0], query[1], last), mask
