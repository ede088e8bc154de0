"""Fuzzing saved configs: real and hand-written model configs, mutated at random places with
hostile values. Whatever the mutation, `load_saved` raises nothing but CheckError, and
`check_paths` returns (never raises) with the file either checked or in its errors with one
line naming it, never as a shapecheck bug, never past its time limit. Derandomized with a
fixed budget, so CI runs the same 200 examples every time; no TensorFlow (Keras' shape
fallback is stubbed: this tests shapecheck's reading, not Keras)."""

from __future__ import annotations

import copy
import json
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import pytest

hypothesis = pytest.importorskip("hypothesis")
import hostile  # noqa: E402
from conftest import DATA  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from shapecheck.errors import CheckError  # noqa: E402
from shapecheck.options import Options  # noqa: E402
from shapecheck.runner import check_paths  # noqa: E402


def assert_checked_or_one_clean_error(run, path) -> None:
    """The file was checked, or it is one line naming it, and never shapecheck's own bug."""
    (file,) = run.files
    if file.error:
        assert file.error.startswith(f"{path}: ") and "\n" not in file.error, file.error
        assert "a bug: please report it" not in file.error, file.error


def keras2_nested() -> dict:
    h5py = pytest.importorskip("h5py")
    with h5py.File(DATA / "keras2_nested.h5", "r") as handle:
        config = handle.attrs["model_config"]
    return json.loads(config.decode() if isinstance(config, bytes) else config)


def sequential() -> dict:
    return {
        "class_name": "Sequential",
        "config": {
            "name": "seq",
            "layers": [
                {"class_name": "InputLayer", "config": {"batch_shape": [None, 32, 32, 3], "name": "input"}},
                {
                    "class_name": "Conv2D",
                    "config": {
                        "name": "c",
                        "filters": 8,
                        "kernel_size": [3, 3],
                        "padding": "same",
                        "strides": [1, 1],
                        "dilation_rate": [1, 1],
                        "data_format": "channels_last",
                    },
                },
                {
                    "class_name": "MaxPooling2D",
                    "config": {"name": "p", "pool_size": [2, 2], "strides": [2, 2], "padding": "valid"},
                },
                {"class_name": "Flatten", "config": {"name": "f"}},
                {"class_name": "Dense", "config": {"name": "d", "units": 10}},
            ],
        },
    }


def concat_dot() -> dict:
    config = hostile.functional_config()
    add = hostile.layer(config, "add")
    add["class_name"], add["config"]["axis"] = "Concatenate", -1
    return config


BASES = [hostile.functional_config(), concat_dot(), sequential(), keras2_nested()]

HOSTILE_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.sampled_from([0, -1, 1, 3, 2**31, 2**31 + 1, 2**63, 2**70, -(2**70)]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        [
            "",
            "x",
            "same",
            "valid",
            "channels_first",
            "Add",
            "Concatenate",
            "Dot",
            "Functional",
            "Sequential",
            "InputLayer",
            "__keras_tensor__",
            "in",
            "conv",
            "add",
            "keras.layers",
        ]
    ),
    st.lists(st.sampled_from([None, -1, 0, 1, 8, 2**40, "a", 1.5]), max_size=6),
    st.just({}),
    st.just([]),
    st.just({"class_name": "__keras_tensor__", "config": {"shape": [None, 8, 8, 4], "keras_history": ["add", 0, 0]}}),
    st.just({"class_name": "__keras_tensor__", "config": {"shape": [None, 8, 8, 4], "keras_history": ["in", 0, 0]}}),
    st.just([["add", 0, 0]]),
)


# where a value reaches arithmetic or the graph walk: half the mutations land on these
POINTED = {
    "shape",
    "batch_shape",
    "batch_input_shape",
    "keras_history",
    "axis",
    "axes",
    "kernel_size",
    "strides",
    "filters",
    "units",
    "pool_size",
    "padding",
    "dilation_rate",
    "inbound_nodes",
    "args",
    "input_layers",
    "output_layers",
    "layers",
    "class_name",
    "target_shape",
    "size",
    0,
    1,
    2,
}


def paths_of(value, prefix=()) -> list[tuple]:
    """Every place in a JSON value (dict keys and list indices), the root excluded."""
    out = []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        out.append(prefix + (key,))
        out.extend(paths_of(child, prefix + (key,)))
    return out


def mutate(config: dict, path: tuple, action: str, value, other: tuple):
    parent = config
    for key in path[:-1]:
        parent = parent[key]
    key = path[-1]
    if action == "replace":
        parent[key] = copy.deepcopy(value)  # st.just gives the same object every time
    elif action == "delete":
        del parent[key]
    elif action == "duplicate" and isinstance(parent, list):
        parent.insert(key, json.loads(json.dumps(parent[key])))
    elif action == "graft":  # another subtree of the config here (a shared tensor, a layer in a layer)
        source = config
        for step in other:
            source = source[step]
        parent[key] = json.loads(json.dumps(source))


@st.composite
def mutated_configs(draw):
    config = json.loads(json.dumps(draw(st.sampled_from(BASES))))
    for _ in range(draw(st.integers(1, 3))):
        places = paths_of(config)
        if not places:
            break
        pointed = [p for p in places if set(p[-2:]) & POINTED]
        path = draw(st.sampled_from(pointed if pointed and draw(st.booleans()) else places))
        action = draw(st.sampled_from(["replace", "replace", "replace", "delete", "duplicate", "graft"]))
        other = draw(st.sampled_from(places))
        if action == "graft" and other[: len(path)] == path:
            action = "replace"  # a subtree inside itself would be a cycle in the JSON, which JSON cannot hold
        mutate(config, path, action, draw(HOSTILE_VALUES), other)
    return config


def no_keras_fallback(entry):
    def call(shapes):
        raise RuntimeError("Keras is not asked in this test")

    return call


@contextmanager
def without_keras():
    """No Keras at all: no shape from a Keras layer, no class looked up in Keras, and no Keras
    rebuild of the file (the judge of witness sizes and suggested fixes: `judge is None` is
    "Keras cannot be asked here", the algebra's word stands)."""
    with (
        mock.patch("shapecheck.saved.files.keras_fallback", no_keras_fallback),
        mock.patch("shapecheck.saved.files.is_keras_class", lambda name: False),
        mock.patch("shapecheck.saved.files.lazy_judge", lambda config, graph: None),
    ):
        yield


FUZZ = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def write(tmp: Path, config: dict) -> Path:
    path = tmp / "mutated.json"
    # json.dumps writes NaN/Infinity for such floats, as a careless writer would
    path.write_text(json.dumps(config, allow_nan=True))
    return path


@pytest.fixture(scope="module")
def tmp(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


@FUZZ
@given(config=mutated_configs())
def test_load_saved_raises_only_check_errors(tmp, config):
    from shapecheck.saved.files import load_saved

    path = write(tmp, config)
    with without_keras():
        try:
            load_saved(str(path))
        except CheckError as exc:
            assert str(exc).startswith(f"{path}: ") and "\n" not in str(exc), str(exc)


@FUZZ
@given(config=mutated_configs())
def test_check_paths_reports_every_mutation_as_checked_or_as_one_clean_error(tmp, config):
    path = write(tmp, config)
    with without_keras():
        run = check_paths([str(path)], Options(timeout=20, cache=False))
    assert_checked_or_one_clean_error(run, path)
    assert "not checked within" not in (run.files[0].error or ""), run.files[0].error


def test_the_bases_are_checked_clean_of_errors(tmp):
    for config in BASES:
        with without_keras():
            run = check_paths([str(write(tmp, config))], Options(cache=False))
        assert not run.errors, run.errors


def keras_bytes() -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("metadata.json", '{"keras_version": "3.15.0"}')
        archive.writestr("config.json", json.dumps(hostile.functional_config()))
        archive.writestr("model.weights.h5", b"\0" * 64)
    return buffer.getvalue()


KERAS = keras_bytes()


@FUZZ
@given(edits=st.lists(st.tuples(st.integers(0, len(KERAS) - 1), st.integers(0, 255)), min_size=1, max_size=8))
def test_corrupted_keras_zips_are_checked_or_one_clean_error(tmp, edits):
    """Bytes of a real .keras flipped anywhere: headers, deflate data, the central directory."""
    data = bytearray(KERAS)
    for at, byte in edits:
        data[at] = byte
    path = tmp / "flipped.keras"
    path.write_bytes(bytes(data))
    with without_keras():
        run = check_paths([str(path)], Options(timeout=20, cache=False))
    assert_checked_or_one_clean_error(run, path)
