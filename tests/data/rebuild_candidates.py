"""--suggest-rebuild both ways: a flag that picks the shortcut (flipping it fixes the Add) and
a flag that has nothing to do with the mismatch (flipping it is tried and not suggested)."""

import keras
from keras import layers


def block(x, filters, project=False):
    shortcut = layers.Conv2D(filters, 1)(x) if project else x
    y = layers.Conv2D(filters, 3, padding="same")(x)
    return layers.Add()([y, shortcut])  # SC101 (16 vs 4): fixed by project=True at line 21


def unrelated_flag(x, filters, use_bias=True):
    y = layers.Conv2D(filters, 3, padding="same", use_bias=use_bias)(x)
    return layers.Add()([y, x])  # SC101 (32 vs 16) whatever use_bias is


def build_model():
    inputs = keras.Input((8, 8, 4))
    x = block(inputs, 16, project=False)
    x = unrelated_flag(x, 32)
    return keras.Model(inputs, x, name="flags")
