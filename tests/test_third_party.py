"""A real library of Keras models, installed from the package index by the test extra
(keras-unet-collection), checked through a file that imports only that library: before the
import closure, such a file was skipped as "imports neither keras nor tensorflow" with exit 0."""

from __future__ import annotations

import importlib.util
import json

import pytest
from conftest import run_cli

pytestmark = pytest.mark.slow

SEGMENT = """
from keras_unet_collection import models


def build_unet():
    return models.unet_2d((None, None, 3), [16, 32, 64, 128], n_labels=2, stack_num_down=2, stack_num_up=2,
                          activation="ReLU", output_activation="Softmax", batch_norm=True, pool="max",
                          unpool="nearest", backbone=None, weights=None, name="unet")


def build_attention_unet():
    return models.att_unet_2d((128, 128, 3), [16, 32, 64], n_labels=2, backbone=None, weights=None, name="attunet")
"""


def test_a_library_of_keras_models_is_checked_through_a_file_that_imports_only_it(tmp_path):
    if importlib.util.find_spec("keras_unet_collection") is None:
        pytest.skip("keras-unet-collection is not installed (pip install -e '.[test]')")
    (tmp_path / "segment.py").write_text(SEGMENT)
    result = run_cli("segment.py", "--format", "json", "--debug", cwd=tmp_path)
    assert result.returncode == 1, result.stderr[-3000:]
    document = json.loads(result.stdout)
    (file,) = document["files"]
    assert file["status"] == "findings"
    assert (
        "checked: imports keras_unet_collection.models, which imports keras_unet_collection._model_unet_2d, "
        "which imports tensorflow"
    ) in file["notes"]
    models = {m["entry"]: m for m in file["models"]}
    assert set(models) == {"build_unet", "build_attention_unet"}
    # the U-Net at any size: its three skip concatenations need H and W divisible by 8 (three poolings)
    unet_concats = [m for m in models["build_unet"]["merges"] if m["op"] == "Concatenate"]
    assert len(unet_concats) == 3 and all(m["verdict"] == "sizes" for m in unet_concats)
    sc104 = [f for f in document["findings"] if f["code"] == "SC104"]
    reported = [
        (f["code"], layer)
        for f in sc104  # one line in segment.py: grouped
        for layer in [f["layer"]] + [r["layer"] for r in f["related"] if r["kind"] == "repeat"]
    ]
    assert reported == [("SC104", m["layer"]) for m in unet_concats]
    assert all("H and W must be multiples of 8" in f["message"] and f["path"] == "segment.py" for f in sc104)
    # the attention U-Net works at 128x128 but, with two poolings, only at multiples of 4
    # (Keras: 132 builds, 130 raises); a Multiply gate's guess once hid this from the algebra
    (constraint,) = [f for f in document["findings"] if f["code"] == "SC301"]
    assert "H and W must be multiples of 4" in constraint["message"] and constraint["model"].startswith("attunet")
    # the attention U-Net at 128x128: attention gates (Multiply by a 1-channel mask) and skip
    # concatenations, all of which agree
    verdicts = sorted({(m["op"], m["verdict"]) for m in models["build_attention_unet"]["merges"]})
    assert verdicts == [("Add", "ok"), ("Concatenate", "ok"), ("Multiply", "broadcast")]
