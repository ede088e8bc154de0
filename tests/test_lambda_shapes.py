"""A Lambda's output shape while a module builds: its function called on Keras' symbolic
tensors, answered once per distinct question (capture/shape_functions.py), and slicing
Lambdas read as `x[key]` by the algebra (capture/lambda_slices.py)."""

from __future__ import annotations

import textwrap

import pytest

MODULE = """
import keras
from keras import layers

WIDTH = 2


def take(x):
    return x[..., :WIDTH]


def build():
    global WIDTH
    inputs = keras.Input((8, 8, 6))
    outs = []
    for width in (2, 3, 2):
        WIDTH = width  # the same code reads another global value each time
        outs.append(layers.Lambda(take)(inputs))
    doubled = layers.Lambda(lambda x: x * 2.0)(inputs)  # not a slice: Keras' own answer
    return keras.Model(inputs, outs + [doubled])
"""


@pytest.mark.slow  # builds the module's model in this process
def test_the_same_code_reading_another_global_gets_its_own_answer(tmp_path):
    from shapecheck.load.builder import load_builder_module

    path = tmp_path / "globals_lambda.py"
    path.write_text(textwrap.dedent(MODULE))
    (graph,) = load_builder_module(str(path), ("build",)).graphs
    lambdas = [n for n in graph.nodes if n.op == "Lambda"]
    assert [n.output_shapes[0] for n in lambdas] == [(None, 8, 8, 2), (None, 8, 8, 3), (None, 8, 8, 2), (None, 8, 8, 6)]
    # read by the algebra as x[key] with the value the global holds when the model runs (2, the last)
    assert [n.config.get("key") for n in lambdas[:3]] == [["...", {"slice": [None, 2, None]}]] * 3
    assert "key" not in lambdas[3].config


def test_a_slicing_lambda_needs_no_keras_in_the_sweep():
    from shapecheck.algebra.layers import knows, output_shape
    from shapecheck.algebra.ops import call_config

    config = call_config("GetItem", (None, (Ellipsis, slice(4, 8))), {})
    assert knows("Lambda", config) and not knows("Lambda", {})
    out, _ = output_shape("Lambda", config, [(None, 32, 32, 128)])
    assert tuple(out) == (None, 32, 32, 4)
