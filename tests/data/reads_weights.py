"""A builder that reads weight values while it builds: shapecheck builds without weight
values, so it must notice and run this module again the ordinary way (capture/weights.py)."""

import numpy as np
import keras
from keras import layers


def build_model():
    inputs = keras.Input((16, 16, 3))
    stem = layers.Conv2D(8, 3, padding="same", name="stem")(inputs)
    # scale the stem's initial kernel, as some papers' code does before training
    kernel = stem._keras_history.operation.kernel
    kernel.assign(kernel.numpy() * 0.5)
    branch = layers.Conv2D(16, 1, name="branch")(stem)
    merged = layers.Add(name="mismatch")([stem, branch])  # 8 vs 16 channels
    model = keras.Model(inputs, merged)
    assert len(model.get_weights()) == 4 and np.isfinite(model.get_weights()[0]).all()
    return model
