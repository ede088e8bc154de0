"""Saved models (.keras, .h5, .json): read from their config, with the same findings as the
builder modules they were saved from. A file is read without TensorFlow, but a finding's
suggested fix is built by Keras before it is shown: a check that finds something imports
TensorFlow (those tests are slow; test_a_clean_fixed_size_saved_model_is_read_without_tensorflow
and the bad files are not)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import warnings
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from conftest import DATA, FIXTURES, ROOT, cli, run_cli
from hostile import functional_config  # the tiny Conv2D + Add model (SC101), shared with the hostile corpus

from shapecheck.analysis import check_graphs, selected_rules
from shapecheck.runner import check_paths

# SC203 reads a Lambda's closure, which only the running builder has: a saved file's
# Lambda is bytes that shapecheck never unmarshals.
NEEDS_THE_BUILDER = {"SC203"}
FORMATS = ("keras", "h5", "json")


def comparable(findings) -> Counter:
    """(code, layer, shapes) of every merge a finding stands for (a builder groups repeated
    calls of one line; a saved file has no lines to group by)."""
    return Counter(
        (f.code, layer, shapes) for f in findings if f.code not in NEEDS_THE_BUILDER for layer, shapes in f.members()
    )


def custom_blocks(graph) -> list:
    """Custom layers the builder looked into (a saved file has their config, not their code)."""
    return [n for _, n in graph.walk() if n.subgraph is not None and n.kind != "model"]


def saved_expectation(graph, findings) -> Counter:
    """What a saved copy can report: the builder's findings outside custom layers, and one
    SC003 per custom layer instead of what is inside it. The size sweep stops at a custom
    layer, so its codes are compared only for models without one."""
    blocks = custom_blocks(graph)
    if not blocks:
        return comparable(findings)
    inside = tuple(b.name + "/" for b in blocks)
    kept = [
        f for f in findings if not f.layer.startswith(inside) and f.code[:3] in ("SC1", "SC2") and f.code != "SC104"
    ]
    expected = comparable(kept)
    for block in blocks:
        expected[("SC003", block.name, tuple(tuple(s) for s in block.input_shapes))] += 1
    return expected


def sweep_free(counter: Counter, graph) -> Counter:
    if not custom_blocks(graph):
        return counter
    return Counter(
        {k: v for k, v in counter.items() if k[0][:3] in ("SC1", "SC2") and k[0] != "SC104" or k[0] == "SC003"}
    )


@pytest.fixture(scope="session")
def saved_fixtures(tmp_path_factory):
    """Every fixture model that Keras could finish, saved three ways, with its builder findings."""
    from shapecheck.load.builder import load_builder_module

    folder = tmp_path_factory.mktemp("saved")
    rules = selected_rules((), ())
    copies = []
    for fixture in sorted(FIXTURES.glob("*.py")):
        loaded = load_builder_module(str(fixture))
        for graph in loaded.graphs:
            model = graph.source
            if model is None or not _has_layer_graph(model):
                continue  # Model(...) failed (seed 003's duplicate names), or subclassed: no graph to save
            expected = saved_expectation(graph, check_graphs([graph], str(fixture), rules))
            stem = folder / f"{fixture.stem}.{graph.name}"
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # Keras' "legacy .h5" advice
                model.save(f"{stem}.keras")
                model.save(f"{stem}.h5")
            Path(f"{stem}.json").write_text(model.to_json())
            copies.append((fixture.name, graph, stem, expected))
    return copies


def _has_layer_graph(model) -> bool:
    import keras

    from shapecheck.capture.blocks import is_subclassed_model

    return isinstance(model, (keras.Sequential, keras.src.models.functional.Functional)) and not is_subclassed_model(
        model
    )


@pytest.mark.slow
@pytest.mark.parametrize("suffix", FORMATS)
def test_saved_copies_report_what_the_builder_reports(saved_fixtures, suffix):
    assert len(saved_fixtures) >= 15
    differences = []
    for fixture, graph, stem, expected in saved_fixtures:
        run = check_paths([f"{stem}.{suffix}"])
        assert not run.errors, run.errors
        got = sweep_free(comparable(run.findings), graph)
        if (
            suffix == "h5"
        ):  # a legacy config names an op `Subtract` as it names the layer: no op to tell (SC103's batch clash)
            ops = {n.name for _, n in graph.walk() if n.kind == "op"}
            expected = Counter({k: v for k, v in expected.items() if not (k[0] == "SC103" and k[1] in ops)})
        if got != expected:
            differences.append(f"{fixture}/{graph.name}: missing {dict(expected - got)}, extra {dict(got - expected)}")
    assert not differences, "\n".join(differences)


@pytest.mark.slow
def test_dynamic_unet_keras_file_gets_sc104_confirmed_by_keras_rebuilt_in_safe_mode(saved_fixtures):
    """The algebra finds the size rule without Keras; Keras (the config rebuilt in safe mode,
    nothing carried in the file run) confirms it before it is shown."""
    (stem,) = [stem for fixture, _, stem, _ in saved_fixtures if fixture == "unet_dynamic.py"]
    run = check_paths([str(stem) + ".keras"])
    assert sorted({f.code for f in run.findings}) == ["SC104"]
    (file,) = run.files
    (keras_said,) = file.witnessed.values()
    assert keras_said.summary().startswith("sizes confirmed by Keras") and not keras_said.disputes
    assert file.status == "findings"


@pytest.mark.slow
def test_a_clean_fixed_size_saved_model_is_read_without_tensorflow(tmp_path):
    """No size claim to confirm and no fix to build: Keras is never imported."""
    import keras

    inputs = keras.Input((32, 32, 8))
    x = keras.layers.Conv2D(8, 3, padding="same")(inputs)
    model = keras.Model(inputs, keras.layers.Add()([x, inputs]))
    path = tmp_path / "residual.keras"
    model.save(path)
    code = (
        "import sys\n"
        "from shapecheck.runner import check_paths\n"
        f"run = check_paths([{str(path)!r}])\n"
        "print(sorted({f.code for f in run.findings}), run.files[0].status)\n"
        "leaked = sorted(m for m in ('tensorflow', 'keras') if m in sys.modules)\n"
        "assert not leaked, leaked\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[] ok"


PLANTED = """
import keras
from keras import layers



def build():
    inputs = keras.Input((8, 8, 4))
    x = layers.Lambda(lambda t: (open({marker!r}, "w").write("ran"), t)[1])(inputs)
    return keras.Model(inputs, layers.Add()([x, inputs]))
"""


@pytest.mark.slow
def test_code_inside_a_saved_lambda_is_never_run(tmp_path):
    marker = tmp_path / "lambda_ran.txt"
    builder = tmp_path / "planted.py"
    builder.write_text(PLANTED.format(marker=str(marker)))
    saved = tmp_path / "planted.keras"
    script = (
        "import importlib.util, os\n"
        f"spec = importlib.util.spec_from_file_location('planted', {str(builder)!r})\n"
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
        f"m.build().save({str(saved)!r})\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, cwd=tmp_path)
    marker.unlink()  # building called the lambda once; from here on nothing may
    result = cli(str(saved), "--format", "json")
    assert result.returncode == 0, result.stderr
    assert not marker.exists(), "checking the saved file ran the Lambda's code"
    notes = json.loads(result.stdout)["files"][0]["notes"]
    assert any("never executed" in note for note in notes)
    # The planted code is real: Keras' own loader with safe_mode off runs it.
    unsafe = f"import keras; keras.models.load_model({str(saved)!r}, safe_mode=False)"
    loaded = subprocess.run([sys.executable, "-c", unsafe], capture_output=True, text=True, cwd=tmp_path)
    assert marker.exists(), loaded.stderr[-2000:]


def digest(path: Path) -> tuple:
    return path.stat().st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
def test_a_hand_written_config_is_checked(tmp_path):
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(functional_config()))
    run = check_paths([str(path)])
    assert [(f.code, f.layer, f.line) for f in run.findings] == [("SC101", "add", None)]
    assert "16 vs 4" in run.findings[0].message


@pytest.mark.slow
@pytest.mark.parametrize("name", [{"class_name": "__keras_tensor__"}, ["a"], 7, None, ""])
def test_a_model_name_that_is_not_a_string_is_called_model(tmp_path, name):
    """Found by the fuzz test: the suggestions keyed models by name, and a dict is unhashable."""
    config = functional_config()
    config["config"]["name"] = name
    path = tmp_path / "named.json"
    path.write_text(json.dumps(config))
    run = check_paths([str(path)])
    assert not run.errors, run.errors
    assert [(f.code, f.model) for f in run.findings] == [("SC101", "model")]


@pytest.mark.slow
def test_unknown_keys_from_a_newer_keras_are_ignored(tmp_path):
    config = functional_config()
    config["config"]["future_option"] = {"x": 1}
    for layer in config["config"]["layers"]:
        layer["config"]["new_in_keras_9"] = True
    path = tmp_path / "newer.json"
    path.write_text(json.dumps(config))
    assert [f.code for f in check_paths([str(path)]).findings] == ["SC101"]


def test_a_sequential_config_is_checked(tmp_path):
    config = {
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
                {"class_name": "Flatten", "config": {"name": "f"}},
                {"class_name": "Dense", "config": {"name": "d", "units": 10}},
            ],
        },
    }
    path = tmp_path / "seq.json"
    path.write_text(json.dumps(config))
    run = check_paths([str(path)])
    assert not run.errors and [g.name for g in run.models] == ["seq"]
    assert run.models[0].nodes[-1].output_shapes == [(None, 10)]


def write_zip(path: Path, members: dict) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def bad_files(tmp_path: Path) -> dict[str, Path]:
    files = {}
    files["corrupt zip"] = tmp_path / "corrupt.keras"
    files["corrupt zip"].write_bytes(b"PK\x03\x04 this is not really a zip" * 10)
    files["no config.json"] = tmp_path / "noconfig.keras"
    write_zip(files["no config.json"], {"metadata.json": "{}"})
    good = tmp_path / "good.keras"
    write_zip(good, {"config.json": json.dumps(functional_config()), "model.weights.h5": b"\0" * 4096})
    files["truncated .keras"] = tmp_path / "truncated.keras"
    files["truncated .keras"].write_bytes(good.read_bytes()[:300])
    files["truncated .h5"] = tmp_path / "truncated.h5"
    files["truncated .h5"].write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 100)
    files["config not JSON"] = tmp_path / "garbage.json"
    files["config not JSON"].write_text("{not json")
    files["subclassed model"] = tmp_path / "subclassed.json"
    files["subclassed model"].write_text(json.dumps({"class_name": "MyResNet", "config": {"name": "mine"}}))
    files["broken structure"] = tmp_path / "broken.json"
    broken = functional_config()
    del broken["config"]["output_layers"]
    files["broken structure"].write_text(json.dumps(broken))
    return files


@pytest.mark.parametrize(
    "problem",
    [
        "corrupt zip",
        "no config.json",
        "truncated .keras",
        "truncated .h5",
        "config not JSON",
        "subclassed model",
        "broken structure",
    ],
)
def test_bad_files_are_one_line_and_exit_2_and_never_written(tmp_path, problem):
    path = bad_files(tmp_path)[problem]
    before = digest(path)
    result = run_cli(str(path))
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"shapecheck: error: {path}"), result.stderr
    assert "Traceback" not in result.stderr
    assert digest(path) == before


def test_an_h5_with_weights_only_says_so(tmp_path):
    h5py = pytest.importorskip("h5py")
    path = tmp_path / "model.weights.h5"
    with h5py.File(path, "w") as handle:
        handle.create_dataset("layers/conv/vars/0", data=[1.0, 2.0])
    result = run_cli(str(path))
    assert result.returncode == 2 and "weights only" in result.stderr


def keras2_config() -> dict:
    """The shape of a Keras 2 (tf.keras) model_config: inbound nodes as nested lists, no shapes."""

    def layer(class_name, name, config, *calls):
        return {
            "class_name": class_name,
            "name": name,
            "config": {"name": name, **config},
            "inbound_nodes": [[[ref, 0, 0, {}] for ref in call] for call in calls],
        }

    conv = {"kernel_size": [3, 3], "dilation_rate": [1, 1], "data_format": "channels_last"}
    return {
        "class_name": "Functional",
        "keras_version": "2.15.0",
        "config": {
            "name": "legacy",
            "layers": [
                layer("InputLayer", "input_1", {"batch_input_shape": [None, 32, 32, 3]}),
                layer("Conv2D", "strided", {**conv, "filters": 16, "strides": [2, 2], "padding": "same"}, ["input_1"]),
                layer(
                    "MaxPooling2D",
                    "pool",
                    {"pool_size": [2, 2], "strides": [2, 2], "padding": "valid", "data_format": "channels_last"},
                    ["input_1"],
                ),
                layer("Add", "add", {}, ["strided", "pool"]),
                layer("Conv2D", "valid", {**conv, "filters": 16, "strides": [1, 1], "padding": "valid"}, ["input_1"]),
                layer("Concatenate", "concat", {"axis": -1}, ["strided", "valid"]),
            ],
            "input_layers": [["input_1", 0, 0]],
            "output_layers": [["add", 0, 0], ["concat", 0, 0]],
        },
    }


@pytest.mark.slow
def test_a_keras2_h5_is_read_with_shapes_from_the_algebra(tmp_path):
    h5py = pytest.importorskip("h5py")
    path = tmp_path / "legacy.h5"
    with h5py.File(path, "w") as handle:
        handle.attrs["model_config"] = json.dumps(keras2_config())
        handle.attrs["keras_version"] = "2.15.0"
    run = check_paths([str(path)])
    assert not run.errors, run.errors
    assert [(f.code, f.layer, f.shapes) for f in run.findings] == [
        ("SC101", "add", [(None, 16, 16, 16), (None, 16, 16, 3)]),
        ("SC102", "concat", [(None, 16, 16, 16), (None, 30, 30, 16)]),
    ]
    assert any("Keras 2" in note for note in run.files[0].notes)


@pytest.mark.slow
def test_a_real_keras2_h5_with_a_nested_model_and_a_lambda():
    """tests/data/keras2_nested.h5 was saved by tf_keras (Keras 2); see make_keras2_h5.py."""
    run = check_paths([str(DATA / "keras2_nested.h5")])
    assert not run.errors, run.errors
    (model,) = run.models
    assert [n.name for _, n in model.merges()] == ["inner/add", "concatenate"]
    assert [(f.code, f.layer) for f in run.findings] == [("SC301", "input_1")]
    assert "fails for odd H or W" in run.findings[0].message
    notes = " ".join(run.files[0].notes)
    assert "Keras 2" in notes and "Lambda 'lambda' is not run" in notes
