"""Differential test: the shape algebra against Keras, tensor by tensor.

For each model, one graph built with None spatial sizes is evaluated by the algebra at
several sizes in one vectorised pass; Keras then builds the same architecture at each
of those sizes, and every node's shape must agree. Where the algebra says a size is not
accepted or a merge fails, Keras must refuse to build it.
"""

from __future__ import annotations

import importlib
import importlib.util

import numpy as np
import pytest
from conftest import FIXTURES
from test_fixtures import FIXTURE_FILES

from shapecheck.algebra.evaluate import Evaluator
from shapecheck.sweep import input_axes

pytestmark = pytest.mark.slow


class _Imported:
    """A module imported when a test first uses it, not when this file is collected (which
    would make every run, `-m "not slow"` too, pay for TensorFlow's import)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str):
        if attribute.startswith("_"):  # what pytest's collection looks for on every module attribute
            raise AttributeError(attribute)
        return getattr(importlib.import_module(self._name), attribute)


@pytest.fixture(scope="module", autouse=True)
def _keras_is_installed():
    pytest.importorskip("keras")


keras = _Imported("keras")
A = _Imported("keras.applications")
APPLICATIONS = {  # the constructor's name in keras.applications, and its declared size
    "ResNet50": (224, 224),
    "ResNet50V2": (224, 224),
    "DenseNet121": (224, 224),
    "MobileNetV2": (224, 224),
    "EfficientNetB0": (224, 224),
    "NASNetMobile": (224, 224),
    "InceptionV3": (299, 299),
    "InceptionResNetV2": (299, 299),
    "Xception": (299, 299),
    "ConvNeXtTiny": (224, 224),
}
OTHER_SIZES = [(160, 192), (117, 131)]


def ir(model):
    from shapecheck.capture.records import Recorder
    from shapecheck.capture.to_ir import graph_from_tensors

    return graph_from_tensors(model.name, model.outputs, Recorder())


def algebra_at(graph, sizes: list[tuple], positions=None):
    """Every node's algebra shape at each size tuple (one value per swept axis: the None
    axes of the inputs, in input order; or the axes at `positions` of sweep.input_axes),
    and the accepted / merge-failure masks."""
    axes = input_axes(graph)
    if positions is None:
        positions = [i for i, a in enumerate(axes) if a.declared is None]
    shapes = {node_id: list(graph.nodes[node_id].output_shapes[0]) for node_id in graph.inputs}
    for k, i in enumerate(positions):
        shapes[axes[i].input_id][axes[i].index] = np.array([s[k] for s in sizes], dtype=np.int64)
    inputs = {node_id: tuple(shape) for node_id, shape in shapes.items()}
    evaluator = Evaluator(len(sizes))
    evaluator.run(graph, inputs, keep_shapes=True)
    result = evaluator.result
    failing = np.zeros(len(sizes), dtype=bool)
    for mask in result.merge_fail.values():
        failing |= mask
    return result, failing


def concrete(shape, i: int):
    return tuple(None if d is None else int(d[i]) if isinstance(d, np.ndarray) else int(d) for d in shape)


def compare(reference, built, result, i: int) -> list[str]:
    """Node-by-node differences between the algebra (on `reference`) and Keras (`built`)."""
    wrong = []
    for ref_node, keras_node in zip(reference.nodes, built.nodes):
        if ref_node.subgraph is not None:
            continue
        ours = result.shapes.get((id(reference), ref_node.id))
        if ours is None:
            wrong.append(f"{ref_node.name}: the algebra could not follow it")
            continue
        if concrete(ours, i) != tuple(keras_node.output_shapes[0]):
            wrong.append(
                f"{ref_node.name} ({ref_node.op}): algebra {concrete(ours, i)}, Keras {keras_node.output_shapes[0]}"
            )
    return wrong


def same_architecture(a, b) -> bool:
    """Some builders choose layers by input size (MobileNet's correct_pad, NASNet's
    _adjust_block): then the graph built at None is not the one Keras builds at H x W."""
    return len(a.nodes) == len(b.nodes) and all(x.op == y.op and x.config == y.config for x, y in zip(a.nodes, b.nodes))


def check_architecture(build, sizes):
    """build(input_shape) -> keras Model for an image input (H, W, 3)."""
    return check_inputs(lambda shapes: build(shapes[0]), [(None, None, 3)], sizes)


def without_keras(graph):
    """Drop Keras' own shape functions: only the algebra may answer."""
    for _, node in graph.walk():
        node.shape_function = None
    return graph


def check_inputs(build, template: list[tuple], sizes: list[tuple], algebra_only: bool = False):
    """build(list of input shapes) -> keras Model; `template` holds None where a size is
    swept; each entry of `sizes` gives one value per None, in order. Compares the algebra
    (one pass over the graph built with None) with Keras built at each size, node by node;
    where the algebra says a size is not accepted or a merge fails, Keras must refuse it.
    Returns (sizes compared on the one graph built with None, sizes Keras refused)."""
    own_ir = (lambda model: without_keras(ir(model))) if algebra_only else ir
    reference = own_ir(build(template))
    positions = [i for i, a in enumerate(input_axes(reference)) if a.declared is None]
    result, failing = algebra_at(reference, sizes)
    shared, refused = 0, 0
    for i, values in enumerate(sizes):
        it = iter(values)
        shapes = [tuple(next(it) if d is None else d for d in shape) for shape in template]
        try:
            built = own_ir(build(shapes))
        except Exception as exc:  # noqa: BLE001 - Keras raises ValueError, TypeError, ...
            buildable = bool(result.accepted[i]) and not failing[i]
            assert not buildable, f"{values}: the algebra accepts it but Keras raised {type(exc).__name__}: {exc}"
            refused += 1
            continue
        if same_architecture(reference, built):
            graph, own, index, shared = reference, (result, failing), i, shared + 1
        else:
            graph, own, index = built, algebra_at(built, [values], positions), 0
        assert bool(own[0].accepted[index]) and not own[1][index], (
            f"{values}: Keras builds it but the algebra rejects it"
        )
        wrong = compare(graph, built, own[0], index)
        assert not wrong, f"{values}: " + "; ".join(wrong[:5])
    return shared, refused


@pytest.mark.parametrize("name", sorted(APPLICATIONS))
def test_keras_applications_shapes_match_keras(name):
    constructor, declared = getattr(A, name), APPLICATIONS[name]

    def build(shape):
        return constructor(weights=None, include_top=False, input_shape=shape)

    check_architecture(build, [declared, *OTHER_SIZES])


def _fixture_builder(filename: str, function: str):
    spec = importlib.util.spec_from_file_location(filename.removesuffix(".py"), FIXTURES / filename)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, function)


@pytest.mark.parametrize(
    "filename, function",
    [
        ("unet_dynamic.py", "build_unet"),
        ("stem_two_branch.py", "build_stem"),
        ("stem_two_branch.py", "build_stem_fixed"),
        ("resnets_dynamic_clean.py", "residual_block"),
        ("ops_selective_kernel.py", "build_sk_net"),
    ],
)
def test_sweep_fixtures_shapes_match_keras(filename, function):
    builder = _fixture_builder(filename, function)
    if function == "residual_block":

        def build(shape):
            inputs = keras.Input(shape)
            return keras.Model(inputs, builder(keras.layers.Conv2D(8, 3, strides=2, padding="same")(inputs), 16, 2))
    else:

        def build(shape):
            return builder(input_shape=shape)

    sizes = [(64, 64), (65, 64), (72, 88), (33, 47), (256, 250)]
    check_architecture(build, sizes)


@pytest.mark.parametrize("fixture", FIXTURE_FILES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_every_fixture_matches_keras_at_its_declared_size(fixture, checked):
    """The algebra at the declared size reproduces every shape Keras recorded while building.
    (In this process: the graphs keep Keras' shape functions for the layers only Keras knows.
    The build is shared with test_witnesses.py's.)"""
    run = checked(str(fixture), isolate=False)
    assert run.models
    for model in run.models:
        if model.partial or any(n.recovered for _, n in model.walk()):
            continue  # capture substituted best guesses after a mismatch: not Keras' own shapes
        if any(n.opaque for _, n in model.walk()):
            continue  # Keras inferred a layer shapecheck could not look into (SC003): nothing to compare
        evaluator = Evaluator(1)
        inputs = {
            i: tuple(d if d is None else np.array([d]) for d in model.nodes[i].output_shapes[0]) for i in model.inputs
        }
        evaluator.run(model, inputs, keep_shapes=True)
        for graph, node in model.walk():
            ours = evaluator.result.shapes.get((id(graph), node.id))
            if node.subgraph is not None or ours is None and graph is not model:
                continue
            assert ours is not None, f"{model.name}/{node.name}: the algebra could not follow it"
            assert concrete(ours, 0) == tuple(node.output_shapes[0]), f"{model.name}/{node.name} ({node.op})"


# -- keras.ops, sequence layers, 1-D / 3-D / channels_first layers -------------------------------
L = _Imported("keras.layers")
O = _Imported("keras.ops")


def ops_block(shapes):
    inputs = keras.Input(shapes[0])
    x = L.Conv2D(8, 3, padding="same")(inputs)
    pooled = O.mean(x, axis=(1, 2), keepdims=True) + O.max(x, axis=(1, 2), keepdims=True)
    squeezed = O.squeeze(pooled + O.min(x, axis=(1, 2), keepdims=True), axis=(1, 2))
    gate = O.reshape(L.Dense(8)(squeezed), (-1, 1, 1, 8)) * O.sum(x, axis=-1, keepdims=True)
    expanded = O.expand_dims(O.sum(x, axis=-1), -1)
    swapped = O.transpose(O.transpose(x, (0, 2, 1, 3)), (0, 2, 1, 3))
    tiled = O.tile(x[:, ::2, ::2, :], (1, 2, 2, 1))
    repeated = O.repeat(O.repeat(x[:, 1:-1, 1:-1, :], 2, axis=1), 2, axis=2)
    indexed = squeezed[:, None, None, :] * x[..., 2:6][:, :, :, :1]
    resized = O.image.resize(x, (32, 24))
    d2s = O.nn.depth_to_space(O.nn.space_to_depth(x, 2), 2)
    outs = [x + gate, expanded, swapped, tiled, repeated, indexed, resized, d2s]
    return keras.Model(inputs, outs)


def ops_channels_first(shapes):
    inputs = keras.Input(shapes[0])
    x = L.Conv2D(8, 3, padding="same", data_format="channels_first")(inputs)
    x = L.UpSampling2D(2, data_format="channels_first")(x)
    x = L.Cropping2D(((1, 2), (3, 0)), data_format="channels_first")(x)
    resized = O.image.resize(x, (20, 18), data_format="channels_first")
    d2s = O.nn.depth_to_space(x, 2, data_format="channels_first")
    pooled = L.GlobalAveragePooling2D(data_format="channels_first", keepdims=True)(x)
    return keras.Model(inputs, [x * pooled, resized, d2s, L.Resizing(9, 7, data_format="channels_first")(x)])


def sequence_block(shapes):
    tokens = keras.Input(shapes[0])
    x = L.Embedding(50, 8)(tokens)
    a = L.LSTM(6, return_sequences=True)(x)
    b = L.GRU(6, return_sequences=True)(x)
    c = L.SimpleRNN(5)(x)
    d = L.Bidirectional(L.LSTM(4, return_sequences=True))(x)
    e = L.Bidirectional(L.GRU(4), merge_mode="sum")(x)
    t = L.TimeDistributed(L.Dense(3))(a)
    att = L.Attention()([a, b])
    add_att = L.AdditiveAttention()([a, b, b])
    mha = L.MultiHeadAttention(num_heads=2, key_dim=4)(a, d)
    conv = L.Conv1D(4, 3, strides=2, padding="same")(x)
    pooled = L.MaxPooling1D(2)(L.AveragePooling1D(2, padding="same")(x))
    up = L.Cropping1D((1, 2))(L.UpSampling1D(3)(conv))
    rep = L.RepeatVector(4)(c)
    outs = [t, att, add_att, mha, pooled, up, rep, L.GlobalAveragePooling1D()(x), e]
    return keras.Model(tokens, outs)


def volume_block(shapes):
    inputs = keras.Input(shapes[0])
    x = L.Conv3D(4, 3, strides=2, padding="valid")(inputs)
    x = L.UpSampling3D((2, 1, 2))(x)
    x = L.Cropping3D(((1, 0), (0, 1), (1, 1)))(x)
    return keras.Model(inputs, [x, L.MaxPooling3D(2)(x)])


def two_lengths(shapes):
    enc_in, dec_in = keras.Input(shapes[0]), keras.Input(shapes[1])
    enc = L.LSTM(8, return_sequences=True)(L.Embedding(20, 8)(enc_in))
    dec = L.GRU(8, return_sequences=True)(L.Embedding(20, 8)(dec_in))
    context = L.Attention()([dec, enc])
    return keras.Model([enc_in, dec_in], L.Concatenate()([dec, context, enc]))


@pytest.mark.parametrize(
    "build, template, sizes",
    [
        (ops_block, [(None, None, 8)], [(16, 16), (18, 22), (7, 9), (4, 6), (3, 3), (64, 48)]),
        (ops_channels_first, [(3, None, None)], [(16, 16), (9, 12), (2, 5), (1, 1)]),
        (sequence_block, [(None,)], [(12,), (13,), (7,), (2,), (1,)]),
        (volume_block, [(None, None, None, 2)], [(9, 9, 9), (8, 11, 7), (5, 6, 7), (3, 3, 3), (2, 9, 9)]),
        (two_lengths, [(None,), (None,)], [(12, 12), (5, 5), (12, 9), (3, 30)]),
        (two_lengths, [(30,), (None,)], [(30,), (7,)]),
    ],
    ids=["ops", "ops-channels-first", "sequence", "volume", "two-lengths", "fixed-encoder"],
)
def test_ops_and_sequence_layers_match_keras(build, template, sizes):
    """The algebra alone (no Keras fallback) follows every node, at sizes where Keras builds
    and where it must refuse."""
    shared, refused = check_inputs(build, template, sizes, algebra_only=True)
    assert shared >= 1 and refused >= 1, (shared, refused)
