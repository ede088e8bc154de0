"""The near miss of late_binding_small.py: each Lambda binds c when it is made."""
import keras
from keras import layers


def build_model():
    inputs = keras.Input((2, 2, 4))
    groups = [layers.Lambda(lambda x, c=c: x[:, :, :, c:c + 1])(inputs) for c in range(4)]
    scale = 2
    scaled = layers.Lambda(lambda x: x * scale)(inputs)  # closes over a value that never changes
    return keras.Model(inputs, [layers.Concatenate()(groups), scaled], name="grouped_fixed")
