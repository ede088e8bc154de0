"""Checking never writes Keras' config into the user's home (a temporary KERAS_HOME with the
user's settings copied in), and the user's settings still apply."""

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow

MODULE = """
import keras
from keras import layers

inputs = keras.Input((8, 16, 16))
a = layers.Conv2D(4, 1)(inputs)          # no data_format: the user's default decides
b = layers.Conv2D(4, 3, padding="same")(inputs)
model = keras.Model(inputs, layers.Concatenate(axis=1)([a, b]))
"""


def _codes(home, module):
    env = {k: v for k, v in os.environ.items() if k not in ("KERAS_HOME", "SHAPECHECK_PRIVATE_KERAS_HOME")}
    env["HOME"] = str(home)
    result = subprocess.run(
        [sys.executable, "-m", "shapecheck", str(module), "--format", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return {f["code"] for f in json.loads(result.stdout)["findings"]}


def test_keras_json_is_not_written_into_home_and_the_users_settings_apply(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    module = tmp_path / "axis_one.py"
    module.write_text(MODULE)
    assert "SC204" in _codes(home, module)  # Keras' default, channels_last: axis 1 is the height
    assert not (home / ".keras").exists()  # Keras' first import did not write ~/.keras/keras.json
    (home / ".keras").mkdir()
    settings = {"image_data_format": "channels_first", "backend": "tensorflow", "floatx": "float32", "epsilon": 1e-07}
    (home / ".keras" / "keras.json").write_text(json.dumps(settings))
    assert "SC204" not in _codes(home, module)  # the user's channels_first: axis 1 is the channels
    assert json.loads((home / ".keras" / "keras.json").read_text()) == settings
    assert os.listdir(home / ".keras") == ["keras.json"]
