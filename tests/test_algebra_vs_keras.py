"""Differential test: the shape algebra against Keras, tensor by tensor.

For each model, one graph built with None spatial sizes is evaluated by the algebra at
several sizes in one vectorised pass; Keras then builds the same architecture at each
of those sizes, and every node's shape must agree. Where the algebra says a size is not
accepted or a merge fails, Keras must refuse to build it.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from conftest import FIXTURES

pytestmark = pytest.mark.slow

keras = pytest.importorskip("keras")

from shapecheck.algebra.evaluate import Evaluator  # noqa: E402
from shapecheck.capture.hooks import Recorder  # noqa: E402
from shapecheck.capture.to_ir import graph_from_tensors  # noqa: E402
from shapecheck.sweep import image_inputs  # noqa: E402

A = keras.applications
APPLICATIONS = {
    "ResNet50": (A.ResNet50, (224, 224)),
    "ResNet50V2": (A.ResNet50V2, (224, 224)),
    "DenseNet121": (A.DenseNet121, (224, 224)),
    "MobileNetV2": (A.MobileNetV2, (224, 224)),
    "EfficientNetB0": (A.EfficientNetB0, (224, 224)),
    "NASNetMobile": (A.NASNetMobile, (224, 224)),
    "InceptionV3": (A.InceptionV3, (299, 299)),
    "InceptionResNetV2": (A.InceptionResNetV2, (299, 299)),
    "Xception": (A.Xception, (299, 299)),
    "ConvNeXtTiny": (A.ConvNeXtTiny, (224, 224)),
}
OTHER_SIZES = [(160, 192), (117, 131)]


def ir(model):
    return graph_from_tensors(model.name, model.outputs, Recorder())


def algebra_at(graph, sizes: list[tuple[int, int]]):
    """Every node's algebra shape at each (H, W), and the accepted / merge-failure masks."""
    h = np.array([s[0] for s in sizes], dtype=np.int64)
    w = np.array([s[1] for s in sizes], dtype=np.int64)
    inputs = {}
    for node, axes in image_inputs(graph):
        shape = list(node.output_shapes[0])
        shape[axes[0]], shape[axes[1]] = h, w
        inputs[node.id] = tuple(shape)
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
            wrong.append(f"{ref_node.name} ({ref_node.op}): algebra {concrete(ours, i)}, Keras {keras_node.output_shapes[0]}")
    return wrong


def same_architecture(a, b) -> bool:
    """Some builders choose layers by input size (MobileNet's correct_pad, NASNet's
    _adjust_block): then the graph built at None is not the one Keras builds at H x W."""
    return len(a.nodes) == len(b.nodes) and all(
        x.op == y.op and x.config == y.config for x, y in zip(a.nodes, b.nodes)
    )


def check_architecture(build, sizes):
    """build(input_shape) -> keras Model; compares the algebra with Keras at each size.
    Returns how many sizes were compared on the one graph built with None sizes."""
    reference = ir(build((None, None, 3)))
    result, failing = algebra_at(reference, sizes)
    shared = 0
    for i, (h, w) in enumerate(sizes):
        try:
            built = ir(build((h, w, 3)))
        except Exception as exc:  # noqa: BLE001 - Keras raises ValueError, TypeError, ...
            buildable = bool(result.accepted[i]) and not failing[i]
            assert not buildable, f"{h}x{w}: the algebra accepts it but Keras raised {type(exc).__name__}: {exc}"
            continue
        if same_architecture(reference, built):
            graph, own, index, shared = reference, (result, failing), i, shared + 1
        else:
            graph, own, index = built, algebra_at(built, [(h, w)]), 0
        assert bool(own[0].accepted[index]) and not own[1][index], f"{h}x{w}: Keras builds it but the algebra rejects it"
        wrong = compare(graph, built, own[0], index)
        assert not wrong, f"{h}x{w}: " + "; ".join(wrong[:5])
    return shared


@pytest.mark.parametrize("name", sorted(APPLICATIONS))
def test_keras_applications_shapes_match_keras(name):
    constructor, declared = APPLICATIONS[name]

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


def test_every_fixture_matches_keras_at_its_declared_size(checked):
    """The algebra at the declared size reproduces every shape Keras recorded while building."""
    run = checked(str(FIXTURES))
    assert run.models
    for model in run.models:
        if model.partial or any(n.recovered for _, n in model.walk()):
            continue  # capture substituted best guesses after a mismatch: not Keras' own shapes
        evaluator = Evaluator(1)
        inputs = {i: tuple(d if d is None else np.array([d]) for d in model.nodes[i].output_shapes[0]) for i in model.inputs}
        evaluator.run(model, inputs, keep_shapes=True)
        for graph, node in model.walk():
            ours = evaluator.result.shapes.get((id(graph), node.id))
            if node.subgraph is not None or ours is None and graph is not model:
                continue
            assert ours is not None, f"{model.name}/{node.name}: the algebra could not follow it"
            assert concrete(ours, 0) == tuple(node.output_shapes[0]), f"{model.name}/{node.name} ({node.op})"
