"""How tests/data/keras2_nested.h5 was made (not run by the tests: it needs tf_keras, Keras 2).

    pip install tf-keras && python tests/data/make_keras2_h5.py

A Keras 2 (tf.keras) model saved to legacy HDF5: a nested model, a Lambda, and a
max-pool beside a stride-2 conv, which agree at the declared 32x32 but not at odd sizes.
"""

import os

import tf_keras as keras

L = keras.layers
inputs = keras.Input((32, 32, 3))
strided = L.Conv2D(16, 3, strides=2, padding="same")(inputs)
inner_in = keras.Input((16, 16, 16))
inner = keras.Model(inner_in, L.Add()([L.Conv2D(16, 1)(inner_in), inner_in]), name="inner")
merged = L.Concatenate()([inner(strided), L.MaxPooling2D(2)(inputs)])
outputs = L.Lambda(lambda t: t * 2)(merged)
model = keras.Model(inputs, outputs, name="keras2_nested")
model.save(os.path.join(os.path.dirname(os.path.abspath(__file__)), "keras2_nested.h5"))
